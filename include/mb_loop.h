/* mb_loop.h — the self-consuming loop: configuration, curation stages and the
 * run driver (docs/design.md, "Data flow of one run"). */
#ifndef MB_LOOP_H
#define MB_LOOP_H

#include "mb_dataset.h"
#include "mb_judge.h"
#include "mb_metrics.h"
#include "mb_model.h"

typedef enum {
    MB_LOOP_FULLY_SYNTHETIC = 0,      /* train set g+1 = synthetic set g */
    MB_LOOP_SYNTHETIC_AUGMENTATION = 1, /* a fixed real set + synthetic */
    MB_LOOP_FRESH_DATA = 2            /* new real samples every generation + synthetic */
} mb_loop_type;

typedef enum { MB_COMPOSE_REPLACE = 0, MB_COMPOSE_ACCUMULATE = 1 } mb_composition;

typedef enum {
    MB_GEN_VAE = 0,      /* z ~ N(0, lambda I), decode */
    MB_GEN_AE_GAUSS = 1, /* full-covariance Gaussian fitted to the latent codes */
    MB_GEN_AE_GMM = 2,   /* K-component GMM fitted to the latent codes by EM */
    MB_GEN_RECON = 3     /* the current train set passed through the model */
} mb_generator;

typedef enum { MB_FILTER_CONFIDENCE = 0, MB_FILTER_RECON = 1 } mb_filter_by;
typedef enum { MB_EXPORT_NONE = 0, MB_EXPORT_PNG = 1, MB_EXPORT_IDX = 2 } mb_export_format;

#define MB_PATH_MAX 1024

typedef struct {
    /* [run] */
    char name[128];
    int generations;
    long seed;
    char device[16];
    int threads;
    char out[MB_PATH_MAX];
    /* [data] */
    char source[MB_PATH_MAX];
    long n_real, n_test;
    /* the data options of mb_data_option_set as given (data.<option>); "": default */
    char test_fraction[32], imbalance[256], resize[32], channels[8];
    char radius[64], intensity[64], aspect[64], kinds[64], shares[64], noise[32];
    /* [model] */
    mb_model_config model; /* kind, loss, latent, beta, conv1, conv2, batch, lr */
    int epochs;
    int warm_start;
    /* [generate] */
    mb_generator generator;
    long n_synthetic; /* 0: as many as the real train set */
    double lambda;
    int gmm_components;
    /* [loop] */
    mb_loop_type type;
    mb_composition composition;
    double real_fraction;
    /* [filter] */
    double filter_fraction;
    mb_filter_by filter_by;
    /* [reweight] */
    double reweight_alpha;
    int reweight_k;
    /* [provenance] */
    int detector;
    double detector_tpr, detector_fpr;
    int watermark;
    double watermark_eps, watermark_threshold;
    long watermark_key;
    /* [metrics] */
    mb_feature_kind features;
    int judge_epochs;
    mb_metrics_options metrics;
    /* [export] */
    mb_export_format export_format;
} mb_run_config;

void mb_run_config_default(mb_run_config *cfg);
/* "section.key" = value; MB_EINPUT naming the key (and what it accepts) otherwise.
 * `where` names the origin for messages (a file:line or "command line"). */
int mb_run_config_set(mb_run_config *cfg, const char *key, const char *value,
                      const char *where);
/* Applies the data.<option> keys that are set to opt (mb_data_option_set). */
int mb_run_config_data_options(const mb_run_config *cfg, mb_data_options *opt);
/* Reads an INI file ([section] then key = value lines). */
int mb_run_config_load(mb_run_config *cfg, const char *path);
/* Cross-key checks (e.g. real_fraction with a fully synthetic loop). */
int mb_run_config_check(const mb_run_config *cfg);
/* The resolved configuration as an INI file that mb_run_config_load reads back. */
int mb_run_config_write(const mb_run_config *cfg, const char *path);
/* Every key with its default and meaning (for --help and the README). */
void mb_run_config_help(FILE *out);

/* ---- the watermark (loop/curate.c; the curation stages: loop/stages.c) ---- */
/* The keyed watermark pattern: +-1 per value of an image [C*H*W], zero mean. */
void mb_watermark_pattern(uint64_t key, size_t n_values, float *pattern);
/* x <- clamp(x + eps * pattern, 0, 1) for every image of ds. */
void mb_watermark_embed(mb_dataset *ds, const float *pattern, double eps);
/* Normalised correlation of each image (centred) with the pattern, into score[n]. */
void mb_watermark_scores(const mb_dataset *ds, const float *pattern, double *score);

/* ---- the run ---- */
/* Runs (or, with resume, continues) the experiment into cfg->out/cfg->name. */
int mb_run(const mb_run_config *cfg, int resume, const char *command_line);
/* Loads the data and prepares the judge exactly as mb_run does (trains and caches
 * it, or loads it from the cache), and nothing else: the warm-up of a sweep. */
int mb_run_prepare_judge(const mb_run_config *cfg);

#endif
