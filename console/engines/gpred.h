/*
 * gpred - the predictive resource manager's model (issue 16, the seed's
 * "Predictive Resource Manager"): one tenant's SM and memory needs over the
 * next `h` profiling windows (1-5 s), from its behavioural signatures.
 *
 * A signature-conditioned nearest-neighbour regressor: every window, the
 * signature of `h` windows ago is stored with what followed it - the
 * largest SM use and memory held over the `h` windows after it - in a
 * fixed memory of GPRED_MEM entries (FIFO; a new entry within
 * GPRED_SAME of a stored one replaces it, so a tenant that repeats itself
 * keeps a diverse memory and the latest outcome).  A prediction is the
 * inverse-distance-weighted mean of the labels of the (at most) GPRED_K
 * stored signatures within GPRED_RADIUS of the present one; none within it
 * means nothing like this was seen, and the caller falls back on the
 * tenant's recent use.  This is k-nearest-neighbour regression (Cover and
 * Hart, IEEE Trans. Inf. Theory 13(1), 1967; Altman, The American
 * Statistician 46(3), 1992), chosen over a recursive ridge fit because
 * phases (a renderer's scenes) map to needs non-linearly and recur.
 *
 * Censoring: a tenant held at its share uses no more than it, so its use
 * is then a lower bound of its need.  Labels are what was used; the
 * caller's probe (a capped tenant is offered more) is what lets a
 * bound grow into the need.
 */
#ifndef WATTSON_GPRED_H
#define WATTSON_GPRED_H

#include "engines/gprof.h"

#define GPRED_HMAX 64
#define GPRED_MEM 256
#define GPRED_K 3
#define GPRED_RADIUS 0.1
#define GPRED_SAME 0.02

struct gpred {
    unsigned h; /* horizon, windows: 1..GPRED_HMAX */
    /* the last h windows, a ring: signature, SM used, memory held */
    double hsig[GPRED_HMAX][GPROF_DIM];
    double hsm[GPRED_HMAX], hmem[GPRED_HMAX];
    unsigned head, filled;
    /* (signature, what followed) pairs */
    double msig[GPRED_MEM][GPROF_DIM];
    double msm[GPRED_MEM], mmem[GPRED_MEM];
    unsigned mn, mnext;
};

void gpred_init(struct gpred *g, unsigned h);
/* A window's signature and what the tenant used in it. */
void gpred_add(struct gpred *g, const double *sig, double sm, double mem_b);
/* Predicted largest SM use and memory over the next h windows for a
 * tenant whose signature is `sig`: the number of neighbours used (0: no
 * stored signature within GPRED_RADIUS; *sm and *mem are then untouched). */
unsigned gpred_predict(const struct gpred *g, const double *sig, double *sm,
                       double *mem_b);
/* The largest SM use and memory of the last `n` windows (n <= h). */
void gpred_recent(const struct gpred *g, unsigned n, double *sm, double *mem_b);

#endif
