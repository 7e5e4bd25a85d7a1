/* data/folder.c — folders of PNG/JPEG images read through stb_image, laid out as
 * torchvision's ImageFolder: root/<class>/.../<image>, classes = the subfolder
 * names in sorted order; images directly in root make an unlabelled set. A root
 * with train/ and test/ subfolders holds both splits. */
#include "data_internal.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <stb/stb_image.h>
#include <stb/stb_image_resize.h>

#define MAX_DEPTH 8
#define MAX_PIXELS_PER_IMAGE ((long)1 << 26)

typedef struct {
    char **paths;
    int *labels;
    int n, cap;
} file_list;

typedef struct {
    char **names;
    int n, cap;
} name_list;

int mb_data_is_image_name(const char *name)
{
    static const char *const ext[] = {".png", ".jpg", ".jpeg", ".bmp", ".tga", ".pgm",
                                      ".ppm", ".gif"};
    const char *dot = strrchr(name, '.');
    if (!dot || name[0] == '.')
        return 0;
    for (size_t i = 0; i < MB_ARRAY_LEN(ext); i++) {
        if (strlen(dot) != strlen(ext[i]))
            continue;
        int same = 1;
        for (size_t k = 0; dot[k]; k++)
            same &= tolower((unsigned char)dot[k]) == ext[i][k];
        if (same)
            return 1;
    }
    return 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void names_free(name_list *l)
{
    for (int i = 0; i < l->n; i++)
        free(l->names[i]);
    free(l->names);
    memset(l, 0, sizeof *l);
}

/* The entries of dir (hidden ones skipped), sorted; *dirs and *files split them. */
static int list_dir(const char *dir, name_list *dirs, name_list *files)
{
    memset(dirs, 0, sizeof *dirs);
    memset(files, 0, sizeof *files);
    DIR *d = opendir(dir);
    if (!d)
        return mb_fail(MB_EINPUT, "%s: cannot read the folder: %s", dir, strerror(errno));
    struct dirent *e;
    int rc = MB_OK;
    char path[MB_PATH_LEN];
    while (rc == MB_OK && (e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        if (mb_path(path, sizeof path, "%s/%s", dir, e->d_name) != MB_OK) {
            rc = MB_EINPUT;
            break;
        }
        name_list *l = mb_data_is_dir(path)                  ? dirs
                       : mb_data_is_image_name(e->d_name) ? files
                                                          : NULL;
        if (!l)
            continue; /* not an image: README, labels.csv, ... */
        if (l->n == l->cap) {
            int cap = l->cap ? 2 * l->cap : 64;
            char **bigger = realloc(l->names, (size_t)cap * sizeof *bigger);
            if (!bigger) {
                rc = mb_fail(MB_ENOMEM, "out of host memory listing %s", dir);
                break;
            }
            l->names = bigger;
            l->cap = cap;
        }
        if (!(l->names[l->n] = strdup(e->d_name)))
            rc = mb_fail(MB_ENOMEM, "out of host memory listing %s", dir);
        else
            l->n++;
    }
    closedir(d);
    if (rc != MB_OK) {
        names_free(dirs);
        names_free(files);
        return rc;
    }
    if (dirs->n > 1) /* qsort must not see the NULL of an empty list */
        qsort(dirs->names, (size_t)dirs->n, sizeof(char *), cmp_str);
    if (files->n > 1)
        qsort(files->names, (size_t)files->n, sizeof(char *), cmp_str);
    return MB_OK;
}

static int add_file(file_list *fl, const char *path, int label)
{
    if (fl->n >= MB_DATA_MAX_IMAGES)
        return mb_fail(MB_EINPUT, "%s: more than %ld images (expected fewer)", path,
                       MB_DATA_MAX_IMAGES);
    if (fl->n == fl->cap) {
        int cap = fl->cap ? 2 * fl->cap : 256;
        char **p = realloc(fl->paths, (size_t)cap * sizeof *p);
        if (p)
            fl->paths = p;
        int *l = realloc(fl->labels, (size_t)cap * sizeof *l);
        if (l)
            fl->labels = l;
        if (!p || !l)
            return mb_fail(MB_ENOMEM, "out of host memory listing images");
        fl->cap = cap;
    }
    if (!(fl->paths[fl->n] = strdup(path)))
        return mb_fail(MB_ENOMEM, "out of host memory listing images");
    fl->labels[fl->n++] = label;
    return MB_OK;
}

/* Every image under dir (recursively, sorted), with the given label. */
static int collect(file_list *fl, const char *dir, int label, int depth)
{
    if (depth > MAX_DEPTH)
        return mb_fail(MB_EINPUT, "%s: folders nested deeper than %d levels (expected "
                       "root/class/image)", dir, MAX_DEPTH);
    name_list dirs, files;
    MB_TRY(list_dir(dir, &dirs, &files));
    char path[MB_PATH_LEN];
    int rc = MB_OK;
    for (int i = 0; i < files.n && rc == MB_OK; i++)
        if ((rc = mb_path(path, sizeof path, "%s/%s", dir, files.names[i])) == MB_OK)
            rc = add_file(fl, path, label);
    for (int i = 0; i < dirs.n && rc == MB_OK; i++)
        if ((rc = mb_path(path, sizeof path, "%s/%s", dir, dirs.names[i])) == MB_OK)
            rc = collect(fl, path, label, depth + 1);
    names_free(&dirs);
    names_free(&files);
    return rc;
}

int mb_folder_has_split(const char *dir)
{
    char p[MB_PATH_LEN];
    return mb_path(p, sizeof p, "%s/train", dir) == MB_OK && mb_data_is_dir(p) &&
           mb_path(p, sizeof p, "%s/test", dir) == MB_OK && mb_data_is_dir(p);
}

/* Walks a PNG file's chunks up to IEND (not a PNG: nothing to do). Every chunk must
 * fit in the file: stb_image grows its IDAT buffer to the length a chunk states
 * before reading it, so a 200-byte file stating a 1 GiB chunk would allocate
 * 2 GiB. *stated = 1 and *w, *h = the size the IHDR chunk states, which names the
 * problem when stb_image refuses a very large image as "unknown image type". */
static int png_scan(const char *path, FILE *f, int *stated, long *w, long *h)
{
    unsigned char head[8];
    const long at = ftell(f);
    int rc = MB_OK;
    *stated = 0;
    if (fseek(f, 0, SEEK_END) != 0)
        return mb_fail(MB_EIO, "%s: cannot seek: %s", path, strerror(errno));
    const long size = ftell(f);
    fseek(f, at, SEEK_SET);
    if (fread(head, 1, 8, f) != 8 || memcmp(head, "\x89PNG\r\n\x1a\n", 8)) {
        fseek(f, at, SEEK_SET);
        return MB_OK;
    }
    for (long pos = 8; pos + 8 <= size; ) {
        if (fread(head, 1, 8, f) != 8)
            break;
        const unsigned long len = (unsigned long)head[0] << 24 | head[1] << 16 |
                                  head[2] << 8 | head[3];
        if (len > (unsigned long)(size - pos - 8)) { /* the data, not the CRC */
            char type[5];
            for (int i = 0; i < 4; i++)
                type[i] = isalpha(head[4 + i]) ? (char)head[4 + i] : '?';
            type[4] = 0;
            rc = mb_fail(MB_EINPUT, "%s: PNG chunk %s at byte %ld states %lu bytes, past the "
                         "end of the %ld-byte file (expected a valid PNG file)", path, type,
                         pos, len, size);
            break;
        }
        unsigned char d[8];
        if (pos == 8 && !memcmp(head + 4, "IHDR", 4) && len >= 8 && fread(d, 1, 8, f) == 8) {
            *stated = 1;
            *w = (long)d[0] << 24 | d[1] << 16 | d[2] << 8 | d[3];
            *h = (long)d[4] << 24 | d[5] << 16 | d[6] << 8 | d[7];
        }
        if (!memcmp(head + 4, "IEND", 4))
            break;
        pos += 12 + (long)len;
        fseek(f, pos, SEEK_SET);
    }
    fseek(f, at, SEEK_SET);
    return rc;
}

/* stb_image's reason for a failure; some failures leave it empty. */
static const char *stb_reason(void)
{
    const char *why = stbi_failure_reason();
    return why && *why ? why : "corrupt or truncated data";
}

static int check_size(const char *path, long w, long h)
{
    if (w <= 0 || h <= 0 || w > MB_DATA_MAX_SIDE || h > MB_DATA_MAX_SIDE ||
        w * h > MAX_PIXELS_PER_IMAGE)
        return mb_fail(MB_EINPUT, "%s: image is %ldx%ld, over the size limit (expected sides "
                       "1..%d and at most %ld pixels)", path, w, h, MB_DATA_MAX_SIDE,
                       MAX_PIXELS_PER_IMAGE);
    return MB_OK;
}

/* Size and channels of an image file, opened as a regular file only. */
static int image_info(const char *path, FILE *f, int *w, int *h, int *comp)
{
    long pw = 0, ph = 0;
    int stated;
    MB_TRY(png_scan(path, f, &stated, &pw, &ph));
    if (!stbi_info_from_file(f, w, h, comp)) {
        if (stated)
            MB_TRY(check_size(path, pw, ph));
        return mb_fail(MB_EINPUT, "%s: cannot read the image: %s (expected a valid PNG or "
                       "JPEG file)", path, stb_reason());
    }
    return check_size(path, *w, *h);
}

/* Decodes one image into dst [C, H, W] (resized when the options ask). */
static int load_image(const char *path, const mb_dataset *ds, int resize, uint8_t *dst,
                      const char *first_path)
{
    int w, h, comp;
    FILE *f;
    MB_TRY(mb_fopen_regular(path, "image", &f));
    int rc = image_info(path, f, &w, &h, &comp);
    if (rc == MB_OK && !resize && (w != ds->width || h != ds->height))
        rc = mb_fail(MB_EINPUT, "%s: image is %dx%d but %s is %dx%d (expected every image "
                     "the same size, or resize=HxW)", path, w, h, first_path, ds->width,
                     ds->height);
    int C = ds->channels;
    uint8_t *hwc = rc == MB_OK ? stbi_load_from_file(f, &w, &h, &comp, C) : NULL;
    fclose(f);
    if (rc != MB_OK)
        return rc;
    if (!hwc)
        return mb_fail(MB_EINPUT, "%s: cannot decode the image: %s (expected a valid PNG or "
                       "JPEG file)", path, stb_reason());
    uint8_t *src = hwc;
    uint8_t *resized = NULL;
    if (w != ds->width || h != ds->height) {
        resized = malloc((size_t)ds->width * ds->height * C);
        if (!resized || !stbir_resize_uint8(hwc, w, h, 0, resized, ds->width, ds->height, 0,
                                            C)) {
            free(resized);
            stbi_image_free(hwc);
            return mb_fail(MB_ENOMEM, "%s: resizing to %dx%d failed", path, ds->width,
                           ds->height);
        }
        src = resized;
    }
    size_t plane = (size_t)ds->width * ds->height;
    for (size_t p = 0; p < plane; p++)
        for (int c = 0; c < C; c++)
            dst[(size_t)c * plane + p] = src[p * C + (size_t)c];
    free(resized);
    stbi_image_free(hwc);
    return MB_OK;
}

static int load_files(mb_dataset *ds, const file_list *fl, const mb_data_options *opt)
{
    int w, h, comp;
    const char *first = fl->paths[0];
    FILE *f;
    MB_TRY(mb_fopen_regular(first, "image", &f));
    const int rc = image_info(first, f, &w, &h, &comp);
    fclose(f);
    MB_TRY(rc);
    int channels = opt->channels ? opt->channels : comp <= 2 ? 1 : 3;
    int resize = opt->resize_height > 0 && opt->resize_width > 0;
    if (resize) {
        h = opt->resize_height;
        w = opt->resize_width;
    }
    if (w <= 0 || h <= 0 || w > MB_DATA_MAX_SIDE || h > MB_DATA_MAX_SIDE ||
        (long)w * h > MAX_PIXELS_PER_IMAGE)
        return mb_fail(MB_EINPUT, "%s: image is %dx%d (expected sides 1..%d and at most %ld "
                       "pixels)", first, w, h, MB_DATA_MAX_SIDE, MAX_PIXELS_PER_IMAGE);
    MB_TRY(mb_dataset_alloc(ds, fl->n, channels, h, w, 0, 0));
    size_t per = mb_dataset_image_size(ds);
    if (!(ds->pixels = mb_host_alloc(per * (size_t)fl->n, "pixels")))
        return MB_ENOMEM;
    for (int i = 0; i < fl->n; i++)
        MB_TRY(load_image(fl->paths[i], ds, resize, ds->pixels + per * (size_t)i, first));
    mb_dataset_pixels_to_images(ds);
    return MB_OK;
}

int mb_folder_read(mb_dataset *ds, const char *dir, const mb_data_options *opt)
{
    static const mb_data_options defaults;
    if (!opt)
        opt = &defaults;
    memset(ds, 0, sizeof *ds);
    char root[MB_PATH_LEN];
    if (mb_folder_has_split(dir))
        MB_TRY(mb_path(root, sizeof root, "%s/%s", dir,
                       opt->split == MB_SPLIT_TEST ? "test" : "train"));
    else
        MB_TRY(mb_path(root, sizeof root, "%s", dir));
    name_list classes, files;
    MB_TRY(list_dir(root, &classes, &files));
    file_list fl = {0};
    int rc = MB_OK;
    char path[MB_PATH_LEN];
    if (classes.n && files.n)
        rc = mb_fail(MB_EINPUT, "%s: holds both images (%s) and class folders (%s) "
                     "(expected one or the other)", root, files.names[0], classes.names[0]);
    for (int i = 0; i < files.n && rc == MB_OK; i++)
        if ((rc = mb_path(path, sizeof path, "%s/%s", root, files.names[i])) == MB_OK)
            rc = add_file(&fl, path, -1);
    for (int k = 0; k < classes.n && rc == MB_OK; k++) {
        int before = fl.n;
        rc = mb_path(path, sizeof path, "%s/%s", root, classes.names[k]);
        if (rc == MB_OK)
            rc = collect(&fl, path, k, 1);
        if (rc == MB_OK && fl.n == before)
            rc = mb_fail(MB_EINPUT, "%s: class folder has no PNG/JPEG images (expected at "
                         "least one per class)", path);
    }
    if (rc == MB_OK && fl.n == 0)
        rc = mb_fail(MB_EINPUT, "%s: contains 0 images (expected PNG/JPEG files, directly "
                     "or in one subfolder per class)", root);
    if (rc == MB_OK)
        rc = load_files(ds, &fl, opt);
    if (rc == MB_OK && classes.n) {
        if (!(ds->labels = mb_host_alloc((size_t)fl.n * sizeof(int), "labels")))
            rc = MB_ENOMEM;
        else
            memcpy(ds->labels, fl.labels, (size_t)fl.n * sizeof(int));
        ds->n_classes = classes.n;
        if (rc == MB_OK)
            rc = mb_data_set_class_names(ds, (const char *const *)classes.names, classes.n);
    }
    for (int i = 0; i < fl.n; i++)
        free(fl.paths[i]);
    free(fl.paths);
    free(fl.labels);
    names_free(&classes);
    names_free(&files);
    if (rc != MB_OK) {
        mb_dataset_free(ds);
        return rc;
    }
    snprintf(ds->source, sizeof ds->source, "%.*s", (int)sizeof ds->source - 1, root);
    return MB_OK;
}
