/* Router: a table of (method, path pattern, handler); patterns are literal segments and
 * {name} captures, e.g. "/v1/persons/{id}/trajectory". Independent of the HTTP library. */
#ifndef CRT_ROUTER_H
#define CRT_ROUTER_H
#include <stddef.h>

enum http_method {
    HTTP_GET = 1 << 0,
    HTTP_POST = 1 << 1,
    HTTP_PUT = 1 << 2,
    HTTP_PATCH = 1 << 3,
    HTTP_DELETE = 1 << 4,
    HTTP_HEAD = 1 << 5,
    HTTP_OPTIONS = 1 << 6,
    HTTP_OTHER = 1 << 7,
};

#define ROUTER_MAX_PARAMS 4
#define ROUTER_MAX_PATH 1024

struct http_ctx;
typedef void (*route_handler)(struct http_ctx *ctx);

/* Route flags. */
enum { ROUTE_PUBLIC = 1u << 0, /* no identity needed (health, metrics) */
       ROUTE_BODY = 1u << 1, /* expects a JSON object body */
       ROUTE_PARTNER = 1u << 2 /* for partner tokens only (staff tokens are refused) */ };

struct route {
    enum http_method method;
    const char *pattern;
    route_handler handler;
    unsigned flags;
};

struct route_match {
    int index; /* into the table; -1 when nothing matched */
    size_t nparams;
    const char *names[ROUTER_MAX_PARAMS];
    char values[ROUTER_MAX_PARAMS][128];
    unsigned allowed; /* for 405: the methods the path accepts */
};

enum router_result { ROUTER_OK, ROUTER_NOT_FOUND, ROUTER_METHOD_NOT_ALLOWED };

/* Matches path (no query string) against the table. On ROUTER_OK, m->index and the captured
 * parameters are set; on ROUTER_METHOD_NOT_ALLOWED, m->allowed lists the path's methods.
 * A captured segment longer than 127 bytes or empty does not match. */
enum router_result router_match(const struct route *routes, size_t n, enum http_method method,
                                const char *path, struct route_match *m);
/* The value of a captured parameter, or NULL. */
const char *router_param(const struct route_match *m, const char *name);
const char *http_method_name(enum http_method m);

#endif
