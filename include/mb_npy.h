/* mb_npy.h — NumPy arrays in and out: .npy files (format versions 1-3, parsed
 * here) and .npz archives of them (a zip container, through libzip). madbench
 * reads feature matrices [N, D] and Gaussian statistics (mu [D], sigma [D, D],
 * pytorch-fid's names) and writes both. Only float32 '<f4' and float64 '<f8',
 * C order, 1 or 2 dimensions, finite values: anything else is refused with an
 * MB_EINPUT error naming the file and what was expected. */
#ifndef MB_NPY_H
#define MB_NPY_H

#include "mb_common.h"

/* Largest size of one dimension: every count madbench keeps is an int. */
#define MB_NPY_MAX_DIM 2147483647L

typedef struct {
    int ndim;        /* 1 or 2 */
    long shape[2];   /* shape[1] = 1 when ndim = 1 */
    int word_bytes;  /* 4 (float32) or 8 (float64): the file's type */
    double *data;    /* host, shape[0] * shape[1] values in C order (float32 exactly widened) */
} mb_npy_array;

void mb_npy_free(mb_npy_array *a);

/* Decodes a whole .npy image (header + data) of len bytes; `name` is for errors. */
int mb_npy_decode(const uint8_t *buf, size_t len, const char *name, mb_npy_array *out);
int mb_npy_read(const char *path, mb_npy_array *out);
/* Array `key` (the member key.npy) of a .npz archive, stored or deflated. */
int mb_npz_read(const char *path, const char *key, mb_npy_array *out);

/* Writes x (host, C order, float32 when word_bytes is 4, else float64) as .npy. */
int mb_npy_write(const char *path, const void *x, int word_bytes, int ndim, const long *shape);
/* Writes pytorch-fid's statistics file: mu [d] and sigma [d, d], float64. */
int mb_npz_write_stats(const char *path, const double *mu, const double *sigma, int d);

/* ".npy" / ".npz" file names (case-sensitive, as NumPy writes them). */
int mb_npy_is_npy_name(const char *path);
int mb_npy_is_npz_name(const char *path);

#endif
