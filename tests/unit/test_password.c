/* Unit: scrypt password hashes (format, strict parsing, parameters, rehash) and the password
 * policy. Fast parameters (ln=10) except one test at the production cost. */
#include <criterion/criterion.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>

#include "crt/crypto.h"
#include "crt/password.h"

static const struct password_params FAST = {.log2n = 10, .r = 8, .p = 1};
static const char PW[] = "correct horse battery staple";

/* A stored hash built independently of password.c (EVP_PBE_scrypt, any parameters). */
static void make_stored(const char *pw, int ln, int r, int p, char out[PASSWORD_HASH_MAX])
{
    const unsigned char salt[16] = "0123456789abcdef";
    unsigned char dk[32];
    char s64[32], d64[64];
    cr_assert(EVP_PBE_scrypt(pw, strlen(pw), salt, sizeof salt, 1ull << ln, (uint64_t)r,
                             (uint64_t)p, 64u << 20, dk, sizeof dk) == 1);
    cr_assert_eq(crypto_b64url_encode(salt, sizeof salt, s64, sizeof s64), 22);
    cr_assert_eq(crypto_b64url_encode(dk, sizeof dk, d64, sizeof d64), 43);
    snprintf(out, PASSWORD_HASH_MAX, "$scrypt$ln=%d,r=%d,p=%d$%s$%s", ln, r, p, s64, d64);
}

Test(password, hash_then_verify_round_trips)
{
    char h[PASSWORD_HASH_MAX];
    bool rehash = true;
    cr_assert(password_hash(PW, FAST, h));
    cr_assert(strncmp(h, "$scrypt$ln=10,r=8,p=1$", 22) == 0, "%s", h);
    cr_assert(password_verify(PW, h, FAST, &rehash));
    cr_assert_not(rehash);
}

Test(password, verify_agrees_with_an_independent_scrypt)
{
    char h[PASSWORD_HASH_MAX];
    make_stored(PW, 10, 8, 1, h);
    cr_assert(password_verify(PW, h, FAST, NULL), "%s", h);
}

Test(password, wrong_password_fails)
{
    char h[PASSWORD_HASH_MAX];
    bool rehash = true;
    cr_assert(password_hash(PW, FAST, h));
    cr_assert_not(password_verify("correct horse battery stapler", h, FAST, &rehash));
    cr_assert_not(password_verify("", h, FAST, &rehash));
    cr_assert_not(rehash, "no rehash advice without a successful verification");
}

Test(password, tampered_hash_fails)
{
    char h[PASSWORD_HASH_MAX], t[PASSWORD_HASH_MAX];
    cr_assert(password_hash(PW, FAST, h));
    size_t len = strlen(h);
    size_t salt_at = strlen("$scrypt$ln=10,r=8,p=1$"), dk_at = len - 43;
    size_t at[] = {salt_at, salt_at + 10, dk_at, dk_at + 20, len - 2};
    for (size_t i = 0; i < sizeof at / sizeof at[0]; i++) {
        memcpy(t, h, len + 1);
        t[at[i]] = t[at[i]] == 'A' ? 'B' : 'A';
        cr_assert_not(password_verify(PW, t, FAST, NULL), "changed at %zu: %s", at[i], t);
    }
    memcpy(t, h, len + 1);
    t[11] = '1', t[12] = '1'; /* ln=11: same salt and hash, other parameters */
    cr_assert_not(password_verify(PW, t, FAST, NULL));
}

/* Each of these would verify under a lenient parser (same parameters, salt and hash). */
Test(password, non_canonical_forms_of_a_valid_hash_fail)
{
    char h[PASSWORD_HASH_MAX], t[PASSWORD_HASH_MAX * 2];
    make_stored(PW, 10, 8, 1, h);
    const char *rest = h + strlen("$scrypt$ln=10,r=8,p=1$");
    const char *forms[] = {"%s\n", " %s", "%s$", "%s=", "%s "};
    for (size_t i = 0; i < sizeof forms / sizeof forms[0]; i++) {
        snprintf(t, sizeof t, forms[i], h);
        cr_assert_not(password_verify(PW, t, FAST, NULL), "%s", t);
    }
    const char *params[] = {"$scrypt$ln=010,r=8,p=1$", "$scrypt$ln=10,r=08,p=1$",
                            "$scrypt$ln=10,r=8,p=+1$", "$scrypt$ln=10, r=8,p=1$",
                            "$SCRYPT$ln=10,r=8,p=1$",  "$scrypt$ln=10,r=8,p=1,$",
                            "$scrypt$r=8,ln=10,p=1$",  "$scrypt$ln=10,r=8$",
                            "scrypt$ln=10,r=8,p=1$",   "$scrypt$$ln=10,r=8,p=1$"};
    for (size_t i = 0; i < sizeof params / sizeof params[0]; i++) {
        snprintf(t, sizeof t, "%s%s", params[i], rest);
        cr_assert_not(password_verify(PW, t, FAST, NULL), "%s", t);
    }
    snprintf(t, sizeof t, "$scrypt$ln=10,r=8,p=1$%s", rest);
    cr_assert(password_verify(PW, t, FAST, NULL), "the control case verifies");
}

Test(password, malformed_stored_strings_fail)
{
    const char *bad[] = {
        "",
        "$scrypt$",
        "$scrypt$ln=10,r=8,p=1$",
        "$scrypt$ln=10,r=8,p=1$MDEyMzQ1Njc4OWFiY2RlZg$",
        "$scrypt$ln=10,r=8,p=1$$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "$scrypt$ln=10,r=8,p=1$MDEyMzQ1Njc4OWFiY2RlZg$AAAA",
        "$scrypt$ln=10,r=8,p=1$MDEyMzQ1Njc4OWFiY2Rl$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "$scrypt$ln=10,r=8,p=1$MDEyMzQ1Njc4OWFiY2RlZg==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "$scrypt$ln=10,r=8,p=1$MDEyMzQ1Njc4OWFiY2RlZg$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA*",
        "$2b$12$R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW",
        "$scrypt$ln=23,r=8,p=1$MDEyMzQ1Njc4OWFiY2RlZg$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "$scrypt$ln=10,r=8,p=0$MDEyMzQ1Njc4OWFiY2RlZg$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "$scrypt$ln=10,r=0,p=1$MDEyMzQ1Njc4OWFiY2RlZg$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "$scrypt$ln=-10,r=8,p=1$MDEyMzQ1Njc4OWFiY2RlZg$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        cr_assert_not(password_verify(PW, bad[i], FAST, NULL), "%s", bad[i]);
}

/* Real scrypt outputs with parameters outside the accepted ranges are refused all the same. */
Test(password, parameters_out_of_range_fail)
{
    char h[PASSWORD_HASH_MAX];
    make_stored(PW, 9, 8, 1, h);
    cr_assert_not(password_verify(PW, h, FAST, NULL), "ln below 10: %s", h);
    make_stored(PW, 10, 33, 1, h);
    cr_assert_not(password_verify(PW, h, FAST, NULL), "r above 32: %s", h);
    make_stored(PW, 10, 1, 17, h);
    cr_assert_not(password_verify(PW, h, FAST, NULL), "p above 16: %s", h);
    make_stored(PW, 10, 32, 16, h);
    cr_assert(password_verify(PW, h, FAST, NULL), "the upper bounds of r and p are accepted");
}

Test(password, hash_refuses_parameters_out_of_range)
{
    char h[PASSWORD_HASH_MAX];
    cr_assert_not(password_hash(PW, (struct password_params){9, 8, 1}, h));
    cr_assert_not(password_hash(PW, (struct password_params){23, 8, 1}, h));
    cr_assert_not(password_hash(PW, (struct password_params){10, 0, 1}, h));
    cr_assert_not(password_hash(PW, (struct password_params){10, 8, 17}, h));
    cr_assert_not(password_hash(PW, (struct password_params){10, 33, 1}, h));
    cr_assert_not(password_hash(PW, (struct password_params){10, 8, 0}, h));
    cr_assert(password_hash(PW, (struct password_params){10, 32, 16}, h), "upper bounds");
}

Test(password, needs_rehash_when_stored_parameters_are_weaker)
{
    char h[PASSWORD_HASH_MAX];
    bool rehash = false;
    cr_assert(password_hash(PW, FAST, h));
    cr_assert(password_verify(PW, h, (struct password_params){12, 8, 1}, &rehash));
    cr_assert(rehash, "ln 10 < 12");
    cr_assert(password_verify(PW, h, (struct password_params){10, 16, 1}, &rehash));
    cr_assert(rehash, "r differs");
    cr_assert(password_verify(PW, h, (struct password_params){10, 8, 2}, &rehash));
    cr_assert(rehash, "p differs");
    cr_assert(password_verify(PW, h, (struct password_params){10, 8, 1}, &rehash));
    cr_assert_not(rehash);
    cr_assert(password_verify(PW, h, (struct password_params){9, 8, 1}, &rehash));
    cr_assert_not(rehash, "stronger than wanted is kept");
}

/* Production cost (~128 MiB): proves the maxmem_bytes we pass lets OpenSSL run ln=17, r=8. */
Test(password, default_parameters_hash_and_verify, .timeout = 60)
{
    char h[PASSWORD_HASH_MAX];
    bool rehash = true;
    struct password_params d = password_default_params();
    cr_assert_eq(d.log2n, 17);
    cr_assert_eq(d.r, 8);
    cr_assert_eq(d.p, 1);
    cr_assert(password_hash(PW, d, h));
    cr_assert(strncmp(h, "$scrypt$ln=17,r=8,p=1$", 22) == 0, "%s", h);
    cr_assert_eq(strlen(h), 22 + 22 + 1 + 43);
    cr_assert(password_verify(PW, h, d, &rehash));
    cr_assert_not(rehash);
}

Test(password, two_hashes_of_one_password_differ)
{
    char a[PASSWORD_HASH_MAX], b[PASSWORD_HASH_MAX];
    cr_assert(password_hash(PW, FAST, a));
    cr_assert(password_hash(PW, FAST, b));
    cr_assert_str_neq(a, b);
    cr_assert(strncmp(a, b, 22 + 22) != 0, "the salts differ");
}

Test(password, policy_requires_12_characters)
{
    cr_assert_str_eq(password_policy("abcdefghijk", "atlas"), "must be at least 12 characters");
    cr_assert_null(password_policy("abcdefghijkl", "atlas"));
    cr_assert_str_eq(password_policy("", "atlas"), "must be at least 12 characters");
}

Test(password, policy_counts_characters_not_bytes)
{
    /* 12 and 11 Cyrillic letters: 24 and 22 bytes. */
    cr_assert_null(password_policy("\u0430\u0431\u0432\u0433\u0434\u0435\u0436\u0437\u0438"
                                   "\u0439\u043a\u043b",
                                   "atlas"));
    cr_assert_str_eq(password_policy("\u0430\u0431\u0432\u0433\u0434\u0435\u0436\u0437\u0438"
                                     "\u0439\u043a",
                                     "atlas"),
                     "must be at least 12 characters");
}

Test(password, policy_refuses_the_username_in_any_case)
{
    cr_assert_str_eq(password_policy("ATLAS.Intake", "atlas.intake"), "must not be the username");
    cr_assert_str_eq(password_policy("atlas.intake", "atlas.intake"), "must not be the username");
    cr_assert_null(password_policy("atlas.intake1", "atlas.intake"));
    cr_assert_null(password_policy("atlas.intake", NULL));
}

Test(password, policy_refuses_control_characters)
{
    cr_assert_str_eq(password_policy("correct\thorse battery", "atlas"),
                     "must not contain control characters");
    cr_assert_str_eq(password_policy("correct horse battery\n", "atlas"),
                     "must not contain control characters");
    cr_assert_str_eq(password_policy("correct horse\x7f battery", "atlas"),
                     "must not contain control characters");
    cr_assert_str_eq(password_policy("correct horse\xc2\x85 battery", "atlas"),
                     "must not contain control characters");
}

Test(password, policy_limits_bytes_and_requires_utf8)
{
    char pw[300];
    memset(pw, 'a', 256);
    pw[256] = '\0';
    cr_assert_null(password_policy(pw, "atlas"));
    pw[256] = 'a', pw[257] = '\0';
    cr_assert_str_eq(password_policy(pw, "atlas"), "must be at most 256 bytes");
    cr_assert_str_eq(password_policy("correct horse \xff battery", "atlas"),
                     "must be valid UTF-8");
    cr_assert_str_eq(password_policy("correct horse \xc0\xaf battery", "atlas"),
                     "must be valid UTF-8", "overlong encoding");
}

/* ---- "refused without trying" ----
 * password_probe verifies a hash in a fresh process whose OpenSSL allocations are watched from
 * its first one (CRYPTO_set_mem_functions must precede any; a Criterion test process is too
 * late) and reports the largest request and the time taken. Requests above 256 MiB are
 * refused there, so an attempt on code that derives first is seen, and fails fast. */
struct probe {
    int verified;
    size_t largest;
    double seconds;
};

static struct probe probe(const char *password, const char *stored)
{
    struct probe p = {-1, 0, -1};
    char cmd[512];
    snprintf(cmd, sizeof cmd, "%s '%s' '%s'", PASSWORD_PROBE_BIN, password, stored);
    FILE *f = popen(cmd, "r");
    cr_assert_not_null(f);
    cr_assert_eq(fscanf(f, "%d %zu %lf", &p.verified, &p.largest, &p.seconds), 3, "%s", cmd);
    cr_assert_eq(pclose(f), 0);
    return p;
}

/* Each passes the per-parameter ranges (ln 10..22, r 1..32, p 1..16) but needs more than
 * 1 GiB: 128·r·(2^ln + 2) + 128·r·p bytes. */
static const char *const hostile[] = {
    "$scrypt$ln=22,r=32,p=1$",  /* 16 GiB */
    "$scrypt$ln=22,r=32,p=16$", /* 16 GiB, and 16 passes */
    "$scrypt$ln=21,r=16,p=1$",  /* 4 GiB */
    "$scrypt$ln=20,r=16,p=4$",  /* 2 GiB */
    "$scrypt$ln=22,r=2,p=1$",   /* 1 GiB + 768 bytes: just over the cap */
    "$scrypt$ln=20,r=8,p=1$",   /* 1 GiB + 3 KiB */
};

Test(password, a_stored_hash_asking_for_too_much_memory_is_refused_without_trying, .timeout = 30)
{
    char h[PASSWORD_HASH_MAX];
    for (size_t i = 0; i < sizeof hostile / sizeof hostile[0]; i++) {
        snprintf(h, sizeof h, "%sAAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
                 hostile[i]);
        struct probe p = probe(PW, h);
        cr_assert_eq(p.verified, 0, "%s", h);
        cr_assert_lt(p.largest, (size_t)1 << 20,
                     "%s made OpenSSL ask for %zu bytes: it was derived, not refused", hostile[i],
                     p.largest);
        cr_assert_lt(p.seconds, 0.1, "%s took %.3f s to refuse", hostile[i], p.seconds);
    }
}

/* The control: the probe does see scrypt's working memory (ln=14, r=8: 16 MiB). */
Test(password, the_allocation_probe_sees_a_real_derivation, .timeout = 30)
{
    char h[PASSWORD_HASH_MAX];
    make_stored(PW, 14, 8, 1, h);
    struct probe p = probe(PW, h);
    cr_assert_eq(p.verified, 1, "%s", h);
    cr_assert_geq(p.largest, (size_t)16 << 20, "the probe saw %zu bytes", p.largest);
}
