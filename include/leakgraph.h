/* leakgraph: the public API for programs that want to talk to the tracer.
 * Link nothing: every function is a weak reference here, so a program built with
 * this header runs unchanged without libleakgraph.so (the calls then do nothing).
 * Use LEAKGRAPH_AVAILABLE() to ask whether the tracer is loaded. */
#ifndef LEAKGRAPH_H
#define LEAKGRAPH_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#define LEAKGRAPH_VERSION_MAJOR 0
#define LEAKGRAPH_VERSION_MINOR 1

/* Writes a snapshot of the heap graph to path (%p becomes the pid), stopping every
 * thread while it scans. The file is created with mode 0600; an existing file owned
 * by the caller is replaced if this process wrote it or it predates the process (else
 * the snapshot goes to path.PID), a symlink is refused. Analyse it with
 * `leakgraph analyze PATH`. Returns 0, or a negative errno value.
 * Thread safety: any thread; snapshots are serialised. Not async-signal-safe. */
int leakgraph_snapshot(const char *path) __attribute__((weak));

/* Like objgraph.show_growth(): prints on stderr, per allocation site (its first frame
 * as "function+0xoff (module)"), the live blocks and bytes now and how much the count
 * rose above its peak, the highest count seen at earlier calls and snapshot triggers;
 * only sites above their peak, largest growth first, growth_limit rows (default 10).
 * Also appends them to growth_json when set. Returns the rows printed, or a negative
 * errno value. Thread safety: any thread. Not async-signal-safe. */
int leakgraph_show_growth(void) __attribute__((weak));

/* ---- Annotations: honoured by the mark, the reports, `leakgraph chain` and `dot`. ----
 * Each returns 0, or a negative errno value: -ENOENT when ptr does not start a live heap
 * block, -EINVAL for a bad argument, -ENOTSUP when the tracer is off. Thread safety: any
 * thread. Not async-signal-safe. Annotations of a block go when it is freed; realloc
 * carries a block's tag and ignore flag to the new block. */

/* Gives the block at ptr a type tag (up to 63 bytes are kept; 4096 distinct tags):
 * reports group by it with --by tag, chains and pictures show it. */
int leakgraph_tag(const void *ptr, const char *name) __attribute__((weak));

/* Never reports the block at ptr, nor what only it keeps alive, as leaked (LSan's
 * __lsan_ignore_object); the summary counts them as "ignored". */
int leakgraph_ignore(const void *ptr) __attribute__((weak));

/* Marks the pointer-sized, 8-byte-aligned slot at slot as weak: the pointer stored there
 * keeps nothing alive and is never part of a retention chain (Python's weakref), the way
 * to break an intended cycle such as a child's pointer to its parent. The slot may be in
 * a heap block (the mark goes when the block is freed), a global or any memory. */
int leakgraph_weak(void *const *slot) __attribute__((weak));

/* Scans [addr, addr + len) as a root at every snapshot, for memory the tracer cannot
 * see as a root by itself (a custom pool inside a file mapping, memory of another
 * allocator). Up to 4096 ranges. */
int leakgraph_register_root(const void *addr, size_t len) __attribute__((weak));
/* Forgets the range registered at addr. */
int leakgraph_unregister_root(const void *addr) __attribute__((weak));

/* ---- Collections: the live reference graph, like Python's gc module ---- */

/* Stops every thread, scans and classifies the heap in the process (incrementally: only
 * new blocks and what changed since the last collection are rescanned) and returns how
 * many blocks are unreachable now (definitely or indirectly lost), like gc.collect(); or
 * a negative errno value. Thread safety: any thread; collections are serialised. Not
 * async-signal-safe. */
long leakgraph_collect(void) __attribute__((weak));

#define LEAKGRAPH_DEFINITE 1
#define LEAKGRAPH_INDIRECT 2
#define LEAKGRAPH_GARBAGE_FRAMES 16

/* One unreachable block of the last collection. */
struct leakgraph_garbage {
    void *addr;
    size_t size;
    int kind;            /* LEAKGRAPH_DEFINITE or LEAKGRAPH_INDIRECT */
    int fresh;           /* 1 when it was not unreachable at the collection before */
    unsigned cycle;      /* 0, or the number of the cycle of unreachable blocks it sits in */
    unsigned depth;      /* frames in stack */
    void *stack[LEAKGRAPH_GARBAGE_FRAMES]; /* allocation stack, innermost caller first */
    void *last_store;    /* code address of the last instrumented store that overwrote a
                            reference to it, or NULL (see leakgraph cflags) */
};

/* Like gc.garbage: copies up to cap unreachable blocks of the last collection, in address
 * order, into out and returns how many there are (which may exceed cap), or a negative
 * errno value. Thread safety: any thread. Not async-signal-safe. */
long leakgraph_garbage(struct leakgraph_garbage *out, size_t cap) __attribute__((weak));

/* The store barrier for annotated code: LEAKGRAPH_STORE(node->next, other) stores other in
 * node->next and tells the tracer which slot changed (and which reference it overwrote),
 * so incremental collections rescan it. Without the tracer it is a plain store.
 * The common case is inline and calls nothing: the tracer publishes the window of the
 * heap it watches and a table with one byte per 64-byte card, and the macro marks the
 * slot's card itself, before the store and again after it (a collection that stops the
 * thread in between reads the slot again at the next one). It calls leakgraph_note_store
 * only for a slot outside the table (still inside the heap: the tracer keeps the slot as
 * the thread's pending write), and, with collect_last_store=1, when the store overwrites
 * a heap reference with another value; leakgraph_note_stored, after the store, only when
 * a collection moved the window in between. */
struct leakgraph_store_overwrite_ {
    volatile unsigned long value, pc; /* the last store that overwrote a reference to value */
};
struct leakgraph_store_window {
    unsigned long card_base, card_span;  /* slots in [card_base, card_base + card_span)... */
    volatile unsigned char *cards;       /* ...have their card, (slot - card_base) >> 6, set to 1 */
    unsigned long heap_lo, heap_span;    /* the heap: [heap_lo, heap_lo + heap_span) */
    int last_store;                      /* collect_last_store */
    int overwrite_shift;                 /* 64 - log2 of the overwrite table's entries */
    struct leakgraph_store_overwrite_ *overwrites; /* by (value * LEAKGRAPH_OVERWRITE_MUL) >> shift */
};
#define LEAKGRAPH_OVERWRITE_MUL 0x9E3779B97F4A7C15ull
extern struct leakgraph_store_window leakgraph_store_window __attribute__((weak));
void leakgraph_note_store(void *slot, const void *value) __attribute__((weak));
void leakgraph_note_stored(void *slot) __attribute__((weak));
#define LEAKGRAPH_NOTED_ ((volatile unsigned char *)1)
static inline __attribute__((always_inline)) volatile unsigned char *leakgraph_store_barrier_(void *slot,
                                                                                           const void *value)
{
    struct leakgraph_store_window *w = &leakgraph_store_window;
    unsigned long a = (unsigned long)slot, d;
    if (!w)
        return 0; /* no tracer */
    d = a - w->card_base;
    if (d < w->card_span) {
        volatile unsigned char *c = w->cards + (d >> 6);
        if (!*c)
            *c = 1;
        if (w->last_store && !(a & 7)) {
            unsigned long old = *(const volatile unsigned long *)slot;
            if (old != (unsigned long)value && old - w->heap_lo < w->heap_span) {
#if defined(__x86_64__)
                struct leakgraph_store_overwrite_ *e =
                    w->overwrites + (unsigned long)((old * LEAKGRAPH_OVERWRITE_MUL) >> w->overwrite_shift);
                unsigned long pc;
                __asm__ __volatile__("lea 0(%%rip), %0" : "=r"(pc)); /* this store's code address */
                e->value = 0;
                e->pc = pc;
                e->value = old;
#else
                leakgraph_note_store(slot, value);
#endif
            }
        }
        __asm__ __volatile__("" ::: "memory"); /* the card is marked before the store */
        return c;
    } else if (a - w->heap_lo < w->heap_span) {
        leakgraph_note_store(slot, value);
        return LEAKGRAPH_NOTED_;
    }
    return 0;
}
/* After the store: the slot's card again (c, when the barrier marked it); nothing when
 * leakgraph_note_store was called (the tracer then holds the slot as the thread's
 * pending write); else the window read anew (a collection may have changed it). */
static inline __attribute__((always_inline)) void leakgraph_store_after_(void *slot, volatile unsigned char *c)
{
    struct leakgraph_store_window *w = &leakgraph_store_window;
    unsigned long a = (unsigned long)slot, d;
    if (c == LEAKGRAPH_NOTED_)
        return;
    if (c) {
        __asm__ __volatile__("" : "+r"(c) : "m"(*(const char(*)[8])slot)); /* c: known after the store */
        if (!*c)
            *c = 1;
        return;
    }
    if (!w)
        return;
    __asm__ __volatile__("" ::: "memory");
    d = a - w->card_base;
    if (d < w->card_span) {
        if (!w->cards[d >> 6])
            w->cards[d >> 6] = 1;
    } else if (a - w->heap_lo < w->heap_span && leakgraph_note_stored) {
        leakgraph_note_stored(slot);
    }
}
#define LEAKGRAPH_STORE(lhs, rhs)                                                         \
    do {                                                                                  \
        volatile unsigned char *leakgraph_card_ =                                         \
            leakgraph_store_barrier_((void *)&(lhs), (const void *)(rhs));                 \
        (lhs) = (rhs);                                                                    \
        leakgraph_store_after_((void *)&(lhs), leakgraph_card_);                          \
    } while (0)

/* The tracer's version string, e.g. "0.1.0". */
const char *leakgraph_version(void) __attribute__((weak));

/* True when libleakgraph.so is loaded into this process. */
#define LEAKGRAPH_AVAILABLE() (leakgraph_version != 0)

#ifdef __cplusplus
}
#endif

#endif
