/* The contract check between proto/openapi.yaml and the route table api_routes: both must list
 * the same (path, method) operations. The spec is read by a small line scanner, not a YAML parser. */
#include <criterion/criterion.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api.h"

#ifndef CRT_OPENAPI_PATH
#error "define CRT_OPENAPI_PATH as the path of proto/openapi.yaml"
#endif

/* One operation of the spec: an upper-case method and a path as written there. */
struct op {
    char method[8];
    char *path;
};

static struct {
    struct op *ops;
    size_t n, cap;
    bool opened;
} spec;

static const char *const spec_methods[] = {"get", "post", "patch", "put", "delete", NULL};

/* Removes trailing white space (and the CR of a CRLF file). */
static void chomp(char *s)
{
    size_t n = strlen(s);
    while (n > 0 && isspace((unsigned char)s[n - 1]))
        s[--n] = '\0';
}

/* Number of leading spaces. */
static size_t indent_of(const char *s)
{
    size_t n = 0;
    while (s[n] == ' ')
        n++;
    return n;
}

static void add_op(const char *method, const char *path)
{
    if (spec.n == spec.cap) {
        spec.cap = spec.cap ? 2 * spec.cap : 16;
        spec.ops = realloc(spec.ops, spec.cap * sizeof *spec.ops);
        cr_assert_not_null(spec.ops, "out of memory");
    }
    struct op *o = &spec.ops[spec.n++];
    size_t i = 0;
    for (; method[i] && i < sizeof o->method - 1; i++)
        o->method[i] = (char)toupper((unsigned char)method[i]);
    o->method[i] = '\0';
    o->path = strdup(path);
    cr_assert_not_null(o->path, "out of memory");
}

/* "  /v1/persons:" or "  '/v1/persons/{id}':" -> the path, in place; NULL if not a path line. */
static char *path_of(char *line)
{
    size_t n = strlen(line);
    if (indent_of(line) != 2 || line[2] == '#' || n < 4 || line[n - 1] != ':')
        return NULL;
    char *p = line + 2;
    line[n - 1] = '\0';
    n = strlen(p);
    if (n >= 2 && (p[0] == '\'' || p[0] == '"') && p[n - 1] == p[0]) {
        p[n - 1] = '\0';
        p++;
    }
    return p;
}

/* "    get:" -> "get"; NULL if the line is not a method of the current path. */
static const char *method_of(const char *line)
{
    if (indent_of(line) != 4)
        return NULL;
    for (const char *const *m = spec_methods; *m; m++) {
        size_t len = strlen(*m);
        if (strncmp(line + 4, *m, len) == 0 && strcmp(line + 4 + len, ":") == 0)
            return *m;
    }
    return NULL;
}

/* Feeds one line to the scanner; returns false once the paths section has ended. */
static bool scan_line(char *line, bool *in_paths, char **path)
{
    chomp(line);
    bool top_level_key = line[0] != '\0' && line[0] != ' ' && line[0] != '#';
    if (!*in_paths) {
        *in_paths = strcmp(line, "paths:") == 0;
        return true;
    }
    if (top_level_key)
        return false;
    char *p = path_of(line);
    if (p) {
        free(*path);
        *path = strdup(p);
        cr_assert_not_null(*path, "out of memory");
        return true;
    }
    const char *m = method_of(line);
    if (m && *path)
        add_op(m, *path);
    return true;
}

static void load_spec(void)
{
    FILE *f = fopen(CRT_OPENAPI_PATH, "r");
    spec.opened = f != NULL;
    if (f == NULL)
        return;
    char *line = NULL, *path = NULL;
    size_t cap = 0;
    bool in_paths = false;
    while (getline(&line, &cap, f) >= 0 && scan_line(line, &in_paths, &path))
        ;
    free(line);
    free(path);
    fclose(f);
}

static void free_spec(void)
{
    for (size_t i = 0; i < spec.n; i++)
        free(spec.ops[i].path);
    free(spec.ops);
    memset(&spec, 0, sizeof spec);
}

static bool spec_has(const char *method, const char *path)
{
    for (size_t i = 0; i < spec.n; i++)
        if (strcmp(spec.ops[i].method, method) == 0 && strcmp(spec.ops[i].path, path) == 0)
            return true;
    return false;
}

static bool routes_have(const char *method, const char *path)
{
    for (size_t i = 0; i < api_nroutes; i++)
        if (strcasecmp(http_method_name(api_routes[i].method), method) == 0 &&
            strcmp(api_routes[i].pattern, path) == 0)
            return true;
    return false;
}

TestSuite(openapi, .init = load_spec, .fini = free_spec);

Test(openapi, every_route_is_in_the_spec)
{
    cr_assert(spec.opened, "cannot open %s", CRT_OPENAPI_PATH);
    for (size_t i = 0; i < api_nroutes; i++) {
        const char *method = http_method_name(api_routes[i].method);
        cr_expect(spec_has(method, api_routes[i].pattern),
                  "route %s %s is in api_routes but not in %s", method, api_routes[i].pattern,
                  CRT_OPENAPI_PATH);
    }
}

Test(openapi, every_spec_operation_is_a_route)
{
    cr_assert(spec.opened, "cannot open %s", CRT_OPENAPI_PATH);
    for (size_t i = 0; i < spec.n; i++)
        cr_expect(routes_have(spec.ops[i].method, spec.ops[i].path),
                  "operation %s %s is in %s but not in api_routes", spec.ops[i].method,
                  spec.ops[i].path, CRT_OPENAPI_PATH);
}

Test(openapi, the_scanner_finds_every_operation)
{
    cr_assert(spec.opened, "cannot open %s", CRT_OPENAPI_PATH);
    cr_expect_geq(spec.n, api_nroutes,
                  "found %zu operations under paths: in %s, fewer than the %zu routes", spec.n,
                  CRT_OPENAPI_PATH, api_nroutes);
}
