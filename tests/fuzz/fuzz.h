/* Shared by the libFuzzer targets: the entry point's prototype and a NUL-terminated copy of
 * the input (the functions under test take C strings). */
#ifndef CRT_FUZZ_H
#define CRT_FUZZ_H
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* data[0..size) as a malloc'ed C string (stops at an embedded NUL, as a C caller would);
 * aborts when out of memory so that the fuzzer reports it. */
static inline char *fuzz_cstring(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (s == NULL)
        abort();
    memcpy(s, data, size);
    s[size] = '\0';
    return s;
}

/* Crashes (the fuzzer reports the input) when an invariant does not hold. */
#define FUZZ_ASSERT(cond)                                                                        \
    do {                                                                                         \
        if (!(cond))                                                                             \
            __builtin_trap();                                                                    \
    } while (0)

#endif
