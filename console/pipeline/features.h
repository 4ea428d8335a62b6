/*
 * features - derived values every later stage wants: for each counter
 * signal its increment since the previous tick (handling wrap-around at the
 * counter's declared `wrap`) and its rate.  Power from an energy counter,
 * arrival rate from a work counter: one loop, no string lookups.
 *
 * A counter that goes backwards without a declared wrap was reset; its
 * delta is invalid for that tick rather than a huge negative number.
 * (IPC events and behavioural signatures join this stage in later issues.)
 */
#ifndef WATTSON_FEATURES_H
#define WATTSON_FEATURES_H

struct model;

void features_run(struct model *m);

#endif
