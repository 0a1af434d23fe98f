/* Need-to-know: the field groups, the role x field-group matrix (read/write masks per role, as
 * loaded from role_field_access), and the C side of the access decision about one person. The
 * database decides independently (row-level security, crt_access()); callers refuse when the
 * two disagree. */
#ifndef CRT_ACCESS_H
#define CRT_ACCESS_H
#include <stdbool.h>
#include <stddef.h>

enum field_group {
    FG_IDENTIFICATION, /* the first four are the person record's groups (person.h), same order */
    FG_CONTACT,
    FG_TRAJECTORY,
    FG_SITUATION,
    FG_EDUCATION,
    FG_SENSITIVE,
    FG_COUNT
};
#define FG_PERSON_MASK 0x0Fu
extern const char *const field_group_names[FG_COUNT + 1]; /* NULL-terminated */
/* Index of a field group name, or -1. */
int field_group_index(const char *name);

#define ACCESS_MAX_ROLES 16
struct access_matrix {
    int n;
    char role[ACCESS_MAX_ROLES][16];
    unsigned read[ACCESS_MAX_ROLES], write[ACCESS_MAX_ROLES]; /* bit i = field_group i */
};
/* Adds one (role, group, read, write) row; false for an unknown group or too many roles. */
bool access_matrix_set(struct access_matrix *m, const char *role, const char *group, bool read,
                       bool write);
unsigned access_read_mask(const struct access_matrix *m, const char *role);
unsigned access_write_mask(const struct access_matrix *m, const char *role);
/* The first group in want that is not in have, or NULL (for "403: may not write <group>"). */
const char *access_missing_group(unsigned want, unsigned have);

/* What the database knows about the caller and one person of the caller's controller. */
struct access_facts {
    bool restricted, assigned, break_glass;
    char created_by[37];
    long age_s;      /* since registration */
    int window_days; /* the controller's intake window */
};
/* Why role/user may see the person — "coordinator_scope", "education_scope", "assignment",
 * "own_registration", "break_glass" — or NULL when there is no need to know. */
const char *access_reason(const char *role, const char *user_id, const struct access_facts *f);

#endif
