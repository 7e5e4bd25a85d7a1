/* mb_json.h — every JSON file madbench writes or reads (manifest.json,
 * metrics.jsonl, `metrics --json`, the toy outputs, the report's reading) goes
 * through jansson; these helpers hold the few choices jansson leaves to us. */
#ifndef MB_JSON_H
#define MB_JSON_H

#include <jansson.h>
#include <stddef.h>

/* The one way to turn outside bytes (a run name, a command line, a path) into a
 * JSON string. JSON text is UTF-8, so valid UTF-8 is kept as it is, and every
 * byte that does not belong to a valid UTF-8 sequence becomes U+FFFD (the
 * replacement character); control characters, '"' and '\' are kept and written
 * as escapes, so they read back exactly. NULL reads as "". NULL: out of memory. */
json_t *mb_json_text(const char *bytes);
/* A number, or null when v is not finite (JSON has no NaN or infinity). */
json_t *mb_json_real(double v);
/* An array of numbers, each as mb_json_real. */
json_t *mb_json_reals(const double *v, int n);
/* obj[key] = value, taking value's reference (NULL value: out of memory).
 * Returns MB_OK, or MB_ENOMEM with an error recorded. */
int mb_json_set(json_t *obj, const char *key, json_t *value);

/* doc on one line followed by '\n' (a JSON Lines row), malloc'ed; NULL: out of memory. */
char *mb_json_line(const json_t *doc);
/* doc, indented, into path through path.tmp and a rename, so that a reader never
 * sees half a file. MB_EIO naming the file when it cannot be written. */
int mb_json_write_file(const json_t *doc, const char *path);

/* One JSON value from text[0..len) (whitespace around it only); on failure
 * MB_EINPUT naming `where`, the line and column and what is wrong. */
int mb_json_parse(const char *text, size_t len, const char *where, json_t **out);
/* The number at obj[key] (integer or real); NaN when obj is not an object, or the
 * member is absent, null or not a number. */
double mb_json_number(const json_t *obj, const char *key);
/* The string at obj[key], or NULL. */
const char *mb_json_string(const json_t *obj, const char *key);

#endif
