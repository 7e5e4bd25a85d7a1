/* scheduler.cpp — blocks, fibers, barriers and warps of the host execution layer.
 *
 * One block runs at a time. Each CUDA thread runs on a fiber (its own stack) until
 * it finishes or waits: at a barrier until every thread of the block is there, at
 * a warp primitive until every lane of the mask is there. The threads ready to run
 * form a queue; threads enter it in the schedule's order (forward, reverse or
 * seeded random) at the start of the block and each time a barrier or warp
 * meeting releases them, so a read of shared memory that another thread writes
 * without a barrier in between sees different values under different schedules.
 *
 * A thread that finishes hands its fiber straight to the next thread not yet
 * started, so a kernel without barriers runs its threads as plain calls on one
 * stack. Switches use a few instructions of our own on x86-64 (glibc's
 * swapcontext makes a system call on every switch, ~100x slower), ucontext
 * elsewhere. */
#include "runtime.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>

#include <algorithm>
#include <deque>
#include <vector>

#if !defined(__x86_64__)
#include <ucontext.h>
#endif

namespace mbh {

/* ---- fibers ---- */
static const size_t STACK_BYTES = 256 << 10;

struct fiber {
    int slot; /* the thread it runs, -1 when free */
    char *stack; /* mapping: a PROT_NONE guard page, then the stack */
#if defined(__x86_64__)
    void *sp;
#else
    ucontext_t uc;
#endif
};

#if defined(__x86_64__)
/* mbh_switch(save, load): push the callee-saved registers and the FP control
 * words, save the stack pointer to *save, load `load`, pop, return there. A new
 * fiber's stack is laid out as if it had called mbh_switch from mbh_fiber_start,
 * which calls r12(rbx). */
extern "C" void mbh_switch(void **save, void *load);
extern "C" void mbh_fiber_start();
asm(R"(
    .text
    .globl mbh_switch
    .type mbh_switch, @function
mbh_switch:
    pushq %rbp
    pushq %rbx
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    subq $16, %rsp
    stmxcsr 8(%rsp)
    fnstcw (%rsp)
    movq %rsp, (%rdi)
    movq %rsi, %rsp
    ldmxcsr 8(%rsp)
    fldcw (%rsp)
    addq $16, %rsp
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %rbx
    popq %rbp
    ret
    .size mbh_switch, .-mbh_switch
    .globl mbh_fiber_start
    .type mbh_fiber_start, @function
mbh_fiber_start:
    movq %rbx, %rdi
    callq *%r12
    ud2
    .size mbh_fiber_start, .-mbh_fiber_start
)");
static void *scheduler_sp;
static void to_fiber(fiber *f) { mbh_switch(&scheduler_sp, f->sp); }
static void to_scheduler(fiber *f) { mbh_switch(&f->sp, scheduler_sp); }
#else
static ucontext_t scheduler_uc;
static void to_fiber(fiber *f) { swapcontext(&scheduler_uc, &f->uc); }
static void to_scheduler(fiber *f) { swapcontext(&f->uc, &scheduler_uc); }
#endif

/* ---- the running block ---- */
enum thread_state { T_READY, T_RUNNING, T_BARRIER, T_WARP, T_DONE };
struct thread_slot {
    uint3 idx;
    int linear;
    thread_state state;
    fiber *f;
};

struct warp_meeting {
    unsigned arrived, mask;
    warp_op op;
    int width;
    uint64_t in[32], out[32];
    int arg[32];
};

thread_slot *current;
uint3 block_idx;
dim3 block_dim, grid_dim;

static const char *kernel_name;
static const std::function<void()> *kernel_body;
static std::vector<thread_slot> slots;
static std::vector<warp_meeting> warps;
static std::deque<int> ready;
static std::vector<fiber *> free_fibers;
static int n_threads, n_done;
/* the barrier being gathered */
static barrier_kind bar_kind;
static int bar_or, bar_and, bar_count, bar_result;
static std::vector<int> bar_waiters;
/* dynamic shared memory of the running block */
static std::vector<max_align_t> dyn_shared;
static size_t dyn_shared_bytes;

static std::vector<std::pair<void *, size_t>> shared_vars;

bool register_shared(void *p, size_t bytes)
{
    shared_vars.emplace_back(p, bytes);
    return true;
}

const uint3 &thread_idx()
{
    if (!current)
        fatal("threadIdx read outside a kernel");
    return current->idx;
}

void *dynamic_shared()
{
    if (!current)
        fatal("extern __shared__ memory used outside a kernel");
    return dyn_shared.data();
}

static char where_buf[256];
static const char *library_call;

void set_where_library(const char *call) { library_call = call; }

const char *where()
{
    if (kernel_name && current)
        snprintf(where_buf, sizeof where_buf, "kernel %s, block (%u,%u,%u), thread (%u,%u,%u)",
                 kernel_name, block_idx.x, block_idx.y, block_idx.z, current->idx.x,
                 current->idx.y, current->idx.z);
    else if (kernel_name)
        snprintf(where_buf, sizeof where_buf, "kernel %s", kernel_name);
    else if (library_call)
        snprintf(where_buf, sizeof where_buf, "%s", library_call);
    else
        snprintf(where_buf, sizeof where_buf, "host code");
    return where_buf;
}

static thread_slot *require_thread(const char *what)
{
    if (!current)
        fatal("%s called outside a kernel", what);
    return current;
}

/* Appends `ids` to the ready queue in the schedule's order. */
static void make_ready(std::vector<int> &ids)
{
    std::sort(ids.begin(), ids.end());
    const schedule &s = the_schedule();
    if (s.kind == SCHED_REVERSE)
        std::reverse(ids.begin(), ids.end());
    else if (s.kind == SCHED_RANDOM)
        for (size_t i = ids.size(); i > 1; i--)
            std::swap(ids[i - 1], ids[next_random() % i]);
    for (int id : ids) {
        slots[id].state = T_READY;
        ready.push_back(id);
    }
}

static void wait_here(thread_slot *t, thread_state why)
{
    t->state = why;
    to_scheduler(t->f);
    current = t;
}

static const char *warp_op_name(warp_op op)
{
    static const char *const names[] = {"__syncwarp", "__shfl_sync", "__shfl_up_sync",
                                        "__shfl_down_sync", "__shfl_xor_sync", "__ballot_sync",
                                        "__any_sync", "__all_sync"};
    return names[op];
}

/* ---- barriers ---- */
int block_barrier(barrier_kind kind, int predicate)
{
    thread_slot *t = require_thread("__syncthreads");
    if (bar_waiters.empty()) {
        bar_kind = kind;
        bar_or = 0, bar_and = 1, bar_count = 0;
    } else if (bar_kind != kind) {
        fatal("%s: threads of one block meet at different kinds of __syncthreads", where());
    }
    const int p = predicate != 0;
    bar_or |= p, bar_and &= p, bar_count += p;
    bar_waiters.push_back(t->linear);
    wait_here(t, T_BARRIER);
    t->state = T_RUNNING;
    return bar_result;
}

/* Called when no thread is ready: the barrier is complete, or the block is stuck. */
static void release_barrier()
{
    const int waiting = (int)bar_waiters.size();
    int at_warps = 0;
    for (const thread_slot &s : slots)
        at_warps += s.state == T_WARP;
    if (waiting > 0 && waiting + n_done == n_threads) {
        if (n_done > 0)
            fatal("kernel %s, block (%u,%u,%u): %d thread(s) exited while %d wait at "
                  "__syncthreads: every thread of a block must reach each barrier",
                  kernel_name, block_idx.x, block_idx.y, block_idx.z, n_done, waiting);
        bar_result = bar_kind == BAR_OR ? bar_or : bar_kind == BAR_AND ? bar_and
                     : bar_kind == BAR_COUNT ? bar_count : 0;
        std::vector<int> ids;
        ids.swap(bar_waiters);
        make_ready(ids);
        return;
    }
    fatal("kernel %s, block (%u,%u,%u): deadlock: %d thread(s) wait at __syncthreads, %d at "
          "warp primitives, %d exited (threads of a warp wait for a lane that is at a barrier "
          "or gone)",
          kernel_name, block_idx.x, block_idx.y, block_idx.z, waiting, at_warps, n_done);
}

/* ---- warps ---- */
static int source_lane(const warp_meeting &m, int lane)
{
    const int w = m.width, a = m.arg[lane], base = lane & ~(w - 1), in_seg = lane & (w - 1);
    switch (m.op) {
    case WARP_IDX: return base + (((a % w) + w) % w);
    case WARP_UP: return in_seg - a < 0 ? lane : lane - a;
    case WARP_DOWN: return in_seg + a >= w ? lane : lane + a;
    case WARP_XOR: {
        const int src = lane ^ a;
        return src > 31 || src / w > lane / w ? lane : src;
    }
    default: return lane;
    }
}

static void complete_meeting(warp_meeting &m, int warp)
{
    uint64_t ballot = 0;
    for (int l = 0; l < 32; l++)
        if (m.mask >> l & 1)
            ballot |= (uint64_t)(m.in[l] != 0) << l;
    for (int l = 0; l < 32; l++) {
        if (!(m.mask >> l & 1))
            continue;
        switch (m.op) {
        case WARP_SYNC: m.out[l] = 0; break;
        case WARP_BALLOT: m.out[l] = ballot; break;
        case WARP_ANY: m.out[l] = ballot != 0; break;
        case WARP_ALL: m.out[l] = ballot == m.mask; break;
        default: {
            const int src = source_lane(m, l);
            if (!(m.mask >> src & 1))
                fatal("kernel %s, block (%u,%u,%u), warp %d: lane %d reads lane %d with %s, "
                      "but lane %d is not in the mask 0x%08x (undefined on the GPU)",
                      kernel_name, block_idx.x, block_idx.y, block_idx.z, warp, l, src,
                      warp_op_name(m.op), src, m.mask);
            m.out[l] = m.in[src];
        }
        }
    }
}

uint64_t warp_meet(warp_op op, unsigned mask, uint64_t value, int arg, int width)
{
    thread_slot *t = require_thread(warp_op_name(op));
    const int lane = t->linear & 31, warp = t->linear >> 5;
    const int lanes_here = std::min(32, n_threads - warp * 32);
    const unsigned present = lanes_here == 32 ? 0xffffffffu : (1u << lanes_here) - 1;
    if (!(mask >> lane & 1))
        fatal("%s: %s with mask 0x%08x, which leaves out the calling lane %d", where(),
              warp_op_name(op), mask, lane);
    if (mask & ~present)
        fatal("%s: %s with mask 0x%08x names lanes that warp %d does not have (the block has "
              "%d threads)", where(), warp_op_name(op), mask, warp, n_threads);
    if (width < 1 || width > 32 || (width & (width - 1)))
        fatal("%s: %s with width %d (a power of 2 up to 32)", where(), warp_op_name(op), width);
    warp_meeting &m = warps[warp];
    if (!m.arrived) {
        m.mask = mask, m.op = op, m.width = width;
    } else if (m.mask != mask || m.op != op || m.width != width) {
        fatal("%s: %s (mask 0x%08x) while other lanes of warp %d wait at %s (mask 0x%08x): "
              "lanes of a mask must meet at the same primitive",
              where(), warp_op_name(op), mask, warp, warp_op_name(m.op), m.mask);
    }
    for (int l = 0; l < 32; l++)
        if ((mask >> l & 1) && slots[warp * 32 + l].state == T_DONE)
            fatal("%s: %s waits for lane %d, which has exited", where(), warp_op_name(op), l);
    m.in[lane] = value;
    m.arg[lane] = arg;
    m.arrived |= 1u << lane;
    if (m.arrived == mask) {
        complete_meeting(m, warp);
        m.arrived = 0;
        /* every lane, this one included, continues in the schedule's order */
        std::vector<int> ids;
        for (int l = 0; l < 32; l++)
            if (mask >> l & 1)
                ids.push_back(warp * 32 + l);
        make_ready(ids);
        to_scheduler(t->f);
        current = t;
    } else {
        wait_here(t, T_WARP);
    }
    t->state = T_RUNNING;
    return m.out[lane];
}

/* ---- running a block ---- */
static void thread_finished(thread_slot *t)
{
    t->state = T_DONE;
    n_done++;
    const int lane = t->linear & 31;
    const warp_meeting &m = warps[t->linear >> 5];
    if (m.arrived && (m.mask >> lane & 1))
        fatal("%s: exited while lanes of its warp wait for it at %s", where(), warp_op_name(m.op));
}

static void fiber_main(fiber *f)
{
    for (;;) {
        thread_slot *t = &slots[f->slot];
        current = t;
        t->state = T_RUNNING;
        (*kernel_body)();
        thread_finished(t);
        /* The next thread not started yet runs on this stack, with no switch. */
        if (!ready.empty() && !slots[ready.front()].f) {
            f->slot = ready.front();
            ready.pop_front();
            slots[f->slot].f = f;
            continue;
        }
        f->slot = -1;
        current = nullptr;
        free_fibers.push_back(f);
        to_scheduler(f);
    }
}

#if !defined(__x86_64__)
static void fiber_entry(unsigned lo, unsigned hi)
{
    fiber_main((fiber *)(((uintptr_t)hi << 32) | lo));
}
#endif

static fiber *new_fiber()
{
    fiber *f = new fiber();
    const size_t page = 4096;
    f->stack = (char *)mmap(nullptr, STACK_BYTES + page, PROT_READ | PROT_WRITE,
                            MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (f->stack == MAP_FAILED)
        fatal("out of host memory for a fiber stack");
    mprotect(f->stack, page, PROT_NONE); /* a stack overflow faults */
    f->slot = -1;
#if defined(__x86_64__)
    uintptr_t top = ((uintptr_t)f->stack + STACK_BYTES + page) & ~(uintptr_t)15;
    uint64_t *sp = (uint64_t *)top;
    *--sp = (uint64_t)(uintptr_t)mbh_fiber_start; /* return address of mbh_switch */
    *--sp = 0;                                    /* rbp */
    *--sp = (uint64_t)(uintptr_t)f;               /* rbx: the argument */
    *--sp = (uint64_t)(uintptr_t)fiber_main;      /* r12: the entry */
    *--sp = 0, *--sp = 0, *--sp = 0;              /* r13, r14, r15 */
    *--sp = 0x1f80;                               /* MXCSR at 8(%rsp): the default */
    *--sp = 0x037f;                               /* x87 control word at (%rsp) */
    f->sp = sp;
#else
    getcontext(&f->uc);
    f->uc.uc_stack.ss_sp = f->stack + page;
    f->uc.uc_stack.ss_size = STACK_BYTES;
    f->uc.uc_link = nullptr;
    makecontext(&f->uc, (void (*)())fiber_entry, 2, (unsigned)(uintptr_t)f,
                (unsigned)((uintptr_t)f >> 32));
#endif
    return f;
}

static void run_block(unsigned bx, unsigned by, unsigned bz)
{
    block_idx = {bx, by, bz};
    const unsigned char poison = the_schedule().poison;
    for (const auto &v : shared_vars)
        memset(v.first, poison, v.second);
    if (dyn_shared_bytes)
        memset(dyn_shared.data(), poison, dyn_shared_bytes);
    n_done = 0;
    bar_waiters.clear();
    for (warp_meeting &m : warps)
        m.arrived = 0;
    for (thread_slot &s : slots)
        s.f = nullptr;
    std::vector<int> ids(n_threads);
    for (int i = 0; i < n_threads; i++)
        ids[i] = i;
    ready.clear();
    make_ready(ids);
    while (n_done < n_threads) {
        if (ready.empty()) {
            release_barrier();
            continue;
        }
        thread_slot &t = slots[ready.front()];
        ready.pop_front();
        if (!t.f) {
            if (free_fibers.empty())
                free_fibers.push_back(new_fiber());
            t.f = free_fibers.back();
            free_fibers.pop_back();
            t.f->slot = t.linear;
        }
        current = &t;
        to_fiber(t.f);
        current = nullptr;
    }
}

void run_grid(const char *kernel, const launch_config &cfg, const std::function<void()> &body)
{
    kernel_name = kernel;
    kernel_body = &body;
    grid_dim = cfg.grid;
    block_dim = cfg.block;
    n_threads = (int)(cfg.block.x * cfg.block.y * cfg.block.z);
    slots.assign(n_threads, thread_slot());
    for (int i = 0; i < n_threads; i++) {
        const unsigned x = i % cfg.block.x, y = (i / cfg.block.x) % cfg.block.y,
                       z = i / (cfg.block.x * cfg.block.y);
        slots[i].idx = {x, y, z};
        slots[i].linear = i;
    }
    warps.assign((n_threads + 31) / 32, warp_meeting());
    dyn_shared_bytes = cfg.shared_bytes;
    dyn_shared.assign((cfg.shared_bytes + sizeof(max_align_t) - 1) / sizeof(max_align_t) + 1,
                      max_align_t());
    const size_t n_blocks = (size_t)cfg.grid.x * cfg.grid.y * cfg.grid.z;
    const schedule &s = the_schedule();
    std::vector<size_t> order;
    if (s.kind == SCHED_RANDOM) {
        order.resize(n_blocks);
        for (size_t i = 0; i < n_blocks; i++)
            order[i] = i;
        for (size_t i = n_blocks; i > 1; i--)
            std::swap(order[i - 1], order[next_random() % i]);
    }
    for (size_t k = 0; k < n_blocks; k++) {
        const size_t b = s.kind == SCHED_FORWARD ? k
                         : s.kind == SCHED_REVERSE ? n_blocks - 1 - k : order[k];
        run_block((unsigned)(b % cfg.grid.x), (unsigned)(b / cfg.grid.x % cfg.grid.y),
                  (unsigned)(b / ((size_t)cfg.grid.x * cfg.grid.y)));
    }
    kernel_name = nullptr;
    kernel_body = nullptr;
}

} // namespace mbh
