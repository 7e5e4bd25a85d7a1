/* sweep/collect.c — one long table of a sweep: a row per cell and generation with
 * the columns cell, every varying key, seed, then every column of the cells'
 * metrics.csv, read from each file's header (so new metric columns flow through
 * without a change here). Written as CSV and as JSON Lines. */
#include "mb_json.h"
#include "sweep_internal.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

int mb_csv_split(char *line, char **fields, int max_fields)
{
    int n = 0;
    char *p = line;
    for (;;) {
        if (n == max_fields)
            return -1;
        if (*p == '"') { /* quoted: "" is a quote; unquote in place */
            char *w = ++p;
            fields[n++] = w;
            for (;;) {
                if (!*p)
                    return -1; /* unterminated */
                if (*p == '"' && p[1] == '"') {
                    *w++ = '"';
                    p += 2;
                } else if (*p == '"') {
                    p++;
                    break;
                } else {
                    *w++ = *p++;
                }
            }
            if (*p && *p != ',')
                return -1;
            const int more = *p == ',';
            *w = 0;
            if (!more)
                return n;
            p++;
        } else {
            fields[n++] = p;
            char *comma = strchr(p, ',');
            if (!comma)
                return n;
            *comma = 0;
            p = comma + 1;
        }
    }
}

void mb_sweep_table_free(mb_sweep_table *t)
{
    for (int r = 0; r < t->n_rows; r++) {
        for (int c = 0; c < t->n_cols; c++)
            free(t->rows[r][c]);
        free(t->rows[r]);
    }
    for (int c = 0; c < t->n_cols; c++)
        free(t->cols[c]);
    free(t->rows);
    free(t->cols);
    free(t->row_cell);
    memset(t, 0, sizeof *t);
}

int mb_sweep_table_col(const mb_sweep_table *t, const char *name)
{
    for (int c = 0; c < t->n_cols; c++)
        if (!strcmp(t->cols[c], name))
            return c;
    return -1;
}

static int add_col(mb_sweep_table *t, const char *name)
{
    int c = mb_sweep_table_col(t, name);
    if (c >= 0)
        return c;
    char **cols = realloc(t->cols, (size_t)(t->n_cols + 1) * sizeof *cols);
    if (!cols)
        return -1;
    t->cols = cols;
    if (!(t->cols[t->n_cols] = strdup(name)))
        return -1;
    /* rows read so far get an empty field */
    for (int r = 0; r < t->n_rows; r++) {
        char **row = realloc(t->rows[r], (size_t)(t->n_cols + 1) * sizeof *row);
        if (!row || !(row[t->n_cols] = strdup("")))
            return -1;
        t->rows[r] = row;
    }
    return t->n_cols++;
}

static int add_row(mb_sweep_table *t, int cell)
{
    char ***rows = realloc(t->rows, (size_t)(t->n_rows + 1) * sizeof *rows);
    int *row_cell = realloc(t->row_cell, (size_t)(t->n_rows + 1) * sizeof *row_cell);
    if (rows)
        t->rows = rows;
    if (row_cell)
        t->row_cell = row_cell;
    char **row = rows && row_cell ? calloc((size_t)t->n_cols, sizeof *row) : NULL;
    if (!row)
        return -1;
    for (int c = 0; c < t->n_cols; c++)
        if (!(row[c] = strdup("")))
            return -1;
    t->rows[t->n_rows] = row;
    t->row_cell[t->n_rows] = cell;
    return t->n_rows++;
}

static int set_field(mb_sweep_table *t, int r, int c, const char *value)
{
    char *v = strdup(value);
    if (!v)
        return -1;
    free(t->rows[r][c]);
    t->rows[r][c] = v;
    return 0;
}

#define MAX_FIELDS 1024

/* Appends the rows of one cell's metrics.csv; 0 rows when the file is absent. */
static int read_cell(mb_sweep_table *t, const mb_sweep *sw, const mb_sweep_cell *cell,
                     int *n_read)
{
    char dir[MB_PATH_MAX + 300], path[MB_PATH_MAX + 340];
    mb_sweep_cell_dir(sw, cell, dir, sizeof dir);
    snprintf(path, sizeof path, "%s/metrics.csv", dir);
    *n_read = 0;
    char *text = sweep_read_text(path);
    if (!text)
        return MB_OK;
    char *fields[MAX_FIELDS];
    int col_of[MAX_FIELDS], n_header = 0, line_no = 0, rc = MB_OK;
    char seed[32];
    snprintf(seed, sizeof seed, "%ld", cell->seed);
    for (char *save = NULL, *line = strtok_r(text, "\n", &save); line && rc == MB_OK;
         line = strtok_r(NULL, "\n", &save)) {
        line_no++;
        const size_t len = strlen(line);
        if (len && line[len - 1] == '\r')
            line[len - 1] = 0;
        if (!*line)
            continue;
        const int n = mb_csv_split(line, fields, MAX_FIELDS);
        if (n < 0) {
            rc = mb_fail(MB_EINPUT, "%s:%d: not a CSV record", path, line_no);
        } else if (n_header == 0) {
            n_header = n;
            for (int f = 0; f < n && rc == MB_OK; f++)
                if ((col_of[f] = add_col(t, fields[f])) < 0)
                    rc = mb_fail(MB_ENOMEM, "out of memory collecting");
        } else if (n != n_header) {
            rc = mb_fail(MB_EINPUT, "%s:%d: %d fields, but the header has %d", path, line_no, n,
                         n_header);
        } else {
            const int r = add_row(t, cell->index);
            int bad = r < 0 || set_field(t, r, 0, cell->name) ||
                      set_field(t, r, sw->n_axes + 1, seed);
            for (int a = 0; a < sw->n_axes && !bad; a++)
                bad = set_field(t, r, 1 + a, sw->axes[a].values[cell->value[a]]);
            for (int f = 0; f < n && !bad; f++)
                bad = set_field(t, r, col_of[f], fields[f]);
            if (bad)
                rc = mb_fail(MB_ENOMEM, "out of memory collecting");
            (*n_read)++;
        }
    }
    free(text);
    return rc;
}

int mb_sweep_collect(const mb_sweep *sw, mb_sweep_table *t)
{
    memset(t, 0, sizeof *t);
    t->n_axes = sw->n_axes;
    int rc = add_col(t, "cell") < 0 ? MB_ENOMEM : MB_OK;
    for (int a = 0; a < sw->n_axes && rc == MB_OK; a++)
        if (add_col(t, sw->axes[a].key) < 0)
            rc = MB_ENOMEM;
    if (rc == MB_OK && add_col(t, "seed") < 0)
        rc = MB_ENOMEM;
    if (rc != MB_OK) {
        mb_sweep_table_free(t);
        return mb_fail(MB_ENOMEM, "out of memory collecting");
    }
    int with_rows = 0;
    for (int i = 0; i < sw->n_cells && rc == MB_OK; i++) {
        mb_sweep_cell cell;
        mb_sweep_cell_at(sw, i, &cell);
        int n = 0;
        rc = read_cell(t, sw, &cell, &n);
        with_rows += n > 0;
        if (rc == MB_OK && n == 0)
            mb_warn("collect: cell %s has no metrics yet (%s/cells.csv has its status)",
                    cell.name, sw->dir);
    }
    if (rc == MB_OK && with_rows == 0)
        rc = mb_fail(MB_EINPUT, "%s: no cell has metrics yet (run madbench sweep %s first)",
                     sw->dir, sw->dir);
    if (rc != MB_OK)
        mb_sweep_table_free(t);
    return rc;
}

/* A JSON value for one field: an integer or a number when the whole field is one,
 * null when empty, else a string. NULL: out of memory. */
static json_t *json_field(const char *s)
{
    char *end;
    if (!*s)
        return json_null();
    errno = 0;
    const long long i = strtoll(s, &end, 10);
    if (!*end && !errno)
        return json_integer(i);
    errno = 0;
    const double v = strtod(s, &end);
    if (!*end && !errno && isfinite(v) && !strpbrk(s, "xXpP"))
        return json_real(v);
    return mb_json_text(s);
}

int mb_sweep_table_write(const mb_sweep_table *t, const char *csv_path, const char *jsonl_path)
{
    char *csv = NULL, *jsonl = NULL;
    size_t csv_len = 0, jsonl_len = 0;
    FILE *c = open_memstream(&csv, &csv_len), *j = open_memstream(&jsonl, &jsonl_len);
    int rc = c && j ? MB_OK : mb_fail(MB_ENOMEM, "out of memory");
    for (int k = 0; k < t->n_cols && c; k++) {
        if (k)
            fputc(',', c);
        mb_csv_put(c, t->cols[k]);
    }
    if (c)
        fputc('\n', c);
    for (int r = 0; r < t->n_rows && rc == MB_OK; r++) {
        json_t *row = json_object();
        rc = row ? MB_OK : mb_fail(MB_ENOMEM, "out of memory");
        for (int k = 0; k < t->n_cols && rc == MB_OK; k++) {
            if (k)
                fputc(',', c);
            mb_csv_put(c, t->rows[r][k]);
            /* the cell name stays a string, whatever it looks like */
            rc = mb_json_set(row, t->cols[k],
                             k == 0 ? mb_json_text(t->rows[r][k]) : json_field(t->rows[r][k]));
        }
        fputc('\n', c);
        char *line = rc == MB_OK ? mb_json_line(row) : NULL;
        if (rc == MB_OK && !line)
            rc = mb_fail(MB_ENOMEM, "out of memory");
        if (line)
            fputs(line, j);
        free(line);
        json_decref(row);
    }
    if (c)
        fclose(c);
    if (j)
        fclose(j);
    if (rc == MB_OK)
        rc = csv && jsonl ? sweep_write_atomic(csv_path, csv) : mb_fail(MB_ENOMEM, "out of memory");
    if (rc == MB_OK)
        rc = sweep_write_atomic(jsonl_path, jsonl);
    free(csv);
    free(jsonl);
    return rc;
}
