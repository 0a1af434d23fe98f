/* Router: segment-by-segment matching of a path against (method, pattern) routes. */
#include "crt/router.h"

#include <string.h>

/* Matches one pattern; fills the captures of m on success. */
static int match_pattern(const char *pat, const char *path, struct route_match *m)
{
    m->nparams = 0;
    while (*pat == '/' && *path == '/') {
        pat++, path++;
        const char *pe = strchr(pat, '/'), *se = strchr(path, '/');
        size_t pl = pe ? (size_t)(pe - pat) : strlen(pat);
        size_t sl = se ? (size_t)(se - path) : strlen(path);
        if (pl > 2 && pat[0] == '{' && pat[pl - 1] == '}') {
            if (sl == 0 || sl >= sizeof m->values[0] || m->nparams == ROUTER_MAX_PARAMS)
                return 0;
            m->names[m->nparams] = pat + 1; /* name runs until '}' */
            memcpy(m->values[m->nparams], path, sl);
            m->values[m->nparams][sl] = '\0';
            m->nparams++;
        } else if (pl != sl || memcmp(pat, path, pl) != 0) {
            return 0;
        }
        pat += pl, path += sl;
    }
    return *pat == '\0' && *path == '\0';
}

enum router_result router_match(const struct route *routes, size_t n, enum http_method method,
                                const char *path, struct route_match *m)
{
    struct route_match probe;
    m->index = -1;
    m->allowed = 0;
    if (strlen(path) >= ROUTER_MAX_PATH)
        return ROUTER_NOT_FOUND;
    for (size_t i = 0; i < n; i++) {
        if (!match_pattern(routes[i].pattern, path, &probe))
            continue;
        if (routes[i].method == method) {
            *m = probe;
            m->index = (int)i;
            return ROUTER_OK;
        }
        m->allowed |= routes[i].method;
    }
    return m->allowed ? ROUTER_METHOD_NOT_ALLOWED : ROUTER_NOT_FOUND;
}

const char *router_param(const struct route_match *m, const char *name)
{
    size_t len = strlen(name);
    for (size_t i = 0; i < m->nparams; i++)
        if (strncmp(m->names[i], name, len) == 0 && m->names[i][len] == '}')
            return m->values[i];
    return NULL;
}

const char *http_method_name(enum http_method m)
{
    switch (m) {
    case HTTP_GET: return "GET";
    case HTTP_POST: return "POST";
    case HTTP_PUT: return "PUT";
    case HTTP_PATCH: return "PATCH";
    case HTTP_DELETE: return "DELETE";
    case HTTP_HEAD: return "HEAD";
    case HTTP_OPTIONS: return "OPTIONS";
    default: return "OTHER";
    }
}
