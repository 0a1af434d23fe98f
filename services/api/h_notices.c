/* What staff hand or send to the person, in a language the person reads (nl, en, uk, ru): the
 * notification of disclosures the person did not know of, with its delivery recorded
 * (VluchtelingenWerk 11.4, Xtra 11.2), and the decision letter of a request naming the
 * recipients told of a correction or erasure (VluchtelingenWerk 18.4). */
#include <event2/buffer.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"

#define NOT_FOUND "no such person"
#define NO_REQUEST "no such request, or not one your controller decides"

static const char *const notifiers[] = {"intake", "caseworker", "coordinator", NULL};
static const char *const languages[] = {"nl", "en", "uk", "ru", NULL};
static const char *const methods[] = {"handed", "post", "email", "read_aloud", NULL};

enum lang { NL, EN, UK, RU, NLANG };

/* ---- the texts; {c} is the controller's name, {e} its DPO's e-mail address ---- */

struct texts {
    const char *notice_title, *notice_intro, *notice_none, *date, *recipient, *data, *purpose,
        *basis, *rights, *letter_title, *asked, *received, *granted, *refused, *open, *reasons,
        *told, *told_none, *stopped, *complaint;
    const char *groups[6]; /* identification, contact, trajectory, situation, education, sensitive */
    const char *kinds[6];  /* access, rectification, erasure, restriction, portability, objection */
    const char *purposes[5]; /* registration, guidance, duplicate_check, education, partner_disclosure */
};

static const struct texts texts[NLANG] = {
    [NL] = {
        .notice_title = "Uw gegevens werden doorgegeven",
        .notice_intro = "{c} heeft gegevens over u doorgegeven aan de organisaties hieronder. "
                        "U werd daar toen niet over ingelicht. Met deze brief laten we het u weten.",
        .notice_none = "Er zijn geen doorgiften waarvan u niet op de hoogte bent.",
        .date = "Datum", .recipient = "Organisatie", .data = "Gegevens", .purpose = "Doel",
        .basis = "Rechtsgrond",
        .rights = "U mag vragen welke gegevens we over u bijhouden, ze laten verbeteren of wissen, "
                  "of bezwaar maken. Vraag het aan een loket van {c} of schrijf naar de "
                  "functionaris voor gegevensbescherming: {e}.",
        .letter_title = "Beslissing over uw verzoek nummer",
        .asked = "Uw verzoek:", .received = "We ontvingen uw verzoek op",
        .granted = "Onze beslissing: we willigen uw verzoek in. Datum van de beslissing:",
        .refused = "Onze beslissing: we weigeren uw verzoek. Datum van de beslissing:",
        .open = "We hebben nog niet beslist. U krijgt een antwoord uiterlijk op",
        .reasons = "Waarom:",
        .told = "Deze organisaties hadden uw gegevens gekregen. We hebben hen laten weten wat er "
                "veranderde:",
        .told_none = "Geen enkele organisatie had deze gegevens van ons gekregen. We moesten "
                     "dus niemand op de hoogte brengen.",
        .stopped = "We gebruiken uw gegevens niet meer voor:",
        .complaint = "Bent u het niet eens met deze beslissing? Dan kunt u klacht indienen bij "
                     "de Vlaamse Toezichtcommissie voor de verwerking van persoonsgegevens.",
        .groups = {"identificatie (naam, geboortedatum)", "contactgegevens",
                   "uw inburgeringstraject", "uw persoonlijke situatie",
                   "resultaten van taaltesten Nederlands", "rijksregisternummer"},
        .kinds = {"inzage in uw gegevens", "verbetering van uw gegevens", "wissing van uw gegevens",
                  "beperking van de verwerking", "overdracht van uw gegevens",
                  "bezwaar tegen de verwerking"},
        .purposes = {"registratie", "begeleiding", "controle op dubbele registratie",
                     "taaltesten Nederlands", "doorgeven aan partnerorganisaties"},
    },
    [EN] = {
        .notice_title = "Your data were passed on",
        .notice_intro = "{c} passed on data about you to the organisations below. You were not "
                        "told at the time. With this letter we are telling you now.",
        .notice_none = "There are no disclosures you do not know of.",
        .date = "Date", .recipient = "Organisation", .data = "Data", .purpose = "Purpose",
        .basis = "Legal basis",
        .rights = "You may ask which data we keep about you, have them corrected or erased, or "
                  "object. Ask at any office of {c} or write to the data protection officer: {e}.",
        .letter_title = "Decision on your request number",
        .asked = "Your request:", .received = "We received your request on",
        .granted = "Our decision: we agree with your request. Date of the decision:",
        .refused = "Our decision: we refuse your request. Date of the decision:",
        .open = "We have not decided yet. You will have an answer by",
        .reasons = "Why:",
        .told = "These organisations had received your data. We told them what changed:",
        .told_none = "No organisation had received these data from us, so we did not have to "
                     "tell anyone.",
        .stopped = "We no longer use your data for:",
        .complaint = "If you do not agree with this decision, you can complain to the Flemish "
                     "Supervisory Commission for the processing of personal data.",
        .groups = {"identification (name, date of birth)", "contact details",
                   "your integration path", "your personal situation",
                   "results of Dutch language tests", "national register number"},
        .kinds = {"access to your data", "correction of your data", "erasure of your data",
                  "restriction of the processing", "transfer of your data",
                  "objection to the processing"},
        .purposes = {"registration", "guidance", "checking for double registration",
                     "Dutch language tests", "passing data on to partner organisations"},
    },
    [UK] = {
        .notice_title = "Ваші дані було передано",
        .notice_intro = "Організація {c} передала дані про вас організаціям, переліченим нижче. "
                        "Тоді вам про це не повідомили. Цим листом ми повідомляємо вас про це.",
        .notice_none = "Немає передач даних, про які ви не знаєте.",
        .date = "Дата", .recipient = "Організація", .data = "Дані", .purpose = "Мета",
        .basis = "Правова підстава",
        .rights = "Ви можете запитати, які дані про вас ми зберігаємо, попросити виправити чи "
                  "видалити їх або заперечити проти їх обробки. Зверніться до будь-якого "
                  "відділення {c} або напишіть уповноваженому із захисту даних: {e}.",
        .letter_title = "Рішення щодо вашого запиту номер",
        .asked = "Ви просили про", .received = "Ми отримали ваш запит",
        .granted = "Наше рішення: ми задовольняємо ваш запит. Дата рішення:",
        .refused = "Наше рішення: ми відмовляємо у вашому запиті. Дата рішення:",
        .open = "Ми ще не ухвалили рішення. Ви отримаєте відповідь не пізніше",
        .reasons = "Чому:",
        .told = "Ці організації отримали ваші дані. Ми повідомили їм, що змінилося:",
        .told_none = "Жодна організація не отримувала від нас цих даних, тому нам не потрібно "
                     "було нікого повідомляти.",
        .stopped = "Ми більше не використовуємо ваші дані для:",
        .complaint = "Якщо ви не згодні з цим рішенням, ви можете подати скаргу до Фламандської "
                     "наглядової комісії з обробки персональних даних.",
        .groups = {"ідентифікаційні дані (ім'я, дата народження)", "контактні дані",
                   "ваш шлях інтеграції", "ваша особиста ситуація",
                   "результати тестів з нідерландської мови", "номер національного реєстру"},
        .kinds = {"доступ до ваших даних", "виправлення ваших даних", "видалення ваших даних",
                  "обмеження обробки", "передачу ваших даних", "заперечення проти обробки"},
        .purposes = {"реєстрація", "супровід", "перевірка на повторну реєстрацію",
                     "тести з нідерландської мови", "передача даних організаціям-партнерам"},
    },
    [RU] = {
        .notice_title = "Ваши данные были переданы",
        .notice_intro = "Организация {c} передала данные о вас организациям, перечисленным ниже. "
                        "Тогда вам об этом не сообщили. Этим письмом мы сообщаем вам об этом.",
        .notice_none = "Нет передач данных, о которых вы не знаете.",
        .date = "Дата", .recipient = "Организация", .data = "Данные", .purpose = "Цель",
        .basis = "Правовое основание",
        .rights = "Вы можете узнать, какие данные о вас мы храним, попросить исправить или "
                  "удалить их или возразить против их обработки. Обратитесь в любое отделение "
                  "{c} или напишите ответственному за защиту данных: {e}.",
        .letter_title = "Решение по вашему запросу номер",
        .asked = "Ваш запрос:", .received = "Мы получили ваш запрос",
        .granted = "Наше решение: мы удовлетворяем ваш запрос. Дата решения:",
        .refused = "Наше решение: мы отказываем в вашем запросе. Дата решения:",
        .open = "Мы ещё не приняли решение. Вы получите ответ не позднее",
        .reasons = "Почему:",
        .told = "Эти организации получили ваши данные. Мы сообщили им, что изменилось:",
        .told_none = "Ни одна организация не получала от нас этих данных, поэтому нам не нужно "
                     "было никого уведомлять.",
        .stopped = "Мы больше не используем ваши данные для:",
        .complaint = "Если вы не согласны с этим решением, вы можете подать жалобу во Фламандскую "
                     "надзорную комиссию по обработке персональных данных.",
        .groups = {"идентификационные данные (имя, дата рождения)", "контактные данные",
                   "ваш путь интеграции", "ваша личная ситуация",
                   "результаты тестов по нидерландскому языку", "номер национального реестра"},
        .kinds = {"доступ к вашим данным", "исправление ваших данных", "удаление ваших данных",
                  "ограничение обработки", "перенос ваших данных", "возражение против обработки"},
        .purposes = {"регистрация", "сопровождение", "проверка на повторную регистрацию",
                     "тесты по нидерландскому языку", "передача данных организациям-партнёрам"},
    },
};

static const char *const group_codes[] = {"identification", "contact", "trajectory", "situation",
                                          "education", "sensitive", NULL};
static const char *const kind_codes[] = {"access", "rectification", "erasure", "restriction",
                                         "portability", "objection", NULL};
static const char *const purpose_codes[] = {"registration", "guidance", "duplicate_check",
                                            "education", "partner_disclosure", NULL};

/* The index of s in codes (NULL-terminated), or -1. */
static int code_index(const char *const *codes, const char *s)
{
    for (int i = 0; s && codes[i]; i++)
        if (strcmp(codes[i], s) == 0)
            return i;
    return -1;
}

/* ---- building the text: a small buffer of plain text and of escaped HTML side by side ---- */

struct doc {
    struct evbuffer *text, *html;
    const char *controller, *dpo_email;
};

static void html_escaped(struct evbuffer *b, const char *s)
{
    for (; s && *s; s++) {
        switch (*s) {
        case '<': evbuffer_add(b, "&lt;", 4); break;
        case '>': evbuffer_add(b, "&gt;", 4); break;
        case '&': evbuffer_add(b, "&amp;", 5); break;
        case '"': evbuffer_add(b, "&quot;", 6); break;
        case '\'': evbuffer_add(b, "&#39;", 5); break;
        default: evbuffer_add(b, s, 1);
        }
    }
}

/* Appends s to both forms, {c} and {e} replaced by the controller's name and DPO address. */
static void put(struct doc *d, const char *s)
{
    while (s && *s) {
        const char *brace = strchr(s, '{');
        size_t n = brace ? (size_t)(brace - s) : strlen(s);
        char *plain = strndup(s, n);
        evbuffer_add(d->text, s, n);
        html_escaped(d->html, plain);
        free(plain);
        if (brace == NULL)
            break;
        const char *v = brace[1] == 'c' ? d->controller : brace[1] == 'e' ? d->dpo_email : "";
        evbuffer_add_printf(d->text, "%s", v ? v : "");
        html_escaped(d->html, v);
        s = brace[1] && brace[2] == '}' ? brace + 3 : brace + 1;
    }
}

/* A paragraph (the text form ends it with a blank line). */
static void para(struct doc *d, const char *s)
{
    evbuffer_add_printf(d->html, "<p>");
    put(d, s);
    evbuffer_add_printf(d->html, "</p>");
    evbuffer_add_printf(d->text, "\n\n");
}

/* "label value" as one paragraph. */
static void para2(struct doc *d, const char *label, const char *value)
{
    evbuffer_add_printf(d->html, "<p>");
    put(d, label);
    put(d, " ");
    put(d, value);
    evbuffer_add_printf(d->html, "</p>");
    evbuffer_add_printf(d->text, "\n\n");
}

/* The groups of a JSON array text, in the language, joined by ", ". */
static void put_groups(struct doc *d, const struct texts *t, const char *json_array_text)
{
    json_t *a = json_loads(json_array_text, 0, NULL), *v;
    size_t i;
    json_array_foreach(a, i, v)
    {
        int g = code_index(group_codes, json_string_value(v));
        if (i)
            put(d, ", ");
        put(d, g >= 0 ? t->groups[g] : json_string_value(v));
    }
    json_decref(a);
}

/* Both forms of the document as JSON {language, text, html}: the HTML is a whole page. */
static json_t *doc_finish(struct doc *d, const char *lang, const char *title)
{
    evbuffer_add(d->text, "", 1);
    struct evbuffer *page = evbuffer_new();
    json_t *o = NULL;
    if (page) {
        evbuffer_add_printf(page, "<!DOCTYPE html><html lang=\"%s\"><head><meta charset=\"utf-8\">"
                                  "<title>", lang);
        html_escaped(page, title);
        evbuffer_add_printf(page, "</title><style>body{font-family:sans-serif;max-width:40em;"
                                  "margin:2em auto;line-height:1.5}</style></head><body><h1>");
        html_escaped(page, title);
        evbuffer_add_printf(page, "</h1>");
        evbuffer_add_buffer(page, d->html);
        evbuffer_add_printf(page, "</body></html>");
        evbuffer_add(page, "", 1);
        o = json_pack("{s:s, s:s, s:s}", "language", lang, "text",
                      (const char *)evbuffer_pullup(d->text, -1), "html",
                      (const char *)evbuffer_pullup(page, -1));
        evbuffer_free(page);
    }
    return o;
}

/* ?lang= (default nl) and ?format=json|html; false after answering 400. */
static bool doc_params(struct http_ctx *ctx, enum lang *lang, bool *html)
{
    static const char *const names[] = {"lang", "format", NULL};
    const char *v[2];
    if (!api_query(ctx, names, v))
        return false;
    int l = v[0] ? code_index(languages, v[0]) : NL;
    if (l < 0 || (v[1] && strcmp(v[1], "html") != 0 && strcmp(v[1], "json") != 0)) {
        problem_send(ctx, 400, "validation",
                     l < 0 ? "use lang=nl, en, uk or ru" : "use format=json or format=html",
                     l < 0 ? "lang" : "format");
        return false;
    }
    *lang = (enum lang)l;
    *html = v[1] && strcmp(v[1], "html") == 0;
    return true;
}

/* Answers the document: the HTML page (CSP: nothing but its own inline style) or the JSON. */
static void doc_send(struct http_ctx *ctx, json_t *o, bool html)
{
    if (o == NULL) {
        problem_send(ctx, 500, "internal", "the response could not be built", NULL);
        return;
    }
    if (html) {
        evhttp_add_header(evhttp_request_get_output_headers(ctx->req), "Content-Security-Policy",
                          "default-src 'none'; style-src 'unsafe-inline'");
        http_send_text(ctx, 200, "text/html; charset=utf-8",
                       json_string_value(json_object_get(o, "html")));
    } else {
        http_send_json(ctx, 200, o);
    }
}

/* ---- GET /v1/persons/{id}/disclosure-notice[?lang=&format=] ---- */

/* One disclosure of r (notice_unnotified's columns) as a list: date, recipient, data, purpose
 * and legal basis. */
static void notice_item(struct doc *d, const struct texts *t, const PGresult *r, int i)
{
    const char *label[] = {t->date, t->recipient, t->data, t->purpose, t->basis};
    const int col[] = {1, 2, 4, 5, 6};
    char day[11];
    snprintf(day, sizeof day, "%s", PQgetvalue(r, i, 1)); /* the date of the timestamp */
    evbuffer_add_printf(d->html, "<ul>");
    for (int k = 0; k < 5; k++) {
        evbuffer_add_printf(d->html, "<li>");
        put(d, label[k]);
        put(d, ": ");
        if (k == 2)
            put_groups(d, t, PQgetvalue(r, i, col[k]));
        else
            put(d, k == 0 ? day : PQgetvalue(r, i, col[k]));
        evbuffer_add_printf(d->html, "</li>");
        evbuffer_add_printf(d->text, "\n");
    }
    evbuffer_add_printf(d->html, "</ul>");
    evbuffer_add_printf(d->text, "\n");
}

/* The notice of the disclosures in r (notice_unnotified's columns) from controller c. */
static json_t *notice_build(const PGresult *r, const PGresult *c, enum lang lang)
{
    const struct texts *t = &texts[lang];
    struct doc d = {evbuffer_new(), evbuffer_new(), PQgetvalue(c, 0, 0), PQgetvalue(c, 0, 1)};
    json_t *o = NULL;
    if (d.text && d.html) {
        para(&d, PQntuples(r) ? t->notice_intro : t->notice_none);
        for (int i = 0; i < PQntuples(r); i++)
            notice_item(&d, t, r, i);
        para(&d, t->rights);
        o = doc_finish(&d, languages[lang], t->notice_title);
    }
    if (d.text)
        evbuffer_free(d.text);
    if (d.html)
        evbuffer_free(d.html);
    return o;
}

static const struct api_col unnotified_cols[] = {
    {"id", COL_INT},           {"at", COL_TEXT},      {"partner", COL_TEXT},
    {"partner_kind", COL_TEXT}, {"field_groups", COL_JSON}, {"purpose", COL_TEXT},
    {"legal_basis", COL_TEXT},
};

void h_disclosure_notice(struct http_ctx *ctx)
{
    enum lang lang;
    bool html;
    PGresult *r = NULL, *c = NULL;
    const char *reason = NULL;
    const char *id = api_path_uuid(ctx, "id", NOT_FOUND);
    const char *purpose = id ? api_purpose(ctx, "guidance") : NULL;
    if (purpose == NULL || !api_require_role(ctx, notifiers) || !doc_params(ctx, &lang, &html) ||
        !api_begin(ctx) || !api_person_gate(ctx, id, "referral_read", purpose, &reason))
        return;
    const char *p[] = {id};
    enum db_status st = db_exec(ctx_db(ctx), "notice_unnotified", 1, p, &r);
    if (st == DB_OK)
        st = db_exec(ctx_db(ctx), "notice_controller", 0, NULL, &c);
    if (st == DB_OK)
        st = api_audit(ctx, id, NULL, "referral_read", "{}", purpose, "allowed", reason);
    json_t *o = st == DB_OK && PQntuples(c) == 1 ? notice_build(r, c, lang) : NULL;
    int n = r ? PQntuples(r) : 0;
    if (o) {
        json_object_set_new(o, "person_id", json_string(id));
        json_object_set_new(o, "items", api_row_array(r, unnotified_cols, API_NCOLS(unnotified_cols)));
        json_object_set_new(o, "up_to", n ? json_integer(atoll(PQgetvalue(r, n - 1, 0))) : json_null());
    }
    PQclear(r);
    PQclear(c);
    if (st != DB_OK || o == NULL) {
        json_decref(o);
        api_db_fail(ctx, st != DB_OK ? st : DB_ERROR);
        return;
    }
    if (api_commit(ctx))
        doc_send(ctx, o, html);
    json_decref(o);
}

/* ---- POST /v1/persons/{id}/disclosure-notice/delivery ---- */

static const struct field_spec delivery_fields[] = {
    {"up_to", FT_INT, 0, NULL, 1, 999999999, true, false},
    {"language", FT_ENUM, 0, languages, 0, 0, true, false},
    {"method", FT_ENUM, 0, methods, 0, 0, true, false},
    {"delivered_on", FT_DATE, 0, NULL, 0, 0, true, false},
};

void h_disclosure_notice_delivery(struct http_ctx *ctx)
{
    const char *in[4], *reason = NULL;
    PGresult *r = NULL;
    const char *id = api_path_uuid(ctx, "id", NOT_FOUND);
    const char *purpose = id ? api_purpose(ctx, "guidance") : NULL;
    if (purpose == NULL || !api_require_role(ctx, notifiers) ||
        !api_fields(ctx, delivery_fields, 4, in) || !api_begin(ctx) ||
        !api_person_gate(ctx, id, "referral_write", purpose, &reason))
        return;
    const char *p[] = {id, in[0], in[1], in[2], in[3], ctx->request_id};
    enum db_status st = db_exec(ctx_db(ctx), "notice_insert", 6, p, &r);
    if (st == DB_OK && PQntuples(r) == 0) {
        PQclear(r);
        db_rollback(ctx_db(ctx));
        problem_send(ctx, 422, "validation",
                     "no disclosure up to this one is still to be notified to the person", "up_to");
        return;
    }
    if (st == DB_OK)
        st = api_audit(ctx, id, NULL, "referral_write", "{}", purpose, "allowed", reason);
    json_t *o = st == DB_OK ? json_pack("{s:I, s:s, s:o, s:s, s:s, s:s, s:s, s:s}", "id",
                                        (json_int_t)atoll(PQgetvalue(r, 0, 0)), "person_id", id,
                                        "disclosure_ids", json_loads(PQgetvalue(r, 0, 1), 0, NULL),
                                        "language", in[1], "method", in[2], "delivered_on", in[3],
                                        "delivered_by", ctx->who.user_id, "recorded_at",
                                        PQgetvalue(r, 0, 2))
                            : NULL;
    PQclear(r);
    if (st != DB_OK) {
        api_db_fail(ctx, st);
        return;
    }
    api_commit_send(ctx, 201, o);
}

/* ---- GET /v1/requests/{id}/letter[?lang=&format=] ---- */

/* Columns of request_letter. */
enum { L_NUMBER, L_KIND, L_STATUS, L_RECEIVED, L_DECIDED, L_REASONS, L_DUE, L_PERSON, L_PURPOSES,
       L_RECIPIENTS, L_CTL, L_DPO };

static void letter_recipients(struct doc *d, const struct texts *t, const char *json_text)
{
    json_t *a = json_loads(json_text, 0, NULL), *v;
    size_t i;
    if (json_array_size(a) == 0) {
        para(d, t->told_none);
        json_decref(a);
        return;
    }
    para(d, t->told);
    evbuffer_add_printf(d->html, "<ul>");
    json_array_foreach(a, i, v)
    {
        char *groups = json_dumps(json_object_get(v, "field_groups"), JSON_COMPACT);
        int k = code_index(kind_codes, json_string_value(json_object_get(v, "kind")));
        evbuffer_add_printf(d->html, "<li>");
        put(d, json_string_value(json_object_get(v, "partner")));
        put(d, " (");
        put(d, k >= 0 ? t->kinds[k] : "");
        put(d, "; ");
        put_groups(d, t, groups ? groups : "[]");
        put(d, ") ");
        char day[11];
        const char *at = json_string_value(json_object_get(v, "notified_at"));
        snprintf(day, sizeof day, "%s", at ? at : "");
        put(d, day);
        evbuffer_add_printf(d->html, "</li>");
        evbuffer_add_printf(d->text, "\n");
        free(groups);
    }
    evbuffer_add_printf(d->html, "</ul>");
    evbuffer_add_printf(d->text, "\n");
    json_decref(a);
}

/* The letter of row 0 of r in lang. */
static json_t *letter_build(const PGresult *r, enum lang lang)
{
    const struct texts *t = &texts[lang];
    struct doc d = {evbuffer_new(), evbuffer_new(), PQgetvalue(r, 0, L_CTL), PQgetvalue(r, 0, L_DPO)};
    const char *status = PQgetvalue(r, 0, L_STATUS), *kind = PQgetvalue(r, 0, L_KIND);
    int k = code_index(kind_codes, kind);
    char title[160];
    json_t *o = NULL;
    snprintf(title, sizeof title, "%s %s", t->letter_title, PQgetvalue(r, 0, L_NUMBER));
    if (d.text && d.html) {
        para2(&d, t->asked, k >= 0 ? t->kinds[k] : kind);
        para2(&d, t->received, PQgetvalue(r, 0, L_RECEIVED));
        if (strcmp(status, "open") == 0)
            para2(&d, t->open, PQgetvalue(r, 0, L_DUE));
        else
            para2(&d, strcmp(status, "granted") == 0 ? t->granted : t->refused,
                  PQgetvalue(r, 0, L_DECIDED));
        if (!PQgetisnull(r, 0, L_REASONS))
            para2(&d, t->reasons, PQgetvalue(r, 0, L_REASONS));
        if (!PQgetisnull(r, 0, L_PURPOSES)) {
            evbuffer_add_printf(d.html, "<p>");
            put(&d, t->stopped);
            put(&d, " ");
            json_t *a = json_loads(PQgetvalue(r, 0, L_PURPOSES), 0, NULL), *v;
            size_t i;
            json_array_foreach(a, i, v)
            {
                int u = code_index(purpose_codes, json_string_value(v));
                put(&d, i ? ", " : "");
                put(&d, u >= 0 ? t->purposes[u] : json_string_value(v)); /* a grant's own code */
            }
            json_decref(a);
            evbuffer_add_printf(d.html, "</p>");
            evbuffer_add_printf(d.text, "\n\n");
        }
        if (k == 1 || k == 2 || k == 3) /* rectification, erasure, restriction: who was told */
            letter_recipients(&d, t, PQgetvalue(r, 0, L_RECIPIENTS));
        para(&d, t->rights);
        para(&d, t->complaint);
        o = doc_finish(&d, languages[lang], title);
    }
    if (d.text)
        evbuffer_free(d.text);
    if (d.html)
        evbuffer_free(d.html);
    return o;
}

void h_request_letter(struct http_ctx *ctx)
{
    static const char *const deciders[] = {"coordinator", NULL};
    enum lang lang;
    bool html;
    PGresult *r = NULL;
    const char *id = api_path_uuid(ctx, "id", NO_REQUEST);
    const char *purpose = id ? api_purpose(ctx, "data_subject_request") : NULL;
    if (purpose == NULL || !api_require_role(ctx, deciders) || !doc_params(ctx, &lang, &html) ||
        !api_begin(ctx))
        return;
    const char *p[] = {id};
    enum db_status st = db_exec(ctx_db(ctx), "request_letter", 1, p, &r);
    if (st == DB_OK && PQntuples(r) == 0) {
        PQclear(r);
        db_rollback(ctx_db(ctx));
        problem_send(ctx, 404, "not-found", NO_REQUEST, NULL);
        return;
    }
    const char *person = st == DB_OK && !PQgetisnull(r, 0, L_PERSON) ? PQgetvalue(r, 0, L_PERSON) : NULL;
    if (st == DB_OK)
        st = api_audit(ctx, person, NULL, "request_read", "{}", purpose, "allowed",
                       arena_printf(&ctx->arena, "letter of request %s", PQgetvalue(r, 0, L_NUMBER)));
    json_t *o = st == DB_OK ? letter_build(r, lang) : NULL;
    if (o) {
        json_object_set_new(o, "request_id", json_string(id));
        json_object_set_new(o, "number", json_integer(atoll(PQgetvalue(r, 0, L_NUMBER))));
        json_object_set_new(o, "recipients_informed",
                            json_loads(PQgetvalue(r, 0, L_RECIPIENTS), 0, NULL));
    }
    PQclear(r);
    if (st != DB_OK || o == NULL) {
        json_decref(o);
        api_db_fail(ctx, st != DB_OK ? st : DB_ERROR);
        return;
    }
    if (api_commit(ctx))
        doc_send(ctx, o, html);
    json_decref(o);
}
