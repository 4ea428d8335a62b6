/*
 * mxbench - `wattson bench metrics [--quick]` (issue 19): what Prometheus
 * scrapes of `--metrics` cost the run's ticks.
 *
 * The bench lab (cmd/bench.h's bench_lab) at 16 and 256 PUs runs on the
 * wall clock at 10 ms ticks with its endpoint on loopback, while a child
 * process scrapes it 0 (the baseline, same run), 1 and 100 times a
 * second, each a plain HTTP/1.1 GET on a new connection as Prometheus's
 * own scrapes are light (the 0.0.4 text).  The ticks are paced here
 * rather than by run_loop, so that each one is measured:
 *   tick cost   the time inside run_tick (what a scrape must not slow);
 *   lateness    how long after its deadline the tick started (what a
 *               scrape, running between ticks on the same loop, delays);
 * and the child reports each scrape's time to the last byte.  With two
 * CPUs or more the run and the scraper are pinned to one each: what is
 * measured is what serving scrapes costs the run, not the scraping client
 * taking the run's CPU (Prometheus runs on a core, or a host, of its own).
 * Figures are medians and 99th percentiles of the ticks of each condition, and
 * the ratio of each to the baseline measured in the same run.
 */
#define _GNU_SOURCE /* sched_setaffinity, CPU_SET */
#include <arpa/inet.h>
#include <errno.h>
#include <event2/event.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cmd/bench.h"
#include "cmd/cli.h"
#include "core/clock.h"
#include "core/loop.h"
#include "core/model.h"
#include "run/metrics.h"
#include "run/run.h"

#define MXB_TICK_NS 10000000ull

struct mxb_scr {
    double rate; /* scrapes a second */
    double p50_ms, p99_ms, bytes;
    unsigned long n, failed;
};

/* One scrape: connect, GET, read to the end.  Bytes read, or -1. */
static long mxb_scrape(unsigned port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
        if (fd >= 0)
            close(fd);
        return -1;
    }
    static const char req[] = "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                              "Connection: close\r\n\r\n";
    long got = 0;
    if (write(fd, req, sizeof req - 1) != (ssize_t)(sizeof req - 1)) {
        close(fd);
        return -1;
    }
    char buf[65536];
    for (;;) {
        ssize_t n = read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        got += n;
    }
    close(fd);
    return got;
}

/* A scraping condition: `rate` a second for `secs`, then its figures on
 * the pipe. */
static void mxb_scrapes(unsigned port, double rate, double secs, int wfd)
{
    size_t max = (size_t)(rate * secs) + 2, n = 0;
    double *ms = calloc(max, sizeof *ms);
    struct mxb_scr out = {.rate = rate};
    const uint64_t period = (uint64_t)(1e9 / rate);
    uint64_t next = clock_mono_ns() + period,
             end = clock_mono_ns() + (uint64_t)(secs * 1e9);
    while (ms && next < end && n < max) {
        uint64_t now = clock_mono_ns();
        if (now < next) {
            struct timespec ts = {(time_t)((next - now) / 1000000000u),
                                  (long)((next - now) % 1000000000u)};
            nanosleep(&ts, NULL);
        }
        uint64_t t0 = clock_mono_ns();
        long b = mxb_scrape(port);
        if (b <= 0)
            out.failed++;
        else {
            ms[n++] = (double)(clock_mono_ns() - t0) / 1e6;
            out.bytes = (double)b;
        }
        next += period;
    }
    out.n = n;
    if (n) {
        qsort(ms, n, sizeof *ms, bench_cmp_double);
        out.p50_ms = ms[n / 2];
        out.p99_ms = ms[(size_t)((double)(n - 1) * 0.99)];
    }
    free(ms);
    if (write(wfd, &out, sizeof out) != (ssize_t)sizeof out)
        _exit(1);
}

/* What the parent asks of the child. */
struct mxb_cmd {
    unsigned port;
    double rate, secs;
};

/* The scraping child, forked before the run exists: a fork of the run
 * itself would make its first ticks after the fork copy-on-write every
 * page they touch (tens of ms at 256 PUs), a cost of the bench, not of
 * scrapes.  It runs each condition it is sent until its pipe closes. */
static void mxb_child(int rfd, int wfd)
{
    struct mxb_cmd c;
    while (read(rfd, &c, sizeof c) == (ssize_t)sizeof c)
        mxb_scrapes(c.port, c.rate, c.secs, wfd);
    _exit(0);
}

struct mxb_res {
    uint64_t cost_p50, cost_p99, late_p50, late_p99, late_max;
    size_t ticks;
    struct mxb_scr scr;
};

static void mxb_on_deadline(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    event_base_loopbreak(arg);
}

/* `secs` of paced ticks of r with a child scraping at `rate` (0: none). */
struct mxb_kid {
    pid_t pid;
    int to, from; /* commands to it, figures from it */
    int pinned;   /* run_cpu and scr_cpu are set, old is to be restored */
    int run_cpu, scr_cpu;
    cpu_set_t old;
};

static void mxb_pin_to(int cpu)
{
    cpu_set_t s;
    CPU_ZERO(&s);
    CPU_SET(cpu, &s);
    (void)sched_setaffinity(0, sizeof s, &s); /* unpinned is still a run */
}

static int mxb_kid_start(struct mxb_kid *k)
{
    int a[2], b[2];
    if (pipe(a) != 0)
        return -1;
    if (pipe(b) != 0) {
        close(a[0]);
        close(a[1]);
        return -1;
    }
    /* the first CPU allowed for the run, the last for the scraper */
    k->pinned = 0;
    if (sched_getaffinity(0, sizeof k->old, &k->old) == 0 &&
        CPU_COUNT(&k->old) >= 2) {
        k->run_cpu = -1;
        for (int c = 0; c < CPU_SETSIZE; c++)
            if (CPU_ISSET(c, &k->old)) {
                if (k->run_cpu < 0)
                    k->run_cpu = c;
                k->scr_cpu = c;
            }
        k->pinned = 1;
    }
    fflush(NULL);
    k->pid = fork();
    if (k->pid == 0) {
        close(a[1]);
        close(b[0]);
        if (k->pinned)
            mxb_pin_to(k->scr_cpu);
        mxb_child(a[0], b[1]);
    }
    if (k->pid > 0 && k->pinned)
        mxb_pin_to(k->run_cpu);
    close(a[0]);
    close(b[1]);
    k->to = a[1];
    k->from = b[0];
    if (k->pid < 0) {
        close(k->to);
        close(k->from);
        return -1;
    }
    return 0;
}

static void mxb_kid_stop(struct mxb_kid *k)
{
    if (k->pinned)
        (void)sched_setaffinity(0, sizeof k->old, &k->old);
    close(k->to);
    close(k->from);
    waitpid(k->pid, NULL, 0);
}

/* `secs` of paced ticks of r with the child scraping at `rate` (0: none). */
static int mxb_condition(struct run *r, struct mxb_kid *kid, unsigned port,
                         double rate, double secs, uint64_t *cost,
                         uint64_t *late, struct mxb_res *res)
{
    memset(res, 0, sizeof *res);
    if (rate > 0) {
        const struct mxb_cmd c = {port, rate, secs};
        if (write(kid->to, &c, sizeof c) != (ssize_t)sizeof c)
            return -1;
    }
    struct event_base *b = loop_base(run_event_loop(r));
    struct event *ev = evtimer_new(b, mxb_on_deadline, b);
    const size_t n = (size_t)(secs * 1e9 / (double)MXB_TICK_NS);
    uint64_t deadline = clock_mono_ns() + MXB_TICK_NS;
    for (size_t k = 0; k < n && ev; k++) {
        /* Serve the loop (the scrapes) until the deadline. */
        uint64_t now = clock_mono_ns();
        if (now < deadline) {
            struct timeval tv = {(time_t)((deadline - now) / 1000000000u),
                                 (long)((deadline - now) % 1000000000u) / 1000};
            evtimer_add(ev, &tv);
            event_base_dispatch(b);
            evtimer_del(ev);
        } else {
            event_base_loop(b, EVLOOP_NONBLOCK);
        }
        uint64_t t0 = clock_mono_ns();
        late[k] = t0 > deadline ? t0 - deadline : 0;
        run_tick(r);
        cost[k] = clock_mono_ns() - t0;
        deadline += MXB_TICK_NS;
    }
    if (ev)
        event_free(ev);
    res->ticks = n;
    if (rate > 0) {
        /* The child's last scrapes are served while it finishes. */
        struct pollfd pf = {.fd = kid->from, .events = POLLIN};
        for (int i = 0; i < 500 && poll(&pf, 1, 0) == 0; i++) {
            event_base_loop(b, EVLOOP_NONBLOCK);
            struct timespec ts = {0, 1000000};
            nanosleep(&ts, NULL);
        }
        if (read(kid->from, &res->scr, sizeof res->scr) !=
            (ssize_t)sizeof res->scr)
            return -1;
    }
    qsort(cost, n, sizeof *cost, bench_cmp_u64);
    qsort(late, n, sizeof *late, bench_cmp_u64);
    res->cost_p50 = cost[n / 2];
    res->cost_p99 = cost[(size_t)((double)(n - 1) * 0.99)];
    res->late_p50 = late[n / 2];
    res->late_p99 = late[(size_t)((double)(n - 1) * 0.99)];
    res->late_max = late[n - 1];
    return 0;
}

static double mxb_ratio(uint64_t a, uint64_t b)
{
    return b ? (double)a / (double)b : 0.0;
}

static int mxb_size(unsigned n_pus, double secs, const char **dirs,
                    size_t n_dirs, FILE *out)
{
    size_t len = 256 + (size_t)n_pus * 200;
    char *text = malloc(len), err[1024];
    const size_t n = (size_t)(secs * 1e9 / (double)MXB_TICK_NS);
    uint64_t *cost = calloc(n + 1, sizeof *cost);
    uint64_t *late = calloc(n + 1, sizeof *late);
    if (!text || !cost || !late || bench_lab(text, len, n_pus) != 0) {
        free(text);
        free(cost);
        free(late);
        fprintf(stderr, "wattson: bench metrics: out of memory\n");
        return 1;
    }
    struct run_opts o = {.lab_text = text,
                         .plugin_dirs = dirs,
                         .n_plugin_dirs = n_dirs,
                         .duration_s = 3600,
                         .tick_s = (double)MXB_TICK_NS / 1e9,
                         .metrics = "127.0.0.1:0"};
    struct run *r;
    struct mxb_kid kid;
    if (mxb_kid_start(&kid) != 0) {
        fprintf(stderr, "wattson: bench metrics: cannot fork: %s\n",
                strerror(errno));
        free(text);
        free(cost);
        free(late);
        return 1;
    }
    if (run_new(&o, &r, err, sizeof err) != RUN_OK) {
        fprintf(stderr, "wattson: bench metrics: %s\n", err);
        mxb_kid_stop(&kid);
        free(text);
        free(cost);
        free(late);
        return 1;
    }
    const char *addr = metrics_address(run_metrics(r));
    const char *colon = strrchr(addr, ':');
    const unsigned port = colon ? (unsigned)atoi(colon + 1) : 0;
    static const double rates[] = {0, 1, 100};
    struct mxb_res res[3];
    int rc = 0;
    for (int w = 0; w < 50; w++)
        run_tick(r); /* warm-up */
    for (int c = 0; c < 3 && rc == 0; c++) {
        rc = mxb_condition(r, &kid, port, rates[c], secs, cost, late, &res[c]);
        fprintf(stderr, "wattson: bench metrics: %u PUs, %g scrapes/s done\n",
                n_pus, rates[c]);
    }
    const struct model *m = run_model(r);
    fprintf(out,
            "%u PUs (%zu signals, %zu controls), 10 ms ticks on the wall "
            "clock, %.0f s a condition",
            n_pus, m->n_signals, m->n_controls, secs);
    if (kid.pinned)
        fprintf(out, "; the run on CPU %d, the scraper on CPU %d:\n",
                kid.run_cpu, kid.scr_cpu);
    else
        fprintf(out, "; run and scraper share the one CPU:\n");
    fprintf(out, "  %-12s %9s %9s %6s %9s %9s %9s %6s %8s %9s %9s %7s\n",
            "scrapes/s", "cost p50", "cost p99", "x base", "late p50",
            "late p99", "late max", "x base", "scrapes", "scrape p50",
            "scrape p99", "kB");
    for (int c = 0; c < 3 && rc == 0; c++) {
        const struct mxb_res *x = &res[c];
        fprintf(out,
                "  %-12g %7.1fus %7.1fus %6.2f %7.1fus %7.1fus %7.1fus %6.2f "
                "%8lu %7.2fms %7.2fms %7.0f\n",
                rates[c], (double)x->cost_p50 / 1e3, (double)x->cost_p99 / 1e3,
                mxb_ratio(x->cost_p50, res[0].cost_p50),
                (double)x->late_p50 / 1e3, (double)x->late_p99 / 1e3,
                (double)x->late_max / 1e3,
                mxb_ratio(x->late_p99, res[0].late_p99), x->scr.n,
                x->scr.p50_ms, x->scr.p99_ms, x->scr.bytes / 1e3);
        if (rates[c] > 0 && (x->scr.failed || x->scr.n == 0)) {
            fprintf(out, "  FAILED: %lu of the scrapes at %g/s failed\n",
                    x->scr.failed, rates[c]);
            rc = 1;
        }
    }
    char e2[256];
    mxb_kid_stop(&kid);
    run_finish(r, e2, sizeof e2);
    run_free(r);
    free(text);
    free(cost);
    free(late);
    return rc;
}

static int mxbench_exec(const struct cli_entry *self, struct cli_args *a)
{
    (void)self;
    if (a->argc > 0)
        return cli_usage_error("unexpected argument '%s'", a->argv[0]);
    bench_warn_slow();
    const double secs = a->quick ? 1.0 : 8.0;
    printf("bench metrics: tick cost (time in run_tick) and lateness (its "
           "start after its deadline) with 0, 1 and 100 scrapes a second "
           "of --metrics; x base: against 0 scrapes, same run\n");
    int rc = mxb_size(16, secs, a->plugin_dirs, a->run.n_plugin_dirs, stdout);
    if (rc == 0)
        rc = mxb_size(256, secs, a->plugin_dirs, a->run.n_plugin_dirs, stdout);
    return rc ? 1 : 0;
}

const struct cli_entry mxbench_entry = {
    .name = "bench",
    .sub = "metrics",
    .usage = "",
    .help = "what --metrics scrapes cost the ticks: the bench lab at 16 and\n"
            "256 PUs, 10 ms wall-clock ticks, 0, 1 and 100 scrapes a second\n"
            "of its endpoint (8 s each; --quick: 1 s) from a process on\n"
            "another CPU where there are two; tick cost and lateness,\n"
            "median and 99th percentile, x the 0-scrape baseline",
    .opts = (1u << CLI_OPT_PLUGIN_DIR) | ((uint64_t)1 << CLI_OPT_QUICK),
    .exec = mxbench_exec,
};
