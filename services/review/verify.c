/* crt-review verify: recomputes every seal from the rows now in the log, checks the chain, the
 * signatures and the head file kept outside the database, and names the first rows that differ. */
#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "crt/crypto.h"
#include "crt/db.h"
#include "crt/log.h"
#include "review.h"

#define MAX_KEYS 8
#define MAX_REPORTED 200

/* An access-log partition dropped by the log retention (crtctl retention, table
 * log_partition_drops): its rows may be missing from the seals, exactly those, no others. */
struct drop {
    char name[64], sha[65];
    long long count, first, last;
    long long *ids; /* missing ids claimed by this drop */
    size_t n, cap;
};

struct verifier {
    FILE *out;
    struct drop *drops;
    int ndrops;
    const struct crt_config *cfg;
    EVP_PKEY *keys[MAX_KEYS];
    char key_ids[MAX_KEYS][17];
    int nkeys;
    long problems;
    long long prev_sealed_at;  /* µs; 0 before the first seal */
    long long prev_seal_id;
    struct seal_canon canon; /* the rows' digests, checked against crt_log_canonical() */
    long long form_row;      /* first row where crt-review's form and crt_log_canonical()
                              * disagree; 0 none */
};

static void problem(struct verifier *v, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void problem(struct verifier *v, const char *fmt, ...)
{
    if (v->problems++ < MAX_REPORTED) {
        va_list ap;
        va_start(ap, fmt);
        vfprintf(v->out, fmt, ap);
        va_end(ap);
        fputc('\n', v->out);
    }
}

static bool load_public_keys(struct verifier *v)
{
    FILE *f = fopen(v->cfg->seal_public_key_file, "r");
    if (f == NULL) {
        log_error("cannot open the seal public key file path=%s", v->cfg->seal_public_key_file);
        return false;
    }
    EVP_PKEY *k;
    while (v->nkeys < MAX_KEYS && (k = PEM_read_PUBKEY(f, NULL, NULL, NULL)) != NULL) {
        if (EVP_PKEY_get_id(k) != EVP_PKEY_ED25519 || !seal_key_id(k, v->key_ids[v->nkeys])) {
            EVP_PKEY_free(k);
            continue;
        }
        v->keys[v->nkeys++] = k;
    }
    fclose(f);
    if (v->nkeys == 0)
        log_error("no Ed25519 public key in path=%s", v->cfg->seal_public_key_file);
    return v->nkeys > 0;
}

static bool signature_ok(struct verifier *v, const char *key_id, const char *sig_hex,
                         const char *msg)
{
    unsigned char sig[64];
    if (strlen(sig_hex) != 128)
        return false;
    for (int i = 0; i < 64; i++) {
        unsigned int b;
        if (sscanf(sig_hex + 2 * i, "%2x", &b) != 1)
            return false;
        sig[i] = (unsigned char)b;
    }
    for (int i = 0; i < v->nkeys; i++) {
        if (strcmp(v->key_ids[i], key_id) != 0)
            continue;
        EVP_MD_CTX *md = EVP_MD_CTX_new();
        bool ok = md && EVP_DigestVerifyInit(md, NULL, NULL, NULL, v->keys[i]) == 1 &&
                  EVP_DigestVerify(md, sig, 64, (const unsigned char *)msg, strlen(msg)) == 1;
        EVP_MD_CTX_free(md);
        return ok;
    }
    return false;
}

static bool load_drops(PGconn *pg, struct verifier *v)
{
    PGresult *r = NULL;
    if (!db_tool_exec(pg, "crt-review",
                      "SELECT partition_name, row_count, COALESCE(first_row_id, 0), "
                      "COALESCE(last_row_id, -1), ids_sha256 FROM log_partition_drops "
                      "ORDER BY id",
                      0, NULL, &r))
        return false;
    v->ndrops = PQntuples(r);
    v->drops = calloc((size_t)v->ndrops + 1, sizeof *v->drops);
    for (int i = 0; v->drops && i < v->ndrops; i++) {
        struct drop *d = &v->drops[i];
        snprintf(d->name, sizeof d->name, "%s", PQgetvalue(r, i, 0));
        d->count = atoll(PQgetvalue(r, i, 1));
        d->first = atoll(PQgetvalue(r, i, 2));
        d->last = atoll(PQgetvalue(r, i, 3));
        snprintf(d->sha, sizeof d->sha, "%s", PQgetvalue(r, i, 4));
    }
    PQclear(r);
    return v->drops != NULL;
}

/* A row missing from its seal inside the id range of a recorded drop is set aside for the
 * drop's check instead of being reported at once. */
static bool drop_claims(struct verifier *v, long long id)
{
    for (int i = 0; i < v->ndrops; i++) {
        struct drop *d = &v->drops[i];
        if (id < d->first || id > d->last)
            continue;
        if (d->n == d->cap) {
            size_t cap = d->cap ? 2 * d->cap : 1024;
            long long *ids = realloc(d->ids, cap * sizeof *ids);
            if (ids == NULL)
                return false;
            d->ids = ids;
            d->cap = cap;
        }
        d->ids[d->n++] = id;
        return true;
    }
    return false;
}

static int cmp_ll(const void *a, const void *b)
{
    long long x = *(const long long *)a, y = *(const long long *)b;
    return (x > y) - (x < y);
}

/* The missing rows of each drop must be exactly the rows it recorded: count and the SHA-256
 * of their ids (decimal, ascending, joined by newlines). */
static void check_drops(struct verifier *v)
{
    for (int i = 0; i < v->ndrops; i++) {
        struct drop *d = &v->drops[i];
        EVP_MD_CTX *md = EVP_MD_CTX_new();
        unsigned char dig[32];
        unsigned int len = 0;
        char hex[65] = "", num[32];
        if (d->n > 1) /* a drop with no missing row has no array (qsort of NULL is undefined) */
            qsort(d->ids, d->n, sizeof *d->ids, cmp_ll);
        if (md && EVP_DigestInit_ex(md, EVP_sha256(), NULL)) {
            for (size_t k = 0; k < d->n; k++) {
                int w = snprintf(num, sizeof num, k ? "\n%lld" : "%lld", d->ids[k]);
                EVP_DigestUpdate(md, num, (size_t)w);
            }
            EVP_DigestFinal_ex(md, dig, &len);
            seal_hex(dig, 32, hex);
        }
        EVP_MD_CTX_free(md);
        if ((long long)d->n == d->count && strcmp(hex, d->sha) == 0)
            fprintf(v->out, "note: partition %s was dropped by the log retention; its %lld rows "
                            "are accounted for\n", d->name, d->count);
        else
            problem(v, "partition %s: %zu sealed rows in its id range are missing, its drop "
                       "record says %lld (removed beyond the drop)", d->name, d->n, d->count);
    }
}

/* One stored seal row, as text. */
enum { S_ID, S_PREV, S_FROM, S_TO, S_ROWS, S_FIRST, S_LAST, S_MANIFEST, S_PREVCHAIN, S_CHAIN,
       S_KEY, S_SIG, S_AT, S_AT_US, S_NCOLS };
#define SEAL_SELECT                                                                          \
    "SELECT id, COALESCE(prev_id, 0), txid_from, txid_to, row_count, COALESCE(first_row_id, 0), " \
    "COALESCE(last_row_id, 0), manifest_sha256, prev_chain, chain, key_id, signature, "       \
    "to_char(sealed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'), "            \
    "(extract(epoch FROM sealed_at) * 1000000)::bigint FROM log_seals ORDER BY id"

/* The seal's own fields: statement, chain, signature, link to the previous seal. */
static bool check_seal_fields(struct verifier *v, const PGresult *s, int i, const char *prev_chain,
                              long long prev_id, long long prev_to)
{
    const char *f[S_NCOLS];
    for (int c = 0; c < S_NCOLS; c++)
        f[c] = PQgetvalue(s, i, c);
    long long id = atoll(f[S_ID]);
    char stmt[1024], chain[65];
    seal_statement(stmt, sizeof stmt, id, atoll(f[S_PREV]), atoll(f[S_FROM]), atoll(f[S_TO]),
                   atoll(f[S_ROWS]), atoll(f[S_FIRST]), atoll(f[S_LAST]), f[S_MANIFEST],
                   f[S_PREVCHAIN], f[S_AT]);
    crypto_sha256_hex(stmt, strlen(stmt), chain);
    if (id != prev_id + 1)
        problem(v, "seal %lld: missing (seal %lld follows seal %lld) (removed)", prev_id + 1, id,
                prev_id);
    if (atoll(f[S_PREV]) != prev_id || strcmp(f[S_PREVCHAIN], prev_chain) != 0 ||
        atoll(f[S_FROM]) != prev_to)
        problem(v, "seal %lld: does not continue the chain of seal %lld (rewritten)", id, prev_id);
    if (strcmp(chain, f[S_CHAIN]) == 0 && signature_ok(v, f[S_KEY], f[S_SIG], stmt))
        return true;
    problem(v, "seal %lld: signature invalid (rewritten; its rows %s-%s cannot be trusted)", id,
            f[S_FIRST], f[S_LAST]);
    return false;
}

/* Stored manifest entries of a seal, block by block from the database, or entry by entry from
 * the copy kept outside it. */
struct stored {
    FILE *archive;
    unsigned char entry[SEAL_ENTRY_BYTES];
    int block_no, pos, n;
    const unsigned char *bytes;
    unsigned char *owned;
    EVP_MD_CTX *md;
};

static bool stored_next(PGconn *pg, struct stored *st, const char *seal_id, long long *id,
                        const unsigned char **digest)
{
    if (st->archive) {
        if (fread(st->entry, SEAL_ENTRY_BYTES, 1, st->archive) != 1)
            return false;
        st->bytes = st->entry;
        st->pos = 0;
        st->n = 1;
    }
    while (st->pos >= st->n) {
        PQfreemem(st->owned);
        st->owned = NULL;
        char bno[16];
        snprintf(bno, sizeof bno, "%d", st->block_no++);
        const char *p[] = {seal_id, bno};
        PGresult *r = NULL;
        if (!db_tool_exec(pg, "crt-review",
                          "SELECT manifest FROM log_seal_blocks WHERE "
                          "seal_id = $1 AND block_no = $2",
                          2, p, &r) ||
            PQntuples(r) == 0) {
            PQclear(r);
            return false;
        }
        size_t len = 0;
        st->owned = PQunescapeBytea((const unsigned char *)PQgetvalue(r, 0, 0), &len);
        PQclear(r);
        if (st->owned == NULL)
            return false;
        EVP_DigestUpdate(st->md, st->owned, len);
        st->bytes = st->owned;
        st->n = (int)(len / SEAL_ENTRY_BYTES);
        st->pos = 0;
    }
    const unsigned char *e = st->bytes + (size_t)st->pos++ * SEAL_ENTRY_BYTES;
    unsigned long long x = 0;
    for (int b = 0; b < 8; b++)
        x = (x << 8) | e[b];
    *id = (long long)x;
    *digest = e + 8;
    return true;
}

/* Time order: a row of a seal (or not sealed yet) dated well before the previous seal was taken
 * was not written when its transaction says it was — rows are dated by the database clock. */
static void check_time(struct verifier *v, long long id, long long at, const char *seal_id)
{
    long long tol = (long long)v->cfg->seal_tolerance_s * 1000000;
    if (v->prev_sealed_at && at < v->prev_sealed_at - tol)
        problem(v, "row %lld: back-dated (dated before seal %lld was taken; %s%s)", id,
                v->prev_seal_id, seal_id ? "in seal " : "not sealed yet", seal_id ? seal_id : "");
}

struct current {
    PGresult *r;
    int pos;
};

/* The next row of the cursor verify_rows: its id, time and (when digest is not NULL) the
 * digest of its canonical bytes, checked against crt_log_canonical() for the sampled rows. */
static bool current_next(PGconn *pg, struct verifier *v, struct current *cur, long long *id,
                         unsigned char digest[32], long long *at)
{
    if (cur->r == NULL || cur->pos >= PQntuples(cur->r)) {
        PQclear(cur->r);
        cur->pos = 0;
        if (!db_tool_exec(pg, "crt-review", "FETCH 10000 FROM verify_rows", 0, NULL, &cur->r) ||
            PQntuples(cur->r) == 0)
            return false;
    }
    int i = cur->pos++;
    *id = atoll(PQgetvalue(cur->r, i, 0));
    *at = atoll(PQgetvalue(cur->r, i, 1));
    if (digest && !seal_canon_row(&v->canon, cur->r, i, digest)) {
        /* a row of another form: its C digest still compares with what was sealed */
        v->form_row = v->form_row ? v->form_row : v->canon.mismatch_id;
        v->canon.mismatch_id = 0;
    }
    return true;
}

/* Merges the rows now in the seal's transaction range with its stored manifest. */
static bool compare_rows(PGconn *pg, struct verifier *v, const char *seal_id, const char *from,
                         const char *to, const char *manifest_hex, FILE *archive)
{
    struct stored st = {.archive = archive, .md = EVP_MD_CTX_new()};
    const char *by = archive ? ", by the outside copy of its manifest" : "";
    struct current cur = {0};
    const char *p[] = {from, to};
    bool ok = st.md && EVP_DigestInit_ex(st.md, EVP_sha256(), NULL) &&
              db_tool_command(pg, "crt-review",
                              "DECLARE verify_rows NO SCROLL CURSOR FOR SELECT " SEAL_ROW_COLUMNS
                              " FROM access_log l WHERE l.txid >= $1 AND l.txid < $2 ORDER BY l.id",
                              2, p);
    long long sid = 0, cid = 0, at = 0;
    const unsigned char *sdig = NULL;
    unsigned char cdig[32];
    bool have_s = ok && stored_next(pg, &st, seal_id, &sid, &sdig);
    bool have_c = ok && current_next(pg, v, &cur, &cid, cdig, &at);
    while (ok && (have_s || have_c)) {
        if (have_s && have_c && sid == cid) {
            if (memcmp(sdig, cdig, 16) != 0)
                problem(v, "row %lld: altered (seal %s%s)", cid, seal_id, by);
            check_time(v, cid, at, seal_id);
        } else if (have_s && (!have_c || sid < cid)) {
            if (!drop_claims(v, sid))
                problem(v, "row %lld: removed (seal %s%s)", sid, seal_id, by);
            have_s = stored_next(pg, &st, seal_id, &sid, &sdig);
            continue;
        } else {
            problem(v, "row %lld: inserted (seal %s%s)", cid, seal_id, by);
            check_time(v, cid, at, seal_id);
            have_c = current_next(pg, v, &cur, &cid, cdig, &at);
            continue;
        }
        have_s = stored_next(pg, &st, seal_id, &sid, &sdig);
        have_c = current_next(pg, v, &cur, &cid, cdig, &at);
    }
    if (ok) {
        unsigned char md[32];
        unsigned int len = 0;
        char hex[65];
        EVP_DigestFinal_ex(st.md, md, &len);
        seal_hex(md, 32, hex);
        if (strcmp(hex, manifest_hex) != 0)
            problem(v, "seal %s: %s (rewritten)", seal_id,
                    archive ? "the outside copy of its manifest differs from the database's"
                            : "manifest blocks do not match the seal");
    }
    PQclear(cur.r);
    PQfreemem(st.owned);
    EVP_MD_CTX_free(st.md);
    return ok && db_tool_command(pg, "crt-review", "CLOSE verify_rows", 0, NULL);
}

/* Rows not sealed yet: they must not be dated before the newest seal either. */
static bool check_tail(PGconn *pg, struct verifier *v, long long from)
{
    char f[24];
    snprintf(f, sizeof f, "%lld", from);
    const char *p[] = {f};
    if (!db_tool_command(pg, "crt-review",
                         "DECLARE verify_rows NO SCROLL CURSOR FOR SELECT l.id, "
                         "(extract(epoch FROM l.at) * 1000000)::bigint FROM access_log l "
                         "WHERE l.txid >= $1 ORDER BY l.id",
                         1, p))
        return false;
    struct current cur = {0};
    long long id, at;
    while (current_next(pg, v, &cur, &id, NULL, &at))
        check_time(v, id, at, NULL);
    PQclear(cur.r);
    return db_tool_command(pg, "crt-review", "CLOSE verify_rows", 0, NULL);
}

/* The head file written after every seal: a removed tail of seals shows here. */
static void check_head(struct verifier *v, const PGresult *s)
{
    json_error_t jerr;
    json_t *h = json_load_file(v->cfg->seal_head_file, 0, &jerr);
    int n = PQntuples(s);
    json_int_t hid = 0;
    const char *hchain = NULL;
    if (h == NULL || json_unpack(h, "{sI ss}", "seal_id", &hid, "chain", &hchain) != 0) {
        if (n > 0)
            problem(v, "head file %s unreadable: the newest seals cannot be anchored (truncated?)",
                    v->cfg->seal_head_file);
        json_decref(h);
        return;
    }
    long long newest = n ? atoll(PQgetvalue(s, n - 1, S_ID)) : 0;
    if (newest < hid)
        problem(v, "seals after %lld missing: head file names seal %lld (tail truncated)", newest,
                (long long)hid);
    for (int i = 0; i < n; i++)
        if (atoll(PQgetvalue(s, i, S_ID)) == hid && strcmp(PQgetvalue(s, i, S_CHAIN), hchain))
            problem(v, "seal %lld: differs from the head file (rewritten)", (long long)hid);
    if (newest > hid)
        fprintf(v->out, "warning: head file names seal %lld, the database has %lld "
                        "(the head was not written after the last run)\n", (long long)hid, newest);
    json_decref(h);
}

/* The outside copy of a seal's manifest, to name the rows of a seal rewritten in the database. */
static FILE *open_archive(struct verifier *v, long long seal_id)
{
    char path[4200];
    seal_archive_path(v->cfg, seal_id, path, sizeof path);
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        fprintf(v->out, "note: no outside copy of seal %lld's manifest (%s): its rows cannot be "
                        "named\n", seal_id, path);
    return f;
}

static bool verify_seals(PGconn *pg, struct verifier *v, const PGresult *s)
{
    long long prev_id = 0, prev_to = 0;
    const char *prev_chain = "0000000000000000000000000000000000000000000000000000000000000000";
    for (int i = 0; i < PQntuples(s); i++) {
        FILE *archive = NULL;
        if (!check_seal_fields(v, s, i, prev_chain, prev_id, prev_to))
            archive = open_archive(v, atoll(PQgetvalue(s, i, S_ID)));
        bool ok = compare_rows(pg, v, PQgetvalue(s, i, S_ID), PQgetvalue(s, i, S_FROM),
                               PQgetvalue(s, i, S_TO), PQgetvalue(s, i, S_MANIFEST), archive);
        if (archive)
            fclose(archive);
        if (!ok)
            return false;
        prev_id = atoll(PQgetvalue(s, i, S_ID));
        prev_to = atoll(PQgetvalue(s, i, S_TO));
        prev_chain = PQgetvalue(s, i, S_CHAIN);
        v->prev_sealed_at = atoll(PQgetvalue(s, i, S_AT_US));
        v->prev_seal_id = prev_id;
    }
    return check_tail(pg, v, prev_to);
}

/* Records the outcome of this verify (rc 0 clean, 1 altered, else error) in log_verify_runs for
 * the DPO console (migration 021), after the read-only transaction ended; false when it could
 * not be written (the outcome on stdout and the exit code stand). */
static bool verify_record(PGconn *pg, double started, int rc, int seals, long problems)
{
    char at[32], n[16], pr[24];
    snprintf(at, sizeof at, "%.6f", started);
    snprintf(n, sizeof n, "%d", seals);
    snprintf(pr, sizeof pr, "%ld", problems);
    const char *p[] = {at, rc == 0 ? "clean" : rc == 1 ? "altered" : "error", n, pr};
    return db_tool_command(pg, "crt-review",
                           "INSERT INTO log_verify_runs (started_at, result, seals, problems) "
                           "VALUES (to_timestamp($1::double precision), $2, $3::int, $4::bigint)",
                           4, p);
}

static double now_epoch(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

int verify_run(PGconn *pg, const struct crt_config *cfg, FILE *out)
{
    struct verifier v = {.out = out, .cfg = cfg};
    PGresult *s = NULL;
    int rc = -1;
    double started = now_epoch();
    if (!seal_canon_init(&v.canon) || !load_public_keys(&v) ||
        !db_tool_command(pg, "crt-review", "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", 0,
                         NULL))
        goto out;
    if (!db_tool_exec(pg, "crt-review", SEAL_SELECT, 0, NULL, &s) || !load_drops(pg, &v) ||
        !verify_seals(pg, &v, s))
        goto out;
    if (!seal_canon_finish(&v.canon, pg) && v.canon.mismatch_id == 0)
        goto out;
    v.form_row = v.form_row ? v.form_row : v.canon.mismatch_id;
    if (v.form_row)
        problem(&v, "row %lld: its canonical bytes computed by crt-review differ from "
                    "crt_log_canonical() (the form changed in the schema without crt-review): "
                    "the seals cannot be verified against the schema's definition", v.form_row);
    check_drops(&v);
    check_head(&v, s);
    if (v.problems > MAX_REPORTED)
        fprintf(out, "... and %ld more problems\n", v.problems - MAX_REPORTED);
    if (v.problems == 0)
        fprintf(out, "clean: %d seals verified, no row altered, removed or inserted\n",
                PQntuples(s));
    rc = v.form_row ? -1 : v.problems ? 1 : 0;
out:
    db_tool_rollback(pg, "crt-review");
    if (!verify_record(pg, started, rc, s ? PQntuples(s) : 0, v.problems))
        fprintf(out, "note: the result could not be recorded in log_verify_runs\n");
    PQclear(s);
    for (int i = 0; i < v.nkeys; i++)
        EVP_PKEY_free(v.keys[i]);
    for (int i = 0; i < v.ndrops; i++)
        free(v.drops[i].ids);
    free(v.drops);
    seal_canon_free(&v.canon);
    return rc;
}
