/* cpu/backend.c — choosing a backend by name. */
#include "mb_backend.h"

#include <string.h>

mb_backend *mb_backend_create(const char *name)
{
    if (!name || !strcmp(name, "auto")) {
#ifdef MB_HAVE_CUDA
        if (mb_cuda_device_count() > 0)
            return mb_backend_cuda_create();
#endif
        return mb_backend_cpu_create();
    }
    if (!strcmp(name, "cpu"))
        return mb_backend_cpu_create();
    if (!strcmp(name, "cuda")) {
#ifdef MB_HAVE_CUDA
        return mb_backend_cuda_create();
#else
        mb_fail(MB_ENODEVICE, "--device cuda: this madbench was built without CUDA "
                              "(expected nvcc at configure time)");
        return NULL;
#endif
    }
    mb_fail(MB_EINPUT, "--device '%s': unknown device (expected cpu, cuda or auto)", name);
    return NULL;
}

void mb_backend_destroy(mb_backend *be)
{
    if (be)
        be->destroy(be);
}
