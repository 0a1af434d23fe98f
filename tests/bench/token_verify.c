/* tests/bench/token_verify.c: what verifying an access token costs crt-api (CPU time of one thread).
 *
 *   bench_token_verify [N]      N verifications per batch (default 20000), 5 batches
 *   bench_token_verify --mint COUNT SUB SID CTL ROLE IAT EXP
 *                               prints COUNT distinct tokens with exactly these claims, one a line
 *                               (ECDSA signatures are randomised, so every one differs): used by
 *                               tests/bench/auth_partner.sh to make crt-api miss its token cache
 *                               on every request, all tokens naming one real session
 *
 * Loads the ES256 key pair from CRT_JWT_PRIVATE_KEY_FILE / CRT_JWT_PUBLIC_KEY_FILE (issuer and
 * audience from CRT_JWT_ISSUER / CRT_JWT_AUDIENCE, defaults "crt" / "crt-api", as crt-api), issues
 * one staff token (coordinator of controller 3, random sub and sid, exp now + 900 s) and prints,
 * as the median of 5 batches timed with CLOCK_MONOTONIC:
 *   - token_verify: the full check crt-api makes of a token it has not seen (libjwt decode with
 *     the ES256 signature check, then header, algorithm and every claim with its JSON type);
 *   - the per-worker cache hit (common/token_cache.c, as services/api/identity.c uses it:
 *     FNV-1a set of the token, strcmp with the remembered copies, claims copy, expiry compare):
 *     what a client that re-uses its token pays on every request after the first one per worker;
 *   - for reference, token_issue (ES256 signing, once per login), a bare OpenSSL ECDSA P-256
 *     verification of the same signature with a key parsed once (what is left when the PEM
 *     parsing and JSON work of libjwt 1.10 are taken away) and the parsing of the public-key PEM
 *     alone (libjwt 1.10 does it inside every jwt_decode; OpenSSL 3's decoders make it costly).
 * Prints figures only; exits non-zero on set-up errors (keys, a token that does not verify).
 *
 * Built by hand (no CMake target yet):
 *   gcc -std=c17 -D_GNU_SOURCE -O2 -I common/include $(pkg-config --cflags jansson libpq libevent) \
 *     tests/bench/token_verify.c <build>/common/libcrt.a \
 *     $(pkg-config --libs jansson libpq libevent libevent_pthreads openssl liboath libjwt) -lpthread \
 *     -o /tmp/bench_token_verify
 */
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "crt/crypto.h"
#include "crt/token.h"
#include "crt/token_cache.h"

#define BATCHES 5

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Median, min and max of BATCHES per-operation times (µs). */
static void report(const char *what, double us[BATCHES])
{
    double s[BATCHES];
    memcpy(s, us, sizeof s);
    qsort(s, BATCHES, sizeof s[0], cmp_double);
    printf("%-44s %10.3f us  (batches: min %.3f, max %.3f)\n", what, s[BATCHES / 2], s[0],
           s[BATCHES - 1]);
}

/* ---- a bare ECDSA P-256 / SHA-256 verification (JWS ES256: r||s, 64 bytes) ---- */

static int b64url_decode(const char *in, size_t len, unsigned char *out, size_t outmax)
{
    uint32_t acc = 0;
    int bits = 0;
    size_t n = 0;
    for (size_t i = 0; i < len; i++) {
        char ch = in[i];
        int v = ch >= 'A' && ch <= 'Z' ? ch - 'A' : ch >= 'a' && ch <= 'z' ? ch - 'a' + 26
              : ch >= '0' && ch <= '9' ? ch - '0' + 52 : ch == '-' ? 62 : ch == '_' ? 63 : -1;
        if (v < 0)
            return -1;
        acc = (acc << 6) | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            if (n >= outmax)
                return -1;
            out[n++] = (unsigned char)(acc >> bits);
        }
    }
    return (int)n;
}

/* The token's signature as DER (what EVP_DigestVerify takes); length or -1. */
static int signature_der(const char *token, unsigned char *der, size_t dermax, size_t *signed_len)
{
    const char *dot = strrchr(token, '.');
    unsigned char raw[80];
    if (dot == NULL || b64url_decode(dot + 1, strlen(dot + 1), raw, sizeof raw) != 64)
        return -1;
    *signed_len = (size_t)(dot - token);
    ECDSA_SIG *sig = ECDSA_SIG_new();
    BIGNUM *r = BN_bin2bn(raw, 32, NULL), *s = BN_bin2bn(raw + 32, 32, NULL);
    if (sig == NULL || r == NULL || s == NULL || ECDSA_SIG_set0(sig, r, s) != 1) {
        ECDSA_SIG_free(sig);
        BN_free(r);
        BN_free(s);
        return -1;
    }
    int n = i2d_ECDSA_SIG(sig, NULL);
    unsigned char *p = der;
    if (n <= 0 || (size_t)n > dermax)
        n = -1;
    else
        n = i2d_ECDSA_SIG(sig, &p);
    ECDSA_SIG_free(sig);
    return n;
}

static int raw_verify(EVP_PKEY *key, const char *token, size_t signed_len, const unsigned char *der,
                      int derlen)
{
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    int ok = md && EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, key) == 1 &&
             EVP_DigestVerify(md, der, (size_t)derlen, (const unsigned char *)token, signed_len) == 1;
    EVP_MD_CTX_free(md);
    return ok;
}

/* --mint COUNT SUB SID CTL ROLE IAT EXP */
static int mint(const struct token_keys *keys, char **a)
{
    struct token_claims c = {0};
    long count = strtol(a[0], NULL, 10);
    c.ctl = atoi(a[3]);
    c.iat = c.nbf = strtol(a[5], NULL, 10);
    c.exp = strtol(a[6], NULL, 10);
    if (count < 1 || count > 1000000 || strlen(a[1]) >= sizeof c.sub || strlen(a[2]) >= sizeof c.sid ||
        strlen(a[4]) >= sizeof c.role) {
        fprintf(stderr, "token_verify: bad --mint arguments\n");
        return 2;
    }
    memcpy(c.sub, a[1], strlen(a[1]) + 1);
    memcpy(c.sid, a[2], strlen(a[2]) + 1);
    memcpy(c.role, a[4], strlen(a[4]) + 1);
    for (long i = 0; i < count; i++) {
        struct token_claims got;
        char *t = token_issue(keys, &c);
        if (t == NULL || token_verify(keys, t, time(NULL), &got) != TOKEN_OK) {
            fprintf(stderr, "token_verify: a minted token does not verify\n");
            free(t);
            return 1;
        }
        puts(t);
        free(t);
    }
    return fflush(stdout) == 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
    long n = 20000;
    bool minting = argc == 9 && strcmp(argv[1], "--mint") == 0;
    if (!minting && (argc > 2 || (argc == 2 && ((n = strtol(argv[1], NULL, 10)) < 1 || n > 100000000)))) {
        fprintf(stderr, "usage: %s [N]   (N verifications per batch, default 20000)\n"
                        "       %s --mint COUNT SUB SID CTL ROLE IAT EXP\n", argv[0], argv[0]);
        return 2;
    }
    const char *priv = getenv("CRT_JWT_PRIVATE_KEY_FILE"), *pub = getenv("CRT_JWT_PUBLIC_KEY_FILE");
    const char *iss = getenv("CRT_JWT_ISSUER"), *aud = getenv("CRT_JWT_AUDIENCE");
    if (priv == NULL || pub == NULL || !*priv || !*pub) {
        fprintf(stderr, "token_verify: set CRT_JWT_PRIVATE_KEY_FILE and CRT_JWT_PUBLIC_KEY_FILE\n");
        return 1;
    }
    struct token_keys keys;
    char err[256];
    if (!token_keys_load(&keys, priv, pub, iss && *iss ? iss : "crt", aud && *aud ? aud : "crt-api",
                         err, sizeof err)) {
        fprintf(stderr, "token_verify: %s\n", err);
        return 1;
    }
    if (minting) {
        int rc = mint(&keys, argv + 2);
        token_keys_free(&keys);
        return rc;
    }

    struct token_claims c = {.ctl = 3}, got;
    snprintf(c.role, sizeof c.role, "coordinator");
    c.iat = c.nbf = (long)time(NULL);
    c.exp = c.iat + 900;
    if (!crypto_uuid(c.sub) || !crypto_uuid(c.sid)) {
        fprintf(stderr, "token_verify: no random uuid\n");
        return 1;
    }
    char *token = token_issue(&keys, &c);
    if (token == NULL) {
        fprintf(stderr, "token_verify: token_issue failed (is the private key an EC P-256 key?)\n");
        return 1;
    }
    enum token_result r = token_verify(&keys, token, time(NULL), &got);
    if (r != TOKEN_OK || strcmp(got.sub, c.sub) != 0 || got.ctl != 3) {
        fprintf(stderr, "token_verify: the issued token does not verify (result %d)\n", (int)r);
        return 1;
    }

    printf("token: ES256, %zu bytes (crt-api accepts up to %d); %ld operations per batch, "
           "%d batches, medians\n", strlen(token), TOKEN_MAX_LENGTH, n, BATCHES);

    /* token_verify, as for a token crt-api has not seen (cache miss) */
    double us[BATCHES];
    long bad = 0;
    for (long i = 0; i < n / 10 + 1; i++) /* warm-up */
        bad += token_verify(&keys, token, time(NULL), &got) != TOKEN_OK;
    for (int b = 0; b < BATCHES; b++) {
        double t0 = now_s();
        for (long i = 0; i < n; i++)
            bad += token_verify(&keys, token, (time_t)c.iat, &got) != TOKEN_OK;
        us[b] = (now_s() - t0) * 1e6 / (double)n;
    }
    if (bad) {
        fprintf(stderr, "token_verify: %ld verifications failed\n", bad);
        return 1;
    }
    report("token_verify (cache miss)", us);
    double verify_us;
    {
        double s[BATCHES];
        memcpy(s, us, sizeof s);
        qsort(s, BATCHES, sizeof s[0], cmp_double);
        verify_us = s[BATCHES / 2];
    }

    /* the worker's cache hit (common/token_cache.c, as identity.c uses it): the request's token
     * is another buffer than the cached copy */
    struct token_cache *cache = token_cache_new();
    char *request_token = strdup(token);
    if (cache == NULL || request_token == NULL)
        return 1;
    token_cache_put(cache, token, &got, (time_t)c.iat);
    long hits = n * 100, miss = 0;
    for (int b = 0; b < BATCHES; b++) {
        double t0 = now_s();
        for (long i = 0; i < hits; i++) {
            const char *t = request_token;
            __asm__ volatile("" : "+r"(t)); /* keep the compiler from hoisting the lookup */
            miss += !token_cache_get(cache, t, (time_t)c.iat, &got);
            __asm__ volatile("" ::"m"(got) : "memory");
        }
        us[b] = (now_s() - t0) * 1e6 / (double)hits;
    }
    if (miss) {
        fprintf(stderr, "token_verify: the cache missed %ld times\n", miss);
        return 1;
    }
    report("worker token cache hit (hash + strcmp)", us);

    /* token_issue: one ES256 signature (a login, a partner token) */
    long issues = n / 4 + 1;
    for (int b = 0; b < BATCHES; b++) {
        double t0 = now_s();
        for (long i = 0; i < issues; i++) {
            char *t = token_issue(&keys, &c);
            if (t == NULL)
                return 1;
            free(t);
        }
        us[b] = (now_s() - t0) * 1e6 / (double)issues;
    }
    report("token_issue (ES256 sign)", us);

    /* bare ECDSA verification, key parsed once */
    FILE *f = fopen(pub, "r");
    EVP_PKEY *key = f ? PEM_read_PUBKEY(f, NULL, NULL, NULL) : NULL;
    if (f)
        fclose(f);
    unsigned char der[80];
    size_t signed_len = 0;
    int derlen = signature_der(token, der, sizeof der, &signed_len);
    if (key == NULL || derlen < 0 || !raw_verify(key, token, signed_len, der, derlen)) {
        fprintf(stderr, "token_verify: the bare OpenSSL check does not verify the token\n");
        return 1;
    }
    for (int b = 0; b < BATCHES; b++) {
        double t0 = now_s();
        for (long i = 0; i < n; i++)
            bad += !raw_verify(key, token, signed_len, der, derlen);
        us[b] = (now_s() - t0) * 1e6 / (double)n;
    }
    if (bad)
        return 1;
    report("OpenSSL ECDSA P-256 verify (key parsed once)", us);

    /* the public-key PEM parse that libjwt 1.10 repeats in every jwt_decode */
    for (int b = 0; b < BATCHES; b++) {
        double t0 = now_s();
        for (long i = 0; i < n; i++) {
            BIO *bio = BIO_new_mem_buf(keys.pub, keys.pub_len);
            EVP_PKEY *k = bio ? PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL) : NULL;
            bad += k == NULL;
            EVP_PKEY_free(k);
            BIO_free(bio);
        }
        us[b] = (now_s() - t0) * 1e6 / (double)n;
    }
    if (bad)
        return 1;
    report("PEM_read_bio_PUBKEY (public key PEM parse)", us);
    printf("per second, one thread: %.0f token_verify calls\n", 1e6 / verify_us);

    EVP_PKEY_free(key);
    token_cache_free(cache);
    free(request_token);
    free(token);
    token_keys_free(&keys);
    return 0;
}
