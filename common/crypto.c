/* Cryptographic helpers on OpenSSL 3: random bytes and tokens, SHA-256, base64url, constant-time
 * comparison, and AES-256-GCM sealing with a keyring loaded from a private file. */
#include "crt/crypto.h"

#include <errno.h>
#include <limits.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#define NONCE_LEN 12
#define TAG_LEN 16
#define KEY_HEX_LEN 64
#define KEYRING_LINE_MAX 1024

static const char B64URL[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* ---- keyring ---- */

static bool is_id_char(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           c == '.' || c == '_' || c == '-';
}

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Exactly KEY_HEX_LEN hex digits into 32 bytes. */
static bool parse_key_hex(const char *s, size_t len, unsigned char key[32])
{
    if (len != KEY_HEX_LEN)
        return false;
    for (size_t i = 0; i < 32; i++) {
        int hi = hex_value(s[2 * i]), lo = hex_value(s[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return false;
        key[i] = (unsigned char)(hi << 4 | lo);
    }
    return true;
}

static bool is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static int find_key(const struct keyring *kr, const char *id)
{
    for (int i = 0; i < kr->n; i++)
        if (strcmp(kr->id[i], id) == 0)
            return i;
    return -1;
}

/* One line (without comment/blank handling); adds its key to kr. Error text never quotes the
 * line, which may hold key material. */
static bool parse_key_line(struct keyring *kr, char *line, int lineno, char *err, size_t errlen)
{
    char *id = line, *hex, *end;
    size_t idlen = 0;
    while (is_id_char(id[idlen]))
        idlen++;
    if (idlen == 0 || idlen >= CRYPTO_KEY_ID_MAX || (id[idlen] != ' ' && id[idlen] != '\t')) {
        snprintf(err, errlen, "line %d: expected \"<id> <64 hex digits>\" with an id of 1 to 31 "
                              "of A-Z a-z 0-9 . _ -", lineno);
        return false;
    }
    for (hex = id + idlen; *hex == ' ' || *hex == '\t'; hex++)
        ;
    for (end = hex; *end && !is_blank(*end); end++)
        ;
    for (const char *t = end; *t; t++)
        if (!is_blank(*t)) {
            snprintf(err, errlen, "line %d: unexpected text after the key", lineno);
            return false;
        }
    if (kr->n == CRYPTO_MAX_KEYS) {
        snprintf(err, errlen, "line %d: more than %d keys", lineno, CRYPTO_MAX_KEYS);
        return false;
    }
    id[idlen] = '\0';
    if (find_key(kr, id) >= 0) {
        snprintf(err, errlen, "line %d: duplicate key id", lineno);
        return false;
    }
    if (!parse_key_hex(hex, (size_t)(end - hex), kr->key[kr->n])) {
        snprintf(err, errlen, "line %d: the key must be exactly 64 hexadecimal digits", lineno);
        return false;
    }
    memcpy(kr->id[kr->n], id, idlen + 1);
    kr->n++;
    return true;
}

/* Reads the opened file line by line into kr. */
static bool parse_keyring(struct keyring *kr, FILE *f, char *err, size_t errlen)
{
    char line[KEYRING_LINE_MAX];
    bool ok = true;
    int lineno = 0;
    while (ok && fgets(line, sizeof line, f) != NULL) {
        lineno++;
        size_t len = strlen(line);
        const char *p = line;
        if (len == sizeof line - 1 && line[len - 1] != '\n' && !feof(f)) {
            snprintf(err, errlen, "line %d is too long", lineno);
            ok = false;
            break;
        }
        while (*p == ' ' || *p == '\t')
            p++;
        if (*p == '#' || *p == '\0' || *p == '\n' || *p == '\r')
            continue;
        ok = parse_key_line(kr, line + (p - line), lineno, err, errlen);
    }
    if (ok && ferror(f)) {
        snprintf(err, errlen, "read error");
        ok = false;
    }
    if (ok && kr->n == 0) {
        snprintf(err, errlen, "no keys");
        ok = false;
    }
    OPENSSL_cleanse(line, sizeof line);
    return ok;
}

bool keyring_load(struct keyring *kr, const char *path, char *err, size_t errlen)
{
    char iobuf[BUFSIZ]; /* our own stdio buffer, so that it can be wiped */
    char reason[160] = "";
    struct stat st;
    bool ok = false;
    memset(kr, 0, sizeof *kr);
    FILE *f = fopen(path, "re");
    if (f == NULL) {
        snprintf(err, errlen, "keyring %s: %s", path, strerror(errno));
        return false;
    }
    if (setvbuf(f, iobuf, _IOFBF, sizeof iobuf) != 0 || fstat(fileno(f), &st) != 0) {
        snprintf(err, errlen, "keyring %s: %s", path, strerror(errno));
        goto done;
    }
    if (!S_ISREG(st.st_mode)) {
        snprintf(err, errlen, "keyring %s: not a regular file", path);
        goto done;
    }
    if (st.st_mode & 077) {
        snprintf(err, errlen, "keyring %s: must not be readable by group or others (chmod 600)",
                 path);
        goto done;
    }
    ok = parse_keyring(kr, f, reason, sizeof reason);
    if (!ok)
        snprintf(err, errlen, "keyring %s: %s", path, reason);
done:
    fclose(f);
    OPENSSL_cleanse(iobuf, sizeof iobuf);
    if (!ok)
        keyring_wipe(kr);
    return ok;
}

void keyring_wipe(struct keyring *kr)
{
    OPENSSL_cleanse(kr, sizeof *kr);
}

/* ---- AES-256-GCM ---- */

static bool gcm_aad(EVP_CIPHER_CTX *ctx, const char *aad, bool encrypt)
{
    int n;
    size_t len = aad ? strlen(aad) : 0;
    if (len == 0)
        return true;
    if (len > INT_MAX)
        return false;
    if (encrypt)
        return EVP_EncryptUpdate(ctx, NULL, &n, (const unsigned char *)aad, (int)len) == 1;
    return EVP_DecryptUpdate(ctx, NULL, &n, (const unsigned char *)aad, (int)len) == 1;
}

bool crypto_seal(const struct keyring *kr, const unsigned char *in, size_t len, const char *aad,
                 unsigned char *out, char key_id[CRYPTO_KEY_ID_MAX])
{
    int n1 = 0, n2 = 0;
    if (kr->n < 1 || len > INT_MAX || !crypto_random(out, NONCE_LEN))
        return false;
    unsigned char *nonce = out, *ct = out + NONCE_LEN, *tag = ct + len;
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    bool ok = ctx != NULL &&
              EVP_EncryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, kr->key[0], nonce) == 1 &&
              gcm_aad(ctx, aad, true) &&
              EVP_EncryptUpdate(ctx, ct, &n1, in, (int)len) == 1 &&
              EVP_EncryptFinal_ex(ctx, ct + n1, &n2) == 1 && (size_t)n1 + (size_t)n2 == len &&
              EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, TAG_LEN, tag) == 1;
    EVP_CIPHER_CTX_free(ctx);
    if (ok)
        memcpy(key_id, kr->id[0], CRYPTO_KEY_ID_MAX);
    else
        OPENSSL_cleanse(out, len + CRYPTO_SEAL_OVERHEAD);
    return ok;
}

bool crypto_open(const struct keyring *kr, const char *key_id, const unsigned char *sealed,
                 size_t sealed_len, const char *aad, unsigned char *out)
{
    int k = find_key(kr, key_id), n1 = 0, n2 = 0;
    if (k < 0 || sealed_len < CRYPTO_SEAL_OVERHEAD || sealed_len - CRYPTO_SEAL_OVERHEAD > INT_MAX)
        return false;
    size_t len = sealed_len - CRYPTO_SEAL_OVERHEAD;
    const unsigned char *nonce = sealed, *ct = sealed + NONCE_LEN, *tag = ct + len;
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    bool ok = ctx != NULL &&
              EVP_DecryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, kr->key[k], nonce) == 1 &&
              gcm_aad(ctx, aad, false) &&
              EVP_DecryptUpdate(ctx, out, &n1, ct, (int)len) == 1 &&
              EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, TAG_LEN, (void *)tag) == 1 &&
              EVP_DecryptFinal_ex(ctx, out + n1, &n2) == 1 && (size_t)n1 + (size_t)n2 == len;
    EVP_CIPHER_CTX_free(ctx);
    if (!ok)
        OPENSSL_cleanse(out, len); /* never hand out unauthenticated plaintext */
    return ok;
}

/* ---- random, tokens, digests ---- */

bool crypto_random(void *buf, size_t len)
{
    return len <= INT_MAX && RAND_bytes(buf, (int)len) == 1;
}

bool crypto_token(size_t nbytes, char *out, size_t outlen)
{
    unsigned char buf[256];
    if (nbytes == 0 || nbytes > sizeof buf || !crypto_random(buf, nbytes))
        return false;
    bool ok = crypto_b64url_encode(buf, nbytes, out, outlen) > 0;
    OPENSSL_cleanse(buf, sizeof buf);
    return ok;
}

void crypto_sha256_hex(const void *data, size_t len, char out[65])
{
    static const char hex[] = "0123456789abcdef";
    unsigned char md[32];
    unsigned int mdlen = 0;
    if (EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL) != 1 || mdlen != 32) {
        out[0] = '\0'; /* matches no stored digest */
        return;
    }
    for (unsigned i = 0; i < 32; i++) {
        out[2 * i] = hex[md[i] >> 4];
        out[2 * i + 1] = hex[md[i] & 15];
    }
    out[64] = '\0';
}

bool crypto_equal(const void *a, const void *b, size_t len)
{
    return CRYPTO_memcmp(a, b, len) == 0;
}

/* ---- base64url ---- */

size_t crypto_b64url_encode(const unsigned char *in, size_t len, char *out, size_t outlen)
{
    if (len > (SIZE_MAX - 4) / 4 * 3)
        return 0;
    size_t need = len / 3 * 4 + (len % 3 ? len % 3 + 1 : 0), o = 0, i = 0;
    if (outlen < need + 1)
        return 0;
    for (; i + 3 <= len; i += 3) {
        unsigned long v = (unsigned long)in[i] << 16 | (unsigned long)in[i + 1] << 8 | in[i + 2];
        out[o++] = B64URL[v >> 18 & 63];
        out[o++] = B64URL[v >> 12 & 63];
        out[o++] = B64URL[v >> 6 & 63];
        out[o++] = B64URL[v & 63];
    }
    if (len - i == 1) {
        out[o++] = B64URL[in[i] >> 2];
        out[o++] = B64URL[(in[i] & 3) << 4];
    } else if (len - i == 2) {
        unsigned v = (unsigned)in[i] << 8 | in[i + 1];
        out[o++] = B64URL[v >> 10 & 63];
        out[o++] = B64URL[v >> 4 & 63];
        out[o++] = B64URL[(v & 15) << 2];
    }
    out[o] = '\0';
    return o;
}

static int b64url_value(char c)
{
    const char *p = c ? strchr(B64URL, c) : NULL;
    return p ? (int)(p - B64URL) : -1;
}

long crypto_b64url_decode(const char *in, unsigned char *out, size_t outlen)
{
    size_t len = strlen(in), rem = len % 4;
    size_t need = len / 4 * 3 + (rem ? rem - 1 : 0);
    if (rem == 1 || need > outlen || need > LONG_MAX)
        return -1;
    unsigned long acc = 0;
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        int v = b64url_value(in[i]);
        if (v < 0)
            return -1;
        acc = acc << 6 | (unsigned long)v;
        if (i % 4 == 3) {
            out[o++] = (unsigned char)(acc >> 16);
            out[o++] = (unsigned char)(acc >> 8);
            out[o++] = (unsigned char)acc;
            acc = 0;
        }
    }
    /* A final group of 2 or 3 characters carries 4 or 2 unused bits: they must be zero, so that
     * each byte string has exactly one encoding. */
    if (rem == 2) {
        if (acc & 15)
            return -1;
        out[o++] = (unsigned char)(acc >> 4);
    } else if (rem == 3) {
        if (acc & 3)
            return -1;
        out[o++] = (unsigned char)(acc >> 10);
        out[o++] = (unsigned char)(acc >> 2);
    }
    return (long)o;
}

bool crypto_hmac_hex(const unsigned char *key, size_t keylen, const void *data, size_t len,
                     char out[65])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    if (HMAC(EVP_sha256(), key, (int)keylen, data, len, md, &mdlen) == NULL || mdlen != 32)
        return false;
    for (unsigned i = 0; i < 32; i++)
        snprintf(out + 2 * i, 3, "%02x", md[i]);
    return true;
}

bool crypto_uuid(char out[37])
{
    unsigned char b[16];
    if (!crypto_random(b, sizeof b))
        return false;
    b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
    b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
    snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
             b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12],
             b[13], b[14], b[15]);
    return true;
}
