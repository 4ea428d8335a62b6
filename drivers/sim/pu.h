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

/* Largest P-state table a part (or a lab override) may have. */
#define PU_MAX_PSTATES 16
/* Arrival batches a PU keeps in its FIFO before merging (see pu.c). */
#define PU_RING_BATCHES 4096

struct pu_pstate {
    double freq_hz;
    double volt;
};

/* The parameters of a part; every field can be overridden from a lab. */
struct pu_params {
    struct pu_pstate pstates[PU_MAX_PSTATES]; /* increasing frequency */
    size_t n_pstates;
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
};

/* A built-in part preset (see pu.c for the sources of the numbers). */
struct pu_part {
    const char *name;
    const char *kind; /* "cpu", "gpu" or "fpga" */
    struct pu_params params;
};

struct pu_batch {
    double t_arr; /* arrival time, s since the run's start */
    double rem;   /* work of the batch not yet served, op */
};

struct pu {
    struct pu_params p;
    double dyn_w[PU_MAX_PSTATES]; /* C_eff V^2 f per P-state, W */
    double ambient_c;

    /* controls */
    double freq_target_hz;
    double power_cap_w;

    /* state */
    double temp_c;
    size_t ps;              /* P-state of the last interval */
    int throttled;          /* thermal throttling latched (hysteresis) */
    double decay_dt, decay; /* exp(-dt/RC) cached for the last dt */

    /* results of the last interval */
    double util;
    double power_w;

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
};

/* The built-in parts, terminated by an entry with name NULL. */
extern const struct pu_part pu_parts[];

const struct pu_part *pu_part_find(const char *name);
/* The part used when a device names a kind but no part. */
const struct pu_part *pu_part_default(const char *kind);

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

double pu_freq(const struct pu *pu);       /* clock of the last interval */
double pu_throughput(const struct pu *pu); /* op/s at that clock */
double pu_max_throughput(const struct pu *pu);

#endif
