/* The seal's rows folded in C as they stream (D68): staff user days and (actor, person) access
 * pairs, written into the review's transaction as rvu, rvd and rvp. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "crt/db.h"
#include "crt/log.h"
#include "foldtab.h"
#include "review.h"

#define WHO "crt-review"
#define DAYS_AROUND 400 /* a controller's midnights are fetched for a row's day ± this many days */
#define NO_TIME INT64_MAX
#define MAX_ACCESS 32

/* ---- the fold ---- */

struct userday {
    int64_t f, l, acc_f, acc_l; /* µs; acc_f NO_TIME: no access that day */
    uint32_t user, n;           /* n: persons opened */
    int32_t day;
    int16_t ctl;
};

/* An (actor, person) pair's accesses: the first by (time, id), the two last by (time, id) — the
 * last explained access is one of them unless both were left without a base (then the review
 * counts it again from rv) — and how many. */
struct pair {
    int64_t first_at, first_id, top_at[2], top_id[2]; /* top_*[1]: unset while n is 1 */
    uint32_t actor, person, n;                        /* actor NO_ACTOR: neither user nor partner */
    int16_t ctl, first_ctl;                           /* ctl: the lowest controller of its rows */
    bool first_partner;
};
#define NO_ACTOR (UINT32_MAX - 1)

/* A controller's local days: day lo + k starts at mid[k] (µs), k < count. */
struct ctl_days {
    int id;
    char *tz;
    int32_t lo, count;
    int64_t *mid;
};

/* What one fold holds; emptied by fold_reset. */
struct fold_state {
    struct uuids actors;    /* staff users and partners */
    struct uuids persons;
    struct u64map days;     /* (user, controller, day) → index into ud */
    struct u64map opened;   /* (index into ud, person) */
    struct u64map pair_map; /* (actor, person) → index into pairs */
    struct pair *pairs;
    uint32_t n_pairs, cap_pairs;
    struct userday *ud;
    uint32_t n_ud, cap_ud;
    uint32_t *recent; /* per user: index into ud of its last row's day + 1 (0: none yet) */
    uint32_t cap_recent;
    struct row_in *batch; /* the rows of the batch being folded */
    int cap_batch;
    struct ctl_days *ctl;
    int n_ctl;
    int32_t base; /* the first row's day: keys hold days relative to it */
    bool based, complete, failed;
};

struct rowfold {
    struct fold_state s;
    char names[512]; /* PERSON_ACCESS_ACTIONS' names, each NUL-terminated */
    const char *access[MAX_ACCESS];
    int n_access;
};

/* The names between quotes in PERSON_ACCESS_ACTIONS: one definition of an access. */
static bool access_names(struct rowfold *f)
{
    snprintf(f->names, sizeof f->names, "%s", PERSON_ACCESS_ACTIONS);
    char *p = f->names;
    while ((p = strchr(p, '\'')) != NULL && f->n_access < MAX_ACCESS) {
        char *end = strchr(++p, '\'');
        if (end == NULL)
            return false;
        *end = '\0';
        f->access[f->n_access++] = p;
        p = end + 1;
    }
    return f->n_access > 0 && f->n_access < MAX_ACCESS;
}

static bool is_access_action(const struct rowfold *f, const char *action)
{
    for (int i = 0; i < f->n_access; i++)
        if (strcmp(f->access[i], action) == 0)
            return true;
    return false;
}

static void state_clear(struct fold_state *s)
{
    ft_uuids_free(&s->actors);
    ft_uuids_free(&s->persons);
    ft_map_free(&s->days);
    ft_map_free(&s->opened);
    ft_map_free(&s->pair_map);
    free(s->pairs);
    free(s->ud);
    free(s->recent);
    free(s->batch);
    for (int i = 0; i < s->n_ctl; i++) {
        free(s->ctl[i].tz);
        free(s->ctl[i].mid);
    }
    free(s->ctl);
}

/* Empty again: tables of a first size, no controller loaded. */
static bool fold_reset(struct rowfold *f)
{
    state_clear(&f->s);
    memset(&f->s, 0, sizeof f->s);
    f->s.opened.set = true;
    return ft_map_alloc(&f->s.days, 1024) && ft_map_alloc(&f->s.opened, 4096) &&
           ft_map_alloc(&f->s.pair_map, 4096);
}

struct rowfold *rowfold_new(void)
{
    ft_hex_digits_init();
    struct rowfold *f = calloc(1, sizeof *f);
    if (f == NULL || !access_names(f) || !fold_reset(f)) {
        rowfold_free(f);
        log_error("crt-review: no memory for the fold of the seal's rows");
        return NULL;
    }
    return f;
}

void rowfold_free(struct rowfold *f)
{
    if (f == NULL)
        return;
    state_clear(&f->s);
    free(f);
}

static bool load_controllers(struct rowfold *f, PGconn *pg)
{
    PGresult *r = NULL;
    if (!db_tool_exec(pg, WHO, "SELECT id, timezone FROM controllers ORDER BY id", 0, NULL, &r))
        return false;
    int n = PQntuples(r);
    bool ok = (f->s.ctl = calloc((size_t)n + 1, sizeof *f->s.ctl)) != NULL;
    for (int i = 0; ok && i < n; i++) {
        f->s.ctl[i].id = atoi(PQgetvalue(r, i, 0));
        ok = (f->s.ctl[i].tz = strdup(PQgetvalue(r, i, 1))) != NULL;
        f->s.n_ctl = i + 1;
    }
    PQclear(r);
    return ok;
}

/* The instants local days lo..hi of the controller begin, as PostgreSQL's time zones say
 * ((d::timestamp AT TIME ZONE tz)), in µs. */
static const char midnights_sql[] =
    "SELECT (extract(epoch FROM ((date '1970-01-01' + g)::timestamp AT TIME ZONE $1)) "
    "  * 1000000)::bigint FROM generate_series($2::int, $3::int) g ORDER BY g";

static bool load_midnights(struct ctl_days *c, PGconn *pg, int32_t lo, int32_t hi)
{
    char a[16], b[16];
    snprintf(a, sizeof a, "%d", lo);
    snprintf(b, sizeof b, "%d", hi);
    const char *p[] = {c->tz, a, b};
    PGresult *r = NULL;
    if (!db_tool_exec(pg, WHO, midnights_sql, 3, p, &r))
        return false;
    int n = PQntuples(r);
    int64_t *mid = malloc((size_t)n * sizeof *mid);
    bool ok = mid != NULL && n == hi - lo + 1;
    for (int k = 0; ok && k < n; k++) {
        mid[k] = strtoll(PQgetvalue(r, k, 0), NULL, 10);
        ok = k == 0 || mid[k] > mid[k - 1];
    }
    PQclear(r);
    if (!ok) {
        free(mid);
        log_error("crt-review: the local days of controller=%d could not be placed", c->id);
        return false;
    }
    free(c->mid);
    c->mid = mid;
    c->lo = lo;
    c->count = n;
    return true;
}

/* The local day of at for controller c: its UTC day, or the one before or after. Days not yet
 * loaded are loaded on pg; without pg (the seal's stream, its connection busy) they fail. */
static bool local_day(struct ctl_days *c, PGconn *pg, int64_t at, int32_t *day)
{
    int64_t utc = ft_floor_div(at, DAY_US);
    if (c->count == 0 || utc - 1 < c->lo || utc + 2 > (int64_t)c->lo + c->count - 1) {
        if (pg == NULL)
            return false;
        int64_t lo = utc - DAYS_AROUND, hi = utc + DAYS_AROUND;
        if (c->count > 0) {
            lo = lo < c->lo ? lo : c->lo;
            hi = hi > c->lo + c->count - 1 ? hi : c->lo + c->count - 1;
        }
        if (lo < -3000000 || hi > 3000000 || !load_midnights(c, pg, (int32_t)lo, (int32_t)hi))
            return false;
    }
    int64_t k = utc - c->lo;
    while (k > 0 && c->mid[k] > at)
        k--;
    while (k + 1 < c->count && c->mid[k + 1] <= at)
        k++;
    *day = (int32_t)(c->lo + k);
    return c->mid[k] <= at && k + 1 < c->count;
}

static struct ctl_days *controller(struct rowfold *f, PGconn *pg, int id)
{
    if (f->s.ctl == NULL && (pg == NULL || !load_controllers(f, pg)))
        return NULL;
    for (int i = 0; i < f->s.n_ctl; i++)
        if (f->s.ctl[i].id == id)
            return &f->s.ctl[i];
    log_error("crt-review: a log row of an unknown controller=%d", id);
    return NULL;
}

/* The user day of the row: found, or added with no row yet. */
static struct userday *user_day(struct rowfold *f, uint32_t user, int ctl, int32_t day,
                                uint32_t *idx)
{
    if (!f->s.based) {
        f->s.base = day;
        f->s.based = true;
    }
    int64_t rel = (int64_t)day - f->s.base + 32768;
    if (rel < 0 || rel > 65535 || ctl < 0 || ctl > 65535)
        return NULL; /* a seal of more than 89 years */
    uint64_t key = (uint64_t)user << 32 | (uint64_t)ctl << 16 | (uint64_t)rel;
    bool added = false;
    *idx = f->s.n_ud;
    if (!ft_map_put(&f->s.days, key, idx, &added))
        return NULL;
    if (added) {
        if (f->s.n_ud == f->s.cap_ud) {
            uint32_t cap = f->s.cap_ud ? f->s.cap_ud * 2 : 4096;
            void *ud = realloc(f->s.ud, (size_t)cap * sizeof *f->s.ud);
            if (ud == NULL)
                return NULL;
            f->s.ud = ud;
            f->s.cap_ud = cap;
        }
        f->s.ud[f->s.n_ud++] = (struct userday){NO_TIME, INT64_MIN, NO_TIME, INT64_MIN,
                                                user,    0,         day,     (int16_t)ctl};
    }
    return &f->s.ud[*idx];
}

/* Which columns of a row hold what the fold reads. */
struct rowfold_cols {
    int id, at, ctl, user, person, action, outcome, partner;
};
/* SEAL_ROW_COLUMNS: id, time in µs, txid, controller, user, person, household, action, field
 * groups, purpose, outcome, … */
static const struct rowfold_cols seal_cols = {0, 1, 3, 4, 5, 7, 10, 13};

/* The user day of user ui: the one of its last row when that is the same (most rows), else
 * found or added. UINT32_MAX when out of memory. */
static uint32_t row_day(struct rowfold *f, uint32_t ui, int ctl, int32_t day)
{
    struct fold_state *s = &f->s;
    uint32_t di = 0;
    if (ui >= s->cap_recent) {
        uint32_t cap = s->actors.cap;
        uint32_t *recent = realloc(s->recent, (size_t)cap * sizeof *recent);
        if (recent == NULL)
            return UINT32_MAX;
        memset(recent + s->cap_recent, 0, (size_t)(cap - s->cap_recent) * sizeof *recent);
        s->recent = recent;
        s->cap_recent = cap;
    }
    uint32_t last = s->recent[ui];
    if (last && s->ud[last - 1].day == day && s->ud[last - 1].ctl == ctl)
        return last - 1;
    if (user_day(f, ui, ctl, day, &di) == NULL)
        return UINT32_MAX;
    s->recent[ui] = di + 1;
    return di;
}

/* One row of a batch as the fold reads it. */
enum { ROW_STAFF = 1, ROW_PARTNER = 2, ROW_OPENED = 4, ROW_ACCESS = 8 };
struct row_in {
    int64_t at, id;
    uint64_t key, pkey; /* (user day, person) of an opened person; (actor, person) of an access */
    uint32_t di, pair;  /* its user day, its pair */
    int32_t day;
    int ctl, flags;
    unsigned char user[16], person[16], partner[16];
};

static bool read_uuid(const PGresult *r, int i, int col, unsigned char out[16])
{
    return ft_uuid_parse(PQgetvalue(r, i, col), PQgetlength(r, i, col), out);
}

/* Pass 1, every row: its fields, a staff row's local day, which kinds of row it is. Opened: an
 * allowed staff row naming a person, not a search; access: an allowed row naming a person with
 * an action of PERSON_ACCESS_ACTIONS (rv.is_access). */
static bool read_row(struct rowfold *f, PGconn *pg, const PGresult *r, int i,
                     const struct rowfold_cols *c, struct row_in *w)
{
    w->id = ft_digits(PQgetvalue(r, i, c->id));
    w->at = ft_digits(PQgetvalue(r, i, c->at));
    w->ctl = (int)ft_digits(PQgetvalue(r, i, c->ctl));
    w->flags = (PQgetisnull(r, i, c->user) ? 0 : ROW_STAFF) |
               (PQgetisnull(r, i, c->partner) ? 0 : ROW_PARTNER);
    struct ctl_days *cd = w->flags & ROW_STAFF ? controller(f, pg, w->ctl) : NULL;
    if ((w->flags & ROW_STAFF) && (cd == NULL || !local_day(cd, pg, w->at, &w->day) ||
                                   !read_uuid(r, i, c->user, w->user)))
        return false;
    if ((w->flags & ROW_PARTNER) && !read_uuid(r, i, c->partner, w->partner))
        return false;
    if (PQgetisnull(r, i, c->person) || strcmp(PQgetvalue(r, i, c->outcome), "allowed") != 0)
        return true;
    const char *action = PQgetvalue(r, i, c->action);
    int was = w->flags;
    if ((w->flags & ROW_STAFF) && strcmp(action, "search") != 0)
        w->flags |= ROW_OPENED;
    if (is_access_action(f, action))
        w->flags |= ROW_ACCESS;
    return w->flags == was || read_uuid(r, i, c->person, w->person);
}

/* Pass 2: user day, actor and person as indexes (the person's slot asked for AHEAD rows
 * before); the keys of the opened person and of the pair. */
#define AHEAD 12
static bool resolve_row(struct rowfold *f, struct row_in *w, const struct row_in *next)
{
    uint32_t ui = 0, pi = 0, actor = NO_ACTOR;
    if (next && next->flags & (ROW_OPENED | ROW_ACCESS))
        __builtin_prefetch(&f->s.persons.slot[ft_uuid_hash(next->person) & f->s.persons.mask]);
    if ((w->flags & ROW_STAFF) && (!ft_uuids_intern(&f->s.actors, w->user, &ui) ||
                                   (w->di = row_day(f, ui, w->ctl, w->day)) == UINT32_MAX))
        return false;
    if (w->flags & ROW_STAFF)
        actor = ui; /* staff users and partners share one table */
    else if ((w->flags & ROW_PARTNER) && !ft_uuids_intern(&f->s.actors, w->partner, &actor))
        return false;
    if (!(w->flags & (ROW_OPENED | ROW_ACCESS)))
        return true;
    if (!ft_uuids_intern(&f->s.persons, w->person, &pi))
        return false;
    if (w->flags & ROW_OPENED)
        w->key = (uint64_t)w->di << 32 | pi; /* a staff row: di is its user day */
    w->pkey = (uint64_t)actor << 32 | pi;
    return true;
}

/* Pass 3: an access's pair, found or added (its slot asked for AHEAD rows before). */
static bool pair_row(struct rowfold *f, struct row_in *w, const struct row_in *next)
{
    struct fold_state *s = &f->s;
    if (next && next->flags & ROW_ACCESS)
        __builtin_prefetch(&s->pair_map.keys[ft_mix(next->pkey) & s->pair_map.mask]);
    if (!(w->flags & ROW_ACCESS))
        return true;
    bool added = false;
    w->pair = s->n_pairs;
    if (!ft_map_put(&s->pair_map, w->pkey, &w->pair, &added))
        return false;
    if (!added)
        return true;
    if (s->n_pairs == s->cap_pairs) {
        uint32_t cap = s->cap_pairs ? s->cap_pairs * 2 : 4096;
        struct pair *pairs = realloc(s->pairs, (size_t)cap * sizeof *pairs);
        if (pairs == NULL)
            return false;
        s->pairs = pairs;
        s->cap_pairs = cap;
    }
    s->pairs[s->n_pairs++] = (struct pair){INT64_MAX, INT64_MAX, {INT64_MIN, INT64_MIN},
                                           {INT64_MIN, INT64_MIN}, (uint32_t)(w->pkey >> 32),
                                           (uint32_t)w->pkey, 0, INT16_MAX, 0, false};
    return true;
}

/* (at, id) after (at2, id2): the order of first and last accesses. */
static bool after(int64_t at, int64_t id, int64_t at2, int64_t id2)
{
    return at > at2 || (at == at2 && id > id2);
}

static void pair_add(struct pair *p, const struct row_in *w)
{
    p->n++;
    p->ctl = w->ctl < p->ctl ? (int16_t)w->ctl : p->ctl;
    if (after(p->first_at, p->first_id, w->at, w->id)) {
        p->first_at = w->at;
        p->first_id = w->id;
        p->first_ctl = (int16_t)w->ctl;
        p->first_partner = w->flags & ROW_PARTNER;
    }
    if (after(w->at, w->id, p->top_at[0], p->top_id[0])) {
        p->top_at[1] = p->top_at[0];
        p->top_id[1] = p->top_id[0];
        p->top_at[0] = w->at;
        p->top_id[0] = w->id;
    } else if (after(w->at, w->id, p->top_at[1], p->top_id[1])) {
        p->top_at[1] = w->at;
        p->top_id[1] = w->id;
    }
}

static void user_day_add(struct userday *d, const struct row_in *w)
{
    d->f = w->at < d->f ? w->at : d->f;
    d->l = w->at > d->l ? w->at : d->l;
    if (w->flags & ROW_ACCESS) {
        d->acc_f = w->at < d->acc_f ? w->at : d->acc_f;
        d->acc_l = w->at > d->acc_l ? w->at : d->acc_l;
    }
}

/* Pass 4: into the user day, the opened persons and the pair (each asked for AHEAD rows before). */
static bool apply_row(struct rowfold *f, const struct row_in *w, const struct row_in *next)
{
    struct fold_state *s = &f->s;
    if (next && next->flags & ROW_STAFF)
        __builtin_prefetch(&s->ud[next->di]);
    if (next && next->flags & ROW_OPENED)
        __builtin_prefetch(&s->opened.keys[ft_mix(next->key) & s->opened.mask]);
    if (next && next->flags & ROW_ACCESS)
        __builtin_prefetch(&s->pairs[next->pair]);
    if (w->flags & ROW_ACCESS)
        pair_add(&s->pairs[w->pair], w);
    if (!(w->flags & ROW_STAFF))
        return true;
    struct userday *d = &s->ud[w->di];
    user_day_add(d, w);
    uint32_t none = 0;
    bool added = false;
    if (!(w->flags & ROW_OPENED))
        return true;
    if (!ft_map_put(&s->opened, w->key, &none, &added))
        return false;
    d->n += added;
    return true;
}

/* A batch in four passes over its rows, so that each lookup in the large tables was asked of
 * the memory a few rows before it is needed. */
static bool fold_result(struct rowfold *f, PGconn *pg, const PGresult *r,
                        const struct rowfold_cols *c)
{
    int n = PQntuples(r);
    if (n > f->s.cap_batch) {
        struct row_in *b = realloc(f->s.batch, (size_t)n * sizeof *b);
        if (b == NULL)
            return false;
        f->s.batch = b;
        f->s.cap_batch = n;
    }
    struct row_in *b = f->s.batch;
    bool ok = true;
    for (int i = 0; ok && i < n; i++)
        ok = read_row(f, pg, r, i, c, &b[i]);
    for (int i = 0; ok && i < n; i++)
        ok = resolve_row(f, &b[i], i + AHEAD < n ? &b[i + AHEAD] : NULL);
    for (int i = 0; ok && i < n; i++)
        ok = pair_row(f, &b[i], i + AHEAD < n ? &b[i + AHEAD] : NULL);
    for (int i = 0; ok && i < n; i++)
        ok = apply_row(f, &b[i], i + AHEAD < n ? &b[i + AHEAD] : NULL);
    return ok;
}

/* Every controller's local days from DAYS_AROUND days ago to tomorrow: the seal's rows are
 * folded while the next batch is fetched, when its connection can run no query. In a savepoint:
 * a failure here leaves the seal's transaction as it was, and the fold to the review. */
void rowfold_seal_begin(void *ctx, PGconn *pg)
{
    struct rowfold *f = ctx;
    int64_t today = ft_floor_div((int64_t)time(NULL) * 1000000, DAY_US);
    bool ok = f && db_tool_command(pg, WHO, "SAVEPOINT rowfold", 0, NULL);
    bool loaded = ok && load_controllers(f, pg);
    for (int i = 0; loaded && i < f->s.n_ctl; i++)
        loaded = load_midnights(&f->s.ctl[i], pg, (int32_t)(today - DAYS_AROUND),
                                (int32_t)(today + 3));
    if (ok && !loaded)
        ok = db_tool_command(pg, WHO, "ROLLBACK TO SAVEPOINT rowfold", 0, NULL);
    if (ok && loaded)
        ok = db_tool_command(pg, WHO, "RELEASE SAVEPOINT rowfold", 0, NULL);
    if (f && !(ok && loaded)) {
        f->s.failed = true;
        log_warn("the seal's rows cannot be folded as they stream; the review reads them");
    }
}

bool rowfold_fed(const struct rowfold *f)
{
    return f->s.complete;
}

void rowfold_seal_rows(void *ctx, const PGresult *r)
{
    struct rowfold *f = ctx;
    if (f == NULL || f->s.failed || f->s.complete)
        return;
    if (!fold_result(f, NULL, r, &seal_cols)) {
        f->s.failed = true; /* the review streams the rows itself (rowfold_write_days) */
        log_warn("the seal's rows could not be folded as they streamed; the review reads them");
        return;
    }
    f->s.complete = PQntuples(r) == 0;
}

/* ---- the fold's own stream, when no seal fed it ---- */

static const struct rowfold_cols own_cols = {0, 1, 2, 3, 4, 5, 6, 7};

static bool fold_stream(struct rowfold *f, PGconn *pg, const struct seal_info *seal)
{
    char from[24], to[24];
    snprintf(from, sizeof from, "%lld", seal->txid_from);
    snprintf(to, sizeof to, "%lld", seal->txid_to);
    const char *p[] = {from, to};
    if (!fold_reset(f) ||
        !db_tool_command(pg, WHO,
                         "DECLARE rowfold_rows NO SCROLL CURSOR FOR SELECT l.id, "
                         "(extract(epoch FROM l.at) * 1000000)::bigint, l.controller_id, "
                         "l.user_id, l.person_id, l.action, l.outcome, l.partner_id "
                         "FROM access_log l WHERE l.txid >= $1::bigint AND l.txid < $2::bigint",
                         2, p))
        return false;
    int n = 0;
    do {
        PGresult *r = NULL;
        if (!db_tool_exec(pg, WHO, "FETCH 10000 FROM rowfold_rows", 0, NULL, &r))
            return false;
        n = PQntuples(r);
        bool ok = fold_result(f, pg, r, &own_cols);
        PQclear(r);
        if (!ok) {
            log_error("crt-review: the seal's rows could not be folded (out of memory, or a row "
                      "whose day cannot be placed) seal=%lld", seal->id);
            return false;
        }
    } while (n > 0);
    f->s.complete = true;
    return db_tool_command(pg, WHO, "CLOSE rowfold_rows", 0, NULL);
}

/* ---- written into the review's transaction ---- */

struct copy_out {
    PGconn *pg;
    char buf[65536];
    size_t len;
    bool ok;
};

static void copy_line(struct copy_out *o, const char *line, size_t n)
{
    if (o->len + n > sizeof o->buf) {
        o->ok = o->ok && db_tool_copy_put(o->pg, WHO, o->buf, o->len);
        o->len = 0;
    }
    memcpy(o->buf + o->len, line, n);
    o->len += n;
}

static bool copy_finish(struct copy_out *o)
{
    o->ok = o->ok && (o->len == 0 || db_tool_copy_put(o->pg, WHO, o->buf, o->len));
    return db_tool_copy_end(o->pg, WHO, o->ok);
}

static void copy_time(char *out, int64_t us)
{
    if (us == NO_TIME || us == INT64_MIN)
        strcpy(out, "\\N");
    else
        ft_time_format(us, out);
}

static bool write_days(struct rowfold *f, PGconn *pg)
{
    struct copy_out o = {.pg = pg, .ok = true};
    if (!db_tool_copy_begin(pg, WHO, "COPY rvu_c FROM STDIN"))
        return false;
    for (uint32_t i = 0; i < f->s.n_ud; i++) {
        const struct userday *d = &f->s.ud[i];
        char user[37], date[32], t[4][64], line[384];
        ft_uuid_format(f->s.actors.id[d->user], user);
        ft_date_format(d->day, date);
        ft_time_format(d->f, t[0]);
        ft_time_format(d->l, t[1]);
        copy_time(t[2], d->acc_f);
        copy_time(t[3], d->acc_l);
        int n = snprintf(line, sizeof line, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%u\n", d->ctl, user,
                         date, t[0], t[1], t[2], t[3], d->n);
        copy_line(&o, line, (size_t)n);
    }
    return copy_finish(&o);
}

static bool write_persons(struct rowfold *f, PGconn *pg)
{
    struct copy_out o = {.pg = pg, .ok = true};
    if (!db_tool_copy_begin(pg, WHO, "COPY rvd FROM STDIN"))
        return false;
    for (size_t s = 0; s <= f->s.opened.mask; s++) {
        uint64_t k = f->s.opened.keys[s];
        if (k == FT_EMPTY)
            continue;
        const struct userday *d = &f->s.ud[k >> 32];
        char user[37], person[37], date[32], line[192];
        ft_uuid_format(f->s.actors.id[d->user], user);
        ft_uuid_format(f->s.persons.id[(uint32_t)k], person);
        ft_date_format(d->day, date);
        int n = snprintf(line, sizeof line, "%d\t%s\t%s\t%s\n", d->ctl, user, date, person);
        copy_line(&o, line, (size_t)n);
    }
    return copy_finish(&o);
}

/* rvu per (controller, user, role, local day) as fold.c describes it: the fold's figures, the
 * role and time zone of user and controller, and the persons with an unexplained access — each
 * such access is one of the rare rows (rvr). */
static const char rvu_sql[] =
    "CREATE TEMP TABLE rvu ON COMMIT DROP AS "
    "SELECT x.controller_id, x.user_id, u.role, c.timezone AS tz, x.d, x.f, x.l, x.acc_f, "
    "  x.acc_l, COALESCE(ux.n, 0)::bigint AS unexpl, x.n::bigint AS n "
    "FROM rvu_c x JOIN controllers c ON c.id = x.controller_id "
    "LEFT JOIN staff_users u ON u.id = x.user_id "
    "LEFT JOIN (SELECT controller_id, user_id, (local_at)::date d, count(DISTINCT person_id) n "
    "  FROM rvr WHERE is_access AND explanation IS NULL AND user_id IS NOT NULL "
    "  GROUP BY 1, 2, 3) ux "
    "  ON ux.controller_id = x.controller_id AND ux.user_id = x.user_id AND ux.d = x.d";

/* Whether earlier seals hold rows that the user days of this one must be merged with (days.c
 * reads them below the seal's lowest transaction, as rvc has it). */
static const char earlier_sql[] =
    "SELECT EXISTS (SELECT 1 FROM log_seals s WHERE s.row_count > 0 "
    "  AND s.txid_to <= (SELECT min(txid) FROM rvc))";

bool rowfold_write_days(struct rowfold *f, PGconn *pg, const struct seal_info *seal)
{
    char earlier[8];
    bool found = false;
    if (!f->s.complete && !fold_stream(f, pg, seal))
        return false;
    log_debug("user days folded: %u days, %zu persons opened", f->s.n_ud, f->s.opened.n);
    if (!db_tool_command(pg, WHO,
                         "CREATE TEMP TABLE rvu_c (controller_id smallint, user_id uuid, d date, "
                         "f timestamptz, l timestamptz, acc_f timestamptz, acc_l timestamptz, "
                         "n int) ON COMMIT DROP",
                         0, NULL) ||
        !write_days(f, pg) || !db_tool_command(pg, WHO, rvu_sql, 0, NULL) ||
        !db_tool_command(pg, WHO, "DROP TABLE rvu_c", 0, NULL) ||
        !db_tool_command(pg, WHO,
                         "CREATE TEMP TABLE rvd (controller_id smallint, user_id uuid, d date, "
                         "person_id uuid) ON COMMIT DROP",
                         0, NULL) ||
        !db_tool_value(pg, WHO, earlier_sql, 0, NULL, earlier, sizeof earlier, &found))
        return false;
    return strcmp(earlier, "t") != 0 || write_persons(f, pg);
}

/* The pairs as the fold wrote them into rvp, patched for the accesses the explanation left
 * without a base (rvs: rvx's, whose base the rest of the sources did not give): per (actor,
 * person) pair, its lowest controller, first and last access, last explained access (with a
 * base: the last of its two last accesses not in rvs, none when the pair had no other, counted
 * again from rv — recount — when both were and the pair has more), and its first access's
 * controller, kind of actor and whether it was explained. Few pairs are patched: updated, not
 * written again. */
static const char rvs_sql[] =
    "CREATE TEMP TABLE rvs ON COMMIT DROP AS SELECT id, explanation IS NULL AS unexplained "
    "FROM rvx WHERE is_access AND base IS NULL";
static const char last_patch_sql[] =
    "UPDATE rvp p SET last_explained_at = CASE WHEN p.n > 1 AND p.top2_id NOT IN "
    "  (SELECT id FROM rvs) THEN p.top2_at END, "
    "  recount = p.n > 2 AND p.top2_id IN (SELECT id FROM rvs) "
    "FROM rvs s WHERE s.id = p.top1_id";
static const char first_patch_sql[] =
    "UPDATE rvp p SET first_explained = false FROM rvs s WHERE s.id = p.first_id AND s.unexplained";
static const char recount_sql[] =
    "UPDATE rvp p SET last_explained_at = x.m FROM (SELECT rv.actor, rv.person_id, "
    "  max(rv.at) FILTER (WHERE rv.base IS NOT NULL) m FROM rv "
    "  JOIN (SELECT actor, person_id FROM rvp WHERE recount) q ON " PAIR_EQ("q", "rv") " "
    "  WHERE rv.is_access GROUP BY 1, 2) x "
    "WHERE p.recount AND " PAIR_EQ("p", "x");

static bool write_pair_rows(struct rowfold *f, PGconn *pg)
{
    struct copy_out o = {.pg = pg, .ok = true};
    if (!db_tool_copy_begin(pg, WHO,
                            "COPY rvp (actor, person_id, controller_id, first_at, first_id, "
                            "first_ctl, first_partner, last_at, top1_id, top2_at, top2_id, n, "
                            "last_explained_at) FROM STDIN"))
        return false;
    for (uint32_t i = 0; i < f->s.n_pairs; i++) {
        const struct pair *p = &f->s.pairs[i];
        char actor[37] = "\\N", person[37], t[3][64], line[512];
        if (p->actor != NO_ACTOR)
            ft_uuid_format(f->s.actors.id[p->actor], actor);
        ft_uuid_format(f->s.persons.id[p->person], person);
        ft_time_format(p->first_at, t[0]);
        ft_time_format(p->top_at[0], t[1]);
        copy_time(t[2], p->n > 1 ? p->top_at[1] : NO_TIME);
        char top2[24] = "\\N";
        if (p->n > 1)
            snprintf(top2, sizeof top2, "%lld", (long long)p->top_id[1]);
        int n = snprintf(line, sizeof line,
                         "%s\t%s\t%d\t%s\t%lld\t%d\t%s\t%s\t%lld\t%s\t%s\t%u\t%s\n", actor,
                         person, p->ctl, t[0], (long long)p->first_id, p->first_ctl,
                         p->first_partner ? "t" : "f", t[1], (long long)p->top_id[0], t[2], top2,
                         p->n, t[1]);
        copy_line(&o, line, (size_t)n);
    }
    return copy_finish(&o);
}

bool rowfold_write_pairs(struct rowfold *f, PGconn *pg)
{
    char recount[8];
    bool found = false;
    log_debug("pairs folded: %u", f->s.n_pairs);
    bool ok = db_tool_command(pg, WHO,
                              "CREATE TEMP TABLE rvp (actor uuid, person_id uuid, controller_id "
                              "smallint, first_at timestamptz, first_id bigint, first_ctl "
                              "smallint, first_partner boolean, last_at timestamptz, top1_id "
                              "bigint, top2_at timestamptz, top2_id bigint, n int, "
                              "last_explained_at timestamptz, recount boolean NOT NULL DEFAULT "
                              "false, first_explained boolean NOT NULL DEFAULT true) "
                              "ON COMMIT DROP",
                              0, NULL) &&
              write_pair_rows(f, pg) &&
              db_tool_command(pg, WHO, rvs_sql, 0, NULL) &&
              db_tool_command(pg, WHO, "ANALYZE rvp, rvs", 0, NULL) &&
              db_tool_command(pg, WHO, last_patch_sql, 0, NULL) &&
              db_tool_command(pg, WHO, first_patch_sql, 0, NULL) &&
              db_tool_value(pg, WHO, "SELECT EXISTS (SELECT 1 FROM rvp WHERE recount)", 0, NULL,
                            recount, sizeof recount, &found);
    return ok && (strcmp(recount, "t") != 0 || db_tool_command(pg, WHO, recount_sql, 0, NULL));
}
