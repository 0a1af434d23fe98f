/* Work off the event-loop threads with bounded concurrency: a fixed set of threads and a
 * bounded queue for expensive jobs (scrypt). A full queue refuses new work at once, so a flood
 * of logins cannot exhaust memory or stall the request threads. */
#ifndef CRT_OFFLOAD_H
#define CRT_OFFLOAD_H
#include <event2/event.h>
#include <stdbool.h>

#include "crt/config.h"

struct offload;

/* threads workers, at most queue_max jobs waiting. NULL on failure. */
struct offload *offload_new(int threads, int queue_max);
/* Queues work(arg) for a pool thread; when it has run, done(arg) runs on base's loop thread —
 * always: what the delivery needs is allocated here, on the caller's (base's loop) thread, so
 * once accepted it cannot fail for lack of memory. Returns false (and runs nothing) when the
 * queue is full, the pool is stopping or memory runs out; the caller then answers 503 itself.
 * arg is owned by the caller until done runs. base must use evthread locking
 * (evthread_use_pthreads before it was made). */
bool offload_submit(struct offload *o, struct event_base *base, void (*work)(void *),
                    void (*done)(void *), void *arg) CRT_MUST_CHECK;
/* Jobs waiting plus running (for metrics). */
int offload_pending(struct offload *o);
/* Finishes queued jobs, stops the threads, frees the pool. The loops that receive done
 * callbacks must have stopped (their bases not yet freed): completions not delivered by then
 * are dropped (done does not run) and their events freed. */
void offload_free(struct offload *o);

#endif
