/* libFuzzer target: JSON request bodies as handlers read them — jansson with the server's
 * flags, then api_fields (services/api/request.c) over a field table of every type, with a
 * request that has no connection (evhttp frees it when answered) on a worker without a
 * database connection. A body is either read completely, every field in canonical form, or
 * refused with one 422 problem. */
#include <event2/http.h>
#include <jansson.h>
#include <stdbool.h>

#include "api.h"
#include "crt/validate.h"
#include "crt/http.h"
#include "fuzz.h"

static const char *const purposes[] = {"referral", "follow_up", "audit", NULL};

static const struct field_spec specs[] = {
    {"username", FT_TEXT, 64, NULL, 0, 0, true, false},
    {"note", FT_TEXT, 2000, NULL, 0, 0, false, false},
    {"purpose", FT_ENUM, 0, purposes, 0, 0, false, false},
    {"birth_date", FT_DATE, 0, NULL, 0, 0, false, false},
    {"until", FT_DATE, 0, NULL, 0, 0, false, true},
    {"postcode", FT_POSTCODE, 0, NULL, 0, 0, false, false},
    {"country", FT_COUNTRY, 0, NULL, 0, 0, false, false},
    {"hours", FT_INT, 0, NULL, 0, 200, false, false},
    {"attended", FT_BOOL, 0, NULL, 0, 0, false, false},
    {"email", FT_EMAIL, 254, NULL, 0, 0, false, false},
    {"phone", FT_PHONE, 32, NULL, 0, 0, false, false},
};
#define NSPECS (sizeof specs / sizeof *specs)

static void check_read(json_t *body, const char *const out[NSPECS])
{
    for (size_t i = 0; i < NSPECS; i++) {
        json_t *v = json_object_get(body, specs[i].name);
        if (v == NULL || json_is_null(v)) {
            FUZZ_ASSERT(out[i] == NULL && !specs[i].required);
            continue;
        }
        FUZZ_ASSERT(out[i] != NULL);
        if (json_is_string(v))
            FUZZ_ASSERT(strcmp(out[i], json_string_value(v)) == 0);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_t *body = fuzz_read_body(data, size);
    if (body == NULL)
        return 0;
    struct worker w = {0}; /* no connection and no transaction: api_invalid's rollback is a no-op */
    struct http_ctx ctx = {.route_index = -1, .body = body, .worker = &w};
    const char *out[NSPECS];
    arena_init(&ctx.arena);
    snprintf(ctx.request_id, sizeof ctx.request_id, "fuzz");
    ctx.req = evhttp_request_new(NULL, NULL);
    FUZZ_ASSERT(ctx.req != NULL);
    if (api_fields(&ctx, specs, NSPECS, out)) {
        FUZZ_ASSERT(ctx.status == 0);
        check_read(body, out);
        evhttp_request_free(ctx.req);
    } else {
        FUZZ_ASSERT(ctx.status == 422); /* answered; evhttp freed the unconnected request */
    }
    arena_release(&ctx.arena);
    json_decref(body);
    return 0;
}
