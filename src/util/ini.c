/* util/ini.c — the INI text madbench writes and reads (config.ini): [section]
 * lines, key = value lines, comment lines starting with '#' or ';', and a ';'
 * after a blank starts a comment. Lines of any length; blanks around keys and
 * values are trimmed, nothing else is changed. */
#include "mb_files.h"

#include <string.h>

char *mb_trim(char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    char *e = s + strlen(s);
    while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
        *--e = 0;
    return s;
}

static int parse_line(char *line, char *section, size_t section_size, const char *where,
                      mb_ini_handler on_key, void *user)
{
    for (char *c = line; *c; c++)
        if (*c == ';' && c > line && (c[-1] == ' ' || c[-1] == '\t')) {
            *c = 0; /* an inline comment */
            break;
        }
    char *t = mb_trim(line);
    if (!*t || *t == '#' || *t == ';')
        return MB_OK;
    if (*t == '[') {
        char *close = strchr(t, ']');
        if (!close || close[1] || (size_t)(close - t - 1) >= section_size)
            return mb_fail(MB_EINPUT, "%s: '%s' is not a section line (expected [name])",
                           where, t);
        snprintf(section, section_size, "%.*s", (int)(close - t - 1), t + 1);
        return MB_OK;
    }
    char *eq = strchr(t, '=');
    if (!eq)
        return mb_fail(MB_EINPUT, "%s: not an INI line (expected [section] or key = value)",
                       where);
    *eq = 0;
    return on_key(user, section, mb_trim(t), mb_trim(eq + 1), where);
}

int mb_ini_parse(char *text, const char *path, mb_ini_handler on_key, void *user)
{
    char section[64] = "", where[MB_PATH_LEN + 32];
    int rc = MB_OK, line = 0;
    for (char *s = text; rc == MB_OK && *s;) {
        char *nl = s + strcspn(s, "\n");
        const int last = *nl == 0;
        *nl = 0;
        snprintf(where, sizeof where, "%s:%d", path, ++line);
        rc = parse_line(s, section, sizeof section, where, on_key, user);
        s = last ? nl : nl + 1;
    }
    return rc;
}
