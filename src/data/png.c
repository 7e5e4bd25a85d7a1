/* data/png.c — writes a data set as a folder of PNG files that pytorch-fid,
 * clean-fid, torchvision's ImageFolder and mb_folder_read read back. */
#include "data_internal.h"
#include "mb_image.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* mkdir -p */
static int make_dirs(const char *path)
{
    char buf[MB_PATH_LEN];
    MB_TRY(mb_path(buf, sizeof buf, "%s", path));
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = 0;
        if (mkdir(buf, 0777) != 0 && errno != EEXIST)
            return mb_fail(MB_EIO, "%s: cannot create the folder: %s", buf, strerror(errno));
        *p = '/';
    }
    if (mkdir(buf, 0777) != 0 && errno != EEXIST)
        return mb_fail(MB_EIO, "%s: cannot create the folder: %s", buf, strerror(errno));
    if (!mb_data_is_dir(buf))
        return mb_fail(MB_EIO, "%s: exists and is not a folder (expected a folder)", buf);
    return MB_OK;
}

static int is_empty_dir(const char *path)
{
    DIR *d = opendir(path);
    if (!d)
        return 0;
    struct dirent *e;
    int empty = 1;
    while ((e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
            empty = 0;
    closedir(d);
    return empty;
}

/* "03_T-shirt_top": the label first, so that sorted folder names keep label order. */
static void class_folder(char *out, size_t size, const mb_dataset *ds, int k)
{
    int digits = 2;
    for (int m = ds->n_classes - 1; m >= 100; m /= 10)
        digits++;
    int len = snprintf(out, size, "%0*d", digits, k);
    if (ds->class_names && ds->class_names[k][0] && len > 0 && (size_t)len < size) {
        snprintf(out + len, size - (size_t)len, "_%s", ds->class_names[k]);
        for (char *p = out + len + 1; *p; p++)
            if (*p == '/' || *p == ' ' || *p == '\\')
                *p = '_';
    }
}

int mb_png_folder_write(const mb_dataset *ds, const char *dir)
{
    if (ds->n <= 0)
        return mb_fail(MB_EINPUT, "%s: data set is empty (expected at least 1 image)", dir);
    if (ds->n > MB_DATA_MAX_IMAGES) /* file names have 8 digits */
        return mb_fail(MB_EINPUT, "%s: %d images (expected at most %ld)", dir, ds->n,
                       MB_DATA_MAX_IMAGES);
    if (ds->channels != 1 && ds->channels != 3)
        return mb_fail(MB_EINPUT, "%s: PNG holds 1 or 3 channels, the data set has %d", dir,
                       ds->channels);
    if (mb_data_is_dir(dir) && !is_empty_dir(dir))
        return mb_fail(MB_EINPUT, "%s: folder exists and is not empty (expected a new or "
                       "empty folder, so that no stale image is read back with these)", dir);
    MB_TRY(make_dirs(dir));
    int labelled = ds->labels && ds->n_classes > 0;
    int C = ds->channels, H = ds->height, W = ds->width;
    size_t plane = (size_t)H * W;
    uint8_t *hwc = mb_host_alloc(plane * C, "PNG image");
    if (!hwc)
        return MB_ENOMEM;
    char path[MB_PATH_LEN], sub[256];
    int rc = MB_OK;
    if (labelled)
        for (int k = 0; k < ds->n_classes && rc == MB_OK; k++) {
            class_folder(sub, sizeof sub, ds, k);
            rc = mb_path(path, sizeof path, "%s/%s", dir, sub);
            if (rc == MB_OK)
                rc = make_dirs(path);
        }
    for (int i = 0; i < ds->n && rc == MB_OK; i++) {
        const float *img = ds->images + (size_t)i * plane * C;
        for (size_t p = 0; p < plane; p++)
            for (int c = 0; c < C; c++) {
                float v = img[(size_t)c * plane + p];
                v = v < 0.f ? 0.f : v > 1.f ? 1.f : v;
                hwc[p * C + (size_t)c] = (uint8_t)(v * 255.f + 0.5f);
            }
        if (labelled) {
            int k = ds->labels[i];
            if (k < 0 || k >= ds->n_classes) {
                rc = mb_fail(MB_EINPUT, "%s: image %d has label %d (expected 0..%d)", dir, i,
                             k, ds->n_classes - 1);
                break;
            }
            class_folder(sub, sizeof sub, ds, k);
            rc = mb_path(path, sizeof path, "%s/%s/%08d.png", dir, sub, i);
        } else {
            rc = mb_path(path, sizeof path, "%s/%08d.png", dir, i);
        }
        if (rc == MB_OK)
            rc = mb_write_png(path, W, H, C, hwc);
    }
    free(hwc);
    return rc;
}
