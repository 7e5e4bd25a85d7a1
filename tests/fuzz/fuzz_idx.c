/* fuzz_idx.c — libFuzzer target for the IDX reader (raw or gzip). The input is
 * split by its first two bytes into an images file and a labels file beside it;
 * with a zero split the images file stands alone. */
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    size_t split = (size_t)data[0] << 8 | data[1];
    data += 2;
    size -= 2;
    if (split > size)
        split = size;
    const char *images = fuzz_path("f-images-idx3-ubyte");
    const char *labels = fuzz_path("f-labels-idx1-ubyte");
    if (split == 0) {
        fuzz_write(images, data, size);
        unlink(labels);
    } else {
        fuzz_write(images, data, split);
        fuzz_write(labels, data + split, size - split);
    }
    mb_dataset ds;
    mb_data_options opt = {0};
    fuzz_check(mb_dataset_load(&ds, images, &opt), &ds);
    return 0;
}
