/* crtctl keys …: key status and rotations (keys.c), and the background re-seal and re-index
 * jobs (keyjobs.c). */
#ifndef CRT_CTL_KEYS_H
#define CRT_CTL_KEYS_H
#include "crt/config.h"
#include "crt/crypto.h"

struct keys_job_opts {
    int batch;       /* rows per transaction */
    int max_batches; /* stop after this many batches (0: run to the end); the job resumes */
    int pause_ms;    /* sleep between batches, to spare the database */
};

/* Re-seals every TOTP secret and national number not under the data keyring's first key. */
int keys_rotate_data(const struct crt_config *cfg, const struct keys_job_opts *o) CRT_MUST_CHECK;
/* Recomputes both blind indexes of every person not indexed under the index ring's first key. */
int keys_rotate_blind(const struct crt_config *cfg, const struct keys_job_opts *o) CRT_MUST_CHECK;

#endif
