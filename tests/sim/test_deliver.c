/*
 * test_deliver - ABI 1.3 ipc_deliver on the sim driver: messages from
 * outside the plugin bring ipc_ops_per_byte of work per DATA or REQUEST
 * byte to their device, at the start of the next interval; REPLY and
 * CONTROL, a device without the key and an out-of-range device get none;
 * the work is the destination process's own (not forwarded down a
 * pipeline), it is not echoed by ipc_read, delivering allocates nothing,
 * and bad values of the key are one error naming the field.
 */
#include "allocount.h"
#include "fakehost.h"
#include "t.h"

/* zstd 1.5.1 -1 compression, 530 MB/s on a Core i7-9700K at 4.9 GHz
 * (facebook/zstd README, lzbench on Silesia): 9.2 cycles/B, times the
 * zen3-core preset's 32 op/cycle (drivers/sim/README.md). */
#define K_ZSTD1 (4.9e9 / 530e6 * 32.0)

static const double tick = 0.01;

static int deliver(struct fh_run *r, const struct wattson_ipc_delivery *d,
                   size_t n)
{
    return r->pl->ipc_deliver(r->st, d, n);
}

static struct wattson_ipc_delivery msg(uint32_t dev, uint64_t bytes,
                                       uint32_t type)
{
    struct wattson_ipc_delivery d = {{0.0, 777, 888, bytes, type}, dev};
    d.ev.t = (double)fh.now_ns * 1e-9;
    return d;
}

/* cpu0 and cpu2 take message work, cpu1 and cpu3 not; cpu2 and cpu3 also
 * have a workload of their own, the same, so their difference is what the
 * messages brought. */
static void lab(void)
{
    fh_reset();
    fh_dev(1, "cpu0", "cpu", "zen3-core", 0.0);
    fh_num(K_ZSTD1, "devices.1.ipc_ops_per_byte");
    fh_dev(2, "cpu1", "cpu", "zen3-core", 0.0);
    fh_dev(3, "cpu2", "cpu", "zen3-core", 0.3);
    fh_num(K_ZSTD1, "devices.3.ipc_ops_per_byte");
    fh_dev(4, "cpu3", "cpu", "zen3-core", 0.3);
}

static void test_work(void)
{
    enum { N = 8 };
    const uint64_t B = 1u << 20; /* 1 MiB: more than a tick's capacity */
    const double want = (double)N * (double)B * K_ZSTD1;
    struct wattson_ipc_delivery d[2 * N + 6];
    struct wattson_ipc_event ev[8];
    struct fh_run r;
    size_t n = 0;
    double a0;

    lab();
    T_CHECK(fh_open(&r) == WATTSON_OK);
    T_CHECK(r.pl->abi_minor == 3 && r.pl->ipc_deliver != NULL);
    fh_read(&r);
    fh_advance(tick);
    fh_read(&r);
    a0 = fh_sig(&r, 0, "work_arrived");
    T_NEAR(a0, 0, 0);

    /* N messages to cpu0 (DATA and REQUEST), the same to cpu2; REPLY and
     * CONTROL to cpu0; N to cpu1 (no key); two out of range. */
    for (int i = 0; i < N; i++) {
        uint32_t type = i % 2 ? WATTSON_IPC_REQUEST : WATTSON_IPC_DATA;
        d[n++] = msg(0, B, type);
        d[n++] = msg(2, B, type);
    }
    d[n++] = msg(0, 5 * B, WATTSON_IPC_REPLY);
    d[n++] = msg(0, 5 * B, WATTSON_IPC_CONTROL);
    d[n++] = msg(1, 5 * B, WATTSON_IPC_DATA);
    d[n++] = msg(1, 5 * B, WATTSON_IPC_REQUEST);
    d[n++] = msg(4, B, WATTSON_IPC_DATA);
    d[n++] = msg(UINT32_MAX, B, WATTSON_IPC_DATA);
    T_CHECK(deliver(&r, d, n) == WATTSON_OK);

    /* Nothing arrives before the next interval: a read whose clock did
     * not move reports the old interval. */
    fh_read(&r);
    T_NEAR(fh_sig(&r, 0, "work_arrived"), 0, 0);

    fh_advance(tick);
    fh_read(&r);
    T_NEAR(fh_sig(&r, 0, "work_arrived"), want, 1e-9 * want);
    /* More than a tick at the top clock serves: busy, the rest waits. */
    T_NEAR(fh_sig(&r, 0, "util"), 1.0, 1e-12);
    T_NEAR(fh_sig(&r, 0, "backlog"), want - fh_sig(&r, 0, "work_served"),
           1e-9 * want);
    T_CHECK(fh_sig(&r, 0, "backlog") > 0);
    /* cpu1 has no ipc_ops_per_byte: nothing, idle. */
    T_NEAR(fh_sig(&r, 1, "work_arrived"), 0, 0);
    T_NEAR(fh_sig(&r, 1, "util"), 0, 0);
    /* cpu2's own workload plus the messages: cpu3's plus N B k. */
    T_NEAR(fh_sig(&r, 2, "work_arrived") - fh_sig(&r, 3, "work_arrived"), want,
           1e-9 * want);

    /* Delivered once, counted once: the next interval brings none. */
    fh_advance(tick);
    fh_read(&r);
    T_NEAR(fh_sig(&r, 0, "work_arrived"), want, 1e-9 * want);
    T_NEAR(fh_sig(&r, 2, "work_arrived") - fh_sig(&r, 3, "work_arrived"), want,
           1e-9 * want);

    /* Not echoed: the sim has no pipelines here, so no events at all. */
    T_CHECK(r.pl->ipc_read(r.st, ev, 8) == 0);

    /* Bad arguments. */
    T_CHECK(deliver(&r, NULL, 0) == WATTSON_OK);
    T_CHECK(deliver(&r, NULL, 1) == WATTSON_ERR);
    T_CHECK(r.pl->ipc_deliver(NULL, d, 1) == WATTSON_ERR);
    fh_close(&r);
}

/* A pipeline cpu0 -> cpu1 with work of its own, run for 6 ticks with a
 * 64 KiB message delivered to cpu0 after the first tick (or not): the
 * work arrived at each stage into out[0..1], the events ipc_read gave
 * into out[2] (none of them may be the delivered one). */
static void stage_run(int with_msg, double out[3])
{
    struct wattson_ipc_event ev[64];
    struct fh_run r;
    int n, total = 0;

    fh_reset();
    fh_dev(1, "cpu0", "cpu", "zen3-core", 0.0);
    fh_num(K_ZSTD1, "devices.1.ipc_ops_per_byte");
    fh_dev(2, "cpu1", "cpu", "zen3-core", 0.0);
    fh_num(4100, "pipelines.1.pid");
    fh_str("constant", "pipelines.1.source.kind");
    fh_num(0.2, "pipelines.1.source.level");
    fh_num(0.0, "pipelines.1.lag_s");
    fh_str("cpu0", "pipelines.1.stages.1.device");
    fh_num(4101, "pipelines.1.stages.1.pid");
    fh_str("cpu1", "pipelines.1.stages.2.device");
    fh_num(4102, "pipelines.1.stages.2.pid");
    T_CHECK(fh_open(&r) == WATTSON_OK);
    fh_read(&r);
    for (int i = 0; i < 6; i++) {
        fh_advance(tick);
        fh_read(&r);
        if (i == 0 && with_msg) {
            struct wattson_ipc_delivery d = msg(0, 65536, WATTSON_IPC_DATA);
            T_CHECK(deliver(&r, &d, 1) == WATTSON_OK);
        }
        while ((n = r.pl->ipc_read(r.st, ev, 64)) > 0) {
            for (int j = 0; j < n; j++)
                T_CHECK(ev[j].src_pid != 777 && ev[j].dst_pid != 888);
            total += n;
        }
    }
    out[0] = fh_sig(&r, 0, "work_arrived");
    out[1] = fh_sig(&r, 1, "work_arrived");
    out[2] = total;
    fh_close(&r);
}

/* On a pipeline's stage the delivered work is the process's own: it
 * arrives there but is not forwarded to the next stage, and ipc_read
 * reports the pipeline's messages only. */
static void test_stage(void)
{
    double with[3], without[3];

    stage_run(0, without);
    stage_run(1, with);
    T_CHECK(without[1] > 0 && without[2] > 0); /* the pipeline runs */
    T_NEAR(with[0] - without[0], 65536 * K_ZSTD1, 1e-9 * with[0]);
    T_NEAR(with[1], without[1], 1e-9 * without[1]);
    T_NEAR(with[2], without[2], 0);
}

/* Delivering and the reads that take the work allocate nothing. */
static void test_noalloc(void)
{
    struct wattson_ipc_delivery d[4];
    struct fh_run r;
    unsigned long allocs = 1, frees = 1;
    double before;

    lab();
    T_CHECK(fh_open(&r) == WATTSON_OK);
    fh_read(&r);
    fh_advance(tick);
    fh_read(&r);
    before = fh_sig(&r, 0, "work_arrived");
    allocount_start();
    for (int i = 0; i < 1000; i++) {
        d[0] = msg(0, 4096, WATTSON_IPC_DATA);
        d[1] = msg(2, 4096, WATTSON_IPC_REQUEST);
        d[2] = msg(1, 4096, WATTSON_IPC_DATA);
        d[3] = msg(9, 4096, WATTSON_IPC_DATA);
        deliver(&r, d, 4);
        fh_advance(tick);
        fh_read(&r);
    }
    allocount_stop(&allocs, &frees);
    T_CHECK(allocs == 0);
    T_CHECK(frees == 0);
    /* ...and the loop did deliver. */
    T_NEAR(fh_sig(&r, 0, "work_arrived") - before, 1000 * 4096 * K_ZSTD1,
           1e-9 * 1000 * 4096 * K_ZSTD1);
    fh_close(&r);
}

/* A bad ipc_ops_per_byte: init fails with one line naming the field. */
static void bad(void (*set)(void), const char *why)
{
    struct fh_run r;
    lab();
    set();
    T_CHECK(fh_open(&r) == WATTSON_ERR_CONFIG);
    T_CHECK(strstr(r.err, "devices.2.ipc_ops_per_byte: ") != NULL);
    T_CHECK(strstr(r.err, why) != NULL);
    T_CHECK(strchr(r.err, '\n') == NULL);
    if (!strstr(r.err, why))
        fprintf(stderr, "  got: %s\n", r.err);
    fh_close(&r);
}

static void set_negative(void)
{
    fh_num(-1, "devices.2.ipc_ops_per_byte");
}
static void set_nan(void)
{
    fh_num(NAN, "devices.2.ipc_ops_per_byte");
}
static void set_inf(void)
{
    fh_num(INFINITY, "devices.2.ipc_ops_per_byte");
}
static void set_huge(void)
{
    fh_num(1e13, "devices.2.ipc_ops_per_byte");
}
static void set_string(void)
{
    fh_str("296", "devices.2.ipc_ops_per_byte");
}
static void set_bool(void)
{
    fh_bool(1, "devices.2.ipc_ops_per_byte");
}

static void test_config(void)
{
    struct fh_run r;
    bad(set_negative, "must be >= 0, got -1");
    bad(set_nan, "must be a finite number");
    bad(set_inf, "must be a finite number");
    bad(set_huge, "must be <= 1e+12, got 1e+13");
    bad(set_string, "expected a number, got string");
    bad(set_bool, "expected a number, got boolean");
    /* 0 is allowed (the default, said explicitly). */
    lab();
    fh_num(0, "devices.2.ipc_ops_per_byte");
    T_CHECK(fh_open(&r) == WATTSON_OK);
    fh_close(&r);
}

int main(void)
{
    allocount_install();
    test_work();
    test_stage();
    test_noalloc();
    test_config();
    return t_done("test_sim_deliver");
}
