/* The tables and text of the folds crt-review makes of the seal's rows in C (rowfold.c): maps
 * of 64-bit keys, uuids interned as indexes, values written as PostgreSQL reads them. */
#ifndef CRT_FOLDTAB_H
#define CRT_FOLDTAB_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FT_EMPTY UINT64_MAX /* a free slot of a u64map: no key is all ones */
#define DAY_US 86400000000LL

/* 64-bit keys (FT_EMPTY marks a free slot) to 32-bit values; a set when set is true (no values). */
struct u64map {
    uint64_t *keys;
    uint32_t *vals;
    size_t mask, n;
    bool set;
};

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

/* splitmix64's finaliser: the hash of a 64-bit key. */
uint64_t ft_mix(uint64_t x);
/* An empty map of cap slots (a power of two); m->set says whether it has values. */
bool ft_map_alloc(struct u64map *m, size_t cap);
/* Finds key or adds it with *val (growing the map); *added says which, *val then holds the
 * key's value. False when out of memory. */
bool ft_map_put(struct u64map *m, uint64_t key, uint32_t *val, bool *added);
void ft_map_free(struct u64map *m);
uint64_t ft_uuid_hash(const unsigned char u[16]);
/* The index of uuid u, added when new. False when out of memory. */
bool ft_uuids_intern(struct uuids *t, const unsigned char u[16], uint32_t *idx);
void ft_uuids_free(struct uuids *t);
/* Once before ft_uuid_parse is used. */
void ft_hex_digits_init(void);
/* A uuid's text as PostgreSQL writes it (len bytes, 8-4-4-4-12 hex digits) into 16 bytes. */
bool ft_uuid_parse(const char *s, int len, unsigned char out[16]);
void ft_uuid_format(const unsigned char u[16], char out[37]);
int64_t ft_floor_div(int64_t a, int64_t b);
/* Day z since 1970-01-01 as "YYYY-MM-DD"; microseconds since the epoch as a timestamptz's text
 * in UTC; a decimal integer's text. */
void ft_date_format(int64_t z, char out[32]);
void ft_time_format(int64_t us, char out[64]);
int64_t ft_digits(const char *s);

#endif
