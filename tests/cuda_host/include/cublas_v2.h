/* cublas_v2.h — the host execution layer stands in for the CUDA header (see ../cuda_host.h). */
#include "../cuda_host.h"
