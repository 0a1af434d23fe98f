/* The tables and text of the folds of the seal's rows (foldtab.h): open addressing with
 * linear probing at most half full, and values written as PostgreSQL reads them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "foldtab.h"

uint64_t ft_mix(uint64_t x) /* splitmix64's finaliser */
{
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}


bool ft_map_alloc(struct u64map *m, size_t cap)
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
static size_t ft_map_slot(const struct u64map *m, uint64_t key)
{
    size_t i = ft_mix(key) & m->mask;
    while (m->keys[i] != FT_EMPTY && m->keys[i] != key)
        i = (i + 1) & m->mask;
    return i;
}

static bool ft_map_grow(struct u64map *m)
{
    struct u64map old = *m;
    if (!ft_map_alloc(m, (old.mask + 1) * 2))
        return false; /* m untouched */
    for (size_t i = 0; i <= old.mask; i++) {
        if (old.keys[i] == FT_EMPTY)
            continue;
        size_t s = ft_map_slot(m, old.keys[i]);
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
bool ft_map_put(struct u64map *m, uint64_t key, uint32_t *val, bool *added)
{
    if ((m->n + 1) * 2 > m->mask + 1 && !ft_map_grow(m))
        return false;
    size_t s = ft_map_slot(m, key);
    *added = m->keys[s] == FT_EMPTY;
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


uint64_t ft_uuid_hash(const unsigned char u[16])
{
    uint64_t a, b;
    memcpy(&a, u, 8);
    memcpy(&b, u + 8, 8);
    return ft_mix(a ^ ft_mix(b));
}

static size_t ft_uuids_slot(const struct uuids *t, const unsigned char u[16])
{
    size_t i = ft_uuid_hash(u) & t->mask;
    while (t->slot[i].idx != NO_INDEX && memcmp(t->slot[i].u, u, 16) != 0)
        i = (i + 1) & t->mask;
    return i;
}

static bool ft_uuids_rehash(struct uuids *t, size_t size)
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
        struct uuid_slot *sl = &t->slot[ft_uuids_slot(t, t->id[i])];
        memcpy(sl->u, t->id[i], 16);
        sl->idx = i;
    }
    free(old);
    return true;
}

/* Room for one more uuid: the byte array and the slots, each doubled when needed. */
static bool ft_uuids_room(struct uuids *t)
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
    return ft_uuids_rehash(t, t->slot ? (t->mask + 1) * 2 : 2048);
}

bool ft_uuids_intern(struct uuids *t, const unsigned char u[16], uint32_t *idx)
{
    if (!ft_uuids_room(t))
        return false;
    struct uuid_slot *sl = &t->slot[ft_uuids_slot(t, u)];
    if (sl->idx == NO_INDEX) {
        memcpy(sl->u, u, 16);
        memcpy(t->id[t->n], u, 16);
        sl->idx = t->n++;
    }
    *idx = sl->idx;
    return true;
}

void ft_map_free(struct u64map *m)
{
    free(m->keys);
    free(m->vals);
}

void ft_uuids_free(struct uuids *t)
{
    free(t->id);
    free(t->slot);
}

/* A hex digit's value, -1 for any other byte. */
static signed char hex_digit[256];

void ft_hex_digits_init(void)
{
    memset(hex_digit, -1, sizeof hex_digit);
    for (int c = 0; c < 10; c++)
        hex_digit['0' + c] = (signed char)c;
    for (int c = 0; c < 6; c++)
        hex_digit['a' + c] = hex_digit['A' + c] = (signed char)(10 + c);
}

/* A uuid as PostgreSQL writes it (len bytes): 8-4-4-4-12 hex digits. */
bool ft_uuid_parse(const char *s, int len, unsigned char out[16])
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

void ft_uuid_format(const unsigned char u[16], char out[37])
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

int64_t ft_floor_div(int64_t a, int64_t b)
{
    return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

/* Day z since 1970-01-01 as "YYYY-MM-DD" (the proleptic Gregorian calendar's civil date). */
void ft_date_format(int64_t z, char out[32])
{
    z += 719468;
    int64_t era = ft_floor_div(z, 146097);
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    unsigned d = doy - (153 * mp + 2) / 5 + 1, m = mp < 10 ? mp + 3 : mp - 9;
    long long y = (long long)yoe + era * 400 + (m <= 2);
    snprintf(out, 32, "%04lld-%02u-%02u", y, m, d);
}

/* Microseconds since the epoch as a timestamptz's text in UTC. */
void ft_time_format(int64_t us, char out[64])
{
    int64_t day = ft_floor_div(us, DAY_US), in = us - day * DAY_US;
    char date[32];
    ft_date_format(day, date);
    long long s = in / 1000000;
    snprintf(out, 64, "%s %02lld:%02lld:%02lld.%06lld+00", date, s / 3600, s / 60 % 60, s % 60,
             (long long)(in % 1000000));
}


int64_t ft_digits(const char *s)
{
    bool neg = *s == '-';
    int64_t v = 0;
    for (s += neg; *s >= '0' && *s <= '9'; s++)
        v = v * 10 + (*s - '0');
    return neg ? -v : v;
}
