/* loop/config.c — the run configuration: one table of keys drives the parser,
 * the defaults, `madbench run --help` and the resolved config written to each run. */
#include "mb_files.h"
#include "mb_loop.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* K_DATA: a data option (data.<option>), kept as the string mb_data_option_set reads */
typedef enum { K_INT, K_LONG, K_DOUBLE, K_FLOAT, K_STRING, K_ENUM, K_DATA } key_type;

typedef struct {
    const char *key;   /* section.name */
    key_type type;
    size_t offset;     /* into mb_run_config */
    size_t size;       /* K_STRING: buffer size; K_ENUM: sizeof the enum */
    const char *const *names; /* K_ENUM: value i is names[i] */
    double lo, hi;     /* numeric range */
    const char *help;
} config_key;

static const char *const kind_names[] = {"vae", "ae", NULL};
static const char *const loss_names[] = {"bce", "mse", NULL};
static const char *const generator_names[] = {"vae", "ae-gauss", "ae-gmm", "recon", NULL};
static const char *const loop_names[] = {"fully-synthetic", "synthetic-augmentation",
                                         "fresh-data", NULL};
static const char *const composition_names[] = {"replace", "accumulate", NULL};
static const char *const filter_names[] = {"confidence", "recon", NULL};
static const char *const feature_names[] = {"judge", "pixels", "random", NULL};
static const char *const export_names[] = {"none", "png", "idx", NULL};

#define F(field) offsetof(mb_run_config, field), sizeof(((mb_run_config *)0)->field)
#define BIG 1e15
/* Image counts are ints in memory: far beyond any real data set, and n * image
 * size stays within size_t. */
#define MAX_IMAGES 1e8

static const config_key keys[] = {
    {"run.name", K_STRING, F(name), NULL, 0, 0, "run folder name under run.out"},
    {"run.generations", K_INT, F(generations), NULL, 1, 1000, "generations G"},
    {"run.seed", K_LONG, F(seed), NULL, 0, BIG, "seed of every random choice"},
    {"run.device", K_STRING, F(device), NULL, 0, 0, "cpu, cuda or auto"},
    {"run.threads", K_INT, F(threads), NULL, 0, 1024, "CPU threads (0: all cores)"},
    {"run.out", K_STRING, F(out), NULL, 0, 0, "folder that holds the run folders"},
    {"data.source", K_STRING, F(source), NULL, 0, 0,
     "real data: fashion-mnist, shapes, shapes32, an IDX / CIFAR path or an image folder"},
    {"data.n_real", K_LONG, F(n_real), NULL, 1, MAX_IMAGES,
     "real training images (fresh-data: per generation)"},
    {"data.n_test", K_LONG, F(n_test), NULL, 2, MAX_IMAGES,
     "real test images: the reference set of every metric"},
    {"data.test_fraction", K_DATA, F(test_fraction), NULL, 0, 0,
     "hold out this share of a source without a test part (e.g. an image folder "
     "without train/ and test/) as its test split (empty: none)"},
    {"data.imbalance", K_DATA, F(imbalance), NULL, 0, 0,
     "CLASS:SHARE[,CLASS:SHARE] shares imposed on the real training data (empty: none)"},
    {"data.resize", K_DATA, F(resize), NULL, 0, 0,
     "image folders: HEIGHTxWIDTH or SIDE to resize every image to (empty: as stored)"},
    {"data.channels", K_DATA, F(channels), NULL, 0, 0,
     "image folders: 1 (gray) or 3 (RGB) (empty: from the first image)"},
    {"data.radius", K_DATA, F(radius), NULL, 0, 0,
     "shapes: radius distribution normal:MEAN:STD or uniform:LO:HI, pixels (empty: default)"},
    {"data.intensity", K_DATA, F(intensity), NULL, 0, 0,
     "shapes: gray level range LO:HI (empty: default)"},
    {"data.aspect", K_DATA, F(aspect), NULL, 0, 0,
     "shapes: ellipse minor/major axis ratio range LO:HI (empty: default)"},
    {"data.kinds", K_DATA, F(kinds), NULL, 0, 0,
     "shapes: kinds drawn, among disk,ellipse,square (empty: disk)"},
    {"data.shares", K_DATA, F(shares), NULL, 0, 0,
     "shapes: share of each kind, e.g. 0.5,0.3,0.2 (empty: equal)"},
    {"data.noise", K_DATA, F(noise), NULL, 0, 0,
     "shapes: standard deviation of Gaussian pixel noise (empty: none)"},
    {"model.kind", K_ENUM, F(model.kind), kind_names, 0, 0, "vae or ae (deterministic)"},
    {"model.loss", K_ENUM, F(model.loss), loss_names, 0, 0, "reconstruction loss: bce or mse"},
    {"model.latent", K_INT, F(model.latent), NULL, 1, 4096, "latent size d"},
    {"model.beta", K_FLOAT, F(model.beta), NULL, 0, 1e6, "weight of the KL term"},
    {"model.conv1", K_INT, F(model.conv1_channels), NULL, 1, 4096, "channels of conv 1"},
    {"model.conv2", K_INT, F(model.conv2_channels), NULL, 1, 4096, "channels of conv 2"},
    {"model.batch", K_INT, F(model.batch), NULL, 1, 65536, "minibatch size"},
    {"model.lr", K_FLOAT, F(model.adam.lr), NULL, 1e-9, 10, "Adam learning rate"},
    {"model.epochs", K_INT, F(epochs), NULL, 1, 1000000, "training epochs per generation"},
    {"model.warm_start", K_INT, F(warm_start), NULL, 0, 1,
     "1: start each generation from the previous model; 0: from scratch"},
    {"generate.generator", K_ENUM, F(generator), generator_names, 0, 0,
     "vae, ae-gauss, ae-gmm or recon"},
    {"generate.n_synthetic", K_LONG, F(n_synthetic), NULL, 0, MAX_IMAGES,
     "synthetic images per generation (0: data.n_real)"},
    {"generate.lambda", K_DOUBLE, F(lambda), NULL, 0, 1e6,
     "sampling bias: z ~ N(0, lambda I) (scales the fitted covariance for ae-*)"},
    {"generate.gmm_components", K_INT, F(gmm_components), NULL, 1, 16,
     "components of the ae-gmm latent mixture"},
    {"loop.type", K_ENUM, F(type), loop_names, 0, 0,
     "fully-synthetic, synthetic-augmentation or fresh-data"},
    {"loop.composition", K_ENUM, F(composition), composition_names, 0, 0,
     "replace (newest synthetic set only) or accumulate (all synthetic sets so far)"},
    {"loop.real_fraction", K_DOUBLE, F(real_fraction), NULL, 0, 0.99,
     "share of real images in the next train set (not with fully-synthetic)"},
    {"filter.fraction", K_DOUBLE, F(filter_fraction), NULL, 0, 0.99,
     "drop this share of the synthetic set, worst first (0: off)"},
    {"filter.by", K_ENUM, F(filter_by), filter_names, 0, 0,
     "confidence (judge's top class probability) or recon (reconstruction error)"},
    {"reweight.alpha", K_DOUBLE, F(reweight_alpha), NULL, 0, 100,
     "tail reweighting: resample synthetic data with weight rarity^alpha (0: off)"},
    {"reweight.k", K_INT, F(reweight_k), NULL, 1, 100, "k of the k-NN rarity"},
    {"provenance.detector", K_INT, F(detector), NULL, 0, 1,
     "1: a detector flags synthetic samples (rate tpr) and real ones (rate fpr); "
     "flagged samples are dropped"},
    {"provenance.tpr", K_DOUBLE, F(detector_tpr), NULL, 0, 1, "detector true positive rate"},
    {"provenance.fpr", K_DOUBLE, F(detector_fpr), NULL, 0, 1, "detector false positive rate"},
    {"watermark.enabled", K_INT, F(watermark), NULL, 0, 1,
     "1: mark every synthetic image; drop images whose correlation exceeds the threshold"},
    {"watermark.eps", K_DOUBLE, F(watermark_eps), NULL, 0, 1, "watermark amplitude"},
    {"watermark.threshold", K_DOUBLE, F(watermark_threshold), NULL, -1, 1,
     "normalised correlation above which an image counts as marked"},
    {"watermark.key", K_LONG, F(watermark_key), NULL, 0, BIG, "key of the pattern"},
    {"metrics.features", K_ENUM, F(features), feature_names, 0, 0,
     "judge (CNN features), pixels or random (seeded projection)"},
    {"metrics.judge_epochs", K_INT, F(judge_epochs), NULL, 1, 1000,
     "training epochs of the judge classifier (cached per data set)"},
    {"metrics.prdc_k", K_INT, F(metrics.prdc_k), NULL, 1, 100, "k of precision/recall"},
    {"metrics.kid_subsets", K_INT, F(metrics.kid_subsets), NULL, 1, 100000, "KID subsets"},
    {"metrics.kid_subset_size", K_INT, F(metrics.kid_subset_size), NULL, 2, 1000000,
     "KID subset size (capped at the set sizes)"},
    {"export.format", K_ENUM, F(export_format), export_names, 0, 0,
     "write each synthetic set as none, png (folder) or idx"},
};

void mb_run_config_default(mb_run_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    snprintf(cfg->name, sizeof cfg->name, "run");
    cfg->generations = 5;
    cfg->seed = 1;
    snprintf(cfg->device, sizeof cfg->device, "auto");
    snprintf(cfg->out, sizeof cfg->out, "results");
    snprintf(cfg->source, sizeof cfg->source, "fashion-mnist");
    cfg->n_real = 10000;
    cfg->n_test = 5000;
    mb_model_config_default(&cfg->model);
    cfg->epochs = 10;
    cfg->generator = MB_GEN_VAE;
    cfg->lambda = 1;
    cfg->gmm_components = 10;
    cfg->type = MB_LOOP_FULLY_SYNTHETIC;
    cfg->composition = MB_COMPOSE_REPLACE;
    cfg->real_fraction = 0;
    cfg->filter_by = MB_FILTER_CONFIDENCE;
    cfg->reweight_k = 5;
    cfg->detector_tpr = 0.9;
    cfg->detector_fpr = 0.05;
    cfg->watermark_eps = 0.08;
    cfg->watermark_threshold = 0.1;
    cfg->watermark_key = 20231001;
    cfg->features = MB_FEATURES_JUDGE;
    mb_judge_config judge;
    mb_judge_config_default(&judge);
    cfg->judge_epochs = judge.epochs; /* the same judge (and cache) as madbench metrics */
    mb_metrics_options_default(&cfg->metrics);
}

static const config_key *find_key(const char *key)
{
    for (size_t i = 0; i < MB_ARRAY_LEN(keys); i++)
        if (!strcmp(keys[i].key, key))
            return &keys[i];
    return NULL;
}

static void enum_list(const config_key *k, char *out, size_t len)
{
    out[0] = 0;
    for (int i = 0; k->names[i]; i++)
        snprintf(out + strlen(out), len - strlen(out), "%s%s", i ? ", " : "", k->names[i]);
}

/* config.ini must read back exactly what was set: no control characters (a tab
 * or a newline), no leading or trailing blank (trimmed by the reader), no ';'
 * after a blank (an inline comment). */
static int check_string(const char *key, const char *value, const char *where)
{
    const size_t n = strlen(value);
    for (size_t i = 0; i < n; i++) {
        const unsigned char c = (unsigned char)value[i];
        if (c < 0x20 || c == 0x7f)
            return mb_fail(MB_EINPUT, "%s: %s = '%s' holds the control character 0x%02x "
                           "(expected printable characters)", where, key, value, c);
        if (c == ';' && (i == 0 || value[i - 1] == ' '))
            return mb_fail(MB_EINPUT, "%s: %s = '%s' has a ';' first or after a blank, which "
                           "config.ini reads as a comment (expected neither)", where, key,
                           value);
    }
    if (n && (value[0] == ' ' || value[n - 1] == ' '))
        return mb_fail(MB_EINPUT, "%s: %s = '%s' starts or ends with a blank (expected "
                       "none: config.ini trims them)", where, key, value);
    return MB_OK;
}

int mb_run_config_set(mb_run_config *cfg, const char *key, const char *value, const char *where)
{
    const config_key *k = find_key(key);
    if (!k)
        return mb_fail(MB_EINPUT, "%s: unknown key '%s' (madbench run --help lists the keys)",
                       where, key);
    char *field = (char *)cfg + k->offset, *end;
    if (k->type == K_DATA && value[0]) { /* checked now, applied when the data loads */
        mb_data_options scratch = {0};
        if (mb_data_option_set(&scratch, key + strlen("data."), value) != MB_OK) {
            char why[512];
            snprintf(why, sizeof why, "%s", mb_last_error());
            return mb_fail(MB_EINPUT, "%s: %s: %s", where, key, why);
        }
    }
    if (k->type == K_STRING || k->type == K_DATA) {
        if (strlen(value) >= k->size)
            return mb_fail(MB_EINPUT, "%s: %s is longer than %zu characters", where, key,
                           k->size - 1);
        MB_TRY(check_string(key, value, where));
        memcpy(field, value, strlen(value) + 1);
        return MB_OK;
    }
    if (k->type == K_ENUM) {
        for (int i = 0; k->names[i]; i++)
            if (!strcmp(k->names[i], value)) {
                *(int *)field = i; /* every enum here is int-sized */
                return MB_OK;
            }
        char list[256];
        enum_list(k, list, sizeof list);
        return mb_fail(MB_EINPUT, "%s: %s = '%s' (expected one of: %s)", where, key, value, list);
    }
    errno = 0;
    const double v = strtod(value, &end);
    if (errno || end == value || *end || !isfinite(v))
        return mb_fail(MB_EINPUT, "%s: %s = '%s' is not a number", where, key, value);
    if (v < k->lo || v > k->hi)
        return mb_fail(MB_EINPUT, "%s: %s = %s is out of range (expected %g..%g)", where, key,
                       value, k->lo, k->hi);
    if ((k->type == K_INT || k->type == K_LONG) && v != floor(v))
        return mb_fail(MB_EINPUT, "%s: %s = %s (expected an integer)", where, key, value);
    switch (k->type) {
    case K_INT: *(int *)field = (int)v; break;
    case K_LONG: *(long *)field = (long)v; break;
    case K_DOUBLE: *(double *)field = v; break;
    default: *(float *)field = (float)v; break;
    }
    return MB_OK;
}

static int on_key(void *cfg, const char *section, const char *name, const char *value,
                  const char *where)
{
    char key[256];
    if (snprintf(key, sizeof key, "%s%s%s", section, section[0] ? "." : "", name) >=
        (int)sizeof key)
        return mb_fail(MB_EINPUT, "%s: key too long (madbench run --help lists the keys)",
                       where);
    return mb_run_config_set(cfg, key, value, where);
}

/* config.ini is read by util/ini.c, so a value reads back exactly as
 * mb_run_config_write wrote it, whatever its length. */
int mb_run_config_load(mb_run_config *cfg, const char *path)
{
    char *text;
    size_t len;
    MB_TRY(mb_read_file(path, "config file", (size_t)1 << 20, &text, &len));
    const int rc = strlen(text) != len
                       ? mb_fail(MB_EINPUT, "%s: holds a NUL byte (expected an INI text file)",
                                 path)
                       : mb_ini_parse(text, path, on_key, cfg);
    free(text);
    return rc;
}

int mb_run_config_check(const mb_run_config *c)
{
    if (c->type == MB_LOOP_FULLY_SYNTHETIC && c->real_fraction > 0)
        return mb_fail(MB_EINPUT, "config: loop.real_fraction = %g with loop.type = "
                       "fully-synthetic (expected 0: that loop sees no real data after "
                       "generation 1)", c->real_fraction);
    if (c->type != MB_LOOP_FULLY_SYNTHETIC && c->real_fraction <= 0)
        return mb_fail(MB_EINPUT, "config: loop.type = %s needs loop.real_fraction > 0",
                       loop_names[c->type]);
    if (c->generator == MB_GEN_VAE && c->model.kind != MB_MODEL_VAE)
        return mb_fail(MB_EINPUT, "config: generate.generator = vae needs model.kind = vae "
                       "(an AE has no prior: use ae-gauss, ae-gmm or recon)");
    if (c->detector && c->watermark)
        return mb_fail(MB_EINPUT, "config: provenance.detector and watermark.enabled are two "
                       "detectors of the same thing (expected at most one)");
    /* "." or ".." would put the run's files into run.out or its parent */
    if (!strcmp(c->name, "") || !strcmp(c->name, ".") || !strcmp(c->name, "..") ||
        strchr(c->name, '/'))
        return mb_fail(MB_EINPUT, "config: run.name = '%s' (expected a folder name: not "
                       "empty, '.' or '..', without '/')", c->name);
    MB_TRY(check_string("run.name", c->name, "config"));
    if (strcmp(c->device, "cpu") && strcmp(c->device, "cuda") && strcmp(c->device, "auto"))
        return mb_fail(MB_EINPUT, "config: run.device = '%s' (expected cpu, cuda or auto)",
                       c->device);
    return MB_OK;
}

static void format_value(const mb_run_config *cfg, const config_key *k, char *out, size_t len)
{
    const char *field = (const char *)cfg + k->offset;
    switch (k->type) {
    case K_INT: snprintf(out, len, "%d", *(const int *)field); break;
    case K_LONG: snprintf(out, len, "%ld", *(const long *)field); break;
    /* the shortest form that reads back exactly: 0.001, not 0.00100000005 */
    case K_DOUBLE: mb_format_shortest(out, len, *(const double *)field, 0); break;
    case K_FLOAT: mb_format_shortest(out, len, *(const float *)field, 1); break;
    case K_STRING:
    case K_DATA: snprintf(out, len, "%s", field); break;
    case K_ENUM: snprintf(out, len, "%s", k->names[*(const int *)field]); break;
    }
}

int mb_run_config_data_options(const mb_run_config *cfg, mb_data_options *opt)
{
    for (size_t i = 0; i < MB_ARRAY_LEN(keys); i++) {
        const char *value = (const char *)cfg + keys[i].offset;
        if (keys[i].type == K_DATA && value[0])
            MB_TRY(mb_data_option_set(opt, keys[i].key + strlen("data."), value));
    }
    return MB_OK;
}

int mb_run_config_write(const mb_run_config *cfg, const char *path)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return mb_fail(MB_EIO, "%s: cannot write: %s", path, strerror(errno));
    fprintf(f, "# madbench %s: the resolved configuration of this run\n", MADBENCH_VERSION);
    char section[64] = "";
    for (size_t i = 0; i < MB_ARRAY_LEN(keys); i++) {
        const char *dot = strchr(keys[i].key, '.');
        const size_t slen = (size_t)(dot - keys[i].key);
        if (strlen(section) != slen || strncmp(section, keys[i].key, slen)) {
            snprintf(section, sizeof section, "%.*s", (int)slen, keys[i].key);
            fprintf(f, "\n[%s]\n", section);
        }
        char value[MB_PATH_MAX];
        format_value(cfg, &keys[i], value, sizeof value);
        fprintf(f, "%s = %s\n", dot + 1, value);
    }
    return fclose(f) ? mb_fail(MB_EIO, "%s: write failed", path) : MB_OK;
}

void mb_run_config_help(FILE *out)
{
    mb_run_config d;
    mb_run_config_default(&d);
    for (size_t i = 0; i < MB_ARRAY_LEN(keys); i++) {
        char value[MB_PATH_MAX], list[256] = "";
        format_value(&d, &keys[i], value, sizeof value);
        if (keys[i].type == K_ENUM)
            enum_list(&keys[i], list, sizeof list);
        fprintf(out, "  %-26s %s (default: %s)\n", keys[i].key, keys[i].help,
                value[0] ? value : "empty");
    }
}
