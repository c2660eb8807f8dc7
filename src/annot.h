/* Annotations the program gives through the public API: type tags and "ignore" on
 * blocks, weak pointer slots, and registered roots. Kept in tracer memory under one
 * lock (annotations are rare calls); the allocation path pays nothing, and a free pays
 * one branch unless the block itself was annotated (LG_SEQ_ANNOTATED in its record). */
#ifndef LG_ANNOT_H
#define LG_ANNOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LG_ANNOT_MAX_TAGS 4096
#define LG_ANNOT_TAG_LEN 63
#define LG_ANNOT_MAX_ROOTS 4096

/* Public API back ends: 0 or a negative errno value. */
int lg_annot_tag(uintptr_t block, const char *name);
int lg_annot_ignore(uintptr_t block);
int lg_annot_weak(uintptr_t slot);
int lg_annot_register_root(uintptr_t addr, size_t len);
int lg_annot_unregister_root(uintptr_t addr);

/* The block [addr, addr + size) was freed and had LG_SEQ_ANNOTATED: its annotations
 * and the weak slots inside it go. */
void lg_annot_forget(uintptr_t addr, size_t size);
/* The same with the annotation lock held (lg_annot_lock): the stops that drain batched frees. */
void lg_annot_forget_locked(uintptr_t addr, size_t size);
/* realloc moved an annotated block: its tag and flags follow it (weak slots do not). */
void lg_annot_move(uintptr_t from, size_t from_size, uintptr_t to);

/* ---- for the snapshot, with the world stopped and the annotation lock held ---- */
void lg_annot_lock(void);
void lg_annot_unlock(void);
/* The crash path's: tries for up to ms; true when taken. AS-safe. */
bool lg_annot_lock_within(long ms);
/* The tag id and flags (enum lg_snap_block_attr_flags) of an annotated block. */
bool lg_annot_block(uintptr_t addr, uint32_t *tag, uint32_t *flags);
/* Tag names: ids 1..count. */
uint32_t lg_annot_tag_count(void);
/* Annotated blocks (tagged, ignored, holding weak slots); annot lock held. */
uint64_t lg_annot_block_count(void);
const char *lg_annot_tag_name(uint32_t id);
/* Whether any weak slot exists (the scanner skips the lookup otherwise). */
bool lg_annot_has_weak(void);
/* Whether the word at slot is weak, given the sequence number of the block holding it
 * (0 for roots): a slot recorded without a known owner is stale if that block is
 * younger than the annotation. */
bool lg_annot_is_weak(uintptr_t slot, uint64_t holder_seq);
/* Registered roots: index 0..count-1. */
uint32_t lg_annot_root_count(void);
void lg_annot_root(uint32_t i, uintptr_t *addr, size_t *len);

void lg_annot_atfork_child(void);

#endif
