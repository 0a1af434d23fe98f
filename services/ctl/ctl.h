/* crtctl internals: the commands main.c dispatches to. */
#ifndef CRT_CTL_H
#define CRT_CTL_H
#include <libpq-fe.h>
#include <stdio.h>

#include "crt/config.h"

/* Demo staff accounts, one per role in each controller ("atlas.intake", …); idempotent. */
int seed_demo(const struct crt_config *cfg) CRT_MUST_CHECK;
/* n synthetic persons spread over the four controllers, for benchmarks. */
int seed_bench(const struct crt_config *cfg, long n) CRT_MUST_CHECK;

/* A connection as the schema owner (CRT_OWNER_DATABASE_URL); NULL after logging why. */
PGconn *ctl_connect(const struct crt_config *cfg);
/* Statements go through db_tool_* (crt/db.h); the commands' int results are exit codes. */

/* crtctl user …: accounts (see users.c for the subcommands); argv starts after "user". */
int users_main(const struct crt_config *cfg, int argc, char **argv) CRT_MUST_CHECK;
/* crtctl partner|grant|access …; argv starts after the word. */
int partners_main(const struct crt_config *cfg, const char *what, int argc, char **argv) CRT_MUST_CHECK;
/* crtctl retention [--apply] [--as-of DATE] [--log-months N] [--only persons|log] (retention.c);
 * argv starts after the word. */
int retention_main(const struct crt_config *cfg, int argc, char **argv) CRT_MUST_CHECK;
/* crtctl erasure-ledger apply (ledger.c): after a restore, erases again the persons the erasure
 * ledger names; argv starts after the word. */
int ledger_main(const struct crt_config *cfg, int argc, char **argv) CRT_MUST_CHECK;
/* crtctl keys status|new-key|rotate-data|rotate-blind|rotate-jwt|rotate-seal (keys.c);
 * argv starts after "keys". */
int keys_main(const struct crt_config *cfg, int argc, char **argv) CRT_MUST_CHECK;

#endif
