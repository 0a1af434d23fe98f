/* crt-review internals shared by its modules: sealing (seal.c), verification (verify.c), the
 * explanation pass (explain.c) and its folds (fold.c), rules (rules.c), cases, reports. */
#ifndef CRT_REVIEW_H
#define CRT_REVIEW_H
#include <libpq-fe.h>
#include <stdbool.h>
#include <stdint.h>
#include <openssl/evp.h>
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
/* What the caller of seal_new is told, each may be NULL: started, the new seal's id and
 * transaction range (chain and row count not yet known), before its rows are streamed;
 * begin_rows, then, with the seal's connection free for queries in its transaction (a failed
 * one must be undone: a savepoint); rows, each batch of the rows as fetched (columns
 * SEAL_ROW_COLUMNS), an empty batch last, while the connection fetches the next. The seal goes
 * on whatever they do. */
struct seal_watch {
    void (*started)(void *ctx, const struct seal_info *seal);
    void (*begin_rows)(void *ctx, PGconn *pg);
    void (*rows)(void *ctx, const PGresult *r);
    void *started_ctx, *rows_ctx;
};
/* Seals the log rows of every transaction ended since the previous seal: streams them in id
 * order, writes the manifest blocks and the signed seal row in one transaction, then the head
 * file. SEAL_NOTHING when no new row has committed. watch may be NULL. */
enum seal_outcome seal_new(PGconn *pg, const struct crt_config *cfg, struct seal_info *out,
                           const struct seal_watch *watch);

/* What sealing and verification read of a log row l (FROM access_log l): its id, its time in
 * microseconds, then the other columns of its canonical form as text, and, for a sample of
 * rows (id divisible by SEAL_SAMPLE_EVERY), the SHA-256 (hex) of crt_log_canonical() — the one
 * definition of those bytes, beside the log's one writer in the schema (migration 020) —
 * against which the digest computed here in C is checked (canonical.c, D59); last its ctid,
 * by which a row is found again in the same snapshot (the log is append-only). */
#define SEAL_SAMPLE_EVERY "1024"
#define SEAL_ROW_COLUMNS                                                                   \
    "l.id, (extract(epoch FROM l.at) * 1000000)::bigint, l.txid, l.controller_id, "         \
    "l.user_id, l.person_id, l.household_id, l.action, l.field_groups, l.purpose, "         \
    "l.outcome, l.reason, l.request_id, l.partner_id, "                                      \
    "CASE WHEN l.id % " SEAL_SAMPLE_EVERY " = 0 "                                            \
    "THEN encode(sha256(crt_log_canonical(l)), 'hex') END, l.ctid"
#define SEAL_ENTRY_BYTES 24 /* 8-byte big-endian id + the first 16 bytes of the row digest */
#define SEAL_BLOCK_ROWS 65536

/* ---- canonical.c ---- */
/* A row's shape: bit k set when column k of the canonical form is NULL, and these two. */
#define SEAL_SHAPE_WIDE (1u << 14)      /* a value has bytes beyond ASCII */
#define SEAL_SHAPE_NO_GROUPS (1u << 15) /* its field groups are empty */
struct seal_canon_row {
    long long id, at_us;
    char ctid[32];
    unsigned shape;
    unsigned char digest[32];
};
/* The C form of the rows of one seal or verify, and its check against crt_log_canonical(): every
 * sampled row is compared as it streams by; of each shape met with no sampled row before it,
 * the first row is compared by seal_canon_finish. */
struct seal_canon {
    EVP_MD_CTX *md;
    EVP_MD *sha256;
    unsigned char seen[1u << 16]; /* per shape: 0 not met, 1 met (first row pending), 2 compared */
    struct seal_canon_row *pending;
    size_t n_pending, cap_pending;
    long long sampled;     /* rows compared with crt_log_canonical() */
    long long mismatch_id; /* the first row whose digests differ; 0 none */
};
bool seal_canon_init(struct seal_canon *c) CRT_MUST_CHECK;
void seal_canon_free(struct seal_canon *c);
/* The SHA-256 of the canonical bytes of row i of r (columns SEAL_ROW_COLUMNS), as
 * crt_log_canonical() defines them: per column of the form, 0x00 when NULL, else 0x01, the
 * length of its text (4 bytes, big-endian) and the text (UTF-8). */
bool seal_row_canonical_digest(struct seal_canon *c, const PGresult *r, int i,
                               unsigned char out[32]) CRT_MUST_CHECK;
/* The digest of row i into out, compared with the SQL digest when the row is sampled, kept for
 * seal_canon_finish when it is the first of its shape. False (c->mismatch_id set when the forms
 * differ; logged otherwise) when the row cannot be sealed or verified with this form. */
bool seal_canon_row(struct seal_canon *c, const PGresult *r, int i, unsigned char out[32])
    CRT_MUST_CHECK;
/* After the rows (same transaction): compares the kept first row of each shape no sampled row
 * covered with crt_log_canonical(). False on a difference (c->mismatch_id) or a failed query. */
bool seal_canon_finish(struct seal_canon *c, PGconn *pg) CRT_MUST_CHECK;
/* Hex encoding of n bytes into out (2n + 1). */
void seal_hex(const unsigned char *in, size_t n, char *out);

/* The seal statement that is hashed into the chain and signed. */
int seal_statement(char *buf, size_t len, long long id, long long prev_id, long long txid_from,
                   long long txid_to, long long rows, long long first_id, long long last_id,
                   const char *manifest_hex, const char *prev_chain, const char *sealed_at);
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
/* Actions that are an access to one person (searches, duplicate checks and log reads are not):
 * the one list, as SQL; rowfold.c reads its names from this text. */
#define PERSON_ACCESS_ACTIONS                                                                \
    "'create', 'read', 'update', 'trajectory_read', 'trajectory_write', 'history_read', "    \
    "'assignment_write', 'assignment_read', 'referral_write', 'referral_read', 'disclosure', " \
    "'transfer_out', 'transfer_in', 'export'"
/* The (actor, person) pair of rows a and b as hashable equalities: an absent actor (neither
 * user nor partner) is a pair of its own, as it was a partition of its own in the window this
 * replaced. */
#define NO_ACTOR_UUID "'00000000-0000-0000-0000-000000000000'::uuid"
#define PAIR_EQ(a, b)                                                                        \
    "(" a ".actor IS NULL) = (" b ".actor IS NULL) AND COALESCE(" a ".actor, " NO_ACTOR_UUID \
    ") = COALESCE(" b ".actor, " NO_ACTOR_UUID ") AND " a ".person_id = " b ".person_id"
/* Loads the rows of the seal into the session's temporary table rv and classifies each
 * access as explained (and by what) or not; updates review_pairs. In an open transaction. */
bool explain_seal(PGconn *pg, const struct crt_config *cfg, const struct seal_info *seal);
/* The same in two steps, so that the big statement runs while this process does other work
 * (the seal, on another connection): explain_start sends it without waiting (in an open
 * transaction); explain_finish waits for it and does the rest. After a started explanation,
 * explain_finish must be called (it also drains a failed one). */
bool explain_start(PGconn *pg, const struct seal_info *seal);
struct rowfold;
/* fold: what the seal's stream folded (NULL: explain_finish folds the seal's rows itself). */
bool explain_finish(PGconn *pg, const struct crt_config *cfg, const struct seal_info *seal,
                    struct rowfold *fold);
/* explain_start with the sources of the explanation chosen: of the seal's persons only, of every
 * person, or (AUTO, what explain_start does) by the seal's size (D64); both give the same rows
 * (test_review compares them). */
enum explain_scope { EXPLAIN_SCOPE_AUTO, EXPLAIN_SCOPE_SEALED, EXPLAIN_SCOPE_ALL };
bool explain_start_scoped(PGconn *pg, const struct seal_info *seal, enum explain_scope scope);
/* Drops a started explanation (its seal was not made): waits for it, rolls the transaction back. */
void explain_abandon(PGconn *pg);
/* Writes the reviews (one per controller with rows in rv) of run_id and their per-actor stats. */
bool explain_record_stats(PGconn *pg, long long run_id);

/* ---- fold.c ---- */
/* Folds rv, once per review in its transaction (explain_finish calls it), into the temporary
 * tables the counts and rules read instead of rv: rvc (per controller, actor and kind of row)
 * and rvr (the rare rows); and writes the user days (rvu, rvd) of fold. */
bool fold_build(PGconn *pg, struct rowfold *fold, const struct seal_info *seal);

/* ---- rowfold.c ---- */
/* The seal's rows folded in this process (D68): per staff user and local day the first and
 * last time of its rows and accesses and the persons opened (allowed rows naming a person, not
 * searches); per (actor, person) pair of accesses the first and the two last. NULL when out of
 * memory. */
struct rowfold *rowfold_new(void);
void rowfold_free(struct rowfold *fold);
/* seal_watch.begin_rows: the controllers' local days around today, for the stream; and .rows:
 * folds a batch of the seal's rows (an empty batch completes the fold). A fold that fails (a
 * row beyond those days) is left incomplete and the review reads the rows itself. ctx: the
 * fold. */
void rowfold_seal_begin(void *ctx, PGconn *pg);
void rowfold_seal_rows(void *ctx, const PGresult *r);
/* Whether the seal's stream fed the fold to its end (else rowfold_write_days reads the rows). */
bool rowfold_fed(const struct rowfold *fold);
/* In the review's transaction, after rvc and rvr: rvu per (controller, user, role, local day) —
 * the first and last time of its rows (f, l) and accesses (acc_f, acc_l), the persons with an
 * unexplained access (unexpl) and opened (n) — and rvd, the persons each user opened per day
 * (controller_id, user_id, d, person_id), filled only when earlier seals hold rows (days.c
 * merges them). A fold not fed to its end first reads the seal's rows on pg. */
bool rowfold_write_days(struct rowfold *fold, PGconn *pg, const struct seal_info *seal)
    CRT_MUST_CHECK;
/* After rowfold_write_days and the rest of the explanation (rvx): rvp per (actor, person) pair
 * of accesses — its lowest controller, first_at, last_at, last_explained_at (the last with a
 * base), and its first access's controller (first_ctl), kind (first_partner) and whether it
 * was explained (first_explained). */
bool rowfold_write_pairs(struct rowfold *fold, PGconn *pg) CRT_MUST_CHECK;

/* ---- days.c ---- */
/* Counts the distinct persons each staff user opened per local day into review_user_days, which
 * the volume rule reads for its 30-day window (D65): for the user days with a person opened in
 * this seal (rvu, rvd, and that user's earlier rows of the day, below lowest_txid), and whole,
 * every user, for the window's days before review_user_days_since. NULL lowest_txid: the seal
 * has no row, nothing to do. */
bool days_record(PGconn *pg, const char *lowest_txid) CRT_MUST_CHECK;

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
