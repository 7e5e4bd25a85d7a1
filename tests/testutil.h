/* testutil.h — the few helpers every test program shares. */
#ifndef MB_TESTUTIL_H
#define MB_TESTUTIL_H

#include <stdio.h>

extern int mb_test_failures, mb_test_checks;

/* Records a failed check with file and line, and keeps going. */
#define CHECK(cond, ...)                                                   \
    do {                                                                   \
        mb_test_checks++;                                                  \
        if (!(cond)) {                                                     \
            mb_test_failures++;                                            \
            fprintf(stderr, "%s:%d: check failed: %s: ", __FILE__, __LINE__, \
                    #cond);                                                \
            fprintf(stderr, __VA_ARGS__);                                  \
            fputc('\n', stderr);                                           \
        }                                                                  \
    } while (0)

/* |got - want| <= atol + rtol |want| */
#define CHECK_CLOSE(got, want, atol, rtol, what)                           \
    CHECK(mb_test_close((got), (want), (atol), (rtol)),                    \
          "%s: got %.12g, want %.12g", (what), (double)(got), (double)(want))

int mb_test_close(double got, double want, double atol, double rtol);
/* Prints the summary line and returns the exit code for main. */
int mb_test_finish(const char *name);
/* Exit code CTest treats as "skipped". */
#define MB_TEST_SKIP 77
/* Path of a file in the source tree (tests/..., data/...). */
const char *mb_test_source_path(const char *relative);

#endif
