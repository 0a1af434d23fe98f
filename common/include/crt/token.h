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
#define TOKEN_MAX_KEYS 8      /* public keys one file may hold (PEM blocks one after the other) */

struct token_keys {
    unsigned char *priv; /* PEM, NUL-terminated; NULL for verify-only */
    unsigned char *pub;  /* PEM, NUL-terminated */
    int priv_len, pub_len;
    char issuer[64], audience[64];
    void *sign_key, *verify_key; /* the parsed keys (EVP_PKEY *; sign_key NULL for verify-only);
                                    verify_key is the signing key's public key (the first public
                                    key for a verifier) */
    char kid[44]; /* RFC 7638 thumbprint of verify_key: the "kid" issued tokens carry */
    /* Every public key of the public key file (verify_key among them): during a rotation the
     * old and the new key both verify, each token naming its key by "kid". */
    int nkeys;
    void *keys[TOKEN_MAX_KEYS];
    char kids[TOKEN_MAX_KEYS][44];
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
 * be NULL for a verifier): the public key file holds 1 to TOKEN_MAX_KEYS P-256 public keys, one
 * of which must be the private key's. Owned by keys until
 * token_keys_free. */
bool token_keys_load(struct token_keys *keys, const char *priv_path, const char *pub_path,
                     const char *issuer, const char *audience, char *err, size_t errlen) CRT_MUST_CHECK;
void token_keys_free(struct token_keys *keys);

/* Signs claims (iss, aud and amr are added: ["pwd","otp"] for staff, ["client"] for the role
 * "partner", whose ctl is 0 and which also carries sv) as an ES256 JWT. Returns a malloc'ed
 * string the caller frees, or NULL. */
char *token_issue(const struct token_keys *keys, const struct token_claims *c);
/* Signs payload (the claims as JSON text, taken as given) under the header
 * {"alg":"ES256","typ":"JWT","kid":"<kid of the signing key>"} with a low-S signature. For token_issue, and for tests that need
 * a token with claims token_issue would not write. Malloc'ed, or NULL. */
char *token_sign(const struct token_keys *keys, const char *payload);

enum token_result {
    TOKEN_OK,
    TOKEN_MALFORMED,   /* too long, not a JWT, not canonical base64url, bad or high-S
                          signature, a header other than {"alg":"ES256","typ":"JWT"[,"kid"]},
                          a kid naming none of the public keys */
    TOKEN_BAD_CLAIMS,  /* a claim missing, of the wrong type or value (iss, aud, amr, …) */
    TOKEN_EXPIRED,     /* exp in the past */
    TOKEN_NOT_YET,     /* nbf or iat in the future */
};
/* Verifies token at time now; on TOKEN_OK fills *c. Thread-safe. */
enum token_result token_verify(const struct token_keys *keys, const char *token, time_t now,
                               struct token_claims *c);

#endif
