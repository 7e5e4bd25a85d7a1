/* mb_provenance.h — where a result came from, for every manifest.json: the
 * build's git revision, the host, the numerical libraries and the Slurm job. */
#ifndef MB_PROVENANCE_H
#define MB_PROVENANCE_H

#include "mb_json.h"

/* The git revision of the source tree this binary was built from, "-dirty" when
 * the tree had changes, "unknown" outside git; written at every build
 * (cmake/git_revision.cmake), so it never goes stale. */
extern const char mb_git_revision[];

/* Adds to doc: madbench_version, git_revision, host {name, machine},
 * libraries {openblas (its build configuration), and with backend "cuda":
 * cuda_runtime and cuda_driver ("12.4")}, and slurm {job_id, array_job_id,
 * array_task_id} with those of SLURM_JOB_ID, SLURM_ARRAY_JOB_ID and
 * SLURM_ARRAY_TASK_ID that are set (no slurm member when none is).
 * backend: the backend's name, or NULL for CPU-only work. */
int mb_provenance_add(json_t *doc, const char *backend);

#endif
