/* HTTP request context and responses on top of libevent's evhttp: JSON replies, RFC 9457
 * problem+json errors (the only way an error leaves the service), request ids, query strings. */
#ifndef CRT_HTTP_H
#define CRT_HTTP_H
#include <event2/http.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "crt/arena.h"
#include "crt/router.h"

/* Who is calling, resolved before the handler runs. */
struct principal {
    bool present;
    int controller_id;
    char user_id[37];
    char role[16];
    char session_id[37];
    long issued_at; /* the token's iat */
    bool cookie;    /* authenticated by the browser session cookie, not a bearer token */
};

struct http_ctx {
    struct evhttp_request *req;
    struct arena arena;          /* released when the request ends */
    char request_id[40];
    int route_index;             /* -1 when unrouted */
    struct route_match match;
    json_t *body;                /* parsed JSON object for ROUTE_BODY routes; owned here */
    struct principal who;
    void *worker;                /* the serving worker (services/api) */
    uint64_t started_ns;
    int status;                  /* status sent, 0 before */
    bool suspended;              /* the handler continues later (offloaded work); see api.h */
};

/* Sends obj as application/json with the given status. Does not take the reference. */
void http_send_json(struct http_ctx *ctx, int status, json_t *obj);
/* Sends a text body (NUL-terminated) with the given content type. */
void http_send_text(struct http_ctx *ctx, int status, const char *content_type, const char *body);
/* Sends an RFC 9457 problem: type is a short slug ("validation", "not-found", …) turned into a
 * URN; detail is a fixed sentence that never echoes personal data; field names the offending
 * input (JSON pointer-ish "identification.first_name") or NULL. */
void problem_send(struct http_ctx *ctx, int status, const char *type, const char *detail,
                  const char *field);
/* The same with extension members (RFC 9457 §3.2) from the object extra (not taken; may be
 * NULL), e.g. the current state a 409 conflicts with. Never personal data of a data subject. */
void problem_send_ext(struct http_ctx *ctx, int status, const char *type, const char *detail,
                      const char *field, json_t *extra);
/* Reason phrase for a status ("Not Found"); "Error" for unknown codes. */
const char *http_status_title(int status);

/* Fills out with a fresh request id (32 hex characters). Thread-safe. */
void http_new_request_id(char out[40]);
/* Adopts the client's X-Request-Id when it is 1..36 of [A-Za-z0-9._-], else a fresh one. */
void http_take_request_id(struct evhttp_request *req, char out[40]);

/* Query string of the request as key/value pairs in the arena; NULL-terminated arrays.
 * Returns false when the query string cannot be parsed. */
bool http_query(struct http_ctx *ctx, const char ***keys, const char ***values);

enum http_method http_method_of(struct evhttp_request *req);
uint64_t http_now_ns(void);

/* Adds the headers every response carries (static files and API): Content-Security-Policy,
 * X-Content-Type-Options, Referrer-Policy, and Strict-Transport-Security when http_hsts. */
void http_security_headers(struct evkeyvalq *h);
/* True when crt-api serves TLS itself or sits behind a TLS proxy; set once at start-up. */
extern bool http_hsts;

/* Called for every response with the route index (-1 unrouted), status and duration, for
 * metrics. Set once at start-up by the server; may be NULL. */
extern void (*http_observe)(int route_index, int status, uint64_t ns);

#endif
