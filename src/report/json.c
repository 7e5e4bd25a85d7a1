/* report/json.c — a small, strict JSON reader (RFC 8259): objects, arrays,
 * strings with every escape, numbers in JSON's grammar only (no NaN, no leading
 * '+' or zeros), true / false / null, nothing after the value but whitespace.
 * Enough for metrics.jsonl and manifest.json; no JSON library needed. */
#include "mb_report.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DEPTH 64

typedef struct {
    const char *s, *end, *start;
    const char *where;
} parser;

static int fail_at(const parser *p, const char *what)
{
    int line = 1, col = 1;
    for (const char *c = p->start; c < p->s && c < p->end; c++)
        if (*c == '\n')
            line++, col = 1;
        else
            col++;
    if (line == 1)
        return mb_fail(MB_EINPUT, "%s: invalid JSON at column %d: %s", p->where, col, what);
    return mb_fail(MB_EINPUT, "%s: invalid JSON at line %d, column %d: %s", p->where, line, col,
                   what);
}

static void skip_ws(parser *p)
{
    while (p->s < p->end && (*p->s == ' ' || *p->s == '\t' || *p->s == '\n' || *p->s == '\r'))
        p->s++;
}

static int literal(parser *p, const char *word)
{
    const size_t n = strlen(word);
    if ((size_t)(p->end - p->s) < n || memcmp(p->s, word, n))
        return fail_at(p, "unexpected character");
    p->s += n;
    return MB_OK;
}

static int is_digit(char c) { return c >= '0' && c <= '9'; }

static int parse_number(parser *p, mb_json *v)
{
    const char *b = p->s;
    if (p->s < p->end && *p->s == '-')
        p->s++;
    if (p->s < p->end && *p->s == '0')
        p->s++;
    else if (p->s < p->end && is_digit(*p->s))
        while (p->s < p->end && is_digit(*p->s))
            p->s++;
    else
        return fail_at(p, "a number needs digits");
    if (p->s < p->end && *p->s == '.') {
        p->s++;
        if (p->s >= p->end || !is_digit(*p->s))
            return fail_at(p, "a digit must follow the decimal point");
        while (p->s < p->end && is_digit(*p->s))
            p->s++;
    }
    if (p->s < p->end && (*p->s == 'e' || *p->s == 'E')) {
        p->s++;
        if (p->s < p->end && (*p->s == '+' || *p->s == '-'))
            p->s++;
        if (p->s >= p->end || !is_digit(*p->s))
            return fail_at(p, "an exponent needs digits");
        while (p->s < p->end && is_digit(*p->s))
            p->s++;
    }
    char buf[64];
    const size_t n = (size_t)(p->s - b);
    if (n >= sizeof buf)
        return fail_at(p, "number too long");
    memcpy(buf, b, n);
    buf[n] = 0;
    v->type = MB_JSON_NUMBER;
    v->number = strtod(buf, NULL);
    return MB_OK;
}

static int hex4(parser *p, unsigned *out)
{
    *out = 0;
    for (int i = 0; i < 4; i++, p->s++) {
        if (p->s >= p->end)
            return fail_at(p, "truncated \\u escape");
        const char c = *p->s;
        const int d = is_digit(c) ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
                    : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
        if (d < 0)
            return fail_at(p, "bad hex digit in \\u escape");
        *out = *out * 16 + (unsigned)d;
    }
    return MB_OK;
}

static size_t put_utf8(char *o, unsigned cp)
{
    if (cp < 0x80) {
        o[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (char)(0xC0 | cp >> 6), o[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (char)(0xE0 | cp >> 12), o[1] = (char)(0x80 | (cp >> 6 & 0x3F));
        o[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    o[0] = (char)(0xF0 | cp >> 18), o[1] = (char)(0x80 | (cp >> 12 & 0x3F));
    o[2] = (char)(0x80 | (cp >> 6 & 0x3F)), o[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* After the opening quote; the decoded text is never longer than the source. */
static int parse_string(parser *p, char **out)
{
    const char *b = p->s;
    while (p->s < p->end && *p->s != '"')
        p->s += *p->s == '\\' && p->s + 1 < p->end ? 2 : 1;
    if (p->s >= p->end)
        return fail_at(p, "unterminated string");
    char *o = malloc((size_t)(p->s - b) + 1);
    if (!o)
        return mb_fail(MB_ENOMEM, "%s: out of memory reading JSON", p->where);
    size_t n = 0;
    p->s = b;
    while (*p->s != '"') {
        unsigned char c = (unsigned char)*p->s;
        if (c < 0x20) {
            free(o);
            return fail_at(p, "control character in a string");
        }
        if (c != '\\') {
            o[n++] = (char)c;
            p->s++;
            continue;
        }
        p->s++;
        const char e = *p->s++;
        const char *simple = strchr("\"\\/bfnrt", e);
        if (e && simple) {
            o[n++] = "\"\\/\b\f\n\r\t"[simple - "\"\\/bfnrt"];
            continue;
        }
        unsigned cp, lo;
        if (e != 'u' || hex4(p, &cp) != MB_OK) {
            free(o);
            return e == 'u' ? MB_EINPUT : fail_at(p, "unknown escape in a string");
        }
        if (cp >= 0xD800 && cp < 0xDC00) { /* a surrogate pair */
            if (p->end - p->s < 6 || p->s[0] != '\\' || p->s[1] != 'u') {
                free(o);
                return fail_at(p, "lone surrogate in \\u escape");
            }
            p->s += 2;
            if (hex4(p, &lo) != MB_OK || lo < 0xDC00 || lo > 0xDFFF) {
                free(o);
                return fail_at(p, "bad surrogate pair");
            }
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
        } else if (cp >= 0xDC00 && cp < 0xE000) {
            free(o);
            return fail_at(p, "lone surrogate in \\u escape");
        }
        n += put_utf8(o + n, cp);
    }
    p->s++;
    o[n] = 0;
    *out = o;
    return MB_OK;
}

static int parse_value(parser *p, mb_json *v, int depth);

/* Items of an array or members of an object, after the opening bracket. */
static int parse_items(parser *p, mb_json *v, int depth, int object)
{
    const char close = object ? '}' : ']';
    int cap = 0;
    v->type = object ? MB_JSON_OBJECT : MB_JSON_ARRAY;
    skip_ws(p);
    if (p->s < p->end && *p->s == close) {
        p->s++;
        return MB_OK;
    }
    for (;;) {
        if (v->n == cap) {
            cap = cap ? 2 * cap : 8;
            mb_json *items = realloc(v->items, (size_t)cap * sizeof *items);
            char **keys = object ? realloc(v->keys, (size_t)cap * sizeof *keys) : NULL;
            if (items)
                v->items = items;
            if (keys)
                v->keys = keys;
            if (!items || (object && !keys))
                return mb_fail(MB_ENOMEM, "%s: out of memory reading JSON", p->where);
        }
        skip_ws(p);
        if (object) {
            if (p->s >= p->end || *p->s != '"')
                return fail_at(p, "expected a member name in quotes");
            p->s++;
            MB_TRY(parse_string(p, &v->keys[v->n]));
            skip_ws(p);
            if (p->s >= p->end || *p->s != ':') {
                free(v->keys[v->n]);
                return fail_at(p, "expected ':' after a member name");
            }
            p->s++;
        }
        memset(&v->items[v->n], 0, sizeof v->items[v->n]);
        int rc = parse_value(p, &v->items[v->n], depth + 1);
        v->n++; /* counted even on failure, so that mb_json_free releases it */
        if (rc != MB_OK)
            return rc;
        skip_ws(p);
        if (p->s < p->end && *p->s == ',') {
            p->s++;
            continue;
        }
        if (p->s < p->end && *p->s == close) {
            p->s++;
            return MB_OK;
        }
        return fail_at(p, object ? "expected ',' or '}'" : "expected ',' or ']'");
    }
}

static int parse_value(parser *p, mb_json *v, int depth)
{
    if (depth > MAX_DEPTH)
        return fail_at(p, "nested too deeply");
    skip_ws(p);
    if (p->s >= p->end)
        return fail_at(p, "unexpected end of input");
    switch (*p->s) {
    case '{': p->s++; return parse_items(p, v, depth, 1);
    case '[': p->s++; return parse_items(p, v, depth, 0);
    case '"': p->s++; v->type = MB_JSON_STRING; return parse_string(p, &v->string);
    case 't': v->type = MB_JSON_BOOL, v->number = 1; return literal(p, "true");
    case 'f': v->type = MB_JSON_BOOL, v->number = 0; return literal(p, "false");
    case 'n': v->type = MB_JSON_NULL; return literal(p, "null");
    default: return parse_number(p, v);
    }
}

int mb_json_parse(const char *text, size_t len, const char *where, mb_json *out)
{
    parser p = {text, text + len, text, where ? where : "JSON"};
    memset(out, 0, sizeof *out);
    int rc = parse_value(&p, out, 0);
    if (rc == MB_OK) {
        skip_ws(&p);
        if (p.s != p.end)
            rc = fail_at(&p, "text after the value");
    }
    if (rc != MB_OK)
        mb_json_free(out);
    return rc;
}

void mb_json_free(mb_json *v)
{
    if (!v)
        return;
    for (int i = 0; i < v->n; i++) {
        mb_json_free(&v->items[i]);
        if (v->keys)
            free(v->keys[i]);
    }
    free(v->items);
    free(v->keys);
    free(v->string);
    memset(v, 0, sizeof *v);
}

const mb_json *mb_json_get(const mb_json *obj, const char *key)
{
    if (!obj || obj->type != MB_JSON_OBJECT)
        return NULL;
    for (int i = obj->n - 1; i >= 0; i--)
        if (!strcmp(obj->keys[i], key))
            return &obj->items[i];
    return NULL;
}

double mb_json_number(const mb_json *obj, const char *key)
{
    const mb_json *v = mb_json_get(obj, key);
    return v && v->type == MB_JSON_NUMBER ? v->number : NAN;
}

const char *mb_json_string(const mb_json *obj, const char *key)
{
    const mb_json *v = mb_json_get(obj, key);
    return v && v->type == MB_JSON_STRING ? v->string : NULL;
}
