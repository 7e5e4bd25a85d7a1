/* test_util_files.c — mb_make_dirs, the one mkdir -p (toy output, the judge cache,
 * sweep folders): nested folders, folders that exist already, a file in the way
 * (MB_EIO naming the folder) and a path too long for MB_PATH_LEN (MB_EINPUT). */
#include "mb_files.h"
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

int main(void)
{
    char root[] = "/tmp/mb_files_test_XXXXXX", p[MB_PATH_LEN];
    CHECK(mkdtemp(root) != NULL, "mkdtemp");

    snprintf(p, sizeof p, "%s/a/b/c", root);
    CHECK(mb_make_dirs(p) == MB_OK && is_dir(p), "nested: %s", mb_last_error());
    CHECK(mb_make_dirs(p) == MB_OK, "again, existing: %s", mb_last_error());
    snprintf(p, sizeof p, "%s/a/b/c/", root);
    CHECK(mb_make_dirs(p) == MB_OK, "trailing slash: %s", mb_last_error());

    snprintf(p, sizeof p, "%s/file", root);
    FILE *f = fopen(p, "w");
    CHECK(f && fclose(f) == 0, "create a file");
    snprintf(p, sizeof p, "%s/file/below", root);
    mb_clear_error();
    CHECK(mb_make_dirs(p) == MB_EIO && strstr(mb_last_error(), "/file/below: cannot create folder: Not a directory"),
          "a file in the way: '%s'", mb_last_error());

    char *longer = malloc(MB_PATH_LEN + 16);
    memset(longer, 'x', MB_PATH_LEN + 15);
    longer[MB_PATH_LEN + 15] = 0;
    memcpy(longer, root, strlen(root));
    longer[strlen(root)] = '/';
    mb_clear_error();
    CHECK(mb_make_dirs(longer) == MB_EINPUT, "too long a path: rc with '%s'", mb_last_error());
    free(longer);

    char cmd[MB_PATH_LEN + 16];
    snprintf(cmd, sizeof cmd, "rm -rf %s", root);
    CHECK(system(cmd) == 0, "clean up");
    return mb_test_finish("test_util_files");
}
