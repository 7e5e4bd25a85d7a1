/* data/data_internal.h — helpers shared by the data readers and writers (src/data_*.c). */
#ifndef MB_DATA_INTERNAL_H
#define MB_DATA_INTERNAL_H

#include "mb_dataset.h"
#include "mb_files.h"

#include <zlib.h>

/* Largest image side and count the readers accept: far beyond any real data set,
 * small enough that sizes never overflow. */
#define MB_DATA_MAX_SIDE 16384
#define MB_DATA_MAX_IMAGES 100000000L

/* Opens a file for reading through zlib (gzip or raw, transparently). */
int mb_data_gzopen(gzFile *f, const char *path);
/* Reads up to n bytes; *got = bytes read. A corrupt or truncated gzip stream is an
 * MB_EINPUT error naming path and `what`. */
int mb_data_gzread(gzFile f, const char *path, const char *what, void *buf, size_t n,
                   size_t *got);
/* Reads exactly `expected` bytes of `what` into a new buffer that grows as data
 * arrives (so a header that lies about its size cannot make us allocate much),
 * then checks that nothing follows. */
int mb_data_gzread_payload(gzFile f, const char *path, const char *what, size_t expected,
                           uint8_t **out);
/* Reads a whole file of unknown length (at most max_bytes) into a new buffer. */
int mb_data_read_all(const char *path, const char *what, size_t max_bytes, uint8_t **out,
                     size_t *len);

/* An independent random stream for (seed, purpose): shuffling, splitting and the
 * shapes generator never share counters. */
uint64_t mb_data_stream(uint64_t seed, uint64_t purpose);
/* Seeded permutation of 0..n-1 (Fisher-Yates on Philox uniforms). */
void mb_data_permutation(int *perm, int n, uint64_t stream);

int mb_data_has_suffix(const char *s, const char *suffix);
int mb_data_is_dir(const char *path);
int mb_data_is_file(const char *path);
/* A folder of images with train/ and test/ subfolders (each an ImageFolder). */
int mb_folder_has_split(const char *dir);
/* A file name stb_image reads (.png, .jpg, ...; hidden files are not). */
int mb_data_is_image_name(const char *name);
/* Sets ds->class_names from a NULL-terminated list or n names. */
int mb_data_set_class_names(mb_dataset *ds, const char *const *names, int n);

/* The .npy header (version 1.0, padded to 64 bytes) of an array; its length, or 0
 * when it does not fit in cap bytes. Shared by the .npy and .npz writers. */
size_t mb_npy_header(char *out, size_t cap, int word_bytes, int ndim, const long *shape);

#endif
