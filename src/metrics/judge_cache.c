/* metrics/judge_cache.c — the frozen judge on disk, keyed by the training set's content
 * hash and the judge's configuration, so it is trained once per data set:
 *
 *   <cache>/judge-<cnn|ae-std>-<data hash>-<config hash>.<bin|ckpt>
 *
 * The classifier file: "MBJUDGE1" | u32 version | u32 bytes per real |
 * u64 data hash, config hash | i32 channels, height, width, classes, conv1, conv2,
 * features, batch, epochs | f64 test accuracy | u64 n_params | parameters (f32) |
 * u32 CRC-32 of all the above. Written to a temporary file and renamed, under an
 * exclusive lock of the training set's (judge-<data hash>.lock) that also covers
 * the check for an existing file, so that concurrent processes train it once and
 * never read it half-written. The autoencoder judge is an ordinary checkpoint
 * (model/checkpoint.c). */
#include "mb_files.h"
#include "mb_judge.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#define JUDGE_MAGIC "MBJUDGE1"
#define JUDGE_VERSION 2u /* 2: features normalised to unit mean square */
/* The autoencoder judge's feature definition names its files: "ae-std" = mu
 * standardised per coordinate with the training set's statistics (before: "ae",
 * raw mu). A new definition takes a new name, so an old file is never read. */
#define AE_FEATURES_NAME "ae-std"

typedef struct {
    char magic[8];
    uint32_t version, real_bytes;
    uint64_t data_hash, config_hash;
    int32_t channels, height, width, classes, conv1, conv2, features, batch, epochs, pad;
    double test_accuracy;
    uint64_t n_params;
} judge_header;

static uint64_t fnv1a(uint64_t h, const void *data, size_t len)
{
    const unsigned char *p = data;
    for (size_t i = 0; i < len; i++) {
        h ^= p[i];
        h *= 0x100000001b3ull;
    }
    return h;
}

uint64_t mb_dataset_content_hash(const mb_dataset *ds)
{
    uint64_t h = 0xcbf29ce484222325ull;
    const int32_t shape[5] = {ds->n, ds->channels, ds->height, ds->width, ds->n_classes};
    h = fnv1a(h, shape, sizeof shape);
    const size_t len = (size_t)ds->n * mb_dataset_image_size(ds);
    if (ds->pixels)
        h = fnv1a(h, ds->pixels, len);
    else
        h = fnv1a(h, ds->images, len * sizeof(float));
    if (ds->labels)
        h = fnv1a(h, ds->labels, (size_t)ds->n * sizeof(int));
    return h;
}

static uint64_t config_hash(const mb_judge *j)
{
    const mb_judge_config *c = &j->cfg;
    const int32_t v[8] = {c->features, c->conv1, c->conv2, j->is_ae ? c->ae_epochs : c->epochs,
                          c->batch, j->is_ae ? c->ae_latent : 0, j->is_ae, (int32_t)sizeof(mb_real)};
    uint64_t h = fnv1a(0xcbf29ce484222325ull, v, sizeof v);
    const uint32_t version = JUDGE_VERSION;
    h = fnv1a(h, &version, sizeof version);
    h = fnv1a(h, &c->lr, sizeof c->lr);
    return fnv1a(h, &c->seed, sizeof c->seed);
}

/* The cache folder; MB_EINPUT (recorded) when its path would not fit in len. */
static int cache_dir(const mb_judge *j, char *dir, size_t len)
{
    const char *env = getenv("MADBENCH_CACHE"), *xdg = getenv("XDG_CACHE_HOME");
    const char *home = getenv("HOME");
    if (j->cfg.cache_dir)
        return mb_path(dir, len, "%s", j->cfg.cache_dir);
    if (env && *env)
        return mb_path(dir, len, "%s", env);
    if (xdg && *xdg)
        return mb_path(dir, len, "%s/madbench", xdg);
    return mb_path(dir, len, "%s/.cache/madbench", home && *home ? home : "/tmp");
}

/* An exclusive lock per training set (<cache>/judge-<data hash>.lock), held while a
 * process loads or trains and saves the judge: -1 when it cannot be taken (the
 * judge is then prepared without it, as before). */
int mb_judge_cache_lock(const mb_judge *j)
{
    char dir[sizeof j->cache_path - 64], path[sizeof j->cache_path];
    if (cache_dir(j, dir, sizeof dir) != MB_OK || mb_make_dirs(dir) != MB_OK ||
        mb_path(path, sizeof path, "%s/judge-%016llx.lock", dir,
                (unsigned long long)j->data_hash) != MB_OK) {
        mb_clear_error();
        return -1;
    }
    const int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0)
        return -1;
    if (flock(fd, LOCK_EX | LOCK_NB) == 0)
        return fd;
    mb_progress("judge: another process holds %s (training this judge?): waiting for it\n",
                path);
    while (flock(fd, LOCK_EX)) {
        if (errno != EINTR) {
            close(fd);
            return -1;
        }
    }
    return fd;
}

void mb_judge_cache_unlock(int lock)
{
    if (lock >= 0)
        close(lock); /* releases the lock */
}

void mb_judge_cache_path(mb_judge *j, const char *ext)
{
    char dir[sizeof j->cache_path - 64];
    int rc = cache_dir(j, dir, sizeof dir);
    if (rc == MB_OK)
        rc = mb_path(j->cache_path, sizeof j->cache_path, "%s/judge-%s-%016llx-%08llx.%s", dir,
                     j->is_ae ? AE_FEATURES_NAME : "cnn", (unsigned long long)j->data_hash,
                     (unsigned long long)(config_hash(j) & 0xffffffffull), ext);
    if (rc != MB_OK && !j->cfg.no_cache) { /* never a truncated path: no cache instead */
        mb_warn("%s: the judge will not be cached", mb_last_error());
        j->cfg.no_cache = 1;
    }
    if (!j->cfg.no_cache && mb_make_dirs(dir) != MB_OK) {
        mb_warn("%s: the judge will not be cached", mb_last_error());
        mb_clear_error();
    }
}

static void fill_header(const mb_judge *j, judge_header *h)
{
    memset(h, 0, sizeof *h);
    memcpy(h->magic, JUDGE_MAGIC, 8);
    h->version = JUDGE_VERSION;
    h->real_bytes = sizeof(float);
    h->data_hash = j->data_hash;
    h->config_hash = config_hash(j);
    h->channels = j->channels, h->height = j->height, h->width = j->width;
    h->classes = j->n_classes, h->conv1 = j->cfg.conv1, h->conv2 = j->cfg.conv2;
    h->features = j->cfg.features, h->batch = j->cfg.batch, h->epochs = j->cfg.epochs;
    h->test_accuracy = j->test_accuracy;
    h->n_params = j->n_params;
}

int mb_judge_cache_save(const mb_judge *j)
{
    mb_backend *be = j->be;
    judge_header h;
    fill_header(j, &h);
    mb_real *params = malloc(j->n_params * sizeof *params);
    float *f = malloc(j->n_params * sizeof *f);
    if (!params || !f) {
        free(params);
        free(f);
        return mb_fail(MB_ENOMEM, "out of memory writing the judge cache");
    }
    be->download(be, params, j->params, j->n_params * sizeof *params);
    for (size_t i = 0; i < j->n_params; i++)
        f[i] = (float)params[i];
    uint32_t crc = (uint32_t)crc32(0L, (const Bytef *)&h, sizeof h);
    crc = (uint32_t)crc32(crc, (const Bytef *)f, (uInt)(j->n_params * sizeof *f));
    char tmp[1100];
    snprintf(tmp, sizeof tmp, "%s.tmp%ld", j->cache_path, (long)getpid());
    FILE *out = fopen(tmp, "wb");
    int ok = out && fwrite(&h, sizeof h, 1, out) == 1 &&
             fwrite(f, sizeof *f, j->n_params, out) == j->n_params &&
             fwrite(&crc, sizeof crc, 1, out) == 1;
    ok = out && fclose(out) == 0 && ok;
    free(params);
    free(f);
    if (!ok || rename(tmp, j->cache_path)) {
        const int err = errno;
        remove(tmp);
        return mb_fail(MB_EIO, "%s: cannot write the judge cache: %s", j->cache_path,
                       strerror(err));
    }
    return MB_OK;
}

int mb_judge_cache_load(mb_judge *j)
{
    FILE *in;
    if (mb_fopen_regular(j->cache_path, "judge cache", &in) != MB_OK)
        return mb_fail(MB_EIO, "%s", mb_last_error()); /* no cached judge: train one */
    judge_header want, h;
    fill_header(j, &want);
    float *f = malloc(j->n_params * sizeof *f);
    mb_real *params = malloc(j->n_params * sizeof *params);
    uint32_t crc_stored = 0;
    int rc = MB_OK;
    if (!f || !params) {
        rc = mb_fail(MB_ENOMEM, "out of memory reading the judge cache");
    } else if (fread(&h, sizeof h, 1, in) != 1 || memcmp(h.magic, JUDGE_MAGIC, 8) ||
               h.version != JUDGE_VERSION || h.data_hash != want.data_hash ||
               h.config_hash != want.config_hash || h.n_params != want.n_params ||
               h.classes != want.classes || h.channels != want.channels ||
               h.height != want.height || h.width != want.width) {
        rc = mb_fail(MB_EINPUT, "%s: not a judge for this data set and configuration",
                     j->cache_path);
    } else if (fread(f, sizeof *f, j->n_params, in) != j->n_params ||
               fread(&crc_stored, sizeof crc_stored, 1, in) != 1) {
        rc = mb_fail(MB_EINPUT, "%s: truncated judge cache", j->cache_path);
    } else {
        uint32_t crc = (uint32_t)crc32(0L, (const Bytef *)&h, sizeof h);
        crc = (uint32_t)crc32(crc, (const Bytef *)f, (uInt)(j->n_params * sizeof *f));
        if (crc != crc_stored) {
            rc = mb_fail(MB_EINPUT, "%s: judge cache checksum mismatch (corrupt file)",
                         j->cache_path);
        } else {
            for (size_t i = 0; i < j->n_params; i++)
                params[i] = f[i];
            j->be->upload(j->be, j->params, params, j->n_params * sizeof *params);
            j->test_accuracy = h.test_accuracy;
        }
    }
    if (rc == MB_EINPUT)
        mb_warn("%s (retraining the judge)", mb_last_error());
    fclose(in);
    free(f);
    free(params);
    return rc;
}
