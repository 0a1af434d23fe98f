/* Integration: the rules of issue 15 against a real crt-api and PostgreSQL — a national register
 * number only under the controller's recorded legal basis (and cleared when it is withdrawn),
 * disclosures the person did not know of notified in the person's language with the delivery
 * recorded, the recipients told of a correction or erasure in the export and the decision
 * letter, a granted objection stopping what it names, and the transfer with consent within the
 * retention bound (deadline, escalation to the DPO, erasure at the bound, the boundary day). */
#include <criterion/criterion.h>
#include <criterion/hooks.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "harness_rights.h"

ReportHook(PRE_ALL)(struct criterion_test_set *set) { (void)set; harness_api_begin(); }
ReportHook(POST_ALL)(struct criterion_global_stats *stats) { (void)stats; harness_api_end(); }

#define INTAKE "atlas.intake"
#define COORD "atlas.coordinator"
#define DPO "atlas.dpo"
#define HUIS "huis.coordinator"

static const char *jstr(json_t *o, const char *key) { return json_string_value(json_object_get(o, key)); }

/* A fresh atlas adult with a unique last name (into last when given). */
static char *adult(const char *who, char *last, size_t n)
{
    char name[64];
    unique_name(name, sizeof name, "Rules");
    if (last)
        snprintf(last, n, "%s", name);
    char *id = create_person(who, "Mariia", name, "1986-04-12");
    cr_assert_not_null(id, "person registered");
    return id;
}

/* A valid national number for a birth date before 2000 (serial 1..997). */
static void national_number(const char *birth, int serial, char out[12])
{
    char body[16];
    snprintf(body, sizeof body, "%.2s%.2s%.2s%03d", birth + 2, birth + 5, birth + 8, serial % 1000);
    int check = (int)(97 - atoll(body) % 97);
    memcpy(out, body, 9);
    out[9] = (char)('0' + check / 10 % 10);
    out[10] = (char)('0' + check % 10);
    out[11] = '\0';
}

/* A count from the superuser's view. */
static long count_super(const char *sql, const char *arg)
{
    PGconn *c = db_super();
    const char *p[] = {arg};
    long n = sql_long(c, sql, arg ? 1 : 0, p);
    PQfinish(c);
    return n;
}

static void superuser_sql(const char *sql)
{
    PGconn *c = db_super();
    cr_assert(sql_ok(c, sql, 0, NULL), "%s", PQerrorMessage(c));
    PQfinish(c);
}

/* A request as who with X-CRT-Purpose: purpose. */
static void req_purpose(struct resp *r, const char *method, const char *who, const char *purpose,
                        const char *path)
{
    char headers[1024];
    snprintf(headers, sizeof headers, "Authorization: Bearer %s\r\nX-CRT-Purpose: %s\r\n",
             harness_token(who), purpose);
    cr_assert_eq(api_req_headers(r, method, path, headers, NULL), 0);
}

/* Registers a request of kind about the person as COORD; its id (malloc'ed). */
static char *request_new(const char *id, const char *kind)
{
    struct resp r;
    char body[256];
    time_t t = time(NULL);
    struct tm tm;
    char today[11];
    strftime(today, sizeof today, "%Y-%m-%d", localtime_r(&t, &tm));
    snprintf(body, sizeof body,
             "{\"kind\":\"%s\",\"received_on\":\"%s\",\"identity_check\":\"eid\"}", kind, today);
    api_reqf(&r, "POST", COORD, body, "/v1/persons/%s/requests", id);
    cr_assert_eq(r.status, 201, "%s", r.body);
    char *rq = strdup(jstr(r.json, "id"));
    resp_free(&r);
    return rq;
}

static int decide(const char *rq, const char *body)
{
    struct resp r;
    api_reqf(&r, "POST", COORD, body, "/v1/requests/%s/decision", rq);
    int status = r.status;
    cr_assert(status == 200 || status == 422, "%s", r.body);
    resp_free(&r);
    return status;
}

/* The newest access-log row's outcome and reason of action on person (superuser). */
static void last_log(const char *person, const char *action, char *out, size_t n)
{
    PGconn *c = db_super();
    const char *p[] = {person, action};
    PGresult *r = PQexecParams(c, "SELECT outcome || '/' || COALESCE(reason, '') FROM access_log "
                                  "WHERE person_id = $1::uuid AND action = $2 ORDER BY id DESC LIMIT 1",
                               2, NULL, p, NULL, NULL, 0);
    cr_assert_eq(PQntuples(r), 1, "no %s row: %s", action, PQerrorMessage(c));
    snprintf(out, n, "%s", PQgetvalue(r, 0, 0));
    PQclear(r);
    PQfinish(c);
}

/* ---- item 1: national register numbers only under a legal basis ---- */

Test(rules, national_number_needs_basis, .timeout = 60)
{
    char last[64], nn[12], body[512], out[4096], log[128];
    struct resp r;
    national_number("1986-04-12", 1 + getpid() % 997, nn);
    unique_name(last, sizeof last, "Basis");
    snprintf(body, sizeof body,
             "{\"source\":\"person\",\"identification\":{\"first_name\":\"Nadiia\",\"last_name\":\"%s\","
             "\"birth_date\":\"1986-04-12\"},\"sensitive\":{\"national_number\":\"%s\"}}", last, nn);
    superuser_sql("UPDATE controllers SET national_number_basis = NULL WHERE code = 'huis'");

    /* Het Huis has no recorded basis: refused by name, nothing stored */
    cr_assert_eq(api_req(&r, "POST", "/v1/persons", HUIS, body), 0);
    cr_assert_eq(r.status, 422, "%s", r.body);
    cr_assert_str_eq(jstr(r.json, "field"), "sensitive.national_number");
    cr_assert_str_eq(resp_header(&r, "Content-Type"), "application/problem+json");
    resp_free(&r);
    cr_assert_eq(persons_named(last), 0, "a refused registration leaves nothing");

    /* with a recorded basis it is stored, sealed */
    superuser_sql("UPDATE controllers SET national_number_basis = 'test: authorisation of the "
                  "Sectoral Committee of the National Register' WHERE code = 'huis'");
    cr_assert_eq(api_req(&r, "POST", "/v1/persons", HUIS, body), 0);
    cr_assert_eq(r.status, 201, "%s", r.body);
    char *id = strdup(jstr(r.json, "id"));
    resp_free(&r);
    cr_assert_eq(count_super("SELECT count(*) FROM persons WHERE id = $1::uuid "
                             "AND national_number_sealed IS NOT NULL", id), 1);

    /* withdrawn: a new number is refused, and the database refuses it too */
    superuser_sql("UPDATE controllers SET national_number_basis = NULL WHERE code = 'huis'");
    snprintf(body, sizeof body, "{\"source\":\"person\",\"reason\":\"number corrected\","
                                "\"sensitive\":{\"national_number\":\"%s\"}}", nn);
    api_reqf(&r, "PATCH", HUIS, body, "/v1/persons/%s", id);
    cr_assert_eq(r.status, 422, "%s", r.body);
    cr_assert_str_eq(jstr(r.json, "field"), "sensitive.national_number");
    resp_free(&r);
    PGconn *c = db_super();
    const char *q[] = {id};
    cr_assert(!sql_ok(c, "UPDATE persons SET national_number_sealed = '\\x00' WHERE id = $1::uuid", 1, q),
              "the trigger is the backstop");
    PQfinish(c);

    /* keeping: the retention job lists, then clears the numbers kept without a basis */
    cr_assert_eq(ctl_run(out, sizeof out, "retention --only persons"), 0, "%s", out);
    cr_assert_not_null(strstr(out, id), "%s", out);
    cr_assert_eq(count_super("SELECT count(*) FROM persons WHERE id = $1::uuid "
                             "AND national_number_sealed IS NOT NULL", id), 1, "a dry run keeps it");
    c = db_owner();
    PGresult *x = PQexecParams(c, "SELECT person_id::text FROM crt_national_numbers_without_basis('test', true)",
                               0, NULL, NULL, NULL, NULL, 0);
    cr_assert_eq(PQresultStatus(x), PGRES_TUPLES_OK, "%s", PQerrorMessage(c));
    PQclear(x);
    PQfinish(c);
    cr_assert_eq(count_super("SELECT count(*) FROM persons WHERE id = $1::uuid "
                             "AND national_number_sealed IS NULL AND national_number_bidx IS NULL "
                             "AND national_number_key_id IS NULL", id), 1, "cleared");
    last_log(id, "erasure", log, sizeof log);
    cr_assert_str_eq(log, "allowed/no_legal_basis");
    api_reqf(&r, "GET", HUIS, NULL, "/v1/persons/%s", id);
    cr_assert_eq(r.status, 200, "%s", r.body);
    cr_assert(json_is_null(json_object_get(json_object_get(r.json, "sensitive"), "national_number")),
              "%s", r.body);
    resp_free(&r);
    free(id);
}

Test(rules, national_number_basis_in_export)
{
    struct resp r;
    char *id = adult(INTAKE, NULL, 0);
    api_reqf(&r, "GET", COORD, NULL, "/v1/persons/%s/export", id);
    cr_assert_eq(r.status, 200, "%s", r.body);
    const char *basis = jstr(json_object_get(r.json, "controller"), "national_number_basis");
    cr_assert_not_null(basis, "%s", r.body);
    cr_assert_not_null(strstr(basis, "National Register"), "%s", basis);
    resp_free(&r);
    api_reqf(&r, "GET", COORD, NULL, "/v1/persons/%s/export?format=html", id);
    cr_assert_eq(r.status, 200);
    cr_assert_not_null(strstr(r.body, "national_number_basis"), "the page shows it");
    resp_free(&r);
    /* IN-Gent's basis comes from its privacy statement (migration 023) */
    cr_assert_eq(count_super("SELECT count(*) FROM controllers WHERE code = 'ingent' "
                             "AND national_number_basis LIKE '%Sectoral Committee%'", NULL), 1);
    free(id);
}

/* ---- item 2: disclosures the person did not know of ---- */

#define PURPOSE "employment_guidance"

/* A person referred to a (informed) and b (not informed), each pulled once. */
struct two {
    char *id;
    struct partner a, b;
    char *ta, *tb;
};

static void two_disclosures(struct two *x)
{
    struct resp r;
    char body[256];
    x->id = adult(INTAKE, NULL, 0);
    partner_with_grant(&x->a, "atlas", "identification,contact", PURPOSE);
    partner_with_grant(&x->b, "atlas", "identification,situation", PURPOSE);
    snprintf(body, sizeof body, "{\"partner_id\":\"%s\",\"purpose\":\"%s\",\"person_informed\":true}",
             x->a.id, PURPOSE);
    api_reqf(&r, "POST", COORD, body, "/v1/persons/%s/referrals", x->id);
    cr_assert_eq(r.status, 201, "%s", r.body);
    cr_assert(json_is_true(json_object_get(r.json, "person_informed")), "%s", r.body);
    resp_free(&r);
    snprintf(body, sizeof body, "{\"partner_id\":\"%s\",\"purpose\":\"%s\",\"person_informed\":false}",
             x->b.id, PURPOSE);
    api_reqf(&r, "POST", COORD, body, "/v1/persons/%s/referrals", x->id);
    cr_assert_eq(r.status, 201, "%s", r.body);
    resp_free(&r);
    x->ta = partner_token(&x->a);
    x->tb = partner_token(&x->b);
    cr_assert_eq(partner_pull(x->ta, x->id), 200);
    cr_assert_eq(partner_pull(x->tb, x->id), 200);
}

static void two_free(struct two *x)
{
    free(x->id);
    free(x->ta);
    free(x->tb);
}

/* The partner names of the items of a notice, comma-joined, into out. */
static void notice_partners(json_t *o, char *out, size_t n)
{
    json_t *v;
    size_t i;
    out[0] = '\0';
    json_array_foreach(json_object_get(o, "items"), i, v)
        snprintf(out + strlen(out), n - strlen(out), "%s%s", i ? "," : "", jstr(v, "partner"));
}

Test(rules, disclosure_informed_at_referral)
{
    struct two x;
    struct resp r;
    char names[512], want[128];
    two_disclosures(&x);
    api_reqf(&r, "GET", COORD, NULL, "/v1/persons/%s/disclosure-notice", x.id);
    cr_assert_eq(r.status, 200, "%s", r.body);
    notice_partners(r.json, names, sizeof names);
    snprintf(want, sizeof want, "Partner %s", x.b.client);
    cr_assert_str_eq(names, want, "only the disclosure the person did not know of: %s", r.body);
    resp_free(&r);

    /* the referrals and the export say who was told */
    api_reqf(&r, "GET", COORD, NULL, "/v1/persons/%s/referrals", x.id);
    json_t *v;
    size_t i;
    json_array_foreach(json_object_get(r.json, "items"), i, v)
    {
        bool to_a = strcmp(jstr(json_object_get(v, "partner"), "id"), x.a.id) == 0;
        cr_assert_eq(json_is_true(json_object_get(v, "person_informed")), to_a, "%s", r.body);
    }
    resp_free(&r);
    api_reqf(&r, "GET", COORD, NULL, "/v1/persons/%s/export", x.id);
    cr_assert_eq(r.status, 200, "%s", r.body);
    json_t *d = json_object_get(r.json, "disclosures");
    cr_assert_eq(json_array_size(d), 2, "%s", r.body);
    json_array_foreach(d, i, v)
    {
        bool to_a = strstr(jstr(v, "partner"), x.a.client) != NULL;
        cr_assert_eq(json_is_true(json_object_get(v, "person_informed")), to_a, "%s", r.body);
    }
    resp_free(&r);
    /* listing is a logged read of the person */
    char log[128];
    last_log(x.id, "referral_read", log, sizeof log);
    cr_assert_str_eq(log, "allowed/coordinator_scope");
    two_free(&x);
}

Test(rules, disclosure_notification_languages)
{
    struct two x;
    struct resp r;
    static const struct {
        const char *lang, *phrase;
    } langs[] = {{"nl", "Uw gegevens werden doorgegeven"},
                 {"en", "Your data were passed on"},
                 {"uk", "Ваші дані було передано"},
                 {"ru", "Ваши данные были переданы"}};
    two_disclosures(&x);
    for (size_t i = 0; i < sizeof langs / sizeof langs[0]; i++) {
        api_reqf(&r, "GET", COORD, NULL, "/v1/persons/%s/disclosure-notice?lang=%s", x.id, langs[i].lang);
        cr_assert_eq(r.status, 200, "%s", r.body);
        cr_assert_str_eq(jstr(r.json, "language"), langs[i].lang);
        const char *text = jstr(r.json, "text");
        cr_assert_not_null(strstr(jstr(r.json, "html"), langs[i].phrase), "%s", r.body);
        cr_assert_not_null(strstr(text, x.b.client), "names the recipient: %s", text);
        cr_assert_null(strstr(text, x.a.client), "not the one the person knew of");
        cr_assert_null(strstr(text, "{c}"), "placeholders filled: %s", text);
        resp_free(&r);
        api_reqf(&r, "GET", COORD, NULL, "/v1/persons/%s/disclosure-notice?lang=%s&format=html",
                 x.id, langs[i].lang);
        cr_assert_eq(r.status, 200);
        cr_assert_not_null(strstr(resp_header(&r, "Content-Type"), "text/html"));
        cr_assert_not_null(strstr(resp_header(&r, "Content-Security-Policy"), "default-src 'none'"));
        char attr[32];
        snprintf(attr, sizeof attr, "<html lang=\"%s\">", langs[i].lang);
        cr_assert_not_null(strstr(r.body, attr), "%s", r.body);
        resp_free(&r);
    }
    api_reqf(&r, "GET", COORD, NULL, "/v1/persons/%s/disclosure-notice?lang=fr", x.id);
    cr_assert_eq(r.status, 400);
    cr_assert_str_eq(jstr(r.json, "field"), "lang");
    resp_free(&r);
    api_reqf(&r, "GET", DPO, NULL, "/v1/persons/%s/disclosure-notice", x.id);
    cr_assert_eq(r.status, 403, "the DPO reads no person data");
    resp_free(&r);
    two_free(&x);
}

Test(rules, disclosure_delivery_recorded)
{
    struct two x;
    struct resp r;
    char body[256], today[11];
    time_t t = time(NULL);
    struct tm tm;
    strftime(today, sizeof today, "%Y-%m-%d", localtime_r(&t, &tm));
    two_disclosures(&x);
    api_reqf(&r, "GET", COORD, NULL, "/v1/persons/%s/disclosure-notice?lang=uk", x.id);
    json_int_t up_to = json_integer_value(json_object_get(r.json, "up_to"));
    cr_assert_gt(up_to, 0, "%s", r.body);
    resp_free(&r);
    snprintf(body, sizeof body, "{\"up_to\":%lld,\"language\":\"uk\",\"method\":\"handed\","
                                "\"delivered_on\":\"%s\"}", (long long)up_to, today);
    api_reqf(&r, "POST", COORD, body, "/v1/persons/%s/disclosure-notice/delivery", x.id);
    cr_assert_eq(r.status, 201, "%s", r.body);
    cr_assert_str_eq(jstr(r.json, "method"), "handed");
    cr_assert_eq(json_array_size(json_object_get(r.json, "disclosure_ids")), 1, "%s", r.body);
    resp_free(&r);
    /* how, when and by whom, in the database */
    PGconn *c = db_super();
    const char *q[] = {x.id, harness_username(COORD)};
    cr_assert_eq(sql_long(c, "SELECT count(*) FROM disclosure_notices n JOIN staff_users u "
                             "ON u.id = n.delivered_by WHERE n.person_id = $1::uuid "
                             "AND n.method = 'handed' AND n.language = 'uk' "
                             "AND n.delivered_on = current_date AND u.username = $2", 2, q), 1);
    PQfinish(c);
    /* nothing is left to notify; a second delivery is refused */
    api_reqf(&r, "GET", COORD, NULL, "/v1/persons/%s/disclosure-notice", x.id);
    cr_assert_eq(json_array_size(json_object_get(r.json, "items")), 0, "%s", r.body);
    resp_free(&r);
    api_reqf(&r, "POST", COORD, body, "/v1/persons/%s/disclosure-notice/delivery", x.id);
    cr_assert_eq(r.status, 422, "%s", r.body);
    cr_assert_str_eq(jstr(r.json, "field"), "up_to");
    resp_free(&r);
    /* the export shows it notified, with the date */
    api_reqf(&r, "GET", COORD, NULL, "/v1/persons/%s/export", x.id);
    json_t *v;
    size_t i;
    json_array_foreach(json_object_get(r.json, "disclosures"), i, v)
    {
        cr_assert(json_is_true(json_object_get(v, "person_informed")), "%s", r.body);
        if (strstr(jstr(v, "partner"), x.b.client))
            cr_assert_str_eq(jstr(v, "notified_on"), today);
    }
    resp_free(&r);
    /* a later pull is a new disclosure to notify */
    cr_assert_eq(partner_pull(x.tb, x.id), 200);
    api_reqf(&r, "GET", COORD, NULL, "/v1/persons/%s/disclosure-notice", x.id);
    cr_assert_eq(json_array_size(json_object_get(r.json, "items")), 1, "%s", r.body);
    resp_free(&r);
    two_free(&x);
}

/* ---- item 3: the recipients told, in the export and the decision letter ---- */

Test(rules, recipients_informed_in_export_and_letter, .timeout = 60)
{
    struct partner a;
    struct resp r;
    char *id = adult(INTAKE, NULL, 0), *gone = adult(INTAKE, NULL, 0);
    partner_with_grant(&a, "atlas", "identification,contact", PURPOSE);
    partner_refer(COORD, id, &a, PURPOSE);
    partner_refer(COORD, gone, &a, PURPOSE);
    char *ta = partner_token(&a);
    cr_assert_eq(partner_pull(ta, id), 200);
    cr_assert_eq(partner_pull(ta, gone), 200);

    /* a rectification: the correction, then the decision records who was told */
    char *rq = request_new(id, "rectification");
    api_reqf(&r, "PATCH", COORD, "{\"source\":\"person\",\"reason\":\"phone was wrong\","
                                 "\"contact\":{\"phone\":\"+32 470 11 22 33\"}}", "/v1/persons/%s", id);
    cr_assert_eq(r.status, 200, "%s", r.body);
    resp_free(&r);
    cr_assert_eq(decide(rq, "{\"decision\":\"granted\"}"), 200);
    api_reqf(&r, "GET", COORD, NULL, "/v1/persons/%s/export", id);
    cr_assert_eq(r.status, 200, "%s", r.body);
    json_t *req = json_array_get(json_object_get(r.json, "requests"), 0);
    json_t *rec = json_array_get(json_object_get(req, "recipients_informed"), 0);
    cr_assert_not_null(rec, "%s", r.body);
    cr_assert_not_null(strstr(jstr(rec, "partner"), a.client));
    cr_assert_str_eq(jstr(rec, "kind"), "rectification");
    resp_free(&r);
    api_reqf(&r, "GET", COORD, NULL, "/v1/requests/%s/letter?lang=en", rq);
    cr_assert_eq(r.status, 200, "%s", r.body);
    cr_assert_not_null(strstr(jstr(r.json, "text"), a.client), "%s", r.body);
    cr_assert_not_null(strstr(jstr(r.json, "text"), "These organisations had received your data"));
    resp_free(&r);

    /* an erasure: the letter still names the recipient once the person is gone */
    char *erq = request_new(gone, "erasure");
    cr_assert_eq(decide(erq, "{\"decision\":\"granted\"}"), 200);
    cr_assert_eq(count_super("SELECT count(*) FROM persons WHERE id = $1::uuid", gone), 0);
    api_reqf(&r, "GET", COORD, NULL, "/v1/requests/%s/letter?lang=nl&format=html", erq);
    cr_assert_eq(r.status, 200, "%s", r.body);
    cr_assert_not_null(strstr(r.body, a.client), "%s", r.body);
    cr_assert_not_null(strstr(r.body, "wissing van uw gegevens"), "%s", r.body);
    resp_free(&r);
    api_reqf(&r, "GET", INTAKE, NULL, "/v1/requests/%s/letter", erq);
    cr_assert_eq(r.status, 403, "coordinators make the letter");
    resp_free(&r);
    free(rq);
    free(erq);
    free(ta);
    free(id);
    free(gone);
}

/* ---- item 6: a granted objection stops the processing ---- */

Test(rules, objection_stops_partner_disclosure)
{
    struct partner p, q;
    struct resp r;
    char body[256], log[128];
    char *id = adult(INTAKE, NULL, 0);
    partner_with_grant(&p, "atlas", "identification", PURPOSE);
    partner_with_grant(&q, "atlas", "identification", "nt2_enrolment");
    partner_refer(COORD, id, &p, PURPOSE);
    partner_refer(COORD, id, &q, "nt2_enrolment");
    char *tp = partner_token(&p), *tq = partner_token(&q);
    cr_assert_eq(partner_pull(tp, id), 200);

    char *rq = request_new(id, "objection");
    cr_assert_eq(decide(rq, "{\"decision\":\"granted\",\"reasons\":\"the person objects to job "
                            "guidance by partners\",\"purposes\":[\"audit\"]}"), 422,
                 "the DPO's review is not objectable");
    snprintf(body, sizeof body, "{\"decision\":\"granted\",\"reasons\":\"the person objects to job "
                                "guidance by partners\",\"purposes\":[\"%s\"]}", PURPOSE);
    cr_assert_eq(decide(rq, body), 200);

    cr_assert_eq(partner_pull(tp, id), 404, "no more disclosures for the purpose objected to");
    cr_assert_eq(api_req_token(&r, "GET", "/v1/partner/persons", tp, NULL), 0);
    cr_assert_null(strstr(r.body, id), "not in the page either");
    resp_free(&r);
    cr_assert_eq(partner_pull(tq, id), 200, "another purpose goes on");
    snprintf(body, sizeof body, "{\"partner_id\":\"%s\",\"purpose\":\"%s\"}", p.id, PURPOSE);
    api_reqf(&r, "POST", COORD, body, "/v1/persons/%s/referrals", id);
    cr_assert_eq(r.status, 403, "%s", r.body);
    cr_assert_str_eq(jstr(r.json, "field"), "purpose");
    resp_free(&r);
    last_log(id, "referral_write", log, sizeof log);
    cr_assert_str_eq(log, "denied/objection");
    free(rq);
    free(tp);
    free(tq);
    free(id);
}

Test(rules, objection_stops_named_purpose)
{
    struct resp r;
    char path[128], log[128];
    char *id = adult(INTAKE, NULL, 0);
    snprintf(path, sizeof path, "/v1/persons/%s", id);
    req_purpose(&r, "GET", COORD, "education", path);
    cr_assert_eq(r.status, 200, "%s", r.body);
    resp_free(&r);
    char *rq = request_new(id, "objection");
    cr_assert_eq(decide(rq, "{\"decision\":\"granted\",\"reasons\":\"no NT2 screening wanted\","
                            "\"purposes\":[\"education\"]}"), 200);
    req_purpose(&r, "GET", COORD, "education", path);
    cr_assert_eq(r.status, 403, "%s", r.body);
    cr_assert_null(strstr(r.body, "Mariia"), "no data");
    resp_free(&r);
    last_log(id, "read", log, sizeof log);
    cr_assert_str_eq(log, "denied/objection");
    snprintf(path, sizeof path, "/v1/persons/%s/trajectory", id);
    req_purpose(&r, "GET", COORD, "education", path);
    cr_assert_eq(r.status, 403, "the gate of the other reads: %s", r.body);
    resp_free(&r);
    snprintf(path, sizeof path, "/v1/persons/%s", id);
    req_purpose(&r, "GET", COORD, "guidance", path);
    cr_assert_eq(r.status, 200, "other purposes go on: %s", r.body);
    resp_free(&r);
    /* the decision letter tells the person, in the person's language, what stopped */
    api_reqf(&r, "GET", COORD, NULL, "/v1/requests/%s/letter?lang=uk", rq);
    cr_assert_eq(r.status, 200, "%s", r.body);
    cr_assert_not_null(strstr(jstr(r.json, "text"), "Ми більше не використовуємо ваші дані для: "
                                                    "тести з нідерландської мови"), "%s", r.body);
    resp_free(&r);
    free(rq);
    free(id);
}

/* ---- item 7: the transfer with consent within the bound ---- */

/* An atlas person whose status ends on status_end, with transfer consent when consent. */
static char *ending(const char *status_end, bool consent)
{
    char body[512];
    struct resp r;
    char *id = adult(INTAKE, NULL, 0);
    snprintf(body, sizeof body,
             "{\"source\":\"person\",\"reason\":\"status from the residence card\",\"situation\":"
             "{\"residence_status\":\"temporary_protection\",\"residence_status_start\":\"2019-01-01\","
             "\"residence_status_end\":\"%s\"}}", status_end);
    api_reqf(&r, "PATCH", COORD, body, "/v1/persons/%s", id);
    cr_assert_eq(r.status, 200, "%s", r.body);
    resp_free(&r);
    if (consent) {
        api_reqf(&r, "PATCH", COORD, "{\"transfer_consent\":true,\"reason\":\"signed consent form\"}",
                 "/v1/persons/%s/flags", id);
        cr_assert_eq(r.status, 200, "%s", r.body);
        resp_free(&r);
    }
    return id;
}

/* The retention job for one person as of day (crt_retention_apply, as crtctl calls it). */
static void job(const char *id, const char *day, char *out, size_t n)
{
    PGconn *c = db_owner();
    const char *p[] = {id, day};
    PGresult *r = PQexecParams(c, "SELECT crt_retention_apply($1::uuid, $2::date, 'test-rules')",
                               2, NULL, p, NULL, NULL, 0);
    cr_assert_eq(PQresultStatus(r), PGRES_TUPLES_OK, "%s", PQerrorMessage(c));
    snprintf(out, n, "%s", PQgetvalue(r, 0, 0));
    PQclear(r);
    PQfinish(c);
}

/* What the job would do as of day, and the deadline it works to ("" when nothing). */
static void due(const char *id, const char *day, char *action, char *deadline)
{
    PGconn *c = db_owner();
    const char *p[] = {day, id};
    PGresult *r = PQexecParams(c, "SELECT action, retention_date::text FROM crt_retention_due($1::date, $2::uuid)",
                               2, NULL, p, NULL, NULL, 0);
    cr_assert_eq(PQresultStatus(r), PGRES_TUPLES_OK, "%s", PQerrorMessage(c));
    snprintf(action, 32, "%s", PQntuples(r) ? PQgetvalue(r, 0, 0) : "");
    snprintf(deadline, 16, "%s", PQntuples(r) ? PQgetvalue(r, 0, 1) : "");
    PQclear(r);
    PQfinish(c);
}

/* Dates far ahead: no run of the real job (as of today) touches these persons. */
Test(rules, transfer_deadline_within_bound)
{
    char out[32], action[32], deadline[16];
    char *id = ending("2190-01-10", true);
    due(id, "2190-01-10", action, deadline);
    cr_assert_str_eq(action, "", "the status still runs on its last day");
    job(id, "2190-01-11", out, sizeof out);
    cr_assert_str_eq(out, "marked_for_export", "marked when the status has ended, not 6 months later");
    due(id, "2190-03-01", action, deadline);
    cr_assert_str_eq(action, "awaiting_export");
    cr_assert_str_eq(deadline, "2190-07-10", "the deadline is the status end + 6 months");
    cr_assert_eq(count_super("SELECT count(*) FROM persons WHERE id = $1::uuid "
                             "AND export_marked_at IS NOT NULL", id), 1);
    job(id, "2190-03-01", out, sizeof out);
    cr_assert_str_eq(out, "awaiting_export");
    free(id);
}

Test(rules, transfer_escalates_to_dpo)
{
    char out[32];
    struct resp r;
    char *id = ending("2190-02-15", true);
    job(id, "2190-02-16", out, sizeof out);
    cr_assert_str_eq(out, "marked_for_export");
    job(id, "2190-07-15", out, sizeof out); /* 31 days before the deadline of 2190-08-15 */
    cr_assert_str_eq(out, "awaiting_export");
    job(id, "2190-07-16", out, sizeof out); /* 30 days before */
    cr_assert_str_eq(out, "escalated");
    job(id, "2190-07-17", out, sizeof out);
    cr_assert_str_eq(out, "awaiting_export", "escalated once");
    api_reqf(&r, "GET", DPO, NULL, "/v1/retention/escalations");
    cr_assert_eq(r.status, 200, "%s", r.body);
    json_t *v, *mine = NULL;
    size_t i;
    json_array_foreach(json_object_get(r.json, "items"), i, v)
        if (strcmp(jstr(v, "person_id"), id) == 0)
            mine = v;
    cr_assert_not_null(mine, "%s", r.body);
    cr_assert_str_eq(jstr(mine, "deadline"), "2190-08-15");
    cr_assert_str_eq(jstr(mine, "escalated_on"), "2190-07-16");
    resp_free(&r);
    cr_assert_geq(count_super("SELECT count(*) FROM access_log a JOIN staff_users u ON u.id = a.user_id "
                             "WHERE a.action = 'audit_read' AND a.reason = 'retention_escalations' "
                             "AND u.username = $1", harness_username(DPO)), 1, "the read is logged");
    api_reqf(&r, "GET", INTAKE, NULL, "/v1/retention/escalations");
    cr_assert_eq(r.status, 403);
    resp_free(&r);
    free(id);
}

Test(rules, transfer_erased_after_bound)
{
    char out[32];
    struct resp r;
    char *late = ending("2190-03-20", true), *done = ending("2190-03-20", true);
    job(late, "2190-03-21", out, sizeof out);
    job(done, "2190-03-21", out, sizeof out);
    cr_assert_str_eq(out, "marked_for_export");
    /* the export for the transfer made: erased at the next run, before the bound */
    api_reqf(&r, "GET", COORD, NULL, "/v1/persons/%s/export", done);
    cr_assert_eq(r.status, 200, "%s", r.body);
    resp_free(&r);
    job(done, "2190-04-01", out, sizeof out);
    cr_assert_str_eq(out, "erased");
    /* never exported: kept to the last day before the bound, erased on it */
    job(late, "2190-09-19", out, sizeof out);
    cr_assert(strcmp(out, "escalated") == 0 || strcmp(out, "awaiting_export") == 0, "%s", out);
    cr_assert_eq(count_super("SELECT count(*) FROM persons WHERE id = $1::uuid", late), 1);
    job(late, "2190-09-20", out, sizeof out);
    cr_assert_str_eq(out, "erased", "consent does not extend the bound");
    cr_assert_eq(count_super("SELECT count(*) FROM persons WHERE id = $1::uuid", late), 0);
    cr_assert_eq(count_super("SELECT count(*) FROM person_tombstones WHERE person_id = $1::uuid "
                             "AND reason = 'retention'", late), 1);
    cr_assert_eq(count_super("SELECT count(*) FROM retention_escalations WHERE person_id = $1::uuid",
                             late), 0, "the escalation goes with the person");
    free(late);
    free(done);
}

Test(rules, retention_boundary_day)
{
    char out[32], action[32], deadline[16];
    char *id = ending("2190-03-31", false);
    due(id, "2190-09-29", action, deadline);
    cr_assert_str_eq(action, "", "the day before the bound: not due");
    job(id, "2190-09-29", out, sizeof out);
    cr_assert_str_eq(out, "not_due");
    cr_assert_eq(count_super("SELECT count(*) FROM persons WHERE id = $1::uuid", id), 1, "kept");
    due(id, "2190-09-30", action, deadline);
    cr_assert_str_eq(action, "erase");
    cr_assert_str_eq(deadline, "2190-09-30", "Mar 31 + 6 months = Sep 30");
    job(id, "2190-09-30", out, sizeof out);
    cr_assert_str_eq(out, "erased", "erased on the bound, not the day after");
    cr_assert_eq(count_super("SELECT count(*) FROM persons WHERE id = $1::uuid", id), 0);
    job(id, "2190-10-01", out, sizeof out);
    cr_assert_str_eq(out, "not_due", "gone");
    free(id);
}
