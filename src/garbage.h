/* The unreachable blocks of the last collection (gc.garbage): kept sorted by address,
 * compared with the collection before to tell what became garbage, and printed. */
#ifndef LG_GARBAGE_H
#define LG_GARBAGE_H

#include "collect.h"
#include "livemark.h"
#include "scan.h"

#include <stdbool.h>
#include <stddef.h>

/* Replaces the list with the unreachable blocks of sc classified in m (block c of m is
 * sc's block pos[c], or c when pos is NULL; pos ascending); marks the fresh ones. False
 * when out of tracer memory (the old list stays). Collection lock held. */
bool lg_garbage_update(const struct lg_scan *sc, const struct lg_livemark *m, const uint32_t *pos);

size_t lg_garbage_count(void);
size_t lg_garbage_copy(struct lg_garbage *out, size_t cap);

/* Prints the fresh entries on stderr: kind, bytes, address, allocation site, the last
 * store that overwrote a reference to it; cycles once, as cycles. limit: lines (0: all). */
void lg_garbage_print(uint32_t collection, long limit);

void lg_garbage_reset(void);

#endif
