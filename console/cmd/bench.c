/*
 * bench - see bench.h.
 */
#include "cmd/bench.h"

#include <errno.h>
#include <math.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cmd/cli.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/model.h"
#include "core/paths.h"
#include "engines/fcast.h"
#include "sim/csvtrace.h"
#include "run/run.h"
#include "pipeline/tick.h"
#include "tui/tui.h"

int bench_lab(char *buf, size_t len, unsigned n_pus)
{
    /* Mostly CPU cores, with a GPU every 8th and an FPGA every 16th PU,
     * as in a rack of hosts with accelerators. */
    static const char *const wl[] = {
        "{ kind = 'sine', mean = 0.5, amplitude = 0.3, period_s = 7 }",
        "{ kind = 'constant', level = 0.6 }",
        "{ kind = 'bursty', on_level = 0.9, off_level = 0.1, on_s = 0.5, "
        "off_s = 1.5 }",
        "{ kind = 'random_walk', start = 0.4, sigma = 0.05, min = 0, "
        "max = 1 }",
    };
    size_t off = 0;
    int n = snprintf(buf, len,
                     "return { name = 'bench-%u', tick = 0.01, duration = 10,"
                     " seed = 7, budget_w = %u,\n drivers = { { plugin = "
                     "'sim', devices = {\n",
                     n_pus, n_pus * 20);
    if (n < 0 || (size_t)n >= len)
        return -1;
    off = (size_t)n;
    for (unsigned i = 0; i < n_pus; i++) {
        const char *kind = "cpu", *part = "zen3-core";
        if (i % 16 == 15) {
            kind = "fpga";
            part = "alveo-u250";
        } else if (i % 8 == 7) {
            kind = "gpu";
            part = "a100-pcie";
        }
        n = snprintf(buf + off, len - off,
                     "  { name = '%s%u', kind = '%s', part = '%s', "
                     "priority = %u, workload = %s },\n",
                     kind, i, kind, part, 1 + i % 3, wl[i % 4]);
        if (n < 0 || (size_t)n >= len - off)
            return -1;
        off += (size_t)n;
    }
    n = snprintf(buf + off, len - off, "} } } }\n");
    return (n < 0 || (size_t)n >= len - off) ? -1 : 0;
}

/* Decided by the compiler, not by a build-type name: -O0 (no
 * __OPTIMIZE__) or sanitizers (CMake's WATTSON_SANITIZE defines
 * WATTSON_SANITIZED; GCC and clang define __SANITIZE_ADDRESS__ under ASan)
 * make every figure several times slower than a release build's. */
const char *bench_slow_build(void)
{
#if defined(WATTSON_SANITIZED) || defined(__SANITIZE_ADDRESS__)
#ifdef __OPTIMIZE__
    return "sanitizers";
#else
    return "sanitizers, no optimisation";
#endif
#elif !defined(__OPTIMIZE__)
    return "no optimisation";
#else
    return NULL;
#endif
}

void bench_warn_slow(void)
{
    const char *why = bench_slow_build();
    if (why)
        log_msg(LOG_WARN,
                "bench: this wattson is a debug build (%s): its figures are "
                "several times slower than a release build's; `make bench` "
                "builds one and runs the benchmarks",
                why);
}

int bench_cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

#define BENCH_BATCHES 31

/* One lab size: ticks/s, the bare driver read baseline, and the median
 * per-tick cost of each stage over BENCH_BATCHES batches. */
static int bench_size(unsigned n_pus, const char *policy, const char **dirs,
                      size_t n_dirs, FILE *out)
{
    size_t len = 256 + (size_t)n_pus * 200;
    char *text = malloc(len);
    char err[1024];
    if (!text || bench_lab(text, len, n_pus) != 0) {
        free(text);
        fprintf(stderr, "wattson: bench: cannot build the lab\n");
        return 1;
    }
    struct run_opts o = {.lab_text = text,
                         .plugin_dirs = dirs,
                         .n_plugin_dirs = n_dirs,
                         .policy = policy};
    struct run *r;
    int rc = run_new(&o, &r, err, sizeof err);
    if (rc != RUN_OK) {
        fprintf(stderr, "wattson: bench: %s\n", err);
        free(text);
        return 1;
    }
    /* Batch size: about 20 ms of work per batch on a fast machine. */
    uint64_t batch = n_pus <= 16 ? 4000 : 200;
    for (uint64_t i = 0; i < batch; i++)
        run_tick(r); /* warm-up */

    uint64_t tick_ns[BENCH_BATCHES];
    uint64_t stage[TICK_N_STAGES][BENCH_BATCHES];
    uint64_t acc[TICK_N_STAGES];
    for (int b = 0; b < BENCH_BATCHES; b++) {
        memset(acc, 0, sizeof acc);
        run_set_stage_timer(r, NULL);
        uint64_t t0 = clock_mono_ns();
        for (uint64_t i = 0; i < batch; i++)
            run_tick(r);
        tick_ns[b] = (clock_mono_ns() - t0) / batch;
        run_set_stage_timer(r, acc);
        for (uint64_t i = 0; i < batch; i++)
            run_tick(r);
        for (int s = 0; s < TICK_N_STAGES; s++)
            stage[s][b] = acc[s] / batch;
    }
    run_set_stage_timer(r, NULL);
    uint64_t lua0 = run_policy_allocs(r);
    for (uint64_t i = 0; i < batch; i++)
        run_tick(r);
    double lua_per_tick = (double)(run_policy_allocs(r) - lua0) / batch;

    /* Baseline: the drivers' batch read alone (the simulation stepping
     * one tick), same lab, same run. */
    const struct model *m = run_model(r);
    uint64_t base_ns[BENCH_BATCHES];
    for (int b = 0; b < BENCH_BATCHES; b++) {
        uint64_t t0 = clock_mono_ns();
        for (uint64_t i = 0; i < batch; i++)
            run_tick_sample_only(r);
        base_ns[b] = (clock_mono_ns() - t0) / batch;
    }

    qsort(tick_ns, BENCH_BATCHES, sizeof tick_ns[0], bench_cmp_u64);
    qsort(base_ns, BENCH_BATCHES, sizeof base_ns[0], bench_cmp_u64);
    uint64_t med = tick_ns[BENCH_BATCHES / 2];
    uint64_t base = base_ns[BENCH_BATCHES / 2];
    fprintf(out, "%s%-4u  %u PUs, %zu signals, %zu controls, policy %s\n",
            policy ? "policy" : "tick", n_pus, n_pus, m->n_signals,
            m->n_controls, policy ? policy : "builtin");
    fprintf(out,
            "  ticks/s          %12.0f   (median of %d batches of "
            "%llu ticks)\n",
            med ? 1e9 / (double)med : 0.0, BENCH_BATCHES,
            (unsigned long long)batch);
    fprintf(out, "  ns/tick          %12llu\n", (unsigned long long)med);
    fprintf(out, "  baseline read    %12llu ns  (driver batch read alone)\n",
            (unsigned long long)base);
    fprintf(out, "  tick / baseline  %12.2f\n",
            base ? (double)med / (double)base : 0.0);
    if (policy)
        fprintf(out,
                "  Lua allocs/tick  %12.2f   (the policy's state, steady "
                "state)\n",
                lua_per_tick);
    for (int s = 0; s < TICK_N_STAGES; s++) {
        qsort(stage[s], BENCH_BATCHES, sizeof stage[s][0], bench_cmp_u64);
        fprintf(out, "  stage %-9s  %8llu ns median\n", tick_stages[s].name,
                (unsigned long long)stage[s][BENCH_BATCHES / 2]);
    }
    run_free(r);
    free(text);
    return 0;
}

/* ---- console: CPU use of the live console ---- */

#define CONSOLE_SECONDS 30

/* What one measured child reports through its pipe. */
struct cpu_report {
    double user_s, sys_s, wall_s;
    unsigned long long ticks;
    int rc;
};

static double tv_s(struct timeval tv)
{
    return (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
}

/* In a child: run_new on the default lab, then either the console (on
 * the pseudo-terminal already on fds 0/1) or the headless runner paced by
 * the wall clock for CONSOLE_SECONDS; reports getrusage(RUSAGE_SELF)
 * around that part alone (set-up excluded) and exits. */
static void cpu_child(int console, const char **dirs, size_t n_dirs, int wfd)
{
    struct cpu_report rep = {0};
    char err[1024];
    struct run_opts o = {.plugin_dirs = dirs, .n_plugin_dirs = n_dirs};
    if (!console) {
        o.realtime = 1;
        o.duration_s = CONSOLE_SECONDS;
    }
    struct run *r;
    rep.rc = run_new(&o, &r, err, sizeof err);
    if (rep.rc != RUN_OK) {
        fprintf(stderr, "wattson: bench console: %s\n", err);
    } else {
        struct rusage u0, u1;
        getrusage(RUSAGE_SELF, &u0);
        uint64_t t0 = clock_mono_ns();
        rep.rc = console ? tui_run(r, err, sizeof err)
                         : run_loop(r, err, sizeof err);
        uint64_t t1 = clock_mono_ns();
        getrusage(RUSAGE_SELF, &u1);
        if (rep.rc == RUN_ERR)
            fprintf(stderr, "wattson: bench console: %s\n", err);
        rep.user_s = tv_s(u1.ru_utime) - tv_s(u0.ru_utime);
        rep.sys_s = tv_s(u1.ru_stime) - tv_s(u0.ru_stime);
        rep.wall_s = (double)(t1 - t0) / 1e9;
        rep.ticks = (unsigned long long)run_model(r)->tick;
        run_free(r);
    }
    ssize_t n = write(wfd, &rep, sizeof rep);
    _exit(n == (ssize_t)sizeof rep && rep.rc == RUN_OK ? 0 : 1);
}

static pid_t spawn_measured(int console, int pty_slave, int pty_master,
                            const char **dirs, size_t n_dirs, int *rfd)
{
    int p[2];
    if (pipe(p) != 0)
        return -1;
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        close(p[0]);
        close(p[1]);
        return -1;
    }
    if (pid == 0) {
        close(p[0]);
        if (console) {
            /* The pty becomes the child's controlling terminal, stdin
             * and stdout; stderr stays where it was. */
            close(pty_master);
            setsid();
            ioctl(pty_slave, TIOCSCTTY, 0);
            if (dup2(pty_slave, STDIN_FILENO) < 0 ||
                dup2(pty_slave, STDOUT_FILENO) < 0)
                _exit(1);
            if (pty_slave > STDOUT_FILENO)
                close(pty_slave);
            setenv("TERM", "xterm-256color", 1);
        } else {
            if (pty_master >= 0)
                close(pty_master);
            if (pty_slave >= 0)
                close(pty_slave);
        }
        cpu_child(console, dirs, n_dirs, p[1]);
    }
    close(p[1]);
    *rfd = p[0];
    return pid;
}

static int read_report(pid_t pid, int fd, struct cpu_report *rep)
{
    ssize_t n = read(fd, rep, sizeof *rep);
    close(fd);
    int st = 0;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
        ;
    return n == (ssize_t)sizeof *rep && WIFEXITED(st) && WEXITSTATUS(st) == 0
               ? 0
               : -1;
}

/* The console on the default lab at x1 (10 Hz refresh) for 30 s of wall
 * time on an 80x24 pseudo-terminal, and, at the same time in another
 * process, the baseline: the same lab run headless on the wall clock
 * (`wattson run --realtime`) for the same 30 s.  Both are CPU time
 * (user + sys, getrusage) over wall time, in % of one core. */
static int bench_console(const char **dirs, size_t n_dirs, FILE *out)
{
    int master = -1, slave = -1;
    struct winsize ws = {.ws_row = 24, .ws_col = 80};
    if (openpty(&master, &slave, NULL, NULL, &ws) != 0) {
        fprintf(stderr, "wattson: bench console: openpty: %s\n",
                strerror(errno));
        return 1;
    }
    int cfd = -1, bfd = -1;
    pid_t cpid = spawn_measured(1, slave, master, dirs, n_dirs, &cfd);
    close(slave);
    pid_t bpid =
        cpid < 0 ? -1 : spawn_measured(0, -1, master, dirs, n_dirs, &bfd);
    if (cpid < 0 || bpid < 0) {
        fprintf(stderr, "wattson: bench console: fork: %s\n", strerror(errno));
        if (cpid > 0) {
            kill(cpid, SIGTERM);
            waitpid(cpid, NULL, 0);
        }
        close(master);
        return 1;
    }
    /* Be the terminal: drain what the console draws, then press q. */
    uint64_t t0 = clock_mono_ns();
    uint64_t quit_at = t0 + (uint64_t)CONSOLE_SECONDS * 1000000000u;
    unsigned long long bytes = 0;
    int sent_q = 0;
    for (;;) {
        uint64_t now = clock_mono_ns();
        if (!sent_q && now >= quit_at) {
            if (write(master, "q", 1) == 1)
                sent_q = 1;
        }
        if (now > quit_at + 10000000000u)
            break; /* did not quit within 10 s */
        struct pollfd pf = {.fd = master, .events = POLLIN};
        int wait_ms = sent_q ? 100 : (int)((quit_at - now) / 1000000u) + 1;
        int n = poll(&pf, 1, wait_ms > 100 ? 100 : wait_ms);
        if (n > 0) {
            char buf[4096];
            ssize_t got = read(master, buf, sizeof buf);
            if (got <= 0)
                break; /* EIO: the console's side is closed */
            if (!sent_q)
                bytes += (unsigned long long)got;
        } else if (n < 0 && errno != EINTR) {
            break;
        }
        if (sent_q && waitpid(cpid, NULL, WNOHANG) == cpid) {
            cpid = 0; /* reaped; the report is in the pipe */
            break;
        }
    }
    struct cpu_report con = {0}, base = {0};
    int bad = 0;
    if (cpid > 0) {
        ssize_t n = read(cfd, &con, sizeof con);
        close(cfd);
        /* The report comes just before the child exits: give it up to
         * 10 s to do so (an immediate WNOHANG lost that race and called a
         * good run failed). */
        int st = 0;
        pid_t w = 0;
        for (int i = 0; i < 1000 && (w = waitpid(cpid, &st, WNOHANG)) == 0; i++)
            usleep(10000);
        if (w == 0) {
            kill(cpid, SIGKILL);
            waitpid(cpid, &st, 0);
            bad = 1;
        }
        bad |=
            n != (ssize_t)sizeof con || !WIFEXITED(st) || WEXITSTATUS(st) != 0;
    } else {
        ssize_t n = read(cfd, &con, sizeof con);
        close(cfd);
        bad |= n != (ssize_t)sizeof con || con.rc != RUN_OK;
    }
    close(master);
    bad |= read_report(bpid, bfd, &base) != 0;
    if (bad || con.wall_s <= 0 || base.wall_s <= 0) {
        fprintf(stderr, "wattson: bench console: a measured run failed\n");
        return 1;
    }
    double con_pct = 100.0 * (con.user_s + con.sys_s) / con.wall_s;
    double base_pct = 100.0 * (base.user_s + base.sys_s) / base.wall_s;
    fprintf(out,
            "console   default lab, x1, 10 Hz refresh, 80x24 pseudo-terminal, "
            "%d s of wall time\n",
            CONSOLE_SECONDS);
    fprintf(out,
            "  console CPU      %10.2f %%  of one core (user %.2f s + sys "
            "%.2f s over %.1f s; %llu ticks, %.0f B/s to the terminal)\n",
            con_pct, con.user_s, con.sys_s, con.wall_s, con.ticks,
            (double)bytes / (double)CONSOLE_SECONDS);
    fprintf(out,
            "  baseline CPU     %10.2f %%  (same lab headless, run "
            "--realtime, same %d s, concurrently; %llu ticks)\n",
            base_pct, CONSOLE_SECONDS, base.ticks);
    fprintf(out, "  console - base   %10.2f %%  (drawing, input, layout)\n",
            con_pct - base_pct);
    fprintf(out, "  target           %10s    console < 2 %% of one core: %s\n",
            "", con_pct < 2.0 ? "met" : "NOT met");
    return 0;
}

/* ---- forecast ---- */

#define FC_WARMUP 10 /* samples before scoring starts (in each segment) */
/* Rows a segment needs to be scored: the warm-up, then at least two
 * points at the longest horizon (10). */
#define FC_MIN_ROWS (FC_WARMUP + 10 + 1)
/* A step longer than this many median steps is a gap in the recording. */
#define FC_GAP_FACTOR 10

int bench_cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The forecasters count samples, not seconds, so "h = 5" means one thing
 * only between evenly spaced rows.  csvtrace already refuses missing or
 * non-finite values, negative times or utilisations and times that do not
 * increase; a gap (a step above FC_GAP_FACTOR times the median step) ends
 * a segment, and each segment is scored with freshly initialised
 * forecasters: a recording paused and resumed is two recordings, and a
 * forecast across the pause would score a jump no forecaster could see.
 * Fills seg[0..*nseg] with the first row of each segment and seg[*nseg] =
 * n; *med is the median step.  0, or 3 (out of memory, message printed). */
static int bench_segments(const char *path, const struct csvtrace *tr,
                          size_t *seg, size_t *nseg, double *med)
{
    size_t m = tr->n - 1;
    double *d = malloc(m * sizeof *d);
    if (!d) {
        fprintf(stderr, "wattson: bench forecast: %s: out of memory\n", path);
        return 3;
    }
    for (size_t i = 0; i < m; i++)
        d[i] = tr->t[i + 1] - tr->t[i];
    qsort(d, m, sizeof *d, bench_cmp_double);
    *med = m % 2 ? d[m / 2] : 0.5 * (d[m / 2 - 1] + d[m / 2]);
    free(d);
    size_t k = 0;
    seg[k++] = 0;
    for (size_t i = 0; i < m; i++)
        if (tr->t[i + 1] - tr->t[i] > FC_GAP_FACTOR * *med)
            seg[k++] = i + 1;
    *nseg = k;
    seg[k] = tr->n;
    return 0;
}

int bench_forecast(const char *path, FILE *out)
{
    struct csvtrace tr;
    char err[512];
    if (csvtrace_load(path, &tr, err, sizeof err) != 0) {
        fprintf(stderr, "wattson: bench forecast: %s\n", err);
        return 3;
    }
    static const unsigned hs[] = {1, 5, 10};
    const size_t n = tr.n;
    if (n < FC_MIN_ROWS) {
        fprintf(stderr,
                "wattson: bench forecast: %s:%zu: trace too short (%zu "
                "rows, need at least %d)\n",
                path, n + 1, n, FC_MIN_ROWS);
        csvtrace_free(&tr);
        return 3;
    }
    size_t *seg = malloc((n + 1) * sizeof *seg), nseg = 0;
    double med = 0;
    if (!seg) {
        fprintf(stderr, "wattson: bench forecast: %s: out of memory\n", path);
        csvtrace_free(&tr);
        return 3;
    }
    if (bench_segments(path, &tr, seg, &nseg, &med) != 0) {
        free(seg);
        csvtrace_free(&tr);
        return 3;
    }
    size_t nscored = 0, longest = 0, rows_scored = 0;
    double tspan = 0;
    for (size_t s = 0; s < nseg; s++) {
        size_t len = seg[s + 1] - seg[s];
        if (len > longest)
            longest = len;
        if (len >= FC_MIN_ROWS) {
            nscored++;
            rows_scored += len;
            tspan += tr.t[seg[s + 1] - 1] - tr.t[seg[s]];
        }
    }
    if (!nscored) {
        fprintf(stderr,
                "wattson: bench forecast: %s:%zu: trace too short (%zu "
                "rows in %zu segments split at gaps of more than %d x the "
                "median step %g s, the longest %zu rows; a segment needs "
                "at least %d)\n",
                path, n + 1, n, nseg, FC_GAP_FACTOR, med, longest, FC_MIN_ROWS);
        free(seg);
        csvtrace_free(&tr);
        return 3;
    }
    bench_warn_slow();
    /* ns per update: whole trace, repeated to at least 2e5 updates,
     * median of 7 runs.  Across gaps too: the cost of an update does not
     * depend on where the samples came from.  Then the same with the
     * forecasts at h = 1, 5 and 10 after every update (ns3): the
     * ensemble does part of its work when a forecast is asked for (its
     * guarantee books each one), so an update alone understates it. */
    double ns[FCAST__N], ns3[FCAST__N];
    size_t reps = 200000 / n + 1;
    for (int m = 0; m < FCAST__N; m++) {
        for (int with = 0; with < 2; with++) {
            uint64_t runs[7];
            volatile double sink = 0;
            for (int r = 0; r < 7; r++) {
                struct fcast f;
                double acc = 0;
                fcast_init(&f, (enum fcast_method)m, NULL);
                uint64_t t0 = clock_mono_ns();
                for (size_t k = 0; k < reps; k++)
                    for (size_t i = 0; i < n; i++) {
                        fcast_update(&f, tr.v[i]);
                        if (with)
                            for (size_t hi = 0; hi < sizeof hs / sizeof hs[0];
                                 hi++)
                                acc += fcast_predict(&f, hs[hi]);
                    }
                runs[r] = clock_mono_ns() - t0;
                sink += acc + fcast_predict(&f, 1);
            }
            (void)sink;
            qsort(runs, 7, sizeof runs[0], bench_cmp_u64);
            (with ? ns3 : ns)[m] = (double)runs[3] / (double)(reps * n);
        }
    }
    double dt = tspan / (double)(rows_scored - nscored);
    if (nseg == 1) {
        fprintf(out,
                "forecast  %s: %zu samples, mean step %.3g s; scored from "
                "sample %d to the end, same points for every method\n",
                path, n, dt, FC_WARMUP + 1);
    } else {
        /* How many segments were scored and their sizes, so a reader can
         * tell a gap-split trace's figures from a whole one's. */
        fprintf(out,
                "forecast  %s: %zu samples in %zu segments split at gaps "
                "(more than %d x the median step %g s), %zu scored; sizes",
                path, n, nseg, FC_GAP_FACTOR, med, nscored);
        for (size_t s = 0; s < nseg; s++) {
            size_t len = seg[s + 1] - seg[s];
            fprintf(out, "%s %zu%s", s ? "," : "", len,
                    len >= FC_MIN_ROWS ? "" : " (too short, not scored)");
        }
        fprintf(out,
                "; mean step %.3g s; forecasters reset at each gap, scored "
                "from sample %d of each segment, same points for every "
                "method\n",
                dt, FC_WARMUP + 1);
    }
    fprintf(out, "%3s  %-9s %10s %9s %10s %10s %10s\n", "h", "method", "MAE",
            "sMAPE%", "MAE/last", "ns/update", "ns/+3fc");
    for (size_t hi = 0; hi < sizeof hs / sizeof hs[0]; hi++) {
        unsigned h = hs[hi];
        double mae[FCAST__N], smape[FCAST__N];
        for (int m = 0; m < FCAST__N; m++) {
            double sa = 0, ss = 0;
            size_t cnt = 0;
            for (size_t s = 0; s < nseg; s++) {
                const size_t b = seg[s], e = seg[s + 1];
                if (e - b < FC_MIN_ROWS)
                    continue;
                struct fcast f;
                fcast_init(&f, (enum fcast_method)m, NULL);
                for (size_t i = b; i + h < e; i++) {
                    fcast_update(&f, tr.v[i]);
                    if (i - b + 1 < FC_WARMUP)
                        continue;
                    double y = fcast_predict(&f, h), a = tr.v[i + h];
                    double err1 = fabs(y - a), d = fabs(y) + fabs(a);
                    sa += err1;
                    ss += d > 0 ? 2 * err1 / d : 0;
                    cnt++;
                }
            }
            mae[m] = sa / (double)cnt;
            smape[m] = 100 * ss / (double)cnt;
        }
        for (int m = 0; m < FCAST__N; m++)
            fprintf(out, "%3u  %-9s %10.5f %9.2f %10.3f %10.1f %10.1f\n", h,
                    fcast_ops_of((enum fcast_method)m)->name, mae[m], smape[m],
                    mae[FCAST_LAST] > 0 ? mae[m] / mae[FCAST_LAST] : NAN, ns[m],
                    ns3[m]);
    }
    free(seg);
    csvtrace_free(&tr);
    return 0;
}

int bench_main(const char *name, const char **plugin_dirs, size_t n_dirs,
               FILE *out)
{
    char balanced[4096]; /* the shipped balanced.lua (core/paths.h) */
    const struct {
        const char *name;
        unsigned n;
        const char *policy;
    } benches[] = {
        {"tick16", 16, NULL},
        {"tick256", 256, NULL},
        {"policy16", 16, balanced},
        {"policy256", 256, balanced},
    };
    const size_t nb = sizeof benches / sizeof benches[0];
    int all = name == NULL || strcmp(name, "all") == 0, rc = 0;
    int found = all || strcmp(name, "console") == 0;
    snprintf(balanced, sizeof balanced, "%s/balanced.lua", paths_policy_dir());
    for (size_t i = 0; i < nb && !found; i++)
        found = strcmp(name, benches[i].name) == 0;
    if (!found) {
        /* Every NAME main.c hands to a bench: forecast and broker are
         * benches too, with their own arguments. */
        fprintf(stderr,
                "wattson: bench: unknown benchmark '%s' (tick16, tick256, "
                "policy16, policy256, console, all, forecast TRACE.csv, "
                "broker or mesh)\n",
                name);
        return 2;
    }
    bench_warn_slow();
    for (size_t i = 0; i < nb; i++) {
        if (!all && strcmp(name, benches[i].name) != 0)
            continue;
        rc |= bench_size(benches[i].n, benches[i].policy, plugin_dirs, n_dirs,
                         out);
    }
    if (all || strcmp(name, "console") == 0) {
        fflush(out);
        rc |= bench_console(plugin_dirs, n_dirs, out);
    }
    return rc ? 1 : 0;
}

static int bench_exec(const struct cli_entry *self, struct cli_args *a)
{
    (void)self;
    if (a->argc > 1)
        return cli_usage_error("bench takes one NAME, got '%s'", a->argv[1]);
    return bench_main(a->argc > 0 ? a->argv[0] : NULL, a->plugin_dirs,
                      a->run.n_plugin_dirs, stdout);
}

const struct cli_entry bench_entry = {
    .name = "bench",
    .usage = "[NAME]",
    .help = "benchmarks: tick16, tick256, policy16, policy256, console (CPU\n"
            "use of the console, 30 s) or all (default)",
    .opts = 1u << CLI_OPT_PLUGIN_DIR,
    .exec = bench_exec,
};

static int bench_forecast_exec(const struct cli_entry *self, struct cli_args *a)
{
    (void)self;
    if (a->argc != 1)
        return cli_usage_error("bench forecast takes one TRACE.csv, got %s",
                               a->argc < 1 ? "none" : a->argv[1]);
    return bench_forecast(a->argv[0], stdout);
}

const struct cli_entry bench_forecast_entry = {
    .name = "bench",
    .sub = "forecast",
    .usage = "TRACE.csv",
    .help = "MAE, sMAPE and MAE/last value of every forecaster at h = 1, 5,\n"
            "10 on a t_s,util CSV trace, and its ns per update, alone and\n"
            "with those three forecasts (exit 3 for a bad one)",
    .exec = bench_forecast_exec,
};
