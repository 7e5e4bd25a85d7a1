/* runtime.cpp — the CUDA runtime calls of the host execution layer: the schedule,
 * device memory with guard zones, streams that run their work at synchronisation,
 * launches, and the report of a run.
 *
 * Device memory: each allocation ends where 64 KiB of PROT_NONE pages begin, so an
 * access up to 64 KiB past its rounded end faults at once (the fault handler names the kernel, block,
 * thread and allocation); the up to 255 bytes between the end and the 256-byte
 * rounding, and the bytes before the start, hold a pattern checked after every
 * kernel and library call, which catches small over- and underruns that write.
 * Fresh allocations and dynamic shared memory are filled with the schedule's poison byte,
 * so a read of memory nobody wrote differs between schedules.
 *
 * Streams: a launch, an asynchronous copy or memset, a cuBLAS / cuSOLVER call is
 * queued on its stream and runs when the host synchronises with that stream (or
 * when a synchronous call needs it), so a host read that forgets to synchronise
 * sees stale data, as it may on a GPU.
 *
 * MB_CUDA_HOST_REPORT=FILE appends one line at exit: the schedule, the kernels
 * launched, and a digest of every byte copied from the device to the host; equal
 * digests under different schedules mean bitwise identical results. */
#include "runtime.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <map>
#include <set>
#include <string>
#include <vector>

struct mbh_stream {
    bool blocking; /* synchronises with the legacy default stream */
    std::vector<std::function<void()>> queue;
};
struct mbh_event {
    cudaStream_t stream;
};

namespace mbh {

/* ---- reports ---- */
void fatal(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "cuda-host: ");
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    fflush(stderr);
    abort();
}

/* ---- the schedule ---- */
static schedule sched;
static bool sched_ready;
static uint64_t rng_state;

uint64_t next_random()
{
    /* splitmix64 */
    uint64_t z = (rng_state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static void parse_schedule(const char *v)
{
    if (!v || !*v || !strcmp(v, "forward")) {
        sched.kind = SCHED_FORWARD;
        sched.poison = 0xff; /* NaN as float and double, -1 as integers */
    } else if (!strcmp(v, "reverse")) {
        sched.kind = SCHED_REVERSE;
        sched.poison = 0x7f; /* a huge float, a huge integer */
    } else if (!strncmp(v, "random", 6) && (!v[6] || v[6] == ':')) {
        char *end = NULL;
        sched.kind = SCHED_RANDOM;
        sched.seed = v[6] ? strtoull(v + 7, &end, 0) : 1;
        if (v[6] && (end == v + 7 || *end))
            fatal("MB_CUDA_HOST_SCHEDULE='%s': the seed after 'random:' is not a number", v);
        rng_state = sched.seed;
        sched.poison = (unsigned char)(next_random() | 1);
    } else {
        fatal("MB_CUDA_HOST_SCHEDULE='%s': unknown schedule (expected forward, reverse or "
              "random:SEED)", v);
    }
    snprintf(sched.name, sizeof sched.name, "%s", v && *v ? v : "forward");
}

void set_schedule(const char *spec)
{
    parse_schedule(spec);
    sched_ready = true;
}

const schedule &the_schedule()
{
    if (!sched_ready)
        set_schedule(getenv("MB_CUDA_HOST_SCHEDULE"));
    return sched;
}

/* ---- errors ---- */
static cudaError_t last_error = cudaSuccess;

static cudaError_t record(cudaError_t e)
{
    if (e != cudaSuccess)
        last_error = e;
    return e;
}

/* ---- device memory ---- */
static const size_t PAGE = 4096;
static const size_t BACK_GUARD = 64 << 10; /* address space only: overruns fault */
static const unsigned char GUARD = 0xa5;
struct allocation {
    size_t bytes;
    char *map;       /* the mapping: guard page, data pages, BACK_GUARD */
    size_t map_bytes;
};
/* Leaked on purpose: they are read by the report at exit, after static destructors. */
static std::map<uintptr_t, allocation> &device_allocs = *new std::map<uintptr_t, allocation>;
static std::map<uintptr_t, size_t> &pinned = *new std::map<uintptr_t, size_t>;
static size_t device_used;

static size_t device_total()
{
    const char *v = getenv("MB_CUDA_HOST_MEMORY"); /* bytes, to test out-of-memory paths */
    if (v && *v)
        return strtoull(v, NULL, 0);
    return (size_t)sysconf(_SC_PHYS_PAGES) * (size_t)sysconf(_SC_PAGESIZE);
}

template <typename M> static typename M::const_iterator containing(const M &m, const void *p)
{
    auto it = m.upper_bound((uintptr_t)p);
    if (it == m.begin())
        return m.end();
    --it;
    return it;
}

bool is_device_range(const void *p, size_t bytes)
{
    auto it = containing(device_allocs, p);
    return it != device_allocs.end() && (uintptr_t)p + bytes <= it->first + it->second.bytes &&
           (uintptr_t)p <= it->first + it->second.bytes;
}

static bool is_pinned_range(const void *p, size_t bytes)
{
    auto it = containing(pinned, p);
    return it != pinned.end() && (uintptr_t)p + bytes <= it->first + it->second;
}

/* Where an address lies relative to device memory, for reports. */
static std::string describe_address(const void *p)
{
    char buf[200];
    const uintptr_t a = (uintptr_t)p;
    for (const auto &kv : device_allocs) {
        const allocation &al = kv.second;
        const uintptr_t map = (uintptr_t)al.map;
        if (a < map || a >= map + al.map_bytes)
            continue;
        if (a >= kv.first + al.bytes)
            snprintf(buf, sizeof buf, "%zu bytes past the end of a device allocation of %zu bytes",
                     (size_t)(a - kv.first - al.bytes), al.bytes);
        else if (a < kv.first)
            snprintf(buf, sizeof buf, "%zu bytes before the start of a device allocation of %zu "
                     "bytes", (size_t)(kv.first - a), al.bytes);
        else
            snprintf(buf, sizeof buf, "byte %zu of a device allocation of %zu bytes",
                     (size_t)(a - kv.first), al.bytes);
        return buf;
    }
    return "not in any device allocation";
}

void require_device_range(const char *what, const void *p, size_t bytes)
{
    if (bytes == 0 || is_device_range(p, bytes))
        return;
    const std::string start = describe_address(p);
    fatal("%s: %s: [%p, +%zu bytes) is not inside one device allocation (starts at %s, ends "
          "at %s)", where(), what, p, bytes, start.c_str(),
          describe_address((const char *)p + bytes - 1).c_str());
}

static unsigned char guard_pattern[PAGE + 320];

void check_guards(const char *after)
{
    if (guard_pattern[0] != GUARD)
        memset(guard_pattern, GUARD, sizeof guard_pattern);
    for (const auto &kv : device_allocs) {
        const allocation &al = kv.second;
        const unsigned char *front = (const unsigned char *)al.map + PAGE;
        const unsigned char *base = (const unsigned char *)kv.first;
        const unsigned char *end = (const unsigned char *)al.map + al.map_bytes - BACK_GUARD;
        if (memcmp(front, guard_pattern, (size_t)(base - front)))
            for (const unsigned char *q = front; q < base; q++)
                if (*q != GUARD)
                    fatal("after %s: a write %zu bytes before the start of a device allocation "
                          "of %zu bytes", after, (size_t)(base - q), al.bytes);
        if (memcmp(base + al.bytes, guard_pattern, (size_t)(end - base - al.bytes)))
            for (const unsigned char *q = base + al.bytes; q < end; q++)
                if (*q != GUARD)
                    fatal("after %s: a write %zu bytes past the end of a device allocation of "
                          "%zu bytes", after, (size_t)(q - base - al.bytes), al.bytes);
    }
}

/* ---- faults inside kernels and library calls ---- */
static bool executing;

static void on_fault(int sig, siginfo_t *info, void *)
{
    if (!executing) {
        signal(sig, SIG_DFL);
        return; /* the access repeats and takes the default action */
    }
    fprintf(stderr, "cuda-host: %s: invalid memory access at %p (%s)\n", where(),
            info->si_addr, describe_address(info->si_addr).c_str());
    fflush(stderr);
    signal(sig, SIG_DFL);
}

static void install_fault_handler()
{
    static bool done;
    if (done)
        return;
    done = true;
    static char alt[64 << 10]; /* the handler must run when a fiber's stack overflows */
    stack_t ss = {};
    ss.ss_sp = alt;
    ss.ss_size = sizeof alt;
    sigaltstack(&ss, NULL);
    struct sigaction sa = {};
    sa.sa_sigaction = on_fault;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
    sigaction(SIGSEGV, &sa, NULL);
    sigaction(SIGBUS, &sa, NULL);
}

/* ---- the report ---- */
static uint64_t digest = 0xcbf29ce484222325ull; /* FNV-1a of the bytes read back */
static uint64_t bytes_read_back, n_launches;
static std::set<std::string> &kernels_launched = *new std::set<std::string>;

static void read_back(const void *src, size_t bytes)
{
    const unsigned char *b = (const unsigned char *)src;
    for (size_t i = 0; i < bytes; i++)
        digest = (digest ^ b[i]) * 0x100000001b3ull;
    bytes_read_back += bytes;
}

static void write_report()
{
    const char *path = getenv("MB_CUDA_HOST_REPORT");
    if (!path || !*path)
        return;
    FILE *f = fopen(path, "a");
    if (!f) {
        fprintf(stderr, "cuda-host: MB_CUDA_HOST_REPORT=%s: %s\n", path, strerror(errno));
        return;
    }
    fprintf(f, "schedule=%s launches=%llu bytes_read_back=%llu digest=%016llx kernels=",
            the_schedule().name, (unsigned long long)n_launches,
            (unsigned long long)bytes_read_back, (unsigned long long)digest);
    const char *sep = "";
    for (const std::string &k : kernels_launched)
        fprintf(f, "%s%s", sep, k.c_str()), sep = ",";
    fputc('\n', f);
    fclose(f);
}

static void start_runtime()
{
    static bool started;
    if (started)
        return;
    started = true;
    the_schedule();
    install_fault_handler();
    atexit(write_report);
}

/* ---- streams ---- */
static mbh_stream legacy_default = {true, {}};
static std::set<mbh_stream *> &streams = *new std::set<mbh_stream *>{&legacy_default};

static mbh_stream *resolve(cudaStream_t s) { return s ? s : &legacy_default; }

static void run_queue(mbh_stream *s)
{
    /* work may queue more work (never here, but cheap to allow) */
    for (size_t i = 0; i < s->queue.size(); i++) {
        std::function<void()> w = std::move(s->queue[i]);
        w();
    }
    s->queue.clear();
}

static void sync_all()
{
    for (mbh_stream *s : streams)
        run_queue(s);
}

/* The legacy default stream waits for (and is waited for by) the blocking streams,
 * never for those created with cudaStreamNonBlocking. */
static void sync_for(mbh_stream *s)
{
    if (s == &legacy_default) {
        for (mbh_stream *o : streams)
            if (o->blocking)
                run_queue(o);
    } else {
        if (s->blocking)
            run_queue(&legacy_default);
        run_queue(s);
    }
}

cudaError_t enqueue(cudaStream_t stream, std::function<void()> work)
{
    start_runtime();
    mbh_stream *s = resolve(stream);
    if (!streams.count(s))
        return record(cudaErrorInvalidResourceHandle);
    s->queue.push_back(std::move(work));
    return cudaSuccess;
}

/* ---- launches ---- */
void check_kernel_pointer(const char *kernel, int arg, const void *p)
{
    if (!p || is_device_range(p, 0) || is_pinned_range(p, 0))
        return;
    fatal("kernel %s: argument %d is %p, which is neither device memory nor pinned host memory "
          "(%s)", kernel, arg, p, describe_address(p).c_str());
}

void launch(const char *kernel, const launch_config &c, std::function<void()> body)
{
    start_runtime();
    const size_t threads = (size_t)c.block.x * c.block.y * c.block.z;
    if (!threads || threads > 1024 || c.block.z > 64 || !c.grid.x || !c.grid.y || !c.grid.z ||
        c.grid.x > 0x7fffffffu || c.grid.y > 65535 || c.grid.z > 65535) {
        record(cudaErrorInvalidConfiguration);
        return;
    }
    if (c.shared_bytes > (48 << 10)) {
        record(cudaErrorInvalidValue);
        return;
    }
    n_launches++;
    kernels_launched.insert(kernel);
    const launch_config cfg = c;
    record(enqueue((cudaStream_t)c.stream, [kernel, cfg, body]() {
        executing = true;
        run_grid(kernel, cfg, body);
        executing = false;
        check_guards(kernel);
    }));
}

/* Runs queued library work with `call` named in fault reports. */
std::function<void()> as_library_call(const char *call, std::function<void()> work)
{
    return [call, work]() {
        set_where_library(call);
        executing = true;
        work();
        executing = false;
        set_where_library(nullptr);
        check_guards(call);
    };
}

} // namespace mbh

using namespace mbh;

/* ---- the runtime API ---- */
const char *cudaGetErrorName(cudaError_t e)
{
    switch (e) {
    case cudaSuccess: return "cudaSuccess";
    case cudaErrorInvalidValue: return "cudaErrorInvalidValue";
    case cudaErrorMemoryAllocation: return "cudaErrorMemoryAllocation";
    case cudaErrorInvalidConfiguration: return "cudaErrorInvalidConfiguration";
    case cudaErrorInvalidDevicePointer: return "cudaErrorInvalidDevicePointer";
    case cudaErrorInvalidMemcpyDirection: return "cudaErrorInvalidMemcpyDirection";
    case cudaErrorNoDevice: return "cudaErrorNoDevice";
    case cudaErrorInvalidResourceHandle: return "cudaErrorInvalidResourceHandle";
    case cudaErrorIllegalAddress: return "cudaErrorIllegalAddress";
    case cudaErrorLaunchFailure: return "cudaErrorLaunchFailure";
    }
    return "unknown error";
}

const char *cudaGetErrorString(cudaError_t e)
{
    switch (e) {
    case cudaSuccess: return "no error";
    case cudaErrorInvalidValue: return "invalid argument";
    case cudaErrorMemoryAllocation: return "out of memory";
    case cudaErrorInvalidConfiguration: return "invalid configuration argument";
    case cudaErrorInvalidDevicePointer: return "invalid device pointer";
    case cudaErrorInvalidMemcpyDirection: return "invalid copy direction for memcpy";
    case cudaErrorNoDevice: return "no CUDA-capable device is detected";
    case cudaErrorInvalidResourceHandle: return "invalid resource handle";
    case cudaErrorIllegalAddress: return "an illegal memory access was encountered";
    case cudaErrorLaunchFailure: return "unspecified launch failure";
    }
    return "unrecognized error code";
}

cudaError_t cudaGetLastError(void)
{
    const cudaError_t e = last_error;
    last_error = cudaSuccess;
    return e;
}

cudaError_t cudaPeekAtLastError(void) { return last_error; }

/* MB_CUDA_HOST_DEVICES=0 emulates a machine without a GPU. */
static int device_count()
{
    const char *v = getenv("MB_CUDA_HOST_DEVICES");
    return v && *v ? atoi(v) : 1;
}

cudaError_t cudaGetDeviceCount(int *count)
{
    *count = device_count();
    return record(*count > 0 ? cudaSuccess : cudaErrorNoDevice);
}

cudaError_t cudaGetDevice(int *device)
{
    *device = 0;
    return device_count() > 0 ? cudaSuccess : record(cudaErrorNoDevice);
}

cudaError_t cudaSetDevice(int device)
{
    return record(device >= 0 && device < device_count() ? cudaSuccess : cudaErrorInvalidValue);
}

cudaError_t cudaGetDeviceProperties(cudaDeviceProp *p, int device)
{
    if (device < 0 || device >= device_count())
        return record(cudaErrorInvalidValue);
    memset(p, 0, sizeof *p);
    snprintf(p->name, sizeof p->name, "host emulation");
    /* The limits of the GPUs madbench targets (Hopper, compute capability 9.0). */
    p->major = 9, p->minor = 0;
    p->totalGlobalMem = device_total();
    p->sharedMemPerBlock = 48 << 10;
    p->warpSize = 32;
    p->maxThreadsPerBlock = 1024;
    p->maxThreadsDim[0] = p->maxThreadsDim[1] = 1024, p->maxThreadsDim[2] = 64;
    p->maxGridSize[0] = 0x7fffffff, p->maxGridSize[1] = p->maxGridSize[2] = 65535;
    p->multiProcessorCount = 1;
    return cudaSuccess;
}

cudaError_t cudaDeviceSynchronize(void)
{
    sync_all();
    return cudaSuccess;
}

cudaError_t cudaMalloc(void **ptr, size_t bytes)
{
    start_runtime();
    *ptr = NULL;
    if (bytes == 0)
        return cudaSuccess; /* CUDA returns NULL for 0 bytes */
    if (bytes > device_total() - device_used)
        return record(cudaErrorMemoryAllocation);
    const size_t rounded = (bytes + 255) & ~(size_t)255;
    const size_t data_pages = (rounded + 64 + PAGE - 1) / PAGE;
    const size_t map_bytes = (data_pages + 1) * PAGE + BACK_GUARD;
    char *map = (char *)mmap(NULL, map_bytes, PROT_READ | PROT_WRITE,
                             MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (map == MAP_FAILED)
        return record(cudaErrorMemoryAllocation);
    mprotect(map, PAGE, PROT_NONE);
    mprotect(map + map_bytes - BACK_GUARD, BACK_GUARD, PROT_NONE);
    char *end = map + map_bytes - BACK_GUARD, *base = end - rounded;
    memset(map + PAGE, GUARD, (size_t)(base - map - PAGE));
    memset(base, the_schedule().poison, bytes); /* cudaMalloc'ed memory is not cleared */
    memset(base + bytes, GUARD, rounded - bytes);
    device_allocs[(uintptr_t)base] = allocation{bytes, map, map_bytes};
    device_used += bytes;
    *ptr = base;
    return cudaSuccess;
}

cudaError_t cudaFree(void *ptr)
{
    if (!ptr)
        return cudaSuccess;
    sync_all(); /* cudaFree synchronises the device */
    auto it = device_allocs.find((uintptr_t)ptr);
    if (it == device_allocs.end())
        return record(cudaErrorInvalidDevicePointer);
    check_guards("the work before cudaFree");
    device_used -= it->second.bytes;
    munmap(it->second.map, it->second.map_bytes); /* a later use faults */
    device_allocs.erase(it);
    return cudaSuccess;
}

cudaError_t cudaMallocHost(void **ptr, size_t bytes)
{
    *ptr = malloc(bytes ? bytes : 1);
    if (!*ptr)
        return record(cudaErrorMemoryAllocation);
    pinned[(uintptr_t)*ptr] = bytes;
    return cudaSuccess;
}

cudaError_t cudaFreeHost(void *ptr)
{
    if (!ptr)
        return cudaSuccess;
    sync_all();
    if (!pinned.erase((uintptr_t)ptr))
        return record(cudaErrorInvalidValue);
    free(ptr);
    return cudaSuccess;
}

cudaError_t cudaMemGetInfo(size_t *free_bytes, size_t *total_bytes)
{
    *total_bytes = device_total();
    *free_bytes = *total_bytes - device_used;
    return cudaSuccess;
}

/* The direction a copy really has, checked against the one it claims. */
static cudaError_t copy_kind(void *dst, const void *src, size_t bytes, cudaMemcpyKind kind,
                             bool *dst_dev, bool *src_dev)
{
    *dst_dev = is_device_range(dst, 0);
    *src_dev = is_device_range(src, 0);
    if (kind == cudaMemcpyDefault)
        return cudaSuccess;
    if (kind < cudaMemcpyHostToHost || kind > cudaMemcpyDeviceToDevice)
        return cudaErrorInvalidMemcpyDirection;
    const bool want_dst = kind == cudaMemcpyHostToDevice || kind == cudaMemcpyDeviceToDevice;
    const bool want_src = kind == cudaMemcpyDeviceToHost || kind == cudaMemcpyDeviceToDevice;
    if (want_dst != *dst_dev || want_src != *src_dev)
        return cudaErrorInvalidValue;
    if (*dst_dev)
        require_device_range("cudaMemcpy destination", dst, bytes);
    if (*src_dev)
        require_device_range("cudaMemcpy source", src, bytes);
    return cudaSuccess;
}

cudaError_t cudaMemcpyAsync(void *dst, const void *src, size_t bytes, cudaMemcpyKind kind,
                            cudaStream_t stream)
{
    start_runtime();
    bool dst_dev, src_dev;
    const cudaError_t e = copy_kind(dst, src, bytes, kind, &dst_dev, &src_dev);
    if (e != cudaSuccess)
        return record(e);
    mbh_stream *s = resolve(stream);
    if (!streams.count(s))
        return record(cudaErrorInvalidResourceHandle);
    if (dst_dev && !src_dev && !is_pinned_range(src, bytes)) {
        /* a pageable source is staged before the call returns */
        auto staged = std::make_shared<std::vector<char>>((const char *)src, (const char *)src + bytes);
        return enqueue(s, [dst, staged]() { memcpy(dst, staged->data(), staged->size()); });
    }
    if (!dst_dev && src_dev && !is_pinned_range(dst, bytes)) {
        /* into pageable memory the copy is complete when the call returns */
        sync_for(s);
        memcpy(dst, src, bytes);
        read_back(dst, bytes);
        return cudaSuccess;
    }
    return enqueue(s, [dst, src, bytes, dst_dev, src_dev]() {
        memcpy(dst, src, bytes);
        if (src_dev && !dst_dev)
            read_back(dst, bytes);
    });
}

cudaError_t cudaMemcpy(void *dst, const void *src, size_t bytes, cudaMemcpyKind kind)
{
    const cudaError_t e = cudaMemcpyAsync(dst, src, bytes, kind, 0);
    if (e != cudaSuccess)
        return e;
    sync_for(&legacy_default);
    return cudaSuccess;
}

cudaError_t cudaMemsetAsync(void *dst, int value, size_t bytes, cudaStream_t stream)
{
    if (!is_device_range(dst, 0))
        return record(cudaErrorInvalidValue);
    require_device_range("cudaMemset", dst, bytes);
    return enqueue(stream, [dst, value, bytes]() { memset(dst, value, bytes); });
}

cudaError_t cudaMemset(void *dst, int value, size_t bytes)
{
    const cudaError_t e = cudaMemsetAsync(dst, value, bytes, 0);
    sync_for(&legacy_default);
    return e;
}

cudaError_t cudaStreamCreateWithFlags(cudaStream_t *stream, unsigned flags)
{
    if (flags & ~(unsigned)cudaStreamNonBlocking)
        return record(cudaErrorInvalidValue);
    *stream = new mbh_stream{!(flags & cudaStreamNonBlocking), {}};
    streams.insert(*stream);
    return cudaSuccess;
}

cudaError_t cudaStreamCreate(cudaStream_t *stream)
{
    return cudaStreamCreateWithFlags(stream, cudaStreamDefault);
}

cudaError_t cudaStreamDestroy(cudaStream_t stream)
{
    if (!stream || !streams.count(stream))
        return record(cudaErrorInvalidResourceHandle);
    run_queue(stream); /* queued work still completes */
    streams.erase(stream);
    delete stream;
    return cudaSuccess;
}

cudaError_t cudaStreamSynchronize(cudaStream_t stream)
{
    mbh_stream *s = resolve(stream);
    if (!streams.count(s))
        return record(cudaErrorInvalidResourceHandle);
    sync_for(s);
    return cudaSuccess;
}

cudaError_t cudaEventCreate(cudaEvent_t *event)
{
    *event = new mbh_event{nullptr};
    return cudaSuccess;
}

cudaError_t cudaEventDestroy(cudaEvent_t event)
{
    delete event;
    return cudaSuccess;
}

cudaError_t cudaEventRecord(cudaEvent_t event, cudaStream_t stream)
{
    event->stream = resolve(stream);
    return cudaSuccess;
}

cudaError_t cudaEventSynchronize(cudaEvent_t event)
{
    if (event->stream)
        sync_for(event->stream);
    return cudaSuccess;
}

/* The host layer has no device clock: timings are not measured here. */
cudaError_t cudaEventElapsedTime(float *ms, cudaEvent_t, cudaEvent_t)
{
    *ms = 0;
    return cudaSuccess;
}
