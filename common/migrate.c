/* Schema migrations: list, checksum, apply in order under an advisory lock, record. */
#include "crt/migrate.h"

#include <dirent.h>
#include <libpq-fe.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#include "crt/db.h"
#include "crt/log.h"

#define MIGRATE_LOCK_KEY "7243001"
#define MAX_MIGRATIONS 512

static int is_migration_name(const char *n)
{
    size_t len = strlen(n);
    if (len < 9 || strcmp(n + len - 4, ".sql") != 0)
        return 0;
    for (int i = 0; i < 3; i++)
        if (n[i] < '0' || n[i] > '9')
            return 0;
    return n[3] == '_';
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted file names in dir; *n set. NULL on error. Caller frees each and the array. */
static char **list_migrations(const char *dir, size_t *n)
{
    DIR *d = opendir(dir);
    if (d == NULL)
        return NULL;
    char **names = calloc(MAX_MIGRATIONS, sizeof *names);
    struct dirent *e;
    *n = 0;
    while (names && (e = readdir(d)) != NULL && *n < MAX_MIGRATIONS)
        if (is_migration_name(e->d_name))
            names[(*n)++] = strdup(e->d_name);
    closedir(d);
    if (names)
        qsort(names, *n, sizeof *names, cmp_names);
    return names;
}

static char *read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    long len;
    if (f == NULL)
        return NULL;
    if (fseek(f, 0, SEEK_END) == 0 && (len = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
        (buf = malloc((size_t)len + 1)) != NULL) {
        if (fread(buf, 1, (size_t)len, f) != (size_t)len) {
            free(buf);
            buf = NULL;
        } else {
            buf[len] = '\0';
        }
    }
    fclose(f);
    return buf;
}

static void sha256_hex(const char *s, char out[65])
{
    unsigned char md[32];
    unsigned int mdlen = 0;
    EVP_Digest(s, strlen(s), md, &mdlen, EVP_sha256(), NULL);
    for (unsigned i = 0; i < 32; i++)
        snprintf(out + 2 * i, 3, "%02x", md[i]);
}

/* 1 applied now, 0 already applied (unchanged), -1 error. */
static int apply_one(PGconn *c, const char *dir, const char *name, FILE *out)
{
    char path[4096], who[300], sum[65], stored[65], version[4] = {name[0], name[1], name[2], 0};
    snprintf(path, sizeof path, "%s/%s", dir, name);
    snprintf(who, sizeof who, "migrate: %s", name);
    char *sql = read_file(path);
    if (sql == NULL) {
        log_error("migrate: cannot read %s", path);
        return -1;
    }
    sha256_hex(sql, sum);
    const char *p[] = {version, name, sum};
    bool found = false;
    int rc = -1;
    if (!db_tool_value(c, who, "SELECT sha256 FROM schema_migrations WHERE version = $1::int", 1, p,
                       stored, sizeof stored, &found)) {
        /* logged */
    } else if (found) {
        rc = strcmp(stored, sum) == 0 ? 0 : -1;
        if (rc < 0)
            log_error("migrate: %s was changed after it was applied; add a new migration", name);
    } else if (db_tool_command(c, who, "BEGIN", 0, NULL) && db_tool_script(c, who, sql) &&
               db_tool_command(c, who,
                               "INSERT INTO schema_migrations (version, name, sha256) "
                               "VALUES ($1::int, $2, $3)",
                               3, p) &&
               db_tool_command(c, who, "COMMIT", 0, NULL)) {
        rc = 1;
        fprintf(out, "applied %s\n", name);
    }
    if (rc < 0)
        db_tool_rollback(c, "migrate: rollback");
    free(sql);
    return rc;
}

int migrate_run(const char *url, const char *dir, FILE *out)
{
    size_t n = 0, applied = 0;
    int rc = -1;
    char **names = NULL;
    PGconn *c = PQconnectdb(url);
    if (PQstatus(c) != CONNECTION_OK) {
        log_error("migrate: cannot connect: %s", PQerrorMessage(c));
        goto done;
    }
    if (!db_tool_command(c, "migrate: settings", "SET client_min_messages = warning", 0, NULL) ||
        !db_tool_command(c, "migrate: lock", "SELECT pg_advisory_lock(" MIGRATE_LOCK_KEY ")", 0,
                         NULL) ||
        !db_tool_command(c, "migrate: schema_migrations",
                         "CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY "
                         "KEY, name text NOT NULL, sha256 text NOT NULL, "
                         "applied_at timestamptz NOT NULL DEFAULT now())",
                         0, NULL))
        goto done;
    names = list_migrations(dir, &n);
    if (names == NULL) {
        log_error("migrate: cannot list %s", dir);
        goto done;
    }
    for (size_t i = 0; i < n; i++) {
        int r = apply_one(c, dir, names[i], out);
        if (r < 0)
            goto done;
        applied += (size_t)r;
    }
    if (!db_tool_command(c, "migrate: partitions",
                         "SELECT crt_access_log_ensure_partitions(now(), 13)", 0, NULL))
        goto done;
    fprintf(out, "migrations: %zu applied, %zu already present\n", applied, n - applied);
    rc = 0;
done:
    for (size_t i = 0; names && i < n; i++)
        free(names[i]);
    free(names);
    bool unlocked = c && PQstatus(c) == CONNECTION_OK &&
                    db_tool_command(c, "migrate: unlock",
                                    "SELECT pg_advisory_unlock(" MIGRATE_LOCK_KEY ")", 0, NULL);
    (void)unlocked; /* a failure is logged; the lock ends with the connection anyway */
    PQfinish(c);
    return rc;
}
