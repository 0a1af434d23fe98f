/* Access tokens: ES256 JWTs (JWS compact form) signed and verified with OpenSSL directly, so
 * that exactly one encoding of one token is accepted: the one header, canonical base64url
 * without padding, a low-S signature, and every claim checked with its JSON type. */
#ifndef CRT_TOKEN_H
#define CRT_TOKEN_H
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "crt/config.h"

#define TOKEN_MAX_LENGTH 2048 /* longer bearer tokens are refused before decoding */
#define TOKEN_CLOCK_SKEW 30   /* seconds of leeway for iat/nbf/exp */

struct token_keys {
    unsigned char *priv; /* PEM, NUL-terminated; NULL for verify-only */
    unsigned char *pub;  /* PEM, NUL-terminated */
    int priv_len, pub_len;
    char issuer[64], audience[64];
    void *sign_key, *verify_key; /* the parsed keys (EVP_PKEY *; sign_key NULL for verify-only) */
    char kid[44]; /* RFC 7638 thumbprint of the public key: the one "kid" a header may carry */
};

struct token_claims {
    char sub[37];  /* staff user id, or partner id when role is "partner" */
    int ctl;       /* controller id; 0 for a partner */
    char role[16];
    char sid[37];  /* session id */
    long iat, nbf, exp;
    long sv;       /* partner tokens: the version of the client secret (>= 1); 0 for staff */
};

/* Reads the PEM files (the private key file must not be readable by group or others; it may
 * be NULL for a verifier): both must hold the same P-256 key. Owned by keys until
 * token_keys_free. */
bool token_keys_load(struct token_keys *keys, const char *priv_path, const char *pub_path,
                     const char *issuer, const char *audience, char *err, size_t errlen) CRT_MUST_CHECK;
void token_keys_free(struct token_keys *keys);

/* Signs claims (iss, aud and amr are added: ["pwd","otp"] for staff, ["client"] for the role
 * "partner", whose ctl is 0 and which also carries sv) as an ES256 JWT. Returns a malloc'ed
 * string the caller frees, or NULL. */
char *token_issue(const struct token_keys *keys, const struct token_claims *c);
/* Signs payload (the claims as JSON text, taken as given) under the one header
 * {"alg":"ES256","typ":"JWT"} with a low-S signature. For token_issue, and for tests that need
 * a token with claims token_issue would not write. Malloc'ed, or NULL. */
char *token_sign(const struct token_keys *keys, const char *payload);

enum token_result {
    TOKEN_OK,
    TOKEN_MALFORMED,   /* too long, not a JWT, not canonical base64url, bad or high-S
                          signature, a header other than {"alg":"ES256","typ":"JWT"[,"kid"]} */
    TOKEN_BAD_CLAIMS,  /* a claim missing, of the wrong type or value (iss, aud, amr, …) */
    TOKEN_EXPIRED,     /* exp in the past */
    TOKEN_NOT_YET,     /* nbf or iat in the future */
};
/* Verifies token at time now; on TOKEN_OK fills *c. Thread-safe. */
enum token_result token_verify(const struct token_keys *keys, const char *token, time_t now,
                               struct token_claims *c);

#endif
