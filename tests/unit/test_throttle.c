/* Unit: failed-login throttling (services/api/throttle.c) — the limit, the wait it answers, the
 * window's end, and independence of keys and kinds. Times are given, so nothing sleeps. */
#include <criterion/criterion.h>

#include "api.h"

Test(throttle, the_limit_is_reached_after_that_many_failures_and_says_how_long_to_wait)
{
    time_t t0 = 1000000;
    for (int i = 0; i < 3; i++) {
        cr_assert_eq(throttle_wait('u', "limit.user", 3, 900, t0 + i), 0, "failure %d", i);
        throttle_fail('u', "limit.user", 900, t0 + i);
    }
    cr_assert_eq(throttle_wait('u', "limit.user", 3, 900, t0 + 10), 890);
    cr_assert_eq(throttle_wait('u', "limit.user", 4, 900, t0 + 10), 0, "a higher limit is not reached");
}

Test(throttle, the_count_starts_again_when_the_window_has_passed)
{
    time_t t0 = 2000000;
    for (int i = 0; i < 5; i++)
        throttle_fail('a', "192.0.2.7", 60, t0);
    cr_assert_gt(throttle_wait('a', "192.0.2.7", 5, 60, t0 + 59), 0);
    cr_assert_eq(throttle_wait('a', "192.0.2.7", 5, 60, t0 + 60), 0);
    throttle_fail('a', "192.0.2.7", 60, t0 + 60);
    cr_assert_eq(throttle_wait('a', "192.0.2.7", 2, 60, t0 + 61), 0, "one failure in the new window");
}

Test(throttle, usernames_addresses_and_kinds_are_counted_apart)
{
    time_t t0 = 3000000;
    for (int i = 0; i < 2; i++)
        throttle_fail('u', "same", 900, t0);
    cr_assert_gt(throttle_wait('u', "same", 2, 900, t0), 0);
    cr_assert_eq(throttle_wait('a', "same", 2, 900, t0), 0, "an address named like a username");
    cr_assert_eq(throttle_wait('u', "other", 2, 900, t0), 0);
}
