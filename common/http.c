/* HTTP responses: JSON and problem+json replies, request ids, query parsing, and the
 * replacement of evhttp's HTML error pages (see evhttp_send_error below). */
#include "crt/http.h"

#include <ctype.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http_struct.h> /* major/minor: evhttp has no setter for them */
#include <sys/queue.h>
#include <event2/keyvalq_struct.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

void (*http_observe)(int route_index, int status, uint64_t ns);
bool http_hsts;

#define HTTP_CSP                                                                            \
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "      \
    "connect-src 'self'; font-src 'self'; manifest-src 'self'; form-action 'self'; "       \
    "frame-ancestors 'none'; base-uri 'none'"

void http_security_headers(struct evkeyvalq *h)
{
    evhttp_add_header(h, "Content-Security-Policy", HTTP_CSP);
    evhttp_add_header(h, "X-Content-Type-Options", "nosniff");
    evhttp_add_header(h, "Referrer-Policy", "no-referrer");
    if (http_hsts)
        evhttp_add_header(h, "Strict-Transport-Security", "max-age=31536000");
}

uint64_t http_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

const char *http_status_title(int status)
{
    switch (status) {
    case 200: return "OK";
    case 201: return "Created";
    case 204: return "No Content";
    case 304: return "Not Modified";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 409: return "Conflict";
    case 411: return "Length Required";
    case 413: return "Content Too Large";
    case 414: return "URI Too Long";
    case 415: return "Unsupported Media Type";
    case 422: return "Unprocessable Content";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 503: return "Service Unavailable";
    default: return "Error";
    }
}

void http_new_request_id(char out[40])
{
    static _Thread_local uint64_t prefix, counter;
    if (prefix == 0 && getrandom(&prefix, sizeof prefix, 0) != (ssize_t)sizeof prefix)
        prefix = (uint64_t)http_now_ns() ^ (uint64_t)(uintptr_t)&counter;
    snprintf(out, 40, "%016llx%016llx", (unsigned long long)prefix,
             (unsigned long long)++counter);
}

void http_take_request_id(struct evhttp_request *req, char out[40])
{
    const char *h = evhttp_find_header(evhttp_request_get_input_headers(req), "X-Request-Id");
    size_t n = h ? strlen(h) : 0;
    bool ok = n > 0 && n <= 36;
    for (size_t i = 0; ok && i < n; i++)
        ok = isalnum((unsigned char)h[i]) || h[i] == '-' || h[i] == '_' || h[i] == '.';
    if (ok)
        memcpy(out, h, n + 1);
    else
        http_new_request_id(out);
}

static void reply(struct evhttp_request *req, const char *request_id, int status,
                  const char *content_type, const char *body, size_t len, bool close)
{
    struct evkeyvalq *h = evhttp_request_get_output_headers(req);
    struct evbuffer *buf = evbuffer_new();
    struct evhttp_connection *evcon = evhttp_request_get_connection(req);
    /* The handler may have held the loop (the database): the write timeout evhttp arms now must
     * count from now, not from when the loop woke, or a slow answer is dropped as timed out. */
    if (evcon)
        event_base_update_cache_time(
            bufferevent_get_base(evhttp_connection_get_bufferevent(evcon)));
    evhttp_add_header(h, "Content-Type", content_type);
    evhttp_add_header(h, "Cache-Control", "no-store");
    http_security_headers(h);
    evhttp_add_header(h, "X-Request-Id", request_id);
    if (close)
        evhttp_add_header(h, "Connection", "close");
    if (buf)
        evbuffer_add(buf, body, len);
    evhttp_send_reply(req, status, http_status_title(status), buf);
    if (buf)
        evbuffer_free(buf);
}

void http_send_text(struct http_ctx *ctx, int status, const char *content_type, const char *body)
{
    ctx->status = status;
    reply(ctx->req, ctx->request_id, status, content_type, body, strlen(body), false);
    if (http_observe)
        http_observe(ctx->route_index, status, http_now_ns() - ctx->started_ns);
}

void http_send_json(struct http_ctx *ctx, int status, json_t *obj)
{
    /* 15 significant digits: a numeric such as 0.9523 prints as 0.9523, not 0.95230000000000004. */
    char *s = json_dumps(obj, JSON_COMPACT | JSON_ENSURE_ASCII | JSON_REAL_PRECISION(15));
    if (s == NULL) {
        problem_send(ctx, 500, "internal", "the response could not be encoded", NULL);
        return;
    }
    http_send_text(ctx, status, "application/json", s);
    free(s);
}

/* Builds the problem document (with the members of extra, which may be NULL); NULL only when
 * out of memory. */
/* Drops a UTF-8 sequence that a byte cap cut short at the end of s, so that the rest stays
 * valid UTF-8 (json_string refuses invalid text, which would lose the whole member). */
static void utf8_cut_tail(char *s)
{
    size_t n = strlen(s), i = n;
    while (i > 0 && ((unsigned char)s[i - 1] & 0xC0) == 0x80)
        i--; /* continuation bytes */
    if (i == 0 || ((unsigned char)s[i - 1] & 0x80) == 0)
        return; /* ASCII (or nothing) before them */
    unsigned char lead = (unsigned char)s[i - 1];
    size_t need = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : 2;
    if (n - (i - 1) < need)
        s[i - 1] = '\0';
}

static char *problem_body(int status, const char *type, const char *detail, const char *field,
                          const char *request_id, json_t *extra)
{
    char urn[64];
    snprintf(urn, sizeof urn, "urn:crt:problem:%s", type);
    json_t *p = json_pack("{s:s, s:s, s:i, s:s, s:s}", "type", urn, "title",
                          http_status_title(status), "status", status, "detail", detail,
                          "request_id", request_id);
    if (p && field) {
        char f[81];
        snprintf(f, sizeof f, "%s", field); /* field names are short; cap what is echoed */
        utf8_cut_tail(f);
        json_object_set_new(p, "field", json_string(f));
    }
    if (p && extra)
        json_object_update_missing(p, extra); /* the standard members stay as they are */
    char *s = p ? json_dumps(p, JSON_COMPACT | JSON_ENSURE_ASCII) : NULL;
    json_decref(p);
    return s;
}

void problem_send(struct http_ctx *ctx, int status, const char *type, const char *detail,
                  const char *field)
{
    problem_send_ext(ctx, status, type, detail, field, NULL);
}

void problem_send_ext(struct http_ctx *ctx, int status, const char *type, const char *detail,
                      const char *field, json_t *extra)
{
    if (status == 401)
        evhttp_add_header(evhttp_request_get_output_headers(ctx->req), "WWW-Authenticate",
                          "Bearer realm=\"crt\"");
    char *s = problem_body(status, type, detail, field, ctx->request_id, extra);
    http_send_text(ctx, status, "application/problem+json",
              s ? s : "{\"type\":\"urn:crt:problem:internal\",\"status\":500}");
    free(s);
}

/* evhttp answers requests it cannot parse (malformed request line or headers, a body over
 * the limit, a header block over the limit) by calling evhttp_send_error(), which writes an
 * HTML page. libevent 2.1 calls it through the PLT, so this definition interposes it for the
 * whole process: every such error becomes problem+json. tests/integration checks that it
 * does (a malformed request and an oversized body both get application/problem+json). */
void evhttp_send_error(struct evhttp_request *req, int error, const char *reason)
{
    (void)reason;
    char id[40];
    if (req->major != 1) { /* the request line did not parse: answer as HTTP/1.1, not "HTTP/0.0" */
        req->major = 1;
        req->minor = 1;
    }
    http_new_request_id(id);
    int status = error >= 400 && error <= 599 ? error : 400;
    const char *detail = status == 413   ? "the request is larger than this service accepts"
                         : status == 404 ? "no such resource"
                         : status == 501 ? "this method is not supported"
                         : status == 503 ? "the service is shutting down or overloaded"
                                         : "the request could not be parsed as HTTP/1.1";
    const char *type = status == 413   ? "too-large"
                       : status == 404 ? "not-found"
                       : status == 501 ? "not-implemented"
                       : status >= 500 ? "unavailable"
                                       : "malformed";
    char *s = problem_body(status, type, detail, NULL, id, NULL);
    const char *body = s ? s : "{}";
    reply(req, id, status, "application/problem+json", body, strlen(body), true);
    free(s);
    if (http_observe)
        http_observe(-1, status, 0);
}

/* True when every '%' of s starts an escape of two hex digits other than %00 (libevent would
 * pass "%ZZ" on as it stands and end a value early at a decoded NUL). */
static bool escapes_ok(const char *s)
{
    for (; (s = strchr(s, '%')) != NULL; s += 3)
        if (!isxdigit((unsigned char)s[1]) || !isxdigit((unsigned char)s[2]) ||
            (s[1] == '0' && s[2] == '0'))
            return false;
    return true;
}

/* True when s is valid UTF-8 (jansson refuses to make a string of anything else). */
static bool utf8_ok(const char *s)
{
    json_t *j = json_string(s);
    json_decref(j);
    return j != NULL;
}

bool http_query(struct http_ctx *ctx, const char ***keys, const char ***values)
{
    return http_form(ctx, evhttp_uri_get_query(evhttp_request_get_evhttp_uri(ctx->req)), keys,
                     values);
}

bool http_form(struct http_ctx *ctx, const char *q, const char ***keys, const char ***values)
{
    struct evkeyvalq kv;
    TAILQ_INIT(&kv);
    if (q && (!escapes_ok(q) || evhttp_parse_query_str(q, &kv) != 0)) {
        evhttp_clear_headers(&kv);
        return false;
    }
    size_t n = 0;
    struct evkeyval *e;
    TAILQ_FOREACH(e, &kv, next) n++;
    *keys = arena_alloc(&ctx->arena, (n + 1) * sizeof(char *));
    *values = arena_alloc(&ctx->arena, (n + 1) * sizeof(char *));
    size_t i = 0;
    bool ok = *keys && *values;
    TAILQ_FOREACH(e, &kv, next)
    {
        if (!ok)
            break;
        (*keys)[i] = arena_strdup(&ctx->arena, e->key);
        (*values)[i] = arena_strdup(&ctx->arena, e->value);
        ok = (*keys)[i] && (*values)[i] && utf8_ok(e->key) && utf8_ok(e->value);
        i++;
    }
    evhttp_clear_headers(&kv);
    return ok;
}

enum http_method http_method_of(struct evhttp_request *req)
{
    switch (evhttp_request_get_command(req)) {
    case EVHTTP_REQ_GET: return HTTP_GET;
    case EVHTTP_REQ_POST: return HTTP_POST;
    case EVHTTP_REQ_PUT: return HTTP_PUT;
    case EVHTTP_REQ_PATCH: return HTTP_PATCH;
    case EVHTTP_REQ_DELETE: return HTTP_DELETE;
    case EVHTTP_REQ_HEAD: return HTTP_HEAD;
    case EVHTTP_REQ_OPTIONS: return HTTP_OPTIONS;
    default: return HTTP_OTHER;
    }
}
