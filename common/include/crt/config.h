/* Configuration: one table of CRT_* environment variables (name, type, default, help) that
 * loads the settings, validates them and prints --help. */
#ifndef CRT_CONFIG_H
#define CRT_CONFIG_H
#include <stdbool.h>
#include <stdio.h>

#define CRT_MUST_CHECK __attribute__((warn_unused_result))

/* Which program reads a setting (a setting may belong to several). */
enum { CFG_API = 1u << 0, CFG_CTL = 1u << 1 };

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
    char *data_key_file;        /* CRT_DATA_KEY_FILE: keyring sealing TOTP secrets */
    char *index_key_file;       /* CRT_INDEX_KEY_FILE: HMAC key of the blind indexes */
    int scrypt_log2n;           /* CRT_SCRYPT_LOG2N */
    int hash_threads;           /* CRT_HASH_THREADS */
    int hash_queue;             /* CRT_HASH_QUEUE */
    int shutdown_grace_ms;    /* CRT_SHUTDOWN_GRACE_MS */
    int statement_timeout_ms; /* CRT_STATEMENT_TIMEOUT_MS */
    char *log_level;          /* CRT_LOG_LEVEL */
    char *migrations_dir;     /* CRT_MIGRATIONS_DIR */
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
