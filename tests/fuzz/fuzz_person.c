/* libFuzzer target: person parsing (common/person.c). Input: one mode byte, then a JSON body
 * (create or update) — or raw text for the national number and the name key. A body that
 * parses must be stable: each canonical value, read back as the API returns it, parses again
 * to the same text. */
#include <jansson.h>
#include <stdbool.h>

#include "crt/validate.h"
#include "crt/arena.h"
#include "crt/person.h"
#include "fuzz.h"

/* What the API would return for value i (person_value_json) must validate to the same text. */
static void check_canonical(const struct person_input *in)
{
    for (int i = 0; i < PERSON_NFIELDS; i++) {
        if (in->values[i] == NULL)
            continue;
        json_t *v = person_value_json(i, in->values[i]);
        char again[4 * 1000 + 8];
        bool is_null = true;
        struct field_error fe;
        FUZZ_ASSERT(v != NULL);
        FUZZ_ASSERT(field_check(&person_fields[i].spec, v, again, sizeof again, &is_null, &fe));
        FUZZ_ASSERT(!is_null && strcmp(again, in->values[i]) == 0);
        json_decref(v);
    }
}

static void fuzz_body(const uint8_t *data, size_t size, bool create)
{
    json_t *body = fuzz_read_body(data, size);
    if (body == NULL)
        return;
    struct arena a;
    struct person_input in;
    struct field_error err = {0};
    arena_init(&a);
    if (person_parse(body, create, &a, &in, &err))
        check_canonical(&in);
    else
        FUZZ_ASSERT(err.field != NULL && err.detail != NULL);
    person_input_free(&in);
    arena_release(&a);
    json_decref(body);
}

/* Raw text: national number notations, and "first|last|birth" for the name key. */
static void fuzz_text(const uint8_t *data, size_t size)
{
    char *s = fuzz_cstring(data, size), out[12], key[256];
    if (person_national_number(s, out))
        FUZZ_ASSERT(strlen(out) == 11 && strspn(out, "0123456789") == 11);
    char *bar1 = strchr(s, '|'), *bar2 = bar1 ? strchr(bar1 + 1, '|') : NULL;
    if (bar2) {
        *bar1 = *bar2 = '\0';
        size_t n = person_name_key(s, bar1 + 1, bar2 + 1, key, sizeof key);
        FUZZ_ASSERT(n == 0 || (n < sizeof key && strlen(key) == n));
    }
    free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    switch (data[0] % 3) {
    case 0: fuzz_body(data + 1, size - 1, true); break;
    case 1: fuzz_body(data + 1, size - 1, false); break;
    default: fuzz_text(data + 1, size - 1); break;
    }
    return 0;
}
