/* crt-api: parses options, loads the configuration, keys and the hashing pool, and runs the
 * server (server.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api.h"
#include "crt/log.h"
#include "crt/totp.h"

/* Loads what every worker shares; false after printing why (never key material). */
static bool load_shared(struct api_shared *s, const struct crt_config *cfg)
{
    char err[256];
    s->cfg = cfg;
    s->pw = password_default_params();
    s->pw.log2n = cfg->scrypt_log2n;
    if (!token_keys_load(&s->keys, cfg->jwt_private_key_file, cfg->jwt_public_key_file,
                         cfg->jwt_issuer, cfg->jwt_audience, err, sizeof err) ||
        !keyring_load(&s->keyring, cfg->data_key_file, err, sizeof err) ||
        !keyring_load(&s->index_key, cfg->index_key_file, err, sizeof err)) {
        fprintf(stderr, "crt-api: %s\n", err);
        return false;
    }
    if (!password_hash("no account has this password", s->pw, s->dummy_hash)) {
        fprintf(stderr, "crt-api: scrypt with CRT_SCRYPT_LOG2N=%d failed\n", cfg->scrypt_log2n);
        return false;
    }
    if (!tls_init(cfg, err, sizeof err)) {
        fprintf(stderr, "crt-api: %s\n", err);
        return false;
    }
    if (!totp_init() || !(s->hashing = offload_new(cfg->hash_threads, cfg->hash_queue))) {
        fprintf(stderr, "crt-api: cannot start the hashing threads\n");
        return false;
    }
    return true;
}

int main(int argc, char **argv)
{
    if (argc > 1 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        printf("usage: crt-api [--help]\n\nThe CRT HTTP/JSON API. Stops gracefully on SIGTERM.\n\n");
        config_print_help(stdout, CFG_API);
        return 0;
    }
    if (argc > 1) {
        fprintf(stderr, "crt-api: unknown argument %s (see --help)\n", argv[1]);
        return 2;
    }
    /* Dates ("not in the future") are days in Brussels, where the service's users are. */
    setenv("TZ", VALIDATE_LOCAL_TZ, 1);
    tzset();
    struct crt_config cfg;
    struct api_shared shared = {0};
    char err[256];
    int rc = 2;
    if (!config_load(&cfg, CFG_API, err, sizeof err)) {
        fprintf(stderr, "crt-api: %s\n", err);
        return 2;
    }
    log_set_level(cfg.log_level);
    if (load_shared(&shared, &cfg))
        rc = server_run(&shared); /* frees shared.hashing */
    else
        offload_free(shared.hashing);
    tls_free(); /* no-op after server_run */
    token_keys_free(&shared.keys);
    keyring_wipe(&shared.keyring);
    keyring_wipe(&shared.index_key);
    config_free(&cfg);
    return rc;
}
