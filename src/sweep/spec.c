/* sweep/spec.c — the sweep file: a base config, [set] overrides, the [grid] axes,
 * named [variants] and seeds, expanded to cells with stable, readable names.
 *
 *   [sweep]   base = FILE (relative to the sweep file), seeds = 1-5, name, out
 *   [grid]    section.key = a, b, c
 *   [variants] NAME = section.key=value section.key=value ...   (one axis "variant")
 *   [set]     section.key = value
 *
 * Cell i enumerates the axes in order (the variant axis first, the first one
 * slowest) and the seeds fastest, so index, name and settings never depend on
 * anything but the sweep file. */
#include "mb_sweep.h"

#include "mb_files.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct {
    char section[32], key[128];
    char *value;
} entry;

typedef struct {
    entry *e;
    int n, cap;
} entries;

static int on_entry(void *user, const char *section, const char *name, const char *value,
                    const char *where)
{
    entries *es = user;
    if (strlen(section) >= sizeof es->e->section || strlen(name) >= sizeof es->e->key)
        return mb_fail(MB_EINPUT, "%s: section or key name too long (expected at most %zu and "
                       "%zu characters)", where, sizeof es->e->section - 1,
                       sizeof es->e->key - 1);
    if (es->n == es->cap) {
        es->cap = es->cap ? 2 * es->cap : 32;
        entry *e = realloc(es->e, (size_t)es->cap * sizeof *e);
        if (!e)
            return mb_fail(MB_ENOMEM, "out of memory reading the sweep file");
        es->e = e;
    }
    entry *e = &es->e[es->n];
    snprintf(e->section, sizeof e->section, "%s", section);
    snprintf(e->key, sizeof e->key, "%s", name);
    e->value = strdup(value);
    if (!e->value)
        return mb_fail(MB_ENOMEM, "out of memory reading the sweep file");
    es->n++;
    return MB_OK;
}

static void entries_free(entries *es)
{
    for (int i = 0; i < es->n; i++)
        free(es->e[i].value);
    free(es->e);
}

/* The sweep owns these keys: every cell has its own seed, name and folder. */
static int check_free_key(const char *key, const char *where)
{
    static const char *const owned[] = {"run.seed", "run.name", "run.out"};
    for (size_t i = 0; i < MB_ARRAY_LEN(owned); i++)
        if (!strcmp(key, owned[i]))
            return mb_fail(MB_EINPUT, "%s: %s is set by the sweep for each cell (expected "
                           "seeds in [sweep], not %s)", where, key, key);
    return MB_OK;
}

/* "1-5", "1,3,7", "1-3,10": distinct non-negative integers. */
static int parse_seeds(mb_sweep *sw, const char *text, const char *where)
{
    char buf[4096];
    snprintf(buf, sizeof buf, "%s", text);
    sw->n_seeds = 0;
    for (char *save = NULL, *item = strtok_r(buf, ",", &save); item;
         item = strtok_r(NULL, ",", &save)) {
        item = mb_trim(item);
        long lo, hi;
        char *end;
        errno = 0;
        lo = strtol(item, &end, 10);
        if (end == item || lo < 0 || errno)
            goto bad;
        hi = lo;
        if (*end == '-') {
            char *start = end + 1;
            hi = strtol(start, &end, 10);
            if (end == start || errno)
                goto bad;
            if (hi < lo)
                return mb_fail(MB_EINPUT, "%s: seed range '%s' runs backwards (expected "
                               "FIRST-LAST with FIRST <= LAST)", where, item);
        }
        if (*end)
            goto bad;
        for (long s = lo; s <= hi; s++) {
            if (sw->n_seeds == MB_SWEEP_MAX_SEEDS)
                return mb_fail(MB_EINPUT, "%s: more than %d seeds", where, MB_SWEEP_MAX_SEEDS);
            for (int k = 0; k < sw->n_seeds; k++)
                if (sw->seeds[k] == s)
                    return mb_fail(MB_EINPUT, "%s: seed %ld is listed twice", where, s);
            sw->seeds[sw->n_seeds++] = s;
        }
        continue;
    bad:
        return mb_fail(MB_EINPUT, "%s: seeds item '%s' (expected N or FIRST-LAST, e.g. "
                       "seeds = 1-5 or 1,3,7)", where, item);
    }
    if (sw->n_seeds == 0)
        return mb_fail(MB_EINPUT, "%s: no seeds (expected e.g. seeds = 1-5)", where);
    return MB_OK;
}

/* Applies "k=v k=v ..." (a variant's settings) to cfg; checks only when cfg is NULL. */
static int apply_settings(mb_run_config *cfg, const char *settings, const char *where)
{
    char buf[2048];
    snprintf(buf, sizeof buf, "%s", settings);
    mb_run_config scratch;
    if (!cfg) {
        mb_run_config_default(&scratch);
        cfg = &scratch;
    }
    for (char *save = NULL, *tok = strtok_r(buf, " \t", &save); tok;
         tok = strtok_r(NULL, " \t", &save)) {
        char *eq = strchr(tok, '=');
        if (!eq || eq == tok)
            return mb_fail(MB_EINPUT, "%s: '%s' (expected section.key=value settings "
                           "separated by spaces)", where, tok);
        *eq = 0;
        MB_TRY(check_free_key(tok, where));
        MB_TRY(mb_run_config_set(cfg, tok, eq + 1, where));
    }
    return MB_OK;
}

static int valid_value_name(const char *v)
{
    if (!*v)
        return 0;
    for (const char *p = v; *p; p++)
        if (!(('a' <= *p && *p <= 'z') || ('A' <= *p && *p <= 'Z') || ('0' <= *p && *p <= '9') ||
              *p == '.' || *p == '-' || *p == '+'))
            return 0;
    return 1;
}

/* A [grid] axis "key = a, b, c" (replacing an axis of the same key). */
static int add_grid_axis(mb_sweep *sw, const char *key, const char *list, const char *where)
{
    MB_TRY(check_free_key(key, where));
    mb_sweep_axis *ax = NULL;
    for (int a = 0; a < sw->n_axes; a++)
        if (!strcmp(sw->axes[a].key, key))
            ax = &sw->axes[a];
    if (!ax) {
        if (sw->n_axes == MB_SWEEP_MAX_AXES)
            return mb_fail(MB_EINPUT, "%s: more than %d grid axes", where, MB_SWEEP_MAX_AXES);
        ax = &sw->axes[sw->n_axes++];
    }
    memset(ax, 0, sizeof *ax);
    if (strlen(key) >= sizeof ax->key)
        return mb_fail(MB_EINPUT, "%s: grid key '%s' is too long", where, key);
    snprintf(ax->key, sizeof ax->key, "%s", key);
    char buf[8192];
    snprintf(buf, sizeof buf, "%s", list);
    if (!*mb_trim(buf))
        return mb_fail(MB_EINPUT, "%s: the grid of %s is empty (expected values separated "
                       "by commas, e.g. %s = a, b)", where, key, key);
    mb_run_config scratch;
    mb_run_config_default(&scratch);
    char *p = buf;
    for (;;) {
        char *comma = strchr(p, ',');
        if (comma)
            *comma = 0;
        char *v = mb_trim(p);
        if (!*v)
            return mb_fail(MB_EINPUT, "%s: %s has an empty value in '%s' (expected values "
                           "separated by commas)", where, key, list);
        if (ax->n_values == MB_SWEEP_MAX_VALUES)
            return mb_fail(MB_EINPUT, "%s: %s has more than %d values", where, key,
                           MB_SWEEP_MAX_VALUES);
        if (!valid_value_name(v))
            return mb_fail(MB_EINPUT, "%s: %s = '%s' (expected a grid value made of letters, "
                           "digits, '.', '+' and '-')", where, key, v);
        MB_TRY(mb_run_config_set(&scratch, key, v, where)); /* unknown key, wrong type */
        for (int k = 0; k < ax->n_values; k++)
            if (!strcmp(ax->values[k], v))
                return mb_fail(MB_EINPUT, "%s: %s lists '%s' twice", where, key, v);
        snprintf(ax->values[ax->n_values++], sizeof ax->values[0], "%s", v);
        if (!comma)
            break;
        p = comma + 1;
    }
    return MB_OK;
}

static int add_variant(mb_sweep *sw, const char *name, const char *settings, const char *where)
{
    mb_sweep_axis *ax = &sw->axes[0];
    if (sw->n_axes == 0 || strcmp(ax->key, "variant")) { /* the variant axis comes first */
        if (sw->n_axes == MB_SWEEP_MAX_AXES)
            return mb_fail(MB_EINPUT, "%s: more than %d grid axes", where, MB_SWEEP_MAX_AXES);
        memmove(&sw->axes[1], &sw->axes[0], (size_t)sw->n_axes * sizeof *ax);
        memset(ax, 0, sizeof *ax);
        snprintf(ax->key, sizeof ax->key, "variant");
        sw->n_axes++;
    }
    if (!valid_value_name(name) || strlen(name) >= sizeof ax->values[0])
        return mb_fail(MB_EINPUT, "%s: variant name '%s' (expected letters, digits, '.', '+' "
                       "and '-')", where, name);
    for (int k = 0; k < ax->n_values; k++)
        if (!strcmp(ax->values[k], name))
            return mb_fail(MB_EINPUT, "%s: variant '%s' is defined twice", where, name);
    if (ax->n_values == MB_SWEEP_MAX_VALUES)
        return mb_fail(MB_EINPUT, "%s: more than %d variants", where, MB_SWEEP_MAX_VALUES);
    MB_TRY(apply_settings(NULL, settings, where));
    snprintf(ax->values[ax->n_values], sizeof ax->values[0], "%s", name);
    ax->settings[ax->n_values] = strdup(settings);
    if (!ax->settings[ax->n_values])
        return mb_fail(MB_ENOMEM, "out of memory");
    ax->n_values++;
    return MB_OK;
}

static int is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* The sweep.* keys of the file and the command line. */
typedef struct {
    char base[MB_PATH_MAX], seeds[4096], name[256], out[MB_PATH_MAX];
} sweep_keys;

static int sweep_key(sweep_keys *k, const char *key, const char *value, const char *where)
{
    struct {
        const char *name;
        char *field;
        size_t size;
    } known[] = {{"base", k->base, sizeof k->base}, {"seeds", k->seeds, sizeof k->seeds},
                 {"name", k->name, sizeof k->name}, {"out", k->out, sizeof k->out}};
    for (size_t i = 0; i < MB_ARRAY_LEN(known); i++)
        if (!strcmp(key, known[i].name)) {
            if (strlen(value) >= known[i].size)
                return mb_fail(MB_EINPUT, "%s: sweep.%s is too long", where, key);
            snprintf(known[i].field, known[i].size, "%s", value);
            return MB_OK;
        }
    return mb_fail(MB_EINPUT, "%s: unknown key sweep.%s (expected base, seeds, name or out)",
                   where, key);
}

void mb_sweep_free(mb_sweep *sw)
{
    for (int a = 0; a < sw->n_axes; a++)
        for (int v = 0; v < sw->axes[a].n_values; v++) {
            free(sw->axes[a].settings[v]);
            sw->axes[a].settings[v] = NULL;
        }
    sw->n_axes = 0;
}

static int expand_and_check(mb_sweep *sw);

int mb_sweep_load(mb_sweep *sw, const char *path, const mb_sweep_overrides *ov)
{
    memset(sw, 0, sizeof *sw);
    char file[MB_PATH_MAX + 16], folder[MB_PATH_MAX + 16];
    const int from_folder = path && is_dir(path);
    if (from_folder)
        snprintf(file, sizeof file, "%s/sweep.ini", path);
    else
        snprintf(file, sizeof file, "%s", path ? path : "");
    /* the sweep file's folder: relative base paths start there */
    snprintf(folder, sizeof folder, "%s", file);
    char *slash = strrchr(folder, '/');
    if (slash)
        *slash = 0;
    else
        snprintf(folder, sizeof folder, ".");

    entries es = {0};
    if (path) {
        char *text;
        size_t len;
        if (from_folder && access(file, F_OK) != 0)
            return mb_fail(MB_EINPUT, "%s: no sweep file (is the folder a madbench sweep?)",
                           file);
        MB_TRY(mb_read_file(file, "sweep file", (size_t)1 << 20, &text, &len));
        const int r = strlen(text) != len
                          ? mb_fail(MB_EINPUT, "%s: holds a NUL byte (expected an INI text file)",
                                    file)
                          : mb_ini_parse(text, file, on_entry, &es);
        free(text);
        if (r != MB_OK) {
            entries_free(&es);
            return r;
        }
    }
    sweep_keys k = {.seeds = "1", .out = "results/sweeps"};
    int rc = MB_OK;
    char where[MB_PATH_MAX + 64];
    for (int i = 0; i < es.n && rc == MB_OK; i++) {
        const entry *e = &es.e[i];
        snprintf(where, sizeof where, "%s [%s]", file, e->section);
        if (!strcmp(e->section, "sweep"))
            rc = sweep_key(&k, e->key, e->value, where);
        else if (strcmp(e->section, "grid") && strcmp(e->section, "variants") &&
                 strcmp(e->section, "set"))
            rc = mb_fail(MB_EINPUT, "%s: unknown section [%s] (expected [sweep], [grid], "
                         "[variants] or [set])", file, e->section);
    }
    for (int i = 0; ov && i < ov->n_set && rc == MB_OK; i++)
        if (!strncmp(ov->set[i], "sweep.", 6)) {
            char key[64];
            const char *eq = strchr(ov->set[i], '=');
            snprintf(key, sizeof key, "%.*s", (int)(eq - ov->set[i] - 6), ov->set[i] + 6);
            char value[MB_PATH_MAX], cwd[MB_PATH_MAX / 2];
            /* a base on the command line is relative to the current folder */
            if (!strcmp(key, "base") && eq[1] != '/' && getcwd(cwd, sizeof cwd))
                snprintf(value, sizeof value, "%s/%.*s", cwd, (int)(sizeof value - sizeof cwd - 2),
                         eq + 1);
            else
                snprintf(value, sizeof value, "%s", eq + 1);
            rc = sweep_key(&k, key, value, "command line");
        }
    if (ov && ov->seeds)
        snprintf(k.seeds, sizeof k.seeds, "%s", ov->seeds);

    /* the base config, then [set], then the command line's key=value */
    mb_run_config_default(&sw->base);
    if (rc == MB_OK && k.base[0]) {
        char base[3 * MB_PATH_MAX];
        if (k.base[0] == '/')
            snprintf(base, sizeof base, "%s", k.base);
        else
            snprintf(base, sizeof base, "%s/%s", folder, k.base);
        rc = mb_run_config_load(&sw->base, base);
    }
    for (int i = 0; i < es.n && rc == MB_OK; i++) {
        const entry *e = &es.e[i];
        snprintf(where, sizeof where, "%s [%s]", file, e->section);
        if (!strcmp(e->section, "set")) {
            rc = check_free_key(e->key, where);
            if (rc == MB_OK)
                rc = mb_run_config_set(&sw->base, e->key, e->value, where);
        } else if (!strcmp(e->section, "variants")) {
            rc = add_variant(sw, e->key, e->value, where);
        } else if (!strcmp(e->section, "grid")) {
            rc = add_grid_axis(sw, e->key, e->value, where);
        }
    }
    entries_free(&es);
    for (int i = 0; ov && i < ov->n_set && rc == MB_OK; i++) {
        if (!strncmp(ov->set[i], "sweep.", 6))
            continue;
        char key[128];
        const char *eq = strchr(ov->set[i], '=');
        snprintf(key, sizeof key, "%.*s", (int)(eq - ov->set[i]), ov->set[i]);
        rc = check_free_key(key, "command line");
        if (rc == MB_OK)
            rc = mb_run_config_set(&sw->base, key, eq + 1, "command line");
    }
    for (int i = 0; ov && i < ov->n_grid && rc == MB_OK; i++) {
        const char *eq = strchr(ov->grid[i], '=');
        if (!eq || eq == ov->grid[i]) {
            rc = mb_fail(MB_EINPUT, "command line: --grid '%s' (expected KEY=a,b,c)",
                         ov->grid[i]);
            break;
        }
        char key[128];
        snprintf(key, sizeof key, "%.*s", (int)(eq - ov->grid[i]), ov->grid[i]);
        rc = add_grid_axis(sw, key, eq + 1, "command line --grid");
    }
    if (rc == MB_OK)
        rc = parse_seeds(sw, k.seeds, from_folder || !path ? "seeds" : file);

    /* the sweep folder */
    if (rc == MB_OK && from_folder) {
        snprintf(sw->dir, sizeof sw->dir, "%s", path);
        size_t n = strlen(sw->dir);
        while (n > 1 && sw->dir[n - 1] == '/')
            sw->dir[--n] = 0;
    } else if (rc == MB_OK) {
        char name[256];
        if (k.name[0]) {
            snprintf(name, sizeof name, "%s", k.name);
        } else if (path) {
            const char *b = strrchr(path, '/');
            snprintf(name, sizeof name, "%s", b ? b + 1 : path);
            char *dot = strrchr(name, '.');
            if (dot && dot != name)
                *dot = 0;
        } else {
            snprintf(name, sizeof name, "sweep");
        }
        if (!name[0] || strchr(name, '/') || name[0] == '.')
            rc = mb_fail(MB_EINPUT, "sweep.name = '%s' (expected a folder name)", name);
        else if (strlen(k.out) + strlen(name) + 2 > sizeof sw->dir - 64)
            rc = mb_fail(MB_EINPUT, "sweep.out = '%s' is too long", k.out);
        else
            snprintf(sw->dir, sizeof sw->dir, "%.*s/%s", (int)(sizeof sw->dir - 300), k.out, name);
    }
    if (rc == MB_OK)
        rc = expand_and_check(sw);
    if (rc != MB_OK)
        mb_sweep_free(sw);
    return rc;
}

/* ---- cells ---- */

void mb_sweep_cell_at(const mb_sweep *sw, int index, mb_sweep_cell *cell)
{
    memset(cell, 0, sizeof *cell);
    cell->index = index;
    cell->seed = sw->seeds[index % sw->n_seeds];
    int rest = index / sw->n_seeds;
    for (int a = sw->n_axes - 1; a >= 0; a--) {
        cell->value[a] = rest % sw->axes[a].n_values;
        rest /= sw->axes[a].n_values;
    }
    /* the variant's name, or the key's last part and the value: "lambda-0.8" */
    size_t len = 0;
    for (int a = 0; a < sw->n_axes; a++) {
        const mb_sweep_axis *ax = &sw->axes[a];
        const char *dot = strrchr(ax->key, '.');
        if (!strcmp(ax->key, "variant"))
            len += (size_t)snprintf(cell->name + len, sizeof cell->name - len, "%s_",
                                    ax->values[cell->value[a]]);
        else
            len += (size_t)snprintf(cell->name + len, sizeof cell->name - len, "%s-%s_",
                                    dot ? dot + 1 : ax->key, ax->values[cell->value[a]]);
        if (len >= sizeof cell->name)
            len = sizeof cell->name - 1;
    }
    snprintf(cell->name + len, sizeof cell->name - len, "s%ld", cell->seed);
}

void mb_sweep_cell_label(const mb_sweep *sw, const mb_sweep_cell *cell, char *out, size_t len)
{
    size_t n = 0;
    out[0] = 0;
    for (int a = 0; a < sw->n_axes && n < len; a++) {
        const mb_sweep_axis *ax = &sw->axes[a];
        const char *dot = strrchr(ax->key, '.');
        if (!strcmp(ax->key, "variant"))
            n += (size_t)snprintf(out + n, len - n, "%s%s", a ? ", " : "",
                                  ax->values[cell->value[a]]);
        else
            n += (size_t)snprintf(out + n, len - n, "%s%s %s", a ? ", " : "",
                                  dot ? dot + 1 : ax->key, ax->values[cell->value[a]]);
    }
    if (!out[0])
        snprintf(out, len, "all cells");
}

void mb_sweep_cell_dir(const mb_sweep *sw, const mb_sweep_cell *cell, char *out, size_t len)
{
    snprintf(out, len, "%s/cells/%s", sw->dir, cell->name);
}

int mb_sweep_cell_config(const mb_sweep *sw, const mb_sweep_cell *cell, mb_run_config *cfg)
{
    *cfg = sw->base;
    for (int a = 0; a < sw->n_axes; a++) {
        const mb_sweep_axis *ax = &sw->axes[a];
        const int v = cell->value[a];
        char where[300];
        snprintf(where, sizeof where, "sweep cell %s", cell->name);
        if (!strcmp(ax->key, "variant"))
            MB_TRY(apply_settings(cfg, ax->settings[v], where));
        else
            MB_TRY(mb_run_config_set(cfg, ax->key, ax->values[v], where));
    }
    cfg->seed = cell->seed;
    if (strlen(sw->dir) + 8 >= sizeof cfg->out)
        return mb_fail(MB_EINPUT, "%s: the sweep folder's path is too long", sw->dir);
    snprintf(cfg->out, sizeof cfg->out, "%s/cells", sw->dir);
    if (strlen(cell->name) >= sizeof cfg->name)
        return mb_fail(MB_EINPUT, "sweep cell %s: the name is longer than %zu characters "
                       "(expected fewer or shorter grid values)", cell->name, sizeof cfg->name - 1);
    memcpy(cfg->name, cell->name, strlen(cell->name) + 1);
    return MB_OK;
}

static int expand_and_check(mb_sweep *sw)
{
    long n = sw->n_seeds;
    for (int a = 0; a < sw->n_axes; a++) {
        if (sw->axes[a].n_values == 0)
            return mb_fail(MB_EINPUT, "sweep: the axis %s has no values", sw->axes[a].key);
        n *= sw->axes[a].n_values;
        if (n > 100000)
            return mb_fail(MB_EINPUT, "sweep: more than 100000 cells (expected a smaller grid)");
    }
    sw->n_cells = (int)n;
    /* every cell's configuration is valid, and no two names collide */
    char (*names)[256] = malloc((size_t)n * sizeof *names);
    if (!names)
        return mb_fail(MB_ENOMEM, "out of memory expanding the sweep");
    int rc = MB_OK;
    for (int i = 0; i < sw->n_cells && rc == MB_OK; i++) {
        mb_sweep_cell cell;
        mb_run_config cfg;
        mb_sweep_cell_at(sw, i, &cell);
        rc = mb_sweep_cell_config(sw, &cell, &cfg);
        if (rc == MB_OK && (rc = mb_run_config_check(&cfg)) != MB_OK) {
            char msg[1024];
            snprintf(msg, sizeof msg, "%s", mb_last_error());
            rc = mb_fail(MB_EINPUT, "sweep cell %s: %s", cell.name, msg);
        }
        memcpy(names[i], cell.name, sizeof cell.name);
        for (int j = 0; j < i && rc == MB_OK; j++)
            if (!strcmp(names[j], cell.name))
                rc = mb_fail(MB_EINPUT, "sweep: cells %d and %d are both named %s (expected "
                             "grid keys whose last parts differ)", j, i, cell.name);
    }
    free(names);
    return rc;
}

void mb_sweep_list(const mb_sweep *sw, FILE *out)
{
    for (int i = 0; i < sw->n_cells; i++) {
        mb_sweep_cell cell;
        mb_sweep_cell_at(sw, i, &cell);
        fprintf(out, "%d\t%s", i, cell.name);
        for (int a = 0; a < sw->n_axes; a++)
            fprintf(out, "\t%s=%s", sw->axes[a].key, sw->axes[a].values[cell.value[a]]);
        fprintf(out, "\tseed=%ld\n", cell.seed);
    }
}
