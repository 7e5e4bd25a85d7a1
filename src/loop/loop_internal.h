/* loop/loop_internal.h — what the loop's source files share. */
#ifndef MB_LOOP_INTERNAL_H
#define MB_LOOP_INTERNAL_H

#include "mb_loop.h"

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

/* Curation pieces (loop/curate.c). sample_ids identify samples across
 * generations so that the detector's decision is a property of the sample. */
int mb_loop_detector_keep(const mb_run_config *cfg, const mb_dataset *ds, uint64_t stream,
                          const long *sample_ids, unsigned char *keep, long *dropped);
void mb_loop_keep_best(const double *score, int n, double fraction, unsigned char *keep);
void mb_loop_resample(const double *weight, int n, uint64_t stream, int *idx);
int mb_loop_select(mb_dataset *dst, const mb_dataset *src, const int *idx, int n);
int mb_loop_take(mb_dataset *dst, const mb_dataset *src, const unsigned char *keep);
int mb_loop_concat(mb_dataset *dst, const mb_dataset *a, const mb_dataset *b);

#endif
