/* Integration-test harness: starts crt-api as a child process against the test database,
 * speaks HTTP/1.1 to it over a plain socket, and queries PostgreSQL directly. */
#ifndef CRT_TEST_HARNESS_H
#define CRT_TEST_HARNESS_H
#include <jansson.h>
#include <libpq-fe.h>
#include <stdbool.h>
#include <sys/types.h>
#include <time.h>

struct resp {
    int status;
    char *headers; /* raw header block, lower-cased names not guaranteed */
    char *body;
    json_t *json;  /* parsed body when it is JSON, else NULL */
};

/* Starts crt-api on a free loopback port (2 workers, scrypt cost 2^14 for speed unless
 * env_extra overrides) and waits for /healthz. env_extra: NULL-terminated "NAME=value"
 * strings. Returns the pid. */
pid_t api_start(const char *const *env_extra);
/* api_start with more control over the child: env as above; nofile, when > 0, its
 * RLIMIT_NOFILE; stderr_path, when not NULL, a file its stderr goes to (truncated). */
struct api_opts {
    const char *const *env;
    int nofile;
    const char *stderr_path;
};
pid_t api_start_opts(const struct api_opts *o);
/* SIGTERM and wait; returns the exit status (or -1). */
int api_stop(pid_t pid);
/* For POST_ALL hooks: api_stop, and a non-zero exit (a sanitizer's leak report, a crash) fails
 * the whole test binary. */
void api_stop_checked(pid_t pid);
/* The port of the last api_start in this process (or CRT_TEST_PORT when set). */
int api_port(void);

/* A request as the test account `who` (a key such as "atlas.intake", see harness_login_all;
 * NULL or an unknown key: no Authorization header) with a JSON body (NULL: none). */
int api_req(struct resp *r, const char *method, const char *path, const char *who,
            const char *body);
/* The same with an explicit bearer token (NULL: none). */
int api_req_token(struct resp *r, const char *method, const char *path, const char *token,
                  const char *body);
/* The same with extra header lines (each ending in \r\n; NULL: none), e.g. a Cookie. */
int api_req_headers(struct resp *r, const char *method, const char *path, const char *headers,
                    const char *body);
/* Seconds on the monotonic clock. */
double now_s(void);
/* The value of the metric line "name value" of crt-api's /metrics, or -1. */
long api_metric(const char *name);
/* A TLS client connection over fd offering versions min..max (OpenSSL TLS1_x_VERSION), the
 * server's certificate not verified; NULL when the handshake fails. The caller SSL_frees. */
struct ssl_st *harness_tls_connect(int fd, int min_version, int max_version);
/* A new connection to crt-api (blocking socket), or -1. */
int api_connect(void);
/* Reads one answer from s (until its Content-Length is complete, the peer closes, or
 * timeout_ms pass); 0 when a whole answer arrived. */
int api_read(int s, struct resp *r, int timeout_ms);
/* Sends raw bytes and reads the whole answer. */
int api_raw(struct resp *r, const char *raw, size_t len);
/* The same from the loopback source address source (e.g. "127.0.0.9"; NULL: the default):
 * for what crt-api counts per client address. */
int api_raw_from(struct resp *r, const char *source, const char *raw, size_t len);
void resp_free(struct resp *r);
/* The value of a response header (case-insensitive name) in a static buffer, or NULL. */
const char *resp_header(const struct resp *r, const char *name);

/* Connections: CRT_DATABASE_URL (API role), CRT_SUPER_DATABASE_URL (superuser, sees all). */
PGconn *db_api(void);
PGconn *db_super(void);
PGconn *db_owner(void); /* CRT_OWNER_DATABASE_URL: owns the schema, still under FORCE RLS */
/* First column of the first row of a parameterised query as a long (-1 on error). */
long sql_long(PGconn *c, const char *sql, int n, const char *const *params);
/* Persons (any controller, as the superuser sees them) with this last name: a refused write
 * must leave none. */
long persons_named(const char *last);
/* The relations of schema public that c's role may SELECT, by name (the caller PQclears). */
PGresult *readable_relations(PGconn *c);
/* Runs a statement; true when it succeeded. */
bool sql_ok(PGconn *c, const char *sql, int n, const char *const *params);
/* BEGIN on c (crt_api), then a real signed RLS context: a fresh session (made as superuser) of
 * user (or, if NULL, of any active user of that controller and role) through
 * crt_session_begin(), as crt-api opens it. Since 019 a set_config() of crt_api matches nothing. */
bool api_context(PGconn *c, const char *controller, const char *role, const char *user);

/* A test account: created with crtctl, second factor enrolled and confirmed through the API. */
struct account {
    char username[80], password[40], user_id[37];
    unsigned char secret[20];
    char recovery[2][16]; /* two of the ten recovery codes shown at enrolment */
    char *token;          /* access token from the enrolment (malloc'ed) */
};
/* Creates and enrols a fresh account ctl.role.t<pid>.<n>; false on any failure. */
bool account_new(struct account *a, const char *ctl, const char *role);
void account_free(struct account *a);
/* The TOTP code of the account for time t. */
void account_code(const struct account *a, time_t t, char out[7]);
/* POST /v1/auth/login; returns the response (caller frees). */
int account_login(struct resp *r, const struct account *a, const char *password);
/* Password then TOTP at code time t: a new access token (malloc'ed) or NULL. */
char *account_full_login(const struct account *a, time_t t);

/* For PRE_ALL hooks: one account per key (atlas.intake, ingent.intake, atlas.coordinator,
 * huis.coordinator, atlas.admin, ingent.admin, atlas.education, atlas.caseworker, atlas.dpo),
 * tokens and usernames put in the environment
 * for the test processes. */
void harness_login_all(void);
const char *harness_token(const char *key);
const char *harness_username(const char *key);

/* The set-up most integration test binaries share, called from their report hooks:
 *   ReportHook(PRE_ALL)(struct criterion_test_set *set) { (void)set; harness_api_begin(); }
 *   ReportHook(POST_ALL)(struct criterion_global_stats *s) { (void)s; harness_api_end(); }
 * crt-api started and the test accounts logged in before the tests; crt-api stopped and its
 * exit status checked after them. */
void harness_api_begin(void);
void harness_api_end(void);

/* Registers a person at the demo user's controller and returns its id (static buffer per
 * call site is not safe: the caller gets a malloc'ed string to free). */
char *create_person(const char *user, const char *first, const char *last, const char *birth);

#endif
