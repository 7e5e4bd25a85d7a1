/* mb_judge.h — the feature extractor every metric sees: the judge network (a
 * small CNN classifier trained once on real labelled data, or the encoder of an
 * autoencoder for unlabelled data), frozen and cached on disk; or raw pixels; or a
 * fixed seeded random projection of the pixels (cross-checks). */
#ifndef MB_JUDGE_H
#define MB_JUDGE_H

#include "mb_model.h"

typedef enum {
    MB_FEATURES_JUDGE = 0,  /* classifier penultimate layer, or AE encoder mu standardised */
    MB_FEATURES_PIXELS = 1, /* the image itself, [C*H*W] */
    MB_FEATURES_RANDOM = 2  /* pixels times a fixed Gaussian matrix / sqrt(dim) */
} mb_feature_kind;

/* "judge", "pixels", "random"; MB_EINPUT naming the value otherwise. */
int mb_feature_kind_parse(const char *name, mb_feature_kind *out);
const char *mb_feature_kind_name(mb_feature_kind kind);

typedef struct {
    int features;       /* classifier: width of the penultimate layer (the features): 128 */
    int conv1, conv2;   /* channels of the two stride-2 convolutions: 32, 64 */
    int epochs;         /* classifier training epochs: 5 (Fashion-MNIST: 89.4% test accuracy) */
    int batch;          /* 128 */
    float lr;           /* Adam: 1e-3 */
    uint64_t seed;      /* initialisation, shuffling, random projection */
    int ae_latent;      /* unlabelled data: AE latent size = feature dimension: 32 */
    int ae_epochs;      /* 5 */
    int random_dim;     /* random projection: 64 */
    const char *cache_dir; /* NULL: $MADBENCH_CACHE, else $XDG_CACHE_HOME/madbench,
                              else ~/.cache/madbench */
    int no_cache;       /* 1: neither read nor write the cache */
} mb_judge_config;

void mb_judge_config_default(mb_judge_config *cfg);

#define MB_JUDGE_MAX_LAYERS 10

typedef struct {
    mb_feature_kind kind;
    mb_backend *be;
    mb_judge_config cfg;
    int channels, height, width;
    int dim;          /* feature dimension */
    int n_classes;    /* > 0: a classifier (features from its penultimate layer) */
    int is_ae;        /* unlabelled judge: features = AE encoder mu */
    /* classifier */
    mb_layer layers[MB_JUDGE_MAX_LAYERS];
    int n_layers, feature_layer; /* features = output of layers[feature_layer] */
    size_t n_params;
    mb_real *params, *grads, *adam_m, *adam_v; /* one arena */
    mb_real *acts[MB_JUDGE_MAX_LAYERS + 1], *dacts[MB_JUDGE_MAX_LAYERS + 1];
    mb_real *scratch_of[MB_JUDGE_MAX_LAYERS];
    double *loss_accum; /* backend [1] */
    void *param_arena, *act_arena;
    /* autoencoder: features = mu diag(ae_scale) + ae_shift, standardised with the
     * real training set's per-coordinate mean and std */
    mb_model ae;
    int standardised;
    mb_real *ae_scale; /* backend [dim, dim], diagonal 1 / std */
    mb_real *ae_shift; /* backend [dim], -mean / std */
    mb_real *ae_mu;    /* backend [batch, dim] staging */
    /* random projection [dim, C*H*W] */
    mb_real *projection;
    mb_real *batch_in;  /* [batch, C*H*W] input staging */
    uint64_t data_hash; /* content hash of the training set (judge kinds) */
    double test_accuracy; /* classifier on the evaluation set; NaN when not measured */
    int from_cache;
    char cache_path[1024];
} mb_judge;

/* Prepares the extractor for images shaped like `train`. MB_FEATURES_JUDGE: loads
 * the judge from the cache (key: content hash of `train` + cfg) or trains it on
 * `train` and writes the cache; a classifier when `train` has labels, else an
 * autoencoder. `test` (may be NULL; labelled) measures the classifier's accuracy. */
int mb_judge_prepare(mb_judge *j, mb_backend *be, mb_feature_kind kind,
                     const mb_judge_config *cfg, const mb_dataset *train,
                     const mb_dataset *test);
/* features: backend [ds->n, j->dim]; labels: host [ds->n] classes predicted by the
 * classifier, or NULL (ignored unless n_classes > 0). */
int mb_judge_features(mb_judge *j, const mb_dataset *ds, mb_real *features, int *labels);
/* Share of ds (labelled) that the classifier labels correctly. */
int mb_judge_accuracy(mb_judge *j, const mb_dataset *ds, double *accuracy);
/* confidence[i] = the classifier's top softmax probability for image i
 * (MB_EINPUT unless the judge is a classifier). */
int mb_judge_confidence(mb_judge *j, const mb_dataset *ds, double *confidence);
void mb_judge_destroy(mb_judge *j);

/* 64-bit FNV-1a of a data set's shape, pixels and labels: the cache key. */
uint64_t mb_dataset_content_hash(const mb_dataset *ds);

#endif
