/* Unit: validation of values against field specifications, calendar dates and UUIDs, and the
 * strict reading of JSON bodies (json_read_body: NUL and out-of-range numbers named by path). */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "crt/validate.h"

static const char *const colours[] = {"red", "green", NULL};

static bool check(const struct field_spec *f, const char *json, char *out)
{
    json_t *v = json_loads(json, JSON_DECODE_ANY, NULL);
    bool is_null;
    struct field_error err;
    bool ok = field_check(f, v, out, 64, &is_null, &err);
    if (!ok)
        cr_assert_str_eq(err.field, f->name, "the error names the field");
    json_decref(v);
    return ok;
}

Test(validate, dates_must_exist_on_the_calendar)
{
    cr_assert(validate_date("2024-02-29"));
    cr_assert(validate_date("2000-02-29"));
    cr_assert_not(validate_date("1900-02-29"));
    cr_assert_not(validate_date("2023-02-29"));
    cr_assert_not(validate_date("2024-04-31"));
    cr_assert_not(validate_date("2024-13-01"));
    cr_assert_not(validate_date("2024-1-01"));
    cr_assert_not(validate_date("1899-12-31"));
    cr_assert_not(validate_date("2024-01-01T00:00"));
    cr_assert_not(validate_date("+024-01-01"));
}

Test(validate, future_dates_only_where_allowed)
{
    char out[64];
    struct field_spec past = {"birth_date", FT_DATE, 0, NULL, 0, 0, true, false};
    struct field_spec any = {"end", FT_DATE, 0, NULL, 0, 0, false, true};
    cr_assert_not(check(&past, "\"2199-01-01\"", out));
    cr_assert(check(&any, "\"2199-01-01\"", out));
    cr_assert(check(&past, "\"1990-05-06\"", out));
    cr_assert_str_eq(out, "1990-05-06");
}

Test(validate, text_length_counts_characters_not_bytes)
{
    char out[64];
    struct field_spec f = {"name", FT_TEXT, 5, NULL, 0, 0, true, false};
    cr_assert(check(&f, "\"\\u041e\\u043b\\u0435\\u043d\\u0430\"", out)); /* Олена: 5 chars */
    cr_assert_not(check(&f, "\"Olenaa\"", out));
    cr_assert_not(check(&f, "\"\"", out));
    cr_assert_not(check(&f, "\"a\\nb\"", out), "control characters refused");
    cr_assert_not(check(&f, "\"a\\u0000b\"", out), "NUL refused");
    cr_assert_not(check(&f, "5", out));
}

Test(validate, notes_may_span_lines_but_hold_no_other_control_characters)
{
    char out[64];
    struct field_spec f = {"note", FT_NOTE, 20, NULL, 0, 0, true, false};
    cr_assert(check(&f, "\"first line\\nsecond\"", out));
    cr_assert(check(&f, "\"first line\\r\\nsecond\"", out), "CR LF as typed on Windows");
    cr_assert_not(check(&f, "\"a\\tb\"", out), "a tab refused");
    cr_assert_not(check(&f, "\"a\\rb\"", out), "a lone CR refused");
    cr_assert_not(check(&f, "\"a\\u0000b\"", out), "NUL refused");
    cr_assert_not(check(&f, "\"\"", out));
}

Test(validate, enumerations_postcodes_and_countries)
{
    char out[64];
    struct field_spec e = {"colour", FT_ENUM, 0, colours, 0, 0, false, false};
    struct field_spec pc = {"postcode", FT_POSTCODE, 4, NULL, 0, 0, false, false};
    struct field_spec cc = {"nationality", FT_COUNTRY, 2, NULL, 0, 0, false, false};
    cr_assert(check(&e, "\"green\"", out));
    cr_assert_not(check(&e, "\"Green\"", out));
    cr_assert(check(&pc, "\"9000\"", out));
    cr_assert_not(check(&pc, "\"0900\"", out));
    cr_assert_not(check(&pc, "\"90000\"", out));
    cr_assert_not(check(&pc, "9000", out));
    cr_assert(check(&cc, "\"UA\"", out));
    cr_assert_not(check(&cc, "\"ua\"", out));
    cr_assert_not(check(&cc, "\"UKR\"", out));
}

Test(validate, required_null_and_optional_null)
{
    char out[64];
    bool is_null;
    struct field_error err;
    struct field_spec req = {"first_name", FT_TEXT, 10, NULL, 0, 0, true, false};
    struct field_spec opt = {"title", FT_TEXT, 10, NULL, 0, 0, false, false};
    cr_assert_not(field_check(&req, NULL, out, sizeof out, &is_null, &err));
    cr_assert_str_eq(err.detail, "is required");
    cr_assert(field_check(&opt, json_null(), out, sizeof out, &is_null, &err));
    cr_assert(is_null);
}

Test(validate, integers_booleans_emails_phones)
{
    char out[64];
    struct field_spec i = {"children", FT_INT, 0, NULL, 0, 30, false, false};
    struct field_spec b = {"buddy", FT_BOOL, 0, NULL, 0, 0, false, false};
    struct field_spec m = {"email", FT_EMAIL, 254, NULL, 0, 0, false, false};
    struct field_spec p = {"phone", FT_PHONE, 32, NULL, 0, 0, false, false};
    cr_assert(check(&i, "3", out));
    cr_assert_str_eq(out, "3");
    cr_assert_not(check(&i, "31", out));
    cr_assert_not(check(&i, "2.5", out));
    cr_assert_not(check(&i, "\"3\"", out));
    cr_assert(check(&b, "false", out));
    cr_assert_str_eq(out, "false");
    cr_assert_not(check(&b, "0", out));
    cr_assert(check(&m, "\"a@b.be\"", out));
    cr_assert_not(check(&m, "\"a@b\"", out));
    cr_assert_not(check(&m, "\"a b@c.be\"", out));
    cr_assert(check(&p, "\"+32 (0)9 265 78 40\"", out));
    cr_assert_not(check(&p, "\"call me\"", out));
}

Test(validate, uuids)
{
    cr_assert(validate_uuid("0df7069a-9245-418d-ac54-a1e89170d25c"));
    cr_assert_not(validate_uuid("0df7069a-9245-418d-ac54-a1e89170d25"));
    cr_assert_not(validate_uuid("0df7069a-9245-418d-ac54-a1e89170d25g"));
    cr_assert_not(validate_uuid("0df7069a9245-418d-ac54-a1e89170d25cc"));
}

Test(validate, one_of_a_set)
{
    static const char *const set[] = {"open", "decided", NULL};
    cr_assert(validate_one_of("open", set));
    cr_assert(validate_one_of("decided", set));
    cr_assert_not(validate_one_of("Open", set));
    cr_assert_not(validate_one_of("", set));
}

Test(validate, decimal_integers_in_a_range)
{
    cr_assert(validate_int("1", 1, 100));
    cr_assert(validate_int("100", 1, 100));
    cr_assert(validate_int("007", 1, 100));
    cr_assert(validate_int("999999999999999999", 1, 999999999999999999LL));
    cr_assert_not(validate_int("0", 1, 100));
    cr_assert_not(validate_int("101", 1, 100));
    cr_assert_not(validate_int("", 1, 100));
    cr_assert_not(validate_int("-5", -10, 100));
    cr_assert_not(validate_int("+5", 1, 100));
    cr_assert_not(validate_int(" 5", 1, 100));
    cr_assert_not(validate_int("5x", 1, 100));
    cr_assert_not(validate_int("1000000000000000000", 1, 999999999999999999LL));
}

Test(validate, only_known_keys)
{
    static const char *const allowed[] = {"a", "b", NULL};
    json_t *o = json_pack("{s:i, s:i}", "a", 1, "zz", 2);
    const char *unknown = NULL;
    cr_assert_not(json_only_keys(o, allowed, &unknown));
    cr_assert_str_eq(unknown, "zz");
    json_decref(o);
}

/* ---- json_read_body ---- */

static enum json_read read_body(const char *text, char *field, const char **detail)
{
    json_t *out = NULL;
    json_error_t jerr;
    enum json_read r = json_read_body(text, strlen(text), &out, &jerr, field, 128, detail);
    cr_assert_eq(out != NULL, r == JSON_READ_OK);
    json_decref(out);
    return r;
}

Test(json_read, a_plain_object_is_read)
{
    char field[128];
    const char *detail = NULL;
    cr_assert_eq(read_body("{\"a\":{\"b\":[1,\"x\",2.5]},\"c\":-9223372036854775808}", field, &detail),
                 JSON_READ_OK);
}

Test(json_read, a_nul_in_a_string_names_its_path)
{
    char field[128];
    const char *detail = NULL;
    cr_assert_eq(read_body("{\"a\":1,\"b\":{\"c\":\"x\\u0000y\"}}", field, &detail), JSON_READ_INVALID);
    cr_assert_str_eq(field, "b.c");
    cr_assert_not_null(strstr(detail, "NUL"));
    cr_assert_eq(read_body("{\"list\":[\"ok\",\"\\u0000\"]}", field, &detail), JSON_READ_INVALID);
    cr_assert_str_eq(field, "list[1]");
}

Test(json_read, an_integer_beyond_64_bits_names_its_path)
{
    char field[128];
    const char *detail = NULL;
    cr_assert_eq(read_body("{\"a\":\"x,y:{\\\"z\\\":[\",\"b\":{\"c\":[1,{\"d\":2},99999999999999999999]}}",
                           field, &detail),
                 JSON_READ_INVALID);
    cr_assert_str_eq(field, "b.c[2]", "strings with structure inside are skipped: %s", field);
    cr_assert_eq(read_body("{\"n\":-9223372036854775809}", field, &detail), JSON_READ_INVALID);
    cr_assert_str_eq(field, "n");
}

Test(json_read, a_real_beyond_a_double_names_its_path)
{
    char field[128];
    const char *detail = NULL;
    cr_assert_eq(read_body("{\"a\":{\"b\":1e999}}", field, &detail), JSON_READ_INVALID);
    cr_assert_str_eq(field, "a.b");
}

Test(json_read, an_escaped_key_is_named_decoded)
{
    char field[128];
    const char *detail = NULL;
    cr_assert_eq(read_body("{\"\\u0061ge\":1e400}", field, &detail), JSON_READ_INVALID);
    cr_assert_str_eq(field, "age");
}

Test(json_read, malformed_json_and_duplicate_keys_stay_malformed)
{
    char field[128];
    const char *detail = NULL;
    cr_assert_eq(read_body("{\"a\":1", field, &detail), JSON_READ_MALFORMED);
    cr_assert_eq(read_body("{\"a\":1,\"a\":2}", field, &detail), JSON_READ_MALFORMED);
    cr_assert_eq(read_body("{\"a\\u0000\":1}", field, &detail), JSON_READ_MALFORMED);
}

Test(json_read, a_very_deep_path_is_cut_but_still_named)
{
    char text[512] = "", field[128];
    const char *detail = NULL;
    for (int i = 0; i < 40; i++)
        strcat(text, "{\"k\":");
    strcat(text, "1e999");
    for (int i = 0; i < 40; i++)
        strcat(text, "}");
    cr_assert_eq(read_body(text, field, &detail), JSON_READ_INVALID);
    cr_assert_eq(strncmp(field, "k.k.k", 5), 0, "%s", field);
}

/* validate_today is the day in the process's time zone, not in UTC: at any hour, a zone 14 h
 * ahead or 12 h behind UTC is on another day than UTC, so each zone is checked against UTC
 * shifted by its offset. */
static void today_in_zone(const char *tz, long offset_s)
{
    char got[11], want[11];
    setenv("TZ", tz, 1);
    tzset();
    validate_today(got);
    time_t shifted = time(NULL) + offset_s;
    struct tm tm;
    gmtime_r(&shifted, &tm);
    strftime(want, sizeof want, "%Y-%m-%d", &tm);
    cr_expect_str_eq(got, want, "TZ=%s", tz);
}

Test(validate, today_is_the_day_of_the_process_time_zone)
{
    today_in_zone("<+14>-14", 14 * 3600);
    today_in_zone("<-12>+12", -12 * 3600);
    setenv("TZ", VALIDATE_LOCAL_TZ, 1);
    tzset();
    char today[11];
    validate_today(today);
    cr_expect_eq(strlen(today), 10u);
    unsetenv("TZ");
    tzset();
}
