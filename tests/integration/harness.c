/* Integration-test harness: crt-api child process, a minimal HTTP/1.1 client, SQL helpers. */
#include "harness.h"

#include "crt/totp.h"

#include <arpa/inet.h>
#include <openssl/ssl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <fcntl.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int port;
static bool use_tls; /* the last api_start serves HTTPS: the client speaks TLS */

int api_port(void)
{
    const char *p = getenv("CRT_TEST_PORT");
    return p ? atoi(p) : port;
}

static int free_port(void)
{
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof sa;
    if (s < 0 || bind(s, (struct sockaddr *)&sa, sizeof sa) || getsockname(s, (struct sockaddr *)&sa, &len))
        return -1;
    close(s);
    return ntohs(sa.sin_port);
}

pid_t api_start(const char *const *env_extra)
{
    return api_start_opts(&(struct api_opts){.env = env_extra});
}

/* In the child, before exec: the limits and redirections of o. */
static void child_setup(const struct api_opts *o)
{
    if (o->nofile > 0) {
        struct rlimit rl = {(rlim_t)o->nofile, (rlim_t)o->nofile};
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    if (o->stderr_path) {
        int fd = open(o->stderr_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (fd >= 0)
            dup2(fd, 2);
    }
}

pid_t api_start_opts(const struct api_opts *o)
{
    const char *const *env_extra = o->env;
    port = free_port();
    use_tls = false;
    for (size_t i = 0; env_extra && env_extra[i]; i++)
        use_tls = use_tls || strncmp(env_extra[i], "CRT_TLS_CERT_FILE=", 18) == 0;
    char listen[64], portstr[16];
    snprintf(listen, sizeof listen, "127.0.0.1:%d", port);
    snprintf(portstr, sizeof portstr, "%d", port);
    pid_t pid = fork();
    if (pid == 0) {
        setenv("CRT_LISTEN", listen, 1);
        setenv("CRT_THREADS", "2", 1);
        setenv("CRT_SCRYPT_LOG2N", "14", 0);
        setenv("CRT_LOG_LEVEL", "warn", 1);
        if (use_tls) /* TLS tests set the TLS files; the others run as if behind a TLS proxy */
            unsetenv("CRT_PLAIN_HTTP");
        else {
            unsetenv("CRT_TLS_CERT_FILE");
            unsetenv("CRT_TLS_KEY_FILE");
            setenv("CRT_PLAIN_HTTP", "behind-tls-proxy", 0);
        }
        for (size_t i = 0; env_extra && env_extra[i]; i++)
            putenv((char *)env_extra[i]);
        child_setup(o);
        execl(CRT_API_BIN, "crt-api", (char *)NULL);
        _exit(127);
    }
    setenv("CRT_TEST_PORT", portstr, 1);
    if (use_tls)
        setenv("CRT_TEST_TLS", "1", 1);
    else
        unsetenv("CRT_TEST_TLS");
    for (int i = 0; i < 200; i++) { /* up to 10 s */
        struct resp r;
        if (api_req(&r, "GET", "/healthz", NULL, NULL) == 0 && r.status == 200) {
            resp_free(&r);
            return pid;
        }
        resp_free(&r);
        struct timespec ts = {0, 50000000};
        nanosleep(&ts, NULL);
    }
    fprintf(stderr, "harness: crt-api did not come up on %s\n", listen);
    kill(pid, SIGKILL);
    exit(1); /* nothing below can be meaningful; fail the whole binary at once */
}

int api_stop(pid_t pid)
{
    int status;
    if (pid <= 0 || kill(pid, SIGTERM) != 0 || waitpid(pid, &status, 0) != pid)
        return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

void api_stop_checked(pid_t pid)
{
    int rc = api_stop(pid);
    if (rc != 0) {
        fprintf(stderr, "harness: crt-api exited with status %d on SIGTERM (see its report above)\n", rc);
        exit(1);
    }
}

/* A connection to crt-api from source (a loopback address such as "127.0.0.9"; NULL: any). */
static int connect_api_from(const char *source)
{
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)api_port()),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    struct sockaddr_in from = {.sin_family = AF_INET};
    if (s >= 0 && source &&
        (inet_pton(AF_INET, source, &from.sin_addr) != 1 ||
         bind(s, (struct sockaddr *)&from, sizeof from) != 0)) {
        close(s);
        return -1;
    }
    if (s >= 0 && connect(s, (struct sockaddr *)&sa, sizeof sa) == 0)
        return s;
    if (s >= 0)
        close(s);
    return -1;
}

int api_connect(void) { return connect_api_from(NULL); }

static int parse(struct resp *r, char *buf, size_t len)
{
    char *end = memmem(buf, len, "\r\n\r\n", 4);
    if (len < 12 || strncmp(buf, "HTTP/1.", 7) != 0 || end == NULL)
        return -1;
    r->status = atoi(buf + 9);
    r->headers = strndup(buf, (size_t)(end - buf) + 2);
    r->body = strndup(end + 4, len - (size_t)(end + 4 - buf));
    r->json = json_loads(r->body, 0, NULL);
    return 0;
}

SSL *harness_tls_connect(int fd, int min_version, int max_version)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    SSL *ssl = NULL;
    if (ctx && SSL_CTX_set_min_proto_version(ctx, min_version) &&
        SSL_CTX_set_max_proto_version(ctx, max_version)) {
        SSL_CTX_set_security_level(ctx, 0); /* let the client offer old versions: the server must refuse */
        SSL_CTX_set_cipher_list(ctx, "DEFAULT:@SECLEVEL=0");
        ssl = SSL_new(ctx);
    }
    SSL_CTX_free(ctx); /* the SSL keeps its reference */
    if (ssl && SSL_set_fd(ssl, fd) == 1 && SSL_connect(ssl) == 1)
        return ssl;
    SSL_free(ssl);
    return NULL;
}

/* The request over TLS (certificates are not verified: the tests check them themselves). */
static int raw_tls(struct resp *r, int s, const char *raw, size_t len)
{
    SSL *ssl = harness_tls_connect(s, TLS1_2_VERSION, TLS1_3_VERSION);
    size_t cap = 65536, n = 0;
    char *buf = ssl && SSL_write(ssl, raw, (int)len) == (int)len ? malloc(cap) : NULL;
    int got;
    while (buf && (got = SSL_read(ssl, buf + n, (int)(cap - n - 1))) > 0) {
        n += (size_t)got;
        if (n + 1 == cap)
            buf = realloc(buf, cap *= 2);
    }
    SSL_free(ssl);
    close(s);
    int rc = buf ? parse(r, buf, n) : -1;
    free(buf);
    return rc;
}

int api_read(int s, struct resp *r, int timeout_ms)
{
    memset(r, 0, sizeof *r);
    size_t cap = 65536, n = 0;
    char *buf = malloc(cap);
    struct timeval tv = {timeout_ms / 1000, timeout_ms % 1000 * 1000};
    setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ssize_t got;
    int rc = -1;
    while (buf && n + 1 < cap && (got = recv(s, buf + n, cap - n - 1, 0)) > 0) {
        n += (size_t)got;
        buf[n] = '\0';
        char *end = strstr(buf, "\r\n\r\n");
        const char *cl = end ? strcasestr(buf, "\r\nContent-Length:") : NULL;
        if (end && cl && cl < end && (size_t)(end + 4 - buf) + (size_t)atol(cl + 17) <= n)
            break;
    }
    if (buf && n > 0)
        rc = parse(r, buf, n);
    free(buf);
    return rc;
}

int api_raw(struct resp *r, const char *raw, size_t len) { return api_raw_from(r, NULL, raw, len); }

int api_raw_from(struct resp *r, const char *source, const char *raw, size_t len)
{
    memset(r, 0, sizeof *r);
    int s = connect_api_from(source);
    if (s < 0)
        return -1;
    if (getenv("CRT_TEST_TLS"))
        return raw_tls(r, s, raw, len);
    size_t off = 0;
    while (off < len) {
        ssize_t w = send(s, raw + off, len - off, MSG_NOSIGNAL);
        if (w <= 0)
            break; /* the server may answer and close before reading everything */
        off += (size_t)w;
    }
    /* No shutdown(SHUT_WR): evhttp treats a half-closed connection as gone and drops a
     * response larger than the socket buffer (as no real HTTP client half-closes, the harness
     * does not either). */
    size_t cap = 65536, n = 0;
    char *buf = malloc(cap);
    ssize_t got;
    while (buf && (got = recv(s, buf + n, cap - n - 1, 0)) > 0) {
        n += (size_t)got;
        if (n + 1 == cap)
            buf = realloc(buf, cap *= 2);
    }
    close(s);
    int rc = buf ? parse(r, buf, n) : -1;
    free(buf);
    return rc;
}

int api_req(struct resp *r, const char *method, const char *path, const char *who,
            const char *body)
{
    return api_req_token(r, method, path, who ? harness_token(who) : NULL, body);
}

double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

long api_metric(const char *name)
{
    struct resp r;
    long v = -1;
    if (api_req(&r, "GET", "/metrics", NULL, NULL) == 0 && r.status == 200 && r.body) {
        char pat[160];
        snprintf(pat, sizeof pat, "\n%s ", name);
        const char *p = strstr(r.body, pat);
        if (p)
            v = atol(p + strlen(pat));
    }
    resp_free(&r);
    return v;
}

int api_req_token(struct resp *r, const char *method, const char *path, const char *token,
                  const char *body)
{
    char *h = NULL;
    if (token && asprintf(&h, "Authorization: Bearer %s\r\n", token) < 0)
        return -1;
    int rc = api_req_headers(r, method, path, h, body);
    free(h);
    return rc;
}

int api_req_headers(struct resp *r, const char *method, const char *path, const char *headers,
                    const char *body)
{
    size_t blen = body ? strlen(body) : 0;
    char *req = NULL;
    int n = asprintf(&req,
                     "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n%s"
                     "%sContent-Length: %zu\r\n\r\n%s",
                     method, path, headers ? headers : "",
                     body ? "Content-Type: application/json\r\n" : "", blen, body ? body : "");
    int rc = n < 0 ? -1 : api_raw(r, req, (size_t)n);
    free(req);
    return rc;
}

void resp_free(struct resp *r)
{
    free(r->headers);
    free(r->body);
    json_decref(r->json);
    memset(r, 0, sizeof *r);
}

const char *resp_header(const struct resp *r, const char *name)
{
    static _Thread_local char value[512];
    size_t nl = strlen(name);
    for (const char *line = r->headers ? strstr(r->headers, "\r\n") : NULL; line && line[2];
         line = strstr(line + 2, "\r\n")) {
        const char *h = line + 2;
        if (strncasecmp(h, name, nl) == 0 && h[nl] == ':') {
            const char *v = h + nl + 1, *e = strstr(v, "\r\n");
            while (*v == ' ')
                v++;
            snprintf(value, sizeof value, "%.*s", (int)(e ? e - v : (long)strlen(v)), v);
            return value;
        }
    }
    return NULL;
}

static PGconn *db_connect(const char *env)
{
    const char *url = getenv(env);
    PGconn *c = PQconnectdb(url ? url : "");
    if (PQstatus(c) != CONNECTION_OK)
        fprintf(stderr, "harness: cannot connect with %s: %s", env, PQerrorMessage(c));
    return c;
}
PGconn *db_api(void) { return db_connect("CRT_DATABASE_URL"); }
PGconn *db_super(void) { return db_connect("CRT_SUPER_DATABASE_URL"); }
PGconn *db_owner(void) { return db_connect("CRT_OWNER_DATABASE_URL"); }

long sql_long(PGconn *c, const char *sql, int n, const char *const *params)
{
    PGresult *r = PQexecParams(c, sql, n, NULL, params, NULL, NULL, 0);
    long v = -1;
    if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) > 0 && !PQgetisnull(r, 0, 0))
        v = atol(PQgetvalue(r, 0, 0));
    else if (PQresultStatus(r) != PGRES_TUPLES_OK)
        fprintf(stderr, "harness: %s", PQerrorMessage(c));
    PQclear(r);
    return v;
}

bool sql_ok(PGconn *c, const char *sql, int n, const char *const *params)
{
    PGresult *r = PQexecParams(c, sql, n, NULL, params, NULL, NULL, 0);
    bool ok = PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK;
    PQclear(r);
    return ok;
}

bool api_context(PGconn *c, const char *controller, const char *role, const char *user)
{
    const char *p[] = {controller, role, user};
    PGconn *super = db_super();
    /* a user of that role when the controller has none yet (e.g. no DPO seeded) */
    if (!user && !sql_ok(super, "INSERT INTO staff_users (controller_id, username, display_name, role) "
                                "SELECT $1::smallint, 'ctx.' || $1 || '.' || $2, 'Context', $2 "
                                "WHERE NOT EXISTS (SELECT 1 FROM staff_users WHERE controller_id = "
                                "$1::smallint AND role = $2 AND disabled_at IS NULL) "
                                "ON CONFLICT (username) DO NOTHING", 2, p))
        fprintf(stderr, "harness: %s", PQerrorMessage(super));
    PGresult *r = PQexecParams(super,
        "INSERT INTO sessions (controller_id, user_id, role, amr, expires_at) "
        "SELECT controller_id, id, role, '{pwd}', now() + interval '1 hour' FROM staff_users "
        "WHERE controller_id = $1::smallint AND role = $2 AND disabled_at IS NULL "
        "AND ($3::uuid IS NULL OR id = $3::uuid) ORDER BY username LIMIT 1 "
        "RETURNING controller_id::text, user_id::text, id::text, role",
        3, NULL, p, NULL, NULL, 0);
    bool ok = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1;
    if (ok) {
        const char *q[] = {PQgetvalue(r, 0, 0), PQgetvalue(r, 0, 1), PQgetvalue(r, 0, 2),
                           PQgetvalue(r, 0, 3)};
        ok = sql_ok(c, "BEGIN", 0, NULL) &&
             sql_long(c, "SELECT crt_session_begin($1::smallint, $2::uuid, $3::uuid, $4)::int",
                      4, q) == 1;
    } else {
        fprintf(stderr, "harness: no %s user in controller %s: %s", role, controller,
                PQerrorMessage(super));
    }
    PQclear(r);
    PQfinish(super);
    return ok;
}

char *create_person(const char *user, const char *first, const char *last, const char *birth)
{
    char *body = NULL, *id = NULL;
    struct resp r;
    if (asprintf(&body,
                 "{\"source\":\"person\",\"identification\":{\"first_name\":\"%s\","
                 "\"last_name\":\"%s\",\"birth_date\":\"%s\"}}",
                 first, last, birth) < 0)
        return NULL;
    if (api_req(&r, "POST", "/v1/persons", user, body) == 0 && r.status == 201)
        id = strdup(json_string_value(json_object_get(r.json, "id")));
    resp_free(&r);
    free(body);
    return id;
}

/* ---- accounts ---- */

static const char *jget(json_t *o, const char *key) { return json_string_value(json_object_get(o, key)); }

static bool crtctl_create(const char *username, const char *ctl, const char *role, const char *pw)
{
    char cmd[512];
    setenv("CRT_SCRYPT_LOG2N", "14", 0);
    snprintf(cmd, sizeof cmd, "%s user create --controller %s --role %s --name 'Test %s' %s >/dev/null",
             CRT_CTL_BIN, ctl, role, role, username);
    FILE *p = popen(cmd, "w");
    if (p == NULL)
        return false;
    fprintf(p, "%s\n", pw);
    return pclose(p) == 0;
}

void account_code(const struct account *a, time_t t, char out[7])
{
    if (!totp_code(a->secret, sizeof a->secret, t, 6, out))
        out[0] = '\0';
}

int account_login(struct resp *r, const struct account *a, const char *password)
{
    char body[256];
    snprintf(body, sizeof body, "{\"username\":\"%s\",\"password\":\"%s\"}", a->username, password);
    return api_req_token(r, "POST", "/v1/auth/login", NULL, body);
}

/* Enrols through the API: login -> enrol -> confirm. */
static bool enrol(struct account *a)
{
    struct resp r;
    char body[512], enrol_token[128] = "";
    bool ok = account_login(&r, a, a->password) == 0 && r.status == 200 && jget(r.json, "enrol_token");
    if (ok)
        snprintf(enrol_token, sizeof enrol_token, "%s", jget(r.json, "enrol_token"));
    resp_free(&r);
    snprintf(body, sizeof body, "{\"enrol_token\":\"%s\"}", enrol_token);
    ok = ok && api_req_token(&r, "POST", "/v1/auth/totp/enrol", NULL, body) == 0 && r.status == 200;
    ok = ok && totp_base32_decode(jget(r.json, "secret"), a->secret, sizeof a->secret) == 20;
    resp_free(&r);
    char code[7];
    account_code(a, time(NULL), code);
    snprintf(body, sizeof body, "{\"enrol_token\":\"%s\",\"code\":\"%s\"}", enrol_token, code);
    ok = ok && api_req_token(&r, "POST", "/v1/auth/totp/enrol/confirm", NULL, body) == 0 &&
         r.status == 200 && jget(r.json, "access_token");
    if (ok) {
        a->token = strdup(jget(r.json, "access_token"));
        json_t *codes = json_object_get(r.json, "recovery_codes");
        for (size_t i = 0; i < 2; i++)
            snprintf(a->recovery[i], sizeof a->recovery[i], "%s",
                     json_string_value(json_array_get(codes, i)) ? json_string_value(json_array_get(codes, i)) : "");
    }
    resp_free(&r);
    if (ok && a->token) {
        ok = api_req_token(&r, "GET", "/v1/me", a->token, NULL) == 0 && r.status == 200;
        if (ok)
            snprintf(a->user_id, sizeof a->user_id, "%s", jget(r.json, "id"));
        resp_free(&r);
    }
    return ok;
}

/* A value of this test process that a later process with the same pid does not repeat, so that
 * usernames stay unique when the suite runs again on the same database. */
static unsigned process_nonce(void)
{
    static unsigned nonce;
    while (nonce == 0 && getrandom(&nonce, sizeof nonce, 0) != (ssize_t)sizeof nonce)
        nonce = (unsigned)time(NULL) ^ ((unsigned)getpid() << 16);
    return nonce;
}

bool account_new(struct account *a, const char *ctl, const char *role)
{
    static int serial;
    memset(a, 0, sizeof *a);
    if (!totp_init())
        return false;
    snprintf(a->username, sizeof a->username, "%s.%s.t%d.%08x.%d", ctl, role, (int)getpid(),
             process_nonce(), ++serial);
    snprintf(a->password, sizeof a->password, "pw-%d-%d-correct-horse", (int)getpid(), serial);
    if (!crtctl_create(a->username, ctl, role, a->password)) {
        fprintf(stderr, "harness: crtctl user create %s failed\n", a->username);
        return false;
    }
    if (!enrol(a)) {
        fprintf(stderr, "harness: enrolment of %s failed\n", a->username);
        return false;
    }
    return true;
}

void account_free(struct account *a)
{
    free(a->token);
    a->token = NULL;
}

char *account_full_login(const struct account *a, time_t t)
{
    struct resp r;
    char body[256], code[7], *token = NULL;
    if (account_login(&r, a, a->password) != 0 || r.status != 200 || !jget(r.json, "mfa_token")) {
        resp_free(&r);
        return NULL;
    }
    account_code(a, t, code);
    snprintf(body, sizeof body, "{\"mfa_token\":\"%s\",\"code\":\"%s\"}", jget(r.json, "mfa_token"), code);
    resp_free(&r);
    if (api_req_token(&r, "POST", "/v1/auth/totp", NULL, body) == 0 && r.status == 200)
        token = strdup(jget(r.json, "access_token"));
    resp_free(&r);
    return token;
}

static void env_key(const char *prefix, const char *key, char *out, size_t len)
{
    snprintf(out, len, "%s%s", prefix, key);
    for (char *p = out; *p; p++)
        if (*p == '.')
            *p = '_';
}

static pid_t harness_api_pid;

void harness_api_begin(void)
{
    harness_api_pid = api_start(NULL);
    harness_login_all();
}

void harness_api_end(void)
{
    api_stop_checked(harness_api_pid);
}

void harness_login_all(void)
{
    static const char *const keys[][2] = {{"atlas", "intake"},      {"ingent", "intake"},
                                          {"atlas", "coordinator"}, {"huis", "coordinator"},
                                          {"atlas", "admin"},       {"ingent", "admin"},
                                          {"atlas", "education"},   {"atlas", "caseworker"},
                                          {"atlas", "dpo"}};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        struct account a;
        char key[64], name[96];
        snprintf(key, sizeof key, "%s.%s", keys[i][0], keys[i][1]);
        if (!account_new(&a, keys[i][0], keys[i][1]))
            continue;
        env_key("CRT_TEST_TOKEN_", key, name, sizeof name);
        setenv(name, a.token, 1);
        env_key("CRT_TEST_USER_", key, name, sizeof name);
        setenv(name, a.username, 1);
        account_free(&a);
    }
}

const char *harness_token(const char *key)
{
    char name[96];
    env_key("CRT_TEST_TOKEN_", key, name, sizeof name);
    return getenv(name);
}

const char *harness_username(const char *key)
{
    char name[96];
    env_key("CRT_TEST_USER_", key, name, sizeof name);
    return getenv(name);
}

long persons_named(const char *last)
{
    PGconn *c = db_super();
    const char *p[] = {last};
    long n = sql_long(c, "SELECT count(*) FROM persons WHERE last_name = $1", 1, p);
    PQfinish(c);
    return n;
}

PGresult *readable_relations(PGconn *c)
{
    return PQexec(c, "SELECT c.oid::regclass::text FROM pg_class c "
                     "JOIN pg_namespace n ON n.oid = c.relnamespace "
                     "WHERE n.nspname = 'public' AND c.relkind IN ('r', 'v', 'p', 'm') "
                     "AND has_table_privilege(c.oid, 'SELECT') ORDER BY 1");
}
