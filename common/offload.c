/* Offload pool: pthreads + a mutex/condvar-guarded ring of jobs; completion is handed back to
 * the submitting event loop with event_base_once (thread-safe with evthread_use_pthreads). */
#include "crt/offload.h"

#include <pthread.h>
#include <stdlib.h>

struct job {
    struct event_base *base;
    void (*work)(void *), (*done)(void *);
    void *arg;
};

struct offload {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct job *ring;
    int cap, head, count, running, nthreads;
    bool stopping;
    pthread_t *threads;
};

static void deliver(evutil_socket_t fd, short what, void *arg)
{
    (void)fd, (void)what;
    struct job *j = arg;
    j->done(j->arg);
    free(j);
}

static void *pool_main(void *arg)
{
    struct offload *o = arg;
    pthread_mutex_lock(&o->mu);
    for (;;) {
        while (o->count == 0 && !o->stopping)
            pthread_cond_wait(&o->cv, &o->mu);
        if (o->count == 0)
            break;
        struct job *j = malloc(sizeof *j);
        struct job taken = o->ring[o->head];
        o->head = (o->head + 1) % o->cap;
        o->count--;
        o->running++;
        pthread_mutex_unlock(&o->mu);
        taken.work(taken.arg);
        struct timeval now = {0, 0};
        if (j == NULL) {
            taken.done(taken.arg); /* out of memory: complete on this thread rather than lose it */
        } else {
            *j = taken;
            if (event_base_once(j->base, -1, EV_TIMEOUT, deliver, j, &now) != 0)
                free(j); /* the loop is gone (shutdown): nobody waits for this answer */
        }
        pthread_mutex_lock(&o->mu);
        o->running--;
    }
    pthread_mutex_unlock(&o->mu);
    return NULL;
}

struct offload *offload_new(int threads, int queue_max)
{
    struct offload *o = calloc(1, sizeof *o);
    if (o == NULL)
        return NULL;
    o->cap = queue_max;
    o->ring = calloc((size_t)queue_max, sizeof *o->ring);
    o->threads = calloc((size_t)threads, sizeof *o->threads);
    pthread_mutex_init(&o->mu, NULL);
    pthread_cond_init(&o->cv, NULL);
    if (o->ring == NULL || o->threads == NULL) {
        offload_free(o);
        return NULL;
    }
    for (; o->nthreads < threads; o->nthreads++)
        if (pthread_create(&o->threads[o->nthreads], NULL, pool_main, o) != 0) {
            offload_free(o);
            return NULL;
        }
    return o;
}

bool offload_submit(struct offload *o, struct event_base *base, void (*work)(void *),
                    void (*done)(void *), void *arg)
{
    bool ok = false;
    pthread_mutex_lock(&o->mu);
    if (!o->stopping && o->count < o->cap) {
        o->ring[(o->head + o->count) % o->cap] = (struct job){base, work, done, arg};
        o->count++;
        ok = true;
        pthread_cond_signal(&o->cv);
    }
    pthread_mutex_unlock(&o->mu);
    return ok;
}

int offload_pending(struct offload *o)
{
    pthread_mutex_lock(&o->mu);
    int n = o->count + o->running;
    pthread_mutex_unlock(&o->mu);
    return n;
}

void offload_free(struct offload *o)
{
    if (o == NULL)
        return;
    pthread_mutex_lock(&o->mu);
    o->stopping = true;
    pthread_cond_broadcast(&o->cv);
    pthread_mutex_unlock(&o->mu);
    for (int i = 0; i < o->nthreads; i++)
        pthread_join(o->threads[i], NULL);
    pthread_mutex_destroy(&o->mu);
    pthread_cond_destroy(&o->cv);
    free(o->ring);
    free(o->threads);
    free(o);
}
