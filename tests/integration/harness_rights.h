/* Helpers shared by the rights, retention and need-to-know tests: requests to
 * printf-formatted paths, names unique to a run, crtctl, and partner agencies with a grant,
 * referrals and pulls. Failures are Criterion assertions. */
#ifndef CRT_TEST_HARNESS_RIGHTS_H
#define CRT_TEST_HARNESS_RIGHTS_H
#include "harness.h"

/* api_req as who to a printf-formatted path; asserts an answer came (r is the caller's). */
void api_reqf(struct resp *r, const char *method, const char *who, const char *body,
              const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* The same with an explicit bearer token (NULL: none). */
void api_reqf_token(struct resp *r, const char *method, const char *token, const char *body,
                    const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* prefix + letters unique to this process, call and time (blind indexes ignore digits). */
void unique_name(char *out, size_t n, const char *prefix);
/* Runs crtctl with printf-formatted arguments; stdout and stderr into out; the exit status. */
int ctl_run(char *out, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

struct partner {
    char id[40], client[80], secret[128];
};
/* A new partner (crtctl partner create) with a client id unique to the run; no grant. */
void partner_create(struct partner *p);
/* A new partner with one grant of groups (comma list) at controller for purpose. */
void partner_with_grant(struct partner *p, const char *controller, const char *groups,
                        const char *purpose);
/* A partner access token (malloc'ed). */
char *partner_token(const struct partner *p);
/* who refers the person to the partner for purpose (201 asserted). */
void partner_refer(const char *who, const char *person_id, const struct partner *p,
                   const char *purpose);
/* The partner pulls one person (a disclosure when 200); the status. */
int partner_pull(const char *token, const char *person_id);

#endif
