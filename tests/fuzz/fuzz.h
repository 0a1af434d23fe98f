/* Shared by the libFuzzer targets: the entry point's prototype and a NUL-terminated copy of
 * the input (the functions under test take C strings). */
#ifndef CRT_FUZZ_H
#define CRT_FUZZ_H
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "crt/validate.h"

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


/* data as the server reads a request body (json_read_body, as read_body does): the parsed
 * value when it is a JSON object (new reference), else NULL. A refusal must name why. */
static inline json_t *fuzz_read_body(const uint8_t *data, size_t size)
{
    json_t *body = NULL;
    json_error_t jerr;
    char field[128];
    const char *detail = NULL;
    if (json_read_body((const char *)data, size, &body, &jerr, field, sizeof field, &detail) ==
        JSON_READ_INVALID)
        FUZZ_ASSERT(body == NULL && detail != NULL);
    if (!json_is_object(body)) {
        json_decref(body);
        return NULL;
    }
    return body;
}

#endif
