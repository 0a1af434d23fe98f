/* TOTP with liboath (RFC 6238, SHA-1, 30 s, 6 digits, ±1 step, replay refused by step), the
 * otpauth:// enrolment URI, base32 secrets, and recovery codes with their stored hashes. */
#include "crt/totp.h"

#include <liboath/oath.h>
#include <openssl/crypto.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crt/crypto.h"

#define WINDOW 1 /* steps accepted either side of now */
#define RECOVERY_CHARS 12

static const char RECOVERY_ALPHABET[] = "abcdefghijklmnopqrstuvwxyz234567";

static pthread_once_t oath_once = PTHREAD_ONCE_INIT;
static int oath_init_rc = OATH_OK;

static void init_oath(void)
{
    oath_init_rc = oath_init();
}

bool totp_init(void)
{
    return pthread_once(&oath_once, init_oath) == 0 && oath_init_rc == OATH_OK;
}

bool totp_new_secret(unsigned char secret[TOTP_SECRET_BYTES])
{
    return crypto_random(secret, TOTP_SECRET_BYTES);
}

bool totp_base32(const unsigned char *secret, size_t len, char out[TOTP_BASE32_MAX])
{
    char *b32 = NULL;
    size_t b32len = 0;
    bool ok = len > 0 && totp_init() &&
              oath_base32_encode((const char *)secret, len, &b32, &b32len) == OATH_OK;
    while (ok && b32len > 0 && b32[b32len - 1] == '=')
        b32len--;
    ok = ok && b32len < TOTP_BASE32_MAX;
    if (ok) {
        memcpy(out, b32, b32len);
        out[b32len] = '\0';
    }
    if (b32) {
        OPENSSL_cleanse(b32, strlen(b32));
        free(b32);
    }
    return ok;
}

long totp_base32_decode(const char *b32, unsigned char *out, size_t outlen)
{
    char *bin = NULL;
    size_t binlen = 0;
    long rc = -1;
    if (totp_init() && oath_base32_decode(b32, strlen(b32), &bin, &binlen) == OATH_OK &&
        binlen <= outlen) {
        memcpy(out, bin, binlen);
        rc = (long)binlen;
    }
    if (bin) {
        OPENSSL_cleanse(bin, binlen);
        free(bin);
    }
    return rc;
}

static bool is_unreserved(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           c == '-' || c == '.' || c == '_' || c == '~';
}

/* Percent-encodes s (RFC 3986: all but unreserved characters) into out; false if too long. */
static bool uri_escape(const char *s, char *out, size_t outlen)
{
    size_t o = 0;
    for (; *s; s++) {
        if (o + 4 > outlen)
            return false;
        if (is_unreserved(*s))
            out[o++] = *s;
        else
            o += (size_t)snprintf(out + o, 4, "%%%02X", (unsigned char)*s);
    }
    out[o] = '\0';
    return true;
}

bool totp_uri(const char *username, const char *b32, char out[TOTP_URI_MAX])
{
    char user[TOTP_URI_MAX];
    if (*b32 == '\0' || strspn(b32, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567") != strlen(b32) ||
        *username == '\0' || !uri_escape(username, user, sizeof user))
        return false;
    int n = snprintf(out, TOTP_URI_MAX,
                     "otpauth://totp/CRT:%s?secret=%s&issuer=CRT&algorithm=SHA1&digits=%d"
                     "&period=%d",
                     user, b32, TOTP_DIGITS, TOTP_STEP);
    return n > 0 && n < TOTP_URI_MAX;
}

bool totp_code(const unsigned char *secret, size_t len, time_t t, unsigned digits, char *out)
{
    return totp_init() && oath_totp_generate((const char *)secret, len, t, TOTP_STEP, 0, digits,
                                             out) == OATH_OK;
}

/* liboath's comparison callback: 0 when the candidate equals the submitted code (handle),
 * compared in constant time; positive otherwise. */
static int code_cmp(void *handle, const char *candidate)
{
    const char *code = handle;
    if (strlen(candidate) != TOTP_DIGITS)
        return 1;
    return CRYPTO_memcmp(code, candidate, TOTP_DIGITS) == 0 ? 0 : 1;
}

static bool six_digits(const char *code)
{
    for (int i = 0; i < TOTP_DIGITS; i++)
        if (code[i] < '0' || code[i] > '9')
            return false;
    return code[TOTP_DIGITS] == '\0';
}

enum totp_result totp_check(const unsigned char *secret, size_t len, time_t now,
                            const char *code, int64_t last_step, int64_t *step)
{
    int pos = 0;
    uint64_t counter = 0;
    if (!six_digits(code))
        return TOTP_BAD_FORMAT;
    if (!totp_init())
        return TOTP_WRONG;
    /* validate3_callback reports the matched time-step counter itself (the plain _callback
     * variant only a position relative to now). */
    int rc = oath_totp_validate3_callback((const char *)secret, len, now, TOTP_STEP, 0,
                                          TOTP_DIGITS, WINDOW, &pos, &counter, code_cmp,
                                          (void *)code);
    if (rc < 0 || counter > INT64_MAX)
        return TOTP_WRONG;
    if ((int64_t)counter <= last_step)
        return TOTP_REPLAYED;
    *step = (int64_t)counter;
    return TOTP_OK;
}

bool recovery_code_new(char out[RECOVERY_CODE_LEN])
{
    unsigned char rnd[RECOVERY_CHARS];
    size_t o = 0;
    if (!crypto_random(rnd, sizeof rnd))
        return false;
    for (int i = 0; i < RECOVERY_CHARS; i++) {
        if (i == 4 || i == 8)
            out[o++] = '-';
        out[o++] = RECOVERY_ALPHABET[rnd[i] & 31]; /* 256 % 32 == 0: no bias */
    }
    out[o] = '\0';
    OPENSSL_cleanse(rnd, sizeof rnd);
    return true;
}

bool recovery_code_hash(const char *code, char out[65])
{
    char norm[RECOVERY_CHARS];
    size_t n = 0;
    bool ok = true;
    out[0] = '\0';
    for (; *code && ok; code++) {
        char c = *code >= 'A' && *code <= 'Z' ? (char)(*code + 32) : *code;
        if (c == '-' || c == ' ')
            continue;
        ok = n < RECOVERY_CHARS && c != '\0' && strchr(RECOVERY_ALPHABET, c) != NULL;
        if (ok)
            norm[n++] = c;
    }
    ok = ok && n == RECOVERY_CHARS;
    if (ok)
        crypto_sha256_hex(norm, RECOVERY_CHARS, out);
    OPENSSL_cleanse(norm, sizeof norm);
    return ok && out[0] != '\0';
}
