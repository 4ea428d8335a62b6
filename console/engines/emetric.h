/*
 * emetric - the engines' state as named numbers, for the JSONL trace
 * (each tick's "eng") and the --metrics endpoint (run/metrics.c).
 *
 * They are read from what every engine already publishes for the console
 * (engines_pane: Q-learning agents, a partition's stages, GPU tenants),
 * so an engine offers them by offering its pane, and this module is the
 * one place that names them.  A family is one quantity in base units
 * with at most one label (the agent, the device, the tenant); its name
 * follows Prometheus's conventions (a unit suffix; a counter's name
 * without the `_total` the exposition adds).
 */
#ifndef WATTSON_EMETRIC_H
#define WATTSON_EMETRIC_H

#include <stddef.h>
#include <stdio.h>

struct engines;

struct emetric_family {
    const char *name;
    const char *type;  /* "gauge" or "counter" */
    const char *unit;  /* the trace's unit text ("s", "1") */
    const char *label; /* the label's key, or NULL: one value */
    const char *help;
};

extern const struct emetric_family emetric_families[];
extern const size_t emetric_n_families;

/* Calls fn for each value of family `fam` the engines publish now (label
 * NULL for a family without one).  A value may be NaN (unknown).  No
 * allocation; the strings live until the engines' next propose. */
typedef void (*emetric_fn)(void *ctx, size_t fam, const char *label, double v);
void emetric_each(const struct engines *e, size_t fam, emetric_fn fn,
                  void *ctx);

/* The trace's hooks (core/tracefile.h's struct tracefile_extra, ctx the
 * run's struct engines): the families' descriptions for the header, an
 * object of the families published now for a tick. */
void emetric_json_header(const void *engines, FILE *f);
void emetric_json_tick(const void *engines, FILE *f);

#endif
