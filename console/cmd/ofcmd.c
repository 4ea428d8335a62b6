/*
 * ofcmd - `wattson offload serve` and `wattson offload run` (issue 18):
 * split inference between two wattson processes over a real network
 * path (engines/ofremote.h, engines/ofuser.h; the protocol: core/ofwire.h,
 * part/ofmsg.h).
 *
 *   wattson offload serve [--listen ADDR] [--device NAME[:SPEED] | --lab LAB]
 *                         [--zstd LEVEL] [--duration D]
 *   wattson offload run --connect ADDR --model MODEL [--mode MODE]
 *                       [--requests N] [--device NAME[:SPEED]]
 *                       [--input IMAGE | --complexity N|LEN/MAX]
 *                       [--zstd LEVEL] [--transport tcp|udp]
 *                       [--timeout D] [--seed N] [--out FILE]
 *
 * serve listens on 127.0.0.1:7207 unless --listen names another address:
 * only the loopback by default, so nothing outside the machine (or the
 * network namespace) can reach it unless asked.  It runs until SIGINT or
 * SIGTERM (exit 0) or for --duration.
 *
 * run prints one line per request and a summary; --out FILE writes one
 * JSON object per request (written beside FILE and renamed over it at
 * the end: nothing half-written).  Exit 0 when every request finished
 * and every offloaded output equals a local run's; 1 when the remote
 * refused the session (another protocol version, say: both sides say
 * why), could not be reached, or an output differed; 2 a bad command
 * line; 3 a bad model or input file; 6 --out could not be written;
 * 130 stopped by SIGINT or SIGTERM (what was done is written).  serve:
 * 0, 1 when it cannot listen (the address is in use, say), 2 a bad
 * command line.
 *
 * Devices: the user's default is "cpu" at 0.02 of the profiled device
 * (part/pmodel.h's reference of 10 TFLOP/s: 200 GFLOP/s, what a 4-core
 * AVX2 laptop CPU sustains in convolutions, about half its fp32 peak of
 * 4 cores x 3 GHz x 32 FLOP/cycle); the remote's is "gpu" at 1, the
 * reference itself (a V100-class GPU).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cli.h"
#include "core/json.h"
#include "core/lab.h"
#include "core/labclu.h"
#include "core/log.h"
#include "core/loop.h"
#include "core/ofsess.h"
#include "core/ofzst.h"
#include "core/tracefile.h"
#include "engines/ofremote.h"
#include "engines/ofuser.h"
#include "part/ofexec.h"
#include "part/pcplx.h"
#include "part/pmodel.h"

static const char *const mode_names[OFUSER_MODES] = {"adaptive", "static",
                                                     "local", "remote"};

/* --device NAME[:SPEED] into name and speed: 0, or RUN_USAGE said. */
static int ofcmd_device(const char *spec, char *name, size_t len, double *speed)
{
    if (!spec)
        return 0;
    char buf[64];
    snprintf(buf, sizeof buf, "%s", spec);
    char *colon = strchr(buf, ':');
    if (colon) {
        *colon++ = '\0';
        char *end;
        const double v = strtod(colon, &end);
        if (!*colon || *end || !(v > 0) || !(v <= 1e6))
            return cli_usage_error("--device: '%s': NAME[:SPEED], speed > 0 "
                                   "relative to the profiled device",
                                   spec);
        *speed = v;
    }
    if (!*buf || strlen(spec) >= sizeof buf)
        return cli_usage_error("--device: '%s': NAME[:SPEED]", spec);
    snprintf(name, len, "%s", buf);
    return 0;
}

/* --zstd LEVEL: -1 adaptive, else the level; -2 (said) when bad. */
static int ofcmd_zstd(const char *s)
{
    static const char *const names[] = {"off", "fast", "strong"};
    if (!s || strcmp(s, "auto") == 0)
        return -1;
    for (int i = 0; i < 3; i++)
        if (strcmp(s, names[i]) == 0)
            return i;
    cli_usage_error("--zstd: '%s' is not auto, off, fast or strong", s);
    return -2;
}

/* Stops the loop when the agent is done or --duration has passed. */
struct ofcmd_run {
    struct ofuser *u;
    double until; /* serve: monotonic s, 0 none */
};

static int ofcmd_step(void *arg)
{
    const struct ofcmd_run *r = arg;
    if (r->u)
        return ofuser_over(r->u);
    return r->until > 0 && ofsess_now() >= r->until;
}

/* --lab LAB: the devices of its `cluster` table into dev[*n]: 0, or
 * RUN_LAB (one line said). */
static int ofcmd_labdevs(const char *path, struct ofalloc_dev *dev, size_t *n)
{
    struct lab *lab;
    if (cli_lab_cluster(path,
                        "offload serve --lab takes its devices from it: "
                        "cluster = { devices = ... }",
                        &lab) != 0)
        return RUN_LAB;
    const struct labclu *m = lab->cluster;
    if (m->ndev > OFALLOC_MAX_DEV) {
        fprintf(stderr, "wattson: %s: more than %d cluster devices\n", path,
                OFALLOC_MAX_DEV);
        lab_free(lab);
        return RUN_LAB;
    }
    for (size_t d = 0; d < m->ndev; d++) {
        snprintf(dev[d].name, sizeof dev[d].name, "%s", m->dev[d].name);
        dev[d].speed = m->dev[d].speed;
        /* no cap in the lab: as good as none in the book */
        dev[d].mem_bytes =
            isfinite(m->dev[d].mem_bytes) ? m->dev[d].mem_bytes : 1e18;
    }
    *n = m->ndev;
    lab_free(lab);
    return 0;
}

static int ofcmd_serve(const struct cli_entry *self, struct cli_args *a)
{
    (void)self;
    if (a->argc != 0)
        return cli_usage_error("%s", "offload serve takes no operands");
    /* the default device: the reference, a V100-class GPU with its
     * 16 GB (NVIDIA's V100 datasheet) */
    struct ofremote_cfg cfg = {.listen =
                                   a->listen ? a->listen : OFSESS_DEFAULT_ADDR,
                               .speed = 1,
                               .mem = 16e9,
                               .log = a->verbosity > LOG_ERROR ? stderr : NULL};
    snprintf(cfg.name, sizeof cfg.name, "gpu");
    if (ofcmd_device(a->device, cfg.name, sizeof cfg.name, &cfg.speed) != 0)
        return RUN_USAGE;
    if (a->device && a->run.lab_path)
        return cli_usage_error("%s", "--device or --lab: one or the other");
    struct ofalloc_dev dev[OFALLOC_MAX_DEV];
    if (a->run.lab_path) {
        const int rc = ofcmd_labdevs(a->run.lab_path, dev, &cfg.ndev);
        if (rc != 0)
            return rc;
        cfg.dev = dev;
    }
    cfg.zlevel = ofcmd_zstd(a->zstd);
    if (cfg.zlevel == -2)
        return RUN_USAGE;
    char err[512];
    if (ofsess_addr_check(cfg.listen, err, sizeof err) != 0)
        return cli_usage_error("--listen: %s", err);
    struct loop *l = loop_new(err, sizeof err);
    if (!l) {
        fprintf(stderr, "wattson: %s\n", err);
        return RUN_ERR;
    }
    struct ofremote *r = ofremote_new(loop_base(l), &cfg, err, sizeof err);
    if (!r) {
        fprintf(stderr, "wattson: offload serve: %s\n", err);
        loop_free(l);
        return RUN_ERR;
    }
    /* the port, for a --listen ADDR:0 caller (and a person) */
    printf("wattson offload serve: listening on %s (port %u), devices",
           cfg.listen, ofremote_port(r));
    for (size_t d = 0; d < (cfg.ndev ? cfg.ndev : 1); d++)
        printf(" %s x%g %.3g GB", cfg.ndev ? dev[d].name : cfg.name,
               cfg.ndev ? dev[d].speed : cfg.speed,
               (cfg.ndev ? dev[d].mem_bytes : cfg.mem) / 1e9);
    printf("\n");
    fflush(stdout);
    struct ofcmd_run run = {
        .until = a->run.duration_s > 0 ? ofsess_now() + a->run.duration_s : 0};
    const int rc = loop_run(l, 1, 50000000ull, ofcmd_step, &run);
    struct ofremote_stats st;
    ofremote_stats(r, &st);
    printf("wattson offload serve: %u connections (%u refused), %u "
           "requests: %u done, %u failed; %llu bytes in, %llu out\n",
           st.conns, st.refused, st.requests, st.done, st.failed,
           (unsigned long long)st.bytes_in, (unsigned long long)st.bytes_out);
    ofremote_free(r);
    loop_free(l);
    return rc == 0 ? RUN_OK : RUN_ERR;
}

/* What run prints and writes, and the totals. */
struct ofcmd_out {
    struct tracefile out;
    int has_out;
    unsigned n, failover, corrupted;
    double sum_ms;
    uint64_t wire, raw;
};

static void ofcmd_record(void *arg, const struct ofuser_rec *r)
{
    struct ofcmd_out *o = arg;
    if (!r)
        return;
    o->n++;
    o->failover += r->failover != 0;
    o->corrupted += !r->ok;
    o->sum_ms += r->latency_ms;
    o->wire += r->wire_up + r->wire_down;
    o->raw += r->raw_up + r->raw_down;
    printf("request %u: %zu/%zu layers remote, predicted %.3f ms, took "
           "%.3f ms; up %llu B on the wire (%llu raw, %s), down %llu B; "
           "bw %.4g MB/s, rtt %.3f ms; %s%s%s\n",
           r->k, r->remote_layers, r->layers, r->predicted_ms, r->latency_ms,
           (unsigned long long)r->wire_up, (unsigned long long)r->raw_up,
           r->level, (unsigned long long)r->wire_down, r->bw_est / 1e6,
           r->rtt_est * 1e3,
           !r->ok        ? "OUTPUT DIFFERS FROM THE LOCAL RUN"
           : r->failover ? "failed over: "
                         : "ok",
           r->failover ? r->why : "", "");
    fflush(stdout);
    if (!o->has_out)
        return;
    FILE *f = o->out.f;
    fprintf(f,
            "{\"request\":%u,\"mode\":\"%s\",\"layers\":%zu,"
            "\"remote_layers\":%zu,\"predicted_ms\":%.9g,"
            "\"latency_ms\":%.9g,\"remote_compute_ms\":%.9g,"
            "\"remote_queued_ms\":%.9g,\"wire_up\":%llu,\"raw_up\":%llu,"
            "\"wire_down\":%llu,\"raw_down\":%llu,\"bw_est\":%.9g,"
            "\"rtt_est\":%.9g,\"level\":\"%s\",\"failover\":%s,"
            "\"ok\":%s,\"transport\":\"%s\",\"dg_sent\":%llu,"
            "\"dg_got\":%llu,\"fec_recovered\":%llu,\"nacked\":%llu,"
            "\"why\":",
            r->k, mode_names[r->mode], r->layers, r->remote_layers,
            isfinite(r->predicted_ms) ? r->predicted_ms : -1, r->latency_ms,
            r->remote_compute_ms, r->remote_queued_ms,
            (unsigned long long)r->wire_up, (unsigned long long)r->raw_up,
            (unsigned long long)r->wire_down, (unsigned long long)r->raw_down,
            r->bw_est, r->rtt_est, r->level, r->failover ? "true" : "false",
            r->ok ? "true" : "false", r->udp ? "udp" : "tcp",
            (unsigned long long)r->dg_sent, (unsigned long long)r->dg_got,
            (unsigned long long)r->fec_recovered,
            (unsigned long long)r->nacked);
    json_put_string(f, r->why);
    fputs("}\n", f);
}

/* --input or --complexity into the scale and the feature vector: 0, or
 * the exit code (said). */
static int ofcmd_input(const struct cli_args *a, double *scale,
                       struct ofmsg_feat *fv)
{
    double score = 50;
    *fv = (struct ofmsg_feat){0};
    if (a->input && a->complexity)
        return cli_usage_error("%s", "--input and --complexity: one or the "
                                     "other");
    if (a->input) {
        struct pcplx_feat f;
        char err[512];
        if (pcplx_image_file(a->input, &f, err, sizeof err) != 0) {
            fprintf(stderr, "wattson: %s\n", err);
            return RUN_LAB;
        }
        score = pcplx_score(&f);
        fv->entropy = f.entropy;
        fv->edges = f.edge_density;
        fv->width = f.width;
        fv->height = f.height;
    } else if (a->complexity) {
        char *end;
        score = strtod(a->complexity, &end);
        if (!*a->complexity || *end || !(score >= 0 && score <= 100))
            return cli_usage_error("--complexity: '%s' is not a score 0-100",
                                   a->complexity);
    }
    fv->score = score;
    *scale = pcplx_scale(score);
    return 0;
}

static int ofcmd_run(const struct cli_entry *self, struct cli_args *a)
{
    (void)self;
    if (a->argc != 0)
        return cli_usage_error("%s", "offload run takes no operands (the "
                                     "model is --model FILE)");
    if (!a->model)
        return cli_usage_error("%s", "offload run needs --model FILE (a "
                                     "Darknet .cfg or a PipeDream profile)");
    struct ofuser_cfg cfg = {.speed = 0.02,
                             .requests = 10,
                             .gap_s = 0.05,
                             .prior_bw = 125e6,
                             .prior_rtt = 1e-3,
                             .seed = a->run.has_seed ? a->run.seed : 1};
    snprintf(cfg.name, sizeof cfg.name, "cpu");
    if (ofcmd_device(a->device, cfg.name, sizeof cfg.name, &cfg.speed) != 0)
        return RUN_USAGE;
    if (a->mode) {
        int m = 0;
        while (m < OFUSER_MODES && strcmp(mode_names[m], a->mode) != 0)
            m++;
        if (m == OFUSER_MODES)
            return cli_usage_error("--mode: '%s' is not adaptive, static, "
                                   "local or remote",
                                   a->mode);
        cfg.mode = (enum ofuser_mode)m;
    }
    if (cfg.mode != OFUSER_LOCAL && !a->connect)
        return cli_usage_error("%s", "offload run needs --connect ADDR (or "
                                     "--mode local)");
    cfg.connect = a->connect;
    char aerr[256];
    if (a->connect && ofsess_addr_check(a->connect, aerr, sizeof aerr) != 0)
        return cli_usage_error("--connect: %s", aerr);
    if (a->requests) {
        char *end;
        const double v = strtod(a->requests, &end);
        if (!*a->requests || *end || !(v >= 1 && v <= 1e6) || v != floor(v))
            return cli_usage_error("--requests: '%s' is not a count 1 to "
                                   "1000000",
                                   a->requests);
        cfg.requests = (unsigned)v;
    }
    cfg.zlevel = ofcmd_zstd(a->zstd);
    if (cfg.zlevel == -2)
        return RUN_USAGE;
    if (a->transport && strcmp(a->transport, "tcp") != 0) {
        if (strcmp(a->transport, "udp") != 0)
            return cli_usage_error("--transport: '%s' is not tcp or udp",
                                   a->transport);
        cfg.udp = 1;
    }
    cfg.timeout_s = a->timeout_s;
    int rc = ofcmd_input(a, &cfg.scale, &cfg.fv);
    if (rc != 0)
        return rc;
    char err[512];
    struct pmodel m;
    if (pmodel_load(&m, a->model, err, sizeof err) != 0) {
        fprintf(stderr, "wattson: %s\n", err);
        pmodel_free(&m);
        return RUN_LAB;
    }
    double *fwd = malloc((m.g.n ? m.g.n : 1) * sizeof *fwd);
    if (!fwd || pmodel_infer_work(&m.g, fwd, &cfg.in_bytes) != 0) {
        free(fwd);
        pmodel_free(&m);
        fprintf(stderr, "wattson: out of memory\n");
        return RUN_ERR;
    }
    cfg.g = &m.g;
    cfg.order = m.order;
    cfg.fwd = fwd;
    if (!(cfg.in_bytes > 0) || cfg.in_bytes > OFEXEC_MAX_TENSOR)
        cfg.in_bytes = 0;
    struct ofcmd_out o = {0};
    cfg.record = ofcmd_record;
    cfg.arg = &o;
    if (a->run.out_path) {
        if (tracefile_open(&o.out, a->run.out_path, TRACEFILE_TEXT, err,
                           sizeof err) != 0) {
            fprintf(stderr, "wattson: %s\n", err);
            free(fwd);
            pmodel_free(&m);
            return RUN_IO;
        }
        o.has_out = 1;
    }
    struct loop *l = loop_new(err, sizeof err);
    struct ofuser *u =
        l ? ofuser_new(loop_base(l), &cfg, err, sizeof err) : NULL;
    rc = RUN_OK;
    if (!u) {
        fprintf(stderr, "wattson: offload run: %s\n", err);
        rc = RUN_ERR;
    } else {
        struct ofcmd_run run = {.u = u};
        if (loop_run(l, 1, 20000000ull, ofcmd_step, &run) != 0)
            rc = RUN_ERR;
        else if (loop_signal(l))
            rc = RUN_INTERRUPTED;
        if (ofuser_error(u)) {
            fprintf(stderr, "wattson: offload run: %s\n", ofuser_error(u));
            rc = RUN_ERR;
        }
    }
    if (u)
        printf("offload run: %u requests (%s), mean %.3f ms, %u failed over, "
               "%u outputs differing from the local run; %llu B on the wire "
               "for %llu B of tensors\n",
               o.n, mode_names[cfg.mode], o.n ? o.sum_ms / o.n : 0, o.failover,
               o.corrupted, (unsigned long long)o.wire,
               (unsigned long long)o.raw);
    if (o.corrupted && rc == RUN_OK) {
        fprintf(stderr,
                "wattson: offload run: %u outputs differ from the "
                "local run\n",
                o.corrupted);
        rc = RUN_ERR;
    }
    if (o.has_out) {
        if (rc == RUN_OK || rc == RUN_INTERRUPTED) {
            if (tracefile_commit(&o.out, NULL, err, sizeof err) != 0) {
                fprintf(stderr, "wattson: %s\n", err);
                rc = RUN_IO;
            }
        } else
            tracefile_abort(&o.out);
    }
    ofuser_free(u);
    if (l)
        loop_free(l);
    free(fwd);
    pmodel_free(&m);
    return rc;
}

static int ofcmd_none(const struct cli_entry *self, struct cli_args *a)
{
    (void)self;
    return cli_usage_error("offload: '%s' is not serve or run",
                           a->argc ? a->argv[0] : "");
}

const struct cli_entry ofcmd_entry = {
    .name = "offload",
    .usage = "serve|run",
    .help = "split inference between two wattson processes: offload\n"
            "serve (the remote device) and offload run (the user's)",
    .opts = 0,
    .exec = ofcmd_none,
};

const struct cli_entry ofcmd_serve_entry = {
    .name = "offload",
    .sub = "serve",
    .usage = "",
    .help = "the remote device of split inference: takes requests from\n"
            "`offload run` (the layers it is given, their input), runs\n"
            "them on its device's simulated time over real activation\n"
            "bytes and sends the outputs back; on 127.0.0.1:7207 unless\n"
            "--listen says otherwise",
    .opts = (uint64_t)1 << CLI_OPT_LISTEN | (uint64_t)1 << CLI_OPT_DEVICE |
            1u << CLI_OPT_LAB | (uint64_t)1 << CLI_OPT_ZSTD |
            1u << CLI_OPT_DURATION,
    .exec = ofcmd_serve,
};

const struct cli_entry ofcmd_run_entry = {
    .name = "offload",
    .sub = "run",
    .usage = "",
    .help = "the user's device of split inference: for each request the\n"
            "partitioner splits --model between this device and the\n"
            "remote at --connect for the network as measured (--mode\n"
            "adaptive), sends the request and the activations (zstd at\n"
            "the level the bandwidth calls for), runs its own layers and\n"
            "checks every output against a local run",
    .opts = (uint64_t)1 << CLI_OPT_CONNECT | (uint64_t)1 << CLI_OPT_MODEL |
            (uint64_t)1 << CLI_OPT_MODE | (uint64_t)1 << CLI_OPT_REQUESTS |
            (uint64_t)1 << CLI_OPT_DEVICE | (uint64_t)1 << CLI_OPT_ZSTD |
            (uint64_t)1 << CLI_OPT_TIMEOUT | (uint64_t)1 << CLI_OPT_TRANSPORT |
            1u << CLI_OPT_INPUT | 1u << CLI_OPT_COMPLEXITY |
            1u << CLI_OPT_SEED | 1u << CLI_OPT_OUT,
    .exec = ofcmd_run,
};
