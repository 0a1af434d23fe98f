/* Who is calling: the Bearer access token of the request, verified with token_verify
 * (signature, algorithm, every claim). Verified tokens are remembered per worker until they
 * expire, so a busy client costs one ECDSA verification per token, not per request; whether
 * the session still stands is checked in the request's own transaction (api_begin). */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api.h"
#include "crt/log.h"

#define CACHE_SLOTS 64

struct token_cache {
    struct {
        char *token;
        struct token_claims claims;
    } slot[CACHE_SLOTS];
};

void token_cache_free(struct token_cache *c)
{
    for (int i = 0; c && i < CACHE_SLOTS; i++)
        free(c->slot[i].token);
    free(c);
}

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

/* Verifies token, through the worker's cache; TOKEN_OK fills *c. */
static enum token_result verify(struct worker *w, const char *token, struct token_claims *c)
{
    time_t now = time(NULL);
    if (w->tokens == NULL)
        w->tokens = calloc(1, sizeof *w->tokens);
    unsigned s = slot_of(token);
    if (w->tokens && w->tokens->slot[s].token && strcmp(w->tokens->slot[s].token, token) == 0) {
        *c = w->tokens->slot[s].claims;
        if (c->exp > now - TOKEN_CLOCK_SKEW)
            return TOKEN_OK;
    }
    enum token_result r = token_verify(&w->shared->keys, token, now, c);
    if (r == TOKEN_OK && w->tokens) {
        free(w->tokens->slot[s].token);
        w->tokens->slot[s].token = strdup(token);
        w->tokens->slot[s].claims = *c;
    }
    return r;
}

bool identity_resolve(struct http_ctx *ctx)
{
    const char *h = evhttp_find_header(evhttp_request_get_input_headers(ctx->req), "Authorization");
    if (h == NULL)
        return unauthorized(ctx, "authentication is required");
    if (strncasecmp(h, "Bearer ", 7) != 0 || strlen(h + 7) > TOKEN_MAX_LENGTH)
        return unauthorized(ctx, "use an access token: Authorization: Bearer <token>");
    struct token_claims c;
    enum token_result r = verify(ctx_worker(ctx), h + 7, &c);
    if (r != TOKEN_OK) {
        log_debug("request_id=%s token refused (%d)", ctx->request_id, (int)r);
        return unauthorized(ctx, r == TOKEN_EXPIRED ? "the access token has expired"
                                                    : "the access token is not valid");
    }
    memset(&ctx->who, 0, sizeof ctx->who);
    ctx->who.present = true;
    ctx->who.controller_id = c.ctl;
    snprintf(ctx->who.user_id, sizeof ctx->who.user_id, "%s", c.sub);
    snprintf(ctx->who.role, sizeof ctx->who.role, "%s", c.role);
    snprintf(ctx->who.session_id, sizeof ctx->who.session_id, "%s", c.sid);
    ctx->who.issued_at = c.iat;
    ctx->who.secret_version = c.sv;
    return true;
}
