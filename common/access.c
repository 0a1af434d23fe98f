/* Need-to-know: field-group names, the role x field-group matrix, and the access decision
 * computed in C from the facts the database returns (compared with the database's own). */
#include "crt/access.h"

#include <string.h>

const char *const field_group_names[FG_COUNT + 1] = {
    "identification", "contact", "trajectory", "situation", "education", "sensitive", NULL};

int field_group_index(const char *name)
{
    for (int i = 0; i < FG_COUNT; i++)
        if (strcmp(field_group_names[i], name) == 0)
            return i;
    return -1;
}

static int role_slot(const struct access_matrix *m, const char *role)
{
    for (int i = 0; i < m->n; i++)
        if (strcmp(m->role[i], role) == 0)
            return i;
    return -1;
}

bool access_matrix_set(struct access_matrix *m, const char *role, const char *group, bool read,
                       bool write)
{
    int g = field_group_index(group), r = role_slot(m, role);
    if (g < 0 || strlen(role) >= sizeof m->role[0])
        return false;
    if (r < 0) {
        if (m->n == ACCESS_MAX_ROLES)
            return false;
        r = m->n++;
        strcpy(m->role[r], role);
        m->read[r] = m->write[r] = 0;
    }
    if (read)
        m->read[r] |= 1u << g;
    if (write && read)
        m->write[r] |= 1u << g;
    return true;
}

unsigned access_read_mask(const struct access_matrix *m, const char *role)
{
    int r = role_slot(m, role);
    return r < 0 ? 0 : m->read[r];
}

unsigned access_write_mask(const struct access_matrix *m, const char *role)
{
    int r = role_slot(m, role);
    return r < 0 ? 0 : m->write[r];
}

const char *access_missing_group(unsigned want, unsigned have)
{
    for (int g = 0; g < FG_COUNT; g++)
        if ((want & (1u << g)) && !(have & (1u << g)))
            return field_group_names[g];
    return NULL;
}

const char *access_reason(const char *role, const char *user_id, const struct access_facts *f)
{
    if (strcmp(role, "coordinator") == 0)
        return "coordinator_scope";
    if (strcmp(role, "education") == 0)
        return "education_scope";
    if (f->assigned)
        return "assignment";
    if (strcmp(role, "intake") == 0 && strcmp(f->created_by, user_id) == 0 &&
        f->age_s < (long)f->window_days * 86400)
        return "own_registration";
    if (f->break_glass)
        return "break_glass";
    return NULL;
}
