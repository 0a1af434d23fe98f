/* Who is calling. Until staff login exists, a development-only header names the user
 * (X-CRT-Dev-User: <username>), honoured only when CRT_DEV_AUTH=1; otherwise every data route
 * answers 401. Lookups go through crt_auth_find_user and are cached per worker for 2 s. */
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "crt/log.h"

#define CACHE_SLOTS 32
#define CACHE_TTL_NS 2000000000ull

struct identity_cache {
    struct {
        char username[64];
        struct principal who;
        bool disabled;
        uint64_t at;
    } slot[CACHE_SLOTS];
};

void identity_cache_free(struct identity_cache *c) { free(c); }

static unsigned slot_of(const char *s)
{
    unsigned h = 2166136261u;
    while (*s)
        h = (h ^ (unsigned char)*s++) * 16777619u;
    return h % CACHE_SLOTS;
}

static bool unauthorized(struct http_ctx *ctx, const char *detail)
{
    problem_send(ctx, 401, "unauthorized", detail, NULL);
    return false;
}

/* Looks the user up in the database; false when unknown. */
static bool lookup(struct http_ctx *ctx, const char *username, struct principal *who,
                   bool *disabled, enum db_status *st)
{
    PGresult *r = NULL;
    const char *p[] = {username};
    *st = db_ensure(ctx_db(ctx));
    if (*st == DB_OK)
        *st = db_exec(ctx_db(ctx), "auth_find_user", 1, p, &r);
    if (*st != DB_OK)
        return false;
    bool found = PQntuples(r) == 1;
    if (found) {
        memset(who, 0, sizeof *who);
        who->present = true;
        snprintf(who->user_id, sizeof who->user_id, "%s", PQgetvalue(r, 0, 0));
        who->controller_id = atoi(PQgetvalue(r, 0, 1));
        snprintf(who->role, sizeof who->role, "%s", PQgetvalue(r, 0, 2));
        *disabled = PQgetvalue(r, 0, 3)[0] == 't';
    }
    PQclear(r);
    return found;
}

bool identity_resolve(struct http_ctx *ctx)
{
    struct worker *w = ctx_worker(ctx);
    const char *user =
        evhttp_find_header(evhttp_request_get_input_headers(ctx->req), "X-CRT-Dev-User");
    if (user == NULL)
        return unauthorized(ctx, "authentication is required");
    if (!w->cfg->dev_auth)
        return unauthorized(ctx, "the development identity header is disabled on this server");
    if (strlen(user) == 0 || strlen(user) >= 64)
        return unauthorized(ctx, "unknown or disabled user");

    if (w->ids == NULL)
        w->ids = calloc(1, sizeof *w->ids);
    uint64_t now = http_now_ns();
    unsigned s = slot_of(user);
    bool disabled = false;
    if (w->ids && strcmp(w->ids->slot[s].username, user) == 0 &&
        now - w->ids->slot[s].at < CACHE_TTL_NS) {
        ctx->who = w->ids->slot[s].who;
        disabled = w->ids->slot[s].disabled;
    } else {
        enum db_status st;
        if (!lookup(ctx, user, &ctx->who, &disabled, &st)) {
            if (st != DB_OK) {
                api_db_fail(ctx, st);
                return false;
            }
            return unauthorized(ctx, "unknown or disabled user");
        }
        if (w->ids) {
            snprintf(w->ids->slot[s].username, sizeof w->ids->slot[s].username, "%s", user);
            w->ids->slot[s].who = ctx->who;
            w->ids->slot[s].disabled = disabled;
            w->ids->slot[s].at = now;
        }
    }
    if (disabled) {
        ctx->who.present = false;
        return unauthorized(ctx, "unknown or disabled user");
    }
    return true;
}
