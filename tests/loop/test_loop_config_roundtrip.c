/* test_loop_config_roundtrip — config.ini reads back exactly what a run used, for
 * every key of `madbench run --help`: a resumed run must never see another value
 * (a data.source cut at " ;" once resumed on a different data set). Values that
 * config.ini cannot hold are refused when set. */
#define _GNU_SOURCE /* open_memstream */
#include "mb_loop.h"
#include "testutil.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_KEYS 128

/* The keys, in the order of the table, from the help text. */
static int list_keys(char keys[][64])
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    mb_run_config_help(f);
    fclose(f);
    int n = 0;
    for (char *line = strtok(text, "\n"); line && n < MAX_KEYS; line = strtok(NULL, "\n"))
        if (sscanf(line, " %63s", keys[n]) == 1 && strchr(keys[n], '.'))
            n++;
    free(text);
    return n;
}

static int round_trip(const mb_run_config *c, const char *what)
{
    char path[] = "/tmp/mb_test_roundtrip_XXXXXX";
    close(mkstemp(path));
    mb_run_config back;
    mb_run_config_default(&back);
    int ok = mb_run_config_write(c, path) == MB_OK;
    CHECK(ok, "%s: write: %s", what, mb_last_error());
    if (ok) {
        ok = mb_run_config_load(&back, path) == MB_OK;
        CHECK(ok, "%s: load: %s", what, mb_last_error());
    }
    if (ok) {
        ok = !memcmp(&back, c, sizeof *c);
        CHECK(ok, "%s: config.ini does not read back what was written", what);
    }
    unlink(path);
    return ok;
}

/* Every key set to a value other than its default, all at once. */
static void test_every_key(char keys[][64], int n)
{
    static const char *const candidates[] = {
        "3", "7", "2", "0.25", "0.5", "1", "0", "accumulate", "ae", "mse", "ae-gmm",
        "fresh-data", "recon", "pixels", "png", "/data/set;v2 #1 [x] = y",
        "1:0.5", "uniform:2:5", "disk,square", NULL}; /* data.imbalance, .radius, .kinds */
    mb_run_config c, before;
    mb_run_config_default(&c);
    for (int k = 0; k < n; k++) {
        int changed = 0;
        for (int i = 0; candidates[i] && !changed; i++) {
            before = c;
            if (mb_run_config_set(&c, keys[k], candidates[i], "test") != MB_OK)
                continue;
            changed = memcmp(&before, &c, sizeof c) != 0;
        }
        mb_clear_error();
        CHECK(changed, "%s: no candidate value differs from the default", keys[k]);
    }
    round_trip(&c, "every key changed");
}

/* Every string key: the longest value it holds and awkward characters read back;
 * what config.ini cannot hold is refused. */
static void test_strings(char keys[][64], int n)
{
    static const char *const fine[] = {"a;b", "x = y", "#x", "[s]", "d\xc3\xa9j\xc3\xa0",
                                       "a\\b", "'q' \"q\"", "a; b"};
    static const char *const refused[] = {"/x/idx ;v2", ";x", "a\tb", "a\nb", " x", "x ",
                                          "\x1b[31mred", "a\rb"};
    char value[8192];
    for (int k = 0; k < n; k++) {
        mb_run_config c;
        mb_run_config_default(&c);
        if (mb_run_config_set(&c, keys[k], "plain-text", "test") != MB_OK) {
            mb_clear_error();
            continue; /* not a string key */
        }
        int len = 4096;
        do { /* the longest value the key holds */
            memset(value, 'v', (size_t)len);
            value[0] = '/';
            value[len] = 0;
        } while (mb_run_config_set(&c, keys[k], value, "test") != MB_OK && --len > 1);
        round_trip(&c, keys[k]);
        for (size_t i = 0; i < sizeof fine / sizeof *fine; i++) {
            mb_run_config_default(&c); /* no bytes of a longer value left behind */
            const int set = mb_run_config_set(&c, keys[k], fine[i], "test") == MB_OK;
            CHECK(set, "%s = '%s' refused: %s", keys[k], fine[i], mb_last_error());
            if (set && !round_trip(&c, keys[k]))
                fprintf(stderr, "  value: '%s'\n", fine[i]);
        }
        for (size_t i = 0; i < sizeof refused / sizeof *refused; i++)
            CHECK(mb_run_config_set(&c, keys[k], refused[i], "test") == MB_EINPUT &&
                      strstr(mb_last_error(), keys[k]),
                  "%s = '%s' accepted, but config.ini cannot hold it", keys[k], refused[i]);
        /* the message shows the control bytes escaped, never raw */
        mb_run_config_set(&c, keys[k], "\x1b[31mred", "test");
        CHECK(!strchr(mb_last_error(), '\x1b') && strstr(mb_last_error(), "\\x1b"),
              "%s: raw escape byte in the message: %s", keys[k], mb_last_error());
    }
}

/* A config file is read as written: comments, blanks, long lines. */
static void test_reader(void)
{
    char path[] = "/tmp/mb_test_ini_XXXXXX";
    close(mkstemp(path));
    FILE *f = fopen(path, "w");
    fprintf(f, "# comment\n; comment\n\n[data]\n  source = /a/");
    for (int i = 0; i < 600; i++)
        fputc('b', f);
    fprintf(f, "   ; trailing comment\r\n[run]\ngenerations=7\n");
    fclose(f);
    mb_run_config c;
    mb_run_config_default(&c);
    CHECK(mb_run_config_load(&c, path) == MB_OK, "load: %s", mb_last_error());
    CHECK(strlen(c.source) == 603 && c.generations == 7, "read %zu characters, %d generations",
          strlen(c.source), c.generations);
    f = fopen(path, "w");
    fprintf(f, "[run]\ngenerations\n");
    fclose(f);
    CHECK(mb_run_config_load(&c, path) == MB_EINPUT && strstr(mb_last_error(), ":2:"),
          "a line without '=' not located: %s", mb_last_error());
    unlink(path);
}

int main(void)
{
    char keys[MAX_KEYS][64];
    const int n = list_keys(keys);
    CHECK(n > 30, "only %d keys in the help text", n);
    test_every_key(keys, n);
    test_strings(keys, n);
    test_reader();
    return mb_test_finish("test_loop_config_roundtrip");
}
