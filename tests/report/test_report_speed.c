/* test_report_speed.c — the report's reading side: a hand-made run folder read
 * back, and the collapse-speed numbers checked against values worked out by hand
 * (the JSON reading itself: tests/util/test_util_json.c). */
#include "mb_report.h"
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Speed from arrays: every rule at its boundary. */
static void test_speed_rules(void)
{
    const double nan = NAN;
    /* FD(0) = 0.5 is sampling noise: against it, generation 1 would already be
     * 20 doublings; against FD(1) = 10 the doubling is at 20, generation 4 */
    const double fd[] = {0.5, 10, 15, 19.999, 20, 30};
    const double t99[] = {0.011, 0.008, 0.0041, 0.004, 0.001, 0};
    const double rec[] = {0.8, 0.7, 0.6, 0.55, 0.5, 0.5};
    mb_collapse_speed s;
    mb_collapse_speed_compute(fd, t99, rec, 6, &s);
    CHECK(s.last_generation == 5, "G = %d", s.last_generation);
    CHECK(s.fd_doubles == 4, "fd doubles at %d, expected 4 (fd = 2 fd(1) counts)", s.fd_doubles);
    CHECK(s.tail99_halves == 3, "tail99 halves at %d, expected 3 (= half counts)", s.tail99_halves);
    CHECK(s.recall_below == MB_SPEED_NOT_WITHIN, "recall 0.5 is not below 0.5: %d", s.recall_below);
    char text[64];
    mb_collapse_speed_text(s.recall_below, s.last_generation, text, sizeof text);
    CHECK(!strcmp(text, "not within 5"), "text '%s'", text);
    mb_collapse_speed_text(s.fd_doubles, s.last_generation, text, sizeof text);
    CHECK(!strcmp(text, "4"), "text '%s'", text);

    /* tail99(1) = 0: halving is undefined; recall below at generation 1; FD never doubles
     * and a missing generation (NaN) never counts */
    const double fd2[] = {1, 8, nan, 15.9};
    const double t2[] = {0.01, 0, 0, 0};
    const double r2[] = {0.9, 0.3, nan, 0.2};
    mb_collapse_speed_compute(fd2, t2, r2, 4, &s);
    CHECK(s.fd_doubles == MB_SPEED_NOT_WITHIN, "fd2: %d", s.fd_doubles);
    CHECK(s.tail99_halves == MB_SPEED_UNDEFINED, "tail99(1) = 0: %d", s.tail99_halves);
    CHECK(s.recall_below == 1, "recall2: %d", s.recall_below);
    mb_collapse_speed_text(s.tail99_halves, s.last_generation, text, sizeof text);
    CHECK(!strcmp(text, "n/a"), "text '%s'", text);

    /* only generation 0: nothing is defined */
    mb_collapse_speed_compute(fd2, t2, r2, 1, &s);
    CHECK(s.fd_doubles == MB_SPEED_UNDEFINED && s.tail99_halves == MB_SPEED_UNDEFINED &&
              s.recall_below == MB_SPEED_UNDEFINED, "generation 0 only");
    /* no recall recorded at all: undefined, not "not within" */
    const double r3[] = {nan, nan, nan, nan};
    mb_collapse_speed_compute(fd2, t2, r3, 4, &s);
    CHECK(s.recall_below == MB_SPEED_UNDEFINED, "no recall: %d", s.recall_below);
}

/* A hand-made run folder read back through the loader. */
static void test_run_folder(void)
{
    char dir[] = "/tmp/mb_test_report_XXXXXX";
    CHECK(mkdtemp(dir) != NULL, "mkdtemp");
    char path[256];
    snprintf(path, sizeof path, "%s/metrics.jsonl", dir);
    FILE *f = fopen(path, "w");
    fputs("{\"generation\":0,\"fd\":0.5,\"tail99\":0.011,\"recall\":0.8}\n"
          "{\"generation\":1,\"fd\":10,\"tail99\":0.008,\"recall\":0.7,\"class_shares\":[0.5,0.5]}\n"
          "\n"
          "{\"generation\":3,\"fd\":25,\"tail99\":0.002,\"recall\":0.45}\n", f);
    fclose(f);
    snprintf(path, sizeof path, "%s/config.ini", dir);
    f = fopen(path, "w");
    fputs("# comment\n[loop]\ntype = fresh-data\n[generate]\ntype = other\n", f);
    fclose(f);

    mb_report_run *run = malloc(sizeof *run);
    CHECK(mb_report_run_load(run, dir) == MB_OK, "load: %s", mb_last_error());
    CHECK(run->n_rows == 4, "rows %d (generation 2 missing)", run->n_rows);
    double fd[4], t99[4], rec[4];
    mb_report_series(run, "fd", fd);
    mb_report_series(run, "tail99", t99);
    mb_report_series(run, "recall", rec);
    CHECK(isnan(fd[2]), "the missing generation reads as NaN");
    mb_collapse_speed s;
    mb_collapse_speed_compute(fd, t99, rec, run->n_rows, &s);
    CHECK(s.fd_doubles == 3 && s.tail99_halves == 3 && s.recall_below == 3,
          "speed %d %d %d, expected 3 3 3", s.fd_doubles, s.tail99_halves, s.recall_below);
    char buf[64];
    const char *t = mb_report_config(run, "loop.type", buf, sizeof buf);
    CHECK(t && !strcmp(t, "fresh-data"), "config loop.type: %s", t ? t : "(null)");
    CHECK(mb_report_config(run, "run.type", buf, sizeof buf) == NULL, "section matters");
    CHECK(!strcmp(run->name, strrchr(dir, '/') + 1), "name %s", run->name);
    mb_report_run_free(run);

    /* a broken row is an error naming the file and line */
    snprintf(path, sizeof path, "%s/metrics.jsonl", dir);
    f = fopen(path, "a");
    fputs("{\"generation\":4,\"fd\":NaN}\n", f);
    fclose(f);
    CHECK(mb_report_run_load(run, dir) == MB_EINPUT, "NaN accepted");
    CHECK(strstr(mb_last_error(), "metrics.jsonl:5: invalid JSON at line 1, column"), "error: %s",
          mb_last_error());
    /* so is a folder without metrics */
    CHECK(mb_report_run_load(run, "/nonexistent/run") == MB_EINPUT, "missing folder");
    free(run);

    snprintf(path, sizeof path, "rm -rf '%s'", dir);
    CHECK(system(path) == 0, "cleanup");
}

int main(void)
{
    test_speed_rules();
    test_run_folder();
    return mb_test_finish("test_report_speed");
}
