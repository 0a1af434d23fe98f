/* Access tokens: ES256 JWT issue and verification on OpenSSL, with several public keys during a
 * key rotation. Exactly one encoding of a token is accepted: the fixed header (naming its key),
 * canonical base64url, a low-S signature; then every claim. */
#include "crt/token.h"

#include <jansson.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "crt/crypto.h"
#include "crt/validate.h"

/* The header without a kid (tokens of earlier versions: verified with the signing key's public
 * key) and the one we write, naming the signing key (RFC 7638 thumbprint). */
#define ES256_HEADER "{\"alg\":\"ES256\",\"typ\":\"JWT\"}"
#define ES256_KID_HEADER "{\"alg\":\"ES256\",\"typ\":\"JWT\",\"kid\":\"%s\"}"
#define ES256_SIG_LEN 64 /* r || s, 32 bytes each, big-endian (RFC 7518 3.4) */

/* The order n of P-256 and n/2: a signature (r, s) and (r, n - s) both verify, so only
 * s <= n/2 is accepted and written. */
static const unsigned char P256_N[32] = {
    0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xbc, 0xe6, 0xfa, 0xad, 0xa7, 0x17, 0x9e, 0x84, 0xf3, 0xb9, 0xca, 0xc2, 0xfc, 0x63, 0x25, 0x51};
static const unsigned char P256_HALF_N[32] = {
    0x7f, 0xff, 0xff, 0xff, 0x80, 0x00, 0x00, 0x00, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xde, 0x73, 0x7d, 0x56, 0xd3, 0x8b, 0xcf, 0x42, 0x79, 0xdc, 0xe5, 0x61, 0x7e, 0x31, 0x92, 0xa8};

static unsigned char *read_pem(const char *path, int *len, bool private_key, char *err,
                               size_t errlen)
{
    struct stat st;
    FILE *f = fopen(path, "rb");
    unsigned char *buf = NULL;
    if (f == NULL || fstat(fileno(f), &st) != 0) {
        snprintf(err, errlen, "cannot open %s", path);
        goto done;
    }
    if (private_key && (st.st_mode & 077)) {
        snprintf(err, errlen, "%s must not be readable by group or others (chmod 600)", path);
        goto done;
    }
    if (st.st_size <= 0 || st.st_size > 16384 || (buf = malloc((size_t)st.st_size + 1)) == NULL) {
        snprintf(err, errlen, "%s is empty or too large", path);
        goto done;
    }
    if (fread(buf, 1, (size_t)st.st_size, f) != (size_t)st.st_size) {
        snprintf(err, errlen, "cannot read %s", path);
        free(buf);
        buf = NULL;
        goto done;
    }
    buf[st.st_size] = '\0';
    *len = (int)st.st_size;
done:
    if (f)
        fclose(f);
    return buf;
}

/* An encrypted key file is refused rather than prompted for on a terminal. */
static int no_passphrase(char *buf, int size, int rwflag, void *u)
{
    (void)buf, (void)size, (void)rwflag, (void)u;
    return -1;
}

/* Parses a PEM key and requires an EC key on P-256. */
static EVP_PKEY *parse_p256(const unsigned char *pem, int len, bool private_key)
{
    BIO *bio = BIO_new_mem_buf(pem, len);
    EVP_PKEY *k = bio == NULL       ? NULL
                  : private_key ? PEM_read_bio_PrivateKey(bio, NULL, no_passphrase, NULL)
                                : PEM_read_bio_PUBKEY(bio, NULL, no_passphrase, NULL);
    char group[32] = "";
    BIO_free(bio);
    if (k && (!EVP_PKEY_is_a(k, "EC") ||
              !EVP_PKEY_get_utf8_string_param(k, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group,
                                              NULL) ||
              strcmp(group, "prime256v1") != 0)) {
        EVP_PKEY_free(k);
        k = NULL;
    }
    return k;
}

/* The RFC 7638 JWK thumbprint of a P-256 public key, base64url: the key's "kid". */
static bool thumbprint(EVP_PKEY *k, char kid[44])
{
    BIGNUM *x = NULL, *y = NULL;
    unsigned char xb[32], yb[32], md[32];
    char xs[44], ys[44], jwk[160];
    unsigned mdlen = 0;
    bool ok = EVP_PKEY_get_bn_param(k, OSSL_PKEY_PARAM_EC_PUB_X, &x) &&
              EVP_PKEY_get_bn_param(k, OSSL_PKEY_PARAM_EC_PUB_Y, &y) &&
              BN_bn2binpad(x, xb, 32) == 32 && BN_bn2binpad(y, yb, 32) == 32 &&
              crypto_b64url_encode(xb, 32, xs, sizeof xs) && crypto_b64url_encode(yb, 32, ys, sizeof ys);
    int n = ok ? snprintf(jwk, sizeof jwk, "{\"crv\":\"P-256\",\"kty\":\"EC\",\"x\":\"%s\",\"y\":\"%s\"}",
                          xs, ys)
               : -1;
    ok = n > 0 && (size_t)n < sizeof jwk &&
         EVP_Digest(jwk, (size_t)n, md, &mdlen, EVP_sha256(), NULL) == 1 && mdlen == 32 &&
         crypto_b64url_encode(md, 32, kid, 44) == 43;
    BN_free(x);
    BN_free(y);
    return ok;
}

/* Every PEM public key in pem (one block after the other) into k->keys / k->kids; false when
 * one is not P-256, there are none or more than TOKEN_MAX_KEYS. */
static bool parse_public_keys(struct token_keys *k, const unsigned char *pem, int len)
{
    BIO *bio = BIO_new_mem_buf(pem, len);
    bool ok = bio != NULL;
    EVP_PKEY *pk;
    while (ok && (pk = PEM_read_bio_PUBKEY(bio, NULL, no_passphrase, NULL)) != NULL) {
        char group[32] = "";
        ok = k->nkeys < TOKEN_MAX_KEYS && EVP_PKEY_is_a(pk, "EC") &&
             EVP_PKEY_get_utf8_string_param(pk, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group,
                                            NULL) &&
             strcmp(group, "prime256v1") == 0 && thumbprint(pk, k->kids[k->nkeys]);
        if (ok)
            k->keys[k->nkeys++] = pk;
        else
            EVP_PKEY_free(pk);
    }
    ERR_clear_error(); /* the end of the file reads as "no start line" */
    BIO_free(bio);
    return ok && k->nkeys > 0;
}

/* The public key of the signing key among k->keys (or the first for a verifier): it becomes
 * verify_key and kid. */
static bool pick_verify_key(struct token_keys *k)
{
    for (int i = 0; i < k->nkeys; i++)
        if (k->sign_key == NULL || EVP_PKEY_eq(k->sign_key, k->keys[i]) == 1) {
            k->verify_key = k->keys[i];
            memcpy(k->kid, k->kids[i], sizeof k->kid);
            return true;
        }
    return false;
}

bool token_keys_load(struct token_keys *k, const char *priv_path, const char *pub_path,
                     const char *issuer, const char *audience, char *err, size_t errlen)
{
    memset(k, 0, sizeof *k);
    snprintf(k->issuer, sizeof k->issuer, "%s", issuer);
    snprintf(k->audience, sizeof k->audience, "%s", audience);
    if (priv_path && !(k->priv = read_pem(priv_path, &k->priv_len, true, err, errlen)))
        return false;
    if (!(k->pub = read_pem(pub_path, &k->pub_len, false, err, errlen)))
        goto fail;
    if (!parse_public_keys(k, k->pub, k->pub_len)) {
        snprintf(err, errlen, "%s must hold 1 to %d P-256 (ES256) public keys and nothing else",
                 pub_path, TOKEN_MAX_KEYS);
        goto fail;
    }
    if (priv_path && !(k->sign_key = parse_p256(k->priv, k->priv_len, true))) {
        snprintf(err, errlen, "%s is not a P-256 (ES256) private key", priv_path);
        goto fail;
    }
    if (!pick_verify_key(k)) {
        snprintf(err, errlen, "%s is not the public key of %s (nor holds it)", pub_path, priv_path);
        goto fail;
    }
    return true;
fail:
    token_keys_free(k);
    return false;
}

void token_keys_free(struct token_keys *k)
{
    if (k->priv)
        memset(k->priv, 0, (size_t)k->priv_len);
    free(k->priv);
    free(k->pub);
    EVP_PKEY_free(k->sign_key);
    for (int i = 0; i < k->nkeys; i++)
        EVP_PKEY_free(k->keys[i]);
    k->priv = k->pub = NULL;
    k->sign_key = k->verify_key = NULL;
    k->nkeys = 0;
}

/* ---- signing ---- */

/* An ECDSA signature (DER, as OpenSSL writes it) as r || s with s replaced by n - s when it
 * is in the upper half, so that the one signature we write is the one we accept. */
static bool raw_low_s(const unsigned char *der, size_t len, unsigned char out[ES256_SIG_LEN])
{
    const unsigned char *p = der;
    ECDSA_SIG *sig = d2i_ECDSA_SIG(NULL, &p, (long)len);
    BIGNUM *n = BN_bin2bn(P256_N, 32, NULL), *low = BN_new();
    const BIGNUM *r = NULL, *s = NULL;
    bool ok = sig && n && low;
    if (ok) {
        ECDSA_SIG_get0(sig, &r, &s);
        ok = BN_bn2binpad(r, out, 32) == 32 && BN_bn2binpad(s, out + 32, 32) == 32;
    }
    if (ok && memcmp(out + 32, P256_HALF_N, 32) > 0)
        ok = BN_sub(low, n, s) && BN_bn2binpad(low, out + 32, 32) == 32;
    ECDSA_SIG_free(sig);
    BN_free(n);
    BN_free(low);
    return ok;
}

/* ECDSA P-256 / SHA-256 of data with key, as r || s (low S). */
static bool es256_sign(EVP_PKEY *key, const char *data, size_t len, unsigned char out[ES256_SIG_LEN])
{
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    unsigned char der[80];
    size_t derlen = sizeof der;
    bool ok = md && EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, key) == 1 &&
              EVP_DigestSign(md, der, &derlen, (const unsigned char *)data, len) == 1 &&
              raw_low_s(der, derlen, out);
    EVP_MD_CTX_free(md);
    return ok;
}

static size_t b64url_len(size_t n) { return n / 3 * 4 + (n % 3 ? n % 3 + 1 : 0); }

char *token_sign(const struct token_keys *k, const char *payload)
{
    char header[128];
    int hn = snprintf(header, sizeof header, ES256_KID_HEADER, k->kid);
    size_t hlen = hn > 0 && (size_t)hn < sizeof header ? (size_t)hn : 0, plen = strlen(payload);
    size_t total = b64url_len(hlen) + 1 + b64url_len(plen) + 1 + b64url_len(ES256_SIG_LEN) + 1;
    unsigned char sig[ES256_SIG_LEN];
    char *out = k->sign_key && hlen ? malloc(total) : NULL;
    if (out == NULL)
        return NULL;
    size_t o = crypto_b64url_encode((const unsigned char *)header, hlen, out, total);
    out[o++] = '.';
    size_t pn = crypto_b64url_encode((const unsigned char *)payload, plen, out + o, total - o);
    o += pn;
    bool ok = o > 1 && (plen == 0 || pn > 0) && es256_sign(k->sign_key, out, o, sig);
    out[o++] = '.';
    if (!ok || crypto_b64url_encode(sig, sizeof sig, out + o, total - o) == 0) {
        free(out);
        return NULL;
    }
    return out;
}

char *token_issue(const struct token_keys *k, const struct token_claims *c)
{
    bool partner = strcmp(c->role, "partner") == 0;
    json_t *cl = json_pack("{s:s, s:s, s:s, s:i, s:s, s:s, s:I, s:I, s:I, s:[s]}", "iss",
                           k->issuer, "aud", k->audience, "sub", c->sub, "ctl", c->ctl, "role",
                           c->role, "sid", c->sid, "iat", (json_int_t)c->iat, "nbf",
                           (json_int_t)c->nbf, "exp", (json_int_t)c->exp, "amr",
                           partner ? "client" : "pwd");
    if (cl && !partner)
        json_array_append_new(json_object_get(cl, "amr"), json_string("otp"));
    if (cl && partner)
        json_object_set_new(cl, "sv", json_integer((json_int_t)c->sv));
    char *payload = cl ? json_dumps(cl, JSON_COMPACT | JSON_ENSURE_ASCII) : NULL;
    char *out = payload ? token_sign(k, payload) : NULL;
    free(payload);
    json_decref(cl);
    return out;
}

/* ---- verification ---- */

static const char *const roles[] = {"intake", "caseworker", "coordinator", "education", "dpo",
                                    "admin", "partner", "reporting", NULL};

static bool string_claim(json_t *claims, const char *name, char *out, size_t len)
{
    json_t *v = json_object_get(claims, name);
    if (!json_is_string(v) || json_string_length(v) == 0 || json_string_length(v) >= len)
        return false;
    memcpy(out, json_string_value(v), json_string_length(v) + 1);
    return true;
}

static bool int_claim(json_t *claims, const char *name, long *out)
{
    json_t *v = json_object_get(claims, name);
    if (!json_is_integer(v))
        return false;
    *out = (long)json_integer_value(v);
    return true;
}

/* amr must be exactly ["pwd","otp"] for staff (both factors were used) and ["client"] for a
 * partner (OAuth2 client credentials). */
static bool amr_ok(json_t *claims, bool partner)
{
    json_t *amr = json_object_get(claims, "amr");
    if (partner)
        return json_is_array(amr) && json_array_size(amr) == 1 &&
               json_is_string(json_array_get(amr, 0)) &&
               strcmp(json_string_value(json_array_get(amr, 0)), "client") == 0;
    return json_is_array(amr) && json_array_size(amr) == 2 &&
           json_is_string(json_array_get(amr, 0)) && json_is_string(json_array_get(amr, 1)) &&
           strcmp(json_string_value(json_array_get(amr, 0)), "pwd") == 0 &&
           strcmp(json_string_value(json_array_get(amr, 1)), "otp") == 0;
}

/* A partner's token names the version of its client secret (sv >= 1); a staff token has none. */
static bool sv_ok(json_t *claims, bool partner, long *sv)
{
    *sv = 0;
    if (!partner)
        return json_object_get(claims, "sv") == NULL;
    return int_claim(claims, "sv", sv) && *sv >= 1 && *sv <= 2147483647L;
}

static enum token_result check_claims(const struct token_keys *k, json_t *cl, time_t now,
                                      struct token_claims *c)
{
    char iss[64], aud[64];
    long ctl;
    bool ok = string_claim(cl, "iss", iss, sizeof iss) && string_claim(cl, "aud", aud, sizeof aud) &&
              string_claim(cl, "sub", c->sub, sizeof c->sub) &&
              string_claim(cl, "role", c->role, sizeof c->role) &&
              string_claim(cl, "sid", c->sid, sizeof c->sid) && int_claim(cl, "ctl", &ctl) &&
              int_claim(cl, "iat", &c->iat) && int_claim(cl, "nbf", &c->nbf) &&
              int_claim(cl, "exp", &c->exp);
    bool partner = ok && strcmp(c->role, "partner") == 0;
    /* A partner belongs to no controller (ctl 0); staff always to one. */
    if (!ok || !amr_ok(cl, partner) || !sv_ok(cl, partner, &c->sv) || strcmp(iss, k->issuer) != 0 ||
        strcmp(aud, k->audience) != 0 || !validate_uuid(c->sub) || !validate_uuid(c->sid) ||
        (partner ? ctl != 0 : (ctl < 1 || ctl > 32767)))
        return TOKEN_BAD_CLAIMS;
    bool role_ok = false;
    for (const char *const *r = roles; *r; r++)
        role_ok |= strcmp(*r, c->role) == 0;
    /* exp > iat, so the unsigned difference is the true one (the signed one can overflow). */
    if (!role_ok || c->exp <= c->iat || (unsigned long)c->exp - (unsigned long)c->iat > 24 * 3600)
        return TOKEN_BAD_CLAIMS;
    c->ctl = (int)ctl;
    if (c->exp <= now - TOKEN_CLOCK_SKEW)
        return TOKEN_EXPIRED;
    if (c->nbf > now + TOKEN_CLOCK_SKEW || c->iat > now + TOKEN_CLOCK_SKEW)
        return TOKEN_NOT_YET;
    return TOKEN_OK;
}

/* The key a decoded header names, byte for byte one of our two forms (no other member, order,
 * spacing, escape or case): without kid the signing key's, with kid the public key of that
 * thumbprint. NULL when the header is another or names no key of ours. */
static EVP_PKEY *header_key(const struct token_keys *k, const unsigned char *h, long n)
{
    char with_kid[128];
    if (n == (long)strlen(ES256_HEADER) && memcmp(h, ES256_HEADER, (size_t)n) == 0)
        return k->verify_key;
    for (int i = 0; i < k->nkeys; i++) {
        int m = snprintf(with_kid, sizeof with_kid, ES256_KID_HEADER, k->kids[i]);
        if (m > 0 && n == m && memcmp(h, with_kid, (size_t)n) == 0)
            return k->keys[i];
    }
    return NULL;
}

/* ECDSA P-256 / SHA-256 verification of r || s over data; s must be in the lower half. */
static bool es256_verify(EVP_PKEY *key, const char *data, size_t len,
                         const unsigned char sig[ES256_SIG_LEN])
{
    static const unsigned char zero[32];
    if (memcmp(sig + 32, P256_HALF_N, 32) > 0 || memcmp(sig + 32, zero, 32) == 0)
        return false;
    ECDSA_SIG *es = ECDSA_SIG_new();
    BIGNUM *r = BN_bin2bn(sig, 32, NULL), *s = BN_bin2bn(sig + 32, 32, NULL);
    unsigned char *der = NULL;
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    bool ok = es && r && s && ECDSA_SIG_set0(es, r, s) == 1;
    if (ok)
        r = s = NULL; /* owned by es now */
    int derlen = ok ? i2d_ECDSA_SIG(es, &der) : -1;
    ok = derlen > 0 && md && EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, key) == 1 &&
         EVP_DigestVerify(md, der, (size_t)derlen, (const unsigned char *)data, len) == 1;
    EVP_MD_CTX_free(md);
    OPENSSL_free(der);
    BN_free(r);
    BN_free(s);
    ECDSA_SIG_free(es);
    return ok;
}

/* Decodes the canonical base64url segment [from, to) of the token into out (outlen bytes);
 * -1 when it is not canonical base64url without padding or does not fit. */
static long segment(const char *from, const char *to, unsigned char *out, size_t outlen)
{
    char text[TOKEN_MAX_LENGTH + 1];
    size_t n = (size_t)(to - from);
    if (n == 0 || n > TOKEN_MAX_LENGTH)
        return -1;
    memcpy(text, from, n);
    text[n] = '\0';
    return crypto_b64url_decode(text, out, outlen);
}

enum token_result token_verify(const struct token_keys *k, const char *token, time_t now,
                               struct token_claims *c)
{
    unsigned char head[128], body[TOKEN_MAX_LENGTH], sig[ES256_SIG_LEN + 1];
    memset(c, 0, sizeof *c);
    if (token == NULL || strlen(token) > TOKEN_MAX_LENGTH || k->verify_key == NULL)
        return TOKEN_MALFORMED;
    const char *d1 = strchr(token, '.'), *d2 = d1 ? strchr(d1 + 1, '.') : NULL;
    if (d2 == NULL || strchr(d2 + 1, '.'))
        return TOKEN_MALFORMED;
    long hn = segment(token, d1, head, sizeof head);
    long bn = segment(d1 + 1, d2, body, sizeof body);
    long sn = segment(d2 + 1, token + strlen(token), sig, sizeof sig);
    /* Never look at the claims before the signature is known to be ours. */
    EVP_PKEY *key = hn < 0 ? NULL : header_key(k, head, hn);
    if (key == NULL || bn < 0 || sn != ES256_SIG_LEN ||
        !es256_verify(key, token, (size_t)(d2 - token), sig))
        return TOKEN_MALFORMED;
    json_t *claims = json_loadb((const char *)body, (size_t)bn, JSON_REJECT_DUPLICATES, NULL);
    enum token_result res = json_is_object(claims) ? check_claims(k, claims, now, c) : TOKEN_BAD_CLAIMS;
    json_decref(claims);
    return res;
}
