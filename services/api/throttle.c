/* Login throttling: failed logins counted per username and per client address over a fixed
 * window, in this process's memory (shared by its workers; a restart forgets them). */
#include <pthread.h>
#include <stdint.h>
#include <string.h>
#include <sys/random.h>

#include "api.h"

#define THROTTLE_SLOTS 4096 /* direct-mapped; a collision at worst throttles a bit early */

struct throttle_slot {
    uint64_t key;
    time_t start; /* when the slot's window began */
    int failures;
};

static struct {
    pthread_mutex_t mu;
    uint64_t seed; /* keys are unpredictable, so nobody can aim at another's slot */
    struct throttle_slot slot[THROTTLE_SLOTS];
} tt = {.mu = PTHREAD_MUTEX_INITIALIZER};

/* FNV-1a over the seed, the kind and the value. Caller holds tt.mu. */
static uint64_t key_of(char kind, const char *value)
{
    if (tt.seed == 0 && getrandom(&tt.seed, sizeof tt.seed, 0) != (ssize_t)sizeof tt.seed)
        tt.seed = (uint64_t)time(NULL) | 1;
    uint64_t h = 14695981039346656037ull ^ tt.seed;
    h = (h ^ (unsigned char)kind) * 1099511628211ull;
    for (const char *p = value ? value : ""; *p; p++)
        h = (h ^ (unsigned char)*p) * 1099511628211ull;
    return h | 1; /* 0 marks a free slot */
}

int throttle_wait(char kind, const char *value, int limit, int window_s, time_t now)
{
    int wait = 0;
    pthread_mutex_lock(&tt.mu);
    uint64_t k = key_of(kind, value);
    struct throttle_slot *s = &tt.slot[k % THROTTLE_SLOTS];
    if (s->key == k && now - s->start < window_s && s->failures >= limit)
        wait = (int)(s->start + window_s - now);
    pthread_mutex_unlock(&tt.mu);
    return wait > 0 ? wait : 0;
}

void throttle_fail(char kind, const char *value, int window_s, time_t now)
{
    pthread_mutex_lock(&tt.mu);
    uint64_t k = key_of(kind, value);
    struct throttle_slot *s = &tt.slot[k % THROTTLE_SLOTS];
    if (s->key != k || now - s->start >= window_s) {
        s->key = k;
        s->start = now;
        s->failures = 0;
    }
    s->failures++;
    pthread_mutex_unlock(&tt.mu);
}
