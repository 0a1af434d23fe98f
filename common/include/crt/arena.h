/* Per-request memory: everything a request allocates comes from its arena and is released at
 * once when the request ends, so an early return cannot leak. */
#ifndef CRT_ARENA_H
#define CRT_ARENA_H
#include <stddef.h>

struct arena_chunk;
struct arena {
    struct arena_chunk *head;
};

/* An empty arena; allocates nothing until first used. */
void arena_init(struct arena *a);
/* Zeroed memory owned by the arena, aligned for any type; NULL when out of memory. */
void *arena_alloc(struct arena *a, size_t n);
char *arena_strdup(struct arena *a, const char *s);
char *arena_strndup(struct arena *a, const char *s, size_t n);
char *arena_printf(struct arena *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Frees every chunk; the arena is empty and reusable afterwards. */
void arena_release(struct arena *a);

#endif
