/* The sensitive group's cryptography: the national register number sealed under the keyring
 * (sealing, opening) and the blind indexes (HMAC) of name + birth date and of the number. */
#include <stdio.h>
#include <string.h>

#include "api.h"
#include "crt/log.h"
#include "crt/person.h"

/* The index under key number which of the index ring (0: the one written). */
static bool blind_index(struct http_ctx *ctx, int which, const char *text, char out[65])
{
    const struct keyring *k = &ctx_worker(ctx)->shared->index_key;
    return which < k->n &&
           crypto_hmac_hex(k->key[which], sizeof k->key[which], text, strlen(text), out);
}

bool api_name_index_with(struct http_ctx *ctx, int which, const char *first, const char *last,
                         const char *birth, char out[65])
{
    char key[1024];
    return person_name_key(first, last, birth, key, sizeof key) &&
           blind_index(ctx, which, key, out);
}

bool api_nn_index_with(struct http_ctx *ctx, int which, const char *digits, char out[65])
{
    char key[32];
    snprintf(key, sizeof key, "nn:%s", digits);
    return blind_index(ctx, which, key, out);
}

bool api_name_index(struct http_ctx *ctx, const char *first, const char *last, const char *birth,
                    char out[65])
{
    return api_name_index_with(ctx, 0, first, last, birth, out);
}

bool api_nn_index(struct http_ctx *ctx, const char *digits, char out[65])
{
    return api_nn_index_with(ctx, 0, digits, out);
}

const char *api_index_key_id(struct http_ctx *ctx)
{
    return ctx_worker(ctx)->shared->index_key.id[0];
}

bool api_index_rotating(struct http_ctx *ctx)
{
    return ctx_worker(ctx)->shared->index_key.n > 1;
}

json_t *api_national_number(struct http_ctx *ctx, const PGresult *r, int col0)
{
    int col = col0 + PERSON_META_COLS + PERSON_NFIELDS;
    const char *hex = PQgetvalue(r, 0, col);
    unsigned char sealed[11 + CRYPTO_SEAL_OVERHEAD], plain[12] = {0};
    if (PQgetisnull(r, 0, col) || strlen(hex) != 2 * sizeof sealed)
        return json_null();
    for (size_t i = 0; i < sizeof sealed; i++) {
        unsigned v;
        if (sscanf(hex + 2 * i, "%2x", &v) != 1)
            return json_null();
        sealed[i] = (unsigned char)v;
    }
    if (!crypto_open(&ctx_worker(ctx)->shared->keyring, PQgetvalue(r, 0, col + 1), sealed,
                     sizeof sealed, PQgetvalue(r, 0, col0), plain)) {
        log_error("request_id=%s: a national number cannot be opened (key id %s)",
                  ctx->request_id, PQgetvalue(r, 0, col + 1));
        return json_null();
    }
    return json_stringn((const char *)plain, 11);
}

bool api_nn_seal(struct http_ctx *ctx, const char *person_id, const char *digits,
                 char hex[API_NN_SEALED_HEX], char key_id[CRYPTO_KEY_ID_MAX])
{
    unsigned char sealed[11 + CRYPTO_SEAL_OVERHEAD];
    if (!crypto_seal(&ctx_worker(ctx)->shared->keyring, (const unsigned char *)digits, 11,
                     person_id, sealed, key_id))
        return false;
    for (size_t i = 0; i < sizeof sealed; i++)
        snprintf(hex + 2 * i, 3, "%02x", sealed[i]);
    return true;
}
