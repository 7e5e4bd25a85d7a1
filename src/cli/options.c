/* cli/options.c — the option parser every subcommand uses. */
#include "mb_cli.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static int is_flag(const char *name, size_t len, const char *const *flags)
{
    for (; flags && *flags; flags++)
        if (strlen(*flags) == len && !strncmp(*flags, name, len))
            return 1;
    return 0;
}

int mb_args_parse(mb_args *a, const char *command, int argc, char **argv,
                  const char *const *flags)
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
            else if (is_flag(name, len, flags))
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
                *p = '_'; /* --max-images and max_images are one option */
        a->args[a->n_args].name = copy;
        a->args[a->n_args].value = value;
        a->n_args++;
    }
    return MB_OK;
}

static mb_arg *find(mb_args *a, const char *name)
{
    mb_arg *found = NULL; /* the last one given wins, as on most command lines */
    for (int i = 0; i < a->n_args; i++)
        if (!strcmp(a->args[i].name, name)) {
            a->args[i].used = 1;
            found = &a->args[i];
        }
    return found;
}

const char *mb_args_str(mb_args *a, const char *name, const char *fallback)
{
    mb_arg *arg = find(a, name);
    return arg ? arg->value : fallback;
}

int mb_args_long(mb_args *a, const char *name, long fallback, long lo, long hi, long *out)
{
    mb_arg *arg = find(a, name);
    if (!arg) {
        *out = fallback;
        return MB_OK;
    }
    char *end;
    errno = 0;
    long v = strtol(arg->value, &end, 10);
    if (errno || end == arg->value || *end)
        return mb_fail(MB_EINPUT, "%s: option %s='%s' is not an integer", a->command, name,
                       arg->value);
    if (v < lo || v > hi)
        return mb_fail(MB_EINPUT, "%s: option %s=%ld is out of range (expected %ld..%ld)",
                       a->command, name, v, lo, hi);
    *out = v;
    return MB_OK;
}

int mb_args_double(mb_args *a, const char *name, double fallback, double lo, double hi,
                   double *out)
{
    mb_arg *arg = find(a, name);
    if (!arg) {
        *out = fallback;
        return MB_OK;
    }
    char *end;
    errno = 0;
    double v = strtod(arg->value, &end);
    if (errno || end == arg->value || *end || !isfinite(v))
        return mb_fail(MB_EINPUT, "%s: option %s='%s' is not a number", a->command, name,
                       arg->value);
    if (v < lo || v > hi)
        return mb_fail(MB_EINPUT, "%s: option %s=%g is out of range (expected %g..%g)",
                       a->command, name, v, lo, hi);
    *out = v;
    return MB_OK;
}

int mb_args_flag(mb_args *a, const char *name)
{
    mb_arg *arg = find(a, name);
    return arg && strcmp(arg->value, "0") && strcmp(arg->value, "false");
}

int mb_args_check_unused(const mb_args *a)
{
    for (int i = 0; i < a->n_args; i++)
        if (!a->args[i].used)
            return mb_fail(MB_EINPUT, "%s: unknown option '%s' (see madbench %s --help)",
                           a->command, a->args[i].name, a->command);
    return MB_OK;
}
