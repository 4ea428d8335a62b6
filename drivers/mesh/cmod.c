/*
 * cmod - see cmod.h.
 */
#include "cmod.h"

#include <math.h>
#include <string.h>

#define CMOD_TJMAX 125.0
#define CMOD_UVLO_BELOW 0.1

static const struct cmod_type cmod_presets[] = {
    {
        .name = "cpu",
        .vmin = 0.60,
        .vmax = 1.25,
        .vnom = 1.00,
        .vth = 0.33,
        .alpha = 1.4,
        .fref = 3.4e9,
        .vref = 1.0,
        .fcap = 4.2e9,
        .fixed_clock = 0,
        .ceff = 3.5e-9,  /* 12 W dynamic at 1 V, 3.4 GHz */
        .p_static = 8.0, /* its share of uncore, L3 and I/O die */
        .ileak0 = 1.5,
        .nv = 0.25,
        .nt = 40,
        .tref = 60,
        .rth = 1.5,
        .v_fail = 0.56,
        .err_dec = 0.006,
        .ops_per_cycle = 4, /* cores, one unit of work per cycle each */
    },
    {
        .name = "gpu",
        .vmin = 0.55,
        .vmax = 1.05,
        .vnom = 0.85,
        .vth = 0.30,
        .alpha = 1.3,
        .fref = 1.2e9,
        .vref = 0.80,
        .fcap = 1.59e9, /* T4 boost clock */
        .fixed_clock = 0,
        .ceff = 13e-9,   /* 10 W dynamic at 0.8 V, 1.2 GHz */
        .p_static = 6.0, /* its share of memory and PHYs */
        .ileak0 = 1.5,
        .nv = 0.22,
        .nt = 40,
        .tref = 60,
        .rth = 1.8,
        .v_fail = 0.52,
        .err_dec = 0.006,
        .ops_per_cycle = 128,
    },
    {
        .name = "fpga",
        .vmin = 0.68,
        .vmax = 0.90,
        .vnom = 0.85,
        .vth = 0.30,
        .alpha = 1.3,
        .fref = 300e6 * 1.25, /* 25 % timing slack at 0.85 V */
        .vref = 0.85,
        .fcap = 300e6,
        .fixed_clock = 1,
        .ceff = 37e-9, /* 8 W dynamic at 0.85 V, 300 MHz */
        .p_static = 1.0,
        .ileak0 = 2.4,
        .nv = 0.20,
        .nt = 35,
        .tref = 60,
        .rth = 2.0,
        .v_fail = 0.0, /* derived: where fmax(V) = fcap, see below */
        .err_dec = 0.005,
        .ops_per_cycle = 512,
    },
};

#define CMOD_NPRESETS (sizeof cmod_presets / sizeof cmod_presets[0])

const struct cmod_type *cmod_preset_at(unsigned i)
{
    return i < CMOD_NPRESETS ? &cmod_presets[i] : NULL;
}

int cmod_preset_index(const struct cmod_type *t)
{
    for (unsigned i = 0; i < CMOD_NPRESETS; i++)
        if (t == &cmod_presets[i])
            return (int)i;
    return -1;
}

const struct cmod_type *cmod_preset(const char *name)
{
    for (unsigned i = 0; i < CMOD_NPRESETS; i++)
        if (strcmp(cmod_presets[i].name, name) == 0)
            return &cmod_presets[i];
    return NULL;
}

/* The alpha-power limit on the clock at v with threshold vth (the type's
 * plus aging: fref is the fresh part's clock at vref). */
static double cmod_fmax(const struct cmod_type *t, double vth, double v)
{
    if (!(v > vth))
        return 0;
    const double k = pow(t->vref - t->vth, t->alpha) / t->vref;
    return t->fref * pow(v - vth, t->alpha) / v / k;
}

/* Where a fixed clock stops meeting timing: fmax(v) = fcap, by bisection
 * (fmax rises with v above vth for alpha >= 1). */
static double cmod_vfail_fixed(const struct cmod_type *t, double vth)
{
    double lo = vth, hi = 2.0;
    for (int k = 0; k < 60; k++) {
        const double mid = 0.5 * (lo + hi);
        if (cmod_fmax(t, vth, mid) < t->fcap)
            lo = mid;
        else
            hi = mid;
    }
    return hi;
}

int cmod_check(const struct cmod_type *t, const char **field)
{
#define CMOD_NEED(cond, name)                                                  \
    do {                                                                       \
        if (!(cond)) {                                                         \
            *field = name;                                                     \
            return -1;                                                         \
        }                                                                      \
    } while (0)
    CMOD_NEED(t->vmin > 0 && t->vmin < t->vmax && t->vmax <= 5, "vmin/vmax");
    CMOD_NEED(t->vnom >= t->vmin && t->vnom <= t->vmax, "vnom");
    CMOD_NEED(t->vth >= 0 && t->vth < t->vmin, "vth");
    CMOD_NEED(t->alpha >= 1 && t->alpha <= 2, "alpha");
    CMOD_NEED(t->fref > 0 && isfinite(t->fref), "fref");
    CMOD_NEED(t->vref > t->vth && t->vref <= t->vmax, "vref");
    CMOD_NEED(t->fcap > 0 && isfinite(t->fcap), "fcap");
    CMOD_NEED(t->ceff >= 0 && isfinite(t->ceff), "ceff");
    CMOD_NEED(t->p_static >= 0 && isfinite(t->p_static), "p_static");
    CMOD_NEED(t->ileak0 >= 0 && isfinite(t->ileak0), "ileak0");
    CMOD_NEED(t->nv > 0 && isfinite(t->nv), "nv");
    CMOD_NEED(t->nt > 0 && isfinite(t->nt), "nt");
    CMOD_NEED(isfinite(t->tref), "tref");
    CMOD_NEED(t->rth >= 0 && isfinite(t->rth), "rth");
    CMOD_NEED(t->fixed_clock || (t->v_fail >= 0 && t->v_fail < t->vmin),
              "v_fail");
    CMOD_NEED(t->err_dec > 0 && isfinite(t->err_dec), "err_dec");
    CMOD_NEED(t->ops_per_cycle > 0 && isfinite(t->ops_per_cycle),
              "ops_per_cycle");
#undef CMOD_NEED
    return 0;
}

void cmod_init(struct cmod *m, const struct cmod_type *t, double tamb)
{
    m->type = t;
    m->dvth = 0;
    m->tamb = tamb;
    m->t = tamb;
}

struct cmod_point cmod_eval(struct cmod *m, double v)
{
    const struct cmod_type *t = m->type;
    struct cmod_point pt = {0, 0, 0, 1, 0};
    /* under-voltage lockout a tenth of a volt under its range: the
     * module's input stage turns it off (and a collapsing bus does not
     * keep drawing power from nothing) */
    if (!(v > t->vmin - CMOD_UVLO_BELOW)) {
        m->t = m->tamb;
        return pt;
    }
    const double vth = t->vth + m->dvth;
    double vfail;
    if (t->fixed_clock) {
        pt.f = t->fcap;
        vfail = cmod_vfail_fixed(t, vth);
    } else {
        pt.f = fmin(cmod_fmax(t, vth, v), t->fcap);
        vfail = t->v_fail + m->dvth;
    }
    /* 1 at vfail, a decade down per err_dec, floor 1e-12 */
    double lg = -(v - vfail) / t->err_dec;
    if (lg > 0)
        lg = 0;
    if (lg < -12)
        lg = -12;
    pt.err = pow(10, lg);
    /* temperature and leakage together, to the fixed point (a
     * contraction while rth x leakage power is well under nt; a handful
     * of passes): so the module's current is a function of v alone,
     * which mesh.c's linearisation needs */
    double temp = m->t;
    for (int k = 0; k < 60; k++) {
        const double tprev = temp;
        const double il = t->ileak0 * exp((v - t->vref) / t->nv) *
                          exp((temp - t->tref) / t->nt);
        pt.p = t->p_static + t->ceff * v * v * pt.f + v * il;
        temp = m->tamb + t->rth * pt.p;
        /* the junction limit: past it leakage and temperature would run
         * away together (a real part trips); the model stops there */
        if (!(temp < CMOD_TJMAX))
            temp = CMOD_TJMAX;
        if (fabs(temp - tprev) < 1e-9)
            break;
    }
    m->t = temp;
    pt.i = pt.p / v;
    pt.perf = t->ops_per_cycle * pt.f * (1 - pt.err);
    return pt;
}
