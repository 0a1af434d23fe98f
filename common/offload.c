/* Offload pool: pthreads + a mutex/condvar-guarded ring of jobs; completion is handed back to
 * the submitting event loop through an event made at submit time (thread-safe activation). */
#include "crt/offload.h"

#include <pthread.h>
#include <stdlib.h>

/* One submitted job. Everything its completion needs (the job and the event that runs done on
 * the submitting loop) is allocated by offload_submit, on that loop's thread: once accepted,
 * a job's delivery cannot fail, and done never runs on a pool thread. */
struct job {
    struct offload *pool;
    struct event *delivery; /* on the submitting loop's base; activated by the pool thread */
    void (*work)(void *), (*done)(void *);
    void *arg;
    struct job *prev, *next; /* the pool's undelivered jobs (freed by offload_free) */
};

struct offload {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct job **ring;
    int cap, head, count, running, nthreads;
    bool stopping;
    pthread_t *threads;
    struct job *live; /* submitted and not yet delivered; guarded by mu */
};

static void unlink_job(struct offload *o, struct job *j)
{
    if (j->prev)
        j->prev->next = j->next;
    else
        o->live = j->next;
    if (j->next)
        j->next->prev = j->prev;
}

/* Runs on the submitting loop's thread. */
static void deliver(evutil_socket_t fd, short what, void *arg)
{
    (void)fd, (void)what;
    struct job *j = arg;
    void (*done)(void *) = j->done;
    void *done_arg = j->arg;
    pthread_mutex_lock(&j->pool->mu);
    unlink_job(j->pool, j);
    pthread_mutex_unlock(&j->pool->mu);
    event_free(j->delivery);
    free(j);
    done(done_arg);
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
        struct job *j = o->ring[o->head];
        o->head = (o->head + 1) % o->cap;
        o->count--;
        o->running++;
        pthread_mutex_unlock(&o->mu);
        j->work(j->arg);
        event_active(j->delivery, EV_TIMEOUT, 1); /* allocates nothing */
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

/* The job and its delivery event, or NULL when out of memory. */
static struct job *job_new(struct offload *o, struct event_base *base, void (*work)(void *),
                           void (*done)(void *), void *arg)
{
    struct job *j = calloc(1, sizeof *j);
    if (j == NULL)
        return NULL;
    *j = (struct job){.pool = o, .work = work, .done = done, .arg = arg};
    j->delivery = event_new(base, -1, 0, deliver, j);
    if (j->delivery == NULL) {
        free(j);
        return NULL;
    }
    return j;
}

static void job_free(struct job *j)
{
    event_free(j->delivery);
    free(j);
}

bool offload_submit(struct offload *o, struct event_base *base, void (*work)(void *),
                    void (*done)(void *), void *arg)
{
    struct job *j = job_new(o, base, work, done, arg);
    if (j == NULL)
        return false;
    bool ok = false;
    pthread_mutex_lock(&o->mu);
    if (!o->stopping && o->count < o->cap) {
        o->ring[(o->head + o->count) % o->cap] = j;
        o->count++;
        j->next = o->live;
        if (o->live)
            o->live->prev = j;
        o->live = j;
        ok = true;
        pthread_cond_signal(&o->cv);
    }
    pthread_mutex_unlock(&o->mu);
    if (!ok)
        job_free(j);
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
    while (o->live) { /* worked but never delivered: their loops have stopped */
        struct job *j = o->live;
        o->live = j->next;
        job_free(j);
    }
    pthread_mutex_destroy(&o->mu);
    pthread_cond_destroy(&o->cv);
    free(o->ring);
    free(o->threads);
    free(o);
}
