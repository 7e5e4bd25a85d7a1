/* runtime.h — what the parts of the host execution layer share: the schedule,
 * fatal reports, device memory and the streams. Not seen by kernels/. */
#ifndef MB_CUDA_HOST_RUNTIME_H
#define MB_CUDA_HOST_RUNTIME_H

#include "cuda_host.h"

#include <stdint.h>

namespace mbh {

/* MB_CUDA_HOST_SCHEDULE: the order of threads between barriers and of blocks. */
enum schedule_kind { SCHED_FORWARD, SCHED_REVERSE, SCHED_RANDOM };
struct schedule {
    schedule_kind kind;
    uint64_t seed;       /* random only */
    unsigned char poison; /* fills fresh device and dynamic shared memory */
    char name[48];
};
const schedule &the_schedule();
/* Replaces the schedule (same syntax as the variable), for the layer's own tests. */
void set_schedule(const char *spec);
uint64_t next_random(); /* the random schedule's generator (deterministic per seed) */

/* A bug found in the code under test (or a misuse of the API): one report on
 * stderr naming the kernel or call, then abort. */
[[noreturn]] void fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "kernel k, block (..), thread (..)" or the library call being executed. */
const char *where();
void set_where_library(const char *call); /* NULL when done */

/* Runs every block of a launch (scheduler.cpp). */
void run_grid(const char *kernel, const launch_config &cfg, const std::function<void()> &body);

/* Device memory (runtime.cpp). */
bool is_device_range(const void *p, size_t bytes);
/* Aborts with a report when [p, p + bytes) is not inside one device allocation. */
void require_device_range(const char *what, const void *p, size_t bytes);
void check_guards(const char *after);

/* Streams: work is queued and runs at the stream's next synchronisation. */
cudaError_t enqueue(cudaStream_t stream, std::function<void()> work);
/* Wraps queued cuBLAS / cuSOLVER work: faults name `call`, guards are checked after. */
std::function<void()> as_library_call(const char *call, std::function<void()> work);

} // namespace mbh

#endif
