/* crtctl keys …: which key seals, indexes or signs how many rows, new keyring keys, and the
 * file steps of the JWT and seal key rotations (docs/operations.md, "Rotating keys"). */
#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "crt/db.h"
#include "crt/token.h"
#include "ctl.h"
#include "keys.h"

/* ---- files ---- */

/* The whole file, NUL-terminated (malloc'ed), or NULL with errno set. */
static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "re");
    char *buf = NULL;
    struct stat st;
    if (f && fstat(fileno(f), &st) == 0 && st.st_size < 1 << 20 &&
        (buf = malloc((size_t)st.st_size + 1)) != NULL) {
        *len = fread(buf, 1, (size_t)st.st_size, f);
        buf[*len] = '\0';
    }
    if (f)
        fclose(f);
    return buf;
}

/* Replaces path with data at once (a temporary file beside it, fsync, rename): a reader sees the
 * old file or the new one, never half of one. */
static bool write_atomic(const char *path, const void *data, size_t len, mode_t mode)
{
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    unlink(tmp);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
    bool ok = fd >= 0 && fchmod(fd, mode) == 0 && write(fd, data, len) == (ssize_t)len &&
              fsync(fd) == 0;
    if (fd >= 0 && close(fd) != 0)
        ok = false;
    ok = ok && rename(tmp, path) == 0;
    if (!ok) {
        fprintf(stderr, "crtctl: cannot write %s: %s\n", path, strerror(errno));
        unlink(tmp);
    }
    return ok;
}

/* The PEM text of a key (public or private), malloc'ed. */
static char *pem_text(EVP_PKEY *k, bool private_key, size_t *len)
{
    BIO *b = BIO_new(BIO_s_mem());
    char *data = NULL, *out = NULL;
    long n = 0;
    if (b && (private_key ? PEM_write_bio_PrivateKey(b, k, NULL, NULL, 0, NULL, NULL)
                          : PEM_write_bio_PUBKEY(b, k)) &&
        (n = BIO_get_mem_data(b, &data)) > 0 && (out = malloc((size_t)n + 1)) != NULL) {
        memcpy(out, data, (size_t)n);
        out[n] = '\0';
        *len = (size_t)n;
    }
    BIO_free(b);
    return out;
}

/* Appends k's public key to the PEM file at path (made when missing), mode 0644. */
static bool append_public(const char *path, EVP_PKEY *k)
{
    size_t old_len = 0, add_len = 0;
    char *old = slurp(path, &old_len), *add = pem_text(k, false, &add_len);
    char *all = add ? malloc(old_len + add_len + 2) : NULL;
    bool ok = all != NULL;
    if (ok) {
        size_t n = old_len;
        memcpy(all, old ? old : "", old_len);
        if (n > 0 && all[n - 1] != '\n')
            all[n++] = '\n';
        memcpy(all + n, add, add_len);
        ok = write_atomic(path, all, n + add_len, 0644);
    }
    free(old), free(add), free(all);
    return ok;
}

/* Writes a private key to path (mode 0600); with exclusive, refuses an existing file. */
static bool write_private(const char *path, EVP_PKEY *k, bool exclusive)
{
    size_t n = 0;
    char *pem = pem_text(k, true, &n);
    bool ok = pem != NULL;
    if (ok && exclusive && access(path, F_OK) == 0) {
        fprintf(stderr, "crtctl: %s exists already\n", path);
        ok = false;
    }
    ok = ok && write_atomic(path, pem, n, 0600);
    if (pem)
        OPENSSL_cleanse(pem, n);
    free(pem);
    return ok;
}

/* ---- new-key ---- */

static bool key_id_ok(const char *id)
{
    size_t n = strlen(id);
    if (n == 0 || n >= CRYPTO_KEY_ID_MAX)
        return false;
    for (const char *c = id; *c; c++)
        if (!((*c >= 'A' && *c <= 'Z') || (*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') ||
              *c == '.' || *c == '_' || *c == '-'))
            return false;
    return true;
}

/* Puts a new random key named id first in the keyring file path (made when missing). */
static int cmd_new_key(const char *path, const char *id)
{
    struct keyring kr;
    char err[300], line[CRYPTO_KEY_ID_MAX + 70];
    unsigned char key[32];
    size_t old_len = 0;
    if (!key_id_ok(id)) {
        fprintf(stderr, "crtctl: a key id is 1 to 31 of A-Z a-z 0-9 . _ -\n");
        return 2;
    }
    if (access(path, F_OK) == 0) {
        if (!keyring_load(&kr, path, err, sizeof err)) {
            fprintf(stderr, "crtctl: %s\n", err);
            return 1;
        }
        for (int i = 0; i < kr.n; i++)
            if (strcmp(kr.id[i], id) == 0) {
                fprintf(stderr, "crtctl: %s already holds a key %s\n", path, id);
                keyring_wipe(&kr);
                return 1;
            }
        keyring_wipe(&kr);
    }
    char *old = slurp(path, &old_len), *all = NULL;
    bool ok = crypto_random(key, sizeof key);
    int n = snprintf(line, sizeof line, "%s ", id);
    for (size_t i = 0; ok && i < sizeof key; i++)
        n += snprintf(line + n, sizeof line - (size_t)n, "%02x", key[i]);
    line[n++] = '\n';
    ok = ok && (all = malloc((size_t)n + old_len + 1)) != NULL;
    if (ok) {
        memcpy(all, line, (size_t)n);
        memcpy(all + n, old ? old : "", old_len);
        ok = write_atomic(path, all, (size_t)n + old_len, 0600);
        OPENSSL_cleanse(all, (size_t)n + old_len);
    }
    OPENSSL_cleanse(key, sizeof key);
    OPENSSL_cleanse(line, sizeof line);
    if (old)
        OPENSSL_cleanse(old, old_len);
    free(old), free(all);
    if (ok)
        printf("key %s is now first in %s; restart the crt-api instances one at a time, then run "
               "crtctl keys rotate-data (data keyring) or rotate-blind (index keys)\n", id, path);
    return ok ? 0 : 1;
}

/* ---- status ---- */

/* Counts per key id, as crt_auth (every controller; read only). */
static PGresult *count_by_key(PGconn *c, const char *sql)
{
    PGresult *r = NULL;
    bool ok = db_tool_command(c, "crtctl", "BEGIN READ ONLY", 0, NULL) &&
              db_tool_command(c, "crtctl", "SET LOCAL ROLE crt_auth", 0, NULL) &&
              db_tool_exec(c, "crtctl", sql, 0, NULL, &r) &&
              db_tool_command(c, "crtctl", "COMMIT", 0, NULL);
    if (!ok) {
        db_tool_rollback(c, "crtctl");
        PQclear(r);
        r = NULL;
    }
    return r;
}

/* The row of r (key id in column 0) for key id, -1 when none; id NULL matches a NULL id. */
static int row_of(const PGresult *r, const char *id)
{
    for (int i = 0; i < PQntuples(r); i++)
        if (id == NULL ? PQgetisnull(r, i, 0)
                       : !PQgetisnull(r, i, 0) && strcmp(PQgetvalue(r, i, 0), id) == 0)
            return i;
    return -1;
}

static void print_counts(const char *section, const char *id, const char *role, const PGresult *r,
                         int row, const char *const *cols, int ncols)
{
    printf("%-6s %-31s %-10s", section, id, role);
    for (int c = 0; c < ncols; c++)
        printf(" %s=%s", cols[c], row < 0 ? "0" : PQgetvalue(r, row, c + 1));
    printf("\n");
}

/* "<section> <key id> <role> <counts>" for every key of the keyring at path (the first in
 * first_role), then for key ids the rows name that the ring lacks ("missing": those rows cannot
 * be opened) or no key id ("unrecorded"). */
static bool status_ring(PGconn *c, const char *section, const char *path, const char *sql,
                        const char *first_role, const char *other_role, const char *const *cols,
                        int ncols)
{
    struct keyring kr;
    char err[300];
    if (!keyring_load(&kr, path, err, sizeof err)) {
        printf("%-6s unavailable: %s\n", section, err);
        return true;
    }
    PGresult *r = count_by_key(c, sql);
    for (int k = 0; r && k < kr.n; k++)
        print_counts(section, kr.id[k], k == 0 ? first_role : other_role, r, row_of(r, kr.id[k]),
                     cols, ncols);
    for (int i = 0; r && i < PQntuples(r); i++) {
        const char *id = PQgetisnull(r, i, 0) ? NULL : PQgetvalue(r, i, 0);
        bool in_ring = false;
        for (int k = 0; id && k < kr.n; k++)
            in_ring |= strcmp(kr.id[k], id) == 0;
        if (!in_ring)
            print_counts(section, id ? id : "-", id ? "missing" : "unrecorded", r, i, cols, ncols);
    }
    bool ok = r != NULL;
    PQclear(r);
    keyring_wipe(&kr);
    return ok;
}

static void status_jwt(const struct crt_config *cfg)
{
    struct token_keys k;
    char err[300];
    bool ok = token_keys_load(&k, cfg->jwt_private_key_file, cfg->jwt_public_key_file, "", "",
                              err, sizeof err) ||
              token_keys_load(&k, NULL, cfg->jwt_public_key_file, "", "", err, sizeof err);
    if (!ok) {
        printf("jwt    unavailable: %s\n", err);
        return;
    }
    for (int i = 0; i < k.nkeys; i++)
        printf("jwt    %-43s %s\n", k.kids[i],
               k.sign_key && k.keys[i] == k.verify_key ? "signs" : "verifies");
    token_keys_free(&k);
}

/* Seal key id: the first 16 hex digits of SHA-256 over the public key's DER (as crt-review). */
static bool seal_key_id(EVP_PKEY *k, char out[17])
{
    unsigned char *der = NULL;
    char hex[65];
    int n = i2d_PUBKEY(k, &der);
    if (n <= 0)
        return false;
    crypto_sha256_hex(der, (size_t)n, hex);
    OPENSSL_free(der);
    memcpy(out, hex, 16);
    out[16] = '\0';
    return true;
}

static bool private_seal_id(const char *path, char id[17])
{
    FILE *f = fopen(path, "re");
    EVP_PKEY *k = f ? PEM_read_PrivateKey(f, NULL, NULL, NULL) : NULL;
    bool ok = k && seal_key_id(k, id);
    if (f)
        fclose(f);
    EVP_PKEY_free(k);
    ERR_clear_error();
    return ok;
}

static bool status_seal(PGconn *c, const struct crt_config *cfg)
{
    char signer[17] = "", id[17];
    PGresult *r = NULL;
    size_t len = 0;
    char *pem = slurp(cfg->seal_public_key_file, &len);
    bool have_signer = private_seal_id(cfg->seal_key_file, signer);
    if (!db_tool_exec(c, "crtctl",
                      "SELECT key_id, count(*), coalesce(sum(row_count), 0) FROM log_seals "
                      "GROUP BY key_id ORDER BY min(id)", 0, NULL, &r)) {
        free(pem);
        return false;
    }
    BIO *b = pem ? BIO_new_mem_buf(pem, (int)len) : NULL;
    EVP_PKEY *k;
    while (b && (k = PEM_read_bio_PUBKEY(b, NULL, NULL, NULL)) != NULL) {
        const char *seals = "0", *rows = "0";
        if (seal_key_id(k, id))
            for (int i = 0; i < PQntuples(r); i++)
                if (strcmp(PQgetvalue(r, i, 0), id) == 0)
                    seals = PQgetvalue(r, i, 1), rows = PQgetvalue(r, i, 2);
        printf("seal   %-31s %-10s seals=%s rows=%s\n", id,
               have_signer && strcmp(id, signer) == 0 ? "signs" : "verifies", seals, rows);
        EVP_PKEY_free(k);
    }
    ERR_clear_error();
    if (pem == NULL)
        printf("seal   unavailable: cannot read %s\n", cfg->seal_public_key_file);
    BIO_free(b);
    free(pem);
    PQclear(r);
    return true;
}

static bool status_jobs(PGconn *c)
{
    PGresult *r = NULL;
    if (!db_tool_exec(c, "crtctl",
                      "SELECT kind, target_key, pass, rows_done, coalesce(cursor_table, '-'), "
                      "CASE WHEN finished_at IS NULL THEN 'unfinished' ELSE 'finished' END, "
                      "to_char(coalesce(finished_at, updated_at), 'YYYY-MM-DD\"T\"HH24:MI:SSOF') "
                      "FROM key_jobs ORDER BY kind", 0, NULL, &r))
        return false;
    for (int i = 0; i < PQntuples(r); i++)
        printf("job    %-31s %-10s target=%s pass=%s rows_done=%s at=%s cursor=%s\n",
               PQgetvalue(r, i, 0), PQgetvalue(r, i, 5), PQgetvalue(r, i, 1), PQgetvalue(r, i, 2),
               PQgetvalue(r, i, 3), PQgetvalue(r, i, 6), PQgetvalue(r, i, 4));
    PQclear(r);
    return true;
}

static int cmd_status(const struct crt_config *cfg)
{
    static const char *const data_cols[] = {"totp_secrets", "national_numbers"};
    static const char *const index_cols[] = {"persons"};
    status_jwt(cfg);
    PGconn *c = ctl_connect(cfg);
    bool ok = c != NULL &&
              status_ring(c, "data", cfg->data_key_file,
                          "SELECT k, sum(t)::bigint, sum(n)::bigint FROM ("
                          "SELECT totp_key_id k, count(*) t, 0 n FROM staff_credentials "
                          "WHERE totp_sealed IS NOT NULL GROUP BY 1 UNION ALL "
                          "SELECT national_number_key_id, 0, count(*) FROM persons "
                          "WHERE national_number_sealed IS NOT NULL GROUP BY 1) x GROUP BY k ORDER BY k",
                          "seals", "opens", data_cols, 2) &&
              status_ring(c, "index", cfg->index_key_file,
                          "SELECT bidx_key_id, count(*) FROM persons WHERE name_bidx IS NOT NULL "
                          "OR national_number_bidx IS NOT NULL GROUP BY 1 ORDER BY 1",
                          "indexes", "previous", index_cols, 1) &&
              status_seal(c, cfg) && status_jobs(c);
    PQfinish(c);
    return ok ? 0 : 1;
}

/* ---- JWT signing key ---- */

static void next_path(const struct crt_config *cfg, char *out, size_t len)
{
    snprintf(out, len, "%s.next", cfg->jwt_private_key_file);
}

/* Step 1: a new key pair; the private key waits in <private>.next, the public key joins the
 * public key file, so every instance restarted from now on accepts both. */
static int jwt_prepare(const struct crt_config *cfg)
{
    char next[4096];
    next_path(cfg, next, sizeof next);
    EVP_PKEY *k = EVP_EC_gen("P-256");
    bool ok = k && write_private(next, k, true) && append_public(cfg->jwt_public_key_file, k);
    EVP_PKEY_free(k);
    if (ok)
        printf("new key in %s, its public key appended to %s.\nNext: restart every crt-api "
               "instance (one at a time), then crtctl keys rotate-jwt activate\n", next,
               cfg->jwt_public_key_file);
    return ok ? 0 : 1;
}

/* Step 2: the new key signs. Its file's time records when, for retire. */
static int jwt_activate(const struct crt_config *cfg)
{
    char next[4096], err[300];
    struct token_keys k;
    next_path(cfg, next, sizeof next);
    if (!token_keys_load(&k, next, cfg->jwt_public_key_file, "", "", err, sizeof err)) {
        fprintf(stderr, "crtctl: %s (run rotate-jwt prepare first)\n", err);
        return 1;
    }
    token_keys_free(&k);
    if (rename(next, cfg->jwt_private_key_file) != 0 ||
        utimensat(AT_FDCWD, cfg->jwt_private_key_file, NULL, 0) != 0) {
        fprintf(stderr, "crtctl: cannot move %s: %s\n", next, strerror(errno));
        return 1;
    }
    printf("the new key signs from the next restart of each crt-api instance (one at a time).\n"
           "Next, %d s after the last restart: crtctl keys rotate-jwt retire\n",
           (cfg->access_token_ttl_s > cfg->mfa_token_ttl_s ? cfg->access_token_ttl_s
                                                           : cfg->mfa_token_ttl_s) + TOKEN_CLOCK_SKEW);
    return 0;
}

/* Step 3: only the signing key's public key stays; tokens of the old key are refused from the
 * next restart. Refused while a token of the old key may still be alive, unless forced. */
static int jwt_retire(const struct crt_config *cfg, bool force)
{
    struct token_keys k;
    struct stat st;
    char err[300];
    size_t n = 0;
    int ttl = (cfg->access_token_ttl_s > cfg->mfa_token_ttl_s ? cfg->access_token_ttl_s
                                                              : cfg->mfa_token_ttl_s) + TOKEN_CLOCK_SKEW;
    if (stat(cfg->jwt_private_key_file, &st) != 0 ||
        !token_keys_load(&k, cfg->jwt_private_key_file, cfg->jwt_public_key_file, "", "", err,
                         sizeof err)) {
        fprintf(stderr, "crtctl: %s\n", stat(cfg->jwt_private_key_file, &st) ? strerror(errno) : err);
        return 1;
    }
    long age = (long)(time(NULL) - st.st_mtime);
    if (!force && age < ttl) {
        fprintf(stderr, "crtctl: the signing key was activated %ld s ago; tokens of the old key "
                        "may live %d s: retire in %ld s, or --force\n", age, ttl, ttl - age);
        token_keys_free(&k);
        return 1;
    }
    char *pem = pem_text(k.verify_key, false, &n);
    bool ok = pem && write_atomic(cfg->jwt_public_key_file, pem, n, 0644);
    if (ok)
        printf("%s now holds only the signing key (%s); restart the crt-api instances one at a "
               "time\n", cfg->jwt_public_key_file, k.kid);
    free(pem);
    token_keys_free(&k);
    return ok ? 0 : 1;
}

static int cmd_rotate_jwt(const struct crt_config *cfg, int argc, char **argv)
{
    bool force = argc == 2 && strcmp(argv[1], "--force") == 0;
    if (argc == 1 && strcmp(argv[0], "prepare") == 0)
        return jwt_prepare(cfg);
    if (argc == 1 && strcmp(argv[0], "activate") == 0)
        return jwt_activate(cfg);
    if ((argc == 1 || force) && strcmp(argv[0], "retire") == 0)
        return jwt_retire(cfg, force);
    fprintf(stderr, "usage: crtctl keys rotate-jwt prepare|activate|retire [--force]\n");
    return 2;
}

/* ---- seal key of crt-review ---- */

/* A new Ed25519 pair: the public key is appended first (old seals keep verifying, new ones
 * verify as soon as they exist), then the private key is replaced; crt-review reads it at the
 * start of each run, so nothing restarts. */
static int cmd_rotate_seal(const struct crt_config *cfg)
{
    char id[17];
    EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
    bool ok = k && seal_key_id(k, id) && append_public(cfg->seal_public_key_file, k) &&
              write_private(cfg->seal_key_file, k, false);
    EVP_PKEY_free(k);
    if (ok)
        printf("seal key %s: public key appended to %s, private key replaced in %s.\nNext: copy "
               "the public key file off the machine, then crt-review verify\n", id,
               cfg->seal_public_key_file, cfg->seal_key_file);
    return ok ? 0 : 1;
}

/* ---- dispatch ---- */

static bool job_opts(int argc, char **argv, struct keys_job_opts *o)
{
    *o = (struct keys_job_opts){.batch = 500, .max_batches = 0, .pause_ms = 0};
    for (int i = 0; i < argc; i += 2) {
        char *end = NULL;
        long v = i + 1 < argc ? strtol(argv[i + 1], &end, 10) : -1;
        if (end == NULL || *end || v < 0 || v > 1000000)
            return false;
        if (strcmp(argv[i], "--batch") == 0 && v >= 1)
            o->batch = (int)v;
        else if (strcmp(argv[i], "--max-batches") == 0)
            o->max_batches = (int)v;
        else if (strcmp(argv[i], "--pause-ms") == 0 && v <= 60000)
            o->pause_ms = (int)v;
        else
            return false;
    }
    return true;
}

int keys_main(const struct crt_config *cfg, int argc, char **argv)
{
    struct keys_job_opts o;
    const char *sub = argc > 0 ? argv[0] : "";
    if (strcmp(sub, "status") == 0 && argc == 1)
        return cmd_status(cfg);
    if (strcmp(sub, "new-key") == 0 && argc == 3)
        return cmd_new_key(argv[1], argv[2]);
    if (strcmp(sub, "rotate-data") == 0 && job_opts(argc - 1, argv + 1, &o))
        return keys_rotate_data(cfg, &o);
    if (strcmp(sub, "rotate-blind") == 0 && job_opts(argc - 1, argv + 1, &o))
        return keys_rotate_blind(cfg, &o);
    if (strcmp(sub, "rotate-jwt") == 0 && argc >= 2)
        return cmd_rotate_jwt(cfg, argc - 1, argv + 1);
    if (strcmp(sub, "rotate-seal") == 0 && argc == 1)
        return cmd_rotate_seal(cfg);
    fprintf(stderr, "usage: crtctl keys status | new-key FILE ID | rotate-data|rotate-blind "
                    "[--batch N] [--max-batches N] [--pause-ms N] | rotate-jwt "
                    "prepare|activate|retire [--force] | rotate-seal\n");
    return 2;
}
