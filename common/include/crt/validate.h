/* Validation of input values against field specifications (type, length, enumeration, range)
 * and of JSON objects against the set of fields they may carry. Every error names the field. */
#ifndef CRT_VALIDATE_H
#define CRT_VALIDATE_H
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

enum field_type {
    FT_TEXT,     /* string, 1..max_len characters (UTF-8 code points), no control characters */
    FT_DATE,     /* "YYYY-MM-DD", a real calendar date from 1900-01-01, not in the future unless allowed */
    FT_ENUM,     /* one of enum_values */
    FT_POSTCODE, /* Belgian postcode: four digits, 1000..9999 */
    FT_COUNTRY,  /* ISO 3166-1 alpha-2, upper case */
    FT_INT,      /* integer min..max */
    FT_BOOL,
    FT_EMAIL,    /* one '@', no spaces, <= max_len */
    FT_PHONE,    /* digits, spaces, + ( ) - . /, 6..max_len */
    FT_NOTE,     /* FT_TEXT that may span lines: line feeds (and CR before LF) allowed */
};

struct field_spec {
    const char *name;
    enum field_type type;
    int max_len;                    /* FT_TEXT/FT_EMAIL/FT_PHONE */
    const char *const *enum_values; /* FT_ENUM, NULL-terminated */
    int min, max;                   /* FT_INT */
    bool required;
    bool future_ok;                 /* FT_DATE may lie in the future */
};

/* Why a value was refused; detail is a fixed sentence safe to show (never echoes the value). */
struct field_error {
    const char *field;
    const char *detail;
};

/* Checks one JSON value against spec and writes its canonical text form (what is stored and
 * bound as a query parameter) into out (outlen >= 32). JSON null is accepted for optional
 * fields and yields *is_null. Returns false and fills err on refusal. */
bool field_check(const struct field_spec *spec, json_t *value, char *out, size_t outlen,
                 bool *is_null, struct field_error *err);

/* Length of UTF-8 text in characters (code points), as the database counts it. */
size_t validate_text_length(const char *s);
/* True when s is a valid calendar date "YYYY-MM-DD" between 1900-01-01 and 2199-12-31. */
bool validate_date(const char *s);
/* True for "YYYY-MM-DD" or "YYYY-MM-DDTHH:MM:SS[.fraction](Z|+HH:MM|-HH:MM)" (RFC 3339). */
bool validate_timestamp(const char *s);
/* True when s is a canonical lower-case or upper-case UUID. */
bool validate_uuid(const char *s);
/* True when s is one of values (NULL-terminated). */
bool validate_one_of(const char *s, const char *const *values);
/* True when s is a decimal integer of 1 to 18 digits (no sign or space) from min to max. */
bool validate_int(const char *s, long long min, long long max);
/* The service's local time: Europe/Brussels as a POSIX rule (CET/CEST, EU switch dates), which
 * needs no time-zone database. crt-api sets TZ to it at start-up, before any thread. */
#define VALIDATE_LOCAL_TZ "CET-1CEST,M3.5.0,M10.5.0/3"
/* Today as YYYY-MM-DD in the process's time zone (crt-api: Europe/Brussels), so that a date a
 * user in Brussels calls today is not "in the future" between midnight and 01:00/02:00 UTC. */
void validate_today(char out[11]);

/* Refuses any key of obj not in allowed (NULL-terminated); sets *unknown to the first one. */
bool json_only_keys(json_t *obj, const char *const *allowed, const char **unknown);

enum json_read {
    JSON_READ_OK,
    JSON_READ_MALFORMED, /* not JSON, or a key given twice: jerr says where */
    JSON_READ_INVALID,   /* JSON, but a string holds U+0000 or a number is out of range */
};
/* Parses a request body (len bytes of text) into *out (new reference; NULL unless OK). A
 * string holding \u0000 (which every C string would cut short) or a number beyond a 64-bit
 * integer or a double is JSON_READ_INVALID, with field (fieldlen bytes) naming where, as
 * "key.key" and "key[index]", and detail a fixed sentence. */
enum json_read json_read_body(const char *text, size_t len, json_t **out, json_error_t *jerr,
                              char *field, size_t fieldlen, const char **detail);

#endif
