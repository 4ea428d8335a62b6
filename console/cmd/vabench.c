/*
 * vabench - `wattson bench vgpu-api` (issue 16's aim: the socket API
 * answers 10,000 requests/s with p99 under 1 ms while the lab runs).
 *
 * A real run of the embedded default lab on the wall clock (--realtime,
 * so the loop serves the socket between ticks) with --vgpu-socket, and
 * forked client processes over the client library (wattson/vgpu.h), each
 * round trip timed with the monotonic clock:
 *   paced      one process, VABENCH_RATE requests/s for VABENCH_PHASE_S
 *              over VABENCH_CONNS connections in turn (the server limits
 *              each connection to 2000/s, run/vgserve.h), the mix a
 *              tenant would send: REQUEST compute, RELEASE it, AVAILABLE;
 *   flood      four processes paced at 1500/s each (under the limit),
 *              and one flooding process sending 100-line batches as fast
 *              as it can: the paced clients' latency beside the flood,
 *              and how much of the flood was rate limited.
 * Each client reports achieved rate, p50/p99/max latency and errors
 * through a pipe.  Figures only: nothing here asserts on time.
 */
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cmd/bench.h"
#include "cmd/cli.h"
#include "core/clock.h"
#include "core/summary.h"
#include "wattson/vgpu.h"

#define VABENCH_RATE 10000.0
#define VABENCH_CONNS 5
#define VABENCH_PHASE_S 3.0
#define VABENCH_PACED 4
#define VABENCH_PACED_RATE 1500.0
#define VABENCH_FLOOD_BATCH 100

struct va_result {
    int role; /* 0 paced 10k, 1 paced beside the flood, 2 flood */
    double offered, achieved, p50_us, p99_us, max_us;
    unsigned long sent, errors, rate_limited;
};

static void sleep_until(uint64_t t)
{
    uint64_t now = clock_mono_ns();
    if (t > now + 50000) { /* nanosleep for the bulk, spin the rest */
        uint64_t d = t - now - 50000;
        struct timespec ts = {(time_t)(d / 1000000000u),
                              (long)(d % 1000000000u)};
        nanosleep(&ts, NULL);
    }
    while (clock_mono_ns() < t)
        ;
}

/* Paced requests at `rate` for `secs` over n connections in turn. */
static void paced(const char *path, int n, double rate, double secs, int role,
                  int out)
{
    struct va_result r = {.role = role, .offered = rate};
    struct wvg_conn *c[VABENCH_CONNS] = {0};
    size_t cap = (size_t)(rate * secs) + 1;
    double *lat = calloc(cap, sizeof *lat);
    for (int i = 0; i < n; i++)
        c[i] = wvg_connect(path);
    uint64_t t0 = clock_mono_ns(), period = (uint64_t)(1e9 / rate);
    size_t k = 0;
    for (; k < cap && lat; k++) {
        sleep_until(t0 + k * period);
        struct wvg_conn *cc = c[(k / 3) % (size_t)n]; /* a triple per conn */
        if (!cc) {
            r.errors++;
            continue;
        }
        uint64_t a = clock_mono_ns();
        double v, avail[WVG_NTYPES];
        int rc;
        switch (k % 3) {
        case 0:
            rc = wvg_request(cc, WVG_COMPUTE, 0.001, NULL, &v);
            break;
        case 1:
            rc = wvg_release(cc, WVG_COMPUTE, 0.001, NULL, &v);
            break;
        default:
            rc = wvg_available(cc, NULL, avail);
        }
        lat[r.sent++] = (double)(clock_mono_ns() - a) / 1e3;
        if (rc != WVG_OK) {
            r.errors++;
            r.rate_limited += strstr(wvg_error(cc), "ERATE") != NULL;
        }
    }
    double el = (double)(clock_mono_ns() - t0) / 1e9;
    r.achieved = el > 0 ? (double)(r.sent - r.errors) / el : 0;
    if (r.sent) {
        qsort(lat, r.sent, sizeof *lat, bench_cmp_double);
        r.p50_us = lat[r.sent / 2];
        r.p99_us = lat[(size_t)((double)r.sent * 0.99)];
        r.max_us = lat[r.sent - 1];
    }
    free(lat);
    for (int i = 0; i < n; i++)
        wvg_close(c[i]);
    (void)!write(out, &r, sizeof r);
}

/* As fast as it can: VABENCH_FLOOD_BATCH raw lines, then their answers. */
static void flood(const char *path, double secs, int out)
{
    struct va_result r = {.role = 2};
    struct wvg_conn *c = wvg_connect(path);
    uint64_t t0 = clock_mono_ns(), end = t0 + (uint64_t)(secs * 1e9);
    char ans[512];
    while (c && clock_mono_ns() < end) {
        for (int i = 0; i < VABENCH_FLOOD_BATCH; i++) {
            int rc = wvg_raw(c, "AVAILABLE", ans, sizeof ans);
            r.sent++;
            if (rc == WVG_IO) {
                r.errors++;
                end = 0;
                break;
            }
            if (rc != WVG_OK) {
                r.errors++;
                r.rate_limited += strncmp(ans, "ERR ERATE", 9) == 0;
            }
        }
    }
    double el = (double)(clock_mono_ns() - t0) / 1e9;
    r.achieved = el > 0 ? (double)(r.sent - r.rate_limited) / el : 0;
    r.offered = el > 0 ? (double)r.sent / el : 0;
    wvg_close(c);
    (void)!write(out, &r, sizeof r);
}

/* The client side, in a child of the bench: the 10k phase, then the
 * paced clients beside a flood, each in its own process. */
static void clients(const char *path, int out)
{
    /* let the run's loop start serving */
    struct timespec ts = {0, 200000000};
    nanosleep(&ts, NULL);
    paced(path, VABENCH_CONNS, VABENCH_RATE, VABENCH_PHASE_S, 0, out);
    pid_t kids[VABENCH_PACED + 1];
    for (int i = 0; i <= VABENCH_PACED; i++) {
        kids[i] = fork();
        if (kids[i] == 0) {
            if (i < VABENCH_PACED)
                paced(path, 1, VABENCH_PACED_RATE, VABENCH_PHASE_S, 1, out);
            else
                flood(path, VABENCH_PHASE_S, out);
            _exit(0);
        }
    }
    for (int i = 0; i <= VABENCH_PACED; i++)
        if (kids[i] > 0)
            waitpid(kids[i], NULL, 0);
}

static void put_row(const char *name, const struct va_result *r)
{
    printf("%-26s %9.0f %10.0f %8.0f %8.0f %8.0f %7lu %8lu\n", name, r->offered,
           r->achieved, r->p50_us, r->p99_us, r->max_us,
           r->errors - r->rate_limited, r->rate_limited);
}

static int vabench_exec(const struct cli_entry *self, struct cli_args *a)
{
    (void)self;
    if (a->argc > 0)
        return cli_usage_error("bench vgpu-api takes no operand, got '%s'",
                               a->argv[0]);
    char dir[] = "/tmp/wattson-vabench.XXXXXX", path[64];
    if (!mkdtemp(dir)) {
        fprintf(stderr, "wattson: bench vgpu-api: mkdtemp: %s\n",
                strerror(errno));
        return RUN_ERR;
    }
    snprintf(path, sizeof path, "%s/vgpu.sock", dir);
    struct run_opts o = a->run;
    o.realtime = 1;
    o.vgpu_socket = path;
    o.duration_s = 2 * VABENCH_PHASE_S + 2.5;
    int fds[2];
    char err[1024] = "";
    struct run *r = NULL;
    int rc = pipe(fds) == 0 ? run_new(&o, &r, err, sizeof err) : RUN_ERR;
    if (rc != RUN_OK) {
        fprintf(stderr, "wattson: bench vgpu-api: %s\n",
                *err ? err : strerror(errno));
        rmdir(dir);
        return rc;
    }
    fflush(NULL);
    pid_t kid = fork();
    if (kid == 0) {
        close(fds[0]);
        clients(path, fds[1]);
        _exit(0);
    }
    close(fds[1]);
    int lrc = kid > 0 ? run_loop(r, err, sizeof err) : RUN_ERR;
    if (kid > 0)
        waitpid(kid, NULL, 0);
    const struct summary *s = run_summary(r);
    unsigned long long served = s->vgpu_api_requests;
    run_finish(r, err, sizeof err);
    run_free(r);
    rmdir(dir);
    if (lrc == RUN_ERR || kid < 0) {
        fprintf(stderr, "wattson: bench vgpu-api: %s\n",
                kid < 0 ? strerror(errno) : err);
        return RUN_ERR;
    }
    const char *slow = bench_slow_build();
    printf("bench vgpu-api: the default lab on the wall clock, the API on "
           "the run's loop;\n%.0f s per phase; latency is one round trip "
           "(us)%s%s\n\n",
           VABENCH_PHASE_S, slow ? "; debug build: " : "", slow ? slow : "");
    printf("%-26s %9s %10s %8s %8s %8s %7s %8s\n", "clients", "offered/s",
           "answered/s", "p50", "p99", "max", "errors", "ERATE");
    struct va_result res, paced_all = {.role = 1};
    double p99_worst = 0, p99_10k = -1, rate_10k = 0;
    int n_paced = 0;
    while (read(fds[0], &res, sizeof res) == (ssize_t)sizeof res) {
        if (res.role == 0) {
            put_row("one process, 5 conns", &res);
            p99_10k = res.p99_us;
            rate_10k = res.achieved;
        } else if (res.role == 1) {
            char name[48];
            snprintf(name, sizeof name, "paced %d beside the flood", ++n_paced);
            put_row(name, &res);
            if (res.p99_us > p99_worst)
                p99_worst = res.p99_us;
            paced_all.errors += res.errors;
        } else {
            put_row("flooding client", &res);
        }
    }
    close(fds[0]);
    printf("\nrequests the server counted: %llu\n", served);
    if (p99_10k >= 0)
        printf("aim 10,000/s with p99 < 1 ms: %.0f/s, p99 %.0f us: %s\n",
               rate_10k, p99_10k,
               rate_10k >= 0.99 * VABENCH_RATE && p99_10k < 1000 ? "met"
                                                                 : "NOT met");
    if (n_paced)
        printf("paced clients beside the flood: worst p99 %.0f us, %lu "
               "errors\n",
               p99_worst, paced_all.errors);
    return RUN_OK;
}

const struct cli_entry vabench_entry = {
    .name = "bench",
    .sub = "vgpu-api",
    .usage = "",
    .help = "the vGPU request API on a running default lab (--realtime):\n"
            "one process sending 10,000 requests/s over 5 connections,\n"
            "then 4 paced clients beside a flooding one: answered rate,\n"
            "p50/p99/max round trip, errors, rate-limited requests",
    .opts = 1u << CLI_OPT_PLUGIN_DIR,
    .exec = vabench_exec,
};
