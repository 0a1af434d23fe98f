/* crtctl internals: the commands main.c dispatches to. */
#ifndef CRT_CTL_H
#define CRT_CTL_H
#include "crt/config.h"

/* Demo staff accounts, one per role in each controller ("atlas.intake", …); idempotent. */
int seed_demo(const struct crt_config *cfg) CRT_MUST_CHECK;
/* n synthetic persons spread over the four controllers, for benchmarks. */
int seed_bench(const struct crt_config *cfg, long n) CRT_MUST_CHECK;

#endif
