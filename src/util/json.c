/* util/json.c — the JSON choices madbench makes on top of jansson: outside bytes
 * become valid UTF-8, non-finite numbers become null, files are replaced whole. */
#include "mb_common.h"
#include "mb_files.h"
#include "mb_json.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Length of the valid UTF-8 sequence at s (RFC 3629: no overlong forms, no
 * surrogates, nothing above U+10FFFF), or 0 when s starts an invalid one. */
static size_t utf8_length(const unsigned char *s, size_t left)
{
    const unsigned c = s[0];
    size_t n;
    unsigned lo = 0x80, hi = 0xBF; /* the allowed range of the second byte */
    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF)
        n = 2;
    else if (c >= 0xE0 && c <= 0xEF)
        n = 3, lo = c == 0xE0 ? 0xA0 : 0x80, hi = c == 0xED ? 0x9F : 0xBF;
    else if (c >= 0xF0 && c <= 0xF4)
        n = 4, lo = c == 0xF0 ? 0x90 : 0x80, hi = c == 0xF4 ? 0x8F : 0xBF;
    else
        return 0;
    if (left < n || s[1] < lo || s[1] > hi)
        return 0;
    for (size_t i = 2; i < n; i++)
        if (s[i] < 0x80 || s[i] > 0xBF)
            return 0;
    return n;
}

json_t *mb_json_text(const char *bytes)
{
    const unsigned char *s = (const unsigned char *)(bytes ? bytes : "");
    const size_t len = strlen((const char *)s);
    char *out = malloc(3 * len + 1); /* each byte becomes at most U+FFFD's 3 bytes */
    if (!out)
        return NULL;
    size_t o = 0;
    for (size_t i = 0; i < len;) {
        const size_t n = utf8_length(s + i, len - i);
        if (n) {
            memcpy(out + o, s + i, n);
            o += n, i += n;
        } else {
            memcpy(out + o, "\xEF\xBF\xBD", 3);
            o += 3, i++;
        }
    }
    json_t *v = json_stringn(out, o);
    free(out);
    return v;
}

json_t *mb_json_real(double v)
{
    return isfinite(v) ? json_real(v) : json_null();
}

json_t *mb_json_reals(const double *v, int n)
{
    json_t *a = json_array();
    for (int i = 0; a && i < n; i++)
        if (json_array_append_new(a, mb_json_real(v[i]))) {
            json_decref(a);
            return NULL;
        }
    return a;
}

int mb_json_set(json_t *obj, const char *key, json_t *value)
{
    if (!value || json_object_set_new(obj, key, value))
        return mb_fail(MB_ENOMEM, "out of memory building JSON (member %s)", key);
    return MB_OK;
}

char *mb_json_line(const json_t *doc)
{
    char *text = json_dumps(doc, JSON_COMPACT);
    if (!text)
        return NULL;
    const size_t n = strlen(text);
    char *line = realloc(text, n + 2);
    if (!line) {
        free(text);
        return NULL;
    }
    memcpy(line + n, "\n", 2);
    return line;
}

int mb_json_write_file(const json_t *doc, const char *path)
{
    char *text = json_dumps(doc, JSON_INDENT(2));
    if (!text)
        return mb_fail(MB_ENOMEM, "%s: out of memory formatting JSON", path);
    mb_out_file out;
    int rc = mb_out_open(&out, path);
    if (rc == MB_OK) {
        fputs(text, out.f);
        fputc('\n', out.f);
        rc = mb_out_close(&out, MB_OK);
    }
    free(text);
    return rc;
}

int mb_json_parse(const char *text, size_t len, const char *where, json_t **out)
{
    json_error_t err;
    *out = json_loadb(text, len, JSON_DECODE_ANY, &err);
    if (!*out)
        return mb_fail(MB_EINPUT, "%s: invalid JSON at line %d, column %d: %s", where,
                       err.line, err.column, err.text);
    return MB_OK;
}

double mb_json_number(const json_t *obj, const char *key)
{
    const json_t *v = json_is_object(obj) ? json_object_get(obj, key) : NULL;
    return json_is_number(v) ? json_number_value(v) : NAN;
}

const char *mb_json_string(const json_t *obj, const char *key)
{
    const json_t *v = json_is_object(obj) ? json_object_get(obj, key) : NULL;
    return json_string_value(v);
}
