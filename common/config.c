/* Configuration: the table of CRT_* settings, their loading and validation, and --help.
 * Adding a setting means adding one row here; help and docs/configuration.md follow it. */
#include "crt/config.h"

#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum cfg_type { CFG_STR, CFG_INT };

struct cfg_entry {
    const char *name;
    enum cfg_type type;
    const char *def; /* NULL for an integer means "computed" (see defaults below) */
    size_t offset;
    int min, max;
    unsigned who;
    const char *help;
};

#define OFF(f) offsetof(struct crt_config, f)
static const struct cfg_entry entries[] = {
    {"CRT_DATABASE_URL", CFG_STR, "dbname=crt user=crt_api", OFF(database_url), 0, 0, CFG_API,
     "libpq connection string of the API role (owns nothing, cannot bypass RLS)"},
    {"CRT_OWNER_DATABASE_URL", CFG_STR, "dbname=crt user=crt_owner", OFF(owner_database_url), 0,
     0, CFG_CTL, "libpq connection string of the schema owner, used by migrate and seeding"},
    {"CRT_LISTEN", CFG_STR, "127.0.0.1:8080", OFF(listen), 0, 0, CFG_API,
     "address and port crt-api listens on (IPv4 host:port)"},
    {"CRT_THREADS", CFG_INT, NULL, OFF(threads), 1, 256, CFG_API,
     "worker threads, each with its own event loop and two database connections (default: one per "
     "core, at least 2)"},
    {"CRT_MAX_BODY_BYTES", CFG_INT, "65536", OFF(max_body_bytes), 1024, 16777216, CFG_API,
     "largest request body accepted; larger gets 413"},
    {"CRT_MAX_HEADER_BYTES", CFG_INT, "16384", OFF(max_header_bytes), 1024, 1048576, CFG_API,
     "largest request line plus headers accepted"},
    {"CRT_JWT_PRIVATE_KEY_FILE", CFG_STR, "/etc/crt/jwt-private.pem", OFF(jwt_private_key_file),
     0, 0, CFG_API | CFG_CTL, "PEM file of the ES256 (P-256) key that signs access tokens (mode 600)"},
    {"CRT_JWT_PUBLIC_KEY_FILE", CFG_STR, "/etc/crt/jwt-public.pem", OFF(jwt_public_key_file), 0,
     0, CFG_API | CFG_CTL,
     "PEM file of the public key(s) that verify tokens: the signing key's, plus the other key "
     "during a rotation (up to 8 PEM blocks)"},
    {"CRT_JWT_ISSUER", CFG_STR, "crt", OFF(jwt_issuer), 0, 0, CFG_API,
     "iss claim written into and required of access tokens"},
    {"CRT_JWT_AUDIENCE", CFG_STR, "crt-api", OFF(jwt_audience), 0, 0, CFG_API,
     "aud claim written into and required of access tokens"},
    {"CRT_ACCESS_TOKEN_TTL_S", CFG_INT, "900", OFF(access_token_ttl_s), 60, 3600,
     CFG_API | CFG_CTL,
     "lifetime of an access token and its session, in seconds"},
    {"CRT_MFA_TOKEN_TTL_S", CFG_INT, "300", OFF(mfa_token_ttl_s), 30, 1800,
     CFG_API | CFG_CTL,
     "lifetime of the MFA and enrolment tokens login hands out, in seconds"},
    {"CRT_ENROL_LINK_TTL_S", CFG_INT, "259200", OFF(enrol_link_ttl_s), 2, 1209600, CFG_API,
     "lifetime of the one-time enrolment link an administrator hands a new user, in seconds"},
    {"CRT_DATA_KEY_FILE", CFG_STR, "/etc/crt/data.key", OFF(data_key_file), 0, 0,
     CFG_API | CFG_CTL, "keyring sealing TOTP secrets: lines '<key id> <64 hex digits>', first seals (mode 600)"},
    {"CRT_INDEX_KEY_FILE", CFG_STR, "/etc/crt/index.key", OFF(index_key_file), 0, 0,
     CFG_API | CFG_CTL,
     "HMAC keys of the blind indexes (national number, name + birth date): lines "
     "'<id> <64 hex digits>' (mode 600); the first indexes, a second is the previous key while "
     "crtctl keys rotate-blind runs"},
    {"CRT_SCRYPT_LOG2N", CFG_INT, "17", OFF(scrypt_log2n), 10, 22, CFG_API | CFG_CTL,
     "scrypt cost for new password hashes, N = 2^value (17 = OWASP; lower only for tests)"},
    {"CRT_HASH_THREADS", CFG_INT, "2", OFF(hash_threads), 1, 64, CFG_API,
     "threads hashing passwords (each needs ~128 MiB at the default cost)"},
    {"CRT_HASH_QUEUE", CFG_INT, "16", OFF(hash_queue), 1, 10000, CFG_API,
     "password checks allowed to wait for a hashing thread; beyond it logins get 503"},
    {"CRT_PARTNER_AUTH_WINDOW_S", CFG_INT, "300", OFF(partner_auth_window_s), 10, 86400, CFG_API,
     "failed partner authentications (POST /v1/oauth/token) count for this many seconds"},
    {"CRT_PARTNER_AUTH_CLIENT_FAILURES", CFG_INT, "5", OFF(partner_auth_client_failures), 1, 10000,
     CFG_API, "failures of one client id within the window before it gets 429 until they age out"},
    {"CRT_PARTNER_AUTH_ADDRESS_FAILURES", CFG_INT, "20", OFF(partner_auth_address_failures), 1,
     100000, CFG_API, "failures from one source address within the window before it gets 429"},
    {"CRT_SHUTDOWN_GRACE_MS", CFG_INT, "10000", OFF(shutdown_grace_ms), 0, 600000, CFG_API,
     "on SIGTERM, how long received requests may take to finish; queued logins not started by "
     "then get 503"},
    {"CRT_HEADER_TIMEOUT_MS", CFG_INT, "10000", OFF(header_timeout_ms), 100, 600000, CFG_API,
     "a request line and its headers must arrive within this long of their first byte (of the "
     "connection, for its first request), however steadily they trickle"},
    {"CRT_BODY_MIN_RATE", CFG_INT, "1024", OFF(body_min_rate), 1, 104857600, CFG_API,
     "a request body must arrive at this many bytes per second or faster (after one second of "
     "allowance), else the connection is closed"},
    {"CRT_IDLE_TIMEOUT_MS", CFG_INT, "30000", OFF(idle_timeout_ms), 100, 3600000, CFG_API,
     "an idle keep-alive connection is closed after this long; also how long a client may stall "
     "reading a response"},
    {"CRT_STATEMENT_TIMEOUT_MS", CFG_INT, "5000", OFF(statement_timeout_ms), 0, 600000,
     CFG_API, "PostgreSQL statement_timeout for API queries (0: the role's own, 20 s)"},
    {"CRT_BATCH_MAX", CFG_INT, "32", OFF(batch_max), 1, 60, CFG_API,
     "most requests whose reads share one transaction (group commit) on a worker's read connection"},
    {"CRT_BATCH_HOLD_US", CFG_INT, "400", OFF(batch_hold_us), 0, 100000, CFG_API,
     "when fewer requests wait than the last flight held, the next flight waits at most this many "
     "microseconds for the rest (0: never waits)"},
    {"CRT_LOG_LEVEL", CFG_STR, "info", OFF(log_level), 0, 0, CFG_API | CFG_CTL | CFG_REVIEW,
     "error, warn, info or debug"},
    /* the web application, browser sessions, TLS (docs/web-sessions.md) */
    {"CRT_WEB_ROOT", CFG_STR, CRT_WEB_ROOT_DEFAULT, OFF(web_root), 0, 0, CFG_API,
     "folder of the web application served under / (set to an empty value to serve none)"},
    {"CRT_WEB_IDLE_TIMEOUT_S", CFG_INT, "1800", OFF(web_idle_timeout_s), 1, 86400, CFG_API,
     "a browser session ends after this many seconds without a request"},
    {"CRT_WEB_SESSION_MAX_S", CFG_INT, "36000", OFF(web_session_max_s), 1, 604800, CFG_API,
     "a browser session ends this many seconds after its login, active or not"},
    {"CRT_LOGIN_THROTTLE_WINDOW_S", CFG_INT, "900", OFF(login_throttle_window_s), 1, 86400,
     CFG_API, "window over which failed logins are counted for throttling"},
    {"CRT_LOGIN_THROTTLE_ACCOUNT", CFG_INT, "10", OFF(login_throttle_account), 1, 100000,
     CFG_API, "failed logins of one username within the window before 429"},
    {"CRT_LOGIN_THROTTLE_ADDRESS", CFG_INT, "50", OFF(login_throttle_address), 1, 1000000,
     CFG_API, "failed logins from one client address within the window before 429"},
    {"CRT_PUBLIC_ORIGIN", CFG_STR, "", OFF(public_origin), 0, 0, CFG_API,
     "the origin browsers use (https://crt.example.org); when empty, Origin must match Host"},
    {"CRT_TLS_CERT_FILE", CFG_STR, "", OFF(tls_cert_file), 0, 0, CFG_API,
     "PEM certificate chain crt-api serves HTTPS with (reloaded on SIGHUP)"},
    {"CRT_TLS_KEY_FILE", CFG_STR, "", OFF(tls_key_file), 0, 0, CFG_API,
     "PEM private key of that certificate (mode 600 or stricter; reloaded on SIGHUP)"},
    {"CRT_PLAIN_HTTP", CFG_STR, "", OFF(plain_http), 0, 0, CFG_API,
     "behind-tls-proxy: serve plain HTTP because a TLS-terminating proxy is in front; "
     "without TLS files crt-api refuses to start otherwise"},
    {"CRT_SEAL_MAX_AGE_S", CFG_INT, "7200", OFF(seal_max_age_s), 60, 604800, CFG_API,
     "the DPO console's seal alarm: a log row left unsealed this long means crt-review stopped"},
    {"CRT_MIGRATIONS_DIR", CFG_STR, CRT_MIGRATIONS_DEFAULT, OFF(migrations_dir), 0, 0, CFG_CTL,
     "folder of NNN_name.sql migrations"},
    {"CRT_ERASURE_LEDGER_FILE", CFG_STR, "/var/lib/crt/erasure-ledger", OFF(erasure_ledger_file),
     0, 0, CFG_API | CFG_CTL,
     "append-only list of erased person ids, outside the database; an erasure is refused unless "
     "its line is durable here; a restore re-applies it (keep it beside the seal head)"},
    /* crt-review: the periodic access-log review, sealing and verification */
    {"CRT_REVIEW_DATABASE_URL", CFG_STR, "dbname=crt user=crt_review", OFF(review_database_url),
     0, 0, CFG_REVIEW, "libpq connection string of the review role (reads the log, writes findings)"},
    {"CRT_REVIEW_SEAL_KEY_FILE", CFG_STR, "/etc/crt/seal-private.pem", OFF(seal_key_file), 0, 0,
     CFG_REVIEW | CFG_CTL, "PEM file of the Ed25519 key that signs seals; the database never holds it (mode 600)"},
    {"CRT_REVIEW_SEAL_PUBLIC_KEY_FILE", CFG_STR, "/etc/crt/seal-public.pem",
     OFF(seal_public_key_file), 0, 0, CFG_REVIEW | CFG_CTL,
     "PEM file of the seal public key(s) verify checks against (several PEM blocks after a rotation)"},
    {"CRT_REVIEW_SEAL_HEAD_FILE", CFG_STR, "/var/lib/crt/seal-head.json", OFF(seal_head_file), 0,
     0, CFG_REVIEW, "the newest seal, written outside the database after every seal; ship it elsewhere"},
    {"CRT_REVIEW_METRICS_DIR", CFG_STR, "", OFF(metrics_dir), 0, 0, CFG_REVIEW,
     "folder of node_exporter's textfile collector: crt_review.prom after each run, "
     "crt_review_verify.prom after each verify (empty: none)"},
    {"CRT_REVIEW_REPORT_DIR", CFG_STR, "/var/lib/crt/reports", OFF(report_dir), 0, 0, CFG_REVIEW,
     "folder of the per-controller JSON and HTML reports"},
    {"CRT_REVIEW_SEAL_TOLERANCE_S", CFG_INT, "600", OFF(seal_tolerance_s), 1, 86400, CFG_REVIEW,
     "how far a row's time may precede rows sealed before it (longest API transaction) before verify calls it back-dated"},
    {"CRT_REVIEW_REPEAT_DAYS", CFG_INT, "14", OFF(repeat_days), 0, 365, CFG_REVIEW,
     "an access repeating an explained access of the same person within this many days is explained"},
    {"CRT_REVIEW_BREAK_GLASS_REPEAT", CFG_INT, "3", OFF(break_glass_repeat), 2, 1000, CFG_REVIEW,
     "BG-02: this many break-glass uses by one user ..."},
    {"CRT_REVIEW_BREAK_GLASS_DAYS", CFG_INT, "30", OFF(break_glass_days), 1, 365, CFG_REVIEW,
     "BG-02: ... within this many days"},
    {"CRT_REVIEW_DENIED_BURST", CFG_INT, "5", OFF(denied_burst), 2, 10000, CFG_REVIEW,
     "DN-02: this many denied attempts by one user or partner ..."},
    {"CRT_REVIEW_DENIED_BURST_MINUTES", CFG_INT, "10", OFF(denied_burst_minutes), 1, 1440,
     CFG_REVIEW, "DN-02: ... within this many minutes"},
    {"CRT_REVIEW_VOLUME_MIN", CFG_INT, "25", OFF(volume_min), 1, 100000, CFG_REVIEW,
     "VO-01: fewest distinct persons in one day before volume is considered"},
    {"CRT_REVIEW_VOLUME_FACTOR", CFG_INT, "3", OFF(volume_factor), 1, 1000, CFG_REVIEW,
     "VO-01: the day's count must exceed this many times the user's own median day"},
    {"CRT_REVIEW_VOLUME_MAD_K", CFG_INT, "5", OFF(volume_mad_k), 1, 1000, CFG_REVIEW,
     "VO-01: ... and the baseline's median + this many median absolute deviations"},
    {"CRT_REVIEW_VOLUME_PEERS", CFG_INT, "3", OFF(volume_peers), 1, 1000, CFG_REVIEW,
     "VO-01: fewest other users of the role that day for a peer baseline (else the controller's)"},
    {"CRT_REVIEW_SESSIONS_MAX", CFG_INT, "3", OFF(sessions_max), 1, 1000, CFG_REVIEW,
     "SH-01: more sessions of one account in use at once than this is a finding"},
    {"CRT_REVIEW_DORMANT_DAYS", CFG_INT, "60", OFF(dormant_days), 1, 3650, CFG_REVIEW,
     "AC-03: an account with no access for this many days is dormant"},
    {"CRT_REVIEW_OFF_HOURS_MIN", CFG_INT, "1", OFF(off_hours_min), 1, 10000, CFG_REVIEW,
     "OH-01: unexplained accesses outside working hours in one day before a finding"},
    {"CRT_REVIEW_ENUM_SEARCHES", CFG_INT, "30", OFF(enum_searches), 2, 100000, CFG_REVIEW,
     "SE-01: searches by one user in one hour that look like enumeration"},
    {"CRT_REVIEW_ENUM_RESULTS", CFG_INT, "150", OFF(enum_results), 2, 1000000, CFG_REVIEW,
     "SE-01: or distinct persons returned to one user's searches in one hour"},
    {"CRT_REVIEW_SEARCH_OPEN_MINUTES", CFG_INT, "30", OFF(search_open_minutes), 1, 1440,
     CFG_REVIEW, "SE-02: a name search followed within this many minutes by opening a result"},
    {"CRT_REVIEW_EXPORT_REPEAT", CFG_INT, "3", OFF(export_repeat), 1, 10000, CFG_REVIEW,
     "EX-01: exports by one user in one day (a single export is reported too when bulk)"},
    {"CRT_REVIEW_PARTNER_BULK", CFG_INT, "2000", OFF(partner_bulk), 1, 10000000, CFG_REVIEW,
     "EX-01: distinct persons one partner pulls in one day"},
    {"CRT_STATS_THRESHOLD", CFG_INT, "10", OFF(stats_threshold), 2, 1000, CFG_REVIEW,
     "statistics: a cell counting fewer persons than this is suppressed (crt-review stats)"},
};
#define N_ENTRIES (sizeof entries / sizeof entries[0])

/* One worker per core, at least two (a write blocks its worker's loop; the other keeps reading):
 * fewer workers make larger group-committed flights (docs/performance.md, D57). */
static int default_threads(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 2 && n < 256 ? (int)n : 2;
}

static bool parse_int(const char *s, int min, int max, int *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < min || v > max)
        return false;
    *out = (int)v;
    return true;
}

static bool load_entry(struct crt_config *cfg, const struct cfg_entry *e, char *err, size_t errlen)
{
    const char *v = getenv(e->name);
    char *base = (char *)cfg + e->offset;
    if (v == NULL || *v == '\0')
        v = e->def;
    switch (e->type) {
    case CFG_STR:
        *(char **)base = strdup(v ? v : "");
        return *(char **)base != NULL;
    case CFG_INT:
        if (v == NULL) {
            *(int *)base = default_threads();
            return true;
        }
        if (parse_int(v, e->min, e->max, (int *)base))
            return true;
        snprintf(err, errlen, "%s must be an integer from %d to %d", e->name, e->min, e->max);
        return false;
    }
    return false;
}

bool config_load(struct crt_config *cfg, unsigned who, char *err, size_t errlen)
{
    memset(cfg, 0, sizeof *cfg);
    for (size_t i = 0; i < N_ENTRIES; i++) {
        if (!(entries[i].who & who))
            continue;
        if (!load_entry(cfg, &entries[i], err, errlen)) {
            config_free(cfg);
            return false;
        }
    }
    const char *web = getenv("CRT_WEB_ROOT"); /* set but empty: serve no web application */
    if ((who & CFG_API) && web && web[0] == '\0' && cfg->web_root)
        cfg->web_root[0] = '\0';
    if (cfg->log_level && strcmp(cfg->log_level, "error") && strcmp(cfg->log_level, "warn") &&
        strcmp(cfg->log_level, "info") && strcmp(cfg->log_level, "debug")) {
        snprintf(err, errlen, "CRT_LOG_LEVEL must be error, warn, info or debug");
        config_free(cfg);
        return false;
    }
    return true;
}

void config_free(struct crt_config *cfg)
{
    for (size_t i = 0; i < N_ENTRIES; i++) {
        if (entries[i].type == CFG_STR) {
            char **p = (char **)((char *)cfg + entries[i].offset);
            free(*p);
            *p = NULL;
        }
    }
}

void config_print_help(FILE *out, unsigned who)
{
    fprintf(out, "Configuration (environment variables):\n");
    for (size_t i = 0; i < N_ENTRIES; i++) {
        const struct cfg_entry *e = &entries[i];
        if (!(e->who & who))
            continue;
        fprintf(out, "  %-26s %s\n  %-26s default: %s\n", e->name, e->help, "",
                e->def ? e->def : "2 x cores");
    }
}

size_t config_count(unsigned who)
{
    size_t n = 0;
    for (size_t i = 0; i < N_ENTRIES; i++)
        n += (entries[i].who & who) != 0;
    return n;
}

const char *config_name(unsigned who, size_t i)
{
    for (size_t k = 0; k < N_ENTRIES; k++)
        if ((entries[k].who & who) && i-- == 0)
            return entries[k].name;
    return NULL;
}
