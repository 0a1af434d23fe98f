/* The web application's static files (CRT_WEB_ROOT, services/web/) under `/`: safe path
 * resolution (no `..`, no dotfiles, no symlink leaving the root, no listings), ETag/304. */
#include <errno.h>
#include <event2/buffer.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "api.h"
#include "crt/log.h"

/* The resolved root (realpath) with its length; "" when static serving is off. Set once by
 * web_init before the workers start, read-only afterwards. */
static char web_root[PATH_MAX];
static size_t web_root_len;

bool web_init(const char *root)
{
    web_root[0] = '\0';
    web_root_len = 0;
    if (root == NULL || root[0] == '\0')
        return true;
    if (realpath(root, web_root) == NULL) {
        log_warn("CRT_WEB_ROOT %s is not usable (%s); the web application is not served", root,
                 strerror(errno));
        web_root[0] = '\0';
        return true;
    }
    web_root_len = strlen(web_root);
    return true;
}

bool web_handles(const char *path)
{
    static const char *const api[] = {"/v1", "/healthz", "/readyz", "/metrics"};
    if (web_root_len == 0)
        return false;
    for (size_t i = 0; i < sizeof api / sizeof api[0]; i++) {
        size_t n = strlen(api[i]);
        if (strncmp(path, api[i], n) == 0 && (path[n] == '\0' || path[n] == '/' || path[n] == '?'))
            return false;
    }
    return true;
}

static const char *content_type(const char *name)
{
    static const char *const types[][2] = {
        {".html", "text/html; charset=utf-8"},  {".css", "text/css; charset=utf-8"},
        {".js", "text/javascript; charset=utf-8"}, {".mjs", "text/javascript; charset=utf-8"},
        {".json", "application/json"},          {".svg", "image/svg+xml"},
        {".png", "image/png"},                  {".ico", "image/x-icon"},
        {".woff2", "font/woff2"},               {".txt", "text/plain; charset=utf-8"},
        {".webmanifest", "application/manifest+json"},
    };
    const char *dot = strrchr(name, '.');
    for (size_t i = 0; dot && i < sizeof types / sizeof types[0]; i++)
        if (strcmp(dot, types[i][0]) == 0)
            return types[i][1];
    return NULL; /* unknown types are not served */
}

/* The decoded request path is acceptable: absolute, no empty or dot-led segment (covers `.`,
 * `..` and dotfiles), no backslash or control character. */
static bool path_safe(const char *p)
{
    if (p[0] != '/')
        return false;
    for (const char *s = p; *s; s++) {
        if ((unsigned char)*s < 0x20 || *s == '\\' || *s == 0x7f)
            return false;
        if (*s == '/' && (s[1] == '.' || (s[1] == '/')))
            return false;
    }
    return true;
}

/* Opens the file the URL path names, or returns -1 (not found, refused or not regular). */
static int open_file(struct http_ctx *ctx, const char *raw, struct stat *st, const char **type)
{
    size_t len = 0;
    char *decoded = evhttp_uridecode(raw, 0, &len);
    char full[PATH_MAX], real[PATH_MAX];
    int fd = -1;
    if (decoded == NULL)
        return -1;
    if (strlen(decoded) != len) { /* an encoded NUL */
        free(decoded);
        return -1;
    }
    const char *rel = strcmp(decoded, "/") == 0 ? "/index.html" : decoded;
    if (path_safe(rel) && (*type = content_type(rel)) != NULL &&
        snprintf(full, sizeof full, "%s%s", web_root, rel) < (int)sizeof full &&
        realpath(full, real) != NULL && strncmp(real, web_root, web_root_len) == 0 &&
        real[web_root_len] == '/')
        fd = open(real, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd >= 0 && (fstat(fd, st) != 0 || !S_ISREG(st->st_mode))) {
        close(fd);
        fd = -1;
    }
    if (fd < 0)
        log_debug("request_id=%s static file refused or missing", ctx->request_id);
    free(decoded);
    return fd;
}

static void send_file(struct http_ctx *ctx, int fd, const struct stat *st, const char *type,
                      bool index)
{
    struct evkeyvalq *out = evhttp_request_get_output_headers(ctx->req);
    char etag[80];
    snprintf(etag, sizeof etag, "\"%llx-%llx-%lx\"", (unsigned long long)st->st_size,
             (unsigned long long)st->st_mtim.tv_sec * 1000000000ull + (unsigned long long)st->st_mtim.tv_nsec,
             (unsigned long)st->st_ino);
    http_security_headers(out);
    evhttp_add_header(out, "ETag", etag);
    evhttp_add_header(out, "Cache-Control", index ? "no-cache" : "max-age=3600");
    evhttp_add_header(out, "X-Request-Id", ctx->request_id);
    const char *inm = evhttp_find_header(evhttp_request_get_input_headers(ctx->req), "If-None-Match");
    if (inm && (strstr(inm, etag) != NULL || strcmp(inm, "*") == 0)) {
        close(fd);
        ctx->status = 304;
        evhttp_send_reply(ctx->req, 304, "Not Modified", NULL);
        return;
    }
    evhttp_add_header(out, "Content-Type", type);
    struct evbuffer *buf = evbuffer_new();
    if (buf == NULL || evbuffer_add_file(buf, fd, 0, st->st_size) != 0) { /* takes fd */
        if (buf)
            evbuffer_free(buf);
        else
            close(fd);
        evhttp_clear_headers(out);
        problem_send(ctx, 500, "internal", "the file could not be read", NULL);
        return;
    }
    ctx->status = 200;
    evhttp_send_reply(ctx->req, 200, "OK", buf);
    evbuffer_free(buf);
}

void web_serve(struct http_ctx *ctx)
{
    enum http_method m = http_method_of(ctx->req);
    if (m != HTTP_GET && m != HTTP_HEAD) {
        evhttp_add_header(evhttp_request_get_output_headers(ctx->req), "Allow", "GET, HEAD");
        problem_send(ctx, 405, "method-not-allowed", "static files are only read", NULL);
        return;
    }
    const char *raw = evhttp_uri_get_path(evhttp_request_get_evhttp_uri(ctx->req));
    struct stat st;
    const char *type = NULL;
    int fd = open_file(ctx, raw ? raw : "/", &st, &type);
    if (fd < 0) {
        problem_send(ctx, 404, "not-found", "no such resource", NULL);
        return;
    }
    send_file(ctx, fd, &st, type, strcmp(type, "text/html; charset=utf-8") == 0);
    if (http_observe && (ctx->status == 200 || ctx->status == 304))
        http_observe(-1, ctx->status, http_now_ns() - ctx->started_ns);
}
