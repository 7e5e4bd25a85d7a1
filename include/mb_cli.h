/* mb_cli.h — the subcommands and the small option parser they share. */
#ifndef MB_CLI_H
#define MB_CLI_H

#include "mb_common.h"

#include <stddef.h>
#include <stdio.h>

/* Each subcommand gets argv after its name and returns an mb_status
 * (main exits with it, after printing mb_last_error() on failure). */
int mb_cli_train(int argc, char **argv);
int mb_cli_sample(int argc, char **argv);
int mb_cli_data(int argc, char **argv);
int mb_cli_metrics(int argc, char **argv);
int mb_cli_features(int argc, char **argv);
int mb_cli_toy(int argc, char **argv);
int mb_cli_run(int argc, char **argv);
int mb_cli_report(int argc, char **argv);
int mb_cli_sweep(int argc, char **argv);
int mb_cli_collect(int argc, char **argv);
/* `madbench report SWEEP_DIR`: baseline holds "KEY=VALUE" pairs (cli/sweep.c). */
int mb_cli_report_sweep(const char *dir, const char *const *baseline, int n_baseline,
                        const char *out_html);

/* Options: "--name value", "--name=value", "name=value" and bare "--flag"; anything
 * else is positional. Each command describes its options in one table of
 * mb_option rows: mb_options_read parses them into the command's options struct and
 * mb_options_help prints them, so --help lists exactly what the parser reads. */
#define MB_MAX_ARGS 128
typedef struct {
    const char *name, *value; /* name with '-' turned into '_' */
    int used;
} mb_arg;

typedef struct {
    const char *command; /* for messages, e.g. "train" */
    mb_arg args[MB_MAX_ARGS];
    int n_args;
    const char *positional[MB_MAX_ARGS];
    int n_positional;
} mb_args;

typedef enum {
    MB_OPT_HEADING, /* not an option: a group heading in the help text */
    MB_OPT_FLAG,    /* int, set to 1 by a bare --name */
    MB_OPT_INT,
    MB_OPT_LONG,
    MB_OPT_U64,
    MB_OPT_FLOAT,
    MB_OPT_DOUBLE,
    MB_OPT_STRING, /* const char *, NULL when unset */
    MB_OPT_CHOICE, /* int: the index of the value in choices */
} mb_opt_type;

typedef struct {
    const char *name; /* as typed after "--" (MB_OPT_HEADING: the heading) */
    mb_opt_type type;
    size_t offset;    /* of the value in the command's options struct */
    const char *metavar;              /* the value in the help, e.g. "N" */
    double lo, hi;                    /* numeric range */
    const char *const *choices;       /* MB_OPT_CHOICE: NULL-terminated */
    const char *help;
    const char *default_text; /* printed instead of the default value when set */
    const char *only;         /* a variant the option belongs to (toy gmm), or NULL */
} mb_option;

/* The value of mb_option.offset for `field` of struct `type`. */
#define MB_OPT_AT(type, field) offsetof(type, field)
/* A heading row: "judge:" before the judge's options. */
#define MB_OPT_GROUP(title) {title, MB_OPT_HEADING, 0, NULL, 0, 0, NULL, NULL, NULL, NULL}

/* Splits argv; the flags of `opts` (and --help) take no value. */
int mb_args_parse(mb_args *a, const char *command, int argc, char **argv,
                  const mb_option *opts, size_t n_opts);
/* Whether --help was given. */
int mb_args_help(const mb_args *a);
/* Reads every option of `opts` that was given (rows of another variant than
 * `variant` are skipped) into `values`, whose defaults the caller has set; a bad
 * value records MB_EINPUT naming the option and what was expected. */
int mb_options_read(mb_args *a, const mb_option *opts, size_t n_opts, const char *variant,
                    void *values);
/* MB_EINPUT naming the first option no table read. */
int mb_args_check_unused(const mb_args *a);

/* One line per option ("  --name VALUE  help (default: X)"), wrapped at 88 columns.
 * `defaults` holds one filled options struct per variant (n_variants of them,
 * named by `variants`, or one and NULL); a default that differs between variants
 * is printed for each ("1000 gaussian, 200 gmm"). */
void mb_options_help(FILE *out, const mb_option *opts, size_t n_opts,
                     const void *const *defaults, const char *const *variants,
                     int n_variants);
/* One help line: the wrapping of mb_options_help, for tables kept elsewhere. */
void mb_help_line(FILE *out, const char *left, const char *text);

#endif
