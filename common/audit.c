/* The access-log writer: the parameters of one access_log row, inside the caller's transaction. */
#include "crt/audit.h"
#include "crt/metrics.h"

#include <stdio.h>
#include <string.h>

enum db_status audit_write(struct db *db, const struct audit_entry *e)
{
    const char *p[] = {e->person_id, e->household_id, e->action,  e->groups ? e->groups : "{}",
                       e->purpose,   e->outcome,      e->reason,  e->request_id};
    enum db_status st = db_exec(db, "audit_insert", 8, p, NULL);
    if (st != DB_OK)
        metrics_audit_failed();
    return st;
}

void audit_groups_literal(unsigned mask, const char *const *names, char *out, size_t outlen)
{
    size_t n = (size_t)snprintf(out, outlen, "{");
    for (int i = 0; names[i] && n < outlen; i++)
        if (mask & (1u << i))
            n += (size_t)snprintf(out + n, outlen - n, "%s%s", n > 1 ? "," : "", names[i]);
    if (n < outlen)
        snprintf(out + n, outlen - n, "}");
}
