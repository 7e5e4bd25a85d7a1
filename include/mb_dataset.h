/* mb_dataset.h — a data set in host memory, and the readers and writers. */
#ifndef MB_DATASET_H
#define MB_DATASET_H

#include "mb_common.h"

#define MB_MAX_ATTRS 8

/* Origin of a sample (provenance): real data, or the generation that made it. */
#define MB_ORIGIN_REAL 0

typedef struct {
    int n, channels, height, width;
    float *images;   /* [n, channels, height, width], values in [0, 1] */
    uint8_t *pixels; /* the same images as stored in the source, or NULL (synthetic) */
    int *labels;     /* [n] class of each image, or NULL when unlabelled */
    int n_classes;   /* 0 when unlabelled */
    int16_t *origin; /* [n] MB_ORIGIN_REAL, or g >= 1: made by generation g */
    int n_attrs;     /* ground-truth attributes per image (shapes set), else 0 */
    float *attrs;    /* [n, n_attrs] or NULL */
    char attr_names[MB_MAX_ATTRS][16];
    char source[512]; /* where it came from, for messages and manifests */
} mb_dataset;

typedef enum { MB_SPLIT_TRAIN = 0, MB_SPLIT_TEST = 1 } mb_split;

typedef struct {
    mb_split split;     /* which part of a source that has train and test parts */
    long max_images;    /* keep at most this many (the first ones after shuffling); 0 = all */
    uint64_t seed;      /* shuffling / procedural generation */
} mb_data_options;

/* Default Debian location of the dataset-fashion-mnist package. */
#define MB_FASHION_MNIST_DIR "/usr/share/datasets/fashion-mnist"

/* source: "fashion-mnist", a path to an IDX images file (.gz or raw; labels are
 * read from the matching labels file when present), and the other sources the
 * data readers know (see data_*.c). opt may be NULL for the defaults. */
int mb_dataset_load(mb_dataset *ds, const char *source, const mb_data_options *opt);
void mb_dataset_free(mb_dataset *ds);

/* Values per image (channels * height * width). */
static inline size_t mb_dataset_image_size(const mb_dataset *ds)
{
    return (size_t)ds->channels * ds->height * ds->width;
}

#endif
