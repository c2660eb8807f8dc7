/* Edge cases of the incremental collections: collect_edges [rounds=40] [seed=1] [ops=30]
 * [blocks=500]. Blocks of 8 to 200,000 bytes, sizes not multiples of 8, whose words are
 * changed at random between collections: zeros, small integers, start, interior,
 * one-past-the-end, unaligned and dangling pointers; blocks freed and allocated again
 * at the same address, realloc'd, copied over one another, their words shifted, zeroed,
 * and runs of words written in large blocks. The tracer's roots are found only through
 * roots[] and the blocks (the program's own table of blocks is XORed). Run under
 * collect_verify=1, which compares every collection with a full rescan. Prints "done". */
#include "leakgraph.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MASK ((uintptr_t)0xa5a5a5a5a5a5a5a5ULL)
#define MAXB 4096
#define NROOTS 24

void *roots[NROOTS];
static uintptr_t reg[MAXB]; /* XORed */
static size_t sz[MAXB];
static int n;
static uintptr_t freed[256]; /* XORed addresses of freed blocks */
static int nfreed;
static uint64_t rng;

static uint64_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static char *blk(int i) { return (char *)(reg[i] ^ MASK); }

static size_t pick_size(void)
{
    static const size_t s[] = {8, 13, 16, 20, 24, 31, 40, 60, 64, 100, 200, 1000, 4096, 5000, 20000};
    uint64_t r = rnd() % 100;
    if (r == 0)
        return 200000; /* mmapped */
    return s[rnd() % (sizeof s / sizeof *s)];
}

static int pickb(void) { return n ? (int)(rnd() % (uint64_t)n) : -1; }

/* a random word value */
static uintptr_t value(void)
{
    int b = pickb();
    switch (rnd() % 12) {
    case 0: return 0;
    case 1: return rnd() % 1000;
    case 2: case 3: case 4: case 5: return b >= 0 ? (uintptr_t)blk(b) : 0;
    case 6: return b >= 0 ? (uintptr_t)blk(b) + 8 * (rnd() % (sz[b] / 8 + 1)) : 0; /* interior / end */
    case 7: return b >= 0 ? (uintptr_t)blk(b) + sz[b] : 0; /* one past */
    case 8: case 9: return nfreed ? freed[rnd() % (uint64_t)nfreed] ^ MASK : 0; /* dangling */
    case 10: return b >= 0 ? (uintptr_t)blk(b) + 1 + rnd() % 7 : 0; /* unaligned interior */
    default: return b >= 0 ? (uintptr_t)blk(b) : 0;
    }
}

static void set_word(int a, size_t slot, uintptr_t v)
{
    uintptr_t *p = (uintptr_t *)blk(a) + slot;
    *p = v;
}

static void op(void)
{
    int a = pickb();
    switch (rnd() % 16) {
    case 0: case 1: /* new block */
        if (n < MAXB) {
            size_t s = pick_size();
            char *p = calloc(1, s);
            if (!p)
                break;
            sz[n] = s;
            reg[n++] = (uintptr_t)p ^ MASK;
            for (size_t k = 0; k < s / 8 && k < 4; k++)
                ((uintptr_t *)p)[k] = value();
            if (a >= 0 && sz[a] >= 8 && rnd() % 3)
                set_word(a, rnd() % (sz[a] / 8), (uintptr_t)p);
            else
                roots[rnd() % NROOTS] = p;
        }
        break;
    case 2: case 3: case 4: case 5: case 6: /* store a word */
        if (a >= 0 && sz[a] >= 8)
            set_word(a, rnd() % (sz[a] / 8), value());
        break;
    case 7: /* several words of a large block */
        if (a >= 0 && sz[a] >= 64) {
            size_t s0 = rnd() % (sz[a] / 8);
            for (size_t k = 0; k < 1 + rnd() % 4 && s0 + k < sz[a] / 8; k++)
                set_word(a, s0 + k, value());
        }
        break;
    case 8: /* root */
        roots[rnd() % NROOTS] = (void *)value();
        break;
    case 9: /* free */
        if (a >= 0 && n > 4) {
            if (nfreed < 256)
                freed[nfreed++] = reg[a];
            else
                freed[rnd() % 256] = reg[a];
            free(blk(a));
            reg[a] = reg[n - 1];
            sz[a] = sz[n - 1];
            n--;
        }
        break;
    case 10: /* realloc */
        if (a >= 0) {
            size_t s = rnd() % 2 ? sz[a] : pick_size();
            char *old = blk(a);
            char *p = realloc(old, s);
            if (p) {
                if (p != old && nfreed < 256)
                    freed[nfreed++] = (uintptr_t)old ^ MASK;
                if (s > sz[a])
                    memset(p + sz[a], 0, s - sz[a]);
                reg[a] = (uintptr_t)p ^ MASK;
                sz[a] = s;
            }
        }
        break;
    case 11: /* memcpy a block's prefix over another's */
        if (a >= 0) {
            int b = pickb();
            size_t m = sz[a] < sz[b] ? sz[a] : sz[b];
            memmove(blk(a), blk(b), m);
        }
        break;
    case 12: /* shift words within a block (moves pointers to other offsets) */
        if (a >= 0 && sz[a] >= 24)
            memmove(blk(a) + 8, blk(a), sz[a] - 8 - (sz[a] % 8));
        break;
    case 13: /* zero a block (everything out of the window) */
        if (a >= 0 && rnd() % 4 == 0)
            memset(blk(a), 0, sz[a]);
        break;
    default: /* free and allocate again at once: often the same address */
        if (a >= 0) {
            size_t s = sz[a];
            if (nfreed < 256)
                freed[nfreed++] = reg[a];
            free(blk(a));
            char *p = calloc(1, s);
            if (!p) { /* out of memory: forget the slot */
                reg[a] = reg[n - 1];
                sz[a] = sz[n - 1];
                n--;
                break;
            }
            reg[a] = (uintptr_t)p ^ MASK;
            for (size_t k = 0; k < s / 8 && k < 3; k++)
                ((uintptr_t *)p)[k] = value();
        }
        break;
    }
}

int main(int argc, char **argv)
{
    int rounds = argc > 1 ? atoi(argv[1]) : 40;
    rng = (argc > 2 ? strtoull(argv[2], NULL, 10) : 1) * 0x9E3779B97F4A7C15ull + 1;
    int ops = argc > 3 ? atoi(argv[3]) : 30;
    int nb = argc > 4 ? atoi(argv[4]) : 500;
    if (!LEAKGRAPH_AVAILABLE()) {
        puts("done");
        return 0;
    }
    /* a connected start: a chain plus random links */
    for (int i = 0; i < nb && n < MAXB; i++) {
        size_t s = pick_size();
        char *p = calloc(1, s);
        if (!p)
            return 1;
        sz[n] = s;
        reg[n++] = (uintptr_t)p ^ MASK;
        if (i)
            ((uintptr_t *)blk(i - 1 - (int)(rnd() % (uint64_t)(i < 8 ? i : 8))))[0] = (uintptr_t)p;
        else
            roots[0] = p;
    }
    for (int i = 0; i < nb; i++)
        if (sz[i] >= 16)
            set_word(i, 1 + rnd() % (sz[i] / 8 - 1), value());
    leakgraph_collect();
    for (int r = 0; r < rounds; r++) {
        for (int i = 0; i < ops; i++)
            op();
        leakgraph_collect();
    }
    puts("done");
    return 0;
}
