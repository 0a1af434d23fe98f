/* The erasure ledger file: appending one durable line per erasure, and reading it back for the
 * re-application after a restore (crtctl erasure-ledger). Person ids only, never names. */
#include "crt/ledger.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "crt/log.h"

static bool is_uuid(const char *s)
{
    if (s == NULL || strlen(s) != 36)
        return false;
    for (int i = 0; i < 36; i++) {
        bool dash = i == 8 || i == 13 || i == 18 || i == 23;
        if (dash ? s[i] != '-' : strchr("0123456789abcdef", s[i]) == NULL || s[i] == '\0')
            return false;
    }
    return true;
}

static bool is_reason(const char *s)
{
    return strcmp(s, "data_subject_request") == 0 || strcmp(s, "retention") == 0;
}

static bool is_number(const char *s)
{
    if (s == NULL || *s == '\0' || strlen(s) > 18)
        return false;
    for (; *s; s++)
        if (*s < '0' || *s > '9')
            return false;
    return true;
}

/* A new file's name is durable only once its folder is synced. */
static bool sync_folder(const char *path)
{
    char *copy = strdup(path);
    int fd = copy ? open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
    bool ok = fd >= 0 && fsync(fd) == 0;
    if (fd >= 0)
        close(fd);
    free(copy);
    return ok;
}

bool ledger_append(const char *path, const char *person, const char *reason, const char *request)
{
    char line[128], at[32];
    time_t now = time(NULL);
    struct tm tm;
    if (!is_uuid(person) || !is_reason(reason) || (request && !is_number(request)) ||
        path == NULL || *path == '\0') {
        log_error("erasure ledger: refused a malformed entry or no ledger file configured");
        return false;
    }
    strftime(at, sizeof at, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&now, &tm));
    int n = snprintf(line, sizeof line, "%s\t%s\t%s\t%s\n", at, person, reason,
                     request ? request : "-");
    bool created = access(path, F_OK) != 0;
    struct stat st;
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    off_t size = fd >= 0 && fstat(fd, &st) == 0 ? st.st_size : -1;
    ssize_t w = size >= 0 ? write(fd, line, (size_t)n) : -1;
    bool ok = w == n && fsync(fd) == 0;
    int err = errno;
    if (!ok && w > 0 && ftruncate(fd, size) != 0) /* no half (or unsynced) line left behind */
        log_error("erasure ledger: could not cut a failed line off path=%s", path);
    if (fd >= 0 && close(fd) != 0)
        ok = false;
    if (ok && created)
        ok = sync_folder(path);
    if (!ok)
        log_error("erasure ledger: could not append durably path=%s errno=%d person=%s", path,
                  err, person);
    return ok;
}

/* Splits one line (without its newline) into e; false when it is malformed. */
static bool parse_line(char *line, struct ledger_entry *e)
{
    char *save = NULL, *f[4];
    for (int i = 0; i < 4; i++)
        if ((f[i] = strtok_r(i ? NULL : line, "\t", &save)) == NULL)
            return false;
    if (strtok_r(NULL, "\t", &save) != NULL || strlen(f[0]) >= sizeof e->at || !is_uuid(f[1]) ||
        !is_reason(f[2]) || (strcmp(f[3], "-") != 0 && !is_number(f[3])))
        return false;
    snprintf(e->at, sizeof e->at, "%s", f[0]);
    snprintf(e->person, sizeof e->person, "%s", f[1]);
    snprintf(e->reason, sizeof e->reason, "%s", f[2]);
    e->request = strcmp(f[3], "-") == 0 ? 0 : atoll(f[3]);
    return true;
}

bool ledger_each(const char *path, bool (*fn)(const struct ledger_entry *e, void *arg), void *arg)
{
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        log_error("erasure ledger: cannot read path=%s errno=%d%s", path, errno,
                  errno == ENOENT ? " (restore it from its copy; an empty file if nothing was "
                                    "ever erased)" : "");
        return false;
    }
    char line[256];
    long no = 0;
    bool ok = true;
    while (ok && fgets(line, sizeof line, f)) {
        struct ledger_entry e;
        no++;
        size_t len = strlen(line);
        if (len == 0 || line[len - 1] != '\n') {
            log_error("erasure ledger: line %ld is cut off or too long path=%s", no, path);
            ok = false;
            break;
        }
        line[len - 1] = '\0';
        if (line[0] == '#' || line[0] == '\0')
            continue;
        if (!parse_line(line, &e)) {
            log_error("erasure ledger: line %ld is malformed path=%s", no, path);
            ok = false;
            break;
        }
        ok = fn(&e, arg);
    }
    if (ferror(f))
        ok = false;
    fclose(f);
    return ok;
}
