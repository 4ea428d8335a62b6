/*
 * qview - the console's Q-values pane and the store it draws: the
 * learning agents' tables the engines publish (engines.h, struct
 * engine_qtable), one per agent name, kept between frames.  Nothing here
 * allocates.
 */
#ifndef WATTSON_QVIEW_H
#define WATTSON_QVIEW_H

#include <stddef.h>

#include "tui/panes.h"

struct engine_qtable;

/* Keeps agent e->agent's table (a later store of the same name replaces
 * it): up to 64 agents, 12 actions and a window of 32 states around the
 * present one.  0, 1 when clipped, -1 on bad arguments or when full. */
int qview_store(const struct engine_qtable *e);
size_t qview_count(void);
/* Bumped on every store. */
unsigned qview_gen(void);
/* The index of agent `name` in the store (the pane's selection), or -1. */
long qview_find(const char *name);

extern const struct pane qview_pane;

#endif
