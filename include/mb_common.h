/* mb_common.h — types, errors and small helpers shared by every part of madbench. */
#ifndef MB_COMMON_H
#define MB_COMMON_H

#include <stddef.h>
#include <stdint.h>

/* The scalar of models and backends. Production builds use float; the gradient
 * checks compile the same CPU backend, layers and model with MB_REAL_DOUBLE so that
 * finite differences are taken in double precision. */
#ifdef MB_REAL_DOUBLE
typedef double mb_real;
#else
typedef float mb_real;
#endif

/* Error codes returned by library functions. The command line exits with the
 * code itself, so bad input always exits 2. */
typedef enum {
    MB_OK = 0,
    MB_EINTERNAL = 1, /* a bug or an unexpected library failure */
    MB_EINPUT = 2,    /* bad file, bad option, inconsistent data */
    MB_EIO = 3,       /* a file could not be read or written */
    MB_ENOMEM = 4,    /* host or device memory exhausted */
    MB_ENUMERIC = 5,  /* NaN/Inf loss or a failed decomposition */
    MB_ENODEVICE = 6  /* the requested device is not present */
} mb_status;

/* Library code records what went wrong here and returns the code; only the
 * command line prints it (one line) and exits. */
int mb_fail(mb_status code, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
const char *mb_last_error(void);
/* The code of the last mb_fail, for functions that return NULL on failure. */
mb_status mb_last_status(void);
/* text with every byte that is not printable ASCII or printable UTF-8 written as
 * \xNN, so that bytes from a file never reach a terminal raw (mb_fail and
 * mb_warn apply it to their messages). */
void mb_escape_text(char *out, size_t size, const char *text);
void mb_clear_error(void);

/* Progress and warnings go to stderr; quiet mode silences progress only. */
void mb_set_quiet(int quiet);
int mb_is_quiet(void);
void mb_progress(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Whether progress may redraw a line with '\r': only when stderr is a terminal. In
 * a log file (a cluster job) each update must be a line of its own, so long work
 * then prints one line per step (per epoch) and no in-between updates. */
int mb_progress_live(void);
void mb_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

double mb_now_seconds(void); /* monotonic clock */
/* "1m05s", or "2h03m" from an hour on: for ETAs. */
void mb_format_duration(char *out, size_t len, double seconds);
/* The shortest %g form that reads back as the same value: "0.001" for the float
 * 0.001f (single = 1: equal after rounding to float), "0.1" for the double 0.1. */
void mb_format_shortest(char *out, size_t len, double value, int single);

/* Host allocation that records an MB_ENOMEM error naming what was requested. */
void *mb_host_alloc(size_t bytes, const char *what);

#define MB_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define MB_TRY(expr)                    \
    do {                                \
        int mb_try_rc_ = (expr);        \
        if (mb_try_rc_ != MB_OK)        \
            return mb_try_rc_;          \
    } while (0)

#endif
