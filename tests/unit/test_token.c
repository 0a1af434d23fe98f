/* Unit: access tokens (common/token.c) — every header, encoding, signature and claim rule, on
 * tokens crafted by hand (base64url JSON + an ECDSA signature computed here) with a P-256 key
 * generated for the test. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <openssl/bn.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "crt/crypto.h"
#include "crt/token.h"

#define SUB "0b9f3c1e-2a4d-4c8e-9f10-6a7b8c9d0e1f"
#define SID "5e6f7a8b-9c0d-4e1f-8a2b-3c4d5e6f7a8b"
#define HEADER "{\"alg\":\"ES256\",\"typ\":\"JWT\"}"

static EVP_PKEY *key;           /* the service's key, made for each test */
static struct token_keys keys;  /* loaded from its PEM files like crt-api does */
static char priv_path[64], pub_path[64];
static time_t now;

/* Writes the PEM of k (private or public) to a fresh mode-600 file named into path. */
static void write_pem(EVP_PKEY *k, bool private_key, char *path)
{
    snprintf(path, 64, "/tmp/crt-token-XXXXXX");
    int fd = mkstemp(path);
    cr_assert_geq(fd, 0);
    cr_assert_eq(fchmod(fd, 0600), 0);
    FILE *f = fdopen(fd, "w");
    cr_assert(private_key ? PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL)
                          : PEM_write_PUBKEY(f, k));
    fclose(f);
}

static void setup(void)
{
    char err[256];
    key = EVP_EC_gen("P-256");
    cr_assert_not_null(key);
    write_pem(key, true, priv_path);
    write_pem(key, false, pub_path);
    cr_assert(token_keys_load(&keys, priv_path, pub_path, "crt", "crt-api", err, sizeof err), "%s",
              err);
    now = time(NULL);
}

static void teardown(void)
{
    token_keys_free(&keys);
    EVP_PKEY_free(key);
    unlink(priv_path);
    unlink(pub_path);
}

TestSuite(token, .init = setup, .fini = teardown);

/* ---- crafting tokens by hand ---- */

static const unsigned char P256_N[32] = {
    0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xbc, 0xe6, 0xfa, 0xad, 0xa7, 0x17, 0x9e, 0x84, 0xf3, 0xb9, 0xca, 0xc2, 0xfc, 0x63, 0x25, 0x51};

static char *b64(const void *data, size_t len)
{
    char *out = malloc(len * 4 / 3 + 4);
    cr_assert(crypto_b64url_encode(data, len, out, len * 4 / 3 + 4) > 0 || len == 0);
    if (len == 0)
        out[0] = '\0';
    return out;
}

enum s_form { LOW_S, HIGH_S };

/* ECDSA P-256/SHA-256 of input with k as r || s, s in the lower or upper half of the order. */
static void ecdsa_sign(EVP_PKEY *k, const char *input, enum s_form form, unsigned char out[64])
{
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    unsigned char der[80];
    size_t derlen = sizeof der;
    cr_assert_eq(EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, k), 1);
    cr_assert_eq(EVP_DigestSign(md, der, &derlen, (const unsigned char *)input, strlen(input)), 1);
    EVP_MD_CTX_free(md);
    const unsigned char *p = der;
    ECDSA_SIG *sig = d2i_ECDSA_SIG(NULL, &p, (long)derlen);
    const BIGNUM *r, *s;
    ECDSA_SIG_get0(sig, &r, &s);
    BIGNUM *n = BN_bin2bn(P256_N, 32, NULL), *twin = BN_new(), *half = BN_new();
    BN_rshift1(half, n);
    BN_sub(twin, n, s);
    bool s_high = BN_cmp(s, half) > 0;
    const BIGNUM *use = (form == HIGH_S) == s_high ? s : twin;
    BN_bn2binpad(r, out, 32);
    BN_bn2binpad(use, out + 32, 32);
    BN_free(n);
    BN_free(twin);
    BN_free(half);
    ECDSA_SIG_free(sig);
}

/* header.payload.signature from raw segment texts (already encoded). */
static char *join(const char *h, const char *p, const char *s)
{
    size_t n = strlen(h) + strlen(p) + strlen(s) + 3;
    char *t = malloc(n);
    snprintf(t, n, "%s.%s.%s", h, p, s);
    return t;
}

/* A token of header and payload JSON texts, signed with k (s as asked). */
static char *craft_with(EVP_PKEY *k, const char *header, const char *payload, enum s_form form)
{
    char *h = b64(header, strlen(header)), *p = b64(payload, strlen(payload));
    char *input = join(h, p, "");
    input[strlen(input) - 1] = '\0'; /* "h.p" */
    unsigned char sig[64];
    ecdsa_sign(k, input, form, sig);
    char *s = b64(sig, 64), *t = join(h, p, s);
    free(h), free(p), free(s), free(input);
    return t;
}

static char *craft(const char *header, const char *payload)
{
    return craft_with(key, header, payload, LOW_S);
}

/* The claims of a valid staff token (coordinator of controller 3), as a JSON object. */
static json_t *staff_claims(void)
{
    return json_pack("{s:s, s:s, s:s, s:i, s:s, s:s, s:I, s:I, s:I, s:[s,s]}", "iss", "crt", "aud",
                     "crt-api", "sub", SUB, "ctl", 3, "role", "coordinator", "sid", SID, "iat",
                     (json_int_t)now, "nbf", (json_int_t)now, "exp", (json_int_t)now + 900, "amr",
                     "pwd", "otp");
}

/* The claims of a valid partner token (secret version 2). */
static json_t *partner_claims(void)
{
    json_t *c = staff_claims();
    json_object_set_new(c, "ctl", json_integer(0));
    json_object_set_new(c, "role", json_string("partner"));
    json_object_set_new(c, "amr", json_pack("[s]", "client"));
    json_object_set_new(c, "sv", json_integer(2));
    return c;
}

/* Verifies the standard header over claims c with claim `name` set to v (NULL: removed);
 * takes c and v. */
static enum token_result verify_with(json_t *c, const char *name, json_t *v)
{
    if (name && v)
        json_object_set_new(c, name, v);
    else if (name)
        json_object_del(c, name);
    char *payload = json_dumps(c, JSON_COMPACT);
    char *t = craft(HEADER, payload);
    struct token_claims out;
    enum token_result r = token_verify(&keys, t, now, &out);
    free(payload);
    free(t);
    json_decref(c);
    return r;
}

static enum token_result verify_text(const char *token)
{
    struct token_claims out;
    return token_verify(&keys, token, now, &out);
}

/* A valid staff token crafted here; the control that the crafting itself is sound. */
static char *good_token(void)
{
    json_t *c = staff_claims();
    char *payload = json_dumps(c, JSON_COMPACT);
    char *t = craft(HEADER, payload);
    free(payload);
    json_decref(c);
    return t;
}

/* ---- issue ---- */

Test(token, an_issued_staff_token_verifies_with_its_claims)
{
    struct token_claims c = {.ctl = 3, .iat = now, .nbf = now, .exp = now + 900}, out;
    strcpy(c.sub, SUB), strcpy(c.sid, SID), strcpy(c.role, "caseworker");
    char *t = token_issue(&keys, &c);
    cr_assert_not_null(t);
    cr_assert_eq(token_verify(&keys, t, now, &out), TOKEN_OK);
    cr_assert_str_eq(out.sub, SUB);
    cr_assert_str_eq(out.sid, SID);
    cr_assert_str_eq(out.role, "caseworker");
    cr_assert_eq(out.ctl, 3);
    cr_assert_eq(out.exp, now + 900);
    cr_assert_eq(out.sv, 0);
    free(t);
}

Test(token, an_issued_partner_token_carries_the_secret_version)
{
    struct token_claims c = {.ctl = 0, .iat = now, .nbf = now, .exp = now + 900, .sv = 7}, out;
    strcpy(c.sub, SUB), strcpy(c.sid, SID), strcpy(c.role, "partner");
    char *t = token_issue(&keys, &c);
    cr_assert_eq(token_verify(&keys, t, now, &out), TOKEN_OK);
    cr_assert_eq(out.sv, 7);
    cr_assert_eq(out.ctl, 0);
    free(t);
}

Test(token, issued_tokens_name_their_key_and_always_have_a_low_s_signature)
{
    /* OpenSSL's s is uniform: without normalising, about half of 64 tokens would be high-S. */
    static const unsigned char half[32] = {
        0x7f, 0xff, 0xff, 0xff, 0x80, 0x00, 0x00, 0x00, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xde, 0x73, 0x7d, 0x56, 0xd3, 0x8b, 0xcf, 0x42, 0x79, 0xdc, 0xe5, 0x61, 0x7e, 0x31, 0x92, 0xa8};
    struct token_claims c = {.ctl = 3, .iat = now, .nbf = now, .exp = now + 900}, out;
    strcpy(c.sub, SUB), strcpy(c.sid, SID), strcpy(c.role, "intake");
    char with_kid[128];
    snprintf(with_kid, sizeof with_kid, "{\"alg\":\"ES256\",\"typ\":\"JWT\",\"kid\":\"%s\"}", keys.kid);
    char *header = b64(with_kid, strlen(with_kid));
    for (int i = 0; i < 64; i++) {
        char *t = token_issue(&keys, &c);
        unsigned char sig[65];
        cr_assert_eq(strncmp(t, header, strlen(header)), 0, "%s", t);
        cr_assert_eq(t[strlen(header)], '.');
        cr_assert_eq(crypto_b64url_decode(strrchr(t, '.') + 1, sig, sizeof sig), 64);
        cr_assert_leq(memcmp(sig + 32, half, 32), 0, "token %d has a high S", i);
        cr_assert_eq(token_verify(&keys, t, now, &out), TOKEN_OK);
        free(t);
    }
    free(header);
}

Test(token, a_token_crafted_here_with_the_right_key_verifies)
{
    char *t = good_token();
    cr_assert_eq(verify_text(t), TOKEN_OK);
    free(t);
}

Test(token, a_verify_only_key_set_verifies_but_cannot_issue)
{
    struct token_keys pub;
    char err[256];
    cr_assert(token_keys_load(&pub, NULL, pub_path, "crt", "crt-api", err, sizeof err), "%s", err);
    char *t = good_token();
    struct token_claims out, c = {.ctl = 3, .iat = now, .nbf = now, .exp = now + 900};
    cr_assert_eq(token_verify(&pub, t, now, &out), TOKEN_OK);
    strcpy(c.sub, SUB), strcpy(c.sid, SID), strcpy(c.role, "intake");
    cr_assert_null(token_issue(&pub, &c));
    token_keys_free(&pub);
    free(t);
}

Test(token, keys_that_do_not_belong_together_are_refused_at_load)
{
    EVP_PKEY *other = EVP_EC_gen("P-256");
    char other_pub[64], err[256];
    struct token_keys k;
    write_pem(other, false, other_pub);
    cr_assert_not(token_keys_load(&k, priv_path, other_pub, "crt", "crt-api", err, sizeof err));
    cr_assert_not_null(strstr(err, "is not the public key of"), "%s", err);
    unlink(other_pub);
    EVP_PKEY_free(other);
}

Test(token, a_key_on_another_curve_is_refused_at_load)
{
    EVP_PKEY *p384 = EVP_EC_gen("P-384");
    char path384[64], err[256];
    struct token_keys k;
    write_pem(p384, false, path384);
    cr_assert_not(token_keys_load(&k, NULL, path384, "crt", "crt-api", err, sizeof err));
    unlink(path384);
    EVP_PKEY_free(p384);
}

/* ---- the header ---- */

static enum token_result verify_header(const char *header)
{
    json_t *c = staff_claims();
    char *payload = json_dumps(c, JSON_COMPACT), *t = craft(header, payload);
    enum token_result r = verify_text(t);
    free(payload), free(t);
    json_decref(c);
    return r;
}

Test(token, lower_case_es256_is_refused)
{
    cr_assert_eq(verify_header("{\"alg\":\"es256\",\"typ\":\"JWT\"}"), TOKEN_MALFORMED);
}

Test(token, a_header_without_typ_is_refused)
{
    cr_assert_eq(verify_header("{\"alg\":\"ES256\"}"), TOKEN_MALFORMED);
}

Test(token, another_typ_is_refused)
{
    cr_assert_eq(verify_header("{\"alg\":\"ES256\",\"typ\":\"jwt\"}"), TOKEN_MALFORMED);
    cr_assert_eq(verify_header("{\"alg\":\"ES256\",\"typ\":\"at+jwt\"}"), TOKEN_MALFORMED);
}

Test(token, a_crit_header_is_refused)
{
    cr_assert_eq(verify_header("{\"alg\":\"ES256\",\"typ\":\"JWT\",\"crit\":[\"exp\"],\"exp\":1}"),
                 TOKEN_MALFORMED);
}

Test(token, an_unknown_kid_is_refused)
{
    cr_assert_eq(verify_header("{\"alg\":\"ES256\",\"typ\":\"JWT\",\"kid\":\"other-key\"}"),
                 TOKEN_MALFORMED);
}

Test(token, the_kid_of_our_key_is_accepted)
{
    /* RFC 7638 thumbprint, computed here independently of token.c. */
    BIGNUM *x = NULL, *y = NULL;
    unsigned char xb[32], yb[32], md[32];
    cr_assert(EVP_PKEY_get_bn_param(key, "qx", &x) && EVP_PKEY_get_bn_param(key, "qy", &y));
    BN_bn2binpad(x, xb, 32), BN_bn2binpad(y, yb, 32);
    char *xs = b64(xb, 32), *ys = b64(yb, 32), jwk[200], header[200];
    snprintf(jwk, sizeof jwk, "{\"crv\":\"P-256\",\"kty\":\"EC\",\"x\":\"%s\",\"y\":\"%s\"}", xs, ys);
    SHA256((const unsigned char *)jwk, strlen(jwk), md);
    char *kid = b64(md, 32);
    cr_assert_str_eq(keys.kid, kid);
    snprintf(header, sizeof header, "{\"alg\":\"ES256\",\"typ\":\"JWT\",\"kid\":\"%s\"}", kid);
    cr_assert_eq(verify_header(header), TOKEN_OK);
    BN_free(x), BN_free(y);
    free(xs), free(ys), free(kid);
}

Test(token, the_same_header_in_another_member_order_or_spacing_is_refused)
{
    cr_assert_eq(verify_header("{\"typ\":\"JWT\",\"alg\":\"ES256\"}"), TOKEN_MALFORMED);
    cr_assert_eq(verify_header("{\"alg\": \"ES256\", \"typ\": \"JWT\"}"), TOKEN_MALFORMED);
    cr_assert_eq(verify_header("{\"alg\":\"\\u0045S256\",\"typ\":\"JWT\"}"), TOKEN_MALFORMED);
}

Test(token, a_duplicate_alg_is_refused)
{
    cr_assert_eq(verify_header("{\"alg\":\"none\",\"alg\":\"ES256\",\"typ\":\"JWT\"}"),
                 TOKEN_MALFORMED);
}

Test(token, alg_none_without_a_signature_is_refused)
{
    json_t *c = staff_claims();
    char *payload = json_dumps(c, JSON_COMPACT);
    const char *none = "{\"alg\":\"none\",\"typ\":\"JWT\"}";
    char *h = b64(none, strlen(none)), *p = b64(payload, strlen(payload)), *t = join(h, p, "");
    cr_assert_eq(verify_text(t), TOKEN_MALFORMED);
    free(h), free(p), free(t), free(payload);
    json_decref(c);
}

Test(token, hs256_with_the_public_key_pem_as_secret_is_refused)
{
    json_t *c = staff_claims();
    char *payload = json_dumps(c, JSON_COMPACT);
    const char *hs = "{\"alg\":\"HS256\",\"typ\":\"JWT\"}";
    char *h = b64(hs, strlen(hs)), *p = b64(payload, strlen(payload)), *input = join(h, p, "");
    input[strlen(input) - 1] = '\0';
    unsigned char mac[32];
    unsigned maclen = 0;
    HMAC(EVP_sha256(), keys.pub, keys.pub_len, (const unsigned char *)input, strlen(input), mac, &maclen);
    char *s = b64(mac, maclen), *t = join(h, p, s);
    cr_assert_eq(verify_text(t), TOKEN_MALFORMED);
    free(h), free(p), free(input), free(s), free(t), free(payload);
    json_decref(c);
}

/* ---- the encoding ---- */

/* The token with `extra` inserted after segment `seg` (0 header, 1 payload, 2 signature). */
static char *append_to_segment(const char *t, int seg, const char *extra)
{
    const char *d1 = strchr(t, '.'), *d2 = strchr(d1 + 1, '.');
    const char *end = seg == 0 ? d1 : seg == 1 ? d2 : t + strlen(t);
    size_t n = strlen(t) + strlen(extra) + 1;
    char *out = malloc(n);
    snprintf(out, n, "%.*s%s%s", (int)(end - t), t, extra, end);
    return out;
}

Test(token, base64url_padding_is_refused_in_every_segment)
{
    char *t = good_token();
    for (int seg = 0; seg < 3; seg++) {
        char *padded = append_to_segment(t, seg, "=");
        cr_assert_eq(verify_text(padded), TOKEN_MALFORMED, "segment %d", seg);
        free(padded);
        padded = append_to_segment(t, seg, "==");
        cr_assert_eq(verify_text(padded), TOKEN_MALFORMED, "segment %d", seg);
        free(padded);
    }
    free(t);
}

Test(token, non_canonical_base64url_of_the_same_bytes_is_refused)
{
    /* A 64-byte signature is 86 characters whose last one carries 4 unused bits: setting one
     * of them decodes to the same bytes, so OpenSSL would verify it. */
    char *t = good_token();
    char *last = t + strlen(t) - 1;
    const char *alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    int v = (int)(strchr(alphabet, *last) - alphabet);
    *last = alphabet[v | 1];
    cr_assert_neq(v, v | 1, "the crafted last character has its low bit clear");
    cr_assert_eq(verify_text(t), TOKEN_MALFORMED);
    free(t);
}

Test(token, standard_base64_characters_are_refused)
{
    /* The header {"alg":"ES256","typ":"JWT"} happens to need no '+' or '/', so put one where
     * the encoded signature has '-' or '_', or prove the alphabet check on a changed one. */
    char *t = good_token();
    char *sig = strrchr(t, '.') + 1;
    for (char *c = sig; *c; c++)
        if (*c == '-' || *c == '_') {
            *c = *c == '-' ? '+' : '/';
            cr_assert_eq(verify_text(t), TOKEN_MALFORMED);
            free(t);
            return;
        }
    sig[0] = '+';
    cr_assert_eq(verify_text(t), TOKEN_MALFORMED);
    free(t);
}

Test(token, a_token_of_two_or_four_segments_is_refused)
{
    char *t = good_token();
    char *four = append_to_segment(t, 2, ".AAAA");
    cr_assert_eq(verify_text(four), TOKEN_MALFORMED);
    *strrchr(t, '.') = '\0';
    cr_assert_eq(verify_text(t), TOKEN_MALFORMED);
    cr_assert_eq(verify_text(""), TOKEN_MALFORMED);
    cr_assert_eq(verify_text(".."), TOKEN_MALFORMED);
    cr_assert_eq(token_verify(&keys, NULL, now, &(struct token_claims){0}), TOKEN_MALFORMED);
    free(four);
    free(t);
}

Test(token, a_token_longer_than_the_limit_is_refused_before_decoding)
{
    json_t *c = staff_claims();
    char pad[TOKEN_MAX_LENGTH];
    memset(pad, 'x', sizeof pad - 1);
    pad[sizeof pad - 1] = '\0';
    json_object_set_new(c, "pad", json_string(pad));
    char *payload = json_dumps(c, JSON_COMPACT), *t = craft(HEADER, payload);
    cr_assert_gt(strlen(t), TOKEN_MAX_LENGTH);
    cr_assert_eq(verify_text(t), TOKEN_MALFORMED);
    free(payload), free(t);
    json_decref(c);
}

/* ---- the signature ---- */

Test(token, the_high_s_twin_of_a_valid_signature_is_refused)
{
    json_t *c = staff_claims();
    char *payload = json_dumps(c, JSON_COMPACT);
    char *low = craft_with(key, HEADER, payload, LOW_S), *high = craft_with(key, HEADER, payload, HIGH_S);
    cr_assert_eq(verify_text(low), TOKEN_OK, "the low-S form is the one accepted");
    cr_assert_eq(verify_text(high), TOKEN_MALFORMED, "(r, n - s) verifies in OpenSSL, not here");
    free(low), free(high), free(payload);
    json_decref(c);
}

Test(token, the_high_s_twin_of_an_issued_token_is_refused)
{
    struct token_claims c = {.ctl = 3, .iat = now, .nbf = now, .exp = now + 900};
    strcpy(c.sub, SUB), strcpy(c.sid, SID), strcpy(c.role, "intake");
    char *t = token_issue(&keys, &c);
    char *dot = strrchr(t, '.');
    unsigned char sig[65];
    cr_assert_eq(crypto_b64url_decode(dot + 1, sig, sizeof sig), 64);
    BIGNUM *n = BN_bin2bn(P256_N, 32, NULL), *s = BN_bin2bn(sig + 32, 32, NULL), *twin = BN_new();
    BN_sub(twin, n, s);
    BN_bn2binpad(twin, sig + 32, 32);
    char *s64 = b64(sig, 64);
    *dot = '\0';
    char *forged = malloc(strlen(t) + strlen(s64) + 2);
    sprintf(forged, "%s.%s", t, s64);
    cr_assert_eq(verify_text(forged), TOKEN_MALFORMED);
    BN_free(n), BN_free(s), BN_free(twin);
    free(s64), free(forged), free(t);
}

Test(token, a_signature_by_another_key_is_refused)
{
    EVP_PKEY *other = EVP_EC_gen("P-256");
    json_t *c = staff_claims();
    char *payload = json_dumps(c, JSON_COMPACT), *t = craft_with(other, HEADER, payload, LOW_S);
    cr_assert_eq(verify_text(t), TOKEN_MALFORMED);
    free(payload), free(t);
    json_decref(c);
    EVP_PKEY_free(other);
}

Test(token, a_changed_payload_is_refused)
{
    char *t = good_token();
    json_t *c = staff_claims();
    json_object_set_new(c, "role", json_string("admin"));
    char *payload = json_dumps(c, JSON_COMPACT), *p = b64(payload, strlen(payload));
    const char *d1 = strchr(t, '.'), *d2 = strrchr(t, '.');
    char *forged = malloc(strlen(t) + strlen(p) + 2);
    sprintf(forged, "%.*s.%s%s", (int)(d1 - t), t, p, d2);
    cr_assert_eq(verify_text(forged), TOKEN_MALFORMED);
    free(t), free(payload), free(p), free(forged);
    json_decref(c);
}

Test(token, a_signature_of_the_wrong_length_or_zero_is_refused)
{
    char *t = good_token();
    unsigned char sig[66];
    cr_assert_eq(crypto_b64url_decode(strrchr(t, '.') + 1, sig, sizeof sig), 64);
    *strrchr(t, '.') = '\0';
    const size_t lens[] = {63, 65, 0};
    for (size_t i = 0; i < 3; i++) {
        char *s = b64(sig, lens[i]), *forged = malloc(strlen(t) + strlen(s) + 2);
        sprintf(forged, "%s.%s", t, s);
        cr_assert_eq(verify_text(forged), TOKEN_MALFORMED, "length %zu", lens[i]);
        free(s), free(forged);
    }
    memset(sig, 0, 64);
    char *s = b64(sig, 64), *forged = malloc(strlen(t) + strlen(s) + 2);
    sprintf(forged, "%s.%s", t, s);
    cr_assert_eq(verify_text(forged), TOKEN_MALFORMED, "r = s = 0");
    free(s), free(forged), free(t);
}

/* ---- the claims ---- */

Test(token, a_wrong_issuer_is_refused)
{
    cr_assert_eq(verify_with(staff_claims(), "iss", json_string("evil")), TOKEN_BAD_CLAIMS);
}

Test(token, a_missing_issuer_is_refused)
{
    cr_assert_eq(verify_with(staff_claims(), "iss", NULL), TOKEN_BAD_CLAIMS);
}

Test(token, a_wrong_audience_is_refused)
{
    cr_assert_eq(verify_with(staff_claims(), "aud", json_string("someone-else")), TOKEN_BAD_CLAIMS);
}

Test(token, an_audience_array_is_refused)
{
    cr_assert_eq(verify_with(staff_claims(), "aud", json_pack("[s]", "crt-api")), TOKEN_BAD_CLAIMS);
}

Test(token, a_subject_that_is_not_a_uuid_is_refused)
{
    cr_assert_eq(verify_with(staff_claims(), "sub", json_string("atlas.intake")), TOKEN_BAD_CLAIMS);
}

Test(token, a_missing_subject_is_refused)
{
    cr_assert_eq(verify_with(staff_claims(), "sub", NULL), TOKEN_BAD_CLAIMS);
}

Test(token, a_missing_or_malformed_session_id_is_refused)
{
    cr_assert_eq(verify_with(staff_claims(), "sid", NULL), TOKEN_BAD_CLAIMS);
    cr_assert_eq(verify_with(staff_claims(), "sid", json_string("not-a-session")), TOKEN_BAD_CLAIMS);
}

Test(token, a_staff_controller_out_of_range_is_refused)
{
    cr_assert_eq(verify_with(staff_claims(), "ctl", json_integer(0)), TOKEN_BAD_CLAIMS);
    cr_assert_eq(verify_with(staff_claims(), "ctl", json_integer(32768)), TOKEN_BAD_CLAIMS);
    cr_assert_eq(verify_with(staff_claims(), "ctl", json_integer(-3)), TOKEN_BAD_CLAIMS);
}

Test(token, a_controller_as_a_string_is_refused)
{
    cr_assert_eq(verify_with(staff_claims(), "ctl", json_string("3")), TOKEN_BAD_CLAIMS);
}

Test(token, a_controller_as_a_real_is_refused)
{
    cr_assert_eq(verify_with(staff_claims(), "ctl", json_real(3.0)), TOKEN_BAD_CLAIMS);
}

Test(token, an_unknown_role_is_refused)
{
    cr_assert_eq(verify_with(staff_claims(), "role", json_string("root")), TOKEN_BAD_CLAIMS);
}

Test(token, staff_amr_must_be_password_and_code)
{
    cr_assert_eq(verify_with(staff_claims(), "amr", json_pack("[s]", "pwd")), TOKEN_BAD_CLAIMS);
    cr_assert_eq(verify_with(staff_claims(), "amr", json_pack("[s,s]", "otp", "pwd")), TOKEN_BAD_CLAIMS);
    cr_assert_eq(verify_with(staff_claims(), "amr", json_pack("[s]", "client")), TOKEN_BAD_CLAIMS);
    cr_assert_eq(verify_with(staff_claims(), "amr", json_string("pwd otp")), TOKEN_BAD_CLAIMS);
    cr_assert_eq(verify_with(staff_claims(), "amr", NULL), TOKEN_BAD_CLAIMS);
}

Test(token, a_partner_token_verifies)
{
    cr_assert_eq(verify_with(partner_claims(), NULL, NULL), TOKEN_OK);
}

Test(token, partner_amr_must_be_client)
{
    cr_assert_eq(verify_with(partner_claims(), "amr", json_pack("[s,s]", "pwd", "otp")), TOKEN_BAD_CLAIMS);
}

Test(token, a_partner_token_naming_a_controller_is_refused)
{
    cr_assert_eq(verify_with(partner_claims(), "ctl", json_integer(3)), TOKEN_BAD_CLAIMS);
}

Test(token, a_partner_token_without_a_secret_version_is_refused)
{
    cr_assert_eq(verify_with(partner_claims(), "sv", NULL), TOKEN_BAD_CLAIMS);
    cr_assert_eq(verify_with(partner_claims(), "sv", json_integer(0)), TOKEN_BAD_CLAIMS);
    cr_assert_eq(verify_with(partner_claims(), "sv", json_string("2")), TOKEN_BAD_CLAIMS);
}

Test(token, a_staff_token_with_a_secret_version_is_refused)
{
    cr_assert_eq(verify_with(staff_claims(), "sv", json_integer(1)), TOKEN_BAD_CLAIMS);
}

Test(token, an_expired_token_is_refused)
{
    json_t *c = staff_claims();
    json_object_set_new(c, "iat", json_integer(now - 1000));
    json_object_set_new(c, "nbf", json_integer(now - 1000));
    cr_assert_eq(verify_with(c, "exp", json_integer(now - TOKEN_CLOCK_SKEW)), TOKEN_EXPIRED);
}

Test(token, a_token_just_within_the_clock_skew_is_accepted)
{
    json_t *c = staff_claims();
    json_object_set_new(c, "iat", json_integer(now - 1000));
    json_object_set_new(c, "nbf", json_integer(now - 1000));
    cr_assert_eq(verify_with(c, "exp", json_integer(now - TOKEN_CLOCK_SKEW + 1)), TOKEN_OK);
}

Test(token, a_token_not_yet_valid_is_refused)
{
    cr_assert_eq(verify_with(staff_claims(), "nbf", json_integer(now + TOKEN_CLOCK_SKEW + 1)),
                 TOKEN_NOT_YET);
}

Test(token, a_token_issued_in_the_future_is_refused)
{
    json_t *c = staff_claims();
    json_object_set_new(c, "exp", json_integer(now + 2000));
    cr_assert_eq(verify_with(c, "iat", json_integer(now + TOKEN_CLOCK_SKEW + 1)), TOKEN_NOT_YET);
}

Test(token, a_token_expiring_before_it_was_issued_is_refused)
{
    cr_assert_eq(verify_with(staff_claims(), "exp", json_integer(now)), TOKEN_BAD_CLAIMS);
}

Test(token, a_token_living_longer_than_a_day_is_refused)
{
    cr_assert_eq(verify_with(staff_claims(), "exp", json_integer(now + 24 * 3600 + 1)),
                 TOKEN_BAD_CLAIMS);
}

Test(token, missing_times_are_refused)
{
    cr_assert_eq(verify_with(staff_claims(), "iat", NULL), TOKEN_BAD_CLAIMS);
    cr_assert_eq(verify_with(staff_claims(), "nbf", NULL), TOKEN_BAD_CLAIMS);
    cr_assert_eq(verify_with(staff_claims(), "exp", NULL), TOKEN_BAD_CLAIMS);
}

Test(token, a_time_as_a_string_or_real_is_refused)
{
    cr_assert_eq(verify_with(staff_claims(), "exp", json_string("9999999999")), TOKEN_BAD_CLAIMS);
    cr_assert_eq(verify_with(staff_claims(), "exp", json_real((double)now + 900)), TOKEN_BAD_CLAIMS);
}

Test(token, a_duplicate_claim_is_refused)
{
    json_t *c = staff_claims();
    char *payload = json_dumps(c, JSON_COMPACT);
    /* {"role":"admin", ...,"role":"coordinator"}: which one wins must not be a question */
    char *dup = malloc(strlen(payload) + 32);
    sprintf(dup, "{\"role\":\"admin\",%s", payload + 1);
    char *t = craft(HEADER, dup);
    cr_assert_eq(verify_text(t), TOKEN_BAD_CLAIMS);
    free(payload), free(dup), free(t);
    json_decref(c);
}

Test(token, a_payload_that_is_not_an_object_is_refused)
{
    char *t = craft(HEADER, "[\"crt\"]");
    cr_assert_eq(verify_text(t), TOKEN_BAD_CLAIMS);
    free(t);
    t = craft(HEADER, "not json");
    cr_assert_eq(verify_text(t), TOKEN_BAD_CLAIMS);
    free(t);
}

Test(token, a_claim_holding_a_nul_is_refused)
{
    json_t *c = staff_claims();
    char *payload = json_dumps(c, JSON_COMPACT);
    char *p = strstr(payload, "\"coordinator\"");
    char *nul = malloc(strlen(payload) + 16);
    sprintf(nul, "%.*s\"coordinator\\u0000x\"%s", (int)(p - payload), payload, p + strlen("\"coordinator\""));
    char *t = craft(HEADER, nul);
    cr_assert_eq(verify_text(t), TOKEN_BAD_CLAIMS);
    free(payload), free(nul), free(t);
    json_decref(c);
}

/* ---- key rotation: several public keys, each token naming its key ---- */

/* A public key file holding the public keys of a and b (b may be NULL), in that order. */
static void write_public_keys(EVP_PKEY *a, EVP_PKEY *b, char *path)
{
    snprintf(path, 64, "/tmp/crt-token-XXXXXX");
    int fd = mkstemp(path);
    cr_assert_geq(fd, 0);
    FILE *f = fdopen(fd, "w");
    cr_assert(PEM_write_PUBKEY(f, a) && (b == NULL || PEM_write_PUBKEY(f, b)));
    fclose(f);
}

static char *issue_with(const struct token_keys *k)
{
    struct token_claims c = {.ctl = 3, .iat = now, .nbf = now, .exp = now + 900};
    strcpy(c.sub, SUB), strcpy(c.sid, SID), strcpy(c.role, "intake");
    char *t = token_issue(k, &c);
    cr_assert_not_null(t);
    return t;
}

Test(token, during_a_rotation_tokens_of_the_old_and_the_new_key_both_verify)
{
    EVP_PKEY *next = EVP_EC_gen("P-256");
    char next_priv[64], both[64], err[256];
    struct token_keys old_signer, new_signer;
    struct token_claims out;
    write_pem(next, true, next_priv);
    write_public_keys(key, next, both);
    /* Step 1: every instance accepts both keys, still signing with the old one. */
    cr_assert(token_keys_load(&old_signer, priv_path, both, "crt", "crt-api", err, sizeof err), "%s", err);
    cr_assert_str_eq(old_signer.kid, keys.kid, "the signing key is found among the public keys");
    /* Step 2: instances switch one by one to the new private key. */
    cr_assert(token_keys_load(&new_signer, next_priv, both, "crt", "crt-api", err, sizeof err), "%s", err);
    cr_assert_str_neq(new_signer.kid, old_signer.kid);
    char *old_token = issue_with(&keys), *new_token = issue_with(&new_signer);
    cr_assert_eq(token_verify(&new_signer, old_token, now, &out), TOKEN_OK,
                 "a token of the old key lives on until its expiry");
    cr_assert_eq(token_verify(&old_signer, new_token, now, &out), TOKEN_OK,
                 "an instance not yet switched accepts the new key's tokens");
    cr_assert_eq(token_verify(&keys, new_token, now, &out), TOKEN_MALFORMED,
                 "without the new public key the new token is refused");
    free(old_token), free(new_token);
    token_keys_free(&old_signer), token_keys_free(&new_signer);
    unlink(next_priv), unlink(both);
    EVP_PKEY_free(next);
}

Test(token, after_the_old_public_key_is_removed_its_tokens_are_refused)
{
    EVP_PKEY *next = EVP_EC_gen("P-256");
    char next_priv[64], next_pub[64], err[256];
    struct token_keys after;
    struct token_claims out;
    write_pem(next, true, next_priv);
    write_public_keys(next, NULL, next_pub);
    char *old_token = issue_with(&keys);
    cr_assert_eq(token_verify(&keys, old_token, now, &out), TOKEN_OK);
    /* Step 3: the old public key leaves the file (after the longest token lifetime). */
    cr_assert(token_keys_load(&after, next_priv, next_pub, "crt", "crt-api", err, sizeof err), "%s", err);
    cr_assert_eq(token_verify(&after, old_token, now, &out), TOKEN_MALFORMED);
    /* A kid-less token (an earlier version's) of the old key is refused too. */
    char *t = good_token();
    cr_assert_eq(token_verify(&after, t, now, &out), TOKEN_MALFORMED);
    free(t), free(old_token);
    token_keys_free(&after);
    unlink(next_priv), unlink(next_pub);
    EVP_PKEY_free(next);
}

Test(token, a_public_key_file_without_the_signing_key_is_refused_at_load)
{
    EVP_PKEY *a = EVP_EC_gen("P-256"), *b = EVP_EC_gen("P-256");
    char two[64], err[256];
    struct token_keys k;
    write_public_keys(a, b, two);
    cr_assert_not(token_keys_load(&k, priv_path, two, "crt", "crt-api", err, sizeof err));
    cr_assert_not_null(strstr(err, "is not the public key of"), "%s", err);
    unlink(two);
    EVP_PKEY_free(a), EVP_PKEY_free(b);
}
