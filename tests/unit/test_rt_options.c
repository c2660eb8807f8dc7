/* LEAKGRAPH_OPTIONS parsing: values, suffixes, and bad input kept at the default. */
#include "options.h"

#include <criterion/criterion.h>
#include <criterion/redirect.h>

Test(options, defaults_come_from_the_table)
{
    struct lg_opts o;
    lg_options_defaults(&o);
    cr_assert_eq(o.stack_depth, 30);
    cr_assert_eq(o.follow_children, 1);
    cr_assert_str_eq(o.show_leak_kinds, "definite,indirect,possible,cyclic");
}

Test(options, parses_every_type)
{
    struct lg_opts o;
    lg_options_defaults(&o);
    int bad = lg_options_parse(&o, "stack_depth=12:fast_unwind=yes:log_path=/tmp/x.%p:stop_timeout_ms=2K");
    cr_assert_eq(bad, 0);
    cr_assert_eq(o.stack_depth, 12);
    cr_assert_eq(o.fast_unwind, 1);
    cr_assert_str_eq(o.log_path, "/tmp/x.%p");
    cr_assert_eq(o.stop_timeout_ms, 2048);
}

Test(options, bad_entries_keep_defaults, .init = cr_redirect_stderr)
{
    struct lg_opts o;
    lg_options_defaults(&o);
    int bad = lg_options_parse(&o, "stack_depth=abc:nonsense=1:follow_children=maybe:noequals::report=0");
    cr_assert_eq(bad, 4);
    cr_assert_eq(o.stack_depth, 30);
    cr_assert_eq(o.follow_children, 1);
    cr_assert_eq(o.report, 0, "good entries after bad ones still apply");
    cr_assert_stderr_neq_str("", "each bad entry is reported");
}

Test(options, integer_overflow_is_rejected, .init = cr_redirect_stderr)
{
    struct lg_opts o;
    lg_options_defaults(&o);
    cr_assert_eq(lg_options_parse(&o, "stack_depth=99999999999999999999999"), 1);
    cr_assert_eq(lg_options_parse(&o, "stack_depth=9999999999999999G"), 1);
    cr_assert_eq(o.stack_depth, 30);
}
