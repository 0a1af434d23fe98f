/* Integration-test harness: starts crt-api as a child process against the test database,
 * speaks HTTP/1.1 to it over a plain socket, and queries PostgreSQL directly. */
#ifndef CRT_TEST_HARNESS_H
#define CRT_TEST_HARNESS_H
#include <jansson.h>
#include <libpq-fe.h>
#include <stdbool.h>
#include <sys/types.h>

struct resp {
    int status;
    char *headers; /* raw header block, lower-cased names not guaranteed */
    char *body;
    json_t *json;  /* parsed body when it is JSON, else NULL */
};

/* Starts crt-api on a free loopback port with CRT_DEV_AUTH=1 (unless env_extra overrides)
 * and waits for /healthz. env_extra: NULL-terminated "NAME=value" strings. Returns the pid. */
pid_t api_start(const char *const *env_extra);
/* SIGTERM and wait; returns the exit status (or -1). */
int api_stop(pid_t pid);
/* The port of the last api_start in this process (or CRT_TEST_PORT when set). */
int api_port(void);

/* A request with the development identity `user` (NULL: none) and a JSON body (NULL: none). */
int api_req(struct resp *r, const char *method, const char *path, const char *user,
            const char *body);
/* Sends raw bytes and reads the whole answer. */
int api_raw(struct resp *r, const char *raw, size_t len);
void resp_free(struct resp *r);
/* The value of a response header (case-insensitive name) in a static buffer, or NULL. */
const char *resp_header(const struct resp *r, const char *name);

/* Connections: CRT_DATABASE_URL (API role), CRT_SUPER_DATABASE_URL (superuser, sees all). */
PGconn *db_api(void);
PGconn *db_super(void);
PGconn *db_owner(void); /* CRT_OWNER_DATABASE_URL: owns the schema, still under FORCE RLS */
/* First column of the first row of a parameterised query as a long (-1 on error). */
long sql_long(PGconn *c, const char *sql, int n, const char *const *params);
/* Runs a statement; true when it succeeded. */
bool sql_ok(PGconn *c, const char *sql, int n, const char *const *params);

/* Registers a person at the demo user's controller and returns its id (static buffer per
 * call site is not safe: the caller gets a malloc'ed string to free). */
char *create_person(const char *user, const char *first, const char *last, const char *birth);

#endif
