/* mb_dataset.h — a data set in host memory, and the readers and writers. */
#ifndef MB_DATASET_H
#define MB_DATASET_H

#include "mb_common.h"

#define MB_MAX_ATTRS 8
#define MB_MAX_CLASS_NAME 64

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
    /* [n_classes] class names ("Trouser", a folder name, ...), or NULL: classes
     * are then known by their index only. */
    char (*class_names)[MB_MAX_CLASS_NAME];
} mb_dataset;

typedef enum { MB_SPLIT_TRAIN = 0, MB_SPLIT_TEST = 1 } mb_split;

/* Shapes (procedural set) kinds; the class label of a shapes image is the
 * position of its kind in mb_shapes_options.kinds. */
typedef enum { MB_SHAPE_DISK = 0, MB_SHAPE_ELLIPSE = 1, MB_SHAPE_SQUARE = 2 } mb_shape_kind;
#define MB_SHAPE_N_KINDS 3
#define MB_MAX_IMBALANCE 16

typedef enum { MB_DIST_NORMAL = 0, MB_DIST_UNIFORM = 1 } mb_distribution;

/* The procedural "shapes" set. Every field that is 0 takes its documented
 * default (see mb_shapes_defaults), so a zeroed struct is the default set. */
typedef struct {
    int size;                  /* image side: 28 (gray) or 32 (colour); 0: by source */
    int channels;              /* 1 or 3; 0: by source */
    int n_images;              /* shapes has no natural size: default 10000 train, 2000 test */
    mb_distribution radius_dist; /* default normal: the bell curve */
    double radius_mean, radius_std; /* normal: N(mean, std) truncated to mean +- 4 std */
    double radius_lo, radius_hi;    /* uniform: U(lo, hi); normal: also clamps the truncation */
    double intensity_lo, intensity_hi; /* gray level (or colour channel) ~ U(lo, hi) */
    double aspect_lo, aspect_hi;       /* ellipse minor/major axis ratio ~ U(lo, hi) */
    int n_kinds;                       /* 0: one kind, the disk */
    mb_shape_kind kinds[MB_SHAPE_N_KINDS];
    double kind_shares[MB_SHAPE_N_KINDS]; /* 0 everywhere: equal shares */
    double noise_std;                  /* additive Gaussian pixel noise, default 0 */
} mb_shapes_options;

typedef struct {
    mb_split split;     /* which part of a source that has train and test parts */
    long max_images;    /* keep at most this many (the first ones after shuffling); 0 = all */
    uint64_t seed;      /* shuffling / procedural generation */
    /* Everything below defaults to "off" when zero. */
    int shuffle;        /* 1: seeded shuffle before max_images / imbalance pick the images */
    double test_fraction; /* >0: split a source without a test part, seeded by split_seed */
    uint64_t split_seed;  /* the test_fraction hold-out: train and test parts loaded with
                             one split_seed are complementary, whatever their seeds */
    int n_imbalance;    /* imbalance=CLASS:SHARE, kept exactly (see data/subset.c) */
    struct { int label; double share; } imbalance[MB_MAX_IMBALANCE];
    int resize_height, resize_width; /* image folders: resize to this size instead of
                                        rejecting images of another size */
    int channels;       /* image folders: force 1 (gray) or 3 (RGB); 0: from the first image */
    mb_shapes_options shapes;
} mb_data_options;

/* Default Debian location of the dataset-fashion-mnist package; the environment
 * variable MADBENCH_FASHION_MNIST overrides it. */
#define MB_FASHION_MNIST_DIR "/usr/share/datasets/fashion-mnist"

/* source is one of:
 *   "fashion-mnist"            the Debian package's IDX files (train / t10k by split)
 *   "shapes", "shapes32"       the procedural set, 28x28 gray / 32x32 RGB
 *   a directory holding IDX files {train,t10k}-{images-idx3,labels-idx1}-ubyte[.gz]
 *   a path to an IDX images file (.gz or raw; labels are read from the matching
 *     labels file, "images-idx3" -> "labels-idx1", when present)
 *   a CIFAR-10 binary batch (.bin) or the directory holding data_batch_N.bin and
 *     test_batch.bin
 *   a folder of PNG/JPEG images, classes = subfolders (torchvision ImageFolder)
 * opt may be NULL for the defaults. On failure ds is left empty and one error
 * naming the file, what is wrong and what was expected is recorded. */
int mb_dataset_load(mb_dataset *ds, const char *source, const mb_data_options *opt);
void mb_dataset_free(mb_dataset *ds);

/* Values per image (channels * height * width). */
static inline size_t mb_dataset_image_size(const mb_dataset *ds)
{
    return (size_t)ds->channels * ds->height * ds->width;
}

/* Sets one option from its command-line form (key=value): n (max_images), split
 * (train|test), seed, shuffle, test_fraction, imbalance (CLASS:SHARE, repeatable or
 * comma-separated), resize (HxW or N), channels, and the shapes options
 * radius (normal:MEAN:STD or uniform:LO:HI), intensity (LO:HI), aspect (LO:HI),
 * kinds (disk,ellipse,square), shares (0.5,0.3,0.2), noise (STD).
 * Returns MB_EINPUT naming the key when the key or value is not understood. */
int mb_data_option_set(mb_data_options *opt, const char *key, const char *value);
/* The options mb_data_option_set knows (its table, ended by a NULL key), with
 * the form of their values and a line of help each. */
typedef struct {
    const char *key, *value, *help;
    int (*set)(mb_data_options *opt, const char *key, const char *value);
} mb_data_option;
extern const mb_data_option mb_data_option_table[];

/* Allocates an empty data set of n images (labels / attrs when asked), every
 * sample MB_ORIGIN_REAL, pixels not allocated. */
int mb_dataset_alloc(mb_dataset *ds, int n, int channels, int height, int width,
                     int with_labels, int n_attrs);
/* dst = the images idx[0..n-1] of src (pixels, labels, origin, attrs, names kept). */
int mb_dataset_select(mb_dataset *dst, const mb_dataset *src, const int *idx, int n);
/* counts[n_classes] of each label; returns MB_EINPUT when unlabelled. */
int mb_dataset_class_counts(const mb_dataset *ds, long *counts);
/* Sets images = pixels / 255 (after a reader filled pixels). */
void mb_dataset_pixels_to_images(mb_dataset *ds);

/* Applies shuffle, test_fraction, imbalance and max_images of opt to a loaded set
 * (data/subset.c). The split part picks train or test when test_fraction > 0. */
int mb_dataset_subset(mb_dataset *ds, const mb_data_options *opt);

/* Readers (each fills ds completely or leaves it empty with an error). */
int mb_idx_read(mb_dataset *ds, const char *images_path, const char *labels_path);
int mb_cifar_read(mb_dataset *ds, const char *const *paths, int n_paths);
int mb_folder_read(mb_dataset *ds, const char *dir, const mb_data_options *opt);

/* Writers. IDX: images idx3 (1 channel) and, when labelled and labels_path is not
 * NULL, labels idx1; gzip-compressed when the path ends in ".gz". PNG folder: one
 * PNG per image (8 digits: its index in ds), under dir/NN_<class name>/ when
 * labelled (NN = the label, so that sorted folder names keep label order), else
 * directly in dir, which must be new or empty: the layout mb_folder_read,
 * torchvision's ImageFolder and clean-fid read back (pytorch-fid reads flat
 * folders only: write a copy with labels = NULL for it). Values are
 * rounded to 8 bits: images that came from 8-bit files round-trip exactly. */
int mb_idx_write(const mb_dataset *ds, const char *images_path, const char *labels_path);
int mb_png_folder_write(const mb_dataset *ds, const char *dir);
/* CIFAR-10 binary batch (3x32x32, labelled): used by the tests and fuzz seeds. */
int mb_cifar_write(const mb_dataset *ds, const char *path);

/* The shapes set: n images from (seed, opt). Image i depends only on (seed, i)
 * and the options, never on thread counts. Attributes (see mb_shapes_attr):
 * radius (px; equal-area radius of every kind), cx, cy (px, centre of mass,
 * pixel centres at integer + 0.5), intensity (gray) or red, green, blue, aspect
 * (ellipse minor/major), angle (radians, ellipse major axis, in [0, pi)). */
int mb_shapes_generate(mb_dataset *ds, int n, uint64_t seed, const mb_shapes_options *opt);
/* Fills zero fields of opt with the defaults for the given size (28 or 32). */
void mb_shapes_defaults(mb_shapes_options *opt);

enum {
    MB_SHAPES_RADIUS = 0, MB_SHAPES_CX, MB_SHAPES_CY, MB_SHAPES_INTENSITY, /* gray */
    MB_SHAPES_ASPECT, MB_SHAPES_ANGLE
};
/* Attribute layout of colour shapes: radius, cx, cy, red, green, blue, aspect, angle. */
enum {
    MB_SHAPES_RGB_RED = 3, MB_SHAPES_RGB_GREEN, MB_SHAPES_RGB_BLUE, MB_SHAPES_RGB_ASPECT,
    MB_SHAPES_RGB_ANGLE
};

/* Attribute measurer: recovers the attributes above from one image [C,H,W] in
 * [0,1] (real or generated), into attrs[] in the same layout as the generator's
 * for that channel count. Background = median of the border pixels; the shape =
 * pixels at least half the peak; its level = median of its interior pixels;
 * area = sum of (pixel - background) / level within 2 px of the shape; radius =
 * sqrt(area / pi); centre, aspect and angle from the first and second moments.
 * Tested bounds (tests/data/test_data_shapes.c): on clean shapes images radius and
 * centre within 0.05 px, level within 0.01, ellipse aspect within 0.08; with
 * pixel noise of std 0.05, radius within 0.5 px. Returns the number of
 * attributes, or 0 (attributes NaN) for an image with no shape. */
typedef enum {
    MB_SHAPE_WELL_FORMED = 0,
    MB_SHAPE_NONE,  /* no shape found (attributes NaN) */
    MB_SHAPE_FAINT, /* level (mean over channels) below 0.2: half the lowest real level */
    MB_SHAPE_BLOBS  /* more than one bright part (each >= 10% of the largest, 2+ px) */
} mb_shape_verdict;
/* verdict (may be NULL): whether the image holds one well-formed shape; the
 * attributes are measured all the same unless no shape is found. */
int mb_shapes_measure(const float *image, int channels, int height, int width, float *attrs,
                      mb_shape_verdict *verdict);
/* The measurer over a whole data set: out[n, n_attrs], verdict [n] (may be NULL). */
int mb_shapes_measure_all(const mb_dataset *ds, float *out, mb_shape_verdict *verdict);
/* radius [n]: the measured radius of each well-formed image, NaN for a malformed
 * one (no shape, too faint, more than one blob), which the attribute statistics
 * count apart. */
int mb_shapes_radius(const mb_dataset *ds, float *radius);

#endif
