/* The per-worker cache of verified access tokens: bounded (TOKEN_CACHE_SETS x TOKEN_CACHE_WAYS
 * tokens), set-associative, so that many concurrent users' tokens do not evict each other. */
#ifndef CRT_TOKEN_CACHE_H
#define CRT_TOKEN_CACHE_H
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "crt/token.h"

#define TOKEN_CACHE_SETS 256
#define TOKEN_CACHE_WAYS 4

struct token_cache;

/* An empty cache, or NULL when out of memory. Not thread-safe: one per worker. */
struct token_cache *token_cache_new(void);
void token_cache_free(struct token_cache *c);
/* Whether token was put with claims that have not expired at now (with TOKEN_CLOCK_SKEW, as
 * token_verify); on true, *out holds them. */
bool token_cache_get(const struct token_cache *c, const char *token, time_t now,
                     struct token_claims *out);
/* Remembers a token token_verify accepted, in place of an expired entry of its set, else of the
 * oldest one put there. A failed copy leaves the cache as it was (the next request verifies). */
void token_cache_put(struct token_cache *c, const char *token, const struct token_claims *claims,
                     time_t now);
/* The set a token falls in (0 .. TOKEN_CACHE_SETS - 1): tokens of one set compete for its ways. */
unsigned token_cache_set(const char *token);
/* The number of tokens held (at most TOKEN_CACHE_SETS * TOKEN_CACHE_WAYS). */
size_t token_cache_size(const struct token_cache *c);

#endif
