/* libFuzzer target: the validators (common/validate.c). Input: raw text, checked by every
 * validate_* function and, as a JSON string, by field_check for every field type. Checks that
 * what is accepted has the promised shape (lengths, digits, no control characters). */
#include <jansson.h>
#include <stdbool.h>
#include <stdlib.h>

#include "crt/validate.h"
#include "fuzz.h"

static const char *const colours[] = {"red", "green", "", NULL};

static const struct field_spec specs[] = {
    {"text", FT_TEXT, 20, NULL, 0, 0, true, false},
    {"date", FT_DATE, 0, NULL, 0, 0, true, false},
    {"future", FT_DATE, 0, NULL, 0, 0, false, true},
    {"colour", FT_ENUM, 0, colours, 0, 0, true, false},
    {"postcode", FT_POSTCODE, 0, NULL, 0, 0, false, false},
    {"country", FT_COUNTRY, 0, NULL, 0, 0, false, false},
    {"count", FT_INT, 0, NULL, -5, 1000, false, false},
    {"flag", FT_BOOL, 0, NULL, 0, 0, false, false},
    {"email", FT_EMAIL, 60, NULL, 0, 0, false, false},
    {"phone", FT_PHONE, 32, NULL, 0, 0, false, false},
};

static bool no_control(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || (unsigned char)*s == 0x7F)
            return false;
    return true;
}

static void check_accepted(const struct field_spec *f, const char *in, const char *out)
{
    FUZZ_ASSERT(strcmp(in, out) == 0); /* strings are stored as given */
    switch (f->type) {
    case FT_TEXT: FUZZ_ASSERT(*out && validate_text_length(out) <= (size_t)f->max_len &&
                              no_control(out)); break;
    case FT_DATE: FUZZ_ASSERT(validate_date(out) && validate_timestamp(out)); break;
    case FT_ENUM: FUZZ_ASSERT(validate_one_of(out, f->enum_values)); break;
    case FT_POSTCODE: FUZZ_ASSERT(validate_int(out, 1000, 9999)); break;
    case FT_COUNTRY: FUZZ_ASSERT(strlen(out) == 2); break;
    case FT_EMAIL: FUZZ_ASSERT(strchr(out, '@') && no_control(out)); break;
    case FT_PHONE: FUZZ_ASSERT(strlen(out) >= 6 && no_control(out)); break;
    default: FUZZ_ASSERT(false); /* a string is never an integer or a boolean */
    }
}

/* Every field type against the input as a JSON string (jansson refuses invalid UTF-8). */
static void fuzz_fields(const char *s, size_t len)
{
    json_t *v = json_stringn(s, len);
    if (v == NULL)
        return;
    for (size_t i = 0; i < sizeof specs / sizeof *specs; i++) {
        char out[128];
        bool is_null = true;
        struct field_error err = {0};
        if (field_check(&specs[i], v, out, sizeof out, &is_null, &err))
            check_accepted(&specs[i], s, out);
        else
            FUZZ_ASSERT(err.field == specs[i].name && err.detail != NULL);
    }
    json_decref(v);
}

static void fuzz_functions(const char *s)
{
    FUZZ_ASSERT(validate_text_length(s) <= strlen(s));
    if (validate_date(s))
        FUZZ_ASSERT(strlen(s) == 10 && validate_timestamp(s));
    if (validate_timestamp(s))
        FUZZ_ASSERT(strlen(s) >= 10);
    if (validate_uuid(s))
        FUZZ_ASSERT(strlen(s) == 36);
    if (validate_int(s, -3, 123456789))
        FUZZ_ASSERT(strtoll(s, NULL, 10) >= 0 && strtoll(s, NULL, 10) <= 123456789);
    (void)validate_one_of(s, colours);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = fuzz_cstring(data, size);
    fuzz_functions(s);
    fuzz_fields(s, strlen(s));
    free(s);
    return 0;
}
