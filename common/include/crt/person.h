/* The person record: its fields grouped by field group (identification, contact, trajectory,
 * situation), their validation, provenance (source per field), the SQL column lists derived
 * from the same table, and the JSON form of a row. */
#ifndef CRT_PERSON_H
#define CRT_PERSON_H
#include <jansson.h>
#include <libpq-fe.h>

#include "crt/arena.h"
#include "crt/validate.h"

#define PERSON_NFIELDS 29
#define PERSON_NGROUPS 4

struct person_field {
    const char *group;       /* field group, also the JSON object that holds the field */
    struct field_spec spec;  /* name = JSON key = column */
    const char *cast;        /* SQL cast of the text parameter */
};

extern const struct person_field person_fields[PERSON_NFIELDS];
extern const char *const person_groups[PERSON_NGROUPS + 1];     /* NULL-terminated */
extern const char *const data_sources[];                         /* NULL-terminated */

/* A validated create or update body. values[i] is the canonical text of field i or NULL
 * (SQL NULL); present[i] says whether the body carried it. */
struct person_input {
    const char *values[PERSON_NFIELDS];
    bool present[PERSON_NFIELDS];
    const char *household_id; /* NULL when absent or null */
    bool household_present;
    const char *source;       /* default source of every field in this body */
    json_t *sources;          /* field -> source for the fields present; owned */
    const char *reason;       /* PATCH only */
    bool group_present[PERSON_NGROUPS];
};

/* Validates body (a JSON object) for a create (every required field) or an update (a reason,
 * any subset of fields). Strings live in a. On refusal returns false and err names the field,
 * as "identification.first_name". Release in->sources with person_input_free. */
bool person_parse(json_t *body, bool create, struct arena *a, struct person_input *in,
                  struct field_error *err);
void person_input_free(struct person_input *in);
/* Rules between fields (end of residence status not before its start) on a full row. */
bool person_consistent(const char *const values[PERSON_NFIELDS], struct field_error *err);

/* SQL built once from the field table (process lifetime, never freed):
 *   person_sql_columns(): "id::text, oki_number, household_id::text, sources::text, version,
 *                          created_at, updated_at, <fields…>"  (PERSON_META_COLS meta first)
 *   person_sql_insert(): INSERT … ($1 controller, $2 created_by, $3 household, $4 sources,
 *                          then one parameter per field), without RETURNING
 *   person_sql_update(): UPDATE … SET every field ($1 id, $2 household, $3 sources delta,
 *                          then one parameter per field) */
#define PERSON_META_COLS 7
/* After the fields: the sealed national number (hex) and its key id. */
#define PERSON_COLS (PERSON_META_COLS + PERSON_NFIELDS + 2)
const char *person_sql_columns(void);
/* The same, qualified as table alias "p" (for joins). */
const char *person_sql_columns_p(void);
const char *person_sql_insert(void);
const char *person_sql_update(void);

/* The JSON form of row `row` of res (columns as person_sql_columns, starting at col0), with
 * only the groups whose bit is set in group_mask (bit i = person_groups[i]). New reference. */
json_t *person_to_json(const PGresult *res, int row, int col0, unsigned group_mask);
/* JSON value of a stored text for field i (number, boolean or string). New reference. */
json_t *person_value_json(int i, const char *text);
/* Index of the field group named g, or -1. */
int person_group_index(const char *g);

/* The national register number in any usual notation (digits with . - or spaces) as its 11
 * digits, if the check digits are right (also for those born from 2000). */
bool person_national_number(const char *in, char out[12]);
/* "name:<first>|<last>|<birth>" with names normalised (lower-case, letters only): the input of
 * the name + birth date blind index. Returns the length, 0 if it does not fit. */
size_t person_name_key(const char *first, const char *last, const char *birth, char *out,
                       size_t len);

#endif
