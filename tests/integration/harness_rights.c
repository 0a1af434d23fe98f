/* Helpers of the rights and retention tests: formatted requests, unique names, crtctl, partners. */
#include "harness_rights.h"

#include <criterion/criterion.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

void api_reqf(struct resp *r, const char *method, const char *who, const char *body,
              const char *fmt, ...)
{
    char path[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(path, sizeof path, fmt, ap);
    va_end(ap);
    cr_assert_eq(api_req(r, method, path, who, body), 0, "%s %s: no answer", method, path);
}

void api_reqf_token(struct resp *r, const char *method, const char *token, const char *body,
                    const char *fmt, ...)
{
    char path[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(path, sizeof path, fmt, ap);
    va_end(ap);
    cr_assert_eq(api_req_token(r, method, path, token, body), 0, "%s %s: no answer", method, path);
}

void unique_name(char *out, size_t n, const char *prefix)
{
    static int serial;
    unsigned long v = (unsigned long)getpid() * 1000u + (unsigned long)++serial +
                      (unsigned long)time(NULL) % 100000u * 100000000u;
    size_t len = (size_t)snprintf(out, n, "%s", prefix);
    for (; v && len + 1 < n; v /= 26)
        out[len++] = (char)('a' + v % 26);
    out[len] = '\0';
}

int ctl_run(char *out, size_t n, const char *fmt, ...)
{
    char args[768], cmd[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(args, sizeof args, fmt, ap);
    va_end(ap);
    snprintf(cmd, sizeof cmd, "%s %s 2>&1", CRT_CTL_BIN, args);
    FILE *p = popen(cmd, "r");
    cr_assert_not_null(p);
    size_t len = fread(out, 1, n - 1, p);
    out[len] = '\0';
    int st = pclose(p);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* The value after label in crtctl's output, into out. */
static void ctl_value(const char *text, const char *label, char *out, size_t n)
{
    const char *v = strstr(text, label);
    cr_assert_not_null(v, "crtctl printed no %s: %s", label, text);
    v += strlen(label);
    while (*v == ' ')
        v++;
    size_t len = strcspn(v, " \r\n");
    cr_assert(len > 0 && len < n);
    snprintf(out, n, "%.*s", (int)len, v);
}

void partner_create(struct partner *p)
{
    char out[1024];
    unique_name(p->client, sizeof p->client, "partner-");
    cr_assert_eq(ctl_run(out, sizeof out, "partner create --name 'Partner %s' --kind employment %s",
                         p->client, p->client), 0, "%s", out);
    ctl_value(out, "partner id:", p->id, sizeof p->id);
    ctl_value(out, "client_secret:", p->secret, sizeof p->secret);
}

void partner_with_grant(struct partner *p, const char *controller, const char *groups,
                        const char *purpose)
{
    char out[1024];
    partner_create(p);
    cr_assert_eq(ctl_run(out, sizeof out, "grant add --partner %s --controller %s --groups %s "
                                          "--purpose %s --legal-basis 'art. 6.1.e GDPR'",
                         p->client, controller, groups, purpose), 0, "%s", out);
}

char *partner_token(const struct partner *p)
{
    char body[512], *req = NULL;
    snprintf(body, sizeof body, "grant_type=client_credentials&client_id=%s&client_secret=%s",
             p->client, p->secret);
    int n = asprintf(&req, "POST /v1/oauth/token HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
                           "Content-Type: application/x-www-form-urlencoded\r\n"
                           "Content-Length: %zu\r\n\r\n%s", strlen(body), body);
    cr_assert(n > 0);
    struct resp r;
    cr_assert_eq(api_raw(&r, req, (size_t)n), 0);
    free(req);
    cr_assert_eq(r.status, 200, "%s", r.body);
    char *t = strdup(json_string_value(json_object_get(r.json, "access_token")));
    resp_free(&r);
    return t;
}

void partner_refer(const char *who, const char *person_id, const struct partner *p,
                   const char *purpose)
{
    struct resp r;
    char body[200];
    snprintf(body, sizeof body, "{\"partner_id\":\"%s\",\"purpose\":\"%s\"}", p->id, purpose);
    api_reqf(&r, "POST", who, body, "/v1/persons/%s/referrals", person_id);
    cr_assert_eq(r.status, 201, "%s", r.body);
    resp_free(&r);
}

int partner_pull(const char *token, const char *person_id)
{
    struct resp r;
    char path[128];
    snprintf(path, sizeof path, "/v1/partner/persons/%s", person_id);
    cr_assert_eq(api_req_token(&r, "GET", path, token, NULL), 0);
    int status = r.status;
    resp_free(&r);
    return status;
}
