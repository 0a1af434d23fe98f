/* Validation: field specifications applied to JSON values, calendar dates, UUIDs, and the
 * "no unknown fields" rule for objects. */
#include "crt/validate.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

size_t validate_text_length(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += ((unsigned char)*s & 0xC0) != 0x80;
    return n;
}

static bool has_control(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || (unsigned char)*s == 0x7F)
            return true;
    return false;
}

/* A control character other than a line break (LF, or CR LF). */
static bool has_control_but_lines(const char *s)
{
    for (; *s; s++)
        if (((unsigned char)*s < 0x20 || (unsigned char)*s == 0x7F) && *s != '\n' &&
            !(*s == '\r' && s[1] == '\n'))
            return true;
    return false;
}

bool validate_date(const char *s)
{
    int y, m, d;
    char tail;
    if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
        return false;
    for (int i = 0; i < 10; i++)
        if (i != 4 && i != 7 && !isdigit((unsigned char)s[i]))
            return false;
    if (sscanf(s, "%4d-%2d-%2d%c", &y, &m, &d, &tail) != 3)
        return false;
    static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (y < 1900 || y > 2199 || m < 1 || m > 12 || d < 1)
        return false;
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return d <= mdays[m - 1] + (m == 2 && leap);
}

static bool digits(const char *s, int n)
{
    for (int i = 0; i < n; i++)
        if (!isdigit((unsigned char)s[i]))
            return false;
    return true;
}

bool validate_timestamp(const char *s)
{
    char date[11];
    if (strlen(s) < 10)
        return false;
    memcpy(date, s, 10);
    date[10] = '\0';
    if (!validate_date(date))
        return false;
    s += 10;
    if (*s == '\0')
        return true;
    if ((*s != 'T' && *s != ' ') || !digits(s + 1, 2) || s[3] != ':' || !digits(s + 4, 2) ||
        s[6] != ':' || !digits(s + 7, 2) || atoi(s + 1) > 23 || atoi(s + 4) > 59 || atoi(s + 7) > 60)
        return false;
    s += 9;
    if (*s == '.') {
        int n = 0;
        while (isdigit((unsigned char)s[1 + n]))
            n++;
        if (n == 0 || n > 9)
            return false;
        s += 1 + n;
    }
    if (strcmp(s, "Z") == 0)
        return true;
    return (*s == '+' || *s == '-') && digits(s + 1, 2) && s[3] == ':' && digits(s + 4, 2) &&
           s[6] == '\0' && atoi(s + 1) <= 14;
}

void validate_today(char out[11])
{
    time_t now = time(NULL);
    struct tm tm;
    localtime_r(&now, &tm);
    strftime(out, 11, "%Y-%m-%d", &tm);
}

bool validate_uuid(const char *s)
{
    if (strlen(s) != 36)
        return false;
    for (int i = 0; i < 36; i++) {
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (s[i] != '-')
                return false;
        } else if (!isxdigit((unsigned char)s[i])) {
            return false;
        }
    }
    return true;
}

bool validate_one_of(const char *s, const char *const *values)
{
    for (const char *const *v = values; *v; v++)
        if (strcmp(*v, s) == 0)
            return true;
    return false;
}

bool validate_int(const char *s, long long min, long long max)
{
    size_t n = strlen(s);
    if (n == 0 || n > 18)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!isdigit((unsigned char)s[i]))
            return false;
    long long v = strtoll(s, NULL, 10);
    return v >= min && v <= max;
}

static bool fail(struct field_error *err, const char *field, const char *detail)
{
    err->field = field;
    err->detail = detail;
    return false;
}

static bool check_string(const struct field_spec *f, const char *s, struct field_error *err)
{
    size_t len = validate_text_length(s);
    const char *at, *p;
    switch (f->type) {
    case FT_TEXT:
    case FT_NOTE:
        if (len == 0)
            return fail(err, f->name, "must not be empty");
        if ((int)len > f->max_len)
            return fail(err, f->name, "is too long");
        if (f->type == FT_TEXT ? has_control(s) : has_control_but_lines(s))
            return fail(err, f->name, f->type == FT_TEXT ? "must not contain control characters"
                                                         : "must not contain control characters "
                                                           "other than line breaks");
        return true;
    case FT_DATE: {
        if (!validate_date(s))
            return fail(err, f->name, "must be a calendar date YYYY-MM-DD from 1900 on");
        char today[11];
        validate_today(today);
        if (!f->future_ok && strcmp(s, today) > 0)
            return fail(err, f->name, "must not be in the future");
        return true;
    }
    case FT_ENUM:
        return validate_one_of(s, f->enum_values) ||
               fail(err, f->name, "is not one of the allowed values");
    case FT_POSTCODE:
        if (strlen(s) != 4 || s[0] < '1' || s[0] > '9' || !isdigit((unsigned char)s[1]) ||
            !isdigit((unsigned char)s[2]) || !isdigit((unsigned char)s[3]))
            return fail(err, f->name, "must be a Belgian postcode of four digits (1000-9999)");
        return true;
    case FT_COUNTRY:
        if (strlen(s) != 2 || !isupper((unsigned char)s[0]) || !isupper((unsigned char)s[1]))
            return fail(err, f->name, "must be an ISO 3166-1 alpha-2 code such as UA");
        return true;
    case FT_EMAIL:
        at = strchr(s, '@');
        if ((int)len > f->max_len || !at || at == s || !at[1] || strchr(at + 1, '@') ||
            strpbrk(s, " ") || has_control(s) || !strchr(at + 1, '.'))
            return fail(err, f->name, "must be an e-mail address");
        return true;
    case FT_PHONE:
        if ((int)len > f->max_len || len < 6)
            return fail(err, f->name, "must be a phone number of 6 to 32 characters");
        for (p = s; *p; p++)
            if (!isdigit((unsigned char)*p) && !strchr(" +()-./", *p))
                return fail(err, f->name, "may contain only digits, spaces and + ( ) - . /");
        return true;
    default:
        return fail(err, f->name, "has the wrong type");
    }
}

bool field_check(const struct field_spec *f, json_t *v, char *out, size_t outlen, bool *is_null,
                 struct field_error *err)
{
    *is_null = false;
    if (v == NULL || json_is_null(v)) {
        if (f->required)
            return fail(err, f->name, "is required");
        *is_null = true;
        out[0] = '\0';
        return true;
    }
    if (f->type == FT_BOOL) {
        if (!json_is_boolean(v))
            return fail(err, f->name, "must be true or false");
        snprintf(out, outlen, "%s", json_is_true(v) ? "true" : "false");
        return true;
    }
    if (f->type == FT_INT) {
        if (!json_is_integer(v))
            return fail(err, f->name, "must be an integer");
        json_int_t i = json_integer_value(v);
        if (i < f->min || i > f->max)
            return fail(err, f->name, "is out of range");
        snprintf(out, outlen, "%lld", (long long)i);
        return true;
    }
    if (!json_is_string(v))
        return fail(err, f->name, "must be a string");
    const char *s = json_string_value(v);
    if (strlen(s) != json_string_length(v))
        return fail(err, f->name, "must not contain NUL characters");
    if (strlen(s) >= outlen)
        return fail(err, f->name, "is too long");
    if (!check_string(f, s, err))
        return false;
    memcpy(out, s, strlen(s) + 1);
    return true;
}

bool json_only_keys(json_t *obj, const char *const *allowed, const char **unknown)
{
    const char *key;
    json_t *val;
    json_object_foreach(obj, key, val)
    {
        const char *const *a = allowed;
        while (*a && strcmp(*a, key) != 0)
            a++;
        if (*a == NULL) {
            *unknown = key;
            return false;
        }
    }
    return true;
}

/* ---- strict JSON bodies ---- */

/* Appends ".key" (or "key" at the start) or "[i]" to path; silently stops at its end. */
static void path_push_key(char *path, size_t n, const char *key)
{
    size_t used = strlen(path);
    snprintf(path + used, n - used, "%s%s", used ? "." : "", key);
}

static void path_push_index(char *path, size_t n, size_t i)
{
    size_t used = strlen(path);
    snprintf(path + used, n - used, "[%zu]", i);
}

/* A value's path in a tree that jansson accepted: the first string holding U+0000 (which
 * C strings would silently cut short), written into path. */
static bool find_nul(json_t *v, char *path, size_t n)
{
    size_t used = strlen(path), i;
    const char *key;
    json_t *e;
    if (json_is_string(v))
        return strlen(json_string_value(v)) != json_string_length(v);
    json_object_foreach(v, key, e)
    {
        path_push_key(path, n, key);
        if (find_nul(e, path, n))
            return true;
        path[used] = '\0';
    }
    json_array_foreach(v, i, e)
    {
        path_push_index(path, n, i);
        if (find_nul(e, path, n))
            return true;
        path[used] = '\0';
    }
    return false;
}

#define JSON_PATH_DEPTH 32

/* The path of the value at byte offset `at` of text, which parsed well up to there: a scan of
 * the structure only (strings skipped with their escapes, keys decoded by jansson). */
static void path_at(const char *text, size_t len, size_t at, char *path, size_t n)
{
    struct frame {
        bool object, want_key;
        size_t index;
        const char *key;
        size_t key_len;
    } st[JSON_PATH_DEPTH];
    int depth = -1, lost = 0; /* lost: levels deeper than st */
    for (size_t i = 0; i < len && i < at; i++) {
        char c = text[i];
        struct frame *top = depth >= 0 && !lost ? &st[depth] : NULL;
        if (c == '"') {
            size_t start = i++;
            while (i < len && text[i] != '"')
                i += text[i] == '\\' ? 2 : 1;
            if (top && top->object && top->want_key) {
                top->key = text + start;
                top->key_len = i + 1 - start;
                top->want_key = false;
            }
        } else if (c == '{' || c == '[') {
            if (depth + 1 >= JSON_PATH_DEPTH || lost)
                lost++;
            else
                st[++depth] = (struct frame){c == '{', c == '{', 0, NULL, 0};
        } else if (c == '}' || c == ']') {
            if (lost)
                lost--;
            else
                depth--;
        } else if (c == ',' && top) {
            top->index++;
            top->want_key = top->object;
        }
    }
    path[0] = '\0';
    for (int d = 0; d <= depth && d < JSON_PATH_DEPTH; d++) {
        if (!st[d].object) {
            path_push_index(path, n, st[d].index);
            continue;
        }
        json_t *k = st[d].key ? json_loadb(st[d].key, st[d].key_len, JSON_DECODE_ANY, NULL) : NULL;
        path_push_key(path, n, json_is_string(k) ? json_string_value(k) : "?");
        json_decref(k);
    }
}

enum json_read json_read_body(const char *text, size_t len, json_t **out, json_error_t *jerr,
                              char *field, size_t fieldlen, const char **detail)
{
    *out = json_loadb(text, len, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, jerr);
    field[0] = '\0';
    if (*out == NULL) {
        if (json_error_code(jerr) != json_error_numeric_overflow)
            return JSON_READ_MALFORMED;
        path_at(text, len, (size_t)jerr->position, field, fieldlen);
        *detail = "must be a number within the range of a 64-bit integer or a double";
        return JSON_READ_INVALID;
    }
    if (find_nul(*out, field, fieldlen)) {
        json_decref(*out);
        *out = NULL;
        *detail = "must not contain the NUL character (\\u0000)";
        return JSON_READ_INVALID;
    }
    return JSON_READ_OK;
}
