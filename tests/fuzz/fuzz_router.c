/* libFuzzer target: the router (common/router.c) over crt-api's real route table. Input: one
 * byte choosing the method, then the path. Checks what handlers rely on: a match names a route
 * of that method and its captures are non-empty, short, slash-free and NUL-terminated. */
#include <stdbool.h>

#include "api.h"
#include "crt/router.h"
#include "fuzz.h"

static void check_match(enum http_method method, const char *path, const struct route_match *m)
{
    FUZZ_ASSERT(m->index >= 0 && (size_t)m->index < api_nroutes);
    FUZZ_ASSERT(api_routes[m->index].method == method);
    FUZZ_ASSERT(m->nparams <= ROUTER_MAX_PARAMS);
    for (size_t i = 0; i < m->nparams; i++) {
        size_t len = strnlen(m->values[i], sizeof m->values[i]);
        FUZZ_ASSERT(len > 0 && len < sizeof m->values[i]);
        FUZZ_ASSERT(strchr(m->values[i], '/') == NULL && strstr(path, m->values[i]) != NULL);
        size_t nlen = strcspn(m->names[i], "}");
        char name[64];
        FUZZ_ASSERT(nlen < sizeof name);
        memcpy(name, m->names[i], nlen);
        name[nlen] = '\0';
        FUZZ_ASSERT(router_param(m, name) != NULL);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    enum http_method method = (enum http_method)(1u << (data[0] % 8));
    char *path = fuzz_cstring(data + 1, size - 1);
    struct route_match m;
    enum router_result r = router_match(api_routes, api_nroutes, method, path, &m);
    if (r == ROUTER_OK)
        check_match(method, path, &m);
    else if (r == ROUTER_METHOD_NOT_ALLOWED)
        FUZZ_ASSERT(m.allowed != 0 && (m.allowed & method) == 0 && m.index == -1);
    else
        FUZZ_ASSERT(m.index == -1);
    FUZZ_ASSERT(http_method_name(method) != NULL);
    free(path);
    return 0;
}
