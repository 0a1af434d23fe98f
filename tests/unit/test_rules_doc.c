/* Unit: docs/rules.md, the table of the register's rules, against the test sources — every test it
 * cites exists as a Criterion test in tests/integration or tests/unit, every rule cites one, and
 * every test of test_rules_trace.c is cited. No database. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DOC CRT_SOURCE_DIR "/docs/rules.md"
#define PENDING "[pending-merge]"
#define MAX_NAMES 4096

/* A set of "suite/name" strings (a small linear list is enough here). */
struct names {
    char *v[MAX_NAMES];
    size_t n;
};

static bool names_has(const struct names *s, const char *x)
{
    for (size_t i = 0; i < s->n; i++)
        if (strcmp(s->v[i], x) == 0)
            return true;
    return false;
}

static void names_add(struct names *s, const char *x)
{
    cr_assert_lt(s->n, MAX_NAMES);
    if (!names_has(s, x))
        s->v[s->n++] = strdup(x);
}

static void names_free(struct names *s)
{
    for (size_t i = 0; i < s->n; i++)
        free(s->v[i]);
    s->n = 0;
}

/* The whole file (malloc'ed, NUL-terminated). */
static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f, "cannot open %s", path);
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)len + 1);
    cr_assert_not_null(buf);
    cr_assert_eq(fread(buf, 1, (size_t)len, f), (size_t)len);
    buf[len] = '\0';
    fclose(f);
    return buf;
}

/* Adds the Criterion tests defined in one source file as suite/name. */
static void tests_of_file(const char *path, struct names *out)
{
    regex_t re;
    cr_assert_eq(regcomp(&re, "(^|[^A-Za-z0-9_])Test\\([[:space:]]*([A-Za-z0-9_]+)[[:space:]]*,"
                              "[[:space:]]*([A-Za-z0-9_]+)", REG_EXTENDED), 0);
    char *src = slurp(path);
    regmatch_t m[4];
    for (const char *p = src; regexec(&re, p, 4, m, 0) == 0; p += m[0].rm_eo) {
        char name[256];
        snprintf(name, sizeof name, "%.*s/%.*s", (int)(m[2].rm_eo - m[2].rm_so), p + m[2].rm_so,
                 (int)(m[3].rm_eo - m[3].rm_so), p + m[3].rm_so);
        names_add(out, name);
    }
    free(src);
    regfree(&re);
}

/* Every Criterion test of tests/integration and tests/unit. */
static void all_tests(struct names *out)
{
    const char *dirs[] = {CRT_SOURCE_DIR "/tests/integration", CRT_SOURCE_DIR "/tests/unit"};
    for (size_t d = 0; d < 2; d++) {
        DIR *dir = opendir(dirs[d]);
        cr_assert_not_null(dir, "cannot list %s", dirs[d]);
        for (struct dirent *e; (e = readdir(dir)) != NULL;) {
            size_t len = strlen(e->d_name);
            if (len > 2 && strcmp(e->d_name + len - 2, ".c") == 0) {
                char path[1024];
                snprintf(path, sizeof path, "%s/%s", dirs[d], e->d_name);
                tests_of_file(path, out);
            }
        }
        closedir(dir);
    }
    cr_assert_gt(out->n, 100, "found only %zu tests: is the source tree where it was built?", out->n);
}

/* One row of a rules table: its cells (pointers into a copy of the line). */
struct row {
    char *line, *cell[8];
    int ncells;
};

/* Splits a table line "| a | b | … |" into trimmed cells; false for other lines. */
static bool row_split(const char *line, struct row *r)
{
    if (strncmp(line, "| ", 2) != 0)
        return false;
    r->line = strdup(line);
    r->ncells = 0;
    char *save = NULL;
    for (char *c = strtok_r(r->line + 1, "|", &save); c && r->ncells < 8; c = strtok_r(NULL, "|", &save)) {
        while (*c == ' ')
            c++;
        size_t n = strlen(c);
        while (n > 0 && (c[n - 1] == ' ' || c[n - 1] == '\n'))
            c[--n] = '\0';
        if (n > 0)
            r->cell[r->ncells++] = c;
    }
    return true;
}

/* Whether s is a rule id: three capitals, a dash, two digits. */
static bool is_rule_id(const char *s)
{
    regex_t re;
    regcomp(&re, "^[A-Z]{3}-[0-9]{2}$", REG_EXTENDED | REG_NOSUB);
    bool ok = regexec(&re, s, 0, NULL, 0) == 0;
    regfree(&re);
    return ok;
}

/* The rule rows of the document, in order; *n of them (the caller frees each line and the array). */
static struct row *rule_rows(size_t *n)
{
    char *doc = slurp(DOC), *save = NULL;
    struct row *rows = calloc(512, sizeof *rows);
    cr_assert_not_null(rows);
    *n = 0;
    for (char *line = strtok_r(doc, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        struct row r;
        if (!row_split(line, &r))
            continue;
        if (r.ncells > 0 && is_rule_id(r.cell[0]) && *n < 512)
            rows[(*n)++] = r;
        else
            free(r.line);
    }
    free(doc);
    return rows;
}

/* Calls f for every `suite/name` cited in a tests cell, with whether it is marked pending. */
static void cited_tests(const char *cell, void (*f)(const char *name, bool pending, void *arg), void *arg)
{
    regex_t re;
    cr_assert_eq(regcomp(&re, "`([a-z0-9_]+/[a-z0-9_]+)`( \\[pending-merge\\])?", REG_EXTENDED), 0);
    regmatch_t m[3];
    for (const char *p = cell; regexec(&re, p, 3, m, 0) == 0; p += m[0].rm_eo) {
        char name[256];
        snprintf(name, sizeof name, "%.*s", (int)(m[1].rm_eo - m[1].rm_so), p + m[1].rm_so);
        f(name, m[2].rm_so >= 0, arg);
    }
    regfree(&re);
}

struct check {
    struct names tests;
    const char *rule;
    int missing, merged, pending, cited;
};

static void check_one(const char *name, bool pending, void *arg)
{
    struct check *k = arg;
    bool exists = names_has(&k->tests, name);
    k->cited++;
    if (pending && exists) {
        cr_log_error("%s: %s exists now: remove its " PENDING " marker", k->rule, name);
        k->merged++;
    } else if (pending) {
        cr_log_info("%s: %s is pending another branch", k->rule, name);
        k->pending++;
    } else if (!exists) {
        cr_log_error("%s: %s is not a test in tests/integration or tests/unit", k->rule, name);
        k->missing++;
    }
}

Test(rules_doc, every_cited_test_exists)
{
    struct check k = {0};
    all_tests(&k.tests);
    size_t n;
    struct row *rows = rule_rows(&n);
    cr_assert_geq(n, 40, "docs/rules.md has only %zu rules", n);
    for (size_t i = 0; i < n; i++) {
        k.rule = rows[i].cell[0];
        cited_tests(rows[i].cell[rows[i].ncells - 1], check_one, &k);
    }
    cr_assert_eq(k.missing, 0, "%d cited test(s) do not exist (listed above)", k.missing);
    cr_assert_eq(k.merged, 0, "%d test(s) marked " PENDING " exist: remove the marker", k.merged);
    cr_assert_gt(k.cited, n, "fewer citations than rules");
    for (size_t i = 0; i < n; i++)
        free(rows[i].line);
    free(rows);
    names_free(&k.tests);
}

static void count_one(const char *name, bool pending, void *arg)
{
    (void)name;
    (void)pending;
    (*(int *)arg)++;
}

Test(rules_doc, every_rule_has_a_unique_id_a_source_enforcement_and_a_test)
{
    size_t n;
    struct row *rows = rule_rows(&n);
    struct names ids = {0};
    for (size_t i = 0; i < n; i++) {
        struct row *r = &rows[i];
        cr_assert_eq(r->ncells, 5, "%s: a rule row has 5 cells (id, rule, source, enforced in, "
                                   "tests), not %d", r->cell[0], r->ncells);
        cr_assert_not(names_has(&ids, r->cell[0]), "%s appears twice", r->cell[0]);
        names_add(&ids, r->cell[0]);
        int cited = 0;
        cited_tests(r->cell[4], count_one, &cited);
        /* a rule no test can check says so and why ("none: …") */
        cr_assert(cited > 0 || strncmp(r->cell[4], "none: ", 6) == 0,
                  "%s cites no test and gives no reason", r->cell[0]);
    }
    names_free(&ids);
    for (size_t i = 0; i < n; i++)
        free(rows[i].line);
    free(rows);
}

Test(rules_doc, every_trace_test_is_cited)
{
    struct names trace = {0};
    tests_of_file(CRT_SOURCE_DIR "/tests/integration/test_rules_trace.c", &trace);
    cr_assert_gt(trace.n, 5);
    char *doc = slurp(DOC);
    for (size_t i = 0; i < trace.n; i++) {
        char quoted[300];
        snprintf(quoted, sizeof quoted, "`%s`", trace.v[i]);
        cr_expect_not_null(strstr(doc, quoted), "%s traces no rule of docs/rules.md", trace.v[i]);
    }
    free(doc);
    names_free(&trace);
}
