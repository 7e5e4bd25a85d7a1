#include "testutil.h"

#include <math.h>
#include <stdlib.h>

int mb_test_failures, mb_test_checks;

int mb_test_close(double got, double want, double atol, double rtol)
{
    if (isnan(got) || isnan(want))
        return 0;
    return fabs(got - want) <= atol + rtol * fabs(want);
}

int mb_test_finish(const char *name)
{
    printf("%s: %d checks, %d passed, %d failed\n", name, mb_test_checks,
           mb_test_checks - mb_test_failures, mb_test_failures);
    return mb_test_failures ? 1 : 0;
}

const char *mb_test_source_path(const char *relative)
{
    static char buf[4096];
    const char *root = getenv("MB_SOURCE_DIR");
    snprintf(buf, sizeof buf, "%s/%s", root ? root : ".", relative);
    return buf;
}
