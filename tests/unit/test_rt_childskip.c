/* trace_children_skip's glob: '*' and '?' only, iterative, whole-string matches. */
#include "childskip.h"

#include <criterion/criterion.h>
#include <string.h>

static bool g(const char *pat, const char *s) { return lg_childskip_glob(pat, (unsigned)strlen(pat), s); }

Test(childskip, glob)
{
    cr_assert(g("sh", "sh"));
    cr_assert_not(g("sh", "bash"));
    cr_assert(g("*sh", "bash"));
    cr_assert(g("py*", "python3.11"));
    cr_assert(g("?ash", "dash"));
    cr_assert_not(g("?ash", "ash"));
    cr_assert(g("*", ""));
    cr_assert_not(g("a", ""));
    cr_assert(g("a*b*c", "aXXbYYbZc"));
    cr_assert_not(g("a*b*c", "aXXbYYbZ"));
    cr_assert(lg_childskip_glob("sh,make", 2, "sh"), "only len bytes of the pattern count");
}

Test(childskip, list_matches_this_process)
{
    /* The Criterion runner: its executable's base name is "unit-rt". */
    cr_assert(lg_childskip_match("nothing,unit-rt"));
    cr_assert(lg_childskip_match("*unit-r?"));
    cr_assert_not(lg_childskip_match("sh,make"));
    cr_assert_not(lg_childskip_match(""));
}
