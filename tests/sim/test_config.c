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
           "power_cap_min_w, idle_activity, workload)");

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

int main(void)
{
    test_ok();
    test_errors();
    test_trace_errors();
    return t_done("test_sim_config");
}
