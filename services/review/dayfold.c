/* The staff user-day fold in C (D68): per (controller, user, local day) the first and last row
 * and access and the persons opened, folded from a seal's rows as they stream, then written
 * into the review's transaction as rvu — and as rvd, the persons, when earlier rows need them. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "crt/db.h"
#include "crt/log.h"
#include "review.h"

#define WHO "crt-review"
#define DAY_US 86400000000LL
#define DAYS_AROUND 400 /* a controller's midnights are fetched for a row's day ± this many days */
#define NO_TIME INT64_MAX
#define EMPTY UINT64_MAX
#define MAX_ACCESS 32

/* ---- open addressing: 64-bit keys, and uuids interned as indexes ---- */

static uint64_t mix(uint64_t x) /* splitmix64's finaliser */
{
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

/* 64-bit keys (EMPTY marks a free slot) to 32-bit values; a set when set is true (no values). */
struct u64map {
    uint64_t *keys;
    uint32_t *vals;
    size_t mask, n;
    bool set;
};

static bool map_alloc(struct u64map *m, size_t cap)
{
    uint64_t *keys = malloc(cap * sizeof *keys);
    uint32_t *vals = m->set ? NULL : malloc(cap * sizeof *vals);
    if (keys == NULL || (!m->set && vals == NULL)) {
        free(keys);
        free(vals);
        return false;
    }
    memset(keys, 0xff, cap * sizeof *keys);
    m->keys = keys;
    m->vals = vals;
    m->mask = cap - 1;
    m->n = 0;
    return true;
}

/* Where key is, or the free slot where it would go. */
static size_t map_slot(const struct u64map *m, uint64_t key)
{
    size_t i = mix(key) & m->mask;
    while (m->keys[i] != EMPTY && m->keys[i] != key)
        i = (i + 1) & m->mask;
    return i;
}

static bool map_grow(struct u64map *m)
{
    struct u64map old = *m;
    if (!map_alloc(m, (old.mask + 1) * 2))
        return false; /* m untouched */
    for (size_t i = 0; i <= old.mask; i++) {
        if (old.keys[i] == EMPTY)
            continue;
        size_t s = map_slot(m, old.keys[i]);
        m->keys[s] = old.keys[i];
        if (!m->set)
            m->vals[s] = old.vals[i];
        m->n++;
    }
    free(old.keys);
    free(old.vals);
    return true;
}

/* Finds key or adds it with val; *added says which, *val then holds the key's value. */
static bool map_put(struct u64map *m, uint64_t key, uint32_t *val, bool *added)
{
    if ((m->n + 1) * 2 > m->mask + 1 && !map_grow(m))
        return false;
    size_t s = map_slot(m, key);
    *added = m->keys[s] == EMPTY;
    if (*added) {
        m->keys[s] = key;
        m->n++;
        if (!m->set)
            m->vals[s] = *val;
    } else if (!m->set) {
        *val = m->vals[s];
    }
    return true;
}

/* uuids by index: id[i] the 16 bytes; slot[] the bytes with their index (NO_INDEX: free), by
 * the bytes' hash, so that a lookup reads one slot and nothing else. */
#define NO_INDEX UINT32_MAX
struct uuid_slot {
    unsigned char u[16];
    uint32_t idx;
};
struct uuids {
    unsigned char (*id)[16];
    struct uuid_slot *slot;
    size_t mask;
    uint32_t n, cap;
};

static uint64_t uuid_hash(const unsigned char u[16])
{
    uint64_t a, b;
    memcpy(&a, u, 8);
    memcpy(&b, u + 8, 8);
    return mix(a ^ mix(b));
}

static size_t uuids_slot(const struct uuids *t, const unsigned char u[16])
{
    size_t i = uuid_hash(u) & t->mask;
    while (t->slot[i].idx != NO_INDEX && memcmp(t->slot[i].u, u, 16) != 0)
        i = (i + 1) & t->mask;
    return i;
}

static bool uuids_rehash(struct uuids *t, size_t size)
{
    struct uuid_slot *old = t->slot;
    if ((t->slot = malloc(size * sizeof *t->slot)) == NULL) {
        t->slot = old;
        return false;
    }
    for (size_t i = 0; i < size; i++)
        t->slot[i].idx = NO_INDEX;
    t->mask = size - 1;
    for (uint32_t i = 0; i < t->n; i++) {
        struct uuid_slot *sl = &t->slot[uuids_slot(t, t->id[i])];
        memcpy(sl->u, t->id[i], 16);
        sl->idx = i;
    }
    free(old);
    return true;
}

/* Room for one more uuid: the byte array and the slots, each doubled when needed. */
static bool uuids_room(struct uuids *t)
{
    if (t->n == t->cap) {
        uint32_t cap = t->cap ? t->cap * 2 : 1024;
        void *id = realloc(t->id, (size_t)cap * sizeof *t->id);
        if (id == NULL)
            return false;
        t->id = id;
        t->cap = cap;
    }
    if (t->slot != NULL && ((size_t)t->n + 1) * 2 <= t->mask + 1)
        return true;
    return uuids_rehash(t, t->slot ? (t->mask + 1) * 2 : 2048);
}

static bool uuids_intern(struct uuids *t, const unsigned char u[16], uint32_t *idx)
{
    if (!uuids_room(t))
        return false;
    struct uuid_slot *sl = &t->slot[uuids_slot(t, u)];
    if (sl->idx == NO_INDEX) {
        memcpy(sl->u, u, 16);
        memcpy(t->id[t->n], u, 16);
        sl->idx = t->n++;
    }
    *idx = sl->idx;
    return true;
}

static void uuids_free(struct uuids *t)
{
    free(t->id);
    free(t->slot);
}

/* A hex digit's value, -1 for any other byte. */
static signed char hex_digit[256];

static void hex_digits_init(void)
{
    memset(hex_digit, -1, sizeof hex_digit);
    for (int c = 0; c < 10; c++)
        hex_digit['0' + c] = (signed char)c;
    for (int c = 0; c < 6; c++)
        hex_digit['a' + c] = hex_digit['A' + c] = (signed char)(10 + c);
}

/* A uuid as PostgreSQL writes it (len bytes): 8-4-4-4-12 hex digits. */
static bool uuid_parse(const char *s, int len, unsigned char out[16])
{
    static const unsigned char at[16] = {0, 2, 4, 6, 9, 11, 14, 16, 19, 21, 24, 26, 28, 30, 32, 34};
    if (len != 36 || s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-')
        return false;
    int bad = 0;
    for (int i = 0; i < 16; i++) {
        int hi = hex_digit[(unsigned char)s[at[i]]], lo = hex_digit[(unsigned char)s[at[i] + 1]];
        bad |= hi | lo;
        out[i] = (unsigned char)((unsigned)hi << 4 | ((unsigned)lo & 15));
    }
    return bad >= 0;
}

static void uuid_format(const unsigned char u[16], char out[37])
{
    static const char digits[] = "0123456789abcdef";
    char *o = out;
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            *o++ = '-';
        *o++ = digits[u[i] >> 4];
        *o++ = digits[u[i] & 15];
    }
    *o = '\0';
}

/* ---- days and times as PostgreSQL writes them ---- */

static int64_t floor_div(int64_t a, int64_t b)
{
    return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

/* Day z since 1970-01-01 as "YYYY-MM-DD" (the proleptic Gregorian calendar's civil date). */
static void date_format(int64_t z, char out[32])
{
    z += 719468;
    int64_t era = floor_div(z, 146097);
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    unsigned d = doy - (153 * mp + 2) / 5 + 1, m = mp < 10 ? mp + 3 : mp - 9;
    long long y = (long long)yoe + era * 400 + (m <= 2);
    snprintf(out, 32, "%04lld-%02u-%02u", y, m, d);
}

/* Microseconds since the epoch as a timestamptz's text in UTC. */
static void time_format(int64_t us, char out[64])
{
    int64_t day = floor_div(us, DAY_US), in = us - day * DAY_US;
    char date[32];
    date_format(day, date);
    long long s = in / 1000000;
    snprintf(out, 64, "%s %02lld:%02lld:%02lld.%06lld+00", date, s / 3600, s / 60 % 60, s % 60,
             (long long)(in % 1000000));
}

/* ---- the fold ---- */

struct userday {
    int64_t f, l, acc_f, acc_l; /* µs; acc_f NO_TIME: no access that day */
    uint32_t user, n;           /* n: persons opened */
    int32_t day;
    int16_t ctl;
};

/* A controller's local days: day lo + k starts at mid[k] (µs), k < count. */
struct ctl_days {
    int id;
    char *tz;
    int32_t lo, count;
    int64_t *mid;
};

/* What one fold holds; emptied by fold_reset. */
struct fold_state {
    struct uuids users, persons;
    struct u64map days;   /* (user, controller, day) → index into ud */
    struct u64map opened; /* (index into ud, person) */
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

struct dayfold {
    struct fold_state s;
    char names[512]; /* PERSON_ACCESS_ACTIONS' names, each NUL-terminated */
    const char *access[MAX_ACCESS];
    int n_access;
};

/* The names between quotes in PERSON_ACCESS_ACTIONS: one definition of an access. */
static bool access_names(struct dayfold *f)
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

static bool is_access_action(const struct dayfold *f, const char *action)
{
    for (int i = 0; i < f->n_access; i++)
        if (strcmp(f->access[i], action) == 0)
            return true;
    return false;
}

static void state_clear(struct fold_state *s)
{
    uuids_free(&s->users);
    uuids_free(&s->persons);
    free(s->days.keys);
    free(s->days.vals);
    free(s->opened.keys);
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
static bool fold_reset(struct dayfold *f)
{
    state_clear(&f->s);
    memset(&f->s, 0, sizeof f->s);
    f->s.opened.set = true;
    return map_alloc(&f->s.days, 1024) && map_alloc(&f->s.opened, 4096);
}

struct dayfold *dayfold_new(void)
{
    hex_digits_init();
    struct dayfold *f = calloc(1, sizeof *f);
    if (f == NULL || !access_names(f) || !fold_reset(f)) {
        dayfold_free(f);
        log_error("crt-review: no memory for the user-day fold");
        return NULL;
    }
    return f;
}

void dayfold_free(struct dayfold *f)
{
    if (f == NULL)
        return;
    state_clear(&f->s);
    free(f);
}

static bool load_controllers(struct dayfold *f, PGconn *pg)
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
    int64_t utc = floor_div(at, DAY_US);
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

static struct ctl_days *controller(struct dayfold *f, PGconn *pg, int id)
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
static struct userday *user_day(struct dayfold *f, uint32_t user, int ctl, int32_t day,
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
    if (!map_put(&f->s.days, key, idx, &added))
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
        f->s.ud[f->s.n_ud++] = (struct userday){NO_TIME, INT64_MIN, NO_TIME, INT64_MIN, user, 0, day,
                                            (int16_t)ctl};
    }
    return &f->s.ud[*idx];
}

/* Which columns of a row hold what the fold reads. */
struct dayfold_cols {
    int at, ctl, user, person, action, outcome;
};
/* SEAL_ROW_COLUMNS: id, time in µs, txid, controller, user, person, household, action, field
 * groups, purpose, outcome, … */
static const struct dayfold_cols seal_cols = {1, 3, 4, 5, 7, 10};

/* The user day of user ui: the one of its last row when that is the same (most rows), else
 * found or added. UINT32_MAX when out of memory. */
static uint32_t row_day(struct dayfold *f, uint32_t ui, int ctl, int32_t day)
{
    struct fold_state *s = &f->s;
    uint32_t di = 0;
    if (ui >= s->cap_recent) {
        uint32_t cap = s->users.cap;
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

/* One staff row of a batch as the fold reads it. */
enum { ROW_OPENED = 1, ROW_ACCESS = 2 };
struct row_in {
    int64_t at;
    uint64_t key; /* (user day, person) of an opened person */
    uint32_t di;  /* its user day */
    int32_t day;
    int ctl, flags;
    unsigned char user[16], person[16];
};

static int64_t digits(const char *s)
{
    bool neg = *s == '-';
    int64_t v = 0;
    for (s += neg; *s >= '0' && *s <= '9'; s++)
        v = v * 10 + (*s - '0');
    return neg ? -v : v;
}

/* Pass 1, every row: the row's fields, its local day, which kind of row it is. */
static bool read_row(struct dayfold *f, PGconn *pg, const PGresult *r, int i,
                     const struct dayfold_cols *c, struct row_in *w)
{
    w->at = digits(PQgetvalue(r, i, c->at));
    w->ctl = (int)digits(PQgetvalue(r, i, c->ctl));
    w->flags = 0;
    struct ctl_days *cd = controller(f, pg, w->ctl);
    if (cd == NULL || !local_day(cd, pg, w->at, &w->day) ||
        !uuid_parse(PQgetvalue(r, i, c->user), PQgetlength(r, i, c->user), w->user))
        return false;
    if (PQgetisnull(r, i, c->person) || strcmp(PQgetvalue(r, i, c->outcome), "allowed") != 0)
        return true;
    const char *action = PQgetvalue(r, i, c->action);
    w->flags = (strcmp(action, "search") != 0 ? ROW_OPENED : 0) |
               (is_access_action(f, action) ? ROW_ACCESS : 0);
    return w->flags == 0 ||
           uuid_parse(PQgetvalue(r, i, c->person), PQgetlength(r, i, c->person), w->person);
}

/* Pass 2: user day and person as indexes (the person's slot asked for AHEAD rows before). */
#define AHEAD 12
static bool resolve_row(struct dayfold *f, struct row_in *w, const struct row_in *next)
{
    uint32_t ui = 0, pi = 0;
    if (next && next->flags & ROW_OPENED)
        __builtin_prefetch(&f->s.persons.slot[uuid_hash(next->person) & f->s.persons.mask]);
    if (!uuids_intern(&f->s.users, w->user, &ui) ||
        (w->di = row_day(f, ui, w->ctl, w->day)) == UINT32_MAX)
        return false;
    if (!(w->flags & ROW_OPENED))
        return true;
    if (!uuids_intern(&f->s.persons, w->person, &pi))
        return false;
    w->key = (uint64_t)w->di << 32 | pi;
    return true;
}

/* Pass 3: into the user day and the opened persons (both asked for AHEAD rows before). */
static bool apply_row(struct dayfold *f, const struct row_in *w, const struct row_in *next)
{
    if (next) {
        __builtin_prefetch(&f->s.ud[next->di]);
        if (next->flags & ROW_OPENED)
            __builtin_prefetch(&f->s.opened.keys[mix(next->key) & f->s.opened.mask]);
    }
    struct userday *d = &f->s.ud[w->di];
    d->f = w->at < d->f ? w->at : d->f;
    d->l = w->at > d->l ? w->at : d->l;
    if (w->flags & ROW_ACCESS) {
        d->acc_f = w->at < d->acc_f ? w->at : d->acc_f;
        d->acc_l = w->at > d->acc_l ? w->at : d->acc_l;
    }
    uint32_t none = 0;
    bool added = false;
    if (!(w->flags & ROW_OPENED))
        return true;
    if (!map_put(&f->s.opened, w->key, &none, &added))
        return false;
    d->n += added;
    return true;
}

/* A batch in three passes over its staff rows, so that each lookup in the large tables was
 * asked of the memory a few rows before it is needed. */
static bool fold_result(struct dayfold *f, PGconn *pg, const PGresult *r,
                        const struct dayfold_cols *c)
{
    int rows = PQntuples(r), n = 0;
    if (rows > f->s.cap_batch) {
        struct row_in *b = realloc(f->s.batch, (size_t)rows * sizeof *b);
        if (b == NULL)
            return false;
        f->s.batch = b;
        f->s.cap_batch = rows;
    }
    struct row_in *b = f->s.batch;
    for (int i = 0; i < rows; i++)
        if (!PQgetisnull(r, i, c->user) && !read_row(f, pg, r, i, c, &b[n++]))
            return false;
    for (int i = 0; i < n; i++)
        if (!resolve_row(f, &b[i], i + AHEAD < n ? &b[i + AHEAD] : NULL))
            return false;
    for (int i = 0; i < n; i++)
        if (!apply_row(f, &b[i], i + AHEAD < n ? &b[i + AHEAD] : NULL))
            return false;
    return true;
}

/* Every controller's local days from DAYS_AROUND days ago to tomorrow: the seal's rows are
 * folded while the next batch is fetched, when its connection can run no query. In a savepoint:
 * a failure here leaves the seal's transaction as it was, and the fold to the review. */
void dayfold_seal_begin(void *ctx, PGconn *pg)
{
    struct dayfold *f = ctx;
    int64_t today = floor_div((int64_t)time(NULL) * 1000000, DAY_US);
    bool ok = f && db_tool_command(pg, WHO, "SAVEPOINT dayfold", 0, NULL);
    bool loaded = ok && load_controllers(f, pg);
    for (int i = 0; loaded && i < f->s.n_ctl; i++)
        loaded = load_midnights(&f->s.ctl[i], pg, (int32_t)(today - DAYS_AROUND),
                                (int32_t)(today + 3));
    if (ok && !loaded)
        ok = db_tool_command(pg, WHO, "ROLLBACK TO SAVEPOINT dayfold", 0, NULL);
    if (ok && loaded)
        ok = db_tool_command(pg, WHO, "RELEASE SAVEPOINT dayfold", 0, NULL);
    if (f && !(ok && loaded)) {
        f->s.failed = true;
        log_warn("the user days cannot be folded from the seal's stream; the review reads the rows");
    }
}

void dayfold_seal_rows(void *ctx, const PGresult *r)
{
    struct dayfold *f = ctx;
    if (f == NULL || f->s.failed || f->s.complete)
        return;
    if (!fold_result(f, NULL, r, &seal_cols)) {
        f->s.failed = true; /* the review streams the rows itself (dayfold_write) */
        log_warn("the user-day fold of the seal's stream failed; the review reads the rows");
        return;
    }
    f->s.complete = PQntuples(r) == 0;
}

/* ---- the fold's own stream, when no seal fed it ---- */

static const struct dayfold_cols own_cols = {0, 1, 2, 3, 4, 5};

static bool fold_stream(struct dayfold *f, PGconn *pg, const struct seal_info *seal)
{
    char from[24], to[24];
    snprintf(from, sizeof from, "%lld", seal->txid_from);
    snprintf(to, sizeof to, "%lld", seal->txid_to);
    const char *p[] = {from, to};
    if (!fold_reset(f) ||
        !db_tool_command(pg, WHO,
                         "DECLARE dayfold_rows NO SCROLL CURSOR FOR SELECT "
                         "(extract(epoch FROM l.at) * 1000000)::bigint, l.controller_id, "
                         "l.user_id, l.person_id, l.action, l.outcome FROM access_log l "
                         "WHERE l.txid >= $1::bigint AND l.txid < $2::bigint "
                         "AND l.user_id IS NOT NULL",
                         2, p))
        return false;
    int n = 0;
    do {
        PGresult *r = NULL;
        if (!db_tool_exec(pg, WHO, "FETCH 10000 FROM dayfold_rows", 0, NULL, &r))
            return false;
        n = PQntuples(r);
        bool ok = fold_result(f, pg, r, &own_cols);
        PQclear(r);
        if (!ok)
            return false;
    } while (n > 0);
    f->s.complete = true;
    return db_tool_command(pg, WHO, "CLOSE dayfold_rows", 0, NULL);
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
        time_format(us, out);
}

static bool write_days(struct dayfold *f, PGconn *pg)
{
    struct copy_out o = {.pg = pg, .ok = true};
    if (!db_tool_copy_begin(pg, WHO, "COPY rvu_c FROM STDIN"))
        return false;
    for (uint32_t i = 0; i < f->s.n_ud; i++) {
        const struct userday *d = &f->s.ud[i];
        char user[37], date[32], t[4][64], line[384];
        uuid_format(f->s.users.id[d->user], user);
        date_format(d->day, date);
        time_format(d->f, t[0]);
        time_format(d->l, t[1]);
        copy_time(t[2], d->acc_f);
        copy_time(t[3], d->acc_l);
        int n = snprintf(line, sizeof line, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%u\n", d->ctl, user,
                         date, t[0], t[1], t[2], t[3], d->n);
        copy_line(&o, line, (size_t)n);
    }
    return copy_finish(&o);
}

static bool write_persons(struct dayfold *f, PGconn *pg)
{
    struct copy_out o = {.pg = pg, .ok = true};
    if (!db_tool_copy_begin(pg, WHO, "COPY rvd FROM STDIN"))
        return false;
    for (size_t s = 0; s <= f->s.opened.mask; s++) {
        uint64_t k = f->s.opened.keys[s];
        if (k == EMPTY)
            continue;
        const struct userday *d = &f->s.ud[k >> 32];
        char user[37], person[37], date[32], line[192];
        uuid_format(f->s.users.id[d->user], user);
        uuid_format(f->s.persons.id[(uint32_t)k], person);
        date_format(d->day, date);
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

bool dayfold_write(struct dayfold *f, PGconn *pg, const struct seal_info *seal)
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
