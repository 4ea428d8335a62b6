/*
 * fcast - online forecasters of one scalar signal, h steps ahead, with
 * constant memory per signal: every method's state lives in the fixed-size
 * `union fcast_state` inside `struct fcast`, so init, update and predict
 * never allocate.  One interface, a const ops table per method:
 *
 *   init(state, params)   reset to "no data"
 *   update(state, x)      one new sample (x finite; see below)
 *   predict(state, h)     forecast of the sample h updates ahead
 *
 * Callers use the checked wrappers fcast_init / fcast_update /
 * fcast_predict, which enforce the contracts:
 *
 *   - NaN and +-inf samples are ignored: the state is left exactly as it
 *     was (the sample counts as missing, not as a step), fcast_update
 *     returns FCAST_ENONFINITE and f->n_ignored counts it.
 *   - h must be in 1..FCAST_HMAX (64).  Outside that range fcast_predict
 *     returns NaN and sets f->err = FCAST_EHORIZON (fcast_forecast returns
 *     the code instead).
 *   - Before the first finite sample every method predicts NaN (no data);
 *     f->err is then FCAST_ENODATA.
 *
 * Methods (math in fcast.c's design comment): last value, EWMA, Holt
 * (level + trend), AR(p) fitted online by recursive least squares with a
 * forgetting factor (p <= 8, optional intercept), the median of the last k
 * samples, a seasonal-naive forecaster whose period is the peak of a
 * running autocovariance, and an adaptive ensemble of those weighted by the
 * inverse of each member's exponentially weighted mean absolute h-step
 * error, with last value as the incumbent that another member must beat by
 * a margin, and a guarantee: at every horizon up to ens_hmax, the summed
 * absolute error of the forecasts it hands out never exceeds (1 +
 * ens_slack) x last value's over the same forecasts.  Its predict books
 * each forecast it hands out (once per sample and horizon), so predict
 * takes the state non-const.
 */
#ifndef WATTSON_FCAST_H
#define WATTSON_FCAST_H

#include <stddef.h>
#include <stdint.h>

#define FCAST_HMAX 64               /* longest horizon, in updates */
#define FCAST_ARMAX 8               /* largest AR order */
#define FCAST_NTH (FCAST_ARMAX + 1) /* AR parameters incl. intercept */
#define FCAST_ENS_M 8               /* ensemble members */
#define FCAST_MEDMAX 15             /* longest median window */
#define FCAST_SEAS_LMIN 4           /* shortest period the seasonal tries */
#define FCAST_SEAS_LMAX 64          /* longest period it tries */
#define FCAST_SEAS_RING 128         /* history it keeps (>= 2 LMAX) */
#define FCAST_ENS_NH 6      /* horizons the ensemble scores (1 2 5 10 20 64) */
#define FCAST_ENS_SLOTS 102 /* sum of those horizons: delay line length */
#define FCAST_ENS_GSLOTS 2080 /* 1 + 2 + ... + 64: the guarantee's rings */

enum fcast_method {
    FCAST_LAST,
    FCAST_EWMA,
    FCAST_HOLT,
    FCAST_AR,
    FCAST_ENSEMBLE,
    FCAST_MEDIAN,
    FCAST_SEASONAL,
    FCAST__N
};

/* Ensemble members that can be left out (the costly ones). */
#define FCAST_ENS_SKIP_AR (1u << 3)
#define FCAST_ENS_SKIP_MEDIANS (3u << 5)
#define FCAST_ENS_SKIP_SEASONAL (1u << 7)

enum fcast_err {
    FCAST_OK = 0,
    FCAST_ENONFINITE = -1, /* update with NaN/inf: ignored */
    FCAST_EHORIZON = -2,   /* h outside 1..FCAST_HMAX */
    FCAST_ENODATA = -3,    /* predict before any finite sample */
    FCAST_EPARAM = -4      /* init with parameters out of range */
};

struct fcast_params {
    double alpha;      /* EWMA / Holt level smoothing, (0, 1] */
    double beta;       /* Holt trend smoothing, [0, 1] */
    unsigned ar_p;     /* AR order, 1..FCAST_ARMAX */
    double ar_lambda;  /* RLS forgetting factor, (0, 1] */
    double ar_delta;   /* RLS initial P = delta * I, > 0 */
    int ar_intercept;  /* 1: fit a constant term too */
    double ens_slow;   /* ensemble's slow EWMA ("mean") alpha, (0, 1] */
    double ens_decay;  /* ensemble error memory, [0, 1) */
    double ens_power;  /* weight = (mae + eps)^-power, > 0 */
    unsigned med_k;    /* median window, 1..FCAST_MEDMAX */
    double ens_margin; /* last value's score is multiplied by this, (0, 1] */
    unsigned ens_skip; /* members left out: FCAST_ENS_SKIP_* bits */
    unsigned ens_hmax; /* longest horizon the ensemble scores and
                          guarantees, 1..HMAX: a caller that only asks
                          h = 1 (the broker) skips the other delay lines;
                          longer h then use the weights of the longest
                          scored one, without the guarantee */
    double ens_slack;  /* the guarantee: at every horizon up to ens_hmax
                          the summed absolute error of the forecasts
                          handed out stays within (1 + slack) x last
                          value's, [0, 1] */
};

struct fcast_last {
    double x;
    uint64_t n;
};

struct fcast_ewma {
    double alpha, s;
    uint64_t n;
};

struct fcast_holt {
    double alpha, beta, level, trend;
    uint64_t n;
    int flat_start; /* see fcast_holt_init */
};

struct fcast_ar {
    double lambda, delta;
    unsigned p, k; /* order, parameters (p + intercept) */
    int intercept;
    double theta[FCAST_NTH];
    double P[FCAST_NTH][FCAST_NTH];
    double hist[FCAST_ARMAX]; /* hist[0] newest */
    double mu, var;           /* slow EW mean / variance: forecast bound */
    unsigned nhist;
    uint64_t n;
};

struct fcast_median {
    unsigned k, nbuf, head;
    double buf[FCAST_MEDMAX]; /* ring of the last k samples */
    double srt[FCAST_MEDMAX]; /* the same samples, sorted */
    uint64_t n;
};

struct fcast_seas {
    /* ring[n % RING] is the next slot; every sample is written twice, at
     * i and i + RING, so the 64 lags behind any slot are contiguous. */
    double ring[2 * FCAST_SEAS_RING];
    double ac[FCAST_SEAS_LMAX + 1]; /* EW autocovariance at lag L */
    double mu, var;                 /* EW mean and variance */
    unsigned period;                /* 0: none found (last value) */
    uint64_t n;
};

/* One horizon's books of the ensemble's guarantee (fcast.c): the budget
 * left and the sample after which the last forecast was handed out (0:
 * none yet), together so one cache line holds a horizon's. */
struct fcast_ens_hz {
    double b;
    uint64_t t;
};

struct fcast_ens {
    /* What every update touches first, together (the broker keeps one
     * per PU and touches little else): the members it always has, the
     * first rows of scores and weights, and the guarantee's books. */
    struct fcast_last last;
    struct fcast_ewma ewma;
    struct fcast_holt holt;
    struct fcast_ewma slow;
    double decay, power, margin;
    unsigned ipow; /* power as a whole number 1..64, else 0 (use pow) */
    unsigned sq;   /* log2 of ipow when it is a power of two >= 2, else 0 */
    unsigned nh;   /* horizons scored: ens_h[0 .. nh) */
    unsigned skip; /* FCAST_ENS_SKIP_* */
    unsigned cur[FCAST_ENS_NH]; /* slot of sample n in each line: n % H */
    uint64_t nerr[FCAST_ENS_NH];
    uint64_t n;
    double w[FCAST_ENS_NH * FCAST_ENS_M]; /* weights, flat [h][member] */
    double mae[FCAST_ENS_NH][FCAST_ENS_M];
    /* The guarantee (fcast.c), for every forecast handed out at h =
     * 1..hg (ens_hmax): per horizon its books; the horizons with any
     * forecast pending (bits); the last samples, x_t at t & xmask (a ring
     * of the power of two >= hg); for each h a ring of h slots, slot
     * t mod h the move away from last value of the forecast handed out
     * after sample t (a float: that forecast is exactly last value + it;
     * NaN: none handed out). */
    double slack;
    unsigned hg, xmask;
    uint64_t active;
    struct fcast_ens_hz hz[FCAST_HMAX];
    double xr[FCAST_HMAX];
    float gd[FCAST_ENS_GSLOTS];
    /* The rest. */
    double dl[FCAST_ENS_SLOTS][FCAST_ENS_M]; /* delay lines of forecasts */
    struct fcast_ar ar;
    struct fcast_median med, med2;
    struct fcast_seas seas;
};

union fcast_state {
    struct fcast_last last;
    struct fcast_ewma ewma;
    struct fcast_holt holt;
    struct fcast_ar ar;
    struct fcast_median med;
    struct fcast_seas seas;
    struct fcast_ens ens;
};

struct fcast_ops {
    const char *name;
    int (*init)(union fcast_state *s, const struct fcast_params *p);
    void (*update)(union fcast_state *s, double x);
    /* h in 1..FCAST_HMAX (the wrappers check); NaN before data. */
    double (*predict)(union fcast_state *s, unsigned h);
};

struct fcast {
    const struct fcast_ops *ops;
    int err;            /* last error of fcast_predict / fcast_update */
    uint64_t n_ignored; /* non-finite samples ignored */
    union fcast_state st;
};

extern const struct fcast_ops fcast_last_ops, fcast_ewma_ops, fcast_holt_ops,
    fcast_ar_ops, fcast_ens_ops, fcast_median_ops, fcast_seas_ops;

/* The ops of a method, or NULL for an unknown one. */
const struct fcast_ops *fcast_ops_of(enum fcast_method m);
/* Defaults: alpha 0.5, beta 0.1, AR(3) lambda 0.99 delta 100 with
 * intercept, slow alpha 0.05, median of 5, ensemble decay 0.99, power 32,
 * margin 0.85, slack 0.01, and the ensemble without its AR member
 * (ens_skip FCAST_ENS_SKIP_AR; 0 puts it back; fcast.c says why). */
void fcast_params_default(struct fcast_params *p);

/* 0 or FCAST_EPARAM (then f is unusable).  params NULL: defaults. */
int fcast_init(struct fcast *f, enum fcast_method m,
               const struct fcast_params *params);
/* 0 or FCAST_ENONFINITE (sample ignored). */
int fcast_update(struct fcast *f, double x);
/* The forecast h updates ahead, or NaN with f->err set (EHORIZON,
 * ENODATA). */
double fcast_predict(struct fcast *f, unsigned h);
/* As fcast_predict, returning the code; *out is NaN on error.  Not const:
 * the ensemble books every forecast it hands out (its guarantee). */
int fcast_forecast(struct fcast *f, unsigned h, double *out);

/* Holt on its own, for a caller that keeps one per signal (the forecast
 * stage: one per PU, 48 bytes each instead of a struct fcast's union).
 * The start: the method above (flat_start 0) takes the trend from the
 * first two samples, so a line is exact from the second; flat_start 1
 * starts the trend at 0 and smooths the second sample like any other, the
 * forecast stage's start since it was written (its traces depend on it).
 * 0 or FCAST_EPARAM. */
int fcast_holt_init(struct fcast_holt *s, double alpha, double beta,
                    int flat_start);
/* A non-finite sample is ignored. */
void fcast_holt_update(struct fcast_holt *s, double x);
/* l + h b, NaN before the first sample; h is not range-checked. */
double fcast_holt_predict(const struct fcast_holt *s, unsigned h);

#endif
