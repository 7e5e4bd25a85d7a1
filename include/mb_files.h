/* mb_files.h — the one way madbench builds paths, opens files to read and writes
 * files: paths never truncate, readers open regular files only (a FIFO, a device
 * or a folder is an error, not a hang), read at most a stated size, and writers
 * go through a temporary file that is checked, then renamed, or removed. */
#ifndef MB_FILES_H
#define MB_FILES_H

#include "mb_common.h"

#include <stdio.h>

/* Size of every path buffer: Linux's PATH_MAX. */
#define MB_PATH_LEN 4096

/* out = the formatted path; MB_EINPUT naming it when it does not fit in size
 * bytes (never a truncated path). */
int mb_path(char *out, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* mkdir -p: path and every missing folder above it. MB_EINPUT when path does not
 * fit in MB_PATH_LEN, MB_EIO naming the folder that cannot be created. */
int mb_make_dirs(const char *path);

/* Opens path for reading (blocking reads after the check). MB_EINPUT, naming
 * path and `what`, when it is missing, unreadable or not a regular file. */
int mb_open_regular(const char *path, const char *what, int *fd);
int mb_fopen_regular(const char *path, const char *what, FILE **f);
/* The whole file, NUL-terminated, in a new buffer; MB_EINPUT when it is larger
 * than max_bytes. */
int mb_read_file(const char *path, const char *what, size_t max_bytes, char **out,
                 size_t *len);

/* s with leading and trailing blanks (space, tab; a trailing CR) cut, in place:
 * how INI keys and values, and the items of a sweep's lists, are read. */
char *mb_trim(char *s);

/* INI text as config.ini holds it: [section], key = value, comment lines starting
 * with '#' or ';', a ';' after a blank starts a comment; any line length. text is
 * modified in place; on_key gets each key with its section ("" before the first)
 * and `where` ("path:line") for messages, and stops the parse by returning an
 * error. MB_EINPUT naming path:line for a line that is neither. */
typedef int (*mb_ini_handler)(void *user, const char *section, const char *key,
                              const char *value, const char *where);
int mb_ini_parse(char *text, const char *path, mb_ini_handler on_key, void *user);

/* A file written as path.tmp and renamed onto path when everything went well. */
typedef struct {
    FILE *f;
    char path[MB_PATH_LEN], tmp[MB_PATH_LEN];
} mb_out_file;

int mb_out_open(mb_out_file *o, const char *path);
/* With rc == MB_OK: checks every write, closes and renames (MB_EIO naming the
 * file on failure). Otherwise, or on failure, removes the temporary file.
 * Returns the first error. */
int mb_out_close(mb_out_file *o, int rc);

#endif
