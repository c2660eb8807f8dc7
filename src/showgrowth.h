/* objgraph's show_growth for the heap: per allocation site, the live blocks now and
 * how far their count rose above the highest count seen at earlier reports (the
 * peak), printed on stderr and, with growth_json, appended as JSON lines. A site that
 * shrinks and grows back to its old peak is not reported again. */
#ifndef LG_SHOWGROWTH_H
#define LG_SHOWGROWTH_H

#include <stdbool.h>
#include <stdint.h>

/* One growth report: counts the live blocks per site (a copy taken under the block
 * table's locks), raises the peaks, then names the top growth_limit sites (dladdr,
 * else the file's .symtab) and prints them (text: on stderr; JSON: growth_json).
 * snapshot: the number of the snapshot file of this trigger, 0 if none; reason: enum
 * lg_snap_reason, 0 for leakgraph_show_growth(). Returns the rows reported or -errno.
 * Takes no tracer lock across dladdr (which takes the loader lock). Not AS-safe. */
int lg_showgrowth_run(uint32_t snapshot, int reason, bool text);

/* After a trigger's snapshot: a report when show_growth or growth_json asks for it. */
void lg_showgrowth_at_trigger(uint32_t snapshot, int reason);

/* In a fork child: the lock another thread may have held is forgotten. */
void lg_showgrowth_atfork_child(void);

#endif
