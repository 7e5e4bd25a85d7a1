/* util/common.c — error recording, progress output, clocks. */
#include "mb_common.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static _Thread_local char last_error[4096];
static _Thread_local mb_status last_status = MB_EINTERNAL;
static int quiet;

/* Length of the valid UTF-8 sequence at s that is not a C1 control, else 0. */
static int utf8_printable(const unsigned char *s)
{
    int n = s[0] >= 0xf0 && s[0] <= 0xf4 ? 4 : s[0] >= 0xe0 ? 3 : s[0] >= 0xc2 ? 2 : 0;
    if (s[0] >= 0xf5)
        n = 0;
    for (int k = 1; k < n; k++)
        if ((s[k] & 0xc0) != 0x80)
            return 0;
    if (n == 2 && s[0] == 0xc2 && s[1] < 0xa0) /* U+0080..U+009F: C1 controls */
        return 0;
    if ((n == 3 && s[0] == 0xe0 && s[1] < 0xa0) || (n == 4 && s[0] == 0xf0 && s[1] < 0x90) ||
        (n == 4 && s[0] == 0xf4 && s[1] > 0x8f) || (n == 3 && s[0] == 0xed && s[1] > 0x9f))
        return 0; /* overlong, beyond U+10FFFF, or a surrogate */
    return n;
}

void mb_escape_text(char *out, size_t size, const char *text)
{
    size_t o = 0;
    for (const unsigned char *s = (const unsigned char *)text; *s && size;) {
        const int n = *s >= 0x20 && *s < 0x7f ? 1 : utf8_printable(s);
        char esc[8];
        const char *piece = (const char *)s;
        size_t len = (size_t)n;
        if (!n) { /* a byte that could move the cursor or start an escape sequence */
            snprintf(esc, sizeof esc, "\\x%02x", *s);
            piece = esc, len = 4;
        }
        if (o + len >= size)
            break;
        memcpy(out + o, piece, len);
        o += len;
        s += n ? n : 1;
    }
    if (size)
        out[o] = 0;
}

int mb_fail(mb_status code, const char *fmt, ...)
{
    char raw[sizeof last_error];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(raw, sizeof raw, fmt, ap);
    va_end(ap);
    mb_escape_text(last_error, sizeof last_error, raw);
    last_status = code;
    return (int)code;
}

mb_status mb_last_status(void) { return last_status; }

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
    char raw[4096], text[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(raw, sizeof raw, fmt, ap);
    va_end(ap);
    mb_escape_text(text, sizeof text, raw);
    fprintf(stderr, "madbench: warning: %s\n", text);
}

int mb_progress_live(void)
{
    static int live = -1;
    if (live < 0)
        live = isatty(fileno(stderr));
    return live;
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

void mb_format_shortest(char *out, size_t len, double value, int single)
{
    for (int digits = 1; digits <= 17; digits++) {
        snprintf(out, len, "%.*g", digits, value);
        const double back = strtod(out, NULL);
        if (single ? (float)back == (float)value : back == value)
            return;
    }
}

void *mb_host_alloc(size_t bytes, const char *what)
{
    void *p = calloc(1, bytes ? bytes : 1);
    if (!p)
        mb_fail(MB_ENOMEM, "out of host memory: %s needs %zu bytes", what, bytes);
    return p;
}
