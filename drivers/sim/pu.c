/*
 * pu - processing-unit physics for the simulated lab.
 *
 * Design.  A unit advances in intervals [t0, t1 = t0 + dt], one per host
 * read.  Everything that decides the interval is taken at t0 and held for
 * the whole interval, so the interval's energy is exactly P * dt and the
 * host can check sum(power * dt) == energy.
 *
 * 1. Arrivals.  Work A = demand * f_max * ops_per_cycle * dt arrives as one
 *    batch stamped t0 (the interval start: conservative, real work would
 *    trickle in over the interval) and joins the FIFO behind the backlog.
 *
 * 2. P-state.  If T >= temp_limit the unit throttles to its lowest P-state
 *    and stays there until T < temp_limit - 2 K (hysteresis, so it does not
 *    flap every tick).  Otherwise the governor takes the highest P-state
 *    whose clock is <= the freq target and whose predicted power for the
 *    interval is within the power cap (a bisection: see pu_governor); it
 *    never goes below the lowest P-state, so an infeasible cap is
 *    overshot by at most that state's power.  The prediction uses the
 *    activity the interval will really have at that P-state (the governor
 *    sees the run queue: backlog plus this interval's arrivals) and the
 *    temperature at t0, i.e. the same formula as the power that is then
 *    charged, so a feasible cap is never exceeded.
 *
 * 3. Service.  The unit serves the FIFO as a fluid at rate
 *    thr = f * ops_per_cycle from t0 on: a batch whose remaining work r
 *    starts service at s completes at s + r / thr.  Each served slice of
 *    size x served over [s, s + x / thr] adds x * (s + x / (2 thr) - t_arr)
 *    to `wait` (op*s), which is exact for fluid service.  A batch whose
 *    completion time exceeds t_arr + deadline counts once in
 *    `deadline_misses`, when it completes.  util = served / (thr * dt).
 *
 * 4. Power.  a = idle_activity + (1 - idle_activity) * util;
 *    P = C_eff V^2 f a + leak_w * exp(leak_coeff * (T0 - 25)).
 *
 * 5. Temperature.  First-order RC solved exactly for constant P:
 *    T1 = T_amb + P R + (T0 - T_amb - P R) * exp(-dt / (R C)).
 *
 * The FIFO is a ring of PU_RING_BATCHES batches allocated at init, so a
 * step never allocates.  When it is full the new batch is merged into the
 * newest one, keeping that batch's earlier stamp: wait and misses can only
 * be overstated, never hidden.  Work is conserved: work_arrived ==
 * work_served + backlog up to rounding.
 *
 * 6. Latency percentile.  A slice served as a fluid over [s, s + x / thr]
 *    has its latencies (completion - arrival) spread evenly over
 *    [s - t_arr, s + x / thr - t_arr].  The slice goes into a log-linear
 *    histogram (HDR style: octaves of 8 linear buckets from 1 us), spread
 *    exactly: the two end buckets get their share of x, the buckets wholly
 *    inside get its density through a difference array, so a slice costs
 *    O(1) whatever its span.  The 99th percentile is then found from the
 *    top bucket down (the tail is short), interpolating linearly inside the
 *    bucket; the top bucket ends at the largest latency seen.  The error is
 *    below one bucket width (12.5 %), and zero where the buckets around the
 *    percentile are wholly covered by even slices.  It is recomputed only
 *    in intervals that served work, and the scan resumes where the last
 *    one stopped when nothing at or above that bucket changed since (the
 *    same steps on the same numbers: see pu_lat_quantile).
 *
 * Tagged work.  pu_step_tagged adds work (the sim's chain traffic) to
 * the interval's batch and records the batch's tagged share; service within
 * a batch is proportional (fluid), so the tagged work served is the served
 * slice times that share.  A merged batch takes the weighted share.
 * pu_step_work also adds untagged work given in op (messages delivered from
 * outside the plugin, ABI 1.3 ipc_deliver) to the same batch.
 */
#include "pu.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void pu_lat_init_edges(void);

/* Cache line size assumed for the histogram's layout (pu.h). */
#define PU_LINE 64
/* log2(PU_LAT_SUB): a sub-bucket is that many leading mantissa bits. */
#define PU_LAT_SUB_BITS 3
_Static_assert(PU_LAT_SUB == 1 << PU_LAT_SUB_BITS,
               "PU_LAT_SUB must be 2^PU_LAT_SUB_BITS");
_Static_assert(sizeof(struct pu_lat_bin) == 16 &&
                   offsetof(struct pu_lat, bin) == PU_LINE / 2,
               "pu_lat: header and bins 0-1 fill a line, no bin straddles one");

/* Throttling releases this many kelvin below the limit. */
#define PU_THROTTLE_HYST_K 2.0
/* Tolerance when matching a freq target against a P-state clock, so a
 * target equal to a table entry is never rounded down a state. */
#define PU_FREQ_EPS 1e-9

/*
 * Presets.  Each is a V/f curve (a few anchor points) and the clock step of
 * the real part; pu_part_params generates the P-state table from them: a
 * state at every step from the lowest clock to the highest, as the real
 * part offers (see the steps' sources below), voltage interpolated
 * linearly between the anchors.  Vendors publish clocks but not per-step
 * voltages, so the interpolation is an assumption; it keeps the anchors'
 * (f, V) exactly, hence the top state's power and the rated figures below.
 * The table is generated rather than written out because the anchors and
 * the step are the sourced numbers: 40-odd hand-written rows per part
 * could drift from them unseen, and it costs a few microseconds per device
 * at init.
 *
 * Vendors do not publish per-P-state voltages or capacitances either, so
 * C_eff is derived: C_eff = P_dyn / (V^2 f) at the top P-state with the
 * dynamic share of the part's rated power, and the thermal R is chosen so
 * that full load settles a few kelvin below the throttling limit (a
 * well-cooled part), C so that R*C is seconds to a minute.
 */
const struct pu_part pu_parts[] = {
    /*
     * One Zen 3 core, AMD EPYC 7543 (32 cores, 225 W TDP, base 2.8 GHz,
     * boost 3.7 GHz; AMD product page) / Ryzen 5000.  V/f anchors 1.5 /
     * 2.2 / 2.8 / 3.7 GHz at 0.85-1.25 V follow the Zen 3 V/f curve
     * (HWiNFO core VID readings).  Clock step 25 MHz: a Zen core's clock is
     * CpuFid x 25 MHz (PStateDef MSRs, AMD PPR for family 17h/19h; coreboot
     * src/soc/amd/cezanne/include/soc/msr.h, PSTATE_DEF_CORE_FREQ_BASE
     * 25), and under amd-pstate (Linux
     * Documentation/admin-guide/pm/amd-pstate.rst) the OS asks for a CPPC
     * performance level instead of one of three ACPI P-states, so the
     * firmware may pick any of those clocks.  1.5-3.7 GHz at 25 MHz is 89
     * states, over PU_MAX_PSTATES: the table steps 50 MHz (45 states).
     * ~8 W dynamic per core at boost (225 W / 32 cores is ~7 W at base
     * incl. uncore): C_eff = 8 / (1.25^2 * 3.7e9) = 1.38 nF.
     * 2 x 256-bit FMA per cycle = 32 FP32 op/cycle.  Tctl limit 95 C.
     * Full load settles near 84 C (R 5.5 K/W, tau = R C = 10 s).
     */
    {.name = "zen3-core",
     .kind = "cpu",
     .vf = {{1.5e9, 0.85}, {2.2e9, 0.95}, {2.8e9, 1.05}, {3.7e9, 1.25}},
     .n_vf = 4,
     .step_hz = 25e6,
     .params = {.c_eff_f = 1.384e-9,
                .leak_w = 0.8,
                .leak_coeff = 0.02,
                .r_th = 5.5,
                .c_th = 1.8,
                .ops_per_cycle = 32.0,
                .power_cap_min_w = 2.0,
                .power_cap_max_w = 12.0,
                .idle_activity = 0.10,
                .temp_limit_c = 95.0,
                .deadline_s = 0.05}},

    /*
     * One Ice Lake-SP core, Intel Xeon Platinum 8380 (40 cores, 270 W TDP,
     * base 2.3 GHz, all-core turbo 3.0 GHz, max turbo 3.4 GHz; Intel ARK).
     * Clock step 100 MHz: a P-state is a ratio of the 100 MHz bus clock
     * (Intel SDM vol. 3, IA32_PERF_CTL / IA32_HWP_REQUEST; Linux
     * intel_pstate's core scaling of 100000 kHz per ratio), and with HWP
     * (Documentation/admin-guide/pm/intel_pstate.rst) the processor picks
     * any ratio in the allowed range: 0.8-3.4 GHz is 27 states.
     * ~6 W dynamic per core at 3.4 GHz / 1.10 V: C_eff = 1.46 nF.
     * 2 x 512-bit FMA per cycle = 64 FP32 op/cycle.  Tjmax 100 C
     * (throttle at 95 C here to keep PROCHOT margin).
     */
    {.name = "icelake-core",
     .kind = "cpu",
     .vf = {{0.8e9, 0.70},
            {1.6e9, 0.80},
            {2.3e9, 0.90},
            {3.0e9, 1.00},
            {3.4e9, 1.10}},
     .n_vf = 5,
     .step_hz = 100e6,
     .params = {.c_eff_f = 1.458e-9,
                .leak_w = 0.6,
                .leak_coeff = 0.02,
                .r_th = 6.5,
                .c_th = 1.5,
                .ops_per_cycle = 64.0,
                .power_cap_min_w = 1.5,
                .power_cap_max_w = 10.0,
                .idle_activity = 0.10,
                .temp_limit_c = 95.0,
                .deadline_s = 0.05}},

    /*
     * NVIDIA A100 PCIe 40GB (datasheet: 250 W TDP, boost 1410 MHz, 6912
     * FP32 lanes x 2 op (FMA) = 19.5 TFLOPS; nvidia-smi: power limit
     * 150-250 W, clocks down to 210 MHz, slowdown temp ~89-90 C).  Clock
     * step 15 MHz: `nvidia-smi -q -d SUPPORTED_CLOCKS` on an A100 lists
     * graphics clocks 1410, 1395, 1380, ... 225, 210 MHz, 81 of them;
     * over PU_MAX_PSTATES, so the table steps 30 MHz (41 states; the 765
     * and 1065 MHz anchors fall between states and shape the curve).
     * Voltages 0.70-1.00 V are typical GA100 values (not published).
     * 200 W dynamic at 1410 MHz / 1.0 V: C_eff = 142 nF; 25 W static at
     * 25 C.  Full load ~248 W, settles near 80 C (R 0.22 K/W, tau 30 s).
     * Memory 40 GB HBM2 (40 GiB: nvidia-smi shows 40960 MiB), 1555 GB/s;
     * PCIe Gen4 x16, 64 GB/s both directions (datasheet), ~25 GB/s usable
     * one way (cudaMemcpy from pinned memory on Gen4 x16).  No NVENC: the
     * A100 has 5 NVDEC and 0 NVENC (datasheet; NVIDIA Video Encode and
     * Decode GPU Support Matrix).
     */
    {.name = "a100-pcie",
     .kind = "gpu",
     .vf = {{210e6, 0.70}, {765e6, 0.75}, {1065e6, 0.85}, {1410e6, 1.00}},
     .n_vf = 4,
     .step_hz = 15e6,
     .params = {.c_eff_f = 1.418e-7,
                .leak_w = 25.0,
                .leak_coeff = 0.012,
                .r_th = 0.22,
                .c_th = 136.0,
                .ops_per_cycle = 13824.0,
                .power_cap_min_w = 150.0,
                .power_cap_max_w = 250.0,
                .idle_activity = 0.10,
                .temp_limit_c = 90.0,
                .deadline_s = 0.1,
                .mem_total_b = 40.0 * 1073741824.0,
                .pcie_bps = 25e9,
                .nvenc = 0}},

    /*
     * NVIDIA T4 (datasheet: 70 W, 2560 CUDA cores, boost 1590 MHz, 8.1 FP32
     * TFLOPS = 2560 x 2 x 1.59 GHz; base 585 MHz; nvidia-smi power limit
     * 60-70 W).  Clock step 15 MHz, NVIDIA's graphics-clock bin on Turing
     * as on Ampere (the A100's list above; every T4 clock quoted, 300, 585,
     * 1005, 1590 MHz, is on it); 300-1590 MHz is 87 states, so the table
     * steps 30 MHz (44 states).  Passive card: R 0.78 K/W gives ~80 C at
     * full load.  55 W dynamic at 1590 MHz / 0.95 V: C_eff = 38.3 nF.
     * Slowdown ~85 C.  Memory 16 GB GDDR6 (taken as 16 GiB), 320 GB/s;
     * PCIe Gen3 x16, 32 GB/s both directions (datasheet), ~12 GB/s
     * usable one way.  One NVENC and two NVDEC (Turing; NVIDIA Video
     * Encode and Decode GPU Support Matrix).
     */
    {.name = "t4",
     .kind = "gpu",
     .vf = {{300e6, 0.65}, {585e6, 0.70}, {1005e6, 0.80}, {1590e6, 0.95}},
     .n_vf = 4,
     .step_hz = 15e6,
     .params = {.c_eff_f = 3.833e-8,
                .leak_w = 8.0,
                .leak_coeff = 0.012,
                .r_th = 0.78,
                .c_th = 26.0,
                .ops_per_cycle = 5120.0,
                .power_cap_min_w = 60.0,
                .power_cap_max_w = 70.0,
                .idle_activity = 0.10,
                .temp_limit_c = 85.0,
                .deadline_s = 0.1,
                .mem_total_b = 16.0 * 1073741824.0,
                .pcie_bps = 12e9,
                .nvenc = 1}},

    /*
     * Xilinx Alveo U250 (DS962 / UG1301: kernel clock 300 MHz default,
     * VCCINT 0.85 V fixed, 225 W board max, ~75 W typical kernel).  Clock
     * step 5 MHz: XRT scales the kernel clock through the clocking wizard
     * (MMCM) with a table of settings "approximately 5 MHz apart", 10 to
     * 650 MHz, rounding a request down to an entry (XRT,
     * src/runtime_src/core/pcie/driver/linux/xocl/subdev/clock.c,
     * frequency_table); 100-300 MHz is 41 states, all at the fixed VCCINT.
     * 60 W dynamic at 300 MHz: C_eff = 60 / (0.85^2 * 3e8) = 277 nF; 12 W
     * static (VU13P is large).  A kernel of 4096 DSP48 MACs (a third of
     * the 12288) = 8192 op/cycle.  Tj max 100 C (extended grade, DS923).
     * FPGAs clock-gate little: idle activity 0.2.  Full load ~82 W, ~65 C.
     */
    {.name = "alveo-u250",
     .kind = "fpga",
     .vf = {{100e6, 0.85}, {200e6, 0.85}, {300e6, 0.85}},
     .n_vf = 3,
     .step_hz = 5e6,
     .params = {.c_eff_f = 2.768e-7,
                .leak_w = 12.0,
                .leak_coeff = 0.015,
                .r_th = 0.49,
                .c_th = 61.0,
                .ops_per_cycle = 8192.0,
                .power_cap_min_w = 25.0,
                .power_cap_max_w = 225.0,
                .idle_activity = 0.20,
                .temp_limit_c = 100.0,
                .deadline_s = 0.02}},
    {.name = NULL},
};

/* Relative tolerance for "the span is a whole number of steps": the
 * presets' clocks are whole hertz, so only rounding is forgiven. */
#define PU_STEP_TOL 1e-9

size_t pu_pstates_from_curve(const struct pu_pstate *vf, size_t n_vf,
                             double step_hz, struct pu_pstate *out, size_t max,
                             double *step_used)
{
    double f0, span, nsteps, step;
    size_t ns, n, m, seg = 0;

    if (n_vf < 1 || n_vf > PU_MAX_ANCHORS || max < 1 || !(step_hz > 0) ||
        !isfinite(step_hz))
        return 0;
    for (size_t i = 0; i < n_vf; i++) {
        if (!(vf[i].freq_hz > 0) || !isfinite(vf[i].freq_hz) ||
            !(vf[i].volt > 0) || !isfinite(vf[i].volt))
            return 0;
        if (i > 0 && (!(vf[i].freq_hz > vf[i - 1].freq_hz) ||
                      vf[i].volt < vf[i - 1].volt))
            return 0;
    }
    f0 = vf[0].freq_hz;
    span = vf[n_vf - 1].freq_hz - f0;
    nsteps = round(span / step_hz);
    if (fabs(nsteps * step_hz - span) > PU_STEP_TOL * vf[n_vf - 1].freq_hz ||
        nsteps > 1e6)
        return 0;
    /* The smallest whole multiple of the step that divides the span and
     * fits: the finest table the console accepts, with the top and bottom
     * clocks kept (m = ns, two states, always fits when max >= 2). */
    ns = (size_t)nsteps;
    if (ns == 0) {
        m = 1;
        n = 1;
    } else {
        for (m = 1; m <= ns; m++)
            if (ns % m == 0 && ns / m + 1 <= max)
                break;
        if (m > ns)
            return 0; /* max == 1 and more than one clock */
        n = ns / m + 1;
    }
    step = step_hz * (double)m;
    for (size_t k = 0; k < n; k++) {
        /* f0 + k * step, exact for whole-hertz clocks below 2^53 Hz; the
         * last is the top anchor itself. */
        double f = k + 1 == n ? vf[n_vf - 1].freq_hz : f0 + (double)k * step;
        double v;
        while (seg + 1 < n_vf - 1 && f >= vf[seg + 1].freq_hz)
            seg++;
        if (n_vf == 1 || f == vf[seg].freq_hz) {
            v = vf[seg].volt;
        } else if (f == vf[seg + 1].freq_hz) {
            v = vf[seg + 1].volt;
        } else {
            const struct pu_pstate *a = &vf[seg], *b = &vf[seg + 1];
            v = a->volt + (b->volt - a->volt) * (f - a->freq_hz) /
                              (b->freq_hz - a->freq_hz);
            /* Rounding must not step outside the segment: the voltages
             * stay monotone. */
            v = v < a->volt ? a->volt : v > b->volt ? b->volt : v;
        }
        out[k].freq_hz = f;
        out[k].volt = v;
    }
    if (step_used)
        *step_used = step;
    return n;
}

int pu_part_params(const struct pu_part *pt, struct pu_params *p)
{
    *p = pt->params;
    p->n_pstates = pu_pstates_from_curve(pt->vf, pt->n_vf, pt->step_hz,
                                         p->pstates, PU_MAX_PSTATES, NULL);
    return p->n_pstates > 0 ? 0 : -1;
}

const struct pu_part *pu_part_find(const char *name)
{
    for (const struct pu_part *pt = pu_parts; pt->name; pt++)
        if (strcmp(pt->name, name) == 0)
            return pt;
    return NULL;
}

const struct pu_part *pu_part_default(const char *kind)
{
    for (const struct pu_part *pt = pu_parts; pt->name; pt++)
        if (strcmp(pt->kind, kind) == 0)
            return pt;
    return NULL;
}

/* Range check of one parameter; NaN fails every comparison below. */
static int pu_check_range(const char *field, double v, double lo, int lo_open,
                          double hi, char *err, size_t errlen)
{
    int ok = isfinite(v) && (lo_open ? v > lo : v >= lo) && v <= hi;
    if (ok)
        return 0;
    if (!isfinite(v))
        snprintf(err, errlen, "%s: must be a finite number", field);
    else if (isinf(hi))
        snprintf(err, errlen, "%s: must be %s %g, got %g", field,
                 lo_open ? ">" : ">=", lo, v);
    else
        snprintf(err, errlen, "%s: must be in %c%g, %g], got %g", field,
                 lo_open ? '(' : '[', lo, hi, v);
    return -1;
}

int pu_params_check(const struct pu_params *p, double ambient_c, char *err,
                    size_t errlen)
{
    char field[48];

    if (p->n_pstates < 1 || p->n_pstates > PU_MAX_PSTATES) {
        snprintf(err, errlen, "pstates: need 1 to %d P-states, got %zu",
                 PU_MAX_PSTATES, p->n_pstates);
        return -1;
    }
    for (size_t i = 0; i < p->n_pstates; i++) {
        const struct pu_pstate *ps = &p->pstates[i];
        snprintf(field, sizeof field, "pstates.%zu.freq_hz", i + 1);
        if (pu_check_range(field, ps->freq_hz, 0, 1, 1e13, err, errlen))
            return -1;
        snprintf(field, sizeof field, "pstates.%zu.volt", i + 1);
        if (pu_check_range(field, ps->volt, 0, 1, 5.0, err, errlen))
            return -1;
        if (i > 0 && !(ps->freq_hz > p->pstates[i - 1].freq_hz)) {
            snprintf(err, errlen,
                     "pstates.%zu.freq_hz: P-states must increase in "
                     "frequency (%g after %g)",
                     i + 1, ps->freq_hz, p->pstates[i - 1].freq_hz);
            return -1;
        }
        if (i > 0 && ps->volt < p->pstates[i - 1].volt) {
            snprintf(err, errlen,
                     "pstates.%zu.volt: voltage must not fall as frequency "
                     "rises (%g after %g)",
                     i + 1, ps->volt, p->pstates[i - 1].volt);
            return -1;
        }
    }
    if (pu_check_range("c_eff_f", p->c_eff_f, 0, 1, 1.0, err, errlen) ||
        pu_check_range("leak_w", p->leak_w, 0, 0, 1e5, err, errlen) ||
        pu_check_range("leak_coeff", p->leak_coeff, 0, 0, 0.2, err, errlen) ||
        pu_check_range("r_th", p->r_th, 0, 1, 1e3, err, errlen) ||
        pu_check_range("c_th", p->c_th, 0, 1, 1e6, err, errlen) ||
        pu_check_range("ops_per_cycle", p->ops_per_cycle, 0, 1, 1e9, err,
                       errlen) ||
        pu_check_range("power_cap_min_w", p->power_cap_min_w, 0, 0, 1e5, err,
                       errlen) ||
        pu_check_range("power_cap_max_w", p->power_cap_max_w, 0, 1, 1e5, err,
                       errlen) ||
        pu_check_range("idle_activity", p->idle_activity, 0, 0, 1, err,
                       errlen) ||
        pu_check_range("temp_limit_c", p->temp_limit_c, -50, 0, 300, err,
                       errlen) ||
        pu_check_range("deadline_s", p->deadline_s, 0, 1, 1e6, err, errlen) ||
        pu_check_range("mem_total_b", p->mem_total_b, 0, 0, 1e15, err,
                       errlen) ||
        pu_check_range("pcie_bps", p->pcie_bps, 0, 0, 1e13, err, errlen) ||
        pu_check_range("nvenc", p->nvenc, 0, 0, 64, err, errlen))
        return -1;
    if (p->nvenc != floor(p->nvenc)) {
        snprintf(err, errlen, "nvenc: must be a whole number, got %g",
                 p->nvenc);
        return -1;
    }
    if (p->power_cap_min_w > p->power_cap_max_w) {
        snprintf(err, errlen, "power_cap_min_w: %g is above power_cap_max_w %g",
                 p->power_cap_min_w, p->power_cap_max_w);
        return -1;
    }
    /* A limit at or below ambient (plus the hysteresis) would throttle
     * forever: almost certainly a typo in the lab. */
    if (p->temp_limit_c <= ambient_c + PU_THROTTLE_HYST_K) {
        snprintf(err, errlen,
                 "temp_limit_c: %g C must be more than %g K above "
                 "ambient_c %g C",
                 p->temp_limit_c, PU_THROTTLE_HYST_K, ambient_c);
        return -1;
    }
    return 0;
}

int pu_init(struct pu *pu, const struct pu_params *p, double ambient_c)
{
    size_t lat_size = (sizeof *pu->lat + PU_LINE - 1) / PU_LINE * PU_LINE;

    memset(pu, 0, sizeof *pu);
    pu->ring = calloc(PU_RING_BATCHES, sizeof *pu->ring);
    /* Line-aligned (see struct pu_lat); aligned_alloc wants a whole
     * number of lines. */
    pu->lat = aligned_alloc(PU_LINE, lat_size);
    if (!pu->ring || !pu->lat) {
        pu_fini(pu);
        return -1;
    }
    memset(pu->lat, 0, sizeof *pu->lat);
    pu_lat_init_edges();
    pu->p = *p;
    for (size_t i = 0; i < p->n_pstates; i++) {
        const struct pu_pstate *ps = &p->pstates[i];
        pu->dyn_w[i] = p->c_eff_f * ps->volt * ps->volt * ps->freq_hz;
    }
    pu->ambient_c = ambient_c;
    pu->temp_c = ambient_c;
    pu->freq_target_hz = p->pstates[p->n_pstates - 1].freq_hz;
    pu->target_hz = NAN; /* no state looked up yet */
    pu->power_cap_w = p->power_cap_max_w;
    pu->ps = p->n_pstates - 1;
    pu->decay_dt = -1.0;
    pu->latency_p99 = NAN;
    return 0;
}

void pu_fini(struct pu *pu)
{
    free(pu->ring);
    pu->ring = NULL;
    free(pu->lat);
    pu->lat = NULL;
}

double pu_power(const struct pu *pu, size_t k, double activity, double temp_c)
{
    const struct pu_params *p = &pu->p;
    return pu->dyn_w[k] * activity +
           p->leak_w * exp(p->leak_coeff * (temp_c - 25.0));
}

double pu_temp_ref(const struct pu *pu)
{
    return 0.5 * (pu->ambient_c + pu->p.temp_limit_c);
}

/* ---- latency histogram ------------------------------------------------ */

/* Bucket edges: bucket j is [pu_lat_edges[j], pu_lat_edges[j + 1]).
 * Filled by the first pu_init (the same numbers every time: the plugin
 * runs on the host's one thread). */
static double pu_lat_edges[PU_LAT_BUCKETS + 1];

static void pu_lat_init_edges(void)
{
    if (pu_lat_edges[1] > 0)
        return;
    pu_lat_edges[0] = 0.0;
    for (size_t j = 1; j <= PU_LAT_BUCKETS; j++) {
        size_t o = (j - 1) / PU_LAT_SUB, k = (j - 1) % PU_LAT_SUB;
        pu_lat_edges[j] =
            ldexp(PU_LAT_MIN_S * (1.0 + (double)k / PU_LAT_SUB), (int)o);
    }
}

/* Lower (upper = 0) or upper edge of bucket j. */
static double pu_lat_edge(size_t j, int upper)
{
    return pu_lat_edges[j + (upper ? 1 : 0)];
}

/* The bucket of latency v.  v / PU_LAT_MIN_S = 1.f * 2^E (it is >= 1 and
 * finite): the octave is E and the sub-bucket the leading PU_LAT_SUB_BITS
 * bits of f, read straight from the bits (the same numbers as frexp's
 * exponent and truncated (2 m - 1) * PU_LAT_SUB, without the call). */
static size_t pu_lat_bucket(double v)
{
    uint64_t bits, e;

    if (!(v >= PU_LAT_MIN_S))
        return 0;
    v /= PU_LAT_MIN_S;
    memcpy(&bits, &v, sizeof bits);
    e = (bits >> 52) - 1023; /* v >= 1: the sign bit is clear */
    if (e >= PU_LAT_OCTAVES)
        return PU_LAT_BUCKETS - 1;
    return 1 + (size_t)e * PU_LAT_SUB +
           (size_t)((bits >> (52 - PU_LAT_SUB_BITS)) & (PU_LAT_SUB - 1));
}

/* Adds x op whose latencies are spread evenly over [a, b]; returns the
 * highest bucket it changed (0 when it added nothing, which a caller reads
 * as bucket 0 changed: only cautious). */
static size_t pu_lat_add(struct pu_lat *l, double a, double b, double x)
{
    const double lmax = pu_lat_edge(PU_LAT_BUCKETS - 1, 1);
    size_t ja, jb;
    double rho, wa, wb;

    if (!(x > 0))
        return 0;
    a = a < 0 ? 0 : a > lmax ? lmax : a;
    b = b < a ? a : b > lmax ? lmax : b;
    l->total += x;
    if (b > l->max_s)
        l->max_s = b;
    ja = pu_lat_bucket(a);
    jb = pu_lat_bucket(b);
    if (jb > l->top)
        l->top = jb;
    l->last = jb;
    if (ja == jb || !(b > a)) {
        l->bin[jb].w += x;
        return jb;
    }
    rho = x / (b - a);
    wa = rho * (pu_lat_edge(ja, 1) - a);
    wa = wa < 0 ? 0 : wa > x ? x : wa;
    wb = rho * (b - pu_lat_edge(jb, 0));
    wb = wb < 0 ? 0 : wb > x - wa ? x - wa : wb;
    l->bin[ja].w += wa;
    l->bin[jb].w += wb;
    if (jb > ja + 1) {
        l->bin[ja + 1].dens += rho;
        l->bin[jb].dens -= rho;
    }
    return jb;
}

/* The q-quantile (q close to 1), scanning down from the top bucket.
 * Resuming.  The scan's state on reaching bucket j (the weight above it
 * and the density sum) depends only on the buckets above j, on top and on
 * max_s; the buckets it passed did not stop it because their cumulated
 * weight stayed below the tail, which only grows with the total.  So when
 * everything added since the last scan lies below the bucket that scan
 * stopped at (`changed`, the highest bucket touched since, is lower), a
 * scan from there with the saved state takes exactly the steps, and gives
 * exactly the number, of a scan from the top.  q must not change between
 * calls that share `r`. */
static double pu_lat_quantile(const struct pu_lat *l, double q, size_t changed,
                              struct pu_lat_resume *r)
{
    double tail = (1.0 - q) * l->total, above = 0, suf = 0;
    size_t j = l->top + 1;

    if (!(l->total > 0)) {
        r->ok = 0;
        return NAN;
    }
    if (r->ok && changed < r->j) {
        j = r->j + 1;
        above = r->above;
        suf = r->suf;
    }
    while (j-- > 0) {
        double lo = pu_lat_edge(j, 0), hi = pu_lat_edge(j, 1);
        /* Bucket j's density is minus the sum of dens above j (the
         * differences sum to zero). */
        double wj = l->bin[j].w - suf * (hi - lo);
        double suf_j = suf;
        suf += l->bin[j].dens;
        if (j == l->top && l->max_s < hi)
            hi = l->max_s > lo ? l->max_s : lo;
        if (!(wj > 0))
            continue;
        if (above + wj >= tail) {
            r->ok = 1;
            r->j = j;
            r->above = above;
            r->suf = suf_j;
            return hi - (tail - above) / wj * (hi - lo);
        }
        above += wj;
    }
    r->ok = 0;
    return 0.0;
}

double pu_freq(const struct pu *pu)
{
    return pu->p.pstates[pu->ps].freq_hz;
}

double pu_throughput(const struct pu *pu)
{
    return pu_freq(pu) * pu->p.ops_per_cycle;
}

double pu_max_throughput(const struct pu *pu)
{
    return pu->p.pstates[pu->p.n_pstates - 1].freq_hz * pu->p.ops_per_cycle;
}

/* Whether P-state k's predicted power for the interval is within the cap
 * (see the design comment). */
static int pu_fits_cap(const struct pu *pu, size_t k, double queued,
                       double leak, double dt)
{
    const struct pu_params *p = &pu->p;
    double cap_ops = p->pstates[k].freq_hz * p->ops_per_cycle * dt;
    double u = queued >= cap_ops ? 1.0 : queued / cap_ops;
    double a = p->idle_activity + (1.0 - p->idle_activity) * u;
    return pu->dyn_w[k] * a + leak <= pu->power_cap_w;
}

/* The P-state for this interval: throttling first, then the freq target,
 * then the power cap (see the design comment).  Both searches bisect, so a
 * fine table (tens of states) costs a handful of probes, not a scan: the
 * clocks increase, and so does the predicted power, C_eff V^2 (ia f +
 * (1 - ia) min(f, queued / (ops_per_cycle dt))) + leak, since V does not
 * fall with f (pu_params_check); so the states that fit the cap are a
 * prefix of the table and the highest one at or below the target is what
 * a scan down from the target would find. */
static size_t pu_governor(struct pu *pu, double queued, double leak, double dt)
{
    const struct pu_params *p = &pu->p;
    size_t lo, hi;

    if (pu->temp_c >= p->temp_limit_c)
        pu->throttled = 1;
    else if (pu->throttled && pu->temp_c < p->temp_limit_c - PU_THROTTLE_HYST_K)
        pu->throttled = 0;
    if (pu->throttled)
        return 0;

    /* The highest state whose clock is at or below the target (0 when
     * none is; the answer stays in [lo, hi]), searched only when the
     * target changed since the last search (target_hz starts as NaN,
     * equal to nothing). */
    if (!(pu->target_hz == pu->freq_target_hz)) {
        double flim = pu->freq_target_hz * (1.0 + PU_FREQ_EPS);
        lo = 0;
        hi = p->n_pstates - 1;
        while (lo < hi) {
            size_t mid = lo + (hi - lo + 1) / 2;
            if (p->pstates[mid].freq_hz <= flim)
                lo = mid;
            else
                hi = mid - 1;
        }
        pu->target_hz = pu->freq_target_hz;
        pu->target_ps = lo;
    }
    hi = pu->target_ps;
    /* The cap: most intervals it does not bind, and one probe settles it;
     * otherwise the highest state below that fits, the lowest when none
     * does (state 0 is taken whatever it draws). */
    if (hi == 0 || pu_fits_cap(pu, hi, queued, leak, dt))
        return hi;
    lo = 0;
    hi--;
    while (lo < hi) {
        size_t mid = lo + (hi - lo + 1) / 2;
        if (pu_fits_cap(pu, mid, queued, leak, dt))
            lo = mid;
        else
            hi = mid - 1;
    }
    return lo;
}

void pu_step(struct pu *pu, double t0, double dt, double demand)
{
    pu_step_work(pu, t0, dt, demand, 0.0, 0.0);
}

void pu_step_tagged(struct pu *pu, double t0, double dt, double demand,
                    double tagged_ops)
{
    pu_step_work(pu, t0, dt, demand, 0.0, tagged_ops);
}

void pu_step_work(struct pu *pu, double t0, double dt, double demand,
                  double ops, double tagged_ops)
{
    const struct pu_params *p = &pu->p;
    double leak = p->leak_w * exp(p->leak_coeff * (pu->temp_c - 25.0));
    double tagged = tagged_ops > 0 ? tagged_ops : 0.0;
    /* + 0.0 is exact: steps without extra or tagged work stay
     * bit-identical to what pu_step always gave. */
    double arrive = (demand > 0 ? demand * pu_max_throughput(pu) * dt : 0.0) +
                    (ops > 0 ? ops : 0.0) + tagged;
    double queued = pu->backlog + arrive;
    size_t k = pu_governor(pu, queued, leak, dt);
    double thr = p->pstates[k].freq_hz * p->ops_per_cycle;
    double cap_ops = thr * dt;
    double budget = cap_ops, s = t0, served = 0.0, served_tagged = 0.0;
    size_t jmax = 0; /* highest latency bucket this step changed */
    double a, pw, target;

    pu->ps = k;

    if (arrive > 0) {
        if (pu->count < PU_RING_BATCHES) {
            struct pu_batch *b =
                &pu->ring[(pu->head + pu->count) % PU_RING_BATCHES];
            b->t_arr = t0;
            b->rem = arrive;
            /* Untagged: the +0 the division would give, without it. */
            b->tag = tagged > 0 ? tagged / arrive : 0.0;
            pu->count++;
        } else {
            struct pu_batch *b =
                &pu->ring[(pu->head + pu->count - 1) % PU_RING_BATCHES];
            b->tag = (b->rem * b->tag + tagged) / (b->rem + arrive);
            b->rem += arrive;
        }
        pu->work_arrived += arrive;
    }

    while (pu->count > 0 && budget > 0) {
        struct pu_batch *b = &pu->ring[pu->head];
        int done = b->rem <= budget;
        double x = done ? b->rem : budget;
        double span = x / thr;
        size_t jb;
        pu->wait += x * (s + 0.5 * span - b->t_arr);
        jb = pu_lat_add(pu->lat, s - b->t_arr, s + span - b->t_arr, x);
        if (jb > jmax)
            jmax = jb;
        served_tagged += x * b->tag;
        s += span;
        budget -= x;
        served += x;
        if (!done) {
            b->rem -= x;
            break;
        }
        if (s - b->t_arr > p->deadline_s)
            pu->deadline_misses += 1.0;
        pu->head = (pu->head + 1) % PU_RING_BATCHES;
        pu->count--;
    }
    pu->work_served += served;
    pu->served_tagged = served_tagged;
    if (served > 0)
        pu->latency_p99 = pu_lat_quantile(pu->lat, 0.99, jmax, &pu->lat_res);
    /* An empty FIFO restarts at slot 0, so that a unit keeping up reuses
     * one cached slot instead of streaming through the whole ring. */
    if (pu->count == 0)
        pu->head = 0;
    pu->backlog = pu->count > 0 ? queued - served : 0.0;
    if (pu->backlog < 0)
        pu->backlog = 0.0;

    pu->util = served >= cap_ops ? 1.0 : served / cap_ops;
    a = p->idle_activity + (1.0 - p->idle_activity) * pu->util;
    pw = pu->dyn_w[k] * a + leak;
    pu->power_w = pw;
    pu->energy_j += pw * dt;

    /* Ticks are usually equal, so the exp is cached per dt. */
    if (dt != pu->decay_dt) {
        pu->decay_dt = dt;
        pu->decay = exp(-dt / (p->r_th * p->c_th));
    }
    target = pu->ambient_c + pw * p->r_th;
    pu->temp_c = target + (pu->temp_c - target) * pu->decay;
}
