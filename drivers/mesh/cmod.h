/*
 * cmod - a compute module on a mesh node's bus (issue 14): what it draws
 * and what it does at a given supply voltage.
 *
 *   clock      adaptive-clock modules (CPU-, GPU-like) run at the highest
 *              clock their critical path allows at V, the alpha-power law
 *              f(V) = fref (V - vth)^alpha / V / ((vref - vth)^alpha /
 *              vref) (Sakurai and Newton, IEEE JSSC 25(2), 1990), capped
 *              at fcap; a fixed-clock module (FPGA-like: the clock its
 *              design closed timing at) runs at fcap whatever V is.
 *   power      p_static + ceff V^2 f + V ileak(V, T), leakage current
 *              ileak0 exp((V - vref) / nv) exp((T - tref) / nt) (drain-
 *              induced barrier lowering and temperature, each an
 *              exponential), T = tamb + rth P.
 *   errors     the rate of timing/SRAM failures per operation rises a
 *              decade per err_dec volts below v_fail + 12 err_dec, from a
 *              floor of 1e-12: 10^-(12 (V - v_fail) / (12 err_dec)), so at
 *              v_fail every operation fails.  For a fixed-clock module
 *              v_fail is the voltage at which its clock meets the alpha-
 *              power limit (timing fails below it); for adaptive-clock
 *              modules the SRAM minimum voltage.
 *   work       perf = ops_per_cycle f (1 - err), work units per second.
 *
 * Aging and temperature drift: dvth (V) adds to vth and v_fail (bias-
 * temperature instability slows the path), tamb moves with the room.
 *
 * The presets' anchors: cpu - a 4-core cluster of a Zen 3-class CPU,
 * 3.4 GHz at 1.0 V, ~21 W with its share of uncore; gpu - an SM
 * cluster of a T4-class GPU, 1.2 GHz at 0.8 V, ~17 W with its share of
 * memory; fpga - a fabric region of an UltraScale+
 * (Alveo-class) card at a 300 MHz design clock, VCCINT 0.85 V nominal
 * with the low-voltage 0.72 V option's range, ~11 W.
 */
#ifndef WATTSON_CMOD_H
#define WATTSON_CMOD_H

struct cmod_type {
    const char *name;
    double vmin, vmax; /* V: the supply range the module may be given */
    double vnom;       /* V: its nominal (datasheet) supply */
    double vth, alpha; /* alpha-power law */
    double fref, vref; /* Hz at V */
    double fcap;       /* Hz: clock ceiling (fixed clock: the clock) */
    int fixed_clock;
    double ceff;            /* F */
    double p_static;        /* W */
    double ileak0, nv, nt;  /* A at vref and tref; V and K per e-fold */
    double tref, rth;       /* degC; K/W */
    double v_fail, err_dec; /* V; V per decade */
    double ops_per_cycle;
};

/* A module's live state. */
struct cmod {
    const struct cmod_type *type;
    double dvth; /* V: aging */
    double tamb; /* degC */
    double t;    /* degC: its temperature, from the last cmod_eval */
};

struct cmod_point {
    double f;    /* Hz */
    double p;    /* W drawn */
    double i;    /* A drawn */
    double err;  /* failures per operation, 1e-12 .. 1 */
    double perf; /* work units / s */
};

/* The presets by name ("cpu", "gpu", "fpga"), or NULL. */
const struct cmod_type *cmod_preset(const char *name);
/* The index of preset t (0..), or -1 for a type that is not one. */
int cmod_preset_index(const struct cmod_type *t);
/* The i-th preset (0..), or NULL past the last. */
const struct cmod_type *cmod_preset_at(unsigned i);
/* 0 if the type's fields are finite and consistent (vmin < vnom < vmax,
 * vth < vmin, ...), else -1 with the field's name in *field. */
int cmod_check(const struct cmod_type *t, const char **field);
void cmod_init(struct cmod *m, const struct cmod_type *t, double tamb);
/* The module at supply v (V): also moves its temperature to the steady
 * state of that power, capped at a 125 degC junction (the mesh's step is
 * long against the package's thermal time constant only roughly; a
 * first-order lag would add state the agents do not see).  Under vmin -
 * 0.1 V (its input's under-voltage lockout) the module is off: no power,
 * no work, error rate 1. */
struct cmod_point cmod_eval(struct cmod *m, double v);

#endif
