/*
 * test_chain - the sim driver's chains (a lab's `pipelines`): messages precede
 * the work they announce by lag_s, work and bytes are conserved from hop to
 * hop, demand_next sees the work in flight, ipc_read drains the event log in
 * batches, and the process table.
 */
#include "fakehost.h"
#include "t.h"

#define PEAK_ZEN3 (3.7e9 * 32)
#define MAX_EV 64

static const double tick = 0.01;

/* Three devices, one pipeline cpu0 -> gpu0 (x40) -> cpu1 (x0.02); the
 * source runs at `level` of cpu0's peak until `stop_s`. */
static void lab(double level, double stop_s, double lag_s)
{
    fh_reset();
    fh_dev(1, "cpu0", "cpu", "zen3-core", 0.0);
    fh_dev(2, "gpu0", "gpu", "a100-pcie", 0.0);
    fh_dev(3, "cpu1", "cpu", "zen3-core", 0.0);
    fh_dev(4, "other", "gpu", "t4", 0.3);
    fh_str("infer", "pipelines.1.name");
    fh_num(4100, "pipelines.1.pid");
    fh_str("step", "pipelines.1.source.kind");
    fh_num(level, "pipelines.1.source.from");
    fh_num(0.0, "pipelines.1.source.to");
    fh_num(stop_s, "pipelines.1.source.at_s");
    fh_num(lag_s, "pipelines.1.lag_s");
    fh_num(0.5, "pipelines.1.bytes_per_op");
    fh_str("cpu0", "pipelines.1.stages.1.device");
    fh_num(4101, "pipelines.1.stages.1.pid");
    fh_str("decode", "pipelines.1.stages.1.name");
    fh_str("gpu0", "pipelines.1.stages.2.device");
    fh_num(4102, "pipelines.1.stages.2.pid");
    fh_str("infer", "pipelines.1.stages.2.name");
    fh_num(40, "pipelines.1.stages.2.ratio");
    fh_str("cpu1", "pipelines.1.stages.3.device");
    fh_num(4103, "pipelines.1.stages.3.pid");
    fh_num(0.02, "pipelines.1.stages.3.ratio");
}

static int ipc(struct fh_run *r, struct wattson_ipc_event *ev, size_t max)
{
    return r->pl->ipc_read(r->st, ev, max);
}

static void test_procs(void)
{
    struct fh_run r;
    lab(0.5, 1.0, 0.05);
    T_CHECK(fh_open(&r) == WATTSON_OK);
    T_CHECK(r.pl->ipc_read != NULL);
    T_CHECK(r.inv.n_procs == 3);
    if (r.inv.n_procs == 3) {
        T_CHECK(r.inv.procs[0].pid == 4101 && r.inv.procs[0].device == 0);
        T_CHECK(r.inv.procs[1].pid == 4102 && r.inv.procs[1].device == 1);
        T_CHECK(r.inv.procs[2].pid == 4103 && r.inv.procs[2].device == 2);
        T_STREQ(r.inv.procs[0].name, "decode");
        T_STREQ(r.inv.procs[1].name, "infer");
        T_STREQ(r.inv.procs[2].name, "cpu1"); /* default: the device */
    }
    fh_close(&r);
    /* No pipelines: no processes, no events. */
    fh_reset();
    fh_dev(1, "cpu0", "cpu", "zen3-core", 0.5);
    T_CHECK(fh_open(&r) == WATTSON_OK);
    T_CHECK(r.inv.n_procs == 0);
    fh_read(&r);
    fh_advance(tick);
    fh_read(&r);
    {
        struct wattson_ipc_event ev[4];
        T_CHECK(ipc(&r, ev, 4) == 0);
    }
    fh_close(&r);
}

/* Every message's work arrives lag_s after it was sent, and not before;
 * work and bytes are conserved along the pipeline; demand_next is the
 * next tick's arrivals at every stage. */
static void test_flow(void)
{
    static const uint32_t pids[3] = {4101, 4102, 4103};
    const double lag = 0.05, bpo = 0.5;
    struct fh_run r;
    struct wattson_ipc_event ev[MAX_EV];
    /* per stage: bytes sent to it, and the part already due */
    double sent[3] = {0, 0, 0}, first_t[3] = {-1, -1, -1};
    double dn[4], arr[4];
    /* messages not yet due, per stage: (arrival time, bytes) */
    static double pend_t[3][4096], pend_b[3][4096];
    size_t np[3] = {0, 0, 0};
    double due[3] = {0, 0, 0};
    int n_ev = 0, bad = 0;

    lab(0.5, 1.0, lag);
    T_CHECK(fh_open(&r) == WATTSON_OK);
    fh_read(&r);
    T_CHECK(ipc(&r, ev, MAX_EV) == 0);
    for (int i = 0; i < 300; i++) {
        double now;
        int n;
        fh_advance(tick);
        fh_read(&r);
        now = (double)fh.now_ns * 1e-9;
        /* work due by now: arrivals strictly before the read's time */
        for (int k = 0; k < 3; k++) {
            size_t j = 0;
            while (j < np[k] && pend_t[k][j] < now - 1e-9) {
                due[k] += pend_b[k][j];
                j++;
            }
            memmove(pend_t[k], pend_t[k] + j, (np[k] - j) * sizeof(double));
            memmove(pend_b[k], pend_b[k] + j, (np[k] - j) * sizeof(double));
            np[k] -= j;
            /* bytes / bpo = ops, within one byte's rounding */
            T_NEAR(fh_sig(&r, (size_t)k, "work_arrived"), due[k] / bpo,
                   2.0 / bpo + 1e-9 * due[k] / bpo);
        }
        n = ipc(&r, ev, MAX_EV);
        T_CHECK(n >= 0 && n <= 3);
        for (int e = 0; e < n; e++) {
            int k = -1;
            for (int j = 0; j < 3; j++)
                if (ev[e].dst_pid == pids[j])
                    k = j;
            n_ev++;
            if (k < 0 || ev[e].type != WATTSON_IPC_DATA ||
                fabs(ev[e].t - now) > 1e-9 ||
                ev[e].src_pid != (k == 0 ? 4100u : pids[k - 1])) {
                bad++;
                continue;
            }
            if (first_t[k] < 0)
                first_t[k] = ev[e].t;
            sent[k] += (double)ev[e].bytes;
            pend_t[k][np[k]] = ev[e].t + lag;
            pend_b[k][np[k]] = (double)ev[e].bytes;
            np[k]++;
        }
        /* demand_next == the next tick's arrivals, stages included */
        for (size_t d = 0; d < 4; d++) {
            double a = fh_sig(&r, d, "work_arrived");
            if (i > 0)
                T_NEAR((a - arr[d]) / tick, dn[d], 1e-9 * dn[d] + 1e-3);
            dn[d] = fh_sig(&r, d, "demand_next");
            arr[d] = a;
        }
    }
    T_CHECK(bad == 0);
    T_CHECK(n_ev > 200);
    /* The client's first message goes at the end of the first tick, the
     * stages' one lag (plus the tick of service) after each other. */
    T_NEAR(first_t[0], tick, 1e-9);
    T_NEAR(first_t[1], tick + lag + tick, 1e-9);
    T_NEAR(first_t[2], tick + 2 * (lag + tick), 1e-9);
    /* Drained (the source stopped at 1 s, 3 s ago): every op that left a
     * stage arrived at the next, times the ratio, and its bytes were
     * sent. */
    for (size_t d = 0; d < 3; d++)
        T_NEAR(fh_sig(&r, d, "backlog"), 0, 0);
    T_NEAR(fh_sig(&r, 0, "work_arrived"), 0.5 * PEAK_ZEN3 * (1.0 - tick - lag),
           1e-9 * PEAK_ZEN3);
    T_NEAR(fh_sig(&r, 1, "work_arrived"), 40 * fh_sig(&r, 0, "work_served"),
           1e-9 * fh_sig(&r, 1, "work_arrived"));
    T_NEAR(fh_sig(&r, 2, "work_arrived"), 0.02 * fh_sig(&r, 1, "work_served"),
           1e-9 * fh_sig(&r, 2, "work_arrived"));
    for (size_t k = 0; k < 3; k++)
        T_NEAR(sent[k], bpo * fh_sig(&r, k, "work_arrived"), 1.0);
    /* The device outside the pipeline sent nothing and got only its own
     * workload. */
    T_NEAR(fh_sig(&r, 3, "work_arrived"), 0.3 * 1590e6 * 5120 * 3.0,
           1e-9 * 1590e6 * 5120 * 3.0);
    /* latency_p99 of a stage that keeps up: below one tick */
    T_CHECK(fh_sig(&r, 1, "latency_p99") > 0);
    T_CHECK(fh_sig(&r, 1, "latency_p99") < tick);
    fh_close(&r);
}

/* A stage that also has its own workload forwards only pipeline work. */
static void test_own_workload(void)
{
    struct fh_run r;
    lab(0.4, 1.0, 0.02);
    fh_num(0.3, "devices.1.workload.level"); /* cpu0: 0.3 of its own */
    T_CHECK(fh_open(&r) == WATTSON_OK);
    fh_read(&r);
    for (int i = 0; i < 200; i++) {
        struct wattson_ipc_event ev[MAX_EV];
        fh_advance(tick);
        fh_read(&r);
        ipc(&r, ev, MAX_EV);
    }
    /* 0.7 of the peak in all: it keeps up, and the gpu got 40 x the
     * pipeline's share only. */
    T_NEAR(fh_sig(&r, 0, "backlog"), 0, 0);
    T_NEAR(fh_sig(&r, 1, "work_arrived"),
           40 * (fh_sig(&r, 0, "work_served") - 0.3 * PEAK_ZEN3 * 2.0),
           1e-9 * fh_sig(&r, 1, "work_arrived"));
    T_NEAR(fh_sig(&r, 1, "work_arrived"),
           40 * 0.4 * PEAK_ZEN3 * (1.0 - tick - 0.02),
           1e-9 * fh_sig(&r, 1, "work_arrived"));
    fh_close(&r);
}

/* ipc_read hands out at most max, oldest first, and keeps the rest; a
 * reader that stopped loses the oldest events, not the newest. */
static void test_batches(void)
{
    struct fh_run a, b;
    struct wattson_ipc_event all[MAX_EV * 4], got[MAX_EV * 4], two[2];
    int n_all = 0, n_got = 0, n;

    lab(0.5, 100.0, 0.03);
    T_CHECK(fh_open(&a) == WATTSON_OK);
    T_CHECK(fh_open(&b) == WATTSON_OK);
    fh_read(&a);
    fh_read(&b);
    for (int i = 0; i < 20; i++) { /* both instances see the same clock */
        fh_advance(tick);
        fh_read(&a);
        fh_read(&b);
        n = ipc(&a, all + n_all, MAX_EV);
        T_CHECK(n >= 0);
        n_all += n > 0 ? n : 0;
    }
    T_CHECK(n_all > 20 && n_all <= 60);
    T_CHECK(ipc(&b, two, 0) == 0);
    while ((n = ipc(&b, two, 2)) > 0) {
        T_CHECK(n <= 2);
        for (int e = 0; e < n && n_got < (int)(sizeof got / sizeof got[0]); e++)
            got[n_got++] = two[e];
    }
    T_CHECK(n == 0);
    T_CHECK(n_got == n_all);
    for (int e = 0; e < n_got && e < n_all; e++) {
        T_CHECK(got[e].t == all[e].t && got[e].src_pid == all[e].src_pid &&
                got[e].dst_pid == all[e].dst_pid &&
                got[e].bytes == all[e].bytes);
        if (e > 0)
            T_CHECK(got[e].t >= got[e - 1].t);
    }
    /* Nothing new without a tick. */
    T_CHECK(ipc(&b, two, 2) == 0);

    /* Overflow: 3 messages a tick, 256 ticks of room; 400 unread ticks
     * keep the newest 768. */
    for (int i = 0; i < 400; i++) {
        fh_advance(tick);
        fh_read(&b);
    }
    {
        static struct wattson_ipc_event big[2048];
        double now = (double)fh.now_ns * 1e-9;
        n = ipc(&b, big, 2048);
        T_CHECK(n == 3 * 256);
        T_NEAR(big[n - 1].t, now, 1e-9);
        T_CHECK(big[0].t > now - 300 * tick);
    }
    fh_close(&a);
    fh_close(&b);
}

/* A lag shorter than the tick: the work sent at the end of a tick arrives
 * in the next one, and demand_next already counts it. */
static void test_short_lag(void)
{
    struct fh_run r;
    double dn1 = 0, arr1 = 0;
    lab(0.5, 10.0, 0.0);
    T_CHECK(fh_open(&r) == WATTSON_OK);
    fh_read(&r);
    for (int i = 0; i < 100; i++) {
        struct wattson_ipc_event ev[MAX_EV];
        double a;
        fh_advance(tick);
        fh_read(&r);
        ipc(&r, ev, MAX_EV);
        a = fh_sig(&r, 1, "work_arrived");
        if (i > 0)
            T_NEAR((a - arr1) / tick, dn1, 1e-9 * dn1 + 1e-3);
        dn1 = fh_sig(&r, 1, "demand_next");
        arr1 = a;
    }
    /* steady state: the gpu gets 40 x what cpu0 serves a tick */
    T_NEAR(dn1, 40 * 0.5 * PEAK_ZEN3, 1e-9 * 40 * PEAK_ZEN3);
    fh_close(&r);
}

int main(void)
{
    test_procs();
    test_flow();
    test_own_workload();
    test_batches();
    test_short_lag();
    return t_done("test_sim_chain");
}
