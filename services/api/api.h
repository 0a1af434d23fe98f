/* crt-api internals shared by the server, the route table and the handlers: the worker (one
 * event loop + one database connection per thread) and the helpers every handler uses. */
/* The helpers are grouped by their file: request.c (reading the request), tx.c (transaction
 * and access log), gate.c (may this user see this person), sealed.c (the sensitive group). */
#ifndef CRT_API_H
#define CRT_API_H
#include <pthread.h>
#include <stdbool.h>
#include <time.h>

#include "crt/access.h"
#include "crt/config.h"
#include "crt/crypto.h"
#include "crt/db.h"
#include "crt/offload.h"
#include "crt/password.h"
#include "crt/token.h"
#include "crt/http.h"
#include "crt/router.h"
#include "crt/validate.h"
#include "conn.h"

/* Process-wide, read-only once the server runs (except the pool's own locking). */
struct api_shared {
    const struct crt_config *cfg;
    struct token_keys keys;
    struct keyring keyring;   /* seals TOTP secrets and national numbers */
    struct keyring index_key; /* first key: HMAC key of the blind indexes */
    struct password_params pw;
    struct offload *hashing;
    char dummy_hash[PASSWORD_HASH_MAX]; /* verified for unknown users: same cost, same answer */
};

struct api_job;

struct worker {
    int index;
    const struct crt_config *cfg;
    const struct api_shared *shared;
    struct event_base *base;
    struct evhttp *http;
    struct conn_set conns; /* the listener and the client connections (conn.c) */
    struct event *stop_ev, *drain_ev;
    struct db db;
    pthread_t thread;
    int inflight;       /* requests routed whose answer is not written nor their connection gone */
    int offloaded;      /* offloaded jobs not yet handed back to this loop */
    struct api_job *jobs; /* those whose request still waits for them (server.c) */
    bool stopping, grace_over;
    uint64_t deadline_ns;
    struct token_cache *tokens;
    struct access_matrix matrix; /* role x field group, refreshed every few seconds */
    uint64_t matrix_at;
    struct batch *batch; /* the read paths' own connection and its group commit (batch.c) */
};

/* The route table (routes.c) and its size. */
extern const struct route api_routes[];
extern const size_t api_nroutes;

/* Prepared statements of every worker connection (statements.c); built once at start-up. */
const struct db_stmt *api_statements(int *n);
/* The SQL of the statement called name, NULL when there is none (tests run it as crt-api does). */
const char *api_statement_sql(const char *name);
/* The names among them that write only the service's own records (struct db's own_writes). */
extern const char *const api_own_writes[];

/* Resolves ctx->who from the Bearer access token of a non-public route (signature and claims;
 * the session itself is checked by api_begin in the request's transaction), or answers 401
 * with WWW-Authenticate and returns false. */
bool identity_resolve(struct http_ctx *ctx);
/* The browser session cookie's name; __Host-: Secure, Path=/, no Domain (RFC 6265bis). */
#define WEB_COOKIE "__Host-crt_session"
/* The CSRF token of a session: derived from its cookie value (SHA-256 of a prefixed copy), so
 * the database keeps neither; knowing the token reveals nothing of the cookie. */
void identity_csrf_token(const char *cookie, char out[65]);
/* The cookie value of the request's session cookie (base64url, <= 64 characters) into out;
 * false when the request carries none. */
bool identity_cookie(struct http_ctx *ctx, char out[65]);

/* Static files of the web application (web.c). web_init resolves the root once at start-up
 * ("" or an unusable folder: none served); web_handles says whether a path is a static file
 * (not /v1, /healthz, /readyz, /metrics); web_serve answers it (GET/HEAD, ETag/304, 404). */
bool web_init(const char *root) CRT_MUST_CHECK;
bool web_handles(const char *path);
void web_serve(struct http_ctx *ctx);

/* TLS (tls.c). tls_init loads CRT_TLS_CERT_FILE / CRT_TLS_KEY_FILE (key mode 600 or
 * stricter), or accepts plain HTTP only with CRT_PLAIN_HTTP=behind-tls-proxy; false with the
 * reason in err. tls_bev_new is evhttp's bufferevent callback (evhttp_set_bevcb): an OpenSSL
 * bufferevent accepting on the current context (arg unused). tls_watch reloads certificate and
 * key on SIGHUP (events of base); tls_free releases everything at exit. */
bool tls_init(const struct crt_config *cfg, char *err, size_t errlen) CRT_MUST_CHECK;
bool tls_enabled(void);
struct bufferevent *tls_bev_new(struct event_base *base, void *arg);
bool tls_watch(struct event_base *base) CRT_MUST_CHECK;
void tls_free(void);

/* Runs the server until SIGTERM/SIGINT; returns the process exit status. */
int server_run(const struct api_shared *shared);

/* Ends a request whose handler set ctx->suspended and continued later (on the same worker's
 * loop): releases everything the request holds. A response must have been sent. */
void api_request_end(struct http_ctx *ctx);
/* Runs work off the loop (password hashing), then done on this worker's loop; answers 503 and
 * returns false when the hashing queue is full. On true the handler must set ctx->suspended
 * and done must end with api_request_end. When a shutdown's grace period ends before the work
 * has begun, neither work nor done runs: drop(arg) releases arg and the server answers 503
 * with Retry-After and ends the request. */
bool api_offload(struct http_ctx *ctx, void (*work)(void *), void (*done)(void *),
                 void (*drop)(void *), void *arg);

/* ---- the read paths: group-committed reads on a non-blocking connection (batch.c) ---- */
/* The reads of the read paths (person read) run on each worker's second connection, which is
 * non-blocking, in pipeline mode and driven from the loop: concurrent requests' reads share one
 * transaction, each after its own session check, and are answered only once its COMMIT has
 * returned. Everything else (writes, refusals logged in a transaction of their own, the role
 * matrix) keeps the worker's blocking connection, ctx_db. */
#define BATCH_MAX_PARAMS 8
/* A prepared statement and its parameters (which must live as long as the request). */
struct batch_stmt {
    const char *name;
    int n;
    const char *p[BATCH_MAX_PARAMS];
};
/* Called in the flight with the read's result r (not to be kept) when a second statement of
 * the request depends on it (the log rows of what a search found): sets next->name (and its
 * parameters) or leaves it NULL for none; false fails this request alone (500). */
typedef bool (*batch_then_fn)(struct http_ctx *ctx, const PGresult *r, void *arg,
                              struct batch_stmt *next);
/* Called on the loop when the request's transaction has ended: st DB_OK with the results of
 * the read r and of the second statement r2 (NULL when none; the callee PQclears both) once
 * COMMIT has returned, else the failure of this request (r, r2 NULL): DB_UNAUTHORIZED when the
 * session is no longer valid, DB_TIMEOUT, DB_UNAVAILABLE… It must answer; the request ends
 * after it. */
typedef void (*batch_done_fn)(struct http_ctx *ctx, enum db_status st, PGresult *r,
                              PGresult *r2, void *arg);
/* Queues the read stmt (n <= BATCH_MAX_PARAMS parameters p, copied), which writes its own
 * access-log rows or, through then (NULL: none), has a second statement that does, for the
 * next flight in the caller's signed context, and suspends the request; done finishes it.
 * False after answering 500 (out of memory). */
bool batch_read_logged(struct http_ctx *ctx, const char *stmt, int n, const char *const *p,
                       batch_then_fn then, batch_done_fn done, void *arg) CRT_MUST_CHECK;
/* Per worker: the connection (a database not reachable now is tried again on the first read;
 * false only when out of memory), its release, and whether no read is queued or out. */
bool batch_init(struct worker *w) CRT_MUST_CHECK;
/* Before a transaction on the blocking connection: the flight out is sent in full (a two-phase
 * one up to its COMMIT, reading its first phase's results), so that the database can finish it
 * without this loop. A flight's session check may hold the session's row (its last-seen
 * refresh) until COMMIT, and a write of that session on the blocking connection would otherwise
 * wait for a flight that waits for the blocked loop. Waits at most the flight's time cap. */
void batch_settle(struct worker *w);
void batch_free(struct worker *w);
bool batch_idle(const struct worker *w);

/* The request's worker and its database connection. */
static inline struct worker *ctx_worker(struct http_ctx *ctx) { return ctx->worker; }
static inline struct db *ctx_db(struct http_ctx *ctx) { return &((struct worker *)ctx->worker)->db; }

/* ---- reading the request and shaping the answer (request.c) ---- */
/* Reads a JSON body made only of the fields of specs (n of them) into out[] (arena strings,
 * NULL for absent/null optional ones); false after answering 422 naming the field. */
bool api_fields(struct http_ctx *ctx, const struct field_spec *specs, size_t n, const char **out);
/* The client's address as text (for login events), in the arena. */
const char *api_client_ip(struct http_ctx *ctx);
/* Answers 422 naming the field of err. */
void api_invalid(struct http_ctx *ctx, const struct field_error *err);
/* The purpose of the access: X-CRT-Purpose when given (validated), else dflt. NULL after
 * answering 400 for an unknown purpose. */
const char *api_purpose(struct http_ctx *ctx, const char *dflt);
/* The {id} path parameter when it is a UUID; NULL after answering 404 otherwise. */
const char *api_path_uuid(struct http_ctx *ctx, const char *name, const char *what);
/* The largest row id (bigint identity) a path or query parameter may name. */
#define API_MAX_ID 999999999999999999LL
/* The {name} path parameter when it is a row id (1..API_MAX_ID); NULL after answering 404. */
const char *api_path_id(struct http_ctx *ctx, const char *name, const char *what);
/* The query string into v[k] for each names[k] (NULL-terminated; v has as many slots; NULL
 * when absent; arena strings); false after answering 400 naming the parameter that is
 * unknown or given twice. Values are not checked. */
bool api_query(struct http_ctx *ctx, const char *const *names, const char **v);
/* A page of a list newest first: {"items": items, "next_before": the id in column 0 of r's
 * last row when r has limit rows, else null}. Takes items (NULL: []); new reference. */
json_t *api_page(json_t *items, const PGresult *r, int limit);

/* A text column as JSON: a string, or null. New reference. */
static inline json_t *api_text(const PGresult *r, int row, int col)
{
    return PQgetisnull(r, row, col) ? json_null() : json_string(PQgetvalue(r, row, col));
}

/* How a result column becomes a JSON member: text, integer, number (numeric), JSON text. */
enum api_col_kind { COL_TEXT, COL_INT, COL_NUM, COL_JSON };
struct api_col {
    const char *name;
    enum api_col_kind kind;
};
/* Row i of r as an object whose member c is column c, named and typed by cols[c] (n of them);
 * SQL NULL (or JSON that does not parse) is null. New reference; NULL when out of memory. */
json_t *api_row_object(const PGresult *r, int i, const struct api_col *cols, int n);
#define API_NCOLS(cols) ((int)(sizeof(cols) / sizeof((cols)[0])))
/* Every row of r as api_row_object makes it, in an array. New reference; NULL when out of
 * memory. */
json_t *api_row_array(const PGresult *r, const struct api_col *cols, int n);

/* ---- the transaction and the access log (tx.c) ---- */
/* Answers the problem for a failed database call (rolls back the transaction first). */
void api_db_fail(struct http_ctx *ctx, enum db_status st);
/* Opens the caller's RLS-scoped transaction; false after answering the failure. */
bool api_begin(struct http_ctx *ctx);
/* Commits; false after answering the failure (the response must not be sent then). */
bool api_commit(struct http_ctx *ctx);
/* Commits, then answers status with o; takes o (NULL answers 500). After a failed commit
 * only the failure is answered. */
void api_commit_send(struct http_ctx *ctx, int status, json_t *o);

/* Writes one access-log row in the open transaction (controller and user from its context). */
enum db_status api_audit(struct http_ctx *ctx, const char *person_id, const char *household_id,
                         const char *action, const char *groups, const char *purpose,
                         const char *outcome, const char *reason) CRT_MUST_CHECK;
/* Runs statement stmt (n parameters p), then writes the access-log row of that read (person
 * may be NULL; no field groups; outcome allowed) in the open transaction: the result, which
 * the caller clears, or NULL after answering the failure. */
PGresult *api_read_logged(struct http_ctx *ctx, const char *stmt, int n, const char *const *p,
                          const char *person_id, const char *action, const char *purpose,
                          const char *reason);

/* ---- may this user see this person (gate.c) ---- */
/* The caller's role must be one of roles (NULL-terminated); otherwise 403 and false. */
bool api_require_role(struct http_ctx *ctx, const char *const *roles);
/* Logs a not_found access, commits, and answers 404 (existence is never revealed). */
void api_not_found_logged(struct http_ctx *ctx, const char *person_id, const char *household_id,
                          const char *action, const char *purpose, const char *what);

/* The role x field-group matrix of the worker, loaded (through the reconnect path) when older
 * than ACCESS_MATRIX_TTL_S; dispatch calls it for every staff request before the handler, so
 * the masks below never query. False after answering 503/500 (never 403) when it cannot be
 * loaded; an old matrix is not used past its time. */
#define ACCESS_MATRIX_TTL_S 5
bool api_matrix_ready(struct http_ctx *ctx) CRT_MUST_CHECK;
/* The caller's read / write masks over field groups (bit i = field_group_names[i]), from the
 * matrix api_matrix_ready loaded for this request. */
unsigned api_read_mask(struct http_ctx *ctx);
unsigned api_write_mask(struct http_ctx *ctx);

/* Logs a denied access to person_id (may be NULL) with reason, commits, answers 403 with detail
 * naming field (may be NULL). Opens the transaction itself when none is open. */
void api_deny(struct http_ctx *ctx, const char *person_id, const char *action,
              const char *purpose, const char *reason, const char *detail, const char *field);
/* The caller's role may search persons (reads identification); otherwise the denial is logged
 * (api_deny, action "search") and false returned after answering 403. */
bool api_may_search(struct http_ctx *ctx, const char *purpose) CRT_MUST_CHECK;

#define NO_NEED_TO_KNOW                                                                     \
    "you have no need to know this person (no assignment or own recent registration); "     \
    "in an emergency, use break-glass"
enum gate { GATE_OK, GATE_NOT_FOUND, GATE_DENIED, GATE_MISMATCH,
            GATE_OBJECTED /* the hot read only: a granted objection covers the purpose */ };
/* Decides from a row whose first nine columns are person_gate's (the database's facts and
 * reason, whether the person exists in the controller and whether RLS shows it): the C rules
 * (common/access.c) must agree with the database's, else GATE_MISMATCH. */
enum gate api_gate_decide(struct http_ctx *ctx, const PGresult *r, const char *person_id,
                          const char **reason);
#define GATE_COLUMNS 9
/* The refusal of an access for a purpose a granted objection of the person covers. */
#define API_OBJECTED                                                                        \
    "the person objected to this processing and the objection was granted (GDPR art. 21): "  \
    "no access for this purpose"
/* Answers a refused gate: 404 or 403, logging the attempt unless logged (the statement did). */
void api_gate_refuse(struct http_ctx *ctx, enum gate g, const char *person_id,
                     const char *action, const char *purpose, bool logged);
/* The same for a batched read (batch.c), whose statement logged the attempt and whose
 * transaction has committed: 404 or 403; a mismatch is logged `denied` (policy_mismatch) in a
 * transaction of its own, after the statement's row (which says what the database decided). */
void api_gate_committed(struct http_ctx *ctx, enum gate g, const char *person_id,
                        const char *action, const char *purpose);
/* The need-to-know gate for one person inside the open transaction: true with *reason set
 * ("assignment", "coordinator_scope", …) when the caller may see the person; otherwise the
 * attempt is logged (not_found or denied), committed, and 404 or 403 answered. */
bool api_person_gate(struct http_ctx *ctx, const char *person_id, const char *action,
                     const char *purpose, const char **reason);

/* One item of a list from row i of r; NULL leaves the row out (not readable by mask). */
typedef json_t *(*api_row_fn)(const PGresult *r, int i, unsigned mask);
/* A list about one person: the need-to-know gate, statement stmt ($1 = person id), one
 * access-log row (action, groups), then 200 {"items": [...]} built by row. The caller has
 * checked the role; purpose is resolved. */
void api_person_list(struct http_ctx *ctx, const char *id, const char *action,
                     const char *purpose, const char *stmt, const char *groups, api_row_fn row,
                     unsigned mask);
/* Ends something about one person (assignment, referral): the gate, stmt ($1 person id, $2 the
 * {param} of the path) must return a row, one access-log row (action), then 200. */
void api_person_end(struct http_ctx *ctx, const char *action, const char *stmt,
                    const char *param, const char *what);

/* Inside the open transaction: true when the person is not restricted; otherwise the attempt
 * is logged `denied` (reason `restricted`), committed and 403 answered with the reason. */
bool rights_writable(struct http_ctx *ctx, const char *person_id, const char *action,
                     const char *purpose);

/* Inside the open transaction: true when the caller's controller has a recorded legal basis
 * for national register numbers (Xtra 6.5); otherwise rolls back and answers 422 naming
 * sensitive.national_number. */
bool rights_nn_basis(struct http_ctx *ctx) CRT_MUST_CHECK;
/* Inside the open transaction: true when no granted objection of the person covers a
 * disclosure to partners for grant_purpose; otherwise the attempt is logged denied (reason
 * objection) under action and purpose, committed, and 403 answered naming "purpose". */
bool rights_no_objection(struct http_ctx *ctx, const char *person_id, const char *action,
                         const char *purpose, const char *grant_purpose) CRT_MUST_CHECK;

/* ---- the sensitive group's cryptography (sealed.c) ---- */
/* The national number of row 0 of r (person columns from col0), opened, as JSON or null.
 * New reference. */
json_t *api_national_number(struct http_ctx *ctx, const PGresult *r, int col0);
/* The blind indexes (64 hex digits + NUL) of a name + birth date and of a national number's
 * 11 digits, as registration computes them; false on failure. */
bool api_name_index(struct http_ctx *ctx, const char *first, const char *last, const char *birth,
                    char out[65]) CRT_MUST_CHECK;
bool api_nn_index(struct http_ctx *ctx, const char *digits, char out[65]) CRT_MUST_CHECK;
/* The same under key number which of the index ring (0 the current one, 1 the previous one
 * while a re-index runs); false when the ring has no such key. */
bool api_name_index_with(struct http_ctx *ctx, int which, const char *first, const char *last,
                         const char *birth, char out[65]) CRT_MUST_CHECK;
bool api_nn_index_with(struct http_ctx *ctx, int which, const char *digits, char out[65]) CRT_MUST_CHECK;
/* The id of the index key written (the ring's first); whether the ring holds a previous key
 * too (a blind-index rotation in progress: lookups try both). */
const char *api_index_key_id(struct http_ctx *ctx);
bool api_index_rotating(struct http_ctx *ctx);
/* Seals a national number's 11 digits for person_id under the keyring's current key: the
 * sealed bytes as hex into hex, the key's id into key_id; false on failure. */
#define API_NN_SEALED_HEX (2 * (11 + CRYPTO_SEAL_OVERHEAD) + 1)
bool api_nn_seal(struct http_ctx *ctx, const char *person_id, const char *digits,
                 char hex[API_NN_SEALED_HEX], char key_id[CRYPTO_KEY_ID_MAX]) CRT_MUST_CHECK;

/* Handlers. */
void h_healthz(struct http_ctx *ctx);
void h_readyz(struct http_ctx *ctx);
void h_metrics(struct http_ctx *ctx);
void h_me(struct http_ctx *ctx);
void h_worklist(struct http_ctx *ctx);
void h_me_access(struct http_ctx *ctx);
void h_caseworkers(struct http_ctx *ctx);
void h_person_create(struct http_ctx *ctx);
void h_person_search(struct http_ctx *ctx);
void h_person_get(struct http_ctx *ctx);
void h_person_patch(struct http_ctx *ctx);
void h_person_rectifications(struct http_ctx *ctx);
void h_person_duplicate_check(struct http_ctx *ctx);
void h_person_transfer(struct http_ctx *ctx);
void h_household_create(struct http_ctx *ctx);
void h_household_get(struct http_ctx *ctx);
void h_trajectory_list(struct http_ctx *ctx);
void h_trajectory_add(struct http_ctx *ctx);
void h_auth_login(struct http_ctx *ctx);
void h_auth_totp(struct http_ctx *ctx);
void h_auth_enrol(struct http_ctx *ctx);
void h_auth_enrol_confirm(struct http_ctx *ctx);
void h_auth_logout(struct http_ctx *ctx);
void h_auth_totp_reset(struct http_ctx *ctx);
void h_auth_password(struct http_ctx *ctx);
void h_auth_session(struct http_ctx *ctx);
void h_sessions_list(struct http_ctx *ctx);
void h_sessions_revoke_others(struct http_ctx *ctx);
void h_session_revoke(struct http_ctx *ctx);
void h_admin_sessions_revoke(struct http_ctx *ctx);

/* Failed logins (throttle.c), keyed by kind ('u' username, 'a' client address) and value:
 * throttle_wait is the seconds to wait (0: go ahead) once limit failures fell within the
 * window; throttle_fail counts one. Thread-safe. */
int throttle_wait(char kind, const char *value, int limit, int window_s, time_t now);
void throttle_fail(char kind, const char *value, int window_s, time_t now);
void h_admin_users_list(struct http_ctx *ctx);
void h_admin_user_create(struct http_ctx *ctx);
void h_admin_user_update(struct http_ctx *ctx);
void h_admin_user_action(struct http_ctx *ctx);
void h_admin_user_enrolment(struct http_ctx *ctx);
void h_admin_user_sessions(struct http_ctx *ctx);
/* An administrative login event (h_admin.c): event about user (may be NULL) and subject (a
 * partner or grant id, a setting's name, a day; may be NULL), the caller as actor, in the open
 * transaction. */
enum db_status admin_record(struct http_ctx *ctx, const char *user, const char *event,
                            const char *subject) CRT_MUST_CHECK;
void h_admin_partners_list(struct http_ctx *ctx);
void h_admin_partner_create(struct http_ctx *ctx);
void h_admin_partner_secret(struct http_ctx *ctx);
void h_admin_partner_revoke(struct http_ctx *ctx);
void h_admin_grants_list(struct http_ctx *ctx);
void h_admin_grant_create(struct http_ctx *ctx);
void h_admin_grant_end(struct http_ctx *ctx);
void h_admin_settings(struct http_ctx *ctx);
void h_admin_settings_update(struct http_ctx *ctx);
void h_admin_holiday_set(struct http_ctx *ctx);
void h_admin_holiday_remove(struct http_ctx *ctx);
void h_auth_invite(struct http_ctx *ctx);
void h_auth_invite_password(struct http_ctx *ctx);
void h_break_glass(struct http_ctx *ctx);
void h_assignments_list(struct http_ctx *ctx);
void h_assignment_create(struct http_ctx *ctx);
void h_assignment_end(struct http_ctx *ctx);
void h_audit_access(struct http_ctx *ctx);
void h_audit_logins(struct http_ctx *ctx);
void h_audit_partner_auth(struct http_ctx *ctx);
void h_audit_seal(struct http_ctx *ctx);
void h_reviews_list(struct http_ctx *ctx);
void h_review_get(struct http_ctx *ctx);
void h_review_findings(struct http_ctx *ctx);
void h_review_decide(struct http_ctx *ctx);
void h_referral_create(struct http_ctx *ctx);
void h_referrals_list(struct http_ctx *ctx);
void h_referral_end(struct http_ctx *ctx);
void h_partners_list(struct http_ctx *ctx);
void h_oauth_token(struct http_ctx *ctx);
void h_partner_persons(struct http_ctx *ctx);
void h_partner_person(struct http_ctx *ctx);

/* ---- the rights of the person that several handlers share (rights.c) ---- */
/* The person's flags, retention date and restriction history (GET /v1/persons/{id}/flags);
 * NULL with *st set on failure. New reference. */
json_t *rights_flags(struct http_ctx *ctx, const char *person_id, enum db_status *st);
/* Queues a notification of kind (rectification, restriction) for every partner that received
 * any of groups (text[] literal) of the person; fields (text[] literal) names the changed
 * fields. *partners: [{partner_id, name, field_groups}] (new reference; NULL on failure). */
enum db_status corrections_queue(struct http_ctx *ctx, const char *person_id, const char *kind,
                                 const char *groups, const char *fields,
                                 json_t **partners) CRT_MUST_CHECK;
/* The partners of a statement returning (partner id, name, groups JSON), as above. */
enum db_status corrections_list(struct http_ctx *ctx, const char *stmt, int n,
                                const char *const *params, json_t **partners) CRT_MUST_CHECK;
void h_person_request_create(struct http_ctx *ctx);
void h_person_requests(struct http_ctx *ctx);
void h_request_create(struct http_ctx *ctx);
void h_requests_list(struct http_ctx *ctx);
void h_request_get(struct http_ctx *ctx);
void h_request_extend(struct http_ctx *ctx);
void h_request_decide(struct http_ctx *ctx);
void h_person_flags(struct http_ctx *ctx);
void h_person_flags_update(struct http_ctx *ctx);
void h_restriction_lift(struct http_ctx *ctx);
void h_person_export(struct http_ctx *ctx);
void h_partner_corrections(struct http_ctx *ctx);
void h_disclosure_notice(struct http_ctx *ctx);
void h_disclosure_notice_delivery(struct http_ctx *ctx);
void h_request_letter(struct http_ctx *ctx);
void h_retention_escalations(struct http_ctx *ctx);
void h_partner_correction_ack(struct http_ctx *ctx);
void h_statistics(struct http_ctx *ctx);

#endif
