/* report/metric_title.c — a metric's title and definition from the report's
 * list of plotted metrics, for pages built elsewhere (the sweep report). */
#include "report_internal.h"

#include <string.h>

const char *mb_report_metric_title(const char *key, const char **what)
{
    for (int g = 0; g < mb_report_n_groups; g++)
        for (int i = 0; i < mb_report_groups[g].n; i++) {
            const report_metric *m = &mb_report_groups[g].metrics[i];
            if (!strcmp(m->key, key)) {
                if (what)
                    *what = m->what;
                return m->title;
            }
        }
    if (what)
        *what = NULL;
    return key;
}
