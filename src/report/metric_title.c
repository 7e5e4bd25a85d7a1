/* report/metric_title.c — a metric's title and definition from the column table
 * (mb_row.h), for pages built elsewhere (the sweep report). */
#include "report_internal.h"

const char *mb_report_metric_title(const char *key, const char **what)
{
    const mb_column *c = mb_column_find(key);
    if (what)
        *what = c && c->title ? c->meaning : NULL;
    return c && c->title ? c->title : key;
}
