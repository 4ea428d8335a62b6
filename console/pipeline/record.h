/*
 * record - the last stage of a tick: telemetry history (rings), the
 * summary's running totals, and the trace outputs when open.
 *
 * Totals are built from counter deltas (features stage), so energy is the
 * energy counters' increase - wrap-around included - and the trace's
 * per-device mean power integrates to the same number.
 */
#ifndef WATTSON_RECORD_H
#define WATTSON_RECORD_H

#include "core/ring.h"

struct model;
struct summary;
struct tracefile;

struct record {
    struct ring hist;        /* every signal */
    struct tracefile *jsonl; /* may be NULL */
    struct tracefile *csv;   /* may be NULL */
    double last_power_w;     /* total PU power of the last tick */
    int last_power_valid;
};

int record_init(struct record *r, const struct model *m, unsigned history);
void record_run(struct record *r, const struct model *m, struct summary *s);
void record_free(struct record *r);

#endif
