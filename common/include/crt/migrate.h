/* Schema migrations: sql/migrations/NNN_name.sql applied in order, each in its own transaction,
 * recorded with its SHA-256 in schema_migrations; re-running applies only what is new. */
#ifndef CRT_MIGRATE_H
#define CRT_MIGRATE_H
#include <stdio.h>

#include "crt/config.h"

/* Applies pending migrations from dir over a connection to url (the owner role), reporting
 * each to out. Refuses to continue when an applied file has changed since. Also keeps the
 * access log's monthly partitions created a year ahead. Returns 0 on success. */
int migrate_run(const char *url, const char *dir, FILE *out) CRT_MUST_CHECK;

#endif
