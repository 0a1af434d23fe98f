/* crtctl keys rotate-data|rotate-blind: the background jobs that move every sealed value (TOTP
 * secrets, national numbers) to the data keyring's first key, and every blind index to the
 * index ring's first key, in small batches whose progress commits with the rows (key_jobs). */
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "crt/db.h"
#include "crt/log.h"
#include "crt/person.h"
#include "ctl.h"
#include "keys.h"

#define MAX_CONTROLLERS 256
#define MAX_PASSES 3
#define SEALED_MAX 256 /* bytes of one sealed value (a TOTP secret is 20 + 28) */

struct job {
    PGconn *c;
    const char *kind; /* "data" or "blind" */
    const struct keyring *data, *index;
    const char *target; /* the key every row ends under */
    struct keys_job_opts opts;
    int ctls[MAX_CONTROLLERS], nctl;
    /* the cursor: table, controller, last id done ("" none) */
    int table, ctl;
    char cursor[37];
    int pass, batches;
    long long done, failed;
};

static const char *const data_tables[] = {"staff_credentials", "persons"};
static const char *const blind_tables[] = {"persons"};

static const char *const *job_tables(const struct job *j, int *n)
{
    bool data = strcmp(j->kind, "data") == 0;
    *n = data ? 2 : 1;
    return data ? data_tables : blind_tables;
}

/* ---- the job's row in key_jobs ---- */

static bool load_controllers(struct job *j)
{
    PGresult *r = NULL;
    if (!db_tool_exec(j->c, "crtctl", "SELECT id FROM controllers ORDER BY id", 0, NULL, &r))
        return false;
    j->nctl = 0;
    for (int i = 0; i < PQntuples(r) && j->nctl < MAX_CONTROLLERS; i++)
        j->ctls[j->nctl++] = atoi(PQgetvalue(r, i, 0));
    PQclear(r);
    return true;
}

/* Starts a job for the target key, or resumes the unfinished one for the same key: the cursor
 * then comes from the database. */
static bool job_begin(struct job *j)
{
    const char *p[] = {j->kind, j->target};
    PGresult *r = NULL;
    bool ok = db_tool_command(
                  j->c, "crtctl",
                  "INSERT INTO key_jobs (kind, target_key) VALUES ($1, $2) ON CONFLICT (kind) DO "
                  "UPDATE SET target_key = EXCLUDED.target_key, started_at = now(), "
                  "updated_at = now(), finished_at = NULL, pass = 1, cursor_table = NULL, "
                  "cursor_controller = NULL, cursor_id = NULL, rows_done = 0 "
                  "WHERE key_jobs.target_key <> EXCLUDED.target_key "
                  "OR key_jobs.finished_at IS NOT NULL",
                  2, p) &&
              db_tool_exec(j->c, "crtctl",
                           "SELECT pass, coalesce(cursor_table, ''), coalesce(cursor_controller, 0), "
                           "coalesce(cursor_id::text, ''), rows_done FROM key_jobs WHERE kind = $1",
                           1, p, &r) &&
              PQntuples(r) == 1;
    if (ok) {
        int n;
        const char *const *t = job_tables(j, &n);
        j->pass = atoi(PQgetvalue(r, 0, 0));
        for (j->table = 0; j->table < n && strcmp(t[j->table], PQgetvalue(r, 0, 1)) != 0; j->table++)
            ;
        j->table = j->table == n ? 0 : j->table;
        j->ctl = atoi(PQgetvalue(r, 0, 2));
        snprintf(j->cursor, sizeof j->cursor, "%s", PQgetvalue(r, 0, 3));
        j->done = atoll(PQgetvalue(r, 0, 4));
        if (j->cursor[0] || j->done)
            printf("resuming the %s job for key %s: pass %d, %lld rows done\n", j->kind,
                   j->target, j->pass, j->done);
    }
    PQclear(r);
    return ok;
}

/* Records the cursor and n more rows done, inside the batch's transaction. */
static bool job_progress(struct job *j, const char *table, long long n)
{
    char ctl[8], cnt[24], pass[12];
    snprintf(ctl, sizeof ctl, "%d", j->ctl);
    snprintf(cnt, sizeof cnt, "%lld", n);
    snprintf(pass, sizeof pass, "%d", j->pass);
    const char *p[] = {j->kind, table, ctl, j->cursor[0] ? j->cursor : NULL, cnt, pass};
    return db_tool_command(j->c, "crtctl",
                           "UPDATE key_jobs SET cursor_table = $2, cursor_controller = $3::smallint, "
                           "cursor_id = $4::uuid, rows_done = rows_done + $5::bigint, "
                           "pass = $6::int, updated_at = now() WHERE kind = $1",
                           6, p);
}

/* ---- one row ---- */

static bool hex_decode(const char *hex, unsigned char *out, size_t max, size_t *len)
{
    size_t n = strlen(hex);
    if (n % 2 || n / 2 > max)
        return false;
    for (size_t i = 0; i < n / 2; i++) {
        unsigned v;
        if (sscanf(hex + 2 * i, "%2x", &v) != 1)
            return false;
        out[i] = (unsigned char)v;
    }
    *len = n / 2;
    return true;
}

static void hex_encode(const unsigned char *in, size_t len, char *out)
{
    for (size_t i = 0; i < len; i++)
        snprintf(out + 2 * i, 3, "%02x", in[i]);
}

/* Opens a sealed value (hex) of row id under key_id; plain receives its bytes. */
static bool open_value(const struct keyring *kr, const char *id, const char *hex,
                       const char *key_id, unsigned char *plain, size_t *plen)
{
    unsigned char sealed[SEALED_MAX];
    size_t n = 0;
    if (!hex_decode(hex, sealed, sizeof sealed, &n) || n < CRYPTO_SEAL_OVERHEAD ||
        !crypto_open(kr, key_id, sealed, n, id, plain))
        return false;
    *plen = n - CRYPTO_SEAL_OVERHEAD;
    return true;
}

/* Re-seals one value under the ring's first key: hex out, key id out. */
static bool reseal_value(const struct keyring *kr, const char *id, const char *hex,
                         const char *key_id, char *out, char new_id[CRYPTO_KEY_ID_MAX])
{
    unsigned char plain[SEALED_MAX], sealed[SEALED_MAX];
    size_t plen = 0;
    bool ok = open_value(kr, id, hex, key_id, plain, &plen) &&
              crypto_seal(kr, plain, plen, id, sealed, new_id);
    if (ok)
        hex_encode(sealed, plen + CRYPTO_SEAL_OVERHEAD, out);
    OPENSSL_cleanse(plain, sizeof plain);
    return ok;
}

/* The data job's statements per table: the batch and the compare-and-set update (a row the API
 * rewrote meanwhile is left alone: it is under the new key already). */
static const char *const data_select[] = {
    "SELECT user_id::text, encode(totp_sealed, 'hex'), totp_key_id FROM staff_credentials "
    "WHERE controller_id = $1::smallint AND ($2::uuid IS NULL OR user_id > $2::uuid) "
    "AND totp_sealed IS NOT NULL AND totp_key_id IS DISTINCT FROM $3 ORDER BY user_id LIMIT $4::int",
    "SELECT id::text, encode(national_number_sealed, 'hex'), national_number_key_id FROM persons "
    "WHERE controller_id = $1::smallint AND ($2::uuid IS NULL OR id > $2::uuid) "
    "AND national_number_sealed IS NOT NULL AND national_number_key_id IS DISTINCT FROM $3 "
    "ORDER BY id LIMIT $4::int"};
static const char *const data_update[] = {
    "UPDATE staff_credentials SET totp_sealed = decode($2, 'hex'), totp_key_id = $3 "
    "WHERE user_id = $1::uuid AND totp_sealed = decode($4, 'hex')",
    "UPDATE persons SET national_number_sealed = decode($2, 'hex'), national_number_key_id = $3 "
    "WHERE id = $1::uuid AND national_number_sealed = decode($4, 'hex')"};

static bool data_row(struct job *j, const PGresult *r, int i)
{
    char hex[2 * SEALED_MAX + 1], key_id[CRYPTO_KEY_ID_MAX];
    const char *id = PQgetvalue(r, i, 0);
    if (!reseal_value(j->data, id, PQgetvalue(r, i, 1), PQgetvalue(r, i, 2), hex, key_id)) {
        log_error("crtctl: %s %s cannot be opened (key id %s not in the keyring, or damaged)",
                  data_tables[j->table], id, PQgetvalue(r, i, 2));
        j->failed++;
        return true;
    }
    const char *p[] = {id, hex, key_id, PQgetvalue(r, i, 1)};
    return db_tool_command(j->c, "crtctl", data_update[j->table], 4, p);
}

static const char *const blind_select =
    "SELECT id::text, first_name, last_name, to_char(birth_date, 'YYYY-MM-DD'), "
    "encode(national_number_sealed, 'hex'), national_number_key_id, version::text, name_bidx, "
    "national_number_bidx FROM persons WHERE controller_id = $1::smallint "
    "AND ($2::uuid IS NULL OR id > $2::uuid) AND bidx_key_id IS DISTINCT FROM $3 "
    "ORDER BY id LIMIT $4::int";

/* Both indexes of a person under the index ring's first key, from the stored name, birth date
 * and (opened) national number; a missing part gives a NULL index. */
static bool blind_indexes(struct job *j, const PGresult *r, int i, char name[65], char nn[65],
                          bool *has_name, bool *has_nn)
{
    const unsigned char *k = j->index->key[0];
    char text[1100];
    unsigned char digits[SEALED_MAX];
    size_t dlen = 0;
    *has_name = !PQgetisnull(r, i, 1) && !PQgetisnull(r, i, 2) && !PQgetisnull(r, i, 3);
    *has_nn = !PQgetisnull(r, i, 4);
    bool ok = !*has_name ||
              (person_name_key(PQgetvalue(r, i, 1), PQgetvalue(r, i, 2), PQgetvalue(r, i, 3), text,
                               sizeof text) > 0 &&
               crypto_hmac_hex(k, 32, text, strlen(text), name));
    if (ok && *has_nn) {
        ok = open_value(j->data, PQgetvalue(r, i, 0), PQgetvalue(r, i, 4), PQgetvalue(r, i, 5),
                        digits, &dlen) && dlen == 11;
        snprintf(text, sizeof text, "nn:%.*s", ok ? 11 : 0, (const char *)digits);
        ok = ok && crypto_hmac_hex(k, 32, text, strlen(text), nn);
    }
    OPENSSL_cleanse(digits, sizeof digits);
    OPENSSL_cleanse(text, sizeof text);
    return ok;
}

static bool blind_row(struct job *j, const PGresult *r, int i)
{
    char name[65] = "", nn[65] = "";
    bool has_name, has_nn;
    const char *id = PQgetvalue(r, i, 0);
    if (!blind_indexes(j, r, i, name, nn, &has_name, &has_nn)) {
        log_error("crtctl: person %s cannot be re-indexed (its number's key id %s is not in the "
                  "data keyring, or damaged)", id, PQgetvalue(r, i, 5));
        j->failed++;
        return true;
    }
    const char *p[] = {id, has_name ? name : NULL, has_nn ? nn : NULL, j->target,
                       PQgetvalue(r, i, 6), PQgetisnull(r, i, 7) ? NULL : PQgetvalue(r, i, 7),
                       PQgetisnull(r, i, 8) ? NULL : PQgetvalue(r, i, 8)};
    return db_tool_command(j->c, "crtctl",
                           "UPDATE persons SET name_bidx = $2, national_number_bidx = $3, "
                           "bidx_key_id = $4 WHERE id = $1::uuid AND version::text = $5 "
                           "AND name_bidx IS NOT DISTINCT FROM $6 "
                           "AND national_number_bidx IS NOT DISTINCT FROM $7",
                           7, p);
}

/* ---- batches, passes ---- */

/* One batch of the current table and controller in one transaction with its progress; *n the
 * rows it took (0: this controller is done). */
static bool job_batch(struct job *j, int *n)
{
    int nt;
    const char *table = job_tables(j, &nt)[j->table];
    bool data = strcmp(j->kind, "data") == 0;
    char ctl[8], lim[12];
    snprintf(ctl, sizeof ctl, "%d", j->ctl);
    snprintf(lim, sizeof lim, "%d", j->opts.batch);
    const char *p[] = {ctl, j->cursor[0] ? j->cursor : NULL, j->target, lim};
    PGresult *r = NULL;
    /* Persons are read and written as crt_auth (the definer functions' role, outside the
     * need-to-know policies), one controller at a time all the same; the progress as the
     * owner again. */
    bool persons = strcmp(table, "persons") == 0;
    bool ok = db_tool_command(j->c, "crtctl", "BEGIN", 0, NULL) &&
              db_tool_command(j->c, "crtctl", "SELECT set_config('crt.controller_id', $1, true)",
                              1, p) &&
              (!persons || db_tool_command(j->c, "crtctl", "SET LOCAL ROLE crt_auth", 0, NULL)) &&
              db_tool_exec(j->c, "crtctl", data ? data_select[j->table] : blind_select, 4, p, &r);
    *n = ok ? PQntuples(r) : 0;
    for (int i = 0; ok && i < *n; i++)
        ok = data ? data_row(j, r, i) : blind_row(j, r, i);
    ok = ok && (!persons || db_tool_command(j->c, "crtctl", "RESET ROLE", 0, NULL));
    if (ok && *n > 0)
        snprintf(j->cursor, sizeof j->cursor, "%s", PQgetvalue(r, *n - 1, 0));
    ok = ok && (*n == 0 || job_progress(j, table, *n)) &&
         db_tool_command(j->c, "crtctl", "COMMIT", 0, NULL);
    PQclear(r);
    if (!ok)
        db_tool_rollback(j->c, "crtctl");
    j->done += ok ? *n : 0;
    return ok;
}

static void pause_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    if (ms > 0)
        nanosleep(&ts, NULL);
}

/* Runs batches from the cursor to the end of the pass; *stopped when --max-batches ran out. */
static bool job_pass(struct job *j, bool *stopped)
{
    int nt;
    job_tables(j, &nt);
    *stopped = false;
    for (; j->table < nt; j->table++, j->ctl = 0, j->cursor[0] = '\0') {
        for (int c = 0; c < j->nctl; c++) {
            if (j->ctls[c] < j->ctl)
                continue;
            if (j->ctls[c] != j->ctl)
                j->cursor[0] = '\0';
            j->ctl = j->ctls[c];
            for (int n = 1; n > 0;) {
                if (j->opts.max_batches > 0 && j->batches >= j->opts.max_batches) {
                    *stopped = true;
                    return true;
                }
                if (!job_batch(j, &n))
                    return false;
                j->batches += n > 0; /* an empty batch only ends this controller */
                pause_ms(n > 0 ? j->opts.pause_ms : 0);
            }
        }
    }
    return true;
}

/* Rows not yet under the target key, over every controller. */
static bool job_left(struct job *j, long long *left)
{
    PGresult *r = NULL;
    const char *p[] = {j->target};
    bool data = strcmp(j->kind, "data") == 0;
    bool ok = db_tool_command(j->c, "crtctl", "BEGIN", 0, NULL) &&
              db_tool_command(j->c, "crtctl", "SET LOCAL ROLE crt_auth", 0, NULL) &&
              db_tool_exec(j->c, "crtctl",
                           data ? "SELECT (SELECT count(*) FROM staff_credentials WHERE totp_sealed "
                                  "IS NOT NULL AND totp_key_id IS DISTINCT FROM $1) + (SELECT "
                                  "count(*) FROM persons WHERE national_number_sealed IS NOT NULL "
                                  "AND national_number_key_id IS DISTINCT FROM $1)"
                                : "SELECT count(*) FROM persons WHERE bidx_key_id IS DISTINCT FROM $1",
                           1, p, &r) &&
              db_tool_command(j->c, "crtctl", "COMMIT", 0, NULL);
    *left = ok ? atoll(PQgetvalue(r, 0, 0)) : -1;
    PQclear(r);
    if (!ok)
        db_tool_rollback(j->c, "crtctl");
    return ok;
}

static bool job_finish(struct job *j)
{
    const char *p[] = {j->kind};
    return db_tool_command(j->c, "crtctl",
                           "UPDATE key_jobs SET finished_at = now(), updated_at = now(), "
                           "cursor_table = NULL, cursor_controller = NULL, cursor_id = NULL "
                           "WHERE kind = $1",
                           1, p);
}

/* One job of a kind at a time (a second would fight over the cursor): a session advisory lock,
 * released when the connection ends. Tried for 5 s, the time the server takes to notice that
 * a killed job's connection is gone. */
static bool job_lock(struct job *j)
{
    char got[2];
    bool found = false;
    const char *p[] = {j->kind};
    for (int i = 0; i < 50; i++) {
        if (!db_tool_value(j->c, "crtctl",
                           "SELECT pg_try_advisory_lock(hashtext('crt-key-job-' || $1))", 1, p,
                           got, sizeof got, &found))
            return false;
        if (found && strcmp(got, "t") == 0)
            return true;
        pause_ms(100);
    }
    fprintf(stderr, "crtctl: another %s job is running\n", j->kind);
    return false;
}

/* Passes until no row is left under another key (rows the API rewrote under the old key
 * while a pass ran, e.g. from an instance not yet restarted, are caught by the next one). */
static int job_run(struct job *j)
{
    long long left = -1;
    bool stopped = false;
    if (!job_lock(j) || !load_controllers(j) || !job_begin(j))
        return 1;
    for (;;) {
        if (!job_pass(j, &stopped))
            return 1;
        if (stopped) {
            printf("stopped after %d batches (%lld rows done); run the command again to resume\n",
                   j->batches, j->done);
            return 0;
        }
        if (!job_left(j, &left))
            return 1;
        if (left == 0 || j->pass >= MAX_PASSES)
            break;
        j->pass++, j->table = 0, j->ctl = 0, j->cursor[0] = '\0';
    }
    if (left > 0) {
        fprintf(stderr, "crtctl: %lld rows are still under another key after %d passes (%lld "
                        "could not be opened; see the log lines above)\n", left, j->pass, j->failed);
        return 1;
    }
    if (!job_finish(j))
        return 1;
    printf("%s: every row is under key %s (%lld rows done in total)\n", j->kind, j->target, j->done);
    return 0;
}

int keys_rotate_data(const struct crt_config *cfg, const struct keys_job_opts *o)
{
    struct keyring data;
    char err[300];
    if (!keyring_load(&data, cfg->data_key_file, err, sizeof err)) {
        fprintf(stderr, "crtctl: %s\n", err);
        return 1;
    }
    struct job j = {.c = ctl_connect(cfg), .kind = "data", .data = &data, .target = data.id[0],
                    .opts = *o};
    int rc = j.c ? job_run(&j) : 1;
    PQfinish(j.c);
    keyring_wipe(&data);
    return rc;
}

int keys_rotate_blind(const struct crt_config *cfg, const struct keys_job_opts *o)
{
    struct keyring data, index;
    char err[300];
    if (!keyring_load(&data, cfg->data_key_file, err, sizeof err) ||
        !keyring_load(&index, cfg->index_key_file, err, sizeof err)) {
        fprintf(stderr, "crtctl: %s\n", err);
        keyring_wipe(&data);
        return 1;
    }
    struct job j = {.c = ctl_connect(cfg), .kind = "blind", .data = &data, .index = &index,
                    .target = index.id[0], .opts = *o};
    int rc = j.c ? job_run(&j) : 1;
    PQfinish(j.c);
    keyring_wipe(&data);
    keyring_wipe(&index);
    return rc;
}
