/* Unit: AES-256-GCM sealing with a keyring file (rotation, tampering, file mode), base64url,
 * random tokens, SHA-256 and constant-time comparison. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "crt/crypto.h"

#define KEY_A "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
#define KEY_B "F0E1D2C3B4A5968778695A4B3C2D1E0F00112233445566778899AABBCCDDEEFF"

static char path[64];

static void remove_file(void)
{
    if (path[0])
        unlink(path);
    path[0] = '\0';
}

TestSuite(crypto, .fini = remove_file);

/* Writes content to a fresh temporary file with the given mode; its path is in `path`. */
static const char *write_file(const char *content, mode_t mode)
{
    snprintf(path, sizeof path, "/tmp/crt-keyring-XXXXXX");
    int fd = mkstemp(path);
    cr_assert_geq(fd, 0);
    cr_assert_eq(write(fd, content, strlen(content)), (ssize_t)strlen(content));
    cr_assert_eq(fchmod(fd, mode), 0);
    close(fd);
    return path;
}

static void load(struct keyring *kr, const char *content)
{
    char err[256];
    cr_assert(keyring_load(kr, write_file(content, 0600), err, sizeof err), "%s", err);
    remove_file();
}

/* keyring_load must refuse content (mode 0600); returns the error text. */
static const char *refuse(const char *content, char *err, size_t errlen)
{
    struct keyring kr;
    cr_assert_not(keyring_load(&kr, write_file(content, 0600), err, errlen));
    cr_assert_eq(kr.n, 0, "a refused keyring holds no keys");
    remove_file();
    return err;
}

static const unsigned char MSG[] = "Olena Kovalenko, 1990-05-06";

Test(crypto, seal_then_open_returns_the_plaintext)
{
    struct keyring kr;
    unsigned char sealed[sizeof MSG + CRYPTO_SEAL_OVERHEAD], out[sizeof MSG];
    char id[CRYPTO_KEY_ID_MAX];
    load(&kr, "k1 " KEY_A "\n");
    cr_assert(crypto_seal(&kr, MSG, sizeof MSG, "row-7", sealed, id));
    cr_assert_str_eq(id, "k1");
    cr_assert_neq(memcmp(sealed + 12, MSG, sizeof MSG), 0, "the plaintext is not stored");
    cr_assert(crypto_open(&kr, id, sealed, sizeof sealed, "row-7", out));
    cr_assert_arr_eq(out, MSG, sizeof MSG);
    keyring_wipe(&kr);
}

Test(crypto, empty_plaintext_and_null_aad_round_trip)
{
    struct keyring kr;
    unsigned char sealed[CRYPTO_SEAL_OVERHEAD], out[1];
    char id[CRYPTO_KEY_ID_MAX];
    load(&kr, "k1 " KEY_A "\n");
    cr_assert(crypto_seal(&kr, (const unsigned char *)"", 0, NULL, sealed, id));
    cr_assert(crypto_open(&kr, id, sealed, sizeof sealed, NULL, out));
    cr_assert_not(crypto_open(&kr, id, sealed, sizeof sealed, "row-7", out));
    cr_assert_not(crypto_open(&kr, id, sealed, sizeof sealed - 1, NULL, out), "too short");
}

Test(crypto, two_seals_of_the_same_data_differ)
{
    struct keyring kr;
    unsigned char a[sizeof MSG + CRYPTO_SEAL_OVERHEAD], b[sizeof a];
    char id[CRYPTO_KEY_ID_MAX];
    load(&kr, "k1 " KEY_A "\n");
    cr_assert(crypto_seal(&kr, MSG, sizeof MSG, NULL, a, id));
    cr_assert(crypto_seal(&kr, MSG, sizeof MSG, NULL, b, id));
    cr_assert_neq(memcmp(a, b, 12), 0, "a fresh nonce each time");
    cr_assert_neq(memcmp(a, b, sizeof a), 0);
}

Test(crypto, open_fails_with_a_different_aad)
{
    struct keyring kr;
    unsigned char sealed[sizeof MSG + CRYPTO_SEAL_OVERHEAD], out[sizeof MSG];
    char id[CRYPTO_KEY_ID_MAX];
    load(&kr, "k1 " KEY_A "\n");
    cr_assert(crypto_seal(&kr, MSG, sizeof MSG, "row-7", sealed, id));
    cr_assert_not(crypto_open(&kr, id, sealed, sizeof sealed, "row-8", out));
    cr_assert_not(crypto_open(&kr, id, sealed, sizeof sealed, NULL, out));
    for (size_t i = 0; i < sizeof out; i++)
        cr_assert_eq(out[i], 0, "no unauthenticated plaintext is handed out");
}

Test(crypto, open_fails_when_any_sealed_byte_is_flipped)
{
    struct keyring kr;
    unsigned char sealed[sizeof MSG + CRYPTO_SEAL_OVERHEAD], out[sizeof MSG];
    char id[CRYPTO_KEY_ID_MAX];
    load(&kr, "k1 " KEY_A "\n");
    cr_assert(crypto_seal(&kr, MSG, sizeof MSG, "row-7", sealed, id));
    for (size_t i = 0; i < sizeof sealed; i++) {
        sealed[i] ^= 0x01;
        cr_assert_not(crypto_open(&kr, id, sealed, sizeof sealed, "row-7", out), "byte %zu", i);
        sealed[i] ^= 0x01;
    }
    cr_assert(crypto_open(&kr, id, sealed, sizeof sealed, "row-7", out));
}

Test(crypto, open_fails_for_an_unknown_key_id)
{
    struct keyring kr;
    unsigned char sealed[sizeof MSG + CRYPTO_SEAL_OVERHEAD], out[sizeof MSG];
    char id[CRYPTO_KEY_ID_MAX];
    load(&kr, "k1 " KEY_A "\n");
    cr_assert(crypto_seal(&kr, MSG, sizeof MSG, NULL, sealed, id));
    cr_assert_not(crypto_open(&kr, "k2", sealed, sizeof sealed, NULL, out));
    cr_assert_not(crypto_open(&kr, "", sealed, sizeof sealed, NULL, out));
}

Test(crypto, rotation_seals_with_the_first_key_and_opens_with_any)
{
    struct keyring old, rotated, new_only;
    unsigned char by_old[sizeof MSG + CRYPTO_SEAL_OVERHEAD], by_new[sizeof by_old];
    unsigned char out[sizeof MSG];
    char id_old[CRYPTO_KEY_ID_MAX], id_new[CRYPTO_KEY_ID_MAX];
    load(&old, "2024 " KEY_A "\n");
    load(&rotated, "2025 " KEY_B "\n2024 " KEY_A "\n");
    cr_assert(crypto_seal(&old, MSG, sizeof MSG, "x", by_old, id_old));
    cr_assert(crypto_seal(&rotated, MSG, sizeof MSG, "x", by_new, id_new));
    cr_assert_str_eq(id_old, "2024");
    cr_assert_str_eq(id_new, "2025", "the first key seals");
    cr_assert(crypto_open(&rotated, id_old, by_old, sizeof by_old, "x", out));
    cr_assert_arr_eq(out, MSG, sizeof MSG);
    cr_assert_not(crypto_open(&old, id_new, by_new, sizeof by_new, "x", out));
    load(&new_only, "2025 " KEY_B "\n");
    cr_assert(crypto_open(&new_only, id_new, by_new, sizeof by_new, "x", out),
              "sealed with the first key's material, not only its id");
}

Test(crypto, keyring_load_reads_keys_comments_and_blank_lines)
{
    struct keyring kr;
    load(&kr, "# keys for sealing\n\n  # indented comment\nk-2.b_ " KEY_B "  \r\n"
              "\t\nk1\t" KEY_A);
    cr_assert_eq(kr.n, 2);
    cr_assert_str_eq(kr.id[0], "k-2.b_");
    cr_assert_str_eq(kr.id[1], "k1");
    cr_assert_eq(kr.key[0][0], 0xF0);
    cr_assert_eq(kr.key[0][31], 0xFF);
    for (int i = 0; i < 32; i++)
        cr_assert_eq(kr.key[1][i], i);
}

Test(crypto, keyring_load_refuses_a_file_readable_by_others)
{
    struct keyring kr;
    char err[256];
    const mode_t modes[] = {0644, 0640, 0604, 0660, 0602};
    for (size_t i = 0; i < sizeof modes / sizeof modes[0]; i++) {
        cr_assert_not(keyring_load(&kr, write_file("k1 " KEY_A "\n", modes[i]), err, sizeof err));
        cr_assert(strstr(err, "chmod 600"), "%s", err);
        cr_assert_null(strstr(err, KEY_A), "no key material in errors");
        remove_file();
    }
    cr_assert(keyring_load(&kr, write_file("k1 " KEY_A "\n", 0600), err, sizeof err), "%s", err);
    remove_file();
    cr_assert(keyring_load(&kr, write_file("k1 " KEY_A "\n", 0400), err, sizeof err), "%s", err);
}

Test(crypto, keyring_load_refuses_malformed_keys_without_quoting_them)
{
    char err[256];
    const char *bad[] = {
        "k1 000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1\n",   /* 63 */
        "k1 000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f0\n", /* 65 */
        "k1 000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1g\n",  /* 'g' */
        "k1 0x0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\n",
        "k1 " KEY_A " extra\n",
        "k1\n",
        KEY_A "\n",
        "k/1 " KEY_A "\n",
        "abcdefghijklmnopqrstuvwxyz012345 " KEY_A "\n", /* id of 32 characters */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        refuse(bad[i], err, sizeof err);
        cr_assert(strstr(err, "line 1"), "%s", err);
        cr_assert_null(strstr(err, "0102030405"), "no key material in: %s", err);
    }
}

Test(crypto, keyring_load_refuses_duplicate_ids)
{
    char err[256];
    refuse("k1 " KEY_A "\nk1 " KEY_B "\n", err, sizeof err);
    cr_assert(strstr(err, "line 2: duplicate key id"), "%s", err);
    cr_assert_null(strstr(err, "F0E1D2"), "%s", err);
}

Test(crypto, keyring_load_refuses_an_empty_file_and_too_many_keys)
{
    char err[256], many[1024] = "";
    refuse("# nothing here\n\n", err, sizeof err);
    cr_assert(strstr(err, "no keys"), "%s", err);
    for (int i = 0; i <= CRYPTO_MAX_KEYS; i++)
        snprintf(many + strlen(many), sizeof many - strlen(many), "k%d " KEY_A "\n", i);
    refuse(many, err, sizeof err);
    cr_assert(strstr(err, "more than 8 keys"), "%s", err);
}

Test(crypto, keyring_load_reports_a_missing_file)
{
    struct keyring kr;
    char err[256];
    cr_assert_not(keyring_load(&kr, "/nonexistent/keyring", err, sizeof err));
    cr_assert(strstr(err, "/nonexistent/keyring"), "%s", err);
}

Test(crypto, keyring_wipe_clears_the_keys)
{
    struct keyring kr;
    static const unsigned char zero[32];
    load(&kr, "k1 " KEY_A "\n");
    keyring_wipe(&kr);
    cr_assert_eq(kr.n, 0);
    cr_assert_arr_eq(kr.key[0], zero, 32);
}

Test(crypto, b64url_encodes_known_vectors)
{
    char out[16];
    cr_assert_eq(crypto_b64url_encode((const unsigned char *)"foobar", 6, out, sizeof out), 8);
    cr_assert_str_eq(out, "Zm9vYmFy");
    cr_assert_eq(crypto_b64url_encode((const unsigned char *)"fo", 2, out, sizeof out), 3);
    cr_assert_str_eq(out, "Zm8");
    cr_assert_eq(crypto_b64url_encode((const unsigned char *)"f", 1, out, sizeof out), 2);
    cr_assert_str_eq(out, "Zg");
    cr_assert_eq(crypto_b64url_encode((const unsigned char *)"\xfb\xff\xbf", 3, out, sizeof out),
                 4);
    cr_assert_str_eq(out, "-_-_", "URL alphabet, not + and /");
}

Test(crypto, b64url_round_trips_every_length)
{
    unsigned char in[64], back[64];
    char enc[128];
    for (size_t len = 0; len <= sizeof in; len++) {
        cr_assert(crypto_random(in, len));
        size_t n = crypto_b64url_encode(in, len, enc, sizeof enc);
        cr_assert_eq(n, (4 * len + 2) / 3, "unpadded length for %zu", len);
        cr_assert_eq(strlen(enc), n);
        cr_assert_null(strchr(enc, '='));
        cr_assert_eq(crypto_b64url_decode(enc, back, sizeof back), (long)len);
        cr_assert_arr_eq(back, in, len);
    }
}

Test(crypto, b64url_encode_refuses_a_small_buffer)
{
    char out[9];
    cr_assert_eq(crypto_b64url_encode((const unsigned char *)"foobar", 6, out, 8), 0,
                 "no room for the NUL");
    cr_assert_eq(crypto_b64url_encode((const unsigned char *)"foobar", 6, out, 9), 8);
}

Test(crypto, b64url_decode_refuses_invalid_input)
{
    unsigned char out[32];
    const char *bad[] = {"Zm9v=", "Zm8=", "Zm+v", "Zm/v", "Z", "Zm9vY", "Zm 9v", "Zm9v\n",
                         "Zm9vYmF=", "Zh" /* non-zero unused bits: not the canonical encoding */};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        cr_assert_eq(crypto_b64url_decode(bad[i], out, sizeof out), -1, "%s", bad[i]);
    cr_assert_eq(crypto_b64url_decode("Zg", out, sizeof out), 1, "the canonical form of Zh");
    cr_assert_eq(crypto_b64url_decode("Zm9vYmFy", out, 5), -1, "output too small");
    cr_assert_eq(crypto_b64url_decode("Zm9vYmFy", out, 6), 6);
    cr_assert_eq(crypto_b64url_decode("", out, 0), 0);
}

Test(crypto, token_has_the_length_and_alphabet_of_base64url)
{
    char a[64], b[64];
    cr_assert(crypto_token(32, a, sizeof a));
    cr_assert(crypto_token(32, b, sizeof b));
    cr_assert_eq(strlen(a), 43);
    cr_assert_eq(strspn(a, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"), 43);
    cr_assert_str_neq(a, b);
    cr_assert(crypto_token(32, a, 4 * 32 / 3 + 2), "the documented minimum suffices");
    cr_assert_not(crypto_token(32, a, 43), "no room for the NUL");
}

Test(crypto, sha256_hex_matches_the_standard_vector)
{
    char out[65];
    crypto_sha256_hex("abc", 3, out);
    cr_assert_str_eq(out, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

Test(crypto, equal_compares_whole_buffers)
{
    cr_assert(crypto_equal("abcdef", "abcdef", 6));
    cr_assert_not(crypto_equal("abcdef", "abcdeg", 6));
    cr_assert_not(crypto_equal("xbcdef", "abcdef", 6));
    cr_assert(crypto_equal("abcX", "abcY", 3), "only len bytes count");
    cr_assert(crypto_equal("a", "b", 0));
}
