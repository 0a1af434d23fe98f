/* Unit: need-to-know in C (common/access.c) — field-group names, the role x field-group matrix
 * (write implies read, limits), the first missing group, and every rule of access_reason. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "crt/access.h"
#include "crt/person.h"

#define BIT(g) (1u << (g))
static const char ME[] = "11111111-1111-1111-1111-111111111111";
static const char OTHER[] = "22222222-2222-2222-2222-222222222222";

/* Facts for which no rule applies: someone else's registration, no assignment, no break-glass. */
static struct access_facts nothing(void)
{
    struct access_facts f = {.age_s = 3600, .window_days = 14};
    strcpy(f.created_by, OTHER);
    return f;
}

/* ---- field groups ---- */

Test(access_groups, every_name_maps_to_its_index)
{
    for (int g = 0; g < FG_COUNT; g++)
        cr_expect_eq(field_group_index(field_group_names[g]), g, "%s", field_group_names[g]);
    cr_expect_null(field_group_names[FG_COUNT]);
}

Test(access_groups, unknown_and_differently_cased_names_are_minus_one)
{
    cr_expect_eq(field_group_index("health"), -1);
    cr_expect_eq(field_group_index(""), -1);
    cr_expect_eq(field_group_index("Contact"), -1);
    cr_expect_eq(field_group_index("contact "), -1);
}

Test(access_groups, person_groups_come_first_in_the_same_order)
{
    for (int g = 0; g < PERSON_NGROUPS; g++) {
        cr_expect_str_eq(field_group_names[g], person_groups[g]);
        cr_expect(FG_PERSON_MASK & BIT(g));
    }
    cr_expect_eq(FG_PERSON_MASK & ~((1u << PERSON_NGROUPS) - 1), 0u);
}

/* ---- the matrix ---- */

Test(access_matrix, read_row_grants_read_only)
{
    struct access_matrix m = {0};
    cr_assert(access_matrix_set(&m, "intake", "contact", true, false));
    cr_expect_eq(access_read_mask(&m, "intake"), BIT(FG_CONTACT));
    cr_expect_eq(access_write_mask(&m, "intake"), 0u);
}

Test(access_matrix, read_write_row_grants_both)
{
    struct access_matrix m = {0};
    cr_assert(access_matrix_set(&m, "caseworker", "trajectory", true, true));
    cr_expect_eq(access_read_mask(&m, "caseworker"), BIT(FG_TRAJECTORY));
    cr_expect_eq(access_write_mask(&m, "caseworker"), BIT(FG_TRAJECTORY));
}

Test(access_matrix, write_without_read_grants_nothing)
{
    struct access_matrix m = {0};
    cr_assert(access_matrix_set(&m, "intake", "sensitive", false, true));
    cr_expect_eq(access_read_mask(&m, "intake"), 0u);
    cr_expect_eq(access_write_mask(&m, "intake"), 0u);
}

Test(access_matrix, rows_of_one_role_accumulate_and_never_revoke)
{
    struct access_matrix m = {0};
    cr_assert(access_matrix_set(&m, "intake", "identification", true, true));
    cr_assert(access_matrix_set(&m, "intake", "contact", true, false));
    cr_assert(access_matrix_set(&m, "intake", "identification", false, false));
    cr_expect_eq(m.n, 1);
    cr_expect_eq(access_read_mask(&m, "intake"), BIT(FG_IDENTIFICATION) | BIT(FG_CONTACT));
    cr_expect_eq(access_write_mask(&m, "intake"), BIT(FG_IDENTIFICATION));
}

Test(access_matrix, roles_are_independent)
{
    struct access_matrix m = {0};
    cr_assert(access_matrix_set(&m, "intake", "contact", true, true));
    cr_assert(access_matrix_set(&m, "education", "education", true, false));
    cr_expect_eq(access_read_mask(&m, "intake"), BIT(FG_CONTACT));
    cr_expect_eq(access_read_mask(&m, "education"), BIT(FG_EDUCATION));
    cr_expect_eq(access_write_mask(&m, "education"), 0u);
}

Test(access_matrix, unknown_role_has_empty_masks)
{
    struct access_matrix m = {0};
    cr_assert(access_matrix_set(&m, "coordinator", "contact", true, true));
    cr_expect_eq(access_read_mask(&m, "partner"), 0u);
    cr_expect_eq(access_write_mask(&m, "partner"), 0u);
    cr_expect_eq(access_read_mask(&m, "Coordinator"), 0u); /* roles match exactly */
    cr_expect_eq(access_read_mask(&m, ""), 0u);
}

Test(access_matrix, unknown_group_is_refused_and_adds_no_role)
{
    struct access_matrix m = {0};
    cr_expect_not(access_matrix_set(&m, "intake", "health", true, true));
    cr_expect_eq(m.n, 0);
    cr_expect_eq(access_read_mask(&m, "intake"), 0u);
}

Test(access_matrix, role_name_must_fit_its_slot)
{
    struct access_matrix m = {0};
    cr_expect(access_matrix_set(&m, "abcdefghijklmno", "contact", true, false)); /* 15 chars */
    cr_expect_not(access_matrix_set(&m, "abcdefghijklmnop", "contact", true, false)); /* 16 */
    cr_expect_eq(m.n, 1);
    cr_expect_eq(access_read_mask(&m, "abcdefghijklmnop"), 0u);
}

Test(access_matrix, at_most_sixteen_roles_but_known_roles_still_update)
{
    struct access_matrix m = {0};
    char role[16];
    for (int i = 0; i < ACCESS_MAX_ROLES; i++) {
        snprintf(role, sizeof role, "role%d", i);
        cr_assert(access_matrix_set(&m, role, "contact", true, false), "%s", role);
    }
    cr_expect_not(access_matrix_set(&m, "one_too_many", "contact", true, true));
    cr_expect_eq(m.n, ACCESS_MAX_ROLES);
    cr_expect_eq(access_read_mask(&m, "one_too_many"), 0u);
    cr_expect(access_matrix_set(&m, "role3", "situation", true, true));
    cr_expect_eq(access_write_mask(&m, "role3"), BIT(FG_SITUATION));
}

/* ---- the first missing group ---- */

Test(access_missing, nothing_missing_when_want_is_covered)
{
    cr_expect_null(access_missing_group(0, 0));
    cr_expect_null(access_missing_group(BIT(FG_CONTACT), BIT(FG_CONTACT) | BIT(FG_SITUATION)));
    cr_expect_null(access_missing_group(FG_PERSON_MASK, 0x3Fu));
}

Test(access_missing, names_the_first_missing_group_in_group_order)
{
    unsigned want = BIT(FG_SENSITIVE) | BIT(FG_CONTACT) | BIT(FG_SITUATION);
    cr_expect_str_eq(access_missing_group(want, 0), "contact");
    cr_expect_str_eq(access_missing_group(want, BIT(FG_CONTACT)), "situation");
    cr_expect_str_eq(access_missing_group(want, BIT(FG_CONTACT) | BIT(FG_SITUATION)), "sensitive");
}

Test(access_missing, bits_beyond_the_groups_are_ignored)
{
    cr_expect_null(access_missing_group(1u << FG_COUNT | 1u << 31, 0));
}

/* ---- access_reason: one rule per test, in the order the rules apply ---- */

Test(access_reason, coordinator_sees_every_person_of_the_controller)
{
    struct access_facts f = nothing();
    cr_expect_str_eq(access_reason("coordinator", ME, &f), "coordinator_scope");
}

Test(access_reason, education_sees_every_person_of_the_controller)
{
    struct access_facts f = nothing();
    cr_expect_str_eq(access_reason("education", ME, &f), "education_scope");
}

Test(access_reason, role_scope_comes_before_every_other_reason)
{
    struct access_facts f = nothing();
    f.assigned = f.break_glass = true;
    strcpy(f.created_by, ME);
    cr_expect_str_eq(access_reason("coordinator", ME, &f), "coordinator_scope");
    cr_expect_str_eq(access_reason("education", ME, &f), "education_scope");
}

Test(access_reason, an_assignment_explains_access_for_any_other_role)
{
    struct access_facts f = nothing();
    f.assigned = true;
    cr_expect_str_eq(access_reason("caseworker", ME, &f), "assignment");
    cr_expect_str_eq(access_reason("intake", ME, &f), "assignment");
}

Test(access_reason, assignment_comes_before_own_registration_and_break_glass)
{
    struct access_facts f = nothing();
    f.assigned = f.break_glass = true;
    strcpy(f.created_by, ME);
    cr_expect_str_eq(access_reason("intake", ME, &f), "assignment");
}

Test(access_reason, intake_sees_own_registration_within_the_window)
{
    struct access_facts f = nothing();
    strcpy(f.created_by, ME);
    f.age_s = 14L * 86400 - 1;
    cr_expect_str_eq(access_reason("intake", ME, &f), "own_registration");
}

Test(access_reason, own_registration_ends_exactly_when_the_window_does)
{
    struct access_facts f = nothing();
    strcpy(f.created_by, ME);
    f.age_s = 14L * 86400;
    cr_expect_null(access_reason("intake", ME, &f));
}

Test(access_reason, a_zero_day_window_gives_no_own_registration)
{
    struct access_facts f = nothing();
    strcpy(f.created_by, ME);
    f.age_s = 0;
    f.window_days = 0;
    cr_expect_null(access_reason("intake", ME, &f));
}

Test(access_reason, intake_does_not_see_someone_elses_registration)
{
    struct access_facts f = nothing();
    cr_expect_null(access_reason("intake", ME, &f));
}

Test(access_reason, own_registration_is_an_intake_rule_only)
{
    struct access_facts f = nothing();
    strcpy(f.created_by, ME);
    cr_expect_null(access_reason("caseworker", ME, &f));
    cr_expect_null(access_reason("partner", ME, &f));
}

Test(access_reason, active_break_glass_explains_access)
{
    struct access_facts f = nothing();
    f.break_glass = true;
    cr_expect_str_eq(access_reason("caseworker", ME, &f), "break_glass");
    cr_expect_str_eq(access_reason("intake", ME, &f), "break_glass");
}

Test(access_reason, own_registration_comes_before_break_glass)
{
    struct access_facts f = nothing();
    f.break_glass = true;
    strcpy(f.created_by, ME);
    cr_expect_str_eq(access_reason("intake", ME, &f), "own_registration");
}

Test(access_reason, without_any_reason_there_is_no_need_to_know)
{
    struct access_facts f = nothing();
    cr_expect_null(access_reason("caseworker", ME, &f));
    cr_expect_null(access_reason("intake", ME, &f));
}

Test(access_reason, unknown_or_differently_cased_roles_get_no_role_scope)
{
    struct access_facts f = nothing();
    cr_expect_null(access_reason("Coordinator", ME, &f));
    cr_expect_null(access_reason("admin", ME, &f));
    cr_expect_null(access_reason("", ME, &f));
}

/* Restriction of processing (GDPR art. 18) makes a person read-only elsewhere; who may read is
 * unchanged, as in the database's crt_access(). */
Test(access_reason, restriction_does_not_change_who_may_read)
{
    struct access_facts f = nothing();
    f.restricted = true;
    cr_expect_str_eq(access_reason("coordinator", ME, &f), "coordinator_scope");
    f.assigned = true;
    cr_expect_str_eq(access_reason("caseworker", ME, &f), "assignment");
    f.assigned = false;
    cr_expect_null(access_reason("caseworker", ME, &f));
}
