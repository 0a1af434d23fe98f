/* Cryptographic helpers on OpenSSL 3: random bytes and tokens, SHA-256, base64url, and
 * AES-256-GCM sealing with a keyring read from a file (key id stored with each ciphertext). */
#ifndef CRT_CRYPTO_H
#define CRT_CRYPTO_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crt/config.h"

#define CRYPTO_KEY_ID_MAX 32
#define CRYPTO_MAX_KEYS 8
#define CRYPTO_SEAL_OVERHEAD (12 + 16) /* nonce + tag */

/* Keys for sealing data at rest. The file has one key per line, "<id> <64 hex digits>"
 * (id: 1..31 of [A-Za-z0-9._-]); '#' lines and blank lines are ignored; the FIRST key seals,
 * every key opens (rotation: put the new key first, keep the old ones until re-sealed). */
struct keyring {
    int n;
    char id[CRYPTO_MAX_KEYS][CRYPTO_KEY_ID_MAX];
    unsigned char key[CRYPTO_MAX_KEYS][32];
};

/* Loads path into kr. Refuses a file readable by group or others. On error returns false and
 * writes a reason (never key material) into err. */
bool keyring_load(struct keyring *kr, const char *path, char *err, size_t errlen) CRT_MUST_CHECK;
/* Overwrites the key material. */
void keyring_wipe(struct keyring *kr);

/* AES-256-GCM with the keyring's first key and a random 96-bit nonce. aad (may be NULL)
 * is authenticated, not stored: pass the same aad to crypto_open (e.g. the owning row's id).
 * out must hold len + CRYPTO_SEAL_OVERHEAD bytes: nonce || ciphertext || tag. key_id receives
 * the id of the key used. Returns false on failure. */
bool crypto_seal(const struct keyring *kr, const unsigned char *in, size_t len, const char *aad,
                 unsigned char *out, char key_id[CRYPTO_KEY_ID_MAX]) CRT_MUST_CHECK;
/* Opens what crypto_seal produced (sealed_len = len + CRYPTO_SEAL_OVERHEAD) with the key named
 * key_id; out receives sealed_len - CRYPTO_SEAL_OVERHEAD bytes. False when the key is unknown
 * or authentication fails (tampered data, wrong aad). */
bool crypto_open(const struct keyring *kr, const char *key_id, const unsigned char *sealed,
                 size_t sealed_len, const char *aad, unsigned char *out) CRT_MUST_CHECK;

/* Cryptographically secure random bytes (RAND_bytes); false on failure. */
bool crypto_random(void *buf, size_t len) CRT_MUST_CHECK;
/* A random token of nbytes of entropy as base64url without padding into out
 * (outlen >= 4 * nbytes / 3 + 2). */
bool crypto_token(size_t nbytes, char *out, size_t outlen) CRT_MUST_CHECK;
/* SHA-256 of data as 64 lower-case hex characters + NUL. */
void crypto_sha256_hex(const void *data, size_t len, char out[65]);
/* HMAC-SHA-256 of data under key as 64 lower-case hex characters (blind indexes). */
bool crypto_hmac_hex(const unsigned char *key, size_t keylen, const void *data, size_t len,
                     char out[65]) CRT_MUST_CHECK;
/* A random (version 4) UUID in canonical form. */
bool crypto_uuid(char out[37]) CRT_MUST_CHECK;
/* Constant-time equality of two buffers of length len. */
bool crypto_equal(const void *a, const void *b, size_t len);
/* base64url without padding; returns the length written (excluding NUL) or 0 when out is too
 * small. decode returns the number of bytes or -1 on invalid input / too small out. */
size_t crypto_b64url_encode(const unsigned char *in, size_t len, char *out, size_t outlen);
long crypto_b64url_decode(const char *in, unsigned char *out, size_t outlen);

#endif
