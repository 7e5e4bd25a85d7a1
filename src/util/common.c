/* util/common.c — error recording, progress output, clocks. */
#include "mb_common.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static _Thread_local char last_error[1024];
static int quiet;

int mb_fail(mb_status code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(last_error, sizeof last_error, fmt, ap);
    va_end(ap);
    return (int)code;
}

const char *mb_last_error(void) { return last_error[0] ? last_error : "unknown error"; }
void mb_clear_error(void) { last_error[0] = 0; }

void mb_set_quiet(int q) { quiet = q; }
int mb_is_quiet(void) { return quiet; }

void mb_progress(const char *fmt, ...)
{
    if (quiet)
        return;
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fflush(stderr);
}

void mb_warn(const char *fmt, ...)
{
    va_list ap;
    fputs("madbench: warning: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

double mb_now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

void mb_format_duration(char *out, size_t len, double seconds)
{
    const long s = (long)(seconds + 0.5);
    if (s >= 3600)
        snprintf(out, len, "%ldh%02ldm", s / 3600, s / 60 % 60);
    else
        snprintf(out, len, "%ldm%02lds", s / 60, s % 60);
}

void *mb_host_alloc(size_t bytes, const char *what)
{
    void *p = calloc(1, bytes ? bytes : 1);
    if (!p)
        mb_fail(MB_ENOMEM, "out of host memory: %s needs %zu bytes", what, bytes);
    return p;
}
