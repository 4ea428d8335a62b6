/*
 * meshview - the console's Mesh pane: the converter mesh of a lab with a
 * `mesh` driver, drawn as a map when its ties fit a grid or a ring (each
 * node's bus voltage, each tie open or closed with its current), then
 * one row per node - its module, bus voltage, margin over
 * the module's minimum (red under it: a brown-out), module current,
 * input power - and its ties: open, or closed with the current they
 * carry out of the node; a failed node marked, with its bus as its ties
 * sense it.  The topology is the ties' list.  Keys (tui.c): f fails or
 * restores the selected node, m detaches or re-attaches its module.
 */
#ifndef WATTSON_MESHVIEW_H
#define WATTSON_MESHVIEW_H

#include <stddef.h>

#include "tui/panes.h"

struct model;

/* The mesh's nodes (devices of kind "converter", at most 64). */
size_t meshview_count(const struct model *m);
/* The device index of the k-th node, or -1. */
long meshview_device(const struct model *m, size_t k);

extern const struct pane meshview_pane;

#endif
