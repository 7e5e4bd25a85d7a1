/* cpu/provenance.c — the build, host, library and Slurm facts of a manifest
 * (mb_provenance.h). It lives with the backends because it asks their libraries. */
#include "mb_common.h"
#include "mb_provenance.h"

#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>
#ifdef MB_HAVE_CUDA
#include <cuda_runtime_api.h>
#endif

#ifdef MB_HAVE_CUDA
/* CUDA's version numbers are 1000 major + 10 minor. */
static json_t *cuda_version(int v)
{
    char text[32];
    snprintf(text, sizeof text, "%d.%d", v / 1000, v % 1000 / 10);
    return json_string(text);
}
#endif

int mb_provenance_add(json_t *doc, const char *backend)
{
    MB_TRY(mb_json_set(doc, "madbench_version", json_string(MADBENCH_VERSION)));
    MB_TRY(mb_json_set(doc, "git_revision", mb_json_text(mb_git_revision)));

    char name[256] = "unknown";
    struct utsname un;
    gethostname(name, sizeof name - 1);
    json_t *host = json_object();
    MB_TRY(mb_json_set(doc, "host", host));
    MB_TRY(mb_json_set(host, "name", mb_json_text(name)));
    MB_TRY(mb_json_set(host, "machine", mb_json_text(uname(&un) == 0 ? un.machine : "unknown")));

    json_t *libs = json_object();
    MB_TRY(mb_json_set(doc, "libraries", libs));
    MB_TRY(mb_json_set(libs, "openblas", mb_json_text(openblas_get_config())));
#ifdef MB_HAVE_CUDA
    int v;
    if (backend && !strcmp(backend, "cuda")) {
        if (cudaRuntimeGetVersion(&v) == cudaSuccess)
            MB_TRY(mb_json_set(libs, "cuda_runtime", cuda_version(v)));
        if (cudaDriverGetVersion(&v) == cudaSuccess)
            MB_TRY(mb_json_set(libs, "cuda_driver", cuda_version(v)));
    }
#else
    (void)backend;
#endif

    static const char *const slurm_vars[][2] = {{"SLURM_JOB_ID", "job_id"},
                                                {"SLURM_ARRAY_JOB_ID", "array_job_id"},
                                                {"SLURM_ARRAY_TASK_ID", "array_task_id"}};
    json_t *slurm = NULL;
    for (size_t i = 0; i < MB_ARRAY_LEN(slurm_vars); i++) {
        const char *value = getenv(slurm_vars[i][0]);
        if (!value)
            continue;
        if (!slurm)
            MB_TRY(mb_json_set(doc, "slurm", slurm = json_object()));
        MB_TRY(mb_json_set(slurm, slurm_vars[i][1], mb_json_text(value)));
    }
    return MB_OK;
}
