/* cli/options.c — the option parser every subcommand uses, and the help text
 * printed from the same option tables. */
#include "mb_cli.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Option names are compared in their '_' form: --max-images is max_images. */
static int same_name(const char *typed, size_t len, const char *table_name)
{
    if (strlen(table_name) != len)
        return 0;
    for (size_t i = 0; i < len; i++)
        if ((typed[i] == '-' ? '_' : typed[i]) != (table_name[i] == '-' ? '_' : table_name[i]))
            return 0;
    return 1;
}

static int is_flag(const char *name, size_t len, const mb_option *opts, size_t n_opts)
{
    if (same_name(name, len, "help"))
        return 1;
    for (size_t i = 0; i < n_opts; i++)
        if (opts[i].type == MB_OPT_FLAG && same_name(name, len, opts[i].name))
            return 1;
    return 0;
}

int mb_args_parse(mb_args *a, const char *command, int argc, char **argv,
                  const mb_option *opts, size_t n_opts)
{
    memset(a, 0, sizeof *a);
    a->command = command;
    for (int i = 0; i < argc; i++) {
        const char *s = argv[i];
        const char *name = NULL, *value = NULL;
        size_t len = 0;
        if (!strncmp(s, "--", 2) && s[2]) {
            name = s + 2;
            const char *eq = strchr(name, '=');
            len = eq ? (size_t)(eq - name) : strlen(name);
            if (eq)
                value = eq + 1;
            else if (is_flag(name, len, opts, n_opts))
                value = "1";
            else if (i + 1 < argc)
                value = argv[++i];
            else
                return mb_fail(MB_EINPUT, "%s: option --%s needs a value", command, name);
        } else if (s[0] != '-' && strchr(s, '=') && strchr(s, '=') != s) {
            name = s; /* key=value override */
            len = (size_t)(strchr(s, '=') - s);
            value = s + len + 1;
        } else {
            if (a->n_positional == MB_MAX_ARGS)
                return mb_fail(MB_EINPUT, "%s: too many arguments", command);
            a->positional[a->n_positional++] = s;
            continue;
        }
        if (a->n_args == MB_MAX_ARGS)
            return mb_fail(MB_EINPUT, "%s: too many options", command);
        /* Names are stored NUL-terminated in a copy kept for the process lifetime. */
        char *copy = strndup(name, len);
        if (!copy)
            return mb_fail(MB_ENOMEM, "out of memory parsing options");
        for (char *p = copy; *p; p++)
            if (*p == '-')
                *p = '_';
        a->args[a->n_args].name = copy;
        a->args[a->n_args].value = value;
        a->n_args++;
    }
    return MB_OK;
}

/* The last one given wins, as on most command lines; every one counts as read. */
static mb_arg *find(mb_args *a, const char *table_name)
{
    mb_arg *found = NULL;
    for (int i = 0; i < a->n_args; i++)
        if (same_name(a->args[i].name, strlen(a->args[i].name), table_name)) {
            a->args[i].used = 1;
            found = &a->args[i];
        }
    return found;
}

static int is_true(const char *v)
{
    return strcmp(v, "0") && strcmp(v, "false");
}

int mb_args_help(const mb_args *a)
{
    for (int i = a->n_args - 1; i >= 0; i--)
        if (!strcmp(a->args[i].name, "help"))
            return is_true(a->args[i].value);
    return 0;
}

static void choice_list(const char *const *choices, const char *sep, char *out, size_t len)
{
    out[0] = 0;
    for (int i = 0; choices[i]; i++)
        snprintf(out + strlen(out), len - strlen(out), "%s%s", i ? sep : "", choices[i]);
}

static int read_number(const mb_args *a, const mb_option *o, const mb_arg *arg, void *field)
{
    char *end;
    errno = 0;
    const int integer = o->type == MB_OPT_INT || o->type == MB_OPT_LONG || o->type == MB_OPT_U64;
    if (integer) {
        long long v = strtoll(arg->value, &end, 10);
        if (errno || end == arg->value || *end)
            return mb_fail(MB_EINPUT, "%s: option %s='%s' is not an integer", a->command,
                           arg->name, arg->value);
        if (v < o->lo || v > o->hi)
            return mb_fail(MB_EINPUT, "%s: option %s=%lld is out of range (expected "
                           "%.0f..%.0f)", a->command, arg->name, v, o->lo, o->hi);
        if (o->type == MB_OPT_INT)
            *(int *)field = (int)v;
        else if (o->type == MB_OPT_LONG)
            *(long *)field = (long)v;
        else
            *(uint64_t *)field = (uint64_t)v;
        return MB_OK;
    }
    double v = strtod(arg->value, &end);
    if (errno || end == arg->value || *end || !isfinite(v))
        return mb_fail(MB_EINPUT, "%s: option %s='%s' is not a number", a->command, arg->name,
                       arg->value);
    if (v < o->lo || v > o->hi)
        return mb_fail(MB_EINPUT, "%s: option %s=%g is out of range (expected %g..%g)",
                       a->command, arg->name, v, o->lo, o->hi);
    if (o->type == MB_OPT_FLOAT)
        *(float *)field = (float)v;
    else
        *(double *)field = v;
    return MB_OK;
}

int mb_options_read(mb_args *a, const mb_option *opts, size_t n_opts, const char *variant,
                    void *values)
{
    for (size_t i = 0; i < n_opts; i++) {
        const mb_option *o = &opts[i];
        if (o->type == MB_OPT_HEADING || (o->only && (!variant || strcmp(o->only, variant))))
            continue;
        const mb_arg *arg = find(a, o->name);
        if (!arg)
            continue;
        void *field = (char *)values + o->offset;
        switch (o->type) {
        case MB_OPT_FLAG:
            if (strcmp(arg->value, "1") && strcmp(arg->value, "0") &&
                strcmp(arg->value, "true") && strcmp(arg->value, "false"))
                return mb_fail(MB_EINPUT, "%s: option %s='%s' is not 1 or 0", a->command,
                               arg->name, arg->value);
            *(int *)field = is_true(arg->value);
            break;
        case MB_OPT_STRING:
            *(const char **)field = arg->value;
            break;
        case MB_OPT_CHOICE: {
            int k = 0;
            while (o->choices[k] && strcmp(o->choices[k], arg->value))
                k++;
            if (!o->choices[k]) {
                char list[256];
                choice_list(o->choices, ", ", list, sizeof list);
                return mb_fail(MB_EINPUT, "%s: option %s='%s' is not one of: %s", a->command,
                               arg->name, arg->value, list);
            }
            *(int *)field = k;
            break;
        }
        default:
            MB_TRY(read_number(a, o, arg, field));
        }
    }
    return MB_OK;
}

int mb_args_check_unused(const mb_args *a)
{
    for (int i = 0; i < a->n_args; i++)
        if (!a->args[i].used && strcmp(a->args[i].name, "help"))
            return mb_fail(MB_EINPUT, "%s: unknown option '%s' (see madbench %s --help)",
                           a->command, a->args[i].name, a->command);
    return MB_OK;
}

/* ---- help ---- */

enum { HELP_COLUMN = 24, HELP_WIDTH = 88 };

void mb_help_line(FILE *out, const char *left, const char *text)
{
    int col = fprintf(out, "  %s", left);
    if (col > HELP_COLUMN - 1) {
        fputc('\n', out);
        col = 0;
    }
    col += fprintf(out, "%*s", HELP_COLUMN - col, "");
    /* words of text, wrapped at HELP_WIDTH, continuation lines at HELP_COLUMN */
    const char *p = text;
    int first = 1;
    while (*p) {
        while (*p == ' ')
            p++;
        size_t word = strcspn(p, " ");
        if (!word)
            break;
        if (p[word - 1] == ':' && p[word]) /* never break after a colon: "(default: 5)" */
            word += 1 + strcspn(p + word + 1, " ");
        if (!first && col + 1 + (int)word > HELP_WIDTH) {
            col = fprintf(out, "\n%*s", HELP_COLUMN, "") - 1;
            first = 1;
        }
        col += fprintf(out, "%s%.*s", first ? "" : " ", (int)word, p);
        first = 0;
        p += word;
    }
    fputc('\n', out);
}

static void format_default(const mb_option *o, const void *values, char *out, size_t len)
{
    const void *field = (const char *)values + o->offset;
    switch (o->type) {
    case MB_OPT_INT: snprintf(out, len, "%d", *(const int *)field); break;
    case MB_OPT_LONG: snprintf(out, len, "%ld", *(const long *)field); break;
    case MB_OPT_U64:
        snprintf(out, len, "%llu", (unsigned long long)*(const uint64_t *)field);
        break;
    case MB_OPT_FLOAT: mb_format_shortest(out, len, *(const float *)field, 1); break;
    case MB_OPT_DOUBLE: mb_format_shortest(out, len, *(const double *)field, 0); break;
    case MB_OPT_STRING: {
        const char *s = *(const char *const *)field;
        snprintf(out, len, "%s", s ? s : "");
        break;
    }
    case MB_OPT_CHOICE: snprintf(out, len, "%s", o->choices[*(const int *)field]); break;
    default: out[0] = 0;
    }
}

/* The default of one option: its variant's own (toy gmm's --components), the value
 * all variants share, or one per variant ("1000 gaussian, 200 gmm"). */
static void default_text(const mb_option *o, const void *const *defaults,
                         const char *const *variants, int n_variants, char *out, size_t len)
{
    int k = 0;
    while (o->only && k < n_variants - 1 && strcmp(o->only, variants[k]))
        k++;
    format_default(o, defaults[k], out, len);
    int differ = 0;
    char v[128];
    for (int j = 0; j < n_variants && !o->only; j++) {
        format_default(o, defaults[j], v, sizeof v);
        differ |= strcmp(v, out) != 0;
    }
    if (!differ)
        return;
    out[0] = 0;
    for (int j = 0; j < n_variants; j++) {
        format_default(o, defaults[j], v, sizeof v);
        snprintf(out + strlen(out), len - strlen(out), "%s%s %s", j ? ", " : "", v,
                 variants[j]);
    }
}

void mb_options_help(FILE *out, const mb_option *opts, size_t n_opts,
                     const void *const *defaults, const char *const *variants,
                     int n_variants)
{
    for (size_t i = 0; i < n_opts; i++) {
        const mb_option *o = &opts[i];
        if (o->type == MB_OPT_HEADING) {
            fprintf(out, "\n%s\n", o->name);
            continue;
        }
        char left[320], value[256], text[1024];
        if (o->type == MB_OPT_CHOICE && !o->metavar)
            choice_list(o->choices, "|", value, sizeof value);
        else
            snprintf(value, sizeof value, "%s", o->metavar ? o->metavar : "");
        snprintf(left, sizeof left, "--%s%s%s", o->name, value[0] ? " " : "", value);
        snprintf(text, sizeof text, "%s%s%s", o->only ? o->only : "", o->only ? ": " : "",
                 o->help);
        char def[512] = "";
        if (o->default_text)
            snprintf(def, sizeof def, "%s", o->default_text);
        else if (o->type != MB_OPT_FLAG)
            default_text(o, defaults, variants, n_variants, def, sizeof def);
        if (def[0])
            snprintf(text + strlen(text), sizeof text - strlen(text), " (default: %s)", def);
        mb_help_line(out, left, text);
    }
    mb_help_line(out, "--help", "this text");
}
