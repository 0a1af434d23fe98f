/* Unit: TOTP codes against the RFC 6238 / RFC 4226 vectors, checking with a ±1 step window and
 * replay refusal, the enrolment URI, base32 secrets, and recovery codes. */
#include <criterion/criterion.h>
#include <string.h>

#include "crt/totp.h"

static const unsigned char RFC_SECRET[] = "12345678901234567890"; /* 20 bytes, RFC 6238 SHA-1 */
#define RFC_LEN 20

/* A fixed time in the middle of a step, so that ±30 s stays in the neighbouring steps. */
static const time_t NOW = 1700000000 + 15 - 1700000000 % 30;

static void init(void)
{
    cr_assert(totp_init());
}

TestSuite(totp, .init = init);

static void code_at(time_t t, char out[TOTP_DIGITS + 1])
{
    cr_assert(totp_code(RFC_SECRET, RFC_LEN, t, TOTP_DIGITS, out));
}

Test(totp, codes_match_rfc6238_sha1_vectors)
{
    static const struct {
        time_t t;
        const char *code;
    } v[] = {{59, "94287082"},         {1111111109, "07081804"}, {1111111111, "14050471"},
             {1234567890, "89005924"}, {2000000000, "69279037"}, {20000000000, "65353130"}};
    char out[9];
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        cr_assert(totp_code(RFC_SECRET, RFC_LEN, v[i].t, 8, out));
        cr_assert_str_eq(out, v[i].code, "T=%lld", (long long)v[i].t);
    }
}

Test(totp, codes_match_rfc4226_hotp_values_by_step)
{
    static const char *hotp[] = {"755224", "287082", "359152", "969429", "338314",
                                 "254676", "287922", "162583", "399871", "520489"};
    char out[7];
    for (int c = 0; c < 10; c++) {
        cr_assert(totp_code(RFC_SECRET, RFC_LEN, (time_t)c * TOTP_STEP, 6, out));
        cr_assert_str_eq(out, hotp[c], "counter %d", c);
    }
}

Test(totp, check_accepts_the_current_step_and_reports_it)
{
    char code[7];
    int64_t step = -1;
    code_at(NOW, code);
    cr_assert_eq(totp_check(RFC_SECRET, RFC_LEN, NOW, code, -1, &step), TOTP_OK);
    cr_assert_eq(step, NOW / TOTP_STEP);
}

Test(totp, check_accepts_the_previous_step)
{
    char code[7];
    int64_t step = -1;
    code_at(NOW - 30, code);
    cr_assert_eq(totp_check(RFC_SECRET, RFC_LEN, NOW, code, -1, &step), TOTP_OK);
    cr_assert_eq(step, NOW / TOTP_STEP - 1);
}

Test(totp, check_accepts_the_next_step)
{
    char code[7];
    int64_t step = -1;
    code_at(NOW + 30, code);
    cr_assert_eq(totp_check(RFC_SECRET, RFC_LEN, NOW, code, -1, &step), TOTP_OK);
    cr_assert_eq(step, NOW / TOTP_STEP + 1);
}

Test(totp, check_refuses_a_code_two_steps_old)
{
    char code[7];
    int64_t step = -1;
    code_at(NOW - 60, code);
    cr_assert_eq(totp_check(RFC_SECRET, RFC_LEN, NOW, code, -1, &step), TOTP_WRONG);
    cr_assert_eq(step, -1, "step untouched unless OK");
}

Test(totp, check_refuses_a_code_two_steps_ahead)
{
    char code[7];
    int64_t step = -1;
    code_at(NOW + 60, code);
    cr_assert_eq(totp_check(RFC_SECRET, RFC_LEN, NOW, code, -1, &step), TOTP_WRONG);
}

Test(totp, check_refuses_a_code_of_another_secret)
{
    static const unsigned char other[] = "09876543210987654321";
    char code[7];
    int64_t step;
    cr_assert(totp_code(other, RFC_LEN, NOW, 6, code));
    cr_assert_eq(totp_check(RFC_SECRET, RFC_LEN, NOW, code, -1, &step), TOTP_WRONG);
}

Test(totp, check_refuses_the_same_code_twice)
{
    char code[7];
    int64_t step = -1, again = -1;
    code_at(NOW, code);
    cr_assert_eq(totp_check(RFC_SECRET, RFC_LEN, NOW, code, -1, &step), TOTP_OK);
    cr_assert_eq(totp_check(RFC_SECRET, RFC_LEN, NOW, code, step, &again), TOTP_REPLAYED);
    cr_assert_eq(totp_check(RFC_SECRET, RFC_LEN, NOW + 10, code, step, &again), TOTP_REPLAYED);
}

Test(totp, check_refuses_an_earlier_step_after_a_later_one)
{
    char prev[7];
    int64_t step = -1, cur = NOW / TOTP_STEP;
    code_at(NOW - 30, prev);
    cr_assert_eq(totp_check(RFC_SECRET, RFC_LEN, NOW, prev, cur - 1, &step), TOTP_REPLAYED,
                 "the previous step when it is the last accepted one");
    cr_assert_eq(totp_check(RFC_SECRET, RFC_LEN, NOW, prev, cur, &step), TOTP_REPLAYED,
                 "the previous step after the current one was accepted");
    cr_assert_eq(totp_check(RFC_SECRET, RFC_LEN, NOW, prev, cur - 2, &step), TOTP_OK);
    cr_assert_eq(step, cur - 1);
}

Test(totp, check_accepts_the_next_code_after_an_accepted_one)
{
    char code[7];
    int64_t step = -1, cur = NOW / TOTP_STEP;
    code_at(NOW + 30, code);
    cr_assert_eq(totp_check(RFC_SECRET, RFC_LEN, NOW + 30, code, cur, &step), TOTP_OK);
    cr_assert_eq(step, cur + 1);
}

Test(totp, check_refuses_anything_but_six_ascii_digits)
{
    const char *bad[] = {"12345", "1234567", "12a456", " 123456", "123456 ", "123456\n", "",
                         "\xef\xbc\x91\xef\xbc\x92\xef\xbc\x93\xef\xbc\x94\xef\xbc\x95\xef\xbc\x96",
                         "-12345", "+12345", "12 456"};
    int64_t step = -1;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        cr_assert_eq(totp_check(RFC_SECRET, RFC_LEN, NOW, bad[i], -1, &step), TOTP_BAD_FORMAT,
                     "\"%s\"", bad[i]);
}

Test(totp, uri_has_the_exact_otpauth_format)
{
    char uri[TOTP_URI_MAX];
    cr_assert(totp_uri("atlas.intake", "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ", uri));
    cr_assert_str_eq(uri, "otpauth://totp/CRT:atlas.intake?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
                          "&issuer=CRT&algorithm=SHA1&digits=6&period=30");
}

Test(totp, uri_percent_encodes_the_username)
{
    char uri[TOTP_URI_MAX];
    cr_assert(totp_uri("o k@x:y", "MZXW6", uri));
    cr_assert_str_eq(uri, "otpauth://totp/CRT:o%20k%40x%3Ay?secret=MZXW6"
                          "&issuer=CRT&algorithm=SHA1&digits=6&period=30");
}

Test(totp, uri_refuses_a_secret_that_is_not_base32)
{
    char uri[TOTP_URI_MAX];
    cr_assert_not(totp_uri("atlas", "MZXW6===", uri));
    cr_assert_not(totp_uri("atlas", "mzxw6", uri));
    cr_assert_not(totp_uri("atlas", "MZ&W6", uri));
    cr_assert_not(totp_uri("atlas", "", uri));
}

Test(totp, uri_refuses_a_username_too_long_for_the_buffer)
{
    char uri[TOTP_URI_MAX], user[200];
    memset(user, 'a', sizeof user - 1);
    user[sizeof user - 1] = '\0';
    cr_assert_not(totp_uri(user, "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ", uri));
}

Test(totp, base32_encodes_without_padding)
{
    char b32[TOTP_BASE32_MAX];
    cr_assert(totp_base32(RFC_SECRET, RFC_LEN, b32));
    cr_assert_str_eq(b32, "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
    cr_assert(totp_base32((const unsigned char *)"foobar", 6, b32));
    cr_assert_str_eq(b32, "MZXW6YTBOI", "RFC 4648 vector, '=' padding stripped");
}

Test(totp, base32_round_trips_a_new_secret)
{
    unsigned char secret[TOTP_SECRET_BYTES], back[64];
    char b32[TOTP_BASE32_MAX];
    cr_assert(totp_new_secret(secret));
    cr_assert(totp_base32(secret, sizeof secret, b32));
    cr_assert_eq(strlen(b32), 32);
    cr_assert_eq(strspn(b32, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"), 32);
    cr_assert_eq(totp_base32_decode(b32, back, sizeof back), TOTP_SECRET_BYTES);
    cr_assert_arr_eq(back, secret, TOTP_SECRET_BYTES);
}

Test(totp, base32_decode_takes_optional_padding_and_refuses_junk)
{
    unsigned char out[16];
    cr_assert_eq(totp_base32_decode("MZXW6YTBOI", out, sizeof out), 6);
    cr_assert_arr_eq(out, "foobar", 6);
    cr_assert_eq(totp_base32_decode("MZXW6YTBOI======", out, sizeof out), 6);
    cr_assert_arr_eq(out, "foobar", 6);
    cr_assert_eq(totp_base32_decode("MZXW6YTBO1", out, sizeof out), -1, "1 is not base32");
    cr_assert_eq(totp_base32_decode("MZXW6YTBOI", out, 5), -1, "output too small");
}

Test(totp, new_secrets_differ)
{
    unsigned char a[TOTP_SECRET_BYTES], b[TOTP_SECRET_BYTES];
    cr_assert(totp_new_secret(a));
    cr_assert(totp_new_secret(b));
    cr_assert_neq(memcmp(a, b, sizeof a), 0);
}

Test(totp, recovery_codes_have_the_xxxx_xxxx_xxxx_format)
{
    char a[RECOVERY_CODE_LEN], b[RECOVERY_CODE_LEN];
    cr_assert(recovery_code_new(a));
    cr_assert(recovery_code_new(b));
    cr_assert_eq(strlen(a), 14);
    for (int i = 0; i < 14; i++)
        if (i == 4 || i == 9)
            cr_assert_eq(a[i], '-', "%s", a);
        else
            cr_assert_not_null(strchr("abcdefghijklmnopqrstuvwxyz234567", a[i]), "%s", a);
    cr_assert_str_neq(a, b);
}

Test(totp, recovery_code_hash_normalises_case_dashes_and_spaces)
{
    char h1[65], h2[65], h3[65];
    cr_assert(recovery_code_hash("ABCD-efgh-2345", h1));
    cr_assert(recovery_code_hash("abcdefgh2345", h2));
    cr_assert(recovery_code_hash(" abcd efgh-2345 ", h3));
    cr_assert_str_eq(h1, h2);
    cr_assert_str_eq(h1, h3);
    /* printf abcdefgh2345 | sha256sum */
    cr_assert_str_eq(h1, "1d4d799b3c3b01703e2e45480b3a534328a7483d588c3ae3de3e08a333d0ff22");
}

Test(totp, recovery_code_hash_of_a_new_code_is_stable)
{
    char code[RECOVERY_CODE_LEN], h1[65], h2[65];
    cr_assert(recovery_code_new(code));
    cr_assert(recovery_code_hash(code, h1));
    for (char *p = code; *p; p++)
        if (*p >= 'a' && *p <= 'z')
            *p = (char)(*p - 32);
    cr_assert(recovery_code_hash(code, h2));
    cr_assert_str_eq(h1, h2);
}

Test(totp, recovery_code_hash_refuses_what_cannot_be_a_code)
{
    const char *bad[] = {"",
                         "abcd-efgh-234",   /* 11 */
                         "abcd-efgh-23456", /* 13 */
                         "abcd-efgh-2341",  /* 1 is not in the alphabet */
                         "abcd-efgh-2348",  /* nor 8 */
                         "abcd_efgh_2345",
                         "abcd-efgh-234\xc3\xa9",
                         "abcd\tefgh2345"};
    char h[65];
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        cr_assert_not(recovery_code_hash(bad[i], h), "\"%s\"", bad[i]);
}
