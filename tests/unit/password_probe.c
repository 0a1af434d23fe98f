/* Helper of test_password: verifies one stored hash in a fresh process whose OpenSSL allocations
 * are watched from the start, and prints "<verified 0|1> <largest allocation> <seconds>". */
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "crt/password.h"

/* Requests above this are refused without calling malloc: an attempt fails fast and is seen. */
#define REFUSE_ABOVE ((size_t)256 << 20)
static size_t largest;

static void *watch_malloc(size_t n, const char *file, int line)
{
    (void)file, (void)line;
    largest = n > largest ? n : largest;
    return n > REFUSE_ABOVE ? NULL : malloc(n);
}

static void *watch_realloc(void *p, size_t n, const char *file, int line)
{
    (void)file, (void)line;
    largest = n > largest ? n : largest;
    return n > REFUSE_ABOVE ? NULL : realloc(p, n);
}

static void watch_free(void *p, const char *file, int line)
{
    (void)file, (void)line;
    free(p);
}

int main(int argc, char **argv)
{
    struct timespec t0, t1;
    if (argc != 3 || !CRYPTO_set_mem_functions(watch_malloc, watch_realloc, watch_free))
        return 2;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    bool ok = password_verify(argv[1], argv[2], password_default_params(), NULL);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    printf("%d %zu %.3f\n", ok, largest,
           (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
    return 0;
}
