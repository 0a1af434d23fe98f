/* Unit: the per-worker token cache (common/token_cache.c) — many users stay cached, expired tokens
 * are not answered and make room first, a full set drops its oldest, a near miss misses, bounded. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "crt/token_cache.h"

#define NOW ((time_t)1800000000)

/* A token-like string (three base64url-ish segments) for user i, and its claims. */
static void token_of(int i, char out[128], struct token_claims *c)
{
    unsigned x = 2463534242u ^ (unsigned)i * 2654435761u;
    x ^= x << 13, x ^= x >> 17, x ^= x << 5;
    snprintf(out, 128, "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ1c2VyLSVk%08x%04d.c2lnbmF0dXJl%08x", x, i,
             x * 69069u);
    memset(c, 0, sizeof *c);
    snprintf(c->sub, sizeof c->sub, "00000000-0000-4000-8000-%012d", i);
    snprintf(c->sid, sizeof c->sid, "00000000-0000-4000-9000-%012d", i);
    c->ctl = 1 + i % 4;
    snprintf(c->role, sizeof c->role, "intake");
    c->iat = c->nbf = NOW - 60;
    c->exp = NOW + 900;
}

Test(token_cache, the_tokens_of_128_concurrent_users_all_stay_cached)
{
    struct token_cache *tc = token_cache_new();
    cr_assert_not_null(tc);
    char t[128];
    struct token_claims c, got;
    for (int i = 0; i < 128; i++) {
        token_of(i, t, &c);
        token_cache_put(tc, t, &c, NOW);
    }
    cr_assert_eq(token_cache_size(tc), 128);
    for (int round = 0; round < 3; round++)
        for (int i = 0; i < 128; i++) {
            token_of(i, t, &c);
            cr_assert(token_cache_get(tc, t, NOW + 1, &got), "user %d's token was evicted", i);
            cr_assert_str_eq(got.sub, c.sub);
            cr_assert_str_eq(got.sid, c.sid);
            cr_assert_eq(got.ctl, c.ctl);
        }
    token_cache_free(tc);
}

Test(token_cache, an_expired_token_is_not_answered)
{
    struct token_cache *tc = token_cache_new();
    cr_assert_not_null(tc);
    char t[128];
    struct token_claims c, got;
    token_of(7, t, &c);
    token_cache_put(tc, t, &c, NOW);
    cr_assert(token_cache_get(tc, t, c.exp + TOKEN_CLOCK_SKEW - 1, &got));
    cr_assert_not(token_cache_get(tc, t, c.exp + TOKEN_CLOCK_SKEW, &got));
    token_cache_free(tc);
}

/* n users whose tokens fall in one set (the set of user 0's token), in t[] and c[]. */
static void same_set(int n, char t[][128], struct token_claims c[])
{
    token_of(0, t[0], &c[0]);
    unsigned set = token_cache_set(t[0]);
    for (int i = 1, k = 1; k < n; i++) {
        token_of(i, t[k], &c[k]);
        if (token_cache_set(t[k]) == set)
            k++;
    }
}

Test(token_cache, a_full_set_drops_its_oldest_token)
{
    struct token_cache *tc = token_cache_new();
    cr_assert_not_null(tc);
    char t[TOKEN_CACHE_WAYS + 1][128];
    struct token_claims c[TOKEN_CACHE_WAYS + 1], got;
    same_set(TOKEN_CACHE_WAYS + 1, t, c);
    for (int i = 0; i <= TOKEN_CACHE_WAYS; i++)
        token_cache_put(tc, t[i], &c[i], NOW);
    cr_assert_eq(token_cache_size(tc), TOKEN_CACHE_WAYS);
    cr_assert_not(token_cache_get(tc, t[0], NOW, &got), "the oldest token of the set was dropped");
    for (int i = 1; i <= TOKEN_CACHE_WAYS; i++)
        cr_assert(token_cache_get(tc, t[i], NOW, &got), "token %d of the set was dropped", i);
    token_cache_free(tc);
}

Test(token_cache, a_full_set_reuses_an_expired_entry_before_dropping_a_fresh_one)
{
    struct token_cache *tc = token_cache_new();
    cr_assert_not_null(tc);
    char t[TOKEN_CACHE_WAYS + 1][128];
    struct token_claims c[TOKEN_CACHE_WAYS + 1], got;
    same_set(TOKEN_CACHE_WAYS + 1, t, c);
    /* the oldest ways hold fresh tokens, the last one a token that expires soon */
    c[TOKEN_CACHE_WAYS - 1].exp = NOW + 10;
    for (int i = 0; i < TOKEN_CACHE_WAYS; i++)
        token_cache_put(tc, t[i], &c[i], NOW);
    time_t later = NOW + 10 + TOKEN_CLOCK_SKEW + 1;
    token_cache_put(tc, t[TOKEN_CACHE_WAYS], &c[TOKEN_CACHE_WAYS], later);
    for (int i = 0; i < TOKEN_CACHE_WAYS - 1; i++)
        cr_assert(token_cache_get(tc, t[i], later, &got), "fresh token %d was dropped", i);
    cr_assert(token_cache_get(tc, t[TOKEN_CACHE_WAYS], later, &got));
    cr_assert_eq(token_cache_size(tc), TOKEN_CACHE_WAYS);
    token_cache_free(tc);
}

Test(token_cache, a_token_that_differs_in_one_character_or_is_a_prefix_misses)
{
    struct token_cache *tc = token_cache_new();
    cr_assert_not_null(tc);
    char t[128], u[128];
    struct token_claims c, got;
    token_of(3, t, &c);
    token_cache_put(tc, t, &c, NOW);
    strcpy(u, t);
    u[strlen(u) - 1] ^= 1;
    cr_assert_not(token_cache_get(tc, u, NOW, &got));
    strcpy(u, t);
    u[strlen(u) - 1] = '\0';
    cr_assert_not(token_cache_get(tc, u, NOW, &got));
    cr_assert(token_cache_get(tc, t, NOW, &got));
    token_cache_free(tc);
}

Test(token_cache, it_never_holds_more_than_its_bound_and_keeps_the_newest)
{
    struct token_cache *tc = token_cache_new();
    cr_assert_not_null(tc);
    char t[128];
    struct token_claims c, got;
    for (int i = 0; i < 20000; i++) {
        token_of(i, t, &c);
        token_cache_put(tc, t, &c, NOW);
        cr_assert(token_cache_get(tc, t, NOW, &got), "token %d not found right after put", i);
    }
    cr_assert_eq(token_cache_size(tc), (size_t)TOKEN_CACHE_SETS * TOKEN_CACHE_WAYS);
    token_cache_free(tc); /* ASan/LeakSanitizer: every copy freed */
}

Test(token_cache, a_null_cache_answers_nothing_and_takes_nothing)
{
    char t[128];
    struct token_claims c, got;
    token_of(1, t, &c);
    token_cache_put(NULL, t, &c, NOW);
    cr_assert_not(token_cache_get(NULL, t, NOW, &got));
    cr_assert_eq(token_cache_size(NULL), 0);
    token_cache_free(NULL);
}
