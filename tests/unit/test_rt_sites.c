/* The site depot: identical stacks intern to one id, different stacks to different ids. */
#include "guard.h"
#include "sites.h"

#include <criterion/criterion.h>
#include <pthread.h>
#include <signal.h>

static void setup(void) { lg_sites_init(0, 0, 30, false); }

TestSuite(sites, .init = setup);

Test(sites, dedup)
{
    uintptr_t a[] = {0x401000, 0x402000, 0x403000};
    uintptr_t b[] = {0x401000, 0x402000, 0x403004};
    uint32_t ia = lg_sites_intern(a, 3), ia2 = lg_sites_intern(a, 3), ib = lg_sites_intern(b, 3);
    uint32_t ishort = lg_sites_intern(a, 2);
    cr_assert_neq(ia, 0);
    cr_assert_eq(ia, ia2);
    cr_assert_neq(ia, ib);
    cr_assert_neq(ia, ishort, "a prefix is a different stack");
    cr_assert_eq(lg_sites_count(), 3);
}

Test(sites, list_holds_every_site)
{
    for (uintptr_t i = 1; i <= 5000; i++) {
        uintptr_t pc[2] = {i, i * 3};
        lg_sites_intern(pc, 2);
    }
    uint32_t n = 0;
    for (const struct lg_site *s = lg_sites_first(); s; s = s->all_next)
        n++;
    cr_assert_eq(n, 5000);
    cr_assert_eq(lg_sites_count(), 5000);
}

static __attribute__((noinline)) uint32_t capture_here(void) { return lg_sites_capture(); }

Test(sites, capture_distinguishes_call_sites)
{
    uint32_t a = capture_here();
    uint32_t b = capture_here();
    cr_assert_neq(a, 0);
    cr_assert_neq(b, 0);
    cr_assert_neq(a, b, "two call lines have two return addresses");
    uint32_t c = 0;
    for (volatile int i = 0; i < 2; i++) { /* volatile: no unrolling into two call sites */
        uint32_t x = capture_here();
        if (i == 0)
            c = x;
        else
            cr_assert_eq(c, x, "the same line twice is one site");
    }
}

/* The frame-pointer walk (fast_unwind=1) on this thread's own stack. */
static void setup_walk(void)
{
    lg_sites_init(0, 0, 30, true);
    pthread_attr_t a;
    void *lo;
    size_t size;
    cr_assert_eq(pthread_getattr_np(pthread_self(), &a), 0);
    pthread_attr_getstack(&a, &lo, &size);
    pthread_attr_destroy(&a);
    lg_sites_set_thread_stack((uintptr_t)lo, (uintptr_t)lo + size);
}

/* n frames of its own, each returning to the same line, then the capture. */
static __attribute__((noinline)) uint32_t nest(int n)
{
    if (n == 0)
        return lg_sites_capture();
    uint32_t id = nest(n - 1);
    __asm__ volatile("" ::: "memory"); /* no tail call: each level keeps its frame */
    return id;
}

static const struct lg_site *site_of(uint32_t id)
{
    for (const struct lg_site *s = lg_sites_first(); s; s = s->all_next)
        if (s->id == id)
            return s;
    return NULL;
}

Test(walk, site_equals_the_same_stack_interned, .init = setup_walk)
{
    uint32_t id = nest(5);
    const struct lg_site *s = site_of(id);
    cr_assert_not_null(s);
    cr_assert_geq(s->depth, 7, "the walk went up through the nest (%u frames)", s->depth);
    for (uint32_t i = 1; i < 5; i++)
        cr_assert_eq(s->pc[i], s->pc[1], "frame %u returns into nest like frame 1", i);
    /* the walk hashes as it goes: the hash must be the one interning computes */
    cr_assert_eq(lg_sites_intern(s->pc, s->depth), id);
    cr_assert_eq(lg_sites_count(), 1);
    cr_assert_eq(lg_sites_unwinds(), 0, "no libunwind in fast_unwind mode");
}

Test(walk, depths_are_sites_and_the_limit_holds, .init = setup_walk)
{
    uint32_t a[2];
    for (volatile int i = 0; i < 2; i++) /* volatile: one call line, twice */
        a[i] = nest(3);
    uint32_t b = nest(4);
    cr_assert_neq(a[0], b);
    cr_assert_eq(a[0], a[1], "the same stack twice is one site");
    cr_assert_eq(site_of(b)->depth, site_of(a[0])->depth + 1);
    uint32_t deep = nest(100), deeper = nest(120);
    const struct lg_site *d = site_of(deep);
    cr_assert_eq(d->depth, 30, "a 100-deep stack keeps its 30 innermost frames");
    cr_assert_eq(deeper, deep, "past the limit, more frames above are the same site");
    cr_assert_eq(lg_sites_intern(d->pc, d->depth), deep);
}

/* An allocation inside the tracer is a signal handler's when the walk meets glibc's
 * signal return trampoline. */
static uint32_t handler_site;
static bool handler_seen;

static void capture_in_handler(int sig)
{
    (void)sig;
    handler_site = lg_sites_capture_handler(&handler_seen);
}

Test(walk, a_signal_handler_is_told_from_other_code, .init = setup_walk)
{
    bool handler = true;
    cr_assert_eq(lg_sites_capture_handler(&handler), 0);
    cr_assert_not(handler, "no signal frame here");
    signal(SIGUSR1, capture_in_handler);
    raise(SIGUSR1);
    cr_assert(handler_seen, "the walk met __restore_rt");
    const struct lg_site *s = site_of(handler_site);
    cr_assert_not_null(s, "and the handler's stack is a site");
    cr_assert_geq(s->depth, 3, "the handler, the trampoline, the code it interrupted");
    cr_assert_eq(lg_sites_intern(s->pc, s->depth), handler_site);
}

/* The tracer's own work that a handler calls (an API call) allocates for the tracer; a
 * handler that interrupts the tracer's own work allocates for the program. */
static bool own_seen;

static __attribute__((noinline)) void own_work_capture(void)
{
    uintptr_t own;
    LG_OWN_BEGIN(own);
    lg_sites_capture_handler(&own_seen);
    LG_OWN_END(own);
}

static void handler_calls_own_work(int sig)
{
    (void)sig;
    own_work_capture();
}

Test(walk, the_tracers_own_work_is_told_from_a_handler, .init = setup_walk)
{
    signal(SIGUSR1, handler_calls_own_work);
    own_seen = true;
    raise(SIGUSR1);
    cr_assert_not(own_seen, "own work called by a handler allocates for the tracer");
    signal(SIGUSR1, capture_in_handler);
    handler_seen = false;
    uintptr_t own;
    LG_OWN_BEGIN(own);
    raise(SIGUSR1);
    LG_OWN_END(own);
    cr_assert(handler_seen, "a handler on top of the tracer's own work allocates for the program");
    cr_assert_eq(lg_own_sp, 0);
}
