/* cli/main.c — the madbench command: dispatches to a subcommand, prints the one
 * error line and exits with the status code. */
#include "mb_cli.h"
#include "mb_provenance.h"

#include <stdio.h>
#include <string.h>

typedef struct {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} mb_command;

static const mb_command commands[] = {
    {"train", mb_cli_train, "train the reference VAE / AE on a data set, save a checkpoint"},
    {"sample", mb_cli_sample, "decode images from a checkpoint into a PNG grid"},
    {"data", mb_cli_data, "inspect, export or measure a data set (info, export, measure)"},
    {"features", mb_cli_features, "the judge's features of a data set as a NumPy .npy file"},
    {"metrics", mb_cli_metrics, "every metric of generated images B against real images A"},
    {"run", mb_cli_run, "run a self-consuming loop experiment (config file + key=value)"},
    {"toy", mb_cli_toy, "Gaussian / GMM self-consuming loops with closed forms (gaussian, gmm)"},
    {"report", mb_cli_report, "one self-contained HTML report of a run, a comparison or a sweep"},
    {"sweep", mb_cli_sweep, "a grid of configurations x seeds, locally (-j N) or as a Slurm array"},
    {"collect", mb_cli_collect, "one long table (CSV + JSON Lines) of every cell of a sweep"},
};

static void usage(FILE *out)
{
    fprintf(out, "madbench %s — GPU benchmark of model collapse (Model Autophagy Disorder)\n\n"
                 "usage: madbench COMMAND [options]   (madbench COMMAND --help for its options)\n\n"
                 "commands:\n", MADBENCH_VERSION);
    for (size_t i = 0; i < MB_ARRAY_LEN(commands); i++)
        fprintf(out, "  %-8s %s\n", commands[i].name, commands[i].summary);
}

int main(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? MB_EINPUT : MB_OK;
    }
    if (!strcmp(argv[1], "--version")) {
        printf("madbench %s (git %s)\n", MADBENCH_VERSION, mb_git_revision);
        return MB_OK;
    }
    for (size_t i = 0; i < MB_ARRAY_LEN(commands); i++) {
        if (strcmp(argv[1], commands[i].name))
            continue;
        int rc = commands[i].run(argc - 2, argv + 2);
        if (rc != MB_OK)
            fprintf(stderr, "madbench: %s\n", mb_last_error());
        return rc;
    }
    fprintf(stderr, "madbench: unknown command '%s' (expected one of:", argv[1]);
    for (size_t i = 0; i < MB_ARRAY_LEN(commands); i++)
        fprintf(stderr, " %s", commands[i].name);
    fprintf(stderr, ")\n");
    return MB_EINPUT;
}
