/* explain_config=1: prints at start-up which dirty tracking, unwinder and exit actions
 * are in use (explainconfig.c). */
#ifndef LG_EXPLAINCONFIG_H
#define LG_EXPLAINCONFIG_H

/* Prints the block when explain_config is set; called once by lg_init, after the other
 * start-up steps. */
void lg_explain_config(void);

#endif
