/* Access tokens: ES256 JWTs signed with libjwt, and their verification. libjwt 1.10 checks only
 * the signature (and will verify an HS256 token whose HMAC key is our public-key PEM), so
 * token_verify pins the algorithm and header and checks every claim and its JSON type. */
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
};

struct token_claims {
    char sub[37];  /* staff user id, or partner id when role is "partner" */
    int ctl;       /* controller id; 0 for a partner */
    char role[16];
    char sid[37];  /* session id */
    long iat, nbf, exp;
};

/* Reads the PEM files (the private key file must not be readable by group or others; it may
 * be NULL for a verifier). Owned by keys until token_keys_free. */
bool token_keys_load(struct token_keys *keys, const char *priv_path, const char *pub_path,
                     const char *issuer, const char *audience, char *err, size_t errlen) CRT_MUST_CHECK;
void token_keys_free(struct token_keys *keys);

/* Signs claims (iss, aud and amr are added: ["pwd","otp"] for staff, ["client"] for the role
 * "partner", whose ctl is 0) as an ES256 JWT. Returns a malloc'ed string the caller frees, or
 * NULL. */
char *token_issue(const struct token_keys *keys, const struct token_claims *c);

enum token_result {
    TOKEN_OK,
    TOKEN_MALFORMED,   /* too long, not a JWT, bad signature, wrong algorithm or header */
    TOKEN_BAD_CLAIMS,  /* a claim missing, of the wrong type or value (iss, aud, amr, …) */
    TOKEN_EXPIRED,     /* exp in the past */
    TOKEN_NOT_YET,     /* nbf or iat in the future */
};
/* Verifies token at time now; on TOKEN_OK fills *c. Thread-safe. */
enum token_result token_verify(const struct token_keys *keys, const char *token, time_t now,
                               struct token_claims *c);

#endif
