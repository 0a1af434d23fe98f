/* A log row's canonical bytes and their SHA-256 computed in C from its text columns, and the
 * check of that C form against the schema's one definition, crt_log_canonical() (D53, D59). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crt/db.h"
#include "crt/log.h"
#include "review.h"

void seal_hex(const unsigned char *in, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[in[i] >> 4];
        out[2 * i + 1] = digits[in[i] & 15];
    }
    out[2 * n] = '\0';
}

/* The columns of SEAL_ROW_COLUMNS in the order of crt_log_canonical() (migration 020): id,
 * txid, time in µs, controller, user, person, household, action, field groups, purpose,
 * outcome, reason, request id, partner. */
static const int form_columns[] = {0, 2, 1, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13};
#define FORM_COLUMNS (int)(sizeof form_columns / sizeof form_columns[0])
#define SAMPLE_COLUMN 14 /* the SQL digest of a sampled row, NULL for the others */
#define CTID_COLUMN 15

/* Bytes gathered before one EVP_DigestUpdate: a call per field would cost more than the hash. */
struct gather {
    EVP_MD_CTX *md;
    unsigned char buf[1024];
    size_t len;
    bool ok;
};

static void gather_put(struct gather *g, const void *p, size_t n)
{
    if (g->len + n > sizeof g->buf) {
        g->ok = g->ok && EVP_DigestUpdate(g->md, g->buf, g->len) == 1;
        g->len = 0;
        if (n > sizeof g->buf) {
            g->ok = g->ok && EVP_DigestUpdate(g->md, p, n) == 1;
            return;
        }
    }
    memcpy(g->buf + g->len, p, n);
    g->len += n;
}

bool seal_row_canonical_digest(struct seal_canon *c, const PGresult *r, int i,
                               unsigned char out[32])
{
    struct gather g = {.md = c->md, .ok = EVP_DigestInit_ex2(c->md, c->sha256, NULL) == 1};
    for (int k = 0; k < FORM_COLUMNS; k++) {
        int col = form_columns[k];
        if (PQgetisnull(r, i, col)) {
            gather_put(&g, "\0", 1);
            continue;
        }
        unsigned int n = (unsigned int)PQgetlength(r, i, col);
        unsigned char head[5] = {1, (unsigned char)(n >> 24), (unsigned char)(n >> 16),
                                 (unsigned char)(n >> 8), (unsigned char)n};
        gather_put(&g, head, sizeof head);
        gather_put(&g, PQgetvalue(r, i, col), n);
    }
    unsigned int len = 0;
    g.ok = g.ok && EVP_DigestUpdate(c->md, g.buf, g.len) == 1 &&
           EVP_DigestFinal_ex(c->md, out, &len) == 1;
    return g.ok && len == 32;
}

/* The shape of a row: which columns of the form are NULL, whether a value has bytes beyond
 * ASCII, whether its field groups are empty. */
static unsigned row_shape(const PGresult *r, int i)
{
    unsigned shape = 0;
    bool wide = false;
    for (int k = 0; k < FORM_COLUMNS; k++) {
        int c = form_columns[k];
        if (PQgetisnull(r, i, c)) {
            shape |= 1u << k;
            continue;
        }
        const unsigned char *v = (const unsigned char *)PQgetvalue(r, i, c);
        for (int b = 0, n = PQgetlength(r, i, c); b < n && !wide; b++)
            wide = v[b] >= 0x80;
    }
    if (wide)
        shape |= SEAL_SHAPE_WIDE;
    if (!PQgetisnull(r, i, 8) && strcmp(PQgetvalue(r, i, 8), "{}") == 0)
        shape |= SEAL_SHAPE_NO_GROUPS;
    return shape;
}

bool seal_canon_init(struct seal_canon *c)
{
    memset(c, 0, sizeof *c);
    c->md = EVP_MD_CTX_new();
    c->sha256 = EVP_MD_fetch(NULL, "SHA256", NULL); /* fetched once, not per row */
    return c->md != NULL && c->sha256 != NULL;
}

void seal_canon_free(struct seal_canon *c)
{
    EVP_MD_CTX_free(c->md);
    EVP_MD_free(c->sha256);
    free(c->pending);
    memset(c, 0, sizeof *c);
}

/* The row's own digest against the SQL digest beside it (64 hex digits). */
static bool same_digest(const unsigned char digest[32], const char *sql_hex)
{
    char hex[65];
    seal_hex(digest, 32, hex);
    return strcmp(hex, sql_hex) == 0;
}

static bool remember(struct seal_canon *c, const PGresult *r, int i, unsigned shape,
                     const unsigned char digest[32])
{
    if (c->n_pending == c->cap_pending) {
        size_t cap = c->cap_pending ? 2 * c->cap_pending : 16;
        struct seal_canon_row *p = realloc(c->pending, cap * sizeof *p);
        if (p == NULL)
            return false;
        c->pending = p;
        c->cap_pending = cap;
    }
    struct seal_canon_row *e = &c->pending[c->n_pending++];
    e->id = atoll(PQgetvalue(r, i, 0));
    e->at_us = atoll(PQgetvalue(r, i, 1));
    snprintf(e->ctid, sizeof e->ctid, "%s", PQgetvalue(r, i, CTID_COLUMN));
    e->shape = shape;
    memcpy(e->digest, digest, 32);
    return true;
}

bool seal_canon_row(struct seal_canon *c, const PGresult *r, int i, unsigned char out[32])
{
    long long id = atoll(PQgetvalue(r, i, 0));
    if (!seal_row_canonical_digest(c, r, i, out)) {
        log_error("could not hash log row id=%lld", id);
        return false;
    }
    unsigned shape = row_shape(r, i);
    if (!PQgetisnull(r, i, SAMPLE_COLUMN)) {
        c->sampled++;
        c->seen[shape] = 2;
        if (!same_digest(out, PQgetvalue(r, i, SAMPLE_COLUMN))) {
            c->mismatch_id = c->mismatch_id ? c->mismatch_id : id;
            return false;
        }
        return true;
    }
    if (c->seen[shape])
        return true;
    c->seen[shape] = 1;
    if (!remember(c, r, i, shape, out)) {
        log_error("out of memory checking the canonical form");
        return false;
    }
    return true;
}

/* The SQL digest of the first row of a shape no sampled row covered, found again in the
 * caller's snapshot by its time (the partition) and ctid (its place there): one page read. */
static bool check_pending(struct seal_canon *c, PGconn *pg, const struct seal_canon_row *e)
{
    char id[24], at[24], hex[65];
    snprintf(id, sizeof id, "%lld", e->id);
    snprintf(at, sizeof at, "%lld", e->at_us);
    const char *p[] = {at, e->ctid, id};
    bool found = false;
    if (!db_tool_value(pg, "crt-review",
                       "SELECT encode(sha256(crt_log_canonical(l)), 'hex') FROM access_log l "
                       "WHERE l.at = timestamptz 'epoch' + $1::bigint * interval '1 microsecond' "
                       "AND l.ctid = $2::tid AND l.id = $3::bigint",
                       3, p, hex, sizeof hex, &found))
        return false;
    c->sampled++;
    if (!found || !same_digest(e->digest, hex)) {
        c->mismatch_id = c->mismatch_id ? c->mismatch_id : e->id;
        return false;
    }
    return true;
}

bool seal_canon_finish(struct seal_canon *c, PGconn *pg)
{
    for (size_t k = 0; k < c->n_pending; k++) {
        const struct seal_canon_row *e = &c->pending[k];
        if (c->seen[e->shape] == 2)
            continue; /* a sampled row of this shape was compared after it */
        if (!check_pending(c, pg, e))
            return false;
        c->seen[e->shape] = 2;
    }
    c->n_pending = 0;
    return true;
}
