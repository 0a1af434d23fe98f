/* Unit: the erasure ledger file (common/ledger.c) — lines written and read back, only ids and
 * codes accepted, a missing or malformed ledger refused rather than read as empty. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "crt/ledger.h"

#define A "0b6f2f3e-1c2d-4e5f-8a9b-0c1d2e3f4a5b"
#define B "9a8b7c6d-5e4f-4a3b-9c2d-1e0f9a8b7c6d"

static char folder[64];

static void make_folder(void)
{
    snprintf(folder, sizeof folder, "/tmp/crt-ledger.XXXXXX");
    cr_assert_not_null(mkdtemp(folder));
}

static void remove_folder(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", folder);
    cr_assert_eq(system(cmd), 0);
}

TestSuite(ledger, .init = make_folder, .fini = remove_folder);

struct seen {
    int n;
    struct ledger_entry e[4];
};

static bool collect(const struct ledger_entry *e, void *arg)
{
    struct seen *s = arg;
    if (s->n < 4)
        s->e[s->n] = *e;
    s->n++;
    return true;
}

static void path_of(char *out, size_t n, const char *name)
{
    snprintf(out, n, "%s/%s", folder, name);
}

Test(ledger, lines_are_appended_and_read_back_in_order)
{
    char path[128];
    struct seen s = {0};
    path_of(path, sizeof path, "erasure-ledger");
    cr_assert(ledger_append(path, A, "data_subject_request", "42"));
    cr_assert(ledger_append(path, B, "retention", NULL));
    cr_assert(ledger_each(path, collect, &s));
    cr_assert_eq(s.n, 2);
    cr_assert_str_eq(s.e[0].person, A);
    cr_assert_str_eq(s.e[0].reason, "data_subject_request");
    cr_assert_eq(s.e[0].request, 42);
    cr_assert_str_eq(s.e[1].person, B);
    cr_assert_eq(s.e[1].request, 0);
    cr_assert_eq(strlen(s.e[1].at), 20, "YYYY-MM-DDTHH:MM:SSZ: %s", s.e[1].at);
}

Test(ledger, only_ids_and_codes_are_written)
{
    char path[128];
    path_of(path, sizeof path, "erasure-ledger");
    cr_assert_not(ledger_append(path, "Olena Kovalenko", "retention", NULL), "a name");
    cr_assert_not(ledger_append(path, A, "because", NULL), "an unknown reason");
    cr_assert_not(ledger_append(path, A, "data_subject_request", "12a"), "a request number");
    cr_assert_not(ledger_append("", A, "retention", NULL), "no ledger configured");
    cr_assert_eq(access(path, F_OK), -1, "nothing was written");
}

Test(ledger, an_unwritable_ledger_refuses_the_line)
{
    char path[128];
    path_of(path, sizeof path, "no-such-folder/erasure-ledger");
    cr_assert_not(ledger_append(path, A, "retention", NULL));
}

Test(ledger, a_missing_or_malformed_ledger_is_not_read_as_empty)
{
    char path[128];
    struct seen s = {0};
    path_of(path, sizeof path, "erasure-ledger");
    cr_assert_not(ledger_each(path, collect, &s), "a restore without its ledger must fail");
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    fprintf(f, "# comment\n2026-12-07T00:00:00Z\t%s\tretention\t-\nnot a line\n", A);
    fclose(f);
    cr_assert_not(ledger_each(path, collect, &s));
    cr_assert_eq(s.n, 1, "read up to the malformed line");
}
