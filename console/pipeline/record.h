/*
 * record - the last stage of a tick: telemetry history (rings), the
 * summary's running totals, and the trace outputs when open.
 *
 * Totals are built from counter deltas (features stage), so energy is the
 * energy counters' increase - wrap-around included - and the trace's
 * per-device mean power integrates to the same number.  One source per
 * device: power is its `power` reading, else its energy counter's rate;
 * energy is its counter once the counter has advanced, else the integral
 * of its power reading (record.c), so mean power, peak power and energy
 * agree when a counter stands still while the power reads non-zero.
 */
#ifndef WATTSON_RECORD_H
#define WATTSON_RECORD_H

#include <stdint.h>

#include "core/ring.h"

struct model;
struct summary;
struct tracefile;

struct record {
    struct ring hist;         /* every signal */
    struct tracefile *jsonl;  /* may be NULL */
    struct tracefile *csv;    /* may be NULL */
    struct tracefile *rtrace; /* the console's `record start`, or NULL */
    double last_power_w;      /* total PU power of the last tick */
    int last_power_valid;
    double *e_int;     /* per device: its power integrated, J, while its
                          energy counter has not advanced */
    uint8_t *ctr_live; /* per device: its energy counter has advanced */
};

int record_init(struct record *r, const struct model *m, unsigned history);
void record_run(struct record *r, const struct model *m, struct summary *s);
void record_free(struct record *r);

#endif
