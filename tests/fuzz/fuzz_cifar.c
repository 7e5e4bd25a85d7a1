/* fuzz_cifar.c — libFuzzer target for the CIFAR-10 binary batch reader. The
 * first byte picks options (shuffle, imbalance, n) so that the subset code is
 * fuzzed on whatever labels the input carries. */
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    uint8_t mode = data[0];
    const char *path = fuzz_path("data_batch_1.bin");
    fuzz_write(path, data + 1, size - 1);
    mb_data_options opt = {0};
    opt.shuffle = mode & 1;
    opt.max_images = (mode >> 1) & 7;
    if (mode & 16) {
        opt.n_imbalance = 1;
        opt.imbalance[0].label = (mode >> 5) & 7;
        opt.imbalance[0].share = 0.25;
    }
    mb_dataset ds;
    fuzz_check(mb_dataset_load(&ds, path, &opt), &ds);
    return 0;
}
