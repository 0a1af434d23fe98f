/* The erasure ledger: an append-only file of erased person ids kept outside the database, so
 * that an erasure survives restoring the database from a backup taken before it. */
#ifndef CRT_LEDGER_H
#define CRT_LEDGER_H
#include <stdbool.h>

#include "crt/config.h"

/* One line of the ledger: ids and codes only, nothing that names a person. */
struct ledger_entry {
    char at[32];          /* UTC time the line was written, YYYY-MM-DDTHH:MM:SSZ */
    char person[37];      /* the erased person's id */
    char reason[24];      /* data_subject_request or retention */
    long long request;    /* the erasure request's number; 0 for retention */
};

/* Appends "<time>\t<person id>\t<reason>\t<request number or ->\n" to path in one write and
 * fsyncs it (and, when the file is new, its folder) before returning true. Called inside the
 * erasing transaction, before its COMMIT: an erasure is never acknowledged without its line.
 * request may be NULL. False (logged, nothing personal) when the line is not durable. */
bool ledger_append(const char *path, const char *person, const char *reason,
                   const char *request) CRT_MUST_CHECK;

/* Calls fn for every line of path in order; stops and returns false when fn does, when the file
 * cannot be read — also when it is missing: a restore without its ledger must not pass for one
 * with nothing to re-apply — or when a line is malformed (logged with its number). */
bool ledger_each(const char *path, bool (*fn)(const struct ledger_entry *e, void *arg),
                 void *arg) CRT_MUST_CHECK;

#endif
