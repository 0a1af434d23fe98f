/* Unit: the offload pool (common/offload.c) — jobs run off the loop, their completion runs on
 * the submitting event_base's thread (even when memory runs out: linked with
 * -Wl,--wrap=malloc,--wrap=calloc so a test can make the library's allocations fail), a full
 * queue refuses at once, and shutdown drains. */
#include <criterion/criterion.h>
#include <event2/event.h>
#include <event2/thread.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>

#include "crt/offload.h"

/* A latch a job can wait on, so the test decides when the pool's thread is busy. */
struct gate {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool started, open;
};
static struct gate gate = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, false, false};

static void gate_set(bool *flag)
{
    pthread_mutex_lock(&gate.mu);
    *flag = true;
    pthread_cond_broadcast(&gate.cv);
    pthread_mutex_unlock(&gate.mu);
}

static void gate_wait(const bool *flag)
{
    pthread_mutex_lock(&gate.mu);
    while (!*flag)
        pthread_cond_wait(&gate.cv, &gate.mu);
    pthread_mutex_unlock(&gate.mu);
}

/* One job: where its work and its completion ran. */
struct job {
    pthread_t work_thread, done_thread;
    atomic_bool worked, done;
    bool blocks; /* the work waits for the gate to open */
    struct event_base *base;
    atomic_int *done_count;
};

static void job_work(void *arg)
{
    struct job *j = arg;
    j->work_thread = pthread_self();
    if (j->blocks) {
        gate_set(&gate.started);
        gate_wait(&gate.open);
    }
    atomic_store(&j->worked, true);
}

static void job_done(void *arg)
{
    struct job *j = arg;
    j->done_thread = pthread_self();
    atomic_store(&j->done, true);
    if (j->done_count)
        atomic_fetch_add(j->done_count, 1);
}

static void init(void)
{
    cr_assert_eq(evthread_use_pthreads(), 0);
}

/* Runs base's loop on this thread until *count reaches want or 10 s pass. */
static void loop_until(struct event_base *base, atomic_int *count, int want)
{
    time_t until = time(NULL) + 10;
    while (atomic_load(count) < want && time(NULL) < until) {
        struct timeval tick = {0, 10000};
        event_base_loopexit(base, &tick);
        event_base_dispatch(base);
    }
}

Test(offload, submitted_jobs_run_and_complete, .init = init)
{
    enum { N = 40 };
    struct event_base *base = event_base_new();
    struct offload *o = offload_new(3, N);
    cr_assert_not_null(o);
    static struct job jobs[N];
    atomic_int done = 0;
    for (int i = 0; i < N; i++) {
        jobs[i] = (struct job){.base = base, .done_count = &done};
        cr_assert(offload_submit(o, base, job_work, job_done, &jobs[i]));
    }
    loop_until(base, &done, N);
    cr_expect_eq(atomic_load(&done), N);
    for (int i = 0; i < N; i++)
        cr_expect(atomic_load(&jobs[i].worked) && atomic_load(&jobs[i].done), "job %d", i);
    cr_expect_eq(offload_pending(o), 0);
    offload_free(o);
    event_base_free(base);
}

Test(offload, work_runs_on_a_pool_thread_and_completion_on_the_loop_thread, .init = init)
{
    struct event_base *base = event_base_new();
    struct offload *o = offload_new(2, 8);
    cr_assert_not_null(o);
    struct job j = {.base = base};
    atomic_int done = 0;
    j.done_count = &done;
    cr_assert(offload_submit(o, base, job_work, job_done, &j));
    loop_until(base, &done, 1);
    cr_assert(atomic_load(&j.done));
    cr_expect_not(pthread_equal(j.work_thread, pthread_self()));
    cr_expect(pthread_equal(j.done_thread, pthread_self()));
    offload_free(o);
    event_base_free(base);
}

/* Two loops on two threads: each completion runs on the thread of the base it was submitted
 * with, not on whichever loop happens to be running. */
struct loop_thread {
    struct event_base *base;
    pthread_t thread;
    atomic_int done;
    int want;
};

static void *loop_main(void *arg)
{
    struct loop_thread *t = arg;
    loop_until(t->base, &t->done, t->want);
    return NULL;
}

Test(offload, completion_runs_on_the_submitting_base_among_several, .init = init)
{
    enum { PER = 10 };
    struct offload *o = offload_new(2, 2 * PER);
    cr_assert_not_null(o);
    struct loop_thread t[2];
    static struct job jobs[2][PER];
    for (int k = 0; k < 2; k++) {
        t[k] = (struct loop_thread){.base = event_base_new(), .want = PER};
        for (int i = 0; i < PER; i++) {
            jobs[k][i] = (struct job){.base = t[k].base, .done_count = &t[k].done};
            cr_assert(offload_submit(o, t[k].base, job_work, job_done, &jobs[k][i]));
        }
    }
    for (int k = 0; k < 2; k++)
        cr_assert_eq(pthread_create(&t[k].thread, NULL, loop_main, &t[k]), 0);
    for (int k = 0; k < 2; k++)
        pthread_join(t[k].thread, NULL);
    for (int k = 0; k < 2; k++)
        for (int i = 0; i < PER; i++) {
            cr_expect(atomic_load(&jobs[k][i].done), "loop %d job %d", k, i);
            cr_expect(pthread_equal(jobs[k][i].done_thread, t[k].thread), "loop %d job %d", k, i);
        }
    offload_free(o);
    for (int k = 0; k < 2; k++)
        event_base_free(t[k].base);
}

Test(offload, a_full_queue_refuses_at_once_and_runs_nothing, .init = init)
{
    enum { QUEUE = 3 };
    struct event_base *base = event_base_new();
    struct offload *o = offload_new(1, QUEUE);
    cr_assert_not_null(o);
    atomic_int done = 0;
    struct job busy = {.base = base, .blocks = true, .done_count = &done};
    struct job queued[QUEUE], refused = {.base = base, .done_count = &done};
    cr_assert(offload_submit(o, base, job_work, job_done, &busy));
    gate_wait(&gate.started); /* the only thread is busy: the queue is empty again */
    for (int i = 0; i < QUEUE; i++) {
        queued[i] = (struct job){.base = base, .done_count = &done};
        cr_assert(offload_submit(o, base, job_work, job_done, &queued[i]), "job %d", i);
    }
    cr_expect_eq(offload_pending(o), QUEUE + 1);
    cr_expect_not(offload_submit(o, base, job_work, job_done, &refused));
    cr_expect_eq(offload_pending(o), QUEUE + 1);
    gate_set(&gate.open);
    loop_until(base, &done, QUEUE + 1);
    cr_expect_eq(atomic_load(&done), QUEUE + 1);
    cr_expect_not(atomic_load(&refused.worked));
    cr_expect_not(atomic_load(&refused.done));
    offload_free(o);
    event_base_free(base);
}

/* Freeing the pool finishes every queued job first; their completions are delivered when the
 * loop runs next. */
static void *open_gate_later(void *arg)
{
    (void)arg;
    struct timespec pause = {0, 200 * 1000000L};
    nanosleep(&pause, NULL);
    gate_set(&gate.open);
    return NULL;
}

Test(offload, shutdown_runs_every_queued_job_and_drops_undelivered_completions, .init = init)
{
    enum { QUEUE = 6 };
    struct event_base *base = event_base_new();
    struct offload *o = offload_new(1, QUEUE);
    cr_assert_not_null(o);
    atomic_int done = 0;
    struct job busy = {.base = base, .blocks = true, .done_count = &done}, queued[QUEUE];
    cr_assert(offload_submit(o, base, job_work, job_done, &busy));
    gate_wait(&gate.started);
    for (int i = 0; i < QUEUE; i++) {
        queued[i] = (struct job){.base = base, .done_count = &done};
        cr_assert(offload_submit(o, base, job_work, job_done, &queued[i]));
    }
    pthread_t opener;
    cr_assert_eq(pthread_create(&opener, NULL, open_gate_later, NULL), 0);
    offload_free(o); /* blocks until the busy job and the whole queue have run */
    pthread_join(opener, NULL);
    cr_expect(atomic_load(&busy.worked));
    for (int i = 0; i < QUEUE; i++)
        cr_expect(atomic_load(&queued[i].worked), "job %d", i);
    cr_expect_eq(atomic_load(&done), 0); /* nothing completed off the loop */
    /* offload_free's contract: the receiving loops have stopped, so completions not delivered
     * are dropped with their events — a loop run afterwards finds nothing to call. */
    event_base_loop(base, EVLOOP_NONBLOCK);
    cr_expect_eq(atomic_load(&done), 0);
    event_base_free(base);
}

/* ---- allocations of libcrt, failing on demand ----
 * While starve_others is set, every malloc/calloc made by the linked objects on a thread other
 * than the loop's fails: memory has run out for the pool once the job is accepted. */
void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t size);
static atomic_bool starve_others;
static pthread_t loop_thread;

static bool starved(void) { return starve_others && !pthread_equal(pthread_self(), loop_thread); }

void *__wrap_malloc(size_t n) { return starved() ? NULL : __real_malloc(n); }
void *__wrap_calloc(size_t n, size_t size) { return starved() ? NULL : __real_calloc(n, size); }

struct probe {
    struct event_base *base;
    pthread_t work_thread, done_thread;
    bool worked, done;
};

static void probe_work(void *arg)
{
    struct probe *p = arg;
    p->work_thread = pthread_self();
    p->worked = true;
}

static void probe_done(void *arg)
{
    struct probe *p = arg;
    p->done_thread = pthread_self();
    p->done = true;
    event_base_loopexit(p->base, NULL);
}

Test(offload, done_runs_on_the_submitting_loop_thread_even_when_memory_runs_out, .timeout = 10)
{
    cr_assert_eq(evthread_use_pthreads(), 0);
    loop_thread = pthread_self();
    struct probe p = {.base = event_base_new()};
    struct offload *o = offload_new(1, 4);
    cr_assert(p.base && o);
    starve_others = true; /* from here on, only the loop's thread can allocate */
    cr_assert(offload_submit(o, p.base, probe_work, probe_done, &p));
    struct timeval limit = {5, 0};
    event_base_loopexit(p.base, &limit); /* never hang: a lost completion fails below */
    event_base_dispatch(p.base);
    starve_others = false;
    cr_assert(p.worked, "the job ran");
    cr_assert(!pthread_equal(p.work_thread, loop_thread), "work ran on a pool thread");
    cr_assert(p.done, "done ran (on the loop, within 5 s)");
    cr_assert(pthread_equal(p.done_thread, loop_thread),
              "done ran on a pool thread, off the loop that submitted it");
    offload_free(o);
    event_base_free(p.base);
}
