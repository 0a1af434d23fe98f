/* The per-worker cache of verified access tokens: TOKEN_CACHE_SETS sets of TOKEN_CACHE_WAYS
 * entries, chosen by FNV-1a of the whole token; a set's oldest entry makes room (FIFO). */
#include <stdlib.h>
#include <string.h>

#include "crt/token_cache.h"

struct token_cache_entry {
    char *token; /* NULL: free */
    struct token_claims claims;
};

struct token_cache {
    struct {
        struct token_cache_entry way[TOKEN_CACHE_WAYS];
        unsigned next; /* the way the next new token of this set replaces, unless one is free */
    } set[TOKEN_CACHE_SETS];
    size_t size;
};

struct token_cache *token_cache_new(void)
{
    return calloc(1, sizeof(struct token_cache));
}

void token_cache_free(struct token_cache *c)
{
    for (int s = 0; c && s < TOKEN_CACHE_SETS; s++)
        for (int w = 0; w < TOKEN_CACHE_WAYS; w++)
            free(c->set[s].way[w].token);
    free(c);
}

unsigned token_cache_set(const char *s)
{
    unsigned h = 2166136261u;
    while (*s)
        h = (h ^ (unsigned char)*s++) * 16777619u;
    return h % TOKEN_CACHE_SETS;
}

static bool fresh(const struct token_claims *c, time_t now)
{
    return c->exp > now - TOKEN_CLOCK_SKEW;
}

bool token_cache_get(const struct token_cache *c, const char *token, time_t now,
                     struct token_claims *out)
{
    if (c == NULL)
        return false;
    unsigned s = token_cache_set(token);
    for (int w = 0; w < TOKEN_CACHE_WAYS; w++) {
        const struct token_cache_entry *e = &c->set[s].way[w];
        if (e->token && strcmp(e->token, token) == 0 && fresh(&e->claims, now)) {
            *out = e->claims;
            return true;
        }
    }
    return false;
}

/* The way of set s a new token goes to: a free one, else an expired one, else the oldest. */
static struct token_cache_entry *victim(struct token_cache *c, unsigned s, time_t now)
{
    struct token_cache_entry *way = c->set[s].way;
    for (int w = 0; w < TOKEN_CACHE_WAYS; w++)
        if (way[w].token == NULL)
            return &way[w];
    for (int w = 0; w < TOKEN_CACHE_WAYS; w++)
        if (!fresh(&way[w].claims, now))
            return &way[w];
    unsigned w = c->set[s].next;
    c->set[s].next = (w + 1) % TOKEN_CACHE_WAYS;
    return &way[w];
}

void token_cache_put(struct token_cache *c, const char *token, const struct token_claims *claims,
                     time_t now)
{
    if (c == NULL)
        return;
    char *copy = strdup(token);
    if (copy == NULL)
        return;
    struct token_cache_entry *e = victim(c, token_cache_set(token), now);
    if (e->token == NULL)
        c->size++;
    free(e->token);
    e->token = copy;
    e->claims = *claims;
}

size_t token_cache_size(const struct token_cache *c)
{
    return c ? c->size : 0;
}
