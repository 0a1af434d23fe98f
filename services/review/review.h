/* crt-review internals shared by its modules: sealing (seal.c), verification (verify.c), the
 * explanation pass (explain.c) and its folds (fold.c), rules (rules.c), cases, reports. */
#ifndef CRT_REVIEW_H
#define CRT_REVIEW_H
#include <libpq-fe.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "crt/config.h"

/* The advisory lock that serialises runs (sealing and reviewing) across processes. */
#define REVIEW_LOCK_KEY "1129469010" /* 0x43525452, "CRTR", as text for the query */

/* ---- seal.c ---- */
enum seal_outcome { SEAL_NEW, SEAL_NOTHING, SEAL_ERROR };
struct seal_info {
    long long id, row_count, txid_from, txid_to;
    char chain[65];
};
/* Told the new seal's id and transaction range (chain and row count not yet known) before its
 * rows are streamed; the seal goes on whatever it does. */
typedef void (*seal_started_fn)(void *ctx, const struct seal_info *seal);
/* Seals the log rows of every transaction ended since the previous seal: streams them in id
 * order, writes the manifest blocks and the signed seal row in one transaction, then the head
 * file. SEAL_NOTHING when no new row has committed. started (may be NULL) is called once the
 * range is known, before the rows are streamed. */
enum seal_outcome seal_new(PGconn *pg, const struct crt_config *cfg, struct seal_info *out,
                           seal_started_fn started, void *ctx);

/* What sealing and verification read of a log row l (FROM access_log l): its id, its time in
 * microseconds and the SHA-256 (hex) of its canonical bytes, crt_log_canonical() — the one
 * definition of those bytes, beside the log's one writer in the schema (migration 020). */
#define SEAL_ROW_COLUMNS                                                                   \
    "l.id, (extract(epoch FROM l.at) * 1000000)::bigint, "                                 \
    "encode(sha256(crt_log_canonical(l)), 'hex')"
#define SEAL_ENTRY_BYTES 24 /* 8-byte big-endian id + the first 16 bytes of the row digest */
#define SEAL_BLOCK_ROWS 65536
/* The digest of row i of r (columns SEAL_ROW_COLUMNS); all zero when it is not 64 hex digits. */
void seal_row_digest(const PGresult *r, int i, unsigned char out[32]);
/* The seal statement that is hashed into the chain and signed. */
int seal_statement(char *buf, size_t len, long long id, long long prev_id, long long txid_from,
                   long long txid_to, long long rows, long long first_id, long long last_id,
                   const char *manifest_hex, const char *prev_chain, const char *sealed_at);
/* Hex encoding of n bytes into out (2n + 1). */
void seal_hex(const unsigned char *in, size_t n, char *out);
/* The key id of a seal key: the first 16 hex digits of SHA-256 over its public key (DER). */
struct evp_pkey_st;
bool seal_key_id(struct evp_pkey_st *key, char out[17]);

/* The copy of a seal's manifest kept outside the database, next to the head file
 * (<head file>.manifests/seal-<id>.bin): with it, verify names the rows of a rewritten seal. */
void seal_archive_path(const struct crt_config *cfg, long long seal_id, char *out, size_t len);

/* ---- verify.c ---- */
/* Recomputes every seal, checks signatures and the external head; prints one line per
 * problem to out. Returns 0 clean, 1 altered, -1 could not verify. */
int verify_run(PGconn *pg, const struct crt_config *cfg, FILE *out);

/* ---- explain.c ---- */
/* Loads the rows of the seal into the session's temporary table rv and classifies each
 * access as explained (and by what) or not; updates review_pairs. In an open transaction. */
bool explain_seal(PGconn *pg, const struct crt_config *cfg, const struct seal_info *seal);
/* The same in two steps, so that the big statement runs while this process does other work
 * (the seal, on another connection): explain_start sends it without waiting (in an open
 * transaction); explain_finish waits for it and does the rest. After a started explanation,
 * explain_finish must be called (it also drains a failed one). */
bool explain_start(PGconn *pg, const struct crt_config *cfg, const struct seal_info *seal);
bool explain_finish(PGconn *pg, const struct crt_config *cfg, const struct seal_info *seal);
/* Drops a started explanation (its seal was not made): waits for it, rolls the transaction back. */
void explain_abandon(PGconn *pg);
/* Writes the reviews (one per controller with rows in rv) of run_id and their per-actor stats. */
bool explain_record_stats(PGconn *pg, long long run_id);

/* ---- fold.c ---- */
/* Folds rv, once per review in its transaction (explain_finish calls it), into the temporary
 * tables the counts and rules read instead of rv: rvd (per user, day and person), rvc (per
 * controller, actor and kind of row) and rvr (the rare rows). */
bool fold_build(PGconn *pg);

/* ---- rules.c ---- */
struct rule {
    const char *id;       /* stable: AA-nn */
    const char *severity; /* low, medium, high */
    const char *many;     /* narrative for several findings of the rule in one case ("%d …") */
    const char *sql;      /* the rows that become findings (see rules.c) */
    bool hash_joins;      /* joins of aggregates whose sizes the planner cannot estimate:
                           * forbid nested loops for this statement */
};
extern const struct rule rules[];
extern const size_t n_rules;
/* Runs every rule over rv, inserting or updating findings of the reviews of run_id. */
bool rules_apply(PGconn *pg, const struct crt_config *cfg, long long run_id);

/* ---- cases.c ---- */
/* Groups the open findings of each user or partner into one case and rewrites its narrative. */
bool cases_update(PGconn *pg, long long run_id);

/* ---- report.c ---- */
/* Writes the JSON and HTML report of every review of run_id under cfg->report_dir. */
bool report_write(PGconn *pg, const struct crt_config *cfg, long long run_id);

/* metrics.c: the textfile-collector files in CRT_REVIEW_METRICS_DIR (nothing when unset).
 * After a run (ok: it sealed and reviewed; pg may be NULL, then the database's lines are left
 * out) and after verify (rc: its exit status). False after logging why a file was not written. */
bool review_metrics_run(PGconn *pg, const struct crt_config *cfg, long every, bool ok,
                        double started) CRT_MUST_CHECK;
bool review_metrics_verify(const struct crt_config *cfg, int rc) CRT_MUST_CHECK;

#endif
