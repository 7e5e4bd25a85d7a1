/* test_metrics_columns.c — the table of a generation's columns (mb_row.h): names
 * unique and plain, every offset inside mb_row, and the writers it drives: the
 * CSV header and a row line up field for field, values print as %.10g (empty
 * where not measured), JSON holds every column in table order with null where
 * not measured, the progress line holds the progress columns. */
#include "mb_row.h"
#include "testutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Text written by fn into a string (freed by the caller). */
#define CAPTURE(text, call)                              \
    do {                                                 \
        size_t len_ = 0;                                 \
        FILE *f_ = open_memstream(&(text), &len_);       \
        call;                                            \
        fclose(f_);                                      \
    } while (0)

static int count_char(const char *s, char c)
{
    int n = 0;
    for (; *s; s++)
        n += *s == c;
    return n;
}

/* Characters (not bytes) of UTF-8 text. */
static int utf8_length(const char *s)
{
    int n = 0;
    for (; *s; s++)
        n += ((unsigned char)*s & 0xC0) != 0x80;
    return n;
}

static void test_table(void)
{
    int n_csv = 0;
    for (int i = 0; i < mb_n_columns; i++) {
        const mb_column *c = &mb_columns[i];
        CHECK(strspn(c->name, "abcdefghijklmnopqrstuvwxyz0123456789_") == strlen(c->name),
              "column name '%s' is not plain", c->name);
        CHECK(mb_column_find(c->name) == c, "column '%s' appears twice", c->name);
        CHECK(c->meaning && *c->meaning && !strchr(c->meaning, '|'),
              "column '%s': a meaning without '|' (it is a Markdown cell)", c->name);
        CHECK(c->offset + sizeof(double) <= sizeof(mb_row), "column '%s': offset %zu",
              c->name, c->offset);
        CHECK(!(c->flags & MB_COL_CSV) || c->type != MB_COL_SERIES,
              "column '%s': a series cannot be a CSV column", c->name);
        CHECK(c->group == MB_GROUP_NONE || (c->title && utf8_length(c->meaning) <= 72),
              "plotted column '%s' needs a title and a meaning of at most 72 characters (the "
              "plot's subtitle), got %d", c->name, utf8_length(c->meaning));
        CHECK(!c->ref || mb_column_find(c->ref), "column '%s': reference column '%s' unknown",
              c->name, c->ref);
        n_csv += (c->flags & MB_COL_CSV) != 0;
    }
    CHECK(mb_column_find("fd_inf") && (mb_column_find("fd_inf")->flags & MB_COL_CSV),
          "fd_inf is a metrics.csv column");
    CHECK(!mb_column_find("no_such_column"), "unknown names are not found");
    CHECK(n_csv >= 30, "%d CSV columns", n_csv);
}

static void test_writers(void)
{
    mb_row row;
    memset(&row, 0, sizeof row);
    row.info = (mb_generation_info){.generation = 3, .train_images = 1200, .loss = NAN,
                                    .wm_tpr = NAN, .wm_fpr = NAN, .wm_passthrough = NAN,
                                    .reweight_unique = -1, .detector_dropped = {7, 9},
                                    .gen1_broken = NAN};
    row.metrics.fd = 1.5;
    row.metrics.fd_inf = NAN;
    row.metrics.prdc.precision = 0.25;
    row.metrics.tail99 = 1.0 / 3.0;
    row.metrics.classes.entropy = 2.0; /* not measured: has_classes is 0 */
    row.metrics.radius_bins = 2;
    row.metrics.radius_hist[0] = 0.75, row.metrics.radius_hist[1] = 0.25;

    char *header = NULL, *line = NULL, *json = NULL;
    header = mb_row_text(NULL, MB_ROW_CSV_HEADER);
    CAPTURE(line, mb_row_print_csv(f_, &row));
    CHECK(!strncmp(header, "generation,train_images,", 24), "header starts %.40s", header);
    CHECK(count_char(header, ',') == count_char(line, ','), "header has %d commas, row %d",
          count_char(header, ','), count_char(line, ','));
    CHECK(!strncmp(line, "3,1200,0,0,,", 12), "row starts %.40s", line);
    CHECK(strstr(line, ",1.5,,") != NULL, "fd then an empty fd_inf: %s", line);
    CHECK(strstr(line, ",0.3333333333,") != NULL, "tail99 at %%.10g: %s", line);
    CHECK(strstr(line, ",7,9,0,-1,\n") != NULL, "the curation counts, then gen1_broken: %s", line);

    /* the class columns: empty in CSV, null in JSON, while has_classes is 0 */
    const mb_column *entropy = mb_column_find("class_entropy");
    CHECK(isnan(mb_column_value(entropy, &row)), "class_entropy measured without classes");
    row.metrics.has_classes = 1;
    CHECK(mb_column_value(entropy, &row) == 2.0, "class_entropy with classes");
    row.metrics.has_classes = 0;

    json = mb_row_text(&row, MB_ROW_JSON);
    CHECK(json != NULL, "JSON row");
    const char *at = json;
    for (int i = 0; i < mb_n_columns; i++) { /* every key, in table order */
        char key[80];
        snprintf(key, sizeof key, "\"%s\":", mb_columns[i].name);
        const char *found = strstr(at, key);
        CHECK(found != NULL, "JSON lacks %s after %.30s", key, at);
        at = found ? found : at;
    }
    CHECK(strstr(json, "{\"generation\":3,") == json, "JSON starts %.30s", json);
    CHECK(strstr(json, "\"fd\":1.5,\"fd_inf\":null,") != NULL, "fd / fd_inf in %s", json);
    CHECK(strstr(json, "\"tail99\":0.33333333333333331,") != NULL, "tail99 exact: %s", json);
    CHECK(strstr(json, "\"class_entropy\":null,") != NULL, "class_entropy null: %s", json);
    CHECK(strstr(json, "\"radius_hist\":[0.75,0.25],") != NULL, "radius_hist: %s", json);
    CHECK(strstr(json, "\"class_shares\":null,") != NULL, "class_shares null: %s", json);
    CHECK(strstr(json, "\"train_images\":1200,") != NULL, "integers as integers: %s", json);
    CHECK(json[strlen(json) - 1] == '\n' && !strchr(json, ' '), "one compact line: %s", json);
    free(json);

    json_t *metric = mb_row_json(&row, MB_COL_METRIC);
    for (int i = 0; metric && i < mb_n_columns; i++)
        CHECK(!json_object_get(metric, mb_columns[i].name) ==
                  !(mb_columns[i].flags & MB_COL_METRIC),
              "metric-only JSON and %s", mb_columns[i].name);
    json_decref(metric);

    char progress[256];
    mb_row_progress(&row, progress, sizeof progress);
    CHECK(!strcmp(progress, "FD 1.5  precision 0.250  recall 0.000  vendi 0  tail99 0.3333  tail99_on 0.0000"),
          "progress line '%s'", progress);
    free(header), free(line);
}

int main(void)
{
    test_table();
    test_writers();
    return mb_test_finish("test_metrics_columns");
}
