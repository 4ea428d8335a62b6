/*
 * ibench - `wattson bench ipc [--quick]` (issue 17's bench): what the IPC
 * interception library (libwattson-ipc.so, plugins/ipcwrap/ipcwrap.c)
 * costs a real program, and whether every event it sees is accounted for.
 *
 * The program is wattson-ipcload (plugins/ipcwrap/ipcload.c): a parent
 * and a forked peer doing COUNT round trips of SIZE-byte messages over a
 * pipe pair, a Unix stream socket or loopback TCP, the echo checked byte
 * for byte.  Each transport x size (64 B, 4 KiB, 64 KiB) runs in four
 * configurations, interleaved (each repeat starts at another one, so a
 * drift of the machine does not favour one), IBENCH_REPEATS times each:
 *   base         no preload: the baseline every ratio is taken against,
 *                measured in the same run;
 *   lib+wattson  LD_PRELOAD=libwattson-ipc.so, $WATTSON_IPC_SOCKET at a
 *                `wattson run --realtime --ipc-socket S` started here for
 *                the whole bench (so it runs beside every configuration),
 *                stopped with SIGTERM; its summary's ipcsrv_* keys are
 *                the accounting's other side;
 *   lib, absent  the same preload, the socket a path where nothing
 *                listens (the library drops and counts);
 *   strace       `strace -f -e trace=write,read -o /dev/null`, the tool a
 *                user would otherwise reach for; COUNT/IBENCH_STRACE_DIV
 *                round trips (a ratio of per-message costs does not need
 *                the same count), "n/a (why)" where strace cannot trace.
 * COUNT is calibrated per transport and size by one untimed base run so
 * that a run lasts about IBENCH_TARGET_NS; --quick: IBENCH_QUICK_COUNT
 * round trips, one repeat (a check of the plumbing, not a measurement).
 *
 * Figures: the median ns per round trip (two messages), MB/s of
 * application data both ways, the ratio to base.  The aims (at
 * most 5 % slower at 4 KiB, 15 % at 64 B, lib+wattson against base) are
 * printed met / not met; nothing asserts on time.  Exit 1 when any
 * workload lost or corrupted data or failed, or when the workloads' writes
 * under the library differ from the listener's events + the drops the
 * library reported + the events that overflowed wattson's ring.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cmd/bench.h"
#include "cmd/cli.h"
#include "core/paths.h"

#define IBENCH_REPEATS 5
#define IBENCH_TARGET_NS 300000000.0 /* one run: ~0.3 s (Release) */
#define IBENCH_CALIB_COUNT 200
#define IBENCH_MIN_COUNT 100
#define IBENCH_MAX_COUNT 2000000
#define IBENCH_QUICK_COUNT 20
#define IBENCH_STRACE_DIV 20
#define IBENCH_OUT 4096 /* a workload's output kept (stdout + stderr) */
#define IBENCH_WHY 160

enum ib_cfg { IB_BASE, IB_LIB, IB_ABSENT, IB_STRACE, IB_NCFG };
static const char *const ib_cfg_name[IB_NCFG] = {"base", "lib+wattson",
                                                 "lib, absent", "strace"};
static const char *const ib_mode[] = {"pipe", "unix", "tcp"};
static const unsigned long ib_size[] = {64, 4096, 65536};
#define IB_NMODE (sizeof ib_mode / sizeof ib_mode[0])
#define IB_NSIZE (sizeof ib_size / sizeof ib_size[0])

struct ib_ctx {
    const char *load, *lib;
    char strace[512];            /* strace's path, "" when none works */
    char strace_why[IBENCH_WHY]; /* why not */
    char dir[40], sock[64], absent[64];
    pid_t listener;
};

/* One workload run's line (ipcload.c's format). */
struct ib_run {
    unsigned long long ns, writes, bytes, lost;
    char why[IBENCH_WHY]; /* "" when the run exited 0 with its line */
};

/* The first line of text into why, quoted as the reason of a failure. */
static void ib_first_line(char *why, size_t n, const char *text)
{
    size_t k = strcspn(text, "\n");
    snprintf(why, n, "%.*s", (int)(k < n ? k : n - 1), text);
}

/* Runs wattson-ipcload (under strace for IB_STRACE) in configuration c;
 * 0 with r filled, or -1 with r->why (its line may still be there: a
 * run that lost data prints it and exits 1). */
static int ib_load(const struct ib_ctx *x, enum ib_cfg c, const char *mode,
                   unsigned long size, unsigned long long count,
                   struct ib_run *r)
{
    char sz[24], cn[24], out[IBENCH_OUT];
    int p[2];
    memset(r, 0, sizeof *r);
    snprintf(sz, sizeof sz, "%lu", size);
    snprintf(cn, sizeof cn, "%llu", count);
    fflush(NULL);
    if (pipe(p) < 0) {
        snprintf(r->why, sizeof r->why, "pipe: %s", strerror(errno));
        return -1;
    }
    pid_t kid = fork();
    if (kid == 0) {
        dup2(p[1], STDOUT_FILENO);
        dup2(p[1], STDERR_FILENO);
        close(p[0]);
        close(p[1]);
        /* never into wattson itself: only the workload gets the library
         * (a sanitized wattson refuses a library ahead of ASan) */
        unsetenv("LD_PRELOAD");
        unsetenv("WATTSON_IPC_SOCKET");
        if (c == IB_LIB || c == IB_ABSENT) {
            setenv("LD_PRELOAD", x->lib, 1);
            setenv("WATTSON_IPC_SOCKET", c == IB_LIB ? x->sock : x->absent, 1);
        }
        if (c == IB_STRACE)
            execl(x->strace, "strace", "-f", "-e", "trace=write,read", "-o",
                  "/dev/null", x->load, mode, sz, cn, (char *)NULL);
        else
            execl(x->load, "wattson-ipcload", mode, sz, cn, (char *)NULL);
        fprintf(stderr, "cannot run %s: %s\n",
                c == IB_STRACE ? x->strace : x->load, strerror(errno));
        _exit(127);
    }
    close(p[1]);
    size_t n = 0;
    ssize_t k;
    if (kid > 0)
        while ((k = read(p[0], out + n, sizeof out - 1 - n)) != 0) {
            if (k < 0 && errno == EINTR)
                continue;
            if (k < 0)
                break;
            n += (size_t)k;
            if (n == sizeof out - 1) { /* keep the start, drain the rest */
                char sink[512];
                while (read(p[0], sink, sizeof sink) > 0)
                    ;
                break;
            }
        }
    out[n] = '\0';
    close(p[0]);
    int st = 0;
    if (kid < 0 || waitpid(kid, &st, 0) < 0) {
        snprintf(r->why, sizeof r->why, "fork: %s", strerror(errno));
        return -1;
    }
    /* the line starts a line; strace's and ipcload's complaints may
     * come before it */
    const char *line =
        strncmp(out, "mode=", 5) == 0 ? out : strstr(out, "\nmode=");
    const char *ns = line ? strstr(line, " ns=") : NULL;
    int parsed = ns && sscanf(ns, " ns=%llu writes=%llu bytes=%llu lost=%llu",
                              &r->ns, &r->writes, &r->bytes, &r->lost) == 4;
    if (parsed && WIFEXITED(st) && WEXITSTATUS(st) == 0)
        return 0;
    if (!parsed) /* nothing half-read counts */
        r->ns = r->writes = r->bytes = r->lost = 0;
    /* the reason: the first line that is not the result */
    const char *why = out == line ? strchr(out, '\n') : out;
    why = why && *why == '\n' ? why + 1 : why;
    if (why && *why && strncmp(why, "mode=", 5) != 0)
        ib_first_line(r->why, sizeof r->why, why);
    else if (WIFSIGNALED(st))
        snprintf(r->why, sizeof r->why, "killed by signal %d", WTERMSIG(st));
    else
        snprintf(r->why, sizeof r->why, "exit status %d%s",
                 WIFEXITED(st) ? WEXITSTATUS(st) : -1,
                 parsed ? "" : ", no result line");
    return -1;
}

/* strace on PATH, and whether it can trace here (a container may refuse
 * ptrace): x->strace, or "" and x->strace_why. */
static void ib_find_strace(struct ib_ctx *x)
{
    const char *path = getenv("PATH");
    x->strace[0] = '\0';
    snprintf(x->strace_why, sizeof x->strace_why,
             "strace not found on PATH: apt-get install strace");
    while (path && *path) {
        size_t k = strcspn(path, ":");
        snprintf(x->strace, sizeof x->strace, "%.*s/strace", (int)k, path);
        if (k && access(x->strace, X_OK) == 0)
            break;
        x->strace[0] = '\0';
        path += k + (path[k] == ':');
    }
    if (!x->strace[0])
        return;
    struct ib_run r;
    if (ib_load(x, IB_STRACE, "pipe", 64, 2, &r) != 0) {
        snprintf(x->strace_why, sizeof x->strace_why, "%s", r.why);
        x->strace[0] = '\0';
    }
}

static void ib_sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Whether something accepts on the listener's socket yet (bound is not
 * enough: a connect between bind and listen is refused). */
static int ib_accepting(const char *path)
{
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    snprintf(a.sun_path, sizeof a.sun_path, "%s", path);
    int fd = socket(AF_UNIX, SOCK_SEQPACKET, 0);
    int ok = fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof a) == 0;
    if (fd >= 0)
        close(fd);
    return ok;
}

/* The listener: `wattson run ... --ipc-socket S` (from /proc/self/exe),
 * its summary into DIR/summary, its stderr into DIR/err; waits until it
 * accepts.  0, or -1 with why. */
static int ib_listen(struct ib_ctx *x, const struct cli_args *a, char *why,
                     size_t n)
{
    char sum[64], err[64], lab[4096];
    snprintf(sum, sizeof sum, "%s/summary", x->dir);
    snprintf(err, sizeof err, "%s/err", x->dir);
    snprintf(lab, sizeof lab, "%s/default.lua", paths_lab_dir());
    const char *argv[8 + 2 * CLI_MAX_PLUGIN_DIRS + 1];
    size_t k = 0;
    const char *fixed[] = {"wattson",    "run",        "--lab", lab,
                           "--realtime", "--duration", "3600",  "--ipc-socket"};
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
        argv[k++] = fixed[i];
    argv[k++] = x->sock;
    for (size_t i = 0; i < a->run.n_plugin_dirs; i++) {
        argv[k++] = "--plugin-dir";
        argv[k++] = a->run.plugin_dirs[i];
    }
    argv[k] = NULL;
    fflush(NULL);
    pid_t kid = fork();
    if (kid == 0) {
        int o = open(sum, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        int e = open(err, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (o < 0 || e < 0 || dup2(o, STDOUT_FILENO) < 0 ||
            dup2(e, STDERR_FILENO) < 0)
            _exit(127);
        unsetenv("LD_PRELOAD");
        execv("/proc/self/exe", (char *const *)argv);
        fprintf(stderr, "cannot run %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    if (kid < 0) {
        snprintf(why, n, "fork: %s", strerror(errno));
        return -1;
    }
    x->listener = kid;
    for (int i = 0; i < 3000; i++) { /* 30 s: a sanitized build is slow */
        int st;
        if (waitpid(kid, &st, WNOHANG) == kid) {
            x->listener = -1;
            char text[512] = "";
            FILE *f = fopen(err, "r");
            if (f) {
                size_t got = fread(text, 1, sizeof text - 1, f);
                text[got] = '\0';
                fclose(f);
            }
            char first[IBENCH_WHY];
            ib_first_line(first, sizeof first, text);
            snprintf(why, n, "the listener (%s) exited before listening: %s",
                     argv[0], *first ? first : "no message");
            return -1;
        }
        if (ib_accepting(x->sock))
            return 0;
        ib_sleep_ms(10);
    }
    snprintf(why, n, "the listener (%s) did not listen on %s within 30 s",
             argv[0], x->sock);
    return -1;
}

/* "KEY": value from the summary text; -1 when absent. */
static int ib_key(const char *text, const char *key, unsigned long long *v)
{
    char pat[64];
    snprintf(pat, sizeof pat, "\"%s\":", key);
    const char *p = strstr(text, pat);
    return p && sscanf(p + strlen(pat), "%llu", v) == 1 ? 0 : -1;
}

enum {
    IS_EVENTS,
    IS_DROPPED,
    IS_OVERFLOW,
    IS_MALFORMED,
    IS_REFUSED,
    IS_CONNS,
    IS_N
};
static const char *const ib_skeys[IS_N] = {
    "ipcsrv_events",    "ipcsrv_lib_dropped", "ipcsrv_overflow",
    "ipcsrv_malformed", "ipcsrv_refused",     "ipcsrv_conns"};

/* SIGTERM to the listener, then its summary's keys into v; 0 or -1. */
static int ib_unlisten(struct ib_ctx *x, unsigned long long *v, char *why,
                       size_t n)
{
    if (x->listener <= 0)
        return -1;
    int st;
    kill(x->listener, SIGTERM);
    waitpid(x->listener, &st, 0);
    x->listener = -1;
    char path[64], text[8192];
    snprintf(path, sizeof path, "%s/summary", x->dir);
    FILE *f = fopen(path, "r");
    size_t got = f ? fread(text, 1, sizeof text - 1, f) : 0;
    text[got] = '\0';
    if (f)
        fclose(f);
    for (int i = 0; i < IS_N; i++)
        if (ib_key(text, ib_skeys[i], &v[i]) != 0) {
            snprintf(why, n, "the listener's summary has no %s (exit %d)",
                     ib_skeys[i], WIFEXITED(st) ? WEXITSTATUS(st) : -1);
            return -1;
        }
    return 0;
}

static int ib_cmp(const void *a, const void *b)
{
    double p = *(const double *)a, q = *(const double *)b;
    return (p > q) - (p < q);
}

static double ib_median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, ib_cmp);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* The whole bench's tallies. */
struct ib_tally {
    double rt[IB_NMODE][IB_NSIZE][IB_NCFG]; /* median ns per round trip;
                                               < 0: n/a */
    unsigned long long lib_writes, lost;
    int runs, failed;
};

static void ib_row(const char *mode, unsigned long size, enum ib_cfg c,
                   unsigned long long count, double rt, double base,
                   const char *why)
{
    char sz[16];
    snprintf(sz, sizeof sz, size >= 1024 ? "%lu KiB" : "%lu B",
             size >= 1024 ? size / 1024 : size);
    if (rt < 0) {
        printf("%-5s %7s  %-12s %9s  n/a (%s)\n", mode, sz, ib_cfg_name[c], "",
               why);
        return;
    }
    /* both directions: the message and its echo */
    double mbs = 2.0 * (double)size / rt * 1e3;
    printf("%-5s %7s  %-12s %9llu %10.0f %9.1f %7.3f\n", mode, sz,
           ib_cfg_name[c], count, rt, mbs, base > 0 ? rt / base : 0);
}

/* One transport x size: calibration, the interleaved repeats, its rows. */
static void ib_case(const struct ib_ctx *x, size_t m, size_t s, int quick,
                    struct ib_tally *t)
{
    unsigned long long count = IBENCH_QUICK_COUNT;
    struct ib_run r;
    if (!quick &&
        ib_load(x, IB_BASE, ib_mode[m], ib_size[s], IBENCH_CALIB_COUNT, &r) ==
            0 &&
        r.ns > 0) {
        double per = (double)r.ns / IBENCH_CALIB_COUNT;
        double c = IBENCH_TARGET_NS / per;
        count = c < IBENCH_MIN_COUNT   ? IBENCH_MIN_COUNT
                : c > IBENCH_MAX_COUNT ? IBENCH_MAX_COUNT
                                       : (unsigned long long)c;
    }
    unsigned long long sc = count / IBENCH_STRACE_DIV;
    if (sc < IBENCH_QUICK_COUNT)
        sc = count < IBENCH_QUICK_COUNT ? count : IBENCH_QUICK_COUNT;
    int reps = quick ? 1 : IBENCH_REPEATS;
    double v[IB_NCFG][IBENCH_REPEATS];
    int nv[IB_NCFG] = {0};
    char why[IB_NCFG][IBENCH_WHY] = {{0}};
    for (int k = 0; k < reps; k++)
        for (int j = 0; j < IB_NCFG; j++) {
            enum ib_cfg c = (enum ib_cfg)((j + k) % IB_NCFG);
            if (c == IB_STRACE && !x->strace[0])
                continue;
            unsigned long long n = c == IB_STRACE ? sc : count;
            int rc = ib_load(x, c, ib_mode[m], ib_size[s], n, &r);
            t->runs++;
            t->lost += r.lost;
            if (c == IB_LIB)
                t->lib_writes += r.writes;
            if (rc != 0) {
                t->failed++;
                snprintf(why[c], sizeof why[c], "%s", r.why);
                fprintf(stderr, "wattson: bench ipc: %s %lu B, %s: %s\n",
                        ib_mode[m], ib_size[s], ib_cfg_name[c], r.why);
                continue;
            }
            v[c][nv[c]++] = (double)r.ns / (double)n;
        }
    for (int c = 0; c < IB_NCFG; c++) {
        t->rt[m][s][c] = nv[c] ? ib_median(v[c], nv[c]) : -1;
        if (c == IB_STRACE && !x->strace[0])
            snprintf(why[c], sizeof why[c], "%s", x->strace_why);
        else if (!nv[c] && !why[c][0])
            snprintf(why[c], sizeof why[c], "no run");
    }
    for (int c = 0; c < IB_NCFG; c++)
        ib_row(ib_mode[m], ib_size[s], (enum ib_cfg)c,
               c == IB_STRACE ? sc : count, t->rt[m][s][c], t->rt[m][s][0],
               why[c]);
    fflush(stdout);
}

/* The aim for one size: lib+wattson at most `pct` % over base. */
static void ib_aim(const struct ib_tally *t, size_t s, double pct)
{
    for (size_t m = 0; m < IB_NMODE; m++) {
        double b = t->rt[m][s][IB_BASE], l = t->rt[m][s][IB_LIB];
        char sz[16];
        snprintf(sz, sizeof sz, ib_size[s] >= 1024 ? "%lu KiB" : "%lu B",
                 ib_size[s] >= 1024 ? ib_size[s] / 1024 : ib_size[s]);
        if (b <= 0 || l <= 0) {
            printf("aim <= %.0f %% at %s, %s: n/a (no figure)\n", pct, sz,
                   ib_mode[m]);
            continue;
        }
        double d = (l / b - 1) * 100;
        printf("aim <= %.0f %% at %s, %s: %+.1f %%: %s\n", pct, sz, ib_mode[m],
               d, d <= pct ? "met" : "not met");
    }
}

static void ib_cleanup(struct ib_ctx *x)
{
    unsigned long long v[IS_N];
    char why[IBENCH_WHY];
    if (x->listener > 0)
        ib_unlisten(x, v, why, sizeof why);
    char p[96];
    const char *names[] = {"summary", "err", "ipc.sock"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        snprintf(p, sizeof p, "%s/%s", x->dir, names[i]);
        unlink(p);
    }
    rmdir(x->dir);
}

static int ibench_exec(const struct cli_entry *self, struct cli_args *a)
{
    (void)self;
    if (a->argc > 0)
        return cli_usage_error("bench ipc takes no operand, got '%s'",
                               a->argv[0]);
    struct ib_ctx x = {
        .load = paths_ipc_load(), .lib = paths_ipc_lib(), .listener = -1};
    if (!x.load || access(x.load, X_OK) != 0 || !x.lib ||
        access(x.lib, R_OK) != 0) {
        int load_bad = !x.load || access(x.load, X_OK) != 0;
        const char *p = load_bad ? x.load : x.lib;
        fprintf(stderr,
                "wattson: bench ipc: %s: %s (set $%s to an absolute path)\n",
                load_bad ? "wattson-ipcload" : "libwattson-ipc.so",
                p ? strerror(errno) : "cannot be named",
                load_bad ? "WATTSON_IPC_LOAD" : "WATTSON_IPC_LIB");
        return RUN_ERR;
    }
    bench_warn_slow();
    snprintf(x.dir, sizeof x.dir, "/tmp/wattson-ibench.XXXXXX");
    if (!mkdtemp(x.dir)) {
        fprintf(stderr, "wattson: bench ipc: mkdtemp: %s\n", strerror(errno));
        return RUN_ERR;
    }
    snprintf(x.sock, sizeof x.sock, "%s/ipc.sock", x.dir);
    snprintf(x.absent, sizeof x.absent, "%s/absent.sock", x.dir);
    ib_find_strace(&x);
    char why[2 * IBENCH_WHY];
    if (ib_listen(&x, a, why, sizeof why) != 0) {
        fprintf(stderr, "wattson: bench ipc: %s\n", why);
        ib_cleanup(&x);
        return RUN_ERR;
    }

    int quick = a->quick;
    const char *slow = bench_slow_build();
    printf("bench ipc: wattson-ipcload %s; %s; ns per round trip (a message "
           "and its echo),\nMB/s both ways, x base: against base in this "
           "run%s%s\n\n",
           x.load,
           quick ? "--quick: 1 run each, tiny counts (not a measurement)"
                 : "median of 5 interleaved runs each",
           slow ? "; debug build: " : "", slow ? slow : "");
    printf("%-5s %7s  %-12s %9s %10s %9s %7s\n", "trans", "size", "config",
           "count", "ns/rt", "MB/s", "x base");
    struct ib_tally t = {0};
    for (size_t m = 0; m < IB_NMODE; m++)
        for (size_t s = 0; s < IB_NSIZE; s++)
            ib_case(&x, m, s, quick, &t);

    unsigned long long v[IS_N] = {0};
    int srv = ib_unlisten(&x, v, why, sizeof why);
    ib_cleanup(&x);
    printf("\n");
    ib_aim(&t, 1, 5);
    ib_aim(&t, 0, 15);
    printf("application data: %llu bytes lost or corrupted, %d of %d "
           "runs failed\n",
           t.lost, t.failed, t.runs);
    int bad = t.lost > 0 || t.failed > 0;
    if (srv != 0) {
        printf("accounting: n/a (%s)\n", why);
        return RUN_ERR;
    }
    unsigned long long got = v[IS_EVENTS] + v[IS_DROPPED] + v[IS_OVERFLOW];
    /* With the read side on, every message is two events, and the
     * workloads count only their writes: nothing to compare. */
    const char *reads = getenv("WATTSON_IPC_READS");
    if (reads && strcmp(reads, "1") == 0) {
        printf("accounting: not checked (WATTSON_IPC_READS=1: receive "
               "events too; wattson %llu events + %llu dropped + %llu "
               "overflow for %llu writes)\n",
               v[IS_EVENTS], v[IS_DROPPED], v[IS_OVERFLOW], t.lib_writes);
        printf("listener: %llu connections, %llu malformed, %llu refused\n",
               v[IS_CONNS], v[IS_MALFORMED], v[IS_REFUSED]);
        return bad ? RUN_ERR : RUN_OK;
    }
    printf("accounting: %llu writes under the library, wattson %llu events "
           "+ %llu dropped by the library + %llu overflow = %llu: ",
           t.lib_writes, v[IS_EVENTS], v[IS_DROPPED], v[IS_OVERFLOW], got);
    if (got == t.lib_writes)
        printf("accounted\n");
    else
        printf("%lld %s\n",
               got > t.lib_writes ? (long long)(got - t.lib_writes)
                                  : (long long)(t.lib_writes - got),
               got > t.lib_writes ? "more than written" : "unaccounted");
    printf("listener: %llu connections, %llu malformed, %llu refused\n",
           v[IS_CONNS], v[IS_MALFORMED], v[IS_REFUSED]);
    return bad || got != t.lib_writes ? RUN_ERR : RUN_OK;
}

const struct cli_entry ibench_entry = {
    .name = "bench",
    .sub = "ipc",
    .usage = "",
    .help = "the IPC interception library's cost: pipe, Unix socket and\n"
            "loopback TCP round trips at 64 B, 4 KiB, 64 KiB, without it,\n"
            "with it and wattson listening, with it and wattson absent,\n"
            "and under strace; ns per round trip, MB/s, x base; every\n"
            "byte checked, every event accounted for (exit 1 if not)",
    .opts = (1u << CLI_OPT_PLUGIN_DIR) | ((uint64_t)1 << CLI_OPT_QUICK),
    .exec = ibench_exec,
};
