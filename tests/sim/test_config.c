/*
 * test_config - the sim driver's configuration checks: every error is
 * WATTSON_ERR_CONFIG with one line naming the field path.
 */
#include "fakehost.h"
#include "t.h"

#include <unistd.h>

static int open_err(struct fh_run *r)
{
    int rc = fh_open(r);
    if (rc == WATTSON_OK)
        fh_close(r);
    T_CHECK(strchr(r->err, '\n') == NULL);
    return rc;
}

static void base(void)
{
    fh_reset();
    fh_dev(1, "cpu0", "cpu", "zen3-core", 0.5);
    fh_dev(2, "gpu0", "gpu", "a100-pcie", 0.5);
}

static void expect(const char *want)
{
    struct fh_run r;
    T_CHECK(open_err(&r) == WATTSON_ERR_CONFIG);
    T_STREQ(r.err, want);
}

static void test_ok(void)
{
    struct fh_run r;
    base();
    T_CHECK(open_err(&r) == WATTSON_OK);
    T_STREQ(r.err, "");
}

static void test_errors(void)
{
    base();
    fh_str("tpu", "devices.2.kind");
    expect("devices.2.kind: unknown device kind 'tpu' (expected cpu, gpu or "
           "fpga)");

    base();
    fh_str("z80", "devices.1.part");
    expect("devices.1.part: unknown part 'z80' (known: zen3-core, "
           "icelake-core, a100-pcie, t4, alveo-u250)");

    base();
    fh_str("t4", "devices.1.part");
    expect("devices.1.part: 't4' is a gpu part, but the device kind is cpu");

    base();
    fh_str("hot", "devices.1.r_th");
    expect("devices.1.r_th: expected a number, got string");

    base();
    fh_num(-1, "devices.1.r_th");
    expect("devices.1.r_th: must be in (0, 1000], got -1");

    base();
    fh_num(NAN, "devices.2.c_th");
    expect("devices.2.c_th: must be a finite number");

    base();
    fh_str("1", "devices.2.priority");
    expect("devices.2.priority: expected a number, got string");

    base();
    fh_num(-2, "devices.2.priority");
    expect("devices.2.priority: must be >= 0, got -2");

    base();
    fh_num(1.0, "devices.1.c_efff");
    expect("devices.1.c_efff: unknown key (expected one of: name, kind, "
           "part, priority, deadline_s, temp_limit_c, pstates, c_eff_f, "
           "leak_w, leak_coeff, r_th, c_th, ops_per_cycle, power_cap_max_w, "
           "power_cap_min_w, idle_activity, mem_total_b, pcie_bps, nvenc, "
           "workload, ipc_ops_per_byte)");

    base();
    fh_num(2e9, "devices.1.pstates.1.freq_hz");
    fh_num(1.0, "devices.1.pstates.1.volt");
    fh_num(1e9, "devices.1.pstates.2.freq_hz");
    fh_num(1.1, "devices.1.pstates.2.volt");
    expect("devices.1.pstates.2.freq_hz: P-states must increase in "
           "frequency (1e+09 after 2e+09)");

    base();
    fh_num(1e9, "devices.1.pstates.1.freq_hz");
    expect("devices.1.pstates.1.volt: missing");

    fh_reset();
    fh_str("cpu", "devices.1.kind");
    expect("devices.1.name: missing (a string is required)");

    base();
    fh_str("cpu0", "devices.2.name");
    expect("devices.2.name: duplicate device name 'cpu0' (also devices.1)");

    base();
    fh_str("walk", "devices.2.workload.kind");
    expect("devices.2.workload.kind: unknown workload kind 'walk' (expected "
           "constant, step, sine, bursty, random_walk or trace)");

    base();
    fh_num(3, "devices.2.workload.mean");
    expect("devices.2.workload.mean: unknown key (expected one of: kind, "
           "level)");

    base();
    fh_str("half", "devices.2.workload.level");
    expect("devices.2.workload.level: expected a number, got string");

    base();
    fh_num(90, "devices.1.temp_limit_c");
    fh_num(95, "ambient_c");
    expect("devices.1.temp_limit_c: 90 C must be more than 2 K above "
           "ambient_c 95 C");

    base();
    fh_num(300, "devices.2.power_cap_min_w");
    expect("devices.2.power_cap_min_w: 300 is above power_cap_max_w 250");

    base();
    fh_str("random_walk", "devices.1.workload.kind");
    fh_del("devices.1.workload.level");
    fh_num(2, "devices.1.workload.start");
    expect("devices.1.workload.start: 2 is outside [min, max] = [0, 1]");

    base();
    fh_num(0, "load_scale");
    expect("load_scale: must be > 0, got 0");

    base();
    fh_num(11, "load_scale");
    expect("load_scale: must be <= 10, got 11");

    fh_reset();
    expect("devices: expected a table of devices, got nothing");

    fh_reset();
    fh_str("x", "devices");
    expect("devices: expected a table of devices, got string");
}

static void test_trace_errors(void)
{
    char path[64];
    FILE *f;

    snprintf(path, sizeof path, "/tmp/wattson-sim-%d.csv", (int)getpid());
    f = fopen(path, "w");
    T_CHECK(f != NULL);
    if (!f)
        return;
    fputs("t_s,util\n0,0.1\n15,0.2\n30;0.3\n", f);
    fclose(f);

    base();
    fh_str("trace", "devices.1.workload.kind");
    fh_del("devices.1.workload.level");
    fh_str(path, "devices.1.workload.file");
    {
        char want[256];
        snprintf(want, sizeof want,
                 "devices.1.workload.file: %s:4: expected two numbers "
                 "'t_s,util'",
                 path);
        expect(want);
    }
    remove(path);

    /* Relative paths resolve against the lab directory and the message
     * shows the path as written. */
    fh_str("traces/none.csv", "devices.1.workload.file");
    {
        struct fh_run r;
        T_CHECK(open_err(&r) == WATTSON_ERR_CONFIG);
        T_CHECK(strncmp(r.err,
                        "devices.1.workload.file: traces/none.csv: cannot "
                        "open",
                        53) == 0);
    }
    fh_str("traces/kenj-pc-1.csv", "devices.1.workload.file");
    fh_num(1, "devices.1.workload.loop");
    expect("devices.1.workload.loop: expected a boolean, got number");
    fh_bool(0, "devices.1.workload.loop");
    {
        struct fh_run r;
        T_CHECK(open_err(&r) == WATTSON_OK);
    }
    fh.n = 0;
    fh_str("trace", "devices.1.workload.kind");
    fh_str("cpu", "devices.1.kind");
    fh_str("c", "devices.1.name");
    expect("devices.1.workload.file: missing (a string is required)");
}

/* The lab of drivers/sim/README.md's pipeline example. */
static void pipe_base(void)
{
    fh_reset();
    fh_dev(1, "cpu0", "cpu", "zen3-core", 0.0);
    fh_dev(2, "gpu0", "gpu", "a100-pcie", 0.0);
    fh_dev(3, "cpu1", "cpu", "zen3-core", 0.5);
    fh_str("infer", "pipelines.1.name");
    fh_num(4100, "pipelines.1.pid");
    fh_str("bursty", "pipelines.1.source.kind");
    fh_num(0.9, "pipelines.1.source.on_level");
    fh_num(0.05, "pipelines.1.lag_s");
    fh_num(0.5, "pipelines.1.bytes_per_op");
    fh_str("cpu0", "pipelines.1.stages.1.device");
    fh_num(4101, "pipelines.1.stages.1.pid");
    fh_str("decode", "pipelines.1.stages.1.name");
    fh_str("gpu0", "pipelines.1.stages.2.device");
    fh_num(4102, "pipelines.1.stages.2.pid");
    fh_num(40, "pipelines.1.stages.2.ratio");
}

static void test_pipeline_errors(void)
{
    struct fh_run r;

    pipe_base();
    T_CHECK(open_err(&r) == WATTSON_OK);
    T_STREQ(r.err, "");

    pipe_base();
    fh_str("tpu0", "pipelines.1.stages.2.device");
    expect("pipelines.1.stages.2.device: unknown device 'tpu0'");

    pipe_base();
    fh_num(4101, "pipelines.1.stages.2.pid");
    expect("pipelines.1.stages.2.pid: duplicate pid 4101 (also "
           "pipelines.1.stages.1.pid)");

    pipe_base();
    fh_num(4100, "pipelines.1.stages.1.pid");
    expect("pipelines.1.stages.1.pid: duplicate pid 4100 (also "
           "pipelines.1.pid)");

    pipe_base();
    fh_num(-0.01, "pipelines.1.lag_s");
    expect("pipelines.1.lag_s: must be >= 0, got -0.01");

    pipe_base();
    fh_num(NAN, "pipelines.1.lag_s");
    expect("pipelines.1.lag_s: must be a finite number");

    pipe_base();
    fh_num(0, "pipelines.1.stages.2.ratio");
    expect("pipelines.1.stages.2.ratio: must be > 0, got 0");

    pipe_base();
    fh_num(-3, "pipelines.1.stages.2.ratio");
    expect("pipelines.1.stages.2.ratio: must be > 0, got -3");

    pipe_base();
    fh_num(2, "pipelines.1.stages.1.ratio");
    expect("pipelines.1.stages.1.ratio: the first stage takes the source's "
           "demand as it is (no ratio)");

    pipe_base();
    fh_str("cpu0", "pipelines.1.stages.2.device");
    expect("pipelines.1.stages.2.device: device 'cpu0' is already "
           "pipelines.1.stages.1 (a device serves one stage)");

    /* ...of any pipeline */
    pipe_base();
    fh_num(4200, "pipelines.2.pid");
    fh_str("constant", "pipelines.2.source.kind");
    fh_str("gpu0", "pipelines.2.stages.1.device");
    fh_num(4201, "pipelines.2.stages.1.pid");
    expect("pipelines.2.stages.1.device: device 'gpu0' is already "
           "pipelines.1.stages.2 (a device serves one stage)");
    fh_str("cpu1", "pipelines.2.stages.1.device");
    T_CHECK(open_err(&r) == WATTSON_OK);
    fh_num(4102, "pipelines.2.stages.1.pid");
    expect("pipelines.2.stages.1.pid: duplicate pid 4102 (also "
           "pipelines.1.stages.2.pid)");
    fh_num(4101, "pipelines.2.pid");
    expect("pipelines.2.pid: duplicate pid 4101 (also "
           "pipelines.1.stages.1.pid)");

    /* empty and missing stages */
    pipe_base();
    for (int k = 1; k <= 2; k++) {
        char path[64];
        static const char *const keys[] = {"device", "pid", "name", "ratio"};
        for (int j = 0; j < 4; j++) {
            snprintf(path, sizeof path, "pipelines.1.stages.%d.%s", k, keys[j]);
            fh_del(path);
        }
    }
    expect("pipelines.1.stages: missing (a table of stages is required)");
    fh_str("x", "pipelines.1.stages.note");
    expect("pipelines.1.stages: need 1 to 16 stages, got 0");
    fh_num(3, "pipelines.1.stages");
    expect("pipelines.1.stages: expected a table, got number");

    pipe_base();
    fh_num(1.5, "pipelines.1.stages.2.pid");
    expect("pipelines.1.stages.2.pid: must be a whole number, got 1.5");

    pipe_base();
    fh_del("pipelines.1.pid");
    expect("pipelines.1.pid: missing (a process id is required)");

    pipe_base();
    fh_del("pipelines.1.source.kind");
    fh_del("pipelines.1.source.on_level");
    expect("pipelines.1.source: missing (a workload table is required)");

    pipe_base();
    fh_str("walk", "pipelines.1.source.kind");
    expect("pipelines.1.source.kind: unknown workload kind 'walk' (expected "
           "constant, step, sine, bursty, random_walk or trace)");

    pipe_base();
    fh_num(1, "pipelines.1.lag");
    expect("pipelines.1.lag: unknown key (expected one of: name, pid, "
           "source, lag_s, stages, bytes_per_op)");

    pipe_base();
    fh_num(1, "pipelines.1.stages.1.ratio_x");
    expect("pipelines.1.stages.1.ratio_x: unknown key (expected one of: "
           "device, pid, name, ratio)");

    pipe_base();
    fh_num(-1, "pipelines.1.bytes_per_op");
    expect("pipelines.1.bytes_per_op: must be >= 0, got -1");

    pipe_base();
    fh_num(7, "pipelines.1.stages.2.device");
    expect("pipelines.1.stages.2.device: expected a string, got number");

    fh_reset();
    fh_dev(1, "cpu0", "cpu", "zen3-core", 0.5);
    fh_str("x", "pipelines");
    expect("pipelines: expected a table of pipelines, got string");
}

/* A lab's own `pstates` replaces the part's generated table whole: any
 * length up to PU_MAX_PSTATES (the console's limit), not one more. */
static void test_pstates_list(void)
{
    struct fh_run r;

    base();
    fh_num(1.0e9, "devices.1.pstates.1.freq_hz");
    fh_num(0.8, "devices.1.pstates.1.volt");
    fh_num(2.0e9, "devices.1.pstates.2.freq_hz");
    fh_num(0.9, "devices.1.pstates.2.volt");
    fh_num(3.0e9, "devices.1.pstates.3.freq_hz");
    fh_num(1.1, "devices.1.pstates.3.volt");
    T_CHECK(fh_open(&r) == WATTSON_OK);
    T_CHECK(r.inv.n_pstates == 2);
    if (r.inv.n_pstates == 2) {
        T_CHECK(r.inv.pstates[0].n == 3);
        T_NEAR(r.inv.pstates[0].freq_hz[0], 1.0e9, 0);
        T_NEAR(r.inv.pstates[0].freq_hz[2], 3.0e9, 0);
        T_CHECK(r.inv.pstates[1].n == 81); /* a100-pcie's own, 15 MHz */
        T_NEAR(r.inv.controls[0].min, 1.0e9, 0);
        T_NEAR(r.inv.controls[0].max, 3.0e9, 0);
    }
    fh_close(&r);

    base();
    for (int i = 1; i <= 128; i++) {
        fh_num(1e9 + 1e7 * i, "devices.1.pstates.%d.freq_hz", i);
        fh_num(1.0, "devices.1.pstates.%d.volt", i);
    }
    T_CHECK(fh_open(&r) == WATTSON_OK);
    T_CHECK(r.inv.n_pstates == 2 && r.inv.pstates[0].n == 128);
    fh_close(&r);
    fh_num(1e9 + 1e7 * 129, "devices.1.pstates.129.freq_hz");
    fh_num(1.0, "devices.1.pstates.129.volt");
    expect("devices.1.pstates: need 1 to 128 P-states, got 129");
}

int main(void)
{
    test_ok();
    test_errors();
    test_pstates_list();
    test_trace_errors();
    test_pipeline_errors();
    return t_done("test_sim_config");
}
