/* Password hashing with scrypt through OpenSSL's EVP_KDF: N=2^17, r=8, p=1, 16-byte random salt
 * (OWASP / ASVS 5), parameters stored with the hash so they can be raised later. */
#ifndef CRT_PASSWORD_H
#define CRT_PASSWORD_H
#include <stdbool.h>
#include <stddef.h>

#include "crt/config.h"

/* "$scrypt$ln=17,r=8,p=1$<salt b64url>$<32-byte hash b64url>" fits easily. */
#define PASSWORD_HASH_MAX 160
#define PASSWORD_MIN_LENGTH 12
#define PASSWORD_MAX_LENGTH 256

struct password_params {
    int log2n; /* N = 2^log2n; 17 in production; tests may use less, never below 10 */
    int r, p;
};

/* The production parameters (ln=17, r=8, p=1). */
struct password_params password_default_params(void);

/* Hashes password with params into out. Costs ~128 MiB and ~0.5 s at ln=17: never call it on
 * an event-loop thread. OpenSSL's maxmem_bytes is set to fit the parameters. */
bool password_hash(const char *password, struct password_params params,
                   char out[PASSWORD_HASH_MAX]) CRT_MUST_CHECK;

/* Verifies password against a stored hash, comparing in constant time. *needs_rehash is set
 * when the stored parameters are weaker than want (upgrade at this successful login).
 * A malformed stored hash verifies as false. */
bool password_verify(const char *password, const char *stored, struct password_params want,
                     bool *needs_rehash);

/* Policy: NULL when acceptable, else a sentence saying why not (at least 12 characters, at most
 * 256 bytes, not equal to the username (case-insensitive), no control characters). */
const char *password_policy(const char *password, const char *username);

#endif
