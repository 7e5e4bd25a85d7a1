/* model/checkpoint.c — a model's configuration, parameters and Adam state in one file:
 *
 *   "MADBENCH" (8 bytes) | u32 version | u32 bytes per real |
 *   i32 kind, channels, height, width, conv1, conv2, latent, loss, batch |
 *   f32 beta, lr, beta1, beta2, eps | u64 seed, n_params | i64 step | u64 noise_counter |
 *   i32 generation, i32 reserved | u64 config_hash (mb_checkpoint_tag) |
 *   reals: parameters, Adam m, Adam v (n_params each) | u32 CRC-32 of all the above
 *
 * Little-endian, as every machine madbench targets. Written to a temporary file,
 * fsync'ed and renamed, so a crash never leaves a half-written checkpoint. */
#include "mb_files.h"
#include "mb_model.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#define MB_CKPT_MAGIC "MADBENCH"
#define MB_CKPT_VERSION 2u /* 2: the tag (generation, config hash) */

typedef struct {
    char magic[8];
    uint32_t version, real_bytes;
    int32_t kind, channels, height, width, conv1, conv2, latent, loss, batch;
    float beta, lr, beta1, beta2, eps;
    uint64_t seed, n_params;
    int64_t step;
    uint64_t noise_counter;
    int32_t generation, reserved;
    uint64_t config_hash;
} mb_ckpt_header;

static int write_all(int fd, const void *buf, size_t len, const char *path)
{
    const char *p = buf;
    while (len) {
        ssize_t w = write(fd, p, len);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return mb_fail(MB_EIO, "%s: write failed: %s", path, strerror(errno));
        p += w, len -= (size_t)w;
    }
    return MB_OK;
}

int mb_checkpoint_save(const mb_model *m, const char *path, const mb_checkpoint_tag *tag)
{
    mb_backend *be = m->be;
    const mb_model_config *c = &m->cfg;
    mb_ckpt_header h;
    memset(&h, 0, sizeof h);
    memcpy(h.magic, MB_CKPT_MAGIC, 8);
    h.version = MB_CKPT_VERSION, h.real_bytes = sizeof(mb_real);
    h.kind = c->kind, h.channels = c->channels, h.height = c->height, h.width = c->width;
    h.conv1 = c->conv1_channels, h.conv2 = c->conv2_channels, h.latent = c->latent;
    h.loss = c->loss, h.batch = c->batch;
    h.beta = c->beta, h.lr = c->adam.lr, h.beta1 = c->adam.beta1, h.beta2 = c->adam.beta2;
    h.eps = c->adam.eps, h.seed = c->seed, h.n_params = m->n_params, h.step = m->step;
    h.noise_counter = m->noise_counter;
    if (tag)
        h.generation = tag->generation, h.config_hash = tag->config_hash;

    const size_t state_bytes = 3 * m->n_params * sizeof(mb_real);
    mb_real *state = mb_host_alloc(state_bytes, "checkpoint");
    if (!state)
        return MB_ENOMEM;
    be->download(be, state, m->params, m->n_params * sizeof(mb_real));
    be->download(be, state + m->n_params, m->adam_m, 2 * m->n_params * sizeof(mb_real));
    uint32_t crc = (uint32_t)crc32(0L, (const Bytef *)&h, sizeof h);
    crc = (uint32_t)crc32(crc, (const Bytef *)state, (uInt)state_bytes);

    char tmp[MB_PATH_LEN];
    int fd = -1, rc = mb_path(tmp, sizeof tmp, "%s.tmp", path);
    if (rc == MB_OK && (fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)) < 0)
        rc = mb_fail(MB_EIO, "%s: cannot create: %s", tmp, strerror(errno));
    if (rc == MB_OK)
        rc = write_all(fd, &h, sizeof h, tmp);
    if (rc == MB_OK)
        rc = write_all(fd, state, state_bytes, tmp);
    if (rc == MB_OK)
        rc = write_all(fd, &crc, sizeof crc, tmp);
    if (rc == MB_OK && fsync(fd))
        rc = mb_fail(MB_EIO, "%s: fsync failed: %s", tmp, strerror(errno));
    if (fd >= 0 && close(fd) && rc == MB_OK)
        rc = mb_fail(MB_EIO, "%s: close failed: %s", tmp, strerror(errno));
    if (rc == MB_OK && rename(tmp, path))
        rc = mb_fail(MB_EIO, "%s: cannot rename to %s: %s", tmp, path, strerror(errno));
    if (rc != MB_OK && fd >= 0)
        unlink(tmp);
    free(state);
    return rc;
}

int mb_checkpoint_load(mb_model *m, mb_backend *be, const char *path,
                       const mb_checkpoint_tag *expect)
{
    char *buf = NULL;
    size_t len = 0;
    MB_TRY(mb_read_file(path, "checkpoint", (size_t)1 << 40, &buf, &len));
    int rc = MB_OK;
    mb_ckpt_header h;
    if (len < sizeof h + 4 || memcmp(buf, MB_CKPT_MAGIC, 8)) {
        rc = mb_fail(MB_EINPUT, "%s: not a madbench checkpoint (expected the 'MADBENCH' header)",
                     path);
        goto done;
    }
    memcpy(&h, buf, sizeof h);
    if (h.version != MB_CKPT_VERSION || h.real_bytes != sizeof(mb_real)) {
        rc = mb_fail(MB_EINPUT, "%s: checkpoint version %u with %u-byte reals (expected "
                     "version %u, %zu-byte reals)", path, h.version, h.real_bytes,
                     MB_CKPT_VERSION, sizeof(mb_real));
        goto done;
    }
    const size_t state_bytes = 3 * (size_t)h.n_params * sizeof(mb_real);
    if (h.n_params > ((size_t)1 << 34) || len != sizeof h + state_bytes + 4) {
        rc = mb_fail(MB_EINPUT, "%s: checkpoint is %zu bytes, expected %zu for %llu "
                     "parameters (truncated or corrupt)", path, len, sizeof h + state_bytes + 4,
                     (unsigned long long)h.n_params);
        goto done;
    }
    uint32_t stored, crc = (uint32_t)crc32(0L, (const Bytef *)buf, (uInt)(sizeof h + state_bytes));
    memcpy(&stored, buf + sizeof h + state_bytes, 4);
    if (stored != crc) {
        rc = mb_fail(MB_EINPUT, "%s: checksum mismatch (stored %08x, computed %08x): the file "
                     "is corrupt", path, stored, crc);
        goto done;
    }
    if (expect && (h.generation != expect->generation || h.config_hash != expect->config_hash)) {
        rc = mb_fail(MB_EINPUT, "%s: checkpoint of generation %d, configuration %016llx "
                     "(expected generation %d, configuration %016llx: this run's)", path,
                     h.generation, (unsigned long long)h.config_hash, expect->generation,
                     (unsigned long long)expect->config_hash);
        goto done;
    }
    mb_model_config c = {
        .kind = (mb_model_kind)h.kind, .channels = h.channels, .height = h.height,
        .width = h.width, .conv1_channels = h.conv1, .conv2_channels = h.conv2,
        .latent = h.latent, .beta = h.beta, .loss = (mb_loss_kind)h.loss, .batch = h.batch,
        .adam = {.lr = h.lr, .beta1 = h.beta1, .beta2 = h.beta2, .eps = h.eps},
        .seed = h.seed,
    };
    if ((rc = mb_model_create(m, be, &c)) != MB_OK) {
        rc = mb_fail(rc, "%s: %s", path, mb_last_error());
        goto done;
    }
    if (m->n_params != h.n_params) {
        rc = mb_fail(MB_EINPUT, "%s: %llu parameters stored but the configuration needs %zu",
                     path, (unsigned long long)h.n_params, m->n_params);
        mb_model_destroy(m);
        goto done;
    }
    const mb_real *state = (const mb_real *)(buf + sizeof h);
    be->upload(be, m->params, state, m->n_params * sizeof(mb_real));
    be->upload(be, m->adam_m, state + m->n_params, 2 * m->n_params * sizeof(mb_real));
    m->step = h.step;
    m->noise_counter = h.noise_counter;
done:
    free(buf);
    return rc;
}
