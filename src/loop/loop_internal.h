/* loop/loop_internal.h — what the loop's source files share. */
#ifndef MB_LOOP_INTERNAL_H
#define MB_LOOP_INTERNAL_H

#include "mb_loop.h"
#include "mb_row.h"

/* Independent random streams of one generation. */
typedef enum {
    MB_PURPOSE_MODEL = 1,    /* initialisation and VAE noise */
    MB_PURPOSE_SHUFFLE,      /* batch order */
    MB_PURPOSE_SAMPLE,       /* latent draws */
    MB_PURPOSE_FIT,          /* GMM seeding */
    MB_PURPOSE_DETECTOR,     /* provenance detector decisions */
    MB_PURPOSE_RESAMPLE,     /* tail reweighting */
    MB_PURPOSE_TRIM          /* which synthetic samples fill the quota */
} mb_loop_purpose;

uint64_t mb_loop_stream(const mb_run_config *cfg, int generation, mb_loop_purpose purpose);

/* Synthetic set of generation g (n images, origin g) from the trained model. */
int mb_loop_generate(const mb_run_config *cfg, mb_model *m, const mb_dataset *train, int g,
                     long n, mb_dataset *out);
/* Per-image reconstruction loss (the model's loss, summed over pixels) of ds. */
int mb_loop_recon_errors(mb_model *m, const mb_dataset *ds, double *err);

/* ---- curation stages (loop/stages.c) ---- */
typedef struct {
    const mb_run_config *cfg;
    int g;                    /* the generation whose model made S_g */
    mb_dataset set;           /* the candidates, owned: S_g, or the real part of train set g+1 */
    int synthetic;            /* set is S_g; else real images */
    long first_id;            /* real images: the sample id of set[0] (ids follow in order) */
    const float *pattern;     /* the watermark pattern when watermark.enabled */
    mb_judge *judge;          /* filter by confidence, reweighting */
    mb_model *model;          /* filter by reconstruction error */
    mb_dataset *pool;         /* the synthetic pool that the composition updates */
    mb_generation_info *info; /* the row's counts and rates */
    unsigned char *keep;      /* [set.n] during mb_loop_curate: 0 = dropped */
    long *ids;                /* [set.n] during mb_loop_curate: sample ids (kept by resampling) */
} mb_curation;

/* One stage: every stage has this signature and does nothing while its config
 * keys leave it off. */
typedef struct {
    const char *name;
    const char *keys;              /* the config keys that switch it on and shape it */
    int on_real;                   /* also screens the real part of the next train set */
    int (*apply)(mb_curation *cu);
} mb_curation_stage;

/* The stages in the order they apply. */
extern const mb_curation_stage mb_curation_stages[];
extern const int mb_n_curation_stages;

/* Applies the stages to cu->set: S_g ends in the pool (cu->set empty), a real
 * part ends as the images it kept (cu->set). */
int mb_loop_curate(mb_curation *cu);

/* ---- curation pieces (loop/curate.c) ---- */
/* sample_ids identify samples across generations so that the detector's
 * decision is a property of the sample. */
int mb_loop_detector_keep(const mb_run_config *cfg, const mb_dataset *ds, uint64_t stream,
                          const long *sample_ids, unsigned char *keep, long *dropped);
/* How many scores exceed threshold. With keep (may be NULL) those samples are
 * dropped too, and *dropped grows by the ones still kept until then. */
long mb_loop_count_above(const double *score, int n, double threshold, unsigned char *keep,
                         long *dropped);
/* The watermark check of ds (mb_watermark_scores, then mb_loop_count_above):
 * *flagged = images that carry the mark; keep and dropped as above. */
int mb_watermark_check(const mb_dataset *ds, const float *pattern, double threshold,
                       unsigned char *keep, long *dropped, long *flagged);
void mb_loop_keep_best(const double *score, int n, double fraction, unsigned char *keep);
void mb_loop_resample(const double *weight, int n, uint64_t stream, int *idx);
int mb_loop_select(mb_dataset *dst, const mb_dataset *src, const int *idx, int n);
int mb_loop_take(mb_dataset *dst, const mb_dataset *src, const unsigned char *keep);
int mb_loop_concat(mb_dataset *dst, const mb_dataset *a, const mb_dataset *b);

#endif
