/* libFuzzer target: the stored password hash parser and verifier (common/password.c), and the
 * password policy. Input: "<password>\n<stored hash>". Stored hashes whose parameters would
 * cost more than ~2 MiB of scrypt are not derived (see cheap_enough): the fuzzer
 * looks for parsing bugs, not for the cost cap, which tests/unit/test_password.c covers. */
#include <stdbool.h>
#include <stdio.h>

#include "crt/password.h"
#include "fuzz.h"

/* The parser accepts exactly "$scrypt$ln=L,r=R,p=P$…" with 1-2 digit decimals; sscanf reads
 * the same numbers from every string the parser accepts (and from more), so anything it does
 * not flag as expensive is either cheap or refused before deriving. */
static bool cheap_enough(const char *stored)
{
    int ln, r, p;
    if (sscanf(stored, "$scrypt$ln=%d,r=%d,p=%d", &ln, &r, &p) != 3)
        return true;
    return ln <= 10 && r <= 8 && p <= 2; /* at most 2 MiB and a few ms */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = fuzz_cstring(data, size);
    char *nl = strchr(s, '\n');
    const char *password = s, *stored = "";
    if (nl) {
        *nl = '\0';
        stored = nl + 1;
    }
    const char *why = password_policy(password, stored);
    FUZZ_ASSERT(why == NULL || *why != '\0');
    if (cheap_enough(stored)) {
        struct password_params want = {.log2n = 10, .r = 8, .p = 1};
        bool rehash = true;
        if (!password_verify(password, stored, want, &rehash))
            FUZZ_ASSERT(!rehash);
    }
    free(s);
    return 0;
}
