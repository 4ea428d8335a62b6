/*
 * pu - the physics of one simulated processing unit (CPU core, GPU, FPGA):
 * P-states, dynamic and static power, a first-order thermal RC, thermal
 * throttling, a power-capping governor, and a FIFO of arriving work with
 * latency accounting.  See the design comment at the top of pu.c and
 * drivers/sim/README.md for the equations.
 */
#ifndef WATTSON_SIM_PU_H
#define WATTSON_SIM_PU_H

#include <stddef.h>
#include <stdint.h>

/* Largest P-state table a part (or a lab override) may have.  It is the
 * console's limit, not the sim's: the plugin loader refuses a table longer
 * than PLUG_MAX_PSTATES (plugins/loader/loader.h) and the broker skips a
 * PU with more than BROKER_MAX_PSTATES (console/engines/broker.c), both
 * 128, as is any console engine's own copy of the tables (every preset's
 * real step fits: Zen 3's 25 MHz over 1.5-3.7 GHz is 89 states).  Raising it
 * past them would make the sim's inventory unloadable; a preset whose real
 * clock step gives more states than this is tabulated at a whole multiple
 * of that step (see pu_pstates_from_curve). */
#define PU_MAX_PSTATES 128
/* Anchor points a preset's V/f curve may have. */
#define PU_MAX_ANCHORS 8
/* Arrival batches a PU keeps in its FIFO before merging (see pu.c). */
#define PU_RING_BATCHES 4096

/* Latency histogram (see pu.c): bucket 0 holds [0, PU_LAT_MIN_S), then
 * PU_LAT_OCTAVES octaves of PU_LAT_SUB linear sub-buckets each, so a bucket
 * is at most 12.5 % wide; latencies above PU_LAT_MIN_S * 2^PU_LAT_OCTAVES
 * (about 4.8 h) land in the last bucket. */
#define PU_LAT_MIN_S 1e-6
#define PU_LAT_SUB 8
#define PU_LAT_OCTAVES 34
#define PU_LAT_BUCKETS (1 + PU_LAT_SUB * PU_LAT_OCTAVES)

struct pu_pstate {
    double freq_hz;
    double volt;
};

/* The parameters of a part; every field can be overridden from a lab.
 * The P-state table comes last: the fields a step reads share the
 * struct's first lines, ahead of the table's 1 KiB. */
struct pu_params {
    double c_eff_f;         /* effective switched capacitance, F */
    double leak_w;          /* static power at 25 C, W */
    double leak_coeff;      /* static power growth, 1/K */
    double r_th;            /* die-to-ambient thermal resistance, K/W */
    double c_th;            /* thermal capacitance, J/K */
    double ops_per_cycle;   /* op per clock cycle */
    double power_cap_min_w; /* power_cap control range, W */
    double power_cap_max_w;
    double idle_activity; /* switching activity of an idle unit, 0..1 */
    double temp_limit_c;  /* throttling temperature, C */
    double deadline_s;    /* latency target of the unit's work, s */
    /* GPU memory and host link, for the sim's GPU tenants (gtenant.c);
     * 0 for parts that have none modelled (CPUs, the FPGA). */
    double mem_total_b; /* device memory, B */
    double pcie_bps;    /* host link, usable B/s per direction */
    double nvenc;       /* video encoder engines (NVENC) */
    size_t n_pstates;
    struct pu_pstate pstates[PU_MAX_PSTATES]; /* increasing frequency */
};

/* A built-in part preset (see pu.c for the sources of the numbers).  The
 * P-state table is not stored: pu_part_params generates it from the V/f
 * curve's anchors and the part's clock step. */
struct pu_part {
    const char *name;
    const char *kind; /* "cpu", "gpu" or "fpga" */
    /* The V/f curve: anchors in increasing frequency, voltage not
     * decreasing; the first and last are the part's lowest and highest
     * clocks, a whole number of step_hz apart. */
    struct pu_pstate vf[PU_MAX_ANCHORS];
    size_t n_vf;
    double step_hz; /* the real part's clock granularity, Hz */
    /* Everything else; params.pstates is empty (n_pstates 0). */
    struct pu_params params;
};

struct pu_batch {
    double t_arr; /* arrival time, s since the run's start */
    double rem;   /* work of the batch not yet served, op */
    double tag;   /* share of the batch that is tagged (chain) work */
};

/* Op-weighted histogram of the latency (completion - arrival) of all work
 * served so far.  Work served as a fluid has latencies spread evenly over
 * an interval: buckets wholly inside it get a density (op/s) through the
 * differences in `dens` (bucket j's density is the sum of bin[0..j].dens),
 * the two end buckets get their share in `w` directly.  A bucket's two
 * numbers sit side by side and the header shares a cache line with buckets
 * 0 and 1 (allocated 64-byte aligned), so that a step touches a few lines
 * of the histogram rather than a few per array. */
struct pu_lat_bin {
    double w;    /* op */
    double dens; /* op/s, differences */
};

struct pu_lat {
    double total; /* op */
    double max_s; /* largest latency seen */
    size_t top;   /* highest bucket with any weight */
    size_t last;  /* bucket of the last slice's end: a prefetch hint */
    struct pu_lat_bin bin[PU_LAT_BUCKETS];
};

/* Where the last percentile scan stopped: the state it had on reaching
 * bucket j (see pu_lat_quantile). */
struct pu_lat_resume {
    int ok;
    size_t j;
    double above, suf;
};

/* The parameters come last, and their table last in them: the state a
 * step reads and writes and the parameters' scalars sit together in the
 * first few lines; of the 1.5 KiB of tables a step reads the lines its
 * search probes. */
struct pu {
    double ambient_c;

    /* controls */
    double freq_target_hz;
    double power_cap_w;

    /* state */
    double temp_c;
    size_t ps; /* P-state of the last interval */
    /* The highest P-state at or below freq_target_hz, found when the
     * target last changed (a policy rewrites the same target most ticks):
     * valid while target_hz == freq_target_hz. */
    double target_hz;
    size_t target_ps;
    int throttled;          /* thermal throttling latched (hysteresis) */
    double decay_dt, decay; /* exp(-dt/RC) cached for the last dt */

    /* results of the last interval */
    double util;
    double power_w;
    double served_tagged; /* tagged work served, op */
    double latency_p99;   /* s, NaN before any work was served */

    /* counters */
    double energy_j;
    double work_arrived;
    double work_served;
    double backlog;
    double wait;
    double deadline_misses;

    /* FIFO of arrival batches: a ring of PU_RING_BATCHES entries */
    struct pu_batch *ring;
    size_t head, count;
    struct pu_lat *lat;
    struct pu_lat_resume lat_res;

    struct pu_params p;
    double dyn_w[PU_MAX_PSTATES]; /* C_eff V^2 f per P-state, W */
};

/* The built-in parts, terminated by an entry with name NULL. */
extern const struct pu_part pu_parts[];

const struct pu_part *pu_part_find(const char *name);
/* The part used when a device names a kind but no part. */
const struct pu_part *pu_part_default(const char *kind);

/* The P-state table of a V/f curve (anchors vf[0..n_vf), as in struct
 * pu_part): a state at every `step` from the first anchor's clock to the
 * last's, voltage interpolated linearly between the anchors it falls
 * between (an anchor's own clock gets the anchor's voltage exactly).  The
 * step is step_hz, or its smallest whole multiple that divides the span and
 * gives at most `max` states.  Returns the number of states written to
 * out (at most max) and the step used in *step_used, or 0 when the curve
 * is not valid: no anchor or more than PU_MAX_ANCHORS, frequencies not
 * increasing, voltages falling, non-positive or non-finite values, or a
 * span that is not a whole number of steps. */
size_t pu_pstates_from_curve(const struct pu_pstate *vf, size_t n_vf,
                             double step_hz, struct pu_pstate *out, size_t max,
                             double *step_used);

/* The part's parameters with its generated P-state table (at most
 * PU_MAX_PSTATES states).  Returns 0, or -1 when the preset's curve is not
 * valid (a bug in pu_parts[]: the tests check every preset). */
int pu_part_params(const struct pu_part *pt, struct pu_params *p);

/* Checks a parameter set; on error writes "field: reason" into err. */
int pu_params_check(const struct pu_params *p, double ambient_c, char *err,
                    size_t errlen);

/* Allocates the FIFO; the unit starts at ambient temperature, with its
 * controls at their maxima.  Returns 0, or -1 when out of memory. */
int pu_init(struct pu *pu, const struct pu_params *p, double ambient_c);
void pu_fini(struct pu *pu);

/* Advances the unit over [t0, t0 + dt] (dt > 0) while work arrives at
 * `demand` times the unit's maximum throughput.  Does not allocate. */
void pu_step(struct pu *pu, double t0, double dt, double demand);
/* The same, with `tagged_ops` more work (op) arriving at t0 together with
 * the demand; the tagged share of what is served in the interval is left
 * in pu->served_tagged (the sim's chains forward it downstream).  With
 * tagged_ops == 0 it is exactly pu_step. */
void pu_step_tagged(struct pu *pu, double t0, double dt, double demand,
                    double tagged_ops);
/* The general step: `ops` more untagged work (op) and `tagged_ops` tagged
 * work both arriving at t0 with the demand (the sim's delivered messages
 * and its chain traffic).  pu_step and pu_step_tagged are this with the
 * others 0, bit for bit. */
void pu_step_work(struct pu *pu, double t0, double dt, double demand,
                  double ops, double tagged_ops);

/* Power (W) at P-state k with switching activity `activity` (idle_activity
 * for an idle unit, 1 fully busy) and die temperature temp_c: the formula
 * pu_step charges. */
double pu_power(const struct pu *pu, size_t k, double activity, double temp_c);
/* Temperature the sim's P-state tables hold their powers at: midway
 * between ambient and the throttling limit (see README.md). */
double pu_temp_ref(const struct pu *pu);

double pu_freq(const struct pu *pu);       /* clock of the last interval */
double pu_throughput(const struct pu *pu); /* op/s at that clock */
double pu_max_throughput(const struct pu *pu);

/* A hint to bring the line at p into the cache, for writing. */
#if defined(__GNUC__)
#define PU_PREFETCH(p) __builtin_prefetch((p), 1)
#else
#define PU_PREFETCH(p) ((void)(p))
#endif

/* Cache hints for a caller stepping many units in turn (the sim steps
 * hundreds, and its host evicts them between reads): what the unit's next
 * step touches outside struct pu, the FIFO's head batch and the
 * histogram's header; then, reading that header (so some steps later),
 * the histogram's top buckets, which the percentile scans, and the bucket
 * the last slice ended in, which the next one likely hits.  They change
 * nothing. */
static inline void pu_prefetch(const struct pu *pu)
{
    PU_PREFETCH(&pu->ring[pu->head]);
    PU_PREFETCH(pu->lat);
}

static inline void pu_prefetch_top(const struct pu *pu)
{
    const struct pu_lat *l = pu->lat;
    PU_PREFETCH(&l->bin[l->top]);
    PU_PREFETCH(&l->bin[l->top >= 3 ? l->top - 3 : 0]);
    PU_PREFETCH(&l->bin[l->last]);
}

#endif
