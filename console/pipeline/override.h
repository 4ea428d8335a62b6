/*
 * override - the tick's stage between decide and guard: manual decisions
 * (the console's `set DEV CTL VALUE`) that replace the policy's for their
 * controls every tick until cleared.  They are decisions like any other,
 * so the guard still clamps and snaps them.
 *
 * The store is one value and one flag per control, allocated at init;
 * override_run allocates nothing and costs nothing while none is set.
 * Checking a value (finite, in range, writable) is the caller's job
 * (run_override), which can name the device and control in its message.
 */
#ifndef WATTSON_OVERRIDE_H
#define WATTSON_OVERRIDE_H

#include <stddef.h>
#include <stdint.h>

struct model;

struct override {
    double *val;
    uint8_t *set;
    size_t n_controls;
    size_t n_set; /* how many are set: 0 skips the stage */
};

/* Returns 0, or -1 out of memory. */
int override_init(struct override *o, const struct model *m);
void override_set(struct override *o, size_t c, double v);
void override_clear(struct override *o, size_t c);
/* 1 with the value in *v (if given) when control c is overridden. */
int override_get(const struct override *o, size_t c, double *v);
/* The stage: the set overrides become the tick's decisions. */
void override_run(const struct override *o, struct model *m);
void override_free(struct override *o);

#endif
