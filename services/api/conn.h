/* crt-api connections (conn.c): the listening socket of a worker, the client connections it
 * accepted, their deadlines, and the hand-over of the accept queue at shutdown. */
#ifndef CRT_API_CONN_H
#define CRT_API_CONN_H
#include <event2/bufferevent.h>
#include <event2/http.h>
#include <event2/listener.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "crt/config.h"

struct worker;
struct conn;
struct conn_handoff;

/* One worker's connections. Everything but `mu` and what it guards belongs to the worker's
 * loop thread. */
struct conn_set {
    bool ready;             /* conn_listen got as far as initialising mu */
    struct evconnlistener *listener;
    struct evhttp_bound_socket *bound;
    struct event *retry_ev; /* re-enables accepting after running out of descriptors */
    int reserve_fd;         /* closed to accept-and-close when out of descriptors */
    pthread_mutex_t mu;     /* guards listen_fd, listen_closed and the hand-over queue */
    int listen_fd;
    bool listen_closed;
    struct conn_handoff *handoff;
    size_t nhandoff, caphandoff;
    struct conn *head;      /* open connections */
    int count;
    struct conn *adopting;  /* the connection evhttp is creating right now (see conn.c) */
    unsigned no_fd;         /* accepts without a descriptor since the last log line */
    uint64_t no_fd_logged_ns;
};

/* Binds the worker's listener (SO_REUSEPORT) and its evhttp, with a reserve descriptor; false
 * after logging why. */
bool conn_listen(struct worker *w, const struct sockaddr_in *sa) CRT_MUST_CHECK;
/* Any thread, at most once per worker: refuse new connections at once (the listening socket is
 * shut down) but keep those already queued on it, accepted for conn_adopt_queued. */
void conn_stop_listening(struct worker *w);
/* Worker thread, after conn_stop_listening: serves the connections kept from the queue and
 * frees the listener. */
void conn_adopt_queued(struct worker *w);
/* The connection of a routed request (NULL when it is not tracked, e.g. out of memory). */
struct conn *conn_of(struct worker *w, struct evhttp_request *req);
/* The request on c was routed: no deadline while it is handled; in flight until its answer is
 * written or the connection closes, whichever is first. */
void conn_request_begin(struct conn *c, struct evhttp_request *req);
/* Shutdown: closes connections idle for at least idle_ns (no byte of a next request). With
 * receiving also those still receiving a request (the grace period is over). */
void conn_close_idle(struct worker *w, uint64_t idle_ns, bool receiving);
/* The bufferevent a new connection of w is served through: the one place a transport (TLS) is
 * chosen. Called by evhttp with no descriptor set yet; NULL on failure. */
struct bufferevent *conn_transport_new(struct event_base *base, struct worker *w);
/* Frees what conn_listen made that evhttp does not own (call after evhttp_free). */
void conn_set_free(struct worker *w);

#endif
