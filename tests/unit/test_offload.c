/* Unit: the offload pool (common/offload.c) — where a job's completion runs. Linked with
 * -Wl,--wrap=malloc,--wrap=calloc so a test can make the library's allocations fail. */
#include <criterion/criterion.h>
#include <event2/event.h>
#include <event2/thread.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "crt/offload.h"

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
