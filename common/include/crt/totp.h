/* TOTP (RFC 6238: HMAC-SHA-1, 30 s steps, 6 digits, current step ±1) with liboath: secrets,
 * the otpauth:// enrolment URI, and checking a code once (never at or before the last
 * accepted step). */
#ifndef CRT_TOTP_H
#define CRT_TOTP_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "crt/config.h"

#define TOTP_SECRET_BYTES 20 /* 160 bits, as RFC 4226 recommends */
#define TOTP_BASE32_MAX 40
#define TOTP_STEP 30
#define TOTP_DIGITS 6
#define TOTP_URI_MAX 256

/* Calls oath_init once per process (thread-safe). */
bool totp_init(void) CRT_MUST_CHECK;
/* A fresh random secret. */
bool totp_new_secret(unsigned char secret[TOTP_SECRET_BYTES]) CRT_MUST_CHECK;
/* Base32 (RFC 4648, no padding) of the secret, as authenticator apps and oathtool -b take it. */
bool totp_base32(const unsigned char *secret, size_t len, char out[TOTP_BASE32_MAX]) CRT_MUST_CHECK;
/* Decodes base32 (padding optional) into out; returns the byte count or -1. */
long totp_base32_decode(const char *b32, unsigned char *out, size_t outlen);
/* otpauth://totp/CRT:<user>?secret=<b32>&issuer=CRT&algorithm=SHA1&digits=6&period=30 */
bool totp_uri(const char *username, const char *b32, char out[TOTP_URI_MAX]) CRT_MUST_CHECK;

/* The code of `digits` digits for time t (for tests, and crtctl's display); out >= digits+1. */
bool totp_code(const unsigned char *secret, size_t len, time_t t, unsigned digits, char *out) CRT_MUST_CHECK;

enum totp_result { TOTP_OK, TOTP_BAD_FORMAT, TOTP_WRONG, TOTP_REPLAYED };
/* Checks a submitted code at time now: it must be exactly 6 ASCII digits and match the step of
 * now, now-30 s or now+30 s (compared in constant time, via oath_totp_validate3_callback,
 * which reports the matched step). A match at or before last_step (the last accepted step,
 * -1 for none) is TOTP_REPLAYED. On TOTP_OK *step is the matched step, to be stored as the new
 * last_step in the same transaction (callers present REPLAYED and WRONG alike to clients). */
enum totp_result totp_check(const unsigned char *secret, size_t len, time_t now,
                            const char *code, int64_t last_step, int64_t *step);

/* Recovery codes: "xxxx-xxxx-xxxx" of [a-z2-7] (60 bits), and their normalised SHA-256
 * (lower-case, without '-' or spaces) as stored. */
#define RECOVERY_CODE_LEN 15
bool recovery_code_new(char out[RECOVERY_CODE_LEN]) CRT_MUST_CHECK;
/* false when code cannot be a recovery code (wrong length or alphabet after normalising). */
bool recovery_code_hash(const char *code, char out[65]);

#endif
