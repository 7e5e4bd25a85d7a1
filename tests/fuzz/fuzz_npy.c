/* fuzz_npy.c — libFuzzer target for the NumPy readers: the input is read as a
 * .npy file (the header parser) and as a .npz archive (libzip + the members
 * mu.npy and sigma.npy). A successful read is a consistent finite array; a failed
 * one is empty and says why. */
#include "fuzz_common.h"
#include "mb_npy.h"

static void check(int rc, mb_npy_array *a)
{
    if (rc != MB_OK) {
        if (a->data || a->ndim)
            abort();
        fuzz_check_failure(rc);
        return;
    }
    if (a->ndim < 1 || a->ndim > 2 || a->shape[0] < 1 || a->shape[1] < 1 || !a->data ||
        (a->word_bytes != 4 && a->word_bytes != 8) || (a->ndim == 1 && a->shape[1] != 1))
        abort();
    for (long i = 0; i < a->shape[0] * a->shape[1]; i++)
        if (!isfinite(a->data[i]))
            abort();
    mb_npy_free(a);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *npy = fuzz_path("f.npy"), *npz = fuzz_path("f.npz");
    mb_npy_array a;
    fuzz_write(npy, data, size);
    check(mb_npy_read(npy, &a), &a);
    fuzz_write(npz, data, size);
    check(mb_npz_read(npz, "mu", &a), &a);
    check(mb_npz_read(npz, "sigma", &a), &a);
    return 0;
}
