/* mb_cli.h — the subcommands and the small option parser they share. */
#ifndef MB_CLI_H
#define MB_CLI_H

#include "mb_common.h"

/* Each subcommand gets argv after its name and returns an mb_status
 * (main exits with it, after printing mb_last_error() on failure). */
int mb_cli_train(int argc, char **argv);
int mb_cli_sample(int argc, char **argv);
int mb_cli_data(int argc, char **argv);
int mb_cli_metrics(int argc, char **argv);
int mb_cli_toy(int argc, char **argv);
int mb_cli_run(int argc, char **argv);
int mb_cli_report(int argc, char **argv);

/* Options: "--name value", "--name=value", "name=value" and bare "--flag"
 * (names listed in `flags` never take a value); anything else is positional. */
#define MB_MAX_ARGS 128
typedef struct {
    const char *name, *value;
    int used;
} mb_arg;

typedef struct {
    const char *command; /* for messages, e.g. "train" */
    mb_arg args[MB_MAX_ARGS];
    int n_args;
    const char *positional[MB_MAX_ARGS];
    int n_positional;
} mb_args;

int mb_args_parse(mb_args *a, const char *command, int argc, char **argv,
                  const char *const *flags);
/* Lookups mark the option used; a malformed value records MB_EINPUT naming the option. */
const char *mb_args_str(mb_args *a, const char *name, const char *fallback);
int mb_args_long(mb_args *a, const char *name, long fallback, long lo, long hi, long *out);
int mb_args_double(mb_args *a, const char *name, double fallback, double lo, double hi,
                   double *out);
int mb_args_flag(mb_args *a, const char *name);
/* MB_EINPUT naming the first option nobody asked for. */
int mb_args_check_unused(const mb_args *a);

#endif
