/* test_report_speed.c — the report's reading side: the strict JSON reader
 * (valid and invalid documents), a hand-made run folder read back, and the
 * collapse-speed numbers checked against values worked out by hand. */
#include "mb_report.h"
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int parses(const char *text)
{
    mb_json v;
    int rc = mb_json_parse(text, strlen(text), "test", &v);
    mb_json_free(&v);
    return rc == MB_OK;
}

static void test_json(void)
{
    const char *good[] = {"{}", "[]", " {\"a\":1} ", "{\"a\":[1,2.5,-3e-2,0,null]}", "\"\\u00e9\\ud83d\\ude00\"",
                          "{\"a\":{\"b\":[true,false,null]}}", "-0.0", "1E+2", "{\"a\":\"x\\\"y\\\\z\\n\"}"};
    const char *bad[] = {"", "{", "{\"a\":}", "{\"a\":1,}", "[1,]", "01", "1.", ".5", "+1", "NaN",
                         "Infinity", "{'a':1}", "{\"a\" 1}", "{} {}", "tru", "\"abc", "\"\\x\"",
                         "\"\\ud800\"", "\"a\tb\"", "[1 2]", "{\"a\":1 \"b\":2}", "-", "1e"};
    for (size_t i = 0; i < sizeof good / sizeof *good; i++)
        CHECK(parses(good[i]), "valid JSON rejected: %s", good[i]);
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        CHECK(!parses(bad[i]), "invalid JSON accepted: %s", bad[i]);

    const char *doc = "{\"fd\":2.5,\"name\":\"caf\\u00e9\",\"loss\":null,\"h\":[0.25,0.75],"
                      "\"fd\":3.5}";
    mb_json v;
    CHECK(mb_json_parse(doc, strlen(doc), "doc", &v) == MB_OK, "doc: %s", mb_last_error());
    CHECK(mb_json_number(&v, "fd") == 3.5, "a repeated member: the last one wins");
    CHECK(isnan(mb_json_number(&v, "loss")), "null reads as NaN");
    CHECK(isnan(mb_json_number(&v, "missing")), "a missing member reads as NaN");
    CHECK(mb_json_string(&v, "name") && !strcmp(mb_json_string(&v, "name"), "caf\xc3\xa9"),
          "\\u00e9 decodes to UTF-8");
    const mb_json *h = mb_json_get(&v, "h");
    CHECK(h && h->type == MB_JSON_ARRAY && h->n == 2 && h->items[1].number == 0.75, "array");
    mb_json_free(&v);

    /* the error names the place */
    CHECK(mb_json_parse("{\n  \"a\": 01}", 12, "m.jsonl:7", &v) != MB_OK, "leading zero");
    CHECK(strstr(mb_last_error(), "m.jsonl:7: invalid JSON at line 2, column 9"),
          "error names line and column: %s",
          mb_last_error());
}

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
    CHECK(strstr(mb_last_error(), "metrics.jsonl:5: invalid JSON at column 22"), "error: %s",
          mb_last_error());
    /* so is a folder without metrics */
    CHECK(mb_report_run_load(run, "/nonexistent/run") == MB_EINPUT, "missing folder");
    free(run);

    snprintf(path, sizeof path, "rm -rf '%s'", dir);
    CHECK(system(path) == 0, "cleanup");
}

int main(void)
{
    test_json();
    test_speed_rules();
    test_run_folder();
    return mb_test_finish("test_report_speed");
}
