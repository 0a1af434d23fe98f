/* Configuration: one table of CRT_* environment variables (name, type, default, help) that
 * loads the settings, validates them and prints --help. */
#ifndef CRT_CONFIG_H
#define CRT_CONFIG_H
#include <stdbool.h>
#include <stdio.h>

#define CRT_MUST_CHECK __attribute__((warn_unused_result))

/* Which program reads a setting (a setting may belong to several). */
enum { CFG_API = 1u << 0, CFG_CTL = 1u << 1, CFG_REVIEW = 1u << 2 };

struct crt_config {
    char *database_url;       /* CRT_DATABASE_URL: libpq conninfo of the API role */
    char *owner_database_url; /* CRT_OWNER_DATABASE_URL: owner role, for migrations */
    char *listen;             /* CRT_LISTEN: host:port */
    int threads;              /* CRT_THREADS */
    int max_body_bytes;       /* CRT_MAX_BODY_BYTES */
    int max_header_bytes;     /* CRT_MAX_HEADER_BYTES */
    char *jwt_private_key_file; /* CRT_JWT_PRIVATE_KEY_FILE: ES256 signing key (PEM) */
    char *jwt_public_key_file;  /* CRT_JWT_PUBLIC_KEY_FILE */
    char *jwt_issuer;           /* CRT_JWT_ISSUER */
    char *jwt_audience;         /* CRT_JWT_AUDIENCE */
    int access_token_ttl_s;     /* CRT_ACCESS_TOKEN_TTL_S */
    int mfa_token_ttl_s;        /* CRT_MFA_TOKEN_TTL_S */
    int enrol_link_ttl_s;       /* CRT_ENROL_LINK_TTL_S */
    char *data_key_file;        /* CRT_DATA_KEY_FILE: keyring sealing TOTP secrets */
    char *index_key_file;       /* CRT_INDEX_KEY_FILE: HMAC key of the blind indexes */
    int scrypt_log2n;           /* CRT_SCRYPT_LOG2N */
    int hash_threads;           /* CRT_HASH_THREADS */
    int hash_queue;             /* CRT_HASH_QUEUE */
    int partner_auth_window_s;         /* CRT_PARTNER_AUTH_WINDOW_S */
    int partner_auth_client_failures;  /* CRT_PARTNER_AUTH_CLIENT_FAILURES */
    int partner_auth_address_failures; /* CRT_PARTNER_AUTH_ADDRESS_FAILURES */
    int shutdown_grace_ms;    /* CRT_SHUTDOWN_GRACE_MS */
    int header_timeout_ms;    /* CRT_HEADER_TIMEOUT_MS */
    int body_min_rate;        /* CRT_BODY_MIN_RATE: bytes per second */
    int idle_timeout_ms;      /* CRT_IDLE_TIMEOUT_MS */
    int statement_timeout_ms; /* CRT_STATEMENT_TIMEOUT_MS */
    int batch_max;            /* CRT_BATCH_MAX: reads per group-committed transaction */
    int batch_hold_us;        /* CRT_BATCH_HOLD_US: wait for the last flight's clients, 0 never */
    char *log_level;          /* CRT_LOG_LEVEL */
    char *migrations_dir;     /* CRT_MIGRATIONS_DIR */
    char *erasure_ledger_file; /* CRT_ERASURE_LEDGER_FILE: erased person ids, outside the DB */
    char *web_root;           /* CRT_WEB_ROOT: static files under /, "" none */
    int web_idle_timeout_s;   /* CRT_WEB_IDLE_TIMEOUT_S */
    int web_session_max_s;    /* CRT_WEB_SESSION_MAX_S */
    int login_throttle_window_s; /* CRT_LOGIN_THROTTLE_WINDOW_S */
    int login_throttle_account;  /* CRT_LOGIN_THROTTLE_ACCOUNT */
    int login_throttle_address;  /* CRT_LOGIN_THROTTLE_ADDRESS */
    char *public_origin;      /* CRT_PUBLIC_ORIGIN: "" = from Host */
    char *tls_cert_file;      /* CRT_TLS_CERT_FILE */
    char *tls_key_file;       /* CRT_TLS_KEY_FILE */
    char *plain_http;         /* CRT_PLAIN_HTTP: "behind-tls-proxy" or "" */
    int seal_max_age_s;       /* CRT_SEAL_MAX_AGE_S */
    /* crt-review */
    char *review_database_url;   /* CRT_REVIEW_DATABASE_URL: the crt_review role */
    char *seal_key_file;         /* CRT_REVIEW_SEAL_KEY_FILE: Ed25519 private key (PEM) */
    char *seal_public_key_file;  /* CRT_REVIEW_SEAL_PUBLIC_KEY_FILE: public key(s) (PEM) */
    char *seal_head_file;        /* CRT_REVIEW_SEAL_HEAD_FILE: newest seal, outside the DB */
    char *report_dir;            /* CRT_REVIEW_REPORT_DIR */
    char *metrics_dir;           /* CRT_REVIEW_METRICS_DIR: textfile-collector folder, "" none */
    int seal_tolerance_s;        /* CRT_REVIEW_SEAL_TOLERANCE_S */
    int repeat_days;             /* CRT_REVIEW_REPEAT_DAYS */
    int break_glass_repeat;      /* CRT_REVIEW_BREAK_GLASS_REPEAT */
    int break_glass_days;        /* CRT_REVIEW_BREAK_GLASS_DAYS */
    int denied_burst;            /* CRT_REVIEW_DENIED_BURST */
    int denied_burst_minutes;    /* CRT_REVIEW_DENIED_BURST_MINUTES */
    int volume_min;              /* CRT_REVIEW_VOLUME_MIN */
    int volume_factor;           /* CRT_REVIEW_VOLUME_FACTOR */
    int volume_mad_k;            /* CRT_REVIEW_VOLUME_MAD_K */
    int volume_peers;            /* CRT_REVIEW_VOLUME_PEERS */
    int sessions_max;            /* CRT_REVIEW_SESSIONS_MAX */
    int dormant_days;            /* CRT_REVIEW_DORMANT_DAYS */
    int off_hours_min;           /* CRT_REVIEW_OFF_HOURS_MIN */
    int enum_searches;           /* CRT_REVIEW_ENUM_SEARCHES */
    int enum_results;            /* CRT_REVIEW_ENUM_RESULTS */
    int search_open_minutes;     /* CRT_REVIEW_SEARCH_OPEN_MINUTES */
    int export_repeat;           /* CRT_REVIEW_EXPORT_REPEAT */
    int partner_bulk;            /* CRT_REVIEW_PARTNER_BULK */
    int stats_threshold;         /* CRT_STATS_THRESHOLD */
};

/* Fills cfg from the environment (defaults for unset variables) for the settings of `who`.
 * On error returns false and writes one line naming the variable into err.
 * The strings in cfg are owned by cfg; release them with config_free. */
bool config_load(struct crt_config *cfg, unsigned who, char *err, size_t errlen) CRT_MUST_CHECK;
void config_free(struct crt_config *cfg);
/* Prints the settings of `who`, with type, default and help, as --help shows them. */
void config_print_help(FILE *out, unsigned who);
/* The number of settings in the table for `who` and the name of the i-th (for tests/docs). */
size_t config_count(unsigned who);
const char *config_name(unsigned who, size_t i);

#endif
