/*
 * ofbench - `wattson bench offload [--quick]` (issue 18): split inference
 * between two wattson processes over a real network path, measured.
 *
 * The testbed is scripts/ofnet.sh's (core/paths.h: paths_ofnet): two
 * network namespaces A and B joined through a third where wattson-ofrelay
 * forwards every frame with the delay and loss asked for, `tc tbf` on
 * both ends for the rate.  `offload serve` runs in B; this process moves
 * into A (setns) and runs the user's side itself (engines/ofuser.h), so
 * every figure is a real request over real TCP through that path.
 *
 * For each model (DATA/darknet-cfg/NAME.cfg; DATA is $WATTSON_SHARED_DATA
 * or ../shared/data) and each condition (rate, RTT, loss) it runs
 *   local     every layer on the user's device;
 *   remote    every layer on the remote;
 *   static    one split, solved once by the adaptive protocol's own
 *             estimates in the reference condition (100 Mb/s, no added
 *             delay or loss) and kept everywhere: "the static best split
 *             chosen once";
 *   adaptive  the split solved before every request on the network as
 *             measured;
 * each for a few requests, and reports the median latency of all but the
 * first (its connection's slow start and the opening probes), the bytes
 * on the wire, failovers and outputs that differed from a local run.
 * Then, per model, the bytes with compression off against adaptive
 * compression, and the recovery after a bandwidth drop (100 Mb/s to
 * 5 Mb/s between two requests): the time from the drop until the first
 * request after which every latency is within 10 % of the best steady
 * latency at the new rate, for adaptive and for static.
 *
 * Aims (the issue's), checked and printed, never hidden: adaptive never
 * more than 5 % worse than the better of local and remote; at least 2x
 * better than the worse of them where the network is the bottleneck -
 * where moving all-remote's bytes at the condition's rate, with its RTT,
 * takes more than twice as long as computing everything on the user's
 * device, so that the network alone makes offloading lose by the factor
 * the aim asks to win back; no output different from a local run.  Medians of 7
 * requests on a shared 2-core machine vary by a few per cent from run to run: a
 * miss of the 5 % aim by less than that is printed as what it is.
 *
 * Needs root (namespaces, setns); exit 1 with the reason otherwise.
 * The 10 Gb/s condition is bounded by the relay, a user-space process
 * copying every frame: the table prints the rate asked for, and the
 * bandwidth the protocol measured beside it.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <math.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cmd/cli.h"
#include "core/loop.h"
#include "core/ofsess.h"
#include "core/paths.h"
#include "engines/ofuser.h"
#include "part/pcplx.h"
#include "part/pmodel.h"

#define OFB_ADDR "10.199.0.2:7207"
#define OFB_MAX_REQ 16

struct ofb_cond {
    const char *label, *rate, *delay, *loss;
    double bw, rtt; /* the rate in bytes/s and the added RTT, s */
};

static const struct ofb_cond ofb_full[] = {
    {"1 Mb/s", "1mbit", "0", "0", 125e3, 0},
    {"10 Mb/s", "10mbit", "0", "0", 1.25e6, 0},
    {"100 Mb/s", "100mbit", "0", "0", 12.5e6, 0},
    {"1 Gb/s", "1gbit", "0", "0", 125e6, 0},
    {"10 Gb/s", "10gbit", "0", "0", 1.25e9, 0},
    {"100 Mb/s RTT 10 ms", "100mbit", "5ms", "0", 12.5e6, 0.010},
    {"100 Mb/s RTT 50 ms", "100mbit", "25ms", "0", 12.5e6, 0.050},
    {"100 Mb/s RTT 100 ms", "100mbit", "50ms", "0", 12.5e6, 0.100},
    {"100 Mb/s RTT 10 ms 1% loss", "100mbit", "5ms", "0.01", 12.5e6, 0.010},
    {"100 Mb/s RTT 10 ms 5% loss", "100mbit", "5ms", "0.05", 12.5e6, 0.010},
};
static const struct ofb_cond ofb_quick[] = {
    {"10 Mb/s", "10mbit", "0", "0", 1.25e6, 0},
    {"1 Gb/s", "1gbit", "0", "0", 125e6, 0},
    {"100 Mb/s RTT 50 ms", "100mbit", "25ms", "0", 12.5e6, 0.050},
    {"100 Mb/s RTT 10 ms 2% loss", "100mbit", "5ms", "0.02", 12.5e6, 0.010},
};
static const struct ofb_cond ofb_ref = {"100 Mb/s", "100mbit", "0",
                                        "0",        12.5e6,    0};

static const char *const ofb_models_full[] = {"yolov3-tiny", "vgg-16",
                                              "resnet50"};
static const char *const ofb_models_quick[] = {"yolov3-tiny"};

enum { M_LOCAL, M_REMOTE, M_STATIC, M_ADAPTIVE, M_N };
static const enum ofuser_mode ofb_mode[M_N] = {OFUSER_LOCAL, OFUSER_REMOTE,
                                               OFUSER_STATIC, OFUSER_ADAPTIVE};
static const char *const ofb_mname[M_N] = {"local", "remote", "static",
                                           "adaptive"};

/* One run's requests. */
struct ofb_run {
    unsigned n, failover, bad;
    double lat[OFB_MAX_REQ], at[OFB_MAX_REQ]; /* ms; s (monotonic) */
    double remote_ms[OFB_MAX_REQ], bw[OFB_MAX_REQ];
    size_t remote_layers[OFB_MAX_REQ];
    uint64_t wire, raw;
    /* the drop experiment: set the rate after request drop_after */
    int drop_after;
    int udp; /* tensors as datagrams */
    unsigned long long fec, nacked;
    const char *net, *name;
    double drop_at;
};

struct ofb {
    const char *self, *net, *data;
    char name[32];
    pid_t server;
    int quick;
    unsigned checks, missed, bad;
};

/* Runs argv, stdout and stderr to /dev/null unless verbose: its exit
 * status, or -1. */
static int ofb_spawn(char *const argv[], int quiet)
{
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        if (quiet) {
            int fd = open("/dev/null", O_WRONLY);
            if (fd >= 0) {
                dup2(fd, 1);
                dup2(fd, 2);
            }
        }
        execvp(argv[0], argv);
        _exit(127);
    }
    int st;
    while (waitpid(pid, &st, 0) < 0)
        ;
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* ofnet.sh VERB NAME [the condition's options]. */
static int ofb_net(const struct ofb *b, const char *verb,
                   const struct ofb_cond *c)
{
    char *argv[16] = {"sh", (char *)b->net, (char *)verb, (char *)b->name};
    int n = 4;
    if (c) {
        argv[n++] = "--rate";
        argv[n++] = (char *)c->rate;
        argv[n++] = "--delay";
        argv[n++] = (char *)c->delay;
        argv[n++] = "--loss";
        argv[n++] = (char *)c->loss;
        if (strcmp(verb, "up") == 0) {
            argv[n++] = "--seed"; /* the relay's drops, repeatable */
            argv[n++] = "1";
        }
    }
    argv[n] = NULL;
    return ofb_spawn(argv, strcmp(verb, "down") == 0);
}

static void ofb_record(void *arg, const struct ofuser_rec *r)
{
    struct ofb_run *run = arg;
    if (!r || run->n >= OFB_MAX_REQ)
        return;
    const unsigned i = run->n++;
    run->lat[i] = r->latency_ms;
    run->at[i] = ofsess_now();
    run->remote_ms[i] = r->remote_compute_ms;
    run->remote_layers[i] = r->remote_layers;
    run->bw[i] = r->bw_est;
    run->failover += r->failover != 0;
    run->bad += !r->ok;
    run->wire += r->wire_up + r->wire_down;
    run->fec += r->fec_recovered;
    run->nacked += r->nacked;
    run->raw += r->raw_up + r->raw_down;
    if (run->drop_after >= 0 && (int)i == run->drop_after) {
        char *argv[] = {"sh",     (char *)run->net, "set", (char *)run->name,
                        "--rate", "5mbit",          NULL};
        ofb_spawn(argv, 1);
        run->drop_at = ofsess_now();
    }
}

static int cmp_d(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* The median of v[from..n). */
static double ofb_median(const double *v, unsigned from, unsigned n)
{
    double t[OFB_MAX_REQ];
    if (n <= from)
        return NAN;
    memcpy(t, v + from, (n - from) * sizeof *t);
    qsort(t, n - from, sizeof *t, cmp_d);
    const unsigned k = n - from;
    return k % 2 ? t[k / 2] : (t[k / 2 - 1] + t[k / 2]) / 2;
}

static int ofb_over(void *u)
{
    return ofuser_over(u);
}

/* One run of `requests` in mode m: 0, or -1 (said). */
static int ofb_one(const struct ofuser_cfg *base, enum ofuser_mode m,
                   unsigned requests, int zlevel, const uint8_t *split,
                   struct ofb_run *run, uint8_t *split_out)
{
    struct ofuser_cfg cfg = *base;
    cfg.udp = run->udp;
    cfg.mode = m;
    cfg.requests = requests;
    cfg.zlevel = zlevel;
    cfg.static_split = split;
    cfg.record = ofb_record;
    cfg.arg = run;
    char err[512];
    struct loop *l = loop_new(err, sizeof err);
    struct ofuser *u =
        l ? ofuser_new(loop_base(l), &cfg, err, sizeof err) : NULL;
    int rc = 0;
    if (!u) {
        fprintf(stderr, "wattson: bench offload: %s\n", err);
        rc = -1;
    } else {
        if (loop_run(l, 1, 20000000ull, ofb_over, u) != 0 || loop_signal(l))
            rc = -1;
        if (ofuser_error(u)) {
            fprintf(stderr, "wattson: bench offload: %s: %s\n", ofb_mname[m],
                    ofuser_error(u));
            rc = -1;
        }
        if (split_out)
            memcpy(split_out, ofuser_split(u), base->g->n);
    }
    ofuser_free(u);
    if (l)
        loop_free(l);
    return rc;
}

/* The recovery after the drop: seconds from it to the start of the first
 * request after which every latency is within 10 % of best (ms); NAN
 * when that never came. */
static double ofb_recovery(const struct ofb_run *r, double best)
{
    for (unsigned i = 0; i < r->n; i++) {
        const double start = r->at[i] - r->lat[i] * 1e-3;
        if (start < r->drop_at)
            continue;
        int all = 1;
        for (unsigned j = i; j < r->n; j++)
            all = all && r->lat[j] <= 1.1 * best;
        if (all)
            return start - r->drop_at;
    }
    return NAN;
}

static void ofb_aim(struct ofb *b, int met, const char *what)
{
    b->checks++;
    if (!met) {
        b->missed++;
        printf("    AIM MISSED: %s\n", what);
    }
}

/* Every condition, the compression and the drop for one model: 0, or
 * -1 (said). */
static int ofb_model(struct ofb *b, const char *name,
                     const struct ofb_cond *cond, size_t nc)
{
    char path[4096], err[512];
    snprintf(path, sizeof path, "%s/darknet-cfg/%s.cfg", b->data, name);
    struct pmodel m;
    if (pmodel_load(&m, path, err, sizeof err) != 0) {
        fprintf(stderr, "wattson: %s\n", err);
        pmodel_free(&m);
        return -1;
    }
    double *fwd = malloc((m.g.n ? m.g.n : 1) * sizeof *fwd);
    uint8_t *split = calloc(m.g.n ? m.g.n : 1, 1);
    struct ofuser_cfg base = {.connect = OFB_ADDR,
                              .g = &m.g,
                              .order = m.order,
                              .fwd = fwd,
                              .speed = 0.02,
                              .scale = pcplx_scale(50),
                              .fv = {.score = 50},
                              .seed = 1,
                              .gap_s = 0.05,
                              .prior_bw = 12.5e6,
                              .prior_rtt = 1e-3};
    snprintf(base.name, sizeof base.name, "cpu");
    int rc = -1;
    if (!fwd || !split || pmodel_infer_work(&m.g, fwd, &base.in_bytes) != 0)
        goto out;
    const unsigned nreq = 8;
    /* the static split: the adaptive protocol's choice in the reference
     * condition, kept */
    struct ofb_run run = {.drop_after = -1};
    if (ofb_net(b, "set", &ofb_ref) != 0) {
        fprintf(stderr, "wattson: bench offload: ofnet.sh set failed\n");
        goto out;
    }
    if (ofb_one(&base, OFUSER_ADAPTIVE, 3, -1, NULL, &run, split) != 0)
        goto out;
    size_t nsplit = 0;
    for (size_t v = 0; v < m.g.n; v++)
        nsplit += split[v];
    printf("\n%s (%zu layers, input %.0f kB): user cpu x0.02, remote gpu "
           "x1; static split: %zu layers remote (solved at %s)\n",
           name, m.g.n, base.in_bytes / 1e3, nsplit, ofb_ref.label);
    printf("  %-28s %10s %10s %10s %10s %7s %7s %6s %9s %4s %4s\n", "condition",
           "local ms", "remote ms", "static ms", "adapt ms", "a/best",
           "worse/a", "split", "bw MB/s", "fo", "bad");
    double local_ref = NAN;
    for (size_t c = 0; c < nc; c++) {
        if (ofb_net(b, "set", &cond[c]) != 0) {
            fprintf(stderr, "wattson: bench offload: ofnet.sh set failed\n");
            goto out;
        }
        double med[M_N], remote_wire = 0, bw = 0;
        size_t adapt_split = 0;
        unsigned fo = 0, bad = 0;
        for (int k = 0; k < M_N; k++) {
            struct ofb_run r = {.drop_after = -1};
            /* all-remote at 1 Mb/s takes seconds a request: fewer */
            const unsigned n =
                k == M_REMOTE && strcmp(cond[c].rate, "1mbit") == 0 ? 3 : nreq;
            if (ofb_one(&base, ofb_mode[k], n, -1, split, &r, NULL) != 0)
                goto out;
            med[k] = ofb_median(r.lat, 1, r.n);
            fo += r.failover;
            bad += r.bad;
            if (k == M_REMOTE)
                remote_wire = (double)r.wire / r.n;
            if (k == M_ADAPTIVE) {
                adapt_split = r.remote_layers[r.n - 1];
                bw = r.bw[r.n - 1];
            }
        }
        if (c == 0 || isnan(local_ref))
            local_ref = med[M_LOCAL];
        const double best = fmin(med[M_LOCAL], med[M_REMOTE]);
        const double worse = fmax(med[M_LOCAL], med[M_REMOTE]);
        printf("  %-28s %10.2f %10.2f %10.2f %10.2f %7.3f %7.2f %6zu %9.2f "
               "%4u %4u\n",
               cond[c].label, med[M_LOCAL], med[M_REMOTE], med[M_STATIC],
               med[M_ADAPTIVE], med[M_ADAPTIVE] / best, worse / med[M_ADAPTIVE],
               adapt_split, bw / 1e6, fo, bad);
        char what[256];
        snprintf(what, sizeof what,
                 "%s: adaptive %.2f ms is more than 5 %% over the better of "
                 "local and remote (%.2f ms)",
                 cond[c].label, med[M_ADAPTIVE], best);
        ofb_aim(b, med[M_ADAPTIVE] <= 1.05 * best, what);
        /* network-bound: moving all-remote's bytes at the condition's
         * rate, with its RTT, costs more than twice computing everything
         * here: the network alone makes offloading lose by 2x */
        if (remote_wire / cond[c].bw + cond[c].rtt > 2 * med[M_LOCAL] * 1e-3) {
            snprintf(what, sizeof what,
                     "%s (network-bound): adaptive %.2f ms is not 2x better "
                     "than the worse of local and remote (%.2f ms)",
                     cond[c].label, med[M_ADAPTIVE], worse);
            ofb_aim(b, worse >= 2 * med[M_ADAPTIVE], what);
        }
        snprintf(what, sizeof what, "%s: %u outputs differ from a local run",
                 cond[c].label, bad);
        ofb_aim(b, bad == 0, what);
        b->bad += bad;
    }
    /* compression: all-remote at 10 Mb/s, zstd off against adaptive */
    static const struct ofb_cond ten = {"10 Mb/s", "10mbit", "0",
                                        "0",       1.25e6,   0};
    struct ofb_run off = {.drop_after = -1}, on = {.drop_after = -1};
    if (ofb_net(b, "set", &ten) != 0 ||
        ofb_one(&base, OFUSER_REMOTE, 3, 0, NULL, &off, NULL) != 0 ||
        ofb_one(&base, OFUSER_REMOTE, 3, -1, NULL, &on, NULL) != 0)
        goto out;
    printf("  compression, all-remote at 10 Mb/s: off %.0f kB on the wire a "
           "request, %.2f ms; adaptive zstd %.0f kB (%.3f of raw), %.2f ms\n",
           off.wire / 3e3, ofb_median(off.lat, 1, off.n), on.wire / 3e3,
           on.raw ? (double)on.wire / (double)on.raw : NAN,
           ofb_median(on.lat, 1, on.n));
    /* a lossy link: all-remote over TCP (its retransmissions) and over
     * datagrams with erasure coding */
    static const struct ofb_cond lossy = {
        "100 Mb/s RTT 10 ms 5% loss", "100mbit", "5ms", "0.05", 12.5e6, 0.010};
    struct ofb_run tcp = {.drop_after = -1}, udp = {.drop_after = -1, .udp = 1};
    if (ofb_net(b, "set", &lossy) != 0 ||
        ofb_one(&base, OFUSER_REMOTE, 5, -1, NULL, &tcp, NULL) != 0 ||
        ofb_one(&base, OFUSER_REMOTE, 5, -1, NULL, &udp, NULL) != 0)
        goto out;
    printf("  all-remote at %s: tcp %.2f ms; udp with FEC %.2f ms (%llu "
           "groups rebuilt from parity, %llu sent again; %u failed over, "
           "%u bad)\n",
           lossy.label, ofb_median(tcp.lat, 1, tcp.n),
           ofb_median(udp.lat, 1, udp.n), udp.fec, udp.nacked, udp.failover,
           udp.bad);
    b->bad += tcp.bad + udp.bad;
    /* the drop: 100 Mb/s, then 5 Mb/s after the fourth request */
    for (int k = M_STATIC; k <= M_ADAPTIVE; k++) {
        struct ofb_run r = {.drop_after = 3, .net = b->net, .name = b->name};
        if (ofb_net(b, "set", &ofb_ref) != 0 ||
            ofb_one(&base, ofb_mode[k], 12, -1, split, &r, NULL) != 0)
            goto out;
        double tail = ofb_median(r.lat, r.n - 4, r.n);
        const double best = fmin(local_ref, tail);
        const double rec = ofb_recovery(&r, best);
        printf("  drop 100 -> 5 Mb/s, %-8s: before %.2f ms, after %.2f ms "
               "(best %.2f); recovered %s",
               ofb_mname[k], ofb_median(r.lat, 1, 4), tail, best,
               isnan(rec) ? "never (within 8 requests)" : "");
        if (!isnan(rec))
            printf("%.3f s after the drop", rec);
        printf("; %u failed over\n", r.failover);
        b->bad += r.bad;
    }
    rc = 0;
out:
    free(fwd);
    free(split);
    pmodel_free(&m);
    return rc;
}

/* Moves this process into NAME-a's network namespace: 0, or -1. */
static int ofb_enter(const struct ofb *b)
{
    char path[128];
    snprintf(path, sizeof path, "/run/netns/%s-a", b->name);
    const int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0 || setns(fd, CLONE_NEWNET) != 0) {
        if (fd >= 0)
            close(fd);
        perror("wattson: bench offload: entering the user's namespace");
        return -1;
    }
    close(fd);
    return 0;
}

static int ofbench_exec(const struct cli_entry *self, struct cli_args *a)
{
    (void)self;
    if (a->argc > 1)
        return cli_usage_error("%s", "bench offload takes at most one "
                                     "operand, the shared data directory");
    struct ofb b = {.quick = a->quick};
    const char *env = getenv("WATTSON_SHARED_DATA");
    b.data = a->argc ? a->argv[0] : env && *env ? env : "../shared/data";
    b.net = paths_ofnet();
    const char *relay = paths_ofrelay();
    if (geteuid() != 0) {
        fprintf(stderr, "wattson: bench offload needs root (network "
                        "namespaces, tc)\n");
        return RUN_ERR;
    }
    if (!b.net || !relay) {
        fprintf(stderr, "wattson: bench offload: ofnet.sh or "
                        "wattson-ofrelay not found\n");
        return RUN_ERR;
    }
    setenv("WATTSON_OFRELAY", relay, 1);
    char self_exe[4096];
    const ssize_t n = readlink("/proc/self/exe", self_exe, sizeof self_exe - 1);
    if (n <= 0) {
        fprintf(stderr, "wattson: bench offload: /proc/self/exe: unreadable\n");
        return RUN_ERR;
    }
    self_exe[n] = '\0';
    snprintf(b.name, sizeof b.name, "wofb%d", (int)getpid());
    if (ofb_net(&b, "up", &ofb_ref) != 0) {
        fprintf(stderr, "wattson: bench offload: ofnet.sh up failed\n");
        ofb_net(&b, "down", NULL);
        return RUN_ERR;
    }
    char ns_b[64];
    snprintf(ns_b, sizeof ns_b, "%s-b", b.name);
    b.server = fork();
    if (b.server == 0) {
        int fd = open("/dev/null", O_WRONLY);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
        }
        execlp("ip", "ip", "netns", "exec", ns_b, self_exe, "offload", "serve",
               "--listen", OFB_ADDR, "-q", (char *)NULL);
        _exit(127);
    }
    int rc = RUN_OK;
    if (b.server < 0 || ofb_enter(&b) != 0)
        rc = RUN_ERR;
    else {
        usleep(300000); /* the server binds */
        printf("bench offload: %s; every figure a median over requests 2..N "
               "of real requests through the testbed; fo: failed over, bad: "
               "outputs differing from a local run\n",
               a->quick ? "quick" : "full");
        const char *const *models =
            a->quick ? ofb_models_quick : ofb_models_full;
        const size_t nm = a->quick ? 1 : 3;
        const struct ofb_cond *conds = a->quick ? ofb_quick : ofb_full;
        const size_t nc = a->quick ? sizeof ofb_quick / sizeof *ofb_quick
                                   : sizeof ofb_full / sizeof *ofb_full;
        for (size_t i = 0; i < nm && rc == RUN_OK; i++)
            if (ofb_model(&b, models[i], conds, nc) != 0)
                rc = RUN_ERR;
        printf("\naims: %u of %u met; %u outputs differing from a local run\n",
               b.checks - b.missed, b.checks, b.bad);
    }
    if (b.server > 0) {
        kill(b.server, SIGTERM);
        waitpid(b.server, NULL, 0);
    }
    ofb_net(&b, "down", NULL);
    return rc;
}

const struct cli_entry ofbench_entry = {
    .name = "bench",
    .sub = "offload",
    .usage = "[DATA]",
    .help = "split inference between two wattson processes through a real\n"
            "network path (two namespaces, tc tbf, wattson-ofrelay; needs\n"
            "root): all-local, all-remote, a static split and the adaptive\n"
            "protocol per rate, RTT and loss; bytes with and without zstd;\n"
            "recovery after a bandwidth drop",
    .opts = (uint64_t)1 << CLI_OPT_QUICK,
    .exec = ofbench_exec,
};
