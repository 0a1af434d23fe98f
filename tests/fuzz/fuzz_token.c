/* libFuzzer target: the bearer-token verifier (common/token.c) with a key pair generated at
 * start. Input: one mode byte, then a raw token, or a payload (and optionally a header) that
 * the harness signs with the real key — so the claim and header checks behind the signature
 * are reached too. A token that verifies must carry claims of the promised shape. */
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stdbool.h>
#include <stdio.h>
#include <unistd.h>

#include "crt/crypto.h"
#include "crt/token.h"
#include "crt/validate.h"
#include "fuzz.h"

#define NOW 1800000000L /* fixed, so that a crash reproduces */

static struct token_keys keys;
static EVP_PKEY *pkey;

/* Writes the PEM that bio holds to a new private temporary file (mode 0600, as token_keys_load
 * requires of a private key) and returns its malloc'ed path. */
static char *pem_file(BIO *b)
{
    char *p, *path = strdup("/tmp/crt-fuzz-token-XXXXXX");
    long n = BIO_get_mem_data(b, &p);
    int fd = path ? mkstemp(path) : -1;
    FUZZ_ASSERT(n > 0 && fd >= 0 && write(fd, p, (size_t)n) == n);
    close(fd);
    BIO_free(b);
    return path;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    pkey = EVP_EC_gen("P-256");
    BIO *priv = BIO_new(BIO_s_mem()), *pub = BIO_new(BIO_s_mem());
    FUZZ_ASSERT(pkey && priv && pub);
    FUZZ_ASSERT(PEM_write_bio_PrivateKey(priv, pkey, NULL, NULL, 0, NULL, NULL) == 1);
    FUZZ_ASSERT(PEM_write_bio_PUBKEY(pub, pkey) == 1);
    char *priv_path = pem_file(priv), *pub_path = pem_file(pub), err[256];
    FUZZ_ASSERT(token_keys_load(&keys, priv_path, pub_path, "crt", "crt-api", err, sizeof err));
    unlink(priv_path);
    unlink(pub_path);
    free(priv_path);
    free(pub_path);
    /* The harness is only useful if a real token verifies. */
    struct token_claims c = {.ctl = 1, .iat = NOW, .nbf = NOW, .exp = NOW + 900}, got;
    snprintf(c.sub, sizeof c.sub, "11111111-1111-1111-1111-111111111111");
    snprintf(c.sid, sizeof c.sid, "22222222-2222-2222-2222-222222222222");
    snprintf(c.role, sizeof c.role, "caseworker");
    char *t = token_issue(&keys, &c);
    FUZZ_ASSERT(t != NULL && token_verify(&keys, t, NOW, &got) == TOKEN_OK);
    free(t);
    return 0;
}

/* ES256 over signing_input: the JWS form of the signature, r || s, 32 bytes each. */
static bool sign(const char *signing_input, unsigned char sig[64])
{
    unsigned char der[80];
    size_t derlen = sizeof der;
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    bool ok = md && EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, pkey) == 1 &&
              EVP_DigestSign(md, der, &derlen, (const unsigned char *)signing_input,
                             strlen(signing_input)) == 1;
    EVP_MD_CTX_free(md);
    const unsigned char *p = der;
    ECDSA_SIG *es = ok ? d2i_ECDSA_SIG(NULL, &p, (long)derlen) : NULL;
    ok = es && BN_bn2binpad(ECDSA_SIG_get0_r(es), sig, 32) == 32 &&
         BN_bn2binpad(ECDSA_SIG_get0_s(es), sig + 32, 32) == 32;
    ECDSA_SIG_free(es);
    return ok;
}

/* header.payload.signature for the given JSON texts, signed with the real key; NULL when the
 * texts are too long for a bearer token anyway. */
static char *signed_token(const char *header, size_t hlen, const char *payload, size_t plen)
{
    size_t cap = 4 * (hlen + plen) / 3 + 100;
    char *t = malloc(cap);
    unsigned char sig[64];
    FUZZ_ASSERT(t != NULL);
    size_t n = crypto_b64url_encode((const unsigned char *)header, hlen, t, cap);
    t[n++] = '.';
    n += crypto_b64url_encode((const unsigned char *)payload, plen, t + n, cap - n);
    t[n] = '\0';
    FUZZ_ASSERT(sign(t, sig));
    t[n++] = '.';
    crypto_b64url_encode(sig, sizeof sig, t + n, cap - n);
    return t;
}

static void check(const char *token)
{
    struct token_claims c;
    enum token_result r = token_verify(&keys, token, NOW, &c);
    if (r != TOKEN_OK)
        return;
    FUZZ_ASSERT(validate_uuid(c.sub) && validate_uuid(c.sid) && c.role[0] != '\0');
    FUZZ_ASSERT(c.exp > c.iat && c.exp > NOW - TOKEN_CLOCK_SKEW);
    FUZZ_ASSERT(strcmp(c.role, "partner") == 0 ? c.ctl == 0 : c.ctl >= 1);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > 4 * TOKEN_MAX_LENGTH)
        return 0;
    char *s = fuzz_cstring(data + 1, size - 1), *t = NULL;
    const char *nl = strchr(s, '\n');
    switch (data[0] % 3) {
    case 0: check(s); break;
    case 1: t = token_sign(&keys, s); break; /* the one header, low S: claims are reached */
    default:
        if (nl)
            t = signed_token(s, (size_t)(nl - s), nl + 1, strlen(nl + 1));
        break;
    }
    if (t)
        check(t);
    free(t);
    free(s);
    return 0;
}
