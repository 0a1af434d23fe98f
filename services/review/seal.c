/* Sealing the access log: the rows of every transaction ended since the previous seal, hashed
 * in id order into a manifest and a chain, signed with an Ed25519 key the database never sees. */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "crt/crypto.h"
#include "crt/db.h"
#include "crt/log.h"
#include "review.h"

#define FETCH_ROWS "10000"

int seal_statement(char *buf, size_t len, long long id, long long prev_id, long long txid_from,
                   long long txid_to, long long rows, long long first_id, long long last_id,
                   const char *manifest_hex, const char *prev_chain, const char *sealed_at)
{
    return snprintf(buf, len,
                    "crt-seal-v1\nseal %lld\nprev %lld\ntxid %lld %lld\nrows %lld\nids %lld %lld\n"
                    "manifest %s\nprev_chain %s\nsealed_at %s\n",
                    id, prev_id, txid_from, txid_to, rows, first_id, last_id, manifest_hex,
                    prev_chain, sealed_at);
}

/* The signing key: an Ed25519 private key in a PEM file nobody else may read. */
static EVP_PKEY *load_signing_key(const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0 || (st.st_mode & 077)) {
        log_error("seal key file missing or readable by group/others path=%s", path);
        return NULL;
    }
    FILE *f = fopen(path, "r");
    EVP_PKEY *k = f ? PEM_read_PrivateKey(f, NULL, NULL, NULL) : NULL;
    if (f)
        fclose(f);
    if (k && EVP_PKEY_get_id(k) != EVP_PKEY_ED25519) {
        EVP_PKEY_free(k);
        k = NULL;
    }
    if (k == NULL)
        log_error("seal key is not an Ed25519 private key in PEM path=%s", path);
    return k;
}

/* key id: the first 16 hex digits of SHA-256 over the public key (DER). */
bool seal_key_id(EVP_PKEY *k, char out[17])
{
    unsigned char *der = NULL;
    int n = i2d_PUBKEY(k, &der);
    if (n <= 0)
        return false;
    char hex[65];
    crypto_sha256_hex(der, (size_t)n, hex);
    OPENSSL_free(der);
    memcpy(out, hex, 16);
    out[16] = '\0';
    return true;
}

static bool sign(EVP_PKEY *k, const char *msg, char out[129])
{
    unsigned char sig[64];
    size_t siglen = sizeof sig;
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    bool ok = md && EVP_DigestSignInit(md, NULL, NULL, NULL, k) == 1 &&
              EVP_DigestSign(md, sig, &siglen, (const unsigned char *)msg, strlen(msg)) == 1 &&
              siglen == 64;
    EVP_MD_CTX_free(md);
    if (ok)
        seal_hex(sig, 64, out);
    return ok;
}

/* Where the previous seal ended; id 0 and a zero chain before the first. */
struct seal_prev {
    long long id, txid_to;
    char chain[65];
};

static bool read_prev(PGconn *pg, struct seal_prev *p)
{
    PGresult *r = NULL;
    if (!db_tool_exec(pg, "crt-review",
                      "SELECT id, txid_to, chain FROM log_seals ORDER BY id DESC LIMIT 1", 0, NULL,
                      &r))
        return false;
    p->id = 0;
    p->txid_to = 0;
    memset(p->chain, '0', 64);
    p->chain[64] = '\0';
    if (PQntuples(r) == 1) {
        p->id = atoll(PQgetvalue(r, 0, 0));
        p->txid_to = atoll(PQgetvalue(r, 0, 1));
        snprintf(p->chain, sizeof p->chain, "%s", PQgetvalue(r, 0, 2));
    }
    PQclear(r);
    return true;
}

void seal_archive_path(const struct crt_config *cfg, long long seal_id, char *out, size_t len)
{
    snprintf(out, len, "%s.manifests/seal-%lld.bin", cfg->seal_head_file, seal_id);
}

/* The manifest being built: the current block and the running digest over all blocks. A block
 * filled while the next rows are being fetched waits in full until the connection is free. */
struct manifest {
    FILE *archive; /* the outside copy being written (a temporary name until committed) */
    EVP_MD_CTX *md;
    unsigned char *block, *full;
    int in_block, block_no;
    bool has_full;
    long long rows, first_id, last_id;
    struct seal_canon canon; /* the rows' digests, checked against crt_log_canonical() */
};

static bool write_block(PGconn *pg, struct manifest *m, long long seal_id,
                        const unsigned char *block, int rows)
{
    if (fwrite(block, SEAL_ENTRY_BYTES, (size_t)rows, m->archive) != (size_t)rows) {
        log_error("could not write the outside copy of the manifest");
        return false;
    }
    char sid[24], bno[16];
    snprintf(sid, sizeof sid, "%lld", seal_id);
    snprintf(bno, sizeof bno, "%d", m->block_no);
    const char *vals[] = {sid, bno, (const char *)block};
    int lens[] = {0, 0, rows * SEAL_ENTRY_BYTES};
    int fmts[] = {0, 0, 1};
    /* The one statement of the tools outside db_tool_* (crt/db.h): its manifest is a binary
     * parameter, which the text-only layer does not take. Logged the same way. */
    PGresult *r = PQexecParams(pg, "INSERT INTO log_seal_blocks (seal_id, block_no, manifest) "
                                   "VALUES ($1, $2, $3)", 3, NULL, vals, lens, fmts, 0);
    bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
    if (!ok)
        db_log_failure("seal block insert failed", pg, r);
    PQclear(r);
    m->block_no++;
    return ok;
}

/* The full block waiting, then the current one (at the end of the rows). */
static bool flush_full(PGconn *pg, struct manifest *m, long long seal_id)
{
    bool ok = !m->has_full || write_block(pg, m, seal_id, m->full, SEAL_BLOCK_ROWS);
    m->has_full = false;
    return ok;
}

static bool flush_block(PGconn *pg, struct manifest *m, long long seal_id)
{
    bool ok = flush_full(pg, m, seal_id) &&
              (m->in_block == 0 || write_block(pg, m, seal_id, m->block, m->in_block));
    m->in_block = 0;
    return ok;
}

/* A batch of rows into the manifest while the next is fetched (at most one block fills in a
 * batch of FETCH_ROWS: it waits in m->full). */
static bool add_rows(struct manifest *m, const PGresult *r)
{
    for (int i = 0; i < PQntuples(r); i++) {
        unsigned char digest[32], *e = m->block + (size_t)m->in_block * SEAL_ENTRY_BYTES;
        long long id = atoll(PQgetvalue(r, i, 0));
        if (!seal_canon_row(&m->canon, r, i, digest))
            return false;
        for (int b = 0; b < 8; b++)
            e[b] = (unsigned char)((unsigned long long)id >> (56 - 8 * b));
        memcpy(e + 8, digest, 16);
        EVP_DigestUpdate(m->md, e, SEAL_ENTRY_BYTES);
        if (m->rows++ == 0)
            m->first_id = id;
        m->last_id = id;
        if (++m->in_block == SEAL_BLOCK_ROWS) {
            if (m->has_full) { /* cannot happen: a batch is smaller than a block */
                log_error("crt-review: two manifest blocks filled in one batch of rows");
                return false;
            }
            unsigned char *b = m->full;
            m->full = m->block;
            m->block = b;
            m->has_full = true;
            m->in_block = 0;
        }
    }
    return true;
}

/* The next batch of the cursor, asked for before the current one is hashed: the server reads
 * it meanwhile. */
static bool fetch_send(PGconn *pg)
{
    if (PQsendQuery(pg, "FETCH " FETCH_ROWS " FROM seal_rows") == 1)
        return true;
    db_log_failure("crt-review: fetch not sent", pg, NULL);
    return false;
}

/* The batch fetch_send asked for (every result read); NULL after logging a failure. */
static PGresult *fetch_wait(PGconn *pg)
{
    PGresult *rows = NULL, *r;
    bool ok = true;
    while ((r = PQgetResult(pg)) != NULL) {
        if (PQresultStatus(r) != PGRES_TUPLES_OK || rows != NULL) {
            if (ok)
                db_log_failure("crt-review", pg, r);
            ok = false;
            PQclear(r);
        } else {
            rows = r;
        }
    }
    if (!ok || rows == NULL) {
        PQclear(rows);
        return NULL;
    }
    return rows;
}

/* Streams the rows of txid [from, to) in id order into the manifest and its blocks; each batch
 * is hashed (and shown to watch->rows) while the next is fetched, and a block is written when
 * the connection is free again. */
static bool stream_rows(PGconn *pg, struct manifest *m, long long seal_id, long long from,
                        long long to, const struct seal_watch *watch)
{
    char f[24], t[24];
    snprintf(f, sizeof f, "%lld", from);
    snprintf(t, sizeof t, "%lld", to);
    const char *p[] = {f, t};
    if (watch && watch->begin_rows)
        watch->begin_rows(watch->rows_ctx, pg);
    if (!db_tool_command(pg, "crt-review",
                         "DECLARE seal_rows NO SCROLL CURSOR FOR SELECT " SEAL_ROW_COLUMNS
                         " FROM access_log l WHERE l.txid >= $1 AND l.txid < $2 ORDER BY l.id",
                         2, p) ||
        !fetch_send(pg))
        return false;
    for (;;) {
        PGresult *r = fetch_wait(pg);
        int n = r ? PQntuples(r) : 0;
        bool ok = r != NULL && flush_full(pg, m, seal_id) && (n == 0 || fetch_send(pg)) &&
                  add_rows(m, r);
        if (ok && watch && watch->rows)
            watch->rows(watch->rows_ctx, r);
        PQclear(r);
        if (!ok) {
            PQclear(fetch_wait(pg)); /* a fetch sent is drained */
            return false;
        }
        if (n == 0)
            break;
    }
    return flush_block(pg, m, seal_id) &&
           db_tool_command(pg, "crt-review", "CLOSE seal_rows", 0, NULL) &&
           seal_canon_finish(&m->canon, pg);
}

/* After a failed stream: a row whose C digest differs from crt_log_canonical()'s is named (its
 * id only); nothing of the seal is kept. */
static void report_form_mismatch(const struct manifest *m)
{
    if (m->canon.mismatch_id)
        log_error("not sealed: the canonical bytes of log row id=%lld computed by crt-review "
                  "differ from crt_log_canonical() (the form changed in the schema without "
                  "crt-review, D59)",
                  m->canon.mismatch_id);
}

/* Writes the newest seal outside the database: a temporary file, fsync, rename. */
static bool write_head_file(const char *path, const struct seal_info *s, const char *sig,
                            const char *key_id, const char *sealed_at)
{
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    json_t *o = json_pack("{sI sI ss ss ss ss}", "seal_id", (json_int_t)s->id, "rows",
                          (json_int_t)s->row_count, "chain", s->chain, "signature", sig,
                          "key_id", key_id, "sealed_at", sealed_at);
    bool ok = false;
    int fd = o ? open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644) : -1;
    if (fd >= 0) {
        char *text = json_dumps(o, JSON_INDENT(2));
        size_t n = text ? strlen(text) : 0;
        ok = text && write(fd, text, n) == (ssize_t)n && write(fd, "\n", 1) == 1 && fsync(fd) == 0;
        free(text);
        ok = close(fd) == 0 && ok && rename(tmp, path) == 0;
    }
    json_decref(o);
    if (!ok)
        log_error("could not write the seal head file path=%s", path);
    return ok;
}

/* The head file, and the same head kept per seal beside its manifest copy
 * (<head>.manifests/seal-N.head): a restore to an earlier point re-anchors on the copy of the
 * restored database's newest seal (deploy/backup/crt-backup, docs/operations.md). */
static bool write_head(const struct crt_config *cfg, const struct seal_info *s, const char *sig,
                       const char *key_id, const char *sealed_at)
{
    char copy[4200];
    snprintf(copy, sizeof copy, "%s.manifests/seal-%lld.head", cfg->seal_head_file, s->id);
    return write_head_file(copy, s, sig, key_id, sealed_at) &&
           write_head_file(cfg->seal_head_file, s, sig, key_id, sealed_at);
}

struct seal_work {
    EVP_PKEY *key;
    char key_id[17], sealed_at[40], sig[129];
    struct seal_prev prev;
    struct manifest m;
};

/* The horizon, as the first statement of the repeatable-read transaction (so it is taken with
 * the snapshot the rows are read in): the oldest transaction in progress in that snapshot, or
 * its xmax when none is. A transaction positively seen running in another database cannot
 * write this log and does not hold the horizon back; one that has ended since the snapshot
 * cannot be placed and does (its rows are then sealed by the next run). */
static const char horizon_sql[] =
    "SELECT COALESCE((SELECT min(x::text::bigint) FROM pg_snapshot_xip(q.s) x "
    "  WHERE NOT EXISTS (SELECT 1 FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
    "    WHERE l.locktype = 'transactionid' AND l.mode = 'ExclusiveLock' AND l.granted "
    "    AND l.transactionid = x::xid AND a.datid IS NOT NULL AND a.datname <> current_database())), "
    "  pg_snapshot_xmax(q.s)::text::bigint)::text, "
    "to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"') "
    "FROM (SELECT pg_current_snapshot() s) q";

/* Inside the open repeatable-read transaction: horizon, rows, seal row. Once the range is
 * known and has rows to seal, watch->started is told (it may start the seal's review on
 * another connection while the rows are hashed here), then watch->rows sees them. */
static enum seal_outcome seal_in_tx(PGconn *pg, struct seal_work *w, struct seal_info *out,
                                    const struct seal_watch *watch)
{
    PGresult *r = NULL;
    if (!db_tool_exec(pg, "crt-review", horizon_sql, 0, NULL, &r))
        return SEAL_ERROR;
    long long horizon = atoll(PQgetvalue(r, 0, 0));
    snprintf(w->sealed_at, sizeof w->sealed_at, "%s", PQgetvalue(r, 0, 1));
    PQclear(r);
    if (!read_prev(pg, &w->prev))
        return SEAL_ERROR;
    out->id = w->prev.id + 1;
    out->txid_from = w->prev.txid_to;
    out->txid_to = horizon;
    if (horizon <= w->prev.txid_to)
        return SEAL_NOTHING;
    if (watch && watch->started)
        watch->started(watch->started_ctx, out);
    log_debug("sealing seal=%lld txid=[%lld,%lld)", out->id, out->txid_from, out->txid_to);
    if (!stream_rows(pg, &w->m, out->id, out->txid_from, out->txid_to, watch)) {
        report_form_mismatch(&w->m);
        return SEAL_ERROR;
    }
    log_debug("seal=%lld rows=%lld compared with crt_log_canonical()=%lld", out->id, w->m.rows,
              w->m.canon.sampled);
    if (w->m.rows == 0)
        return SEAL_NOTHING;
    unsigned char md[32];
    unsigned int mdlen = 0;
    char manifest_hex[65], stmt[1024];
    EVP_DigestFinal_ex(w->m.md, md, &mdlen);
    seal_hex(md, 32, manifest_hex);
    seal_statement(stmt, sizeof stmt, out->id, w->prev.id, out->txid_from, out->txid_to,
                   w->m.rows, w->m.first_id, w->m.last_id, manifest_hex, w->prev.chain,
                   w->sealed_at);
    crypto_sha256_hex(stmt, strlen(stmt), out->chain);
    out->row_count = w->m.rows;
    if (!sign(w->key, stmt, w->sig))
        return SEAL_ERROR;
    char v[10][72];
    snprintf(v[0], 24, "%lld", out->id);
    snprintf(v[1], 24, "%lld", w->prev.id);
    snprintf(v[2], 24, "%lld", out->txid_from);
    snprintf(v[3], 24, "%lld", out->txid_to);
    snprintf(v[4], 24, "%lld", w->m.rows);
    snprintf(v[5], 24, "%lld", w->m.first_id);
    snprintf(v[6], 24, "%lld", w->m.last_id);
    const char *p[] = {v[0], w->prev.id ? v[1] : NULL, v[2], v[3], v[4], v[5], v[6],
                       manifest_hex, w->prev.chain, out->chain, w->key_id, w->sig, w->sealed_at};
    return db_tool_command(pg, "crt-review",
                           "INSERT INTO log_seals (id, prev_id, txid_from, txid_to, row_count, "
                           "first_row_id, last_row_id, manifest_sha256, prev_chain, chain, key_id, "
                           "signature, sealed_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, "
                           "$11, $12, $13::timestamptz)",
                           13, p)
               ? SEAL_NEW
               : SEAL_ERROR;
}

enum seal_outcome seal_new(PGconn *pg, const struct crt_config *cfg, struct seal_info *out,
                           const struct seal_watch *watch)
{
    struct seal_work w;
    memset(&w, 0, sizeof w);
    memset(out, 0, sizeof *out);
    enum seal_outcome rc = SEAL_ERROR;
    w.key = load_signing_key(cfg->seal_key_file);
    w.m.md = EVP_MD_CTX_new();
    w.m.block = malloc((size_t)SEAL_BLOCK_ROWS * SEAL_ENTRY_BYTES);
    w.m.full = malloc((size_t)SEAL_BLOCK_ROWS * SEAL_ENTRY_BYTES);
    bool canon = seal_canon_init(&w.m.canon);
    if (w.key == NULL || w.m.md == NULL || w.m.block == NULL || w.m.full == NULL || !canon ||
        !seal_key_id(w.key, w.key_id) ||
        !EVP_DigestInit_ex(w.m.md, EVP_sha256(), NULL))
        goto out;
    char dir[4096], tmp[4200], final[4200];
    snprintf(dir, sizeof dir, "%s.manifests", cfg->seal_head_file);
    snprintf(tmp, sizeof tmp, "%s/pending.tmp", dir);
    if ((mkdir(dir, 0750) != 0 && errno != EEXIST) || (w.m.archive = fopen(tmp, "w")) == NULL) {
        log_error("cannot write seal manifests next to the head file dir=%s", dir);
        goto out;
    }
    if (!db_tool_command(pg, "crt-review", "BEGIN ISOLATION LEVEL REPEATABLE READ", 0, NULL))
        goto out;
    rc = seal_in_tx(pg, &w, out, watch);
    if (rc != SEAL_NEW || !db_tool_command(pg, "crt-review", "COMMIT", 0, NULL)) {
        db_tool_rollback(pg, "crt-review");
        rc = rc == SEAL_NOTHING ? SEAL_NOTHING : SEAL_ERROR;
        goto out;
    }
    log_info("sealed seal=%lld rows=%lld txid=[%lld,%lld)", out->id, out->row_count,
             out->txid_from, out->txid_to);
    seal_archive_path(cfg, out->id, final, sizeof final);
    bool kept = fflush(w.m.archive) == 0 && fsync(fileno(w.m.archive)) == 0;
    kept = fclose(w.m.archive) == 0 && kept && rename(tmp, final) == 0;
    w.m.archive = NULL;
    if (!kept || !write_head(cfg, out, w.sig, w.key_id, w.sealed_at)) {
        log_error("seal %lld committed but its outside copy or the head file was not written",
                  out->id);
        rc = SEAL_ERROR;
    }
out:
    if (w.m.archive) {
        fclose(w.m.archive);
        unlink(tmp);
    }
    EVP_PKEY_free(w.key);
    EVP_MD_CTX_free(w.m.md);
    free(w.m.block);
    free(w.m.full);
    seal_canon_free(&w.m.canon);
    return rc;
}
