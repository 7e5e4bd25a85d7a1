/* test_util_json.c — the JSON reading and writing every output goes through:
 * the one escaper (control characters kept as escapes, invalid UTF-8 replaced by
 * U+FFFD, always valid JSON that reads back), non-finite numbers as null, the
 * whole-file writer, and the reader's verdicts on valid and invalid documents. */
#include "mb_common.h"
#include "mb_json.h"
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The string read back after writing s through the escaper and jansson. */
static char *round_trip(const char *s)
{
    json_t *doc = json_object();
    CHECK(mb_json_set(doc, "s", mb_json_text(s)) == MB_OK, "set");
    char *line = mb_json_line(doc);
    json_decref(doc);
    CHECK(line && line[strlen(line) - 1] == '\n', "a JSON Lines row ends in a newline");
    json_t *back = NULL;
    const int rc = line ? mb_json_parse(line, strlen(line), "line", &back) : MB_EINTERNAL;
    CHECK(rc == MB_OK, "the escaper's output is not valid JSON: %s: %s", line ? line : "-",
          mb_last_error());
    for (const char *p = line; p && *p; p++) /* raw control bytes never reach the file */
        CHECK((unsigned char)*p >= 0x20 || (*p == '\n' && p[1] == 0), "raw byte 0x%02x in %s",
              (unsigned char)*p, line);
    char *out = rc == MB_OK ? strdup(mb_json_string(back, "s")) : NULL;
    json_decref(back);
    free(line);
    return out;
}

static void test_escaper(void)
{
    /* control characters, quotes, backslashes and valid UTF-8 come back exactly */
    const char *exact[] = {"plain", "tab\there", "new\nline", "bell\a esc\x1b[31m del\x7f",
                           "\x01\x02\x1f", "quote \" backslash \\ slash /",
                           "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", ""};
    for (size_t i = 0; i < MB_ARRAY_LEN(exact); i++) {
        char *back = round_trip(exact[i]);
        CHECK(back && !strcmp(back, exact[i]), "case %zu does not round-trip", i);
        free(back);
    }
    /* every byte outside a valid UTF-8 sequence becomes U+FFFD, the rest stays */
    const struct {
        const char *in, *want;
    } lossy[] = {
        {"a\xff" "b", "a\xef\xbf\xbd" "b"},                       /* never valid in UTF-8 */
        {"\xc3", "\xef\xbf\xbd"},                                 /* truncated sequence */
        {"\xc0\xaf", "\xef\xbf\xbd\xef\xbf\xbd"},                 /* overlong '/' */
        {"\xed\xa0\x80", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"}, /* a surrogate */
        {"\xf4\x90\x80\x80x", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbdx"}, /* > U+10FFFF */
        {"\xe2\x82" "\xc3\xa9", "\xef\xbf\xbd\xef\xbf\xbd\xc3\xa9"}, /* cut, then valid */
    };
    for (size_t i = 0; i < MB_ARRAY_LEN(lossy); i++) {
        char *back = round_trip(lossy[i].in);
        CHECK(back && !strcmp(back, lossy[i].want), "invalid UTF-8 case %zu", i);
        free(back);
    }
    json_t *v = mb_json_text(NULL);
    CHECK(v && !strcmp(json_string_value(v), ""), "NULL reads as the empty string");
    json_decref(v);
}

static void test_numbers(void)
{
    const double in[] = {0.1, -2.5e-300, NAN, INFINITY, 3};
    json_t *doc = json_object();
    CHECK(mb_json_set(doc, "v", mb_json_reals(in, 5)) == MB_OK, "set");
    CHECK(mb_json_set(doc, "x", mb_json_real(-INFINITY)) == MB_OK, "set");
    char *line = mb_json_line(doc);
    json_decref(doc);
    json_t *back = NULL;
    CHECK(line && mb_json_parse(line, strlen(line), "line", &back) == MB_OK, "valid: %s", line);
    const json_t *a = json_object_get(back, "v");
    CHECK(json_array_size(a) == 5, "array length");
    CHECK(json_real_value(json_array_get(a, 0)) == 0.1, "0.1 is written to read back exactly");
    CHECK(json_real_value(json_array_get(a, 1)) == -2.5e-300, "tiny values too");
    CHECK(json_is_null(json_array_get(a, 2)) && json_is_null(json_array_get(a, 3)),
          "NaN and infinity are null");
    CHECK(isnan(mb_json_number(back, "x")), "null reads as NaN");
    CHECK(mb_json_number(back, "missing") != mb_json_number(back, "missing"), "absent: NaN");
    json_decref(back);
    free(line);
}

static int parses(const char *text)
{
    json_t *v = NULL;
    const int rc = mb_json_parse(text, strlen(text), "test", &v);
    json_decref(v);
    return rc == MB_OK;
}

static void test_reader(void)
{
    const char *good[] = {"{}", "[]", " {\"a\":1} ", "{\"a\":[1,2.5,-3e-2,0,null]}",
                          "\"\\u00e9\\ud83d\\ude00\"", "{\"a\":{\"b\":[true,false,null]}}",
                          "-0.0", "1E+2", "{\"a\":\"x\\\"y\\\\z\\n\"}"};
    const char *bad[] = {"", "{", "{\"a\":}", "{\"a\":1,}", "[1,]", "01", "1.", ".5", "+1",
                         "NaN", "Infinity", "{'a':1}", "{\"a\" 1}", "{} {}", "tru", "\"abc",
                         "\"\\x\"", "\"\\ud800\"", "\"a\tb\"", "[1 2]", "{\"a\":1 \"b\":2}",
                         "-", "1e", "\"\xff\"", "\"a\x01\""};
    for (size_t i = 0; i < MB_ARRAY_LEN(good); i++)
        CHECK(parses(good[i]), "valid JSON rejected: %s", good[i]);
    for (size_t i = 0; i < MB_ARRAY_LEN(bad); i++)
        CHECK(!parses(bad[i]), "invalid JSON accepted: %s", bad[i]);

    const char *doc = "{\"fd\":2.5,\"name\":\"caf\\u00e9\",\"loss\":null,\"n\":7,\"fd\":3.5}";
    json_t *v = NULL;
    CHECK(mb_json_parse(doc, strlen(doc), "doc", &v) == MB_OK, "doc: %s", mb_last_error());
    CHECK(mb_json_number(v, "fd") == 3.5, "a repeated member: the last one wins");
    CHECK(mb_json_number(v, "n") == 7, "integers read as numbers");
    CHECK(isnan(mb_json_number(v, "loss")), "null reads as NaN");
    CHECK(mb_json_string(v, "name") && !strcmp(mb_json_string(v, "name"), "caf\xc3\xa9"),
          "\\u00e9 decodes to UTF-8");
    CHECK(mb_json_string(v, "fd") == NULL, "a number is not a string");
    json_decref(v);

    CHECK(mb_json_parse("{\n  \"a\": 01}", 12, "m.jsonl:7", &v) != MB_OK, "leading zero");
    CHECK(strstr(mb_last_error(), "m.jsonl:7: invalid JSON at line 2, column"),
          "the error names the place: %s", mb_last_error());
}

static void test_file(void)
{
    char dir[] = "/tmp/mb_test_json_XXXXXX", path[128], tmp[160];
    CHECK(mkdtemp(dir) != NULL, "mkdtemp");
    snprintf(path, sizeof path, "%s/m.json", dir);
    json_t *doc = json_object();
    mb_json_set(doc, "command", mb_json_text("madbench run run.name=x\x01y"));
    mb_json_set(doc, "finished", json_true());
    CHECK(mb_json_write_file(doc, path) == MB_OK, "write: %s", mb_last_error());
    json_decref(doc);
    json_error_t err;
    json_t *back = json_load_file(path, 0, &err);
    CHECK(back && !strcmp(mb_json_string(back, "command"), "madbench run run.name=x\x01y"),
          "file reads back: %s", back ? "" : err.text);
    json_decref(back);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    CHECK(access(tmp, F_OK) != 0, "no temporary file is left behind");
    doc = json_object();
    CHECK(mb_json_write_file(doc, "/nonexistent/dir/m.json") == MB_EIO,
          "an unwritable path is an I/O error");
    json_decref(doc);
    CHECK(strstr(mb_last_error(), "/nonexistent/dir/m.json"), "it names the file: %s",
          mb_last_error());
    remove(path);
    rmdir(dir);
}

int main(void)
{
    test_escaper();
    test_numbers();
    test_reader();
    test_file();
    return mb_test_finish("test_util_json");
}
