/* Password hashing: scrypt through OpenSSL's EVP_KDF with the parameters stored in the hash
 * string, strict parsing and constant-time verification, and the password policy. */
#include "crt/password.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "crt/crypto.h"

#define SALT_LEN 16
#define DK_LEN 32
#define SALT_B64_LEN 22 /* base64url of 16 bytes, unpadded */
#define DK_B64_LEN 43   /* base64url of 32 bytes, unpadded */
#define PREFIX "$scrypt$"

/* Accepted parameter ranges, for new hashes and for stored ones. */
#define LN_MIN 10
#define LN_MAX 22
#define R_MIN 1
#define R_MAX 32
#define P_MIN 1
#define P_MAX 16

/* scrypt's working memory, as OpenSSL checks it against maxmem_bytes: V is 128*r*(N+2) bytes
 * and B is 128*r*p bytes. */
#define MAXMEM_MARGIN (1u << 20)

struct password_params password_default_params(void)
{
    return (struct password_params){.log2n = 17, .r = 8, .p = 1};
}

static uint64_t scrypt_memory(struct password_params pp)
{
    uint64_t n = (uint64_t)1 << pp.log2n, r = (uint64_t)pp.r, p = (uint64_t)pp.p;
    return 128 * r * (n + 2) + 128 * r * p;
}

/* Parameters within the ranges, and within 1 GiB of memory: a corrupted or hostile stored hash
 * must not make a login allocate gigabytes (ln=22, r=32 would ask for 16 GiB). */
#define MEMORY_MAX ((uint64_t)1 << 30)
static bool params_ok(struct password_params pp)
{
    return pp.log2n >= LN_MIN && pp.log2n <= LN_MAX && pp.r >= R_MIN && pp.r <= R_MAX &&
           pp.p >= P_MIN && pp.p <= P_MAX && scrypt_memory(pp) <= MEMORY_MAX;
}

/* scrypt(password, salt) with pp into dk. Callers must have checked pp with params_ok: derive
 * itself allows OpenSSL whatever memory pp asks for. */
static bool derive(const char *password, const unsigned char salt[SALT_LEN],
                   struct password_params pp, unsigned char dk[DK_LEN])
{
    uint64_t n = (uint64_t)1 << pp.log2n;
    uint32_t r = (uint32_t)pp.r, p = (uint32_t)pp.p;
    /* OpenSSL 3.0's scrypt provider defaults maxmem_bytes to 1025 MiB (the older
     * EVP_PBE_scrypt API defaults to 32 MiB, which would refuse ln=17, r=8 at 128 MiB). We set
     * it to what these parameters need plus a margin instead of relying on either default:
     * the limit then follows the parameters stored with each hash and cannot silently differ
     * between OpenSSL versions or APIs. */
    uint64_t maxmem = scrypt_memory(pp) + MAXMEM_MARGIN;
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_PASSWORD, (void *)password,
                                          strlen(password)),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, (void *)salt, SALT_LEN),
        OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_SCRYPT_N, &n),
        OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_SCRYPT_R, &r),
        OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_SCRYPT_P, &p),
        OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_SCRYPT_MAXMEM, &maxmem),
        OSSL_PARAM_construct_end(),
    };
    EVP_KDF *kdf = EVP_KDF_fetch(NULL, "SCRYPT", NULL);
    EVP_KDF_CTX *ctx = kdf ? EVP_KDF_CTX_new(kdf) : NULL;
    bool ok = ctx != NULL && EVP_KDF_derive(ctx, dk, DK_LEN, params) == 1;
    EVP_KDF_CTX_free(ctx);
    EVP_KDF_free(kdf);
    return ok;
}

bool password_hash(const char *password, struct password_params params,
                   char out[PASSWORD_HASH_MAX])
{
    unsigned char salt[SALT_LEN], dk[DK_LEN];
    char salt_b64[SALT_B64_LEN + 1], dk_b64[DK_B64_LEN + 1];
    bool ok = params_ok(params) && crypto_random(salt, sizeof salt) &&
              derive(password, salt, params, dk) &&
              crypto_b64url_encode(salt, sizeof salt, salt_b64, sizeof salt_b64) == SALT_B64_LEN &&
              crypto_b64url_encode(dk, sizeof dk, dk_b64, sizeof dk_b64) == DK_B64_LEN;
    if (ok) {
        int n = snprintf(out, PASSWORD_HASH_MAX, PREFIX "ln=%d,r=%d,p=%d$%s$%s", params.log2n,
                         params.r, params.p, salt_b64, dk_b64);
        ok = n > 0 && n < PASSWORD_HASH_MAX;
    }
    if (!ok)
        out[0] = '\0';
    OPENSSL_cleanse(dk, sizeof dk);
    OPENSSL_cleanse(dk_b64, sizeof dk_b64);
    return ok;
}

/* Parses "<name>=<decimal>" followed by `sep` at *s: 1-2 digits, no leading zero, lo..hi. */
static bool parse_param(const char **s, const char *name, char sep, int lo, int hi, int *out)
{
    size_t nlen = strlen(name);
    const char *p = *s;
    int v = 0, digits = 0;
    if (strncmp(p, name, nlen) != 0 || p[nlen] != '=')
        return false;
    p += nlen + 1;
    if (*p == '0')
        return false;
    for (; *p >= '0' && *p <= '9' && digits < 3; p++, digits++)
        v = v * 10 + (*p - '0');
    if (digits == 0 || digits > 2 || *p != sep || v < lo || v > hi)
        return false;
    *s = p + 1;
    *out = v;
    return true;
}

/* Decodes exactly `chars` base64url characters ending at `sep` into exactly `bytes` bytes. */
static bool parse_b64(const char **s, size_t chars, char sep, unsigned char *out, size_t bytes)
{
    char buf[DK_B64_LEN + 1];
    const char *p = *s;
    if (chars >= sizeof buf || strnlen(p, chars) < chars || p[chars] != sep)
        return false;
    memcpy(buf, p, chars);
    buf[chars] = '\0';
    bool ok = crypto_b64url_decode(buf, out, bytes) == (long)bytes;
    *s = p + chars + 1;
    return ok;
}

/* "$scrypt$ln=L,r=R,p=P$<salt>$<dk>" and nothing else. */
static bool parse_stored(const char *s, struct password_params *pp, unsigned char salt[SALT_LEN],
                         unsigned char dk[DK_LEN])
{
    if (strnlen(s, PASSWORD_HASH_MAX) >= PASSWORD_HASH_MAX || strncmp(s, PREFIX, strlen(PREFIX)) != 0)
        return false;
    s += strlen(PREFIX);
    return parse_param(&s, "ln", ',', LN_MIN, LN_MAX, &pp->log2n) &&
           parse_param(&s, "r", ',', R_MIN, R_MAX, &pp->r) &&
           parse_param(&s, "p", '$', P_MIN, P_MAX, &pp->p) &&
           parse_b64(&s, SALT_B64_LEN, '$', salt, SALT_LEN) &&
           parse_b64(&s, DK_B64_LEN, '\0', dk, DK_LEN);
}

bool password_verify(const char *password, const char *stored, struct password_params want,
                     bool *needs_rehash)
{
    struct password_params have;
    unsigned char salt[SALT_LEN], dk[DK_LEN], got[DK_LEN];
    /* params_ok before derive: a stored hash within each range can still ask for 16 GiB
     * (ln=22, r=32); it is refused without deriving anything. */
    bool ok = parse_stored(stored, &have, salt, dk) && params_ok(have) &&
              derive(password, salt, have, got) && CRYPTO_memcmp(dk, got, DK_LEN) == 0;
    if (needs_rehash)
        *needs_rehash = ok && (have.log2n < want.log2n || have.r != want.r || have.p != want.p);
    OPENSSL_cleanse(dk, sizeof dk);
    OPENSSL_cleanse(got, sizeof got);
    return ok;
}

/* Length of the UTF-8 sequence led by c, or 0 when c cannot lead one. */
static int utf8_lead(unsigned char c)
{
    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF)
        return 2;
    if (c >= 0xE0 && c <= 0xEF)
        return 3;
    if (c >= 0xF0 && c <= 0xF4)
        return 4;
    return 0;
}

/* Decodes one well-formed UTF-8 code point at s into *cp; returns its byte length or 0. */
static int utf8_next(const unsigned char *s, unsigned long *cp)
{
    static const unsigned long min[] = {0, 0, 0x80, 0x800, 0x10000};
    int len = utf8_lead(s[0]);
    unsigned long v = len == 1 ? s[0] : s[0] & (0x7Fu >> len);
    for (int i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        v = v << 6 | (s[i] & 0x3Fu);
    }
    if (len == 0 || v < min[len] || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
        return 0;
    *cp = v;
    return len;
}

static bool ascii_equal_nocase(const char *a, const char *b)
{
    for (; *a && *b; a++, b++) {
        char x = *a >= 'A' && *a <= 'Z' ? (char)(*a + 32) : *a;
        char y = *b >= 'A' && *b <= 'Z' ? (char)(*b + 32) : *b;
        if (x != y)
            return false;
    }
    return *a == *b;
}

const char *password_policy(const char *password, const char *username)
{
    size_t chars = 0;
    if (strnlen(password, PASSWORD_MAX_LENGTH + 1) > PASSWORD_MAX_LENGTH)
        return "must be at most 256 bytes";
    for (const unsigned char *p = (const unsigned char *)password; *p; chars++) {
        unsigned long cp;
        int len = utf8_next(p, &cp);
        if (len == 0)
            return "must be valid UTF-8";
        if (cp < 0x20 || (cp >= 0x7F && cp <= 0x9F))
            return "must not contain control characters";
        p += len;
    }
    if (chars < PASSWORD_MIN_LENGTH)
        return "must be at least 12 characters";
    if (username && ascii_equal_nocase(password, username))
        return "must not be the username";
    return NULL;
}
