/*
 * main - the wattson command line.
 *
 *   wattson                      console on a terminal, else headless run
 *   wattson --console            the console (stdin/stdout must be a tty)
 *   wattson run [options]        headless run of a lab
 *   wattson plugins [options]    list the loaded plugins and what they expose
 *   wattson plugins --host       this machine's hardware, with values
 *   wattson bench [NAME]         simulation and console benchmarks
 *   wattson bench forecast TRACE.csv   forecaster accuracy and cost
 *   wattson bench broker         the broker against baseline governors
 *   wattson restore [--run-dir DIR] [--plugin-dir DIR] [--dry-run]
 *                                put back what a killed run left changed
 *   wattson --help | --version
 *
 * Exit codes are those of enum run_exit (run.h), documented in the README.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/dur.h"
#include "core/isolate.h"
#include "core/log.h"
#include "core/model.h"
#include "headless/bbench.h"
#include "headless/bench.h"
#include "headless/restore.h"
#include "run/run.h"
#include "loader/loader.h"
#include "policies/governors.h"
#include "tui/term.h"
#include "tui/tui.h"
#include "wattson/plugin.h"

#ifndef WATTSON_VERSION
#define WATTSON_VERSION "0.0.0"
#endif

#define MAX_PLUGIN_DIRS 16

static const char usage_text[] =
    "usage: wattson [COMMAND] [OPTIONS]\n"
    "\n"
    "Power and resource allocation console for heterogeneous labs.\n"
    "\n"
    "Commands:\n"
    "  run        run a lab headless and print its summary as JSON\n"
    "  plugins    list every loaded plugin, its devices, signals and "
    "controls\n"
    "  plugins --host  this machine: every real driver (cpufreq, rapl,\n"
    "             hwmon, nvml, pci), each optional, with each signal's\n"
    "             value after a 250 ms tick (a counter with its rate)\n"
    "  bench [NAME]  benchmarks: tick16, tick256, policy16, policy256,\n"
    "             console (CPU use of the console, 30 s) or all (default);\n"
    "             bench forecast TRACE.csv: MAE, sMAPE, MAE/last value and\n"
    "             ns/update of every forecaster at h = 1, 5, 10 (a t_s,util\n"
    "             CSV; exit 3 for a bad trace)\n"
    "  bench broker [--duration D] [--scenario NAME] [--with FILE.lua]...\n"
    "             energy, latency, EDP, deadline misses and budget\n"
    "             violations of every built-in policy below on the\n"
    "             scenarios bursty, step, diurnal and pipeline (or NAME),\n"
    "             as ratios to oracle and schedutil; D: lab time per\n"
    "             scenario (default: each lab's); --with: a row per Lua\n"
    "             policy file too, named by its base name (up to 8; a\n"
    "             missing file or one that fails to load: exit 3)\n"
    "  restore [--run-dir DIR] [--plugin-dir DIR] [--dry-run]\n"
    "             put back the controls a run killed before it could\n"
    "             restore them had saved (RUNDIR/saved-controls): takes the\n"
    "             writer lock, loads the run's lab and drivers, writes each\n"
    "             saved value back in reverse order, reports each failure\n"
    "             and removes the journal when all went back; no policy,\n"
    "             no tick.  \"nothing to restore\" (exit 0) without a\n"
    "             journal; exit 4 if a control could not be restored, 3\n"
    "             for a malformed journal.  --dry-run: only say what it\n"
    "             would write\n"
    "With no command: the interactive console when stdout is a terminal\n"
    "(press ? in it for the keys), otherwise a headless run.  The console\n"
    "runs until you quit (q) unless --duration is given, then prints the\n"
    "run's summary.\n"
    "\n"
    "Options of run (and of the default command):\n"
    "  --headless         never start the console\n"
    "  --console          start the console (no command only)\n"
    "  --lab FILE         lab file (default: the embedded default lab)\n"
    "  --policy FILE      Lua policy file (hot-reloaded; SIGHUP reloads "
    "too),\n"
    "                     'builtin' (the built-in C policy) or\n"
    "                     'builtin:NAME', a baseline: static (a fixed\n"
    "                     split of the budget), ondemand, conservative,\n"
    "                     schedutil (Linux-like, under the static caps),\n"
    "                     race (top clock, caps at max), broker,\n"
    "                     broker-noipc, oracle (the predictive broker's\n"
    "                     proposals: with IPC, without, with the true\n"
    "                     demand) (default: the lab's, else builtin)\n"
    "  --policy-time D    wall-time budget of one policy call (default\n"
    "                     20ms on the wall clock, none on the virtual one)\n"
    "  --policy-cpu-time D  CPU-time budget of one policy call, on both\n"
    "                     clocks (default 1s)\n"
    "  --policy-instructions N  instruction budget of one call (default "
    "2e6)\n"
    "  --policy-memory MB memory cap of a policy version (default 16)\n"
    "  --duration D       simulated/real time to run, e.g. 90s, 5m, 1h\n"
    "  --tick D           control period, e.g. 10ms (default: the lab's)\n"
    "  --seed N           seed for the simulated lab (default: the lab's)\n"
    "  --out FILE.jsonl   JSON Lines trace: header, one line per tick, "
    "summary\n"
    "  --csv FILE.csv     CSV trace, one row per tick\n"
    "                     (both: '-' for stdout; a file is replaced only\n"
    "                     when the run ends, keeping its mode; a symlink\n"
    "                     is written through, a FIFO or device directly;\n"
    "                     a directory or socket: exit 6 at start)\n"
    "  --realtime         pace ticks by the wall clock even when simulated\n"
    "  --allow-writes     write controls of real (non-simulated) drivers;\n"
    "                     before the first write every writable control is\n"
    "                     saved to RUNDIR/saved-controls (if that cannot be\n"
    "                     written, nothing is written: the run goes on\n"
    "                     read-only); a run refuses to start (exit 4) while\n"
    "                     a killed run's journal waits for wattson restore\n"
    "  --run-dir DIR      run directory of the saved-controls journal\n"
    "                     (default: $WATTSON_RUN_DIR, else /run/wattson\n"
    "                     when it can be created and written, else\n"
    "                     /tmp/wattson-UID)\n"
    "  --plugin-dir DIR   search DIR for plugins first (repeatable)\n"
    "  --progress         progress line on stderr (default on a terminal)\n"
    "  -q, --quiet        only errors on stderr\n"
    "  -v, --verbose      informational messages on stderr; twice (-vv):\n"
    "                     debug, e.g. every broker adjustment and its reason\n"
    "Options of plugins: --lab FILE, --plugin-dir DIR, --host; of bench "
    "[NAME]:\n"
    "--plugin-dir DIR; of bench forecast: none; -q and -v go with every\n"
    "command.  A command refuses an option it does not use (exit 2).\n"
    "Durations take ns, us, ms, s, m or h; a bare number is seconds.\n"
    "\n"
    "Environment: WATTSON_PLUGIN_PATH (colon-separated plugin "
    "directories);\n"
    "WATTSON_SYSFS_ROOT (a prefix for /sys, for the cpufreq, rapl, hwmon "
    "and\n"
    "pci drivers, when a lab entry gives no root); WATTSON_NVML_LIB (the "
    "NVML\n"
    "library the nvml driver loads, default libnvidia-ml.so.1);\n"
    "WATTSON_LOCK_FILE (a private writer lock instead of the machine's,\n"
    "/run/lock/wattson.lock, else /tmp/wattson.lock: warned about, and\n"
    "the machine's lock is then held shared);\n"
    "WATTSON_RUN_DIR (the run directory, see --run-dir).\n"
    "Exit status: 0 ok, 1 runtime failure, 2 bad arguments, 3 bad lab "
    "file,\n"
    "4 plugin failure, controls not restored or a killed run's journal\n"
    "waiting for wattson restore, 5 a declared limit broken, 6 output not\n"
    "writable, 130 stopped by SIGINT/SIGTERM or another terminating signal\n"
    "(controls restored, outputs complete).\n";

enum {
    OPT_HEADLESS = 256,
    OPT_CONSOLE,
    OPT_LAB,
    OPT_POLICY,
    OPT_DURATION,
    OPT_TICK,
    OPT_SEED,
    OPT_OUT,
    OPT_CSV,
    OPT_REALTIME,
    OPT_ALLOW_WRITES,
    OPT_PLUGIN_DIR,
    OPT_PROGRESS,
    OPT_HELP,
    OPT_VERSION,
    OPT_POLICY_TIME,
    OPT_POLICY_CPU,
    OPT_POLICY_INSNS,
    OPT_POLICY_MEM,
    OPT_SCENARIO,
    OPT_WITH,
    OPT_RUN_DIR,
    OPT_DRY_RUN,
    OPT_HOST,
};

static const struct option long_opts[] = {
    {"headless", no_argument, NULL, OPT_HEADLESS},
    {"console", no_argument, NULL, OPT_CONSOLE},
    {"lab", required_argument, NULL, OPT_LAB},
    {"policy", required_argument, NULL, OPT_POLICY},
    {"duration", required_argument, NULL, OPT_DURATION},
    {"tick", required_argument, NULL, OPT_TICK},
    {"seed", required_argument, NULL, OPT_SEED},
    {"out", required_argument, NULL, OPT_OUT},
    {"csv", required_argument, NULL, OPT_CSV},
    {"realtime", no_argument, NULL, OPT_REALTIME},
    {"allow-writes", no_argument, NULL, OPT_ALLOW_WRITES},
    {"plugin-dir", required_argument, NULL, OPT_PLUGIN_DIR},
    {"progress", no_argument, NULL, OPT_PROGRESS},
    {"quiet", no_argument, NULL, 'q'},
    {"verbose", no_argument, NULL, 'v'},
    {"policy-time", required_argument, NULL, OPT_POLICY_TIME},
    {"policy-cpu-time", required_argument, NULL, OPT_POLICY_CPU},
    {"policy-instructions", required_argument, NULL, OPT_POLICY_INSNS},
    {"policy-memory", required_argument, NULL, OPT_POLICY_MEM},
    {"scenario", required_argument, NULL, OPT_SCENARIO},
    {"with", required_argument, NULL, OPT_WITH},
    {"run-dir", required_argument, NULL, OPT_RUN_DIR},
    {"dry-run", no_argument, NULL, OPT_DRY_RUN},
    {"host", no_argument, NULL, OPT_HOST},
    {"help", no_argument, NULL, OPT_HELP},
    {"version", no_argument, NULL, OPT_VERSION},
    {NULL, 0, NULL, 0},
};

/* The commands, as sets of bits: an option is accepted only by the
 * commands that use it, so that an option a command would ignore (`bench
 * broker --lab FILE` benchmarking the default scenarios while the user
 * believes it measured their lab) is a usage error instead. */
enum {
    CMD_DEFAULT = 1u << 0, /* no command: the console or a headless run */
    CMD_RUN = 1u << 1,
    CMD_PLUGINS = 1u << 2,
    CMD_BENCH = 1u << 3,    /* bench [NAME] */
    CMD_FORECAST = 1u << 4, /* bench forecast TRACE.csv */
    CMD_BBENCH = 1u << 5,   /* bench broker */
    CMD_RESTORE = 1u << 6,
};

static const char *cmd_title(unsigned k)
{
    switch (k) {
    case CMD_RUN:
        return "run";
    case CMD_PLUGINS:
        return "plugins";
    case CMD_BENCH:
        return "bench";
    case CMD_FORECAST:
        return "bench forecast";
    case CMD_BBENCH:
        return "bench broker";
    case CMD_RESTORE:
        return "restore";
    default:
        return "the default command (a run or the console)";
    }
}

/* The commands that take long option c (-q, -v, --help and --version:
 * all of them). */
static unsigned opt_takers(int c)
{
    const unsigned runs = CMD_DEFAULT | CMD_RUN;
    switch (c) {
    case OPT_CONSOLE:
        return CMD_DEFAULT;
    case OPT_LAB:
        return runs | CMD_PLUGINS;
    case OPT_PLUGIN_DIR:
        return runs | CMD_PLUGINS | CMD_BENCH | CMD_BBENCH | CMD_RESTORE;
    case OPT_DURATION:
        return runs | CMD_BBENCH;
    case OPT_SCENARIO:
    case OPT_WITH:
        return CMD_BBENCH;
    case OPT_RUN_DIR:
        return runs | CMD_RESTORE;
    case OPT_DRY_RUN:
        return CMD_RESTORE;
    case OPT_HOST:
        return CMD_PLUGINS;
    case OPT_HELP:
    case OPT_VERSION:
        return ~0u;
    default: /* the options of a run */
        return runs;
    }
}

/* "it takes --duration, ..., -q, -v; " for a command with a few options,
 * "" for a run's (too many for one line: --help lists them). */
static void cmd_takes(unsigned k, char *buf, size_t len)
{
    size_t at = (size_t)snprintf(buf, len, "it takes ");
    int n = 0;
    for (const struct option *p = long_opts; p->name && at < len; p++) {
        if (p->val < OPT_HEADLESS || p->val == OPT_HELP ||
            p->val == OPT_VERSION || !(opt_takers(p->val) & k))
            continue;
        at += (size_t)snprintf(buf + at, len - at, "--%s, ", p->name);
        n++;
    }
    if (n > 6)
        buf[0] = '\0';
    else if (at < len)
        snprintf(buf + at, len - at, "-q, -v; ");
}

/* Fatal signals: put the hardware back before dying.  Not strictly
 * async-signal-safe (restore calls into drivers), like htop's SIGSEGV
 * handler restoring the terminal: a best effort where the alternative is
 * leaving controls at whatever the last tick wrote. */
static void on_fatal(int sig)
{
    term_restore(); /* the terminal first, as htop does */
    run_emergency_restore();
    signal(sig, SIG_DFL);
    raise(sig);
}

/* exit() while a run exists is a driver's (wattson itself returns from
 * main after run_free): put the hardware back and make the status say
 * that something went wrong, never 0. */
static void on_exit_guard(void)
{
    static const char msg[] =
        "wattson: a driver called exit() during the run; its controls were "
        "restored where possible (exit 4)\n";
    if (isolate_in_child())
        _exit(ISOLATE_EXIT_CALLED); /* a driver's restore child */
    if (!run_active())
        return;
    term_restore();
    run_emergency_restore();
    if (write(STDERR_FILENO, msg, sizeof msg - 1) < 0) {
        /* nothing left to tell it to */
    }
    _exit(RUN_PLUGIN);
}

/* The signals a fault of the process itself can raise, which it cannot
 * return from: restore here, then die by the signal.  Every other
 * terminating signal stops the run between ticks, restored as after
 * SIGTERM (core/loop.c). */
static void install_fatal_handlers(void)
{
    static const int sigs[] = {SIGSEGV, SIGBUS,  SIGFPE, SIGILL,
                               SIGABRT, SIGTRAP, SIGSYS};
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_fatal;
    sa.sa_flags = SA_RESETHAND;
    sigemptyset(&sa.sa_mask);
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
        sigaction(sigs[i], &sa, NULL);
    /* A closed pipe or socket on stdout, stderr or a trace must not kill
     * the run mid-way with the hardware changed: the write fails with
     * EPIPE instead, and is reported where it is checked. */
    signal(SIGPIPE, SIG_IGN);
}

static int usage_error(const char *fmt, const char *arg)
{
    fprintf(stderr, "wattson: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, " (see wattson --help)\n");
    return RUN_USAGE;
}

/* The long name of option value c. */
static const char *opt_name(int c)
{
    for (const struct option *p = long_opts; p->name; p++)
        if (p->val == c)
            return p->name;
    return "?";
}

/* A duration option that must be > 0 (--duration, --tick, --policy-time):
 * 0 is a valid duration for dur_parse, so the "> 0" message is ours. */
static int parse_positive_dur(const char *opt, const char *text, double *out)
{
    char err[256];
    if (dur_parse(text, out, err, sizeof err) != 0) {
        fprintf(stderr, "wattson: --%s: %s (see wattson --help)\n", opt, err);
        return -1;
    }
    if (!(*out > 0)) {
        fprintf(stderr,
                "wattson: --%s: must be more than 0, got '%s' (see wattson "
                "--help)\n",
                opt, text);
        return -1;
    }
    return 0;
}

static int parse_seed(const char *s, uint64_t *out)
{
    char *end;
    if (!s || !*s || *s == '-')
        return -1;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end)
        return -1;
    *out = v;
    return 0;
}

/* A signal's current value for `plugins --host`: the reading (or
 * "invalid"), and a counter's rate over the sampling interval. */
static void format_value(const struct model *m, size_t s, char *buf, size_t len)
{
    if (!m->valid[s]) {
        snprintf(buf, len, "invalid");
        return;
    }
    int n = snprintf(buf, len, "%.6g", m->val[s]);
    if (n > 0 && (size_t)n < len &&
        m->signals[s].behaviour == WATTSON_COUNTER && m->rate_valid[s]) {
        /* An energy counter's rate is the power it measures. */
        int joules = strcmp(m->signals[s].unit, "J") == 0;
        snprintf(buf + n, len - (size_t)n, " (%+.4g%s)", m->rate[s],
                 joules ? " W" : "/s");
    }
}

/* values: a column with each signal's current value (plugins --host). */
static void print_plugins(const struct model *m, int values, FILE *out)
{
    static const char *const beh[] = {"constant", "counter", "gauge"};
    for (size_t p = 0; p < m->n_plugins; p++) {
        const struct model_plugin *mp = &m->plugins[p];
        const struct wattson_plugin *d = mp->plug->desc;
        fprintf(out, "plugin %s %s (ABI %u.%u, %s%s)\n  file %s\n  %s\n",
                d->name, d->version ? d->version : "", d->abi_major,
                d->abi_minor, mp->simulated ? "simulated" : "hardware",
                mp->writable ? ", writable" : ", read-only", mp->plug->path,
                d->description ? d->description : "");
        for (uint32_t i = 0; i < mp->n_dev; i++) {
            uint32_t dv = mp->dev_base + i;
            const struct model_device *dev = &m->devices[dv];
            fprintf(out, "  device %s (%s)\n", dev->name, dev->kind);
            for (size_t s = 0; s < m->n_signals; s++) {
                const struct model_signal *sg = &m->signals[s];
                if (sg->device != dv)
                    continue;
                const char *b =
                    (unsigned)sg->behaviour < 3 ? beh[sg->behaviour] : "?";
                char val[64];
                if (values) {
                    format_value(m, s, val, sizeof val);
                    fprintf(out, "    signal  %-16s %-6s %-8s %-22s %s\n",
                            sg->name, sg->unit, b, val, sg->description);
                } else {
                    fprintf(out, "    signal  %-16s %-6s %-8s %s\n", sg->name,
                            sg->unit, b, sg->description);
                }
            }
            for (size_t c = 0; c < m->n_controls; c++) {
                const struct model_control *ct = &m->controls[c];
                if (ct->device != dv)
                    continue;
                fprintf(out,
                        "    control %-16s %-6s min %-10g max %-10g "
                        "step %g\n",
                        ct->name, ct->unit, ct->min, ct->max, ct->step);
            }
        }
    }
}

/* host: this machine through the embedded host lab, with each signal's
 * value after one tick of HOST_SAMPLE_NS, so that a counter (RAPL's
 * energy) also shows its rate, the power it measures. */
#define HOST_SAMPLE_NS 250000000L
static int cmd_plugins(struct run_opts *o, int host)
{
    char err[1024];
    struct run *r;
    o->host_lab = host;
    int rc = run_new(o, &r, err, sizeof err);
    if (rc != RUN_OK) {
        char buf[1024];
        fprintf(stderr, "wattson: %s\n", log_escape(buf, sizeof buf, err));
        return rc;
    }
    if (host) {
        /* Read-only: the host lab's drivers are real and --allow-writes
         * is not a plugins option, so the tick writes nothing. */
        struct timespec ts = {0, HOST_SAMPLE_NS};
        while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
            ;
        run_tick(r);
    }
    print_plugins(run_model(r), host, stdout);
    run_free(r);
    return 0;
}

/* The console: the same run object as `wattson run`, driven by the TUI
 * instead of run_loop; every exit path goes through run_finish/run_free
 * (controls restored) after the terminal is given back. */
/* The console runs until the user quits unless --duration is given;
 * the run's summary is printed once the terminal is restored. */
static int cmd_console(const struct run_opts *o)
{
    struct run_opts co = *o;
    co.until_quit = 1;
    tui_log_early();
    return run_main(&co, tui_run, stdout);
}

int main(int argc, char **argv)
{
    const char *plugin_dirs[MAX_PLUGIN_DIRS];
    struct run_opts o = {0};
    const char *cmd = NULL;
    int headless = 0, console = 0, progress = -1, verbosity = LOG_WARN;
    const char *scenario = NULL;
    const char *with[BBENCH_MAX_WITH];
    size_t n_with = 0;
    int dry_run = 0, host = 0;
    /* The long options given, first occurrences in command-line order,
     * checked against the command once it is known. */
    int seen[64];
    size_t n_seen = 0;

    o.plugin_dirs = plugin_dirs;
    if (argc > 1 && argv[1][0] != '-') {
        cmd = argv[1];
        argv++;
        argc--;
        if (strcmp(cmd, "run") != 0 && strcmp(cmd, "plugins") != 0 &&
            strcmp(cmd, "bench") != 0 && strcmp(cmd, "restore") != 0 &&
            strcmp(cmd, "help") != 0)
            return usage_error("unknown command '%s'", cmd);
        if (strcmp(cmd, "help") == 0) {
            fputs(usage_text, stdout);
            return 0;
        }
    }

    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, ":qv", long_opts, NULL)) != -1) {
        if (c >= OPT_HEADLESS) {
            size_t i = 0;
            while (i < n_seen && seen[i] != c)
                i++;
            if (i == n_seen && n_seen < sizeof seen / sizeof seen[0])
                seen[n_seen++] = c;
        }
        switch (c) {
        case OPT_HEADLESS:
            headless = 1;
            break;
        case OPT_CONSOLE:
            console = 1;
            break;
        case OPT_LAB:
            o.lab_path = optarg;
            break;
        case OPT_POLICY: {
            const struct policy_ops *gov;
            char gerr[256];
            if (gov_parse(optarg, &gov, gerr, sizeof gerr) < 0)
                return usage_error("--policy: %s", gerr);
            o.policy = optarg;
            break;
        }
        case OPT_SCENARIO:
            scenario = optarg;
            break;
        case OPT_WITH:
            if (n_with >= BBENCH_MAX_WITH)
                return usage_error("%s", "--with: at most 8 policy files");
            with[n_with++] = optarg;
            break;
        case OPT_DURATION:
        case OPT_TICK:
        case OPT_POLICY_TIME:
        case OPT_POLICY_CPU: {
            double v;
            if (parse_positive_dur(opt_name(c), optarg, &v) != 0)
                return RUN_USAGE;
            if (c == OPT_TICK)
                o.tick_s = v;
            else if (c == OPT_DURATION)
                o.duration_s = v;
            else if (c == OPT_POLICY_CPU)
                o.policy_cpu_time_s = v;
            else
                o.policy_time_s = v;
            break;
        }
        case OPT_POLICY_INSNS:
        case OPT_POLICY_MEM: {
            char *end;
            double v = strtod(optarg, &end);
            double lo = c == OPT_POLICY_MEM ? 1 : 1000;
            double hi = c == OPT_POLICY_MEM ? 4096 : 1e12;
            if (end == optarg || *end || !(v >= lo && v <= hi))
                return usage_error(c == OPT_POLICY_MEM
                                       ? "--policy-memory: '%s' is not a "
                                         "number of MiB in [1, 4096]"
                                       : "--policy-instructions: '%s' is "
                                         "not a number in [1000, 1e12]",
                                   optarg);
            if (c == OPT_POLICY_MEM)
                o.policy_mem_bytes = (size_t)(v * 1048576.0);
            else
                o.policy_instructions = (uint64_t)v;
            break;
        }
        case OPT_SEED:
            if (parse_seed(optarg, &o.seed) != 0)
                return usage_error("--seed: '%s' is not a non-negative "
                                   "integer",
                                   optarg);
            o.has_seed = 1;
            break;
        case OPT_OUT:
            o.out_path = optarg;
            break;
        case OPT_CSV:
            o.csv_path = optarg;
            break;
        case OPT_REALTIME:
            o.realtime = 1;
            break;
        case OPT_ALLOW_WRITES:
            o.allow_writes = 1;
            break;
        case OPT_RUN_DIR:
            if (!*optarg)
                return usage_error("%s", "--run-dir: empty directory name");
            o.run_dir = optarg;
            break;
        case OPT_DRY_RUN:
            dry_run = 1;
            break;
        case OPT_HOST:
            host = 1;
            break;
        case OPT_PLUGIN_DIR:
            if (o.n_plugin_dirs >= MAX_PLUGIN_DIRS)
                return usage_error("%s", "too many --plugin-dir options");
            plugin_dirs[o.n_plugin_dirs++] = optarg;
            break;
        case OPT_PROGRESS:
            progress = 1;
            break;
        case 'q':
            verbosity = LOG_ERROR;
            break;
        case 'v':
            /* -v: informational; -vv: debug (the broker's adjustments) */
            verbosity = verbosity >= LOG_INFO ? LOG_DEBUG : LOG_INFO;
            break;
        case OPT_HELP:
            fputs(usage_text, stdout);
            return 0;
        case OPT_VERSION: {
            /* A debug build says so: its bench figures are not the
             * machine's (bench warns too). */
            const char *slow = bench_slow_build();
            printf("wattson %s (plugin ABI %d.%d%s%s)\n", WATTSON_VERSION,
                   WATTSON_ABI_MAJOR, WATTSON_ABI_MINOR,
                   slow ? "; debug build: " : "", slow ? slow : "");
            return 0;
        }
        case ':':
            return usage_error("option '%s' needs a value", argv[optind - 1]);
        default:
            return usage_error("unknown option '%s'", argv[optind - 1]);
        }
    }
    log_set_level(verbosity);
    install_fatal_handlers();
    atexit(on_exit_guard);

    const char *sub = optind < argc ? argv[optind] : "";
    unsigned kind = !cmd                           ? CMD_DEFAULT
                    : strcmp(cmd, "run") == 0      ? CMD_RUN
                    : strcmp(cmd, "plugins") == 0  ? CMD_PLUGINS
                    : strcmp(cmd, "restore") == 0  ? CMD_RESTORE
                    : strcmp(sub, "broker") == 0   ? CMD_BBENCH
                    : strcmp(sub, "forecast") == 0 ? CMD_FORECAST
                                                   : CMD_BENCH;
    for (size_t i = 0; i < n_seen; i++) {
        if (opt_takers(seen[i]) & kind)
            continue;
        char takes[512];
        cmd_takes(kind, takes, sizeof takes);
        fprintf(stderr,
                "wattson: %s does not take --%s (%ssee wattson --help)\n",
                cmd_title(kind), opt_name(seen[i]), takes);
        return RUN_USAGE;
    }

    int restore = kind == CMD_RESTORE;
    if (restore) {
        if (optind < argc)
            return usage_error("unexpected argument '%s'", argv[optind]);
        return restore_main(&o, dry_run, stdout);
    }
    if (kind == CMD_BBENCH) {
        if (argc - optind > 1)
            return usage_error("bench broker takes no argument, got '%s'",
                               argv[optind + 1]);
        return bbench_main(scenario, o.duration_s, with, n_with, plugin_dirs,
                           o.n_plugin_dirs, stdout);
    }
    if (kind & (CMD_BENCH | CMD_FORECAST)) {
        if (kind == CMD_FORECAST) {
            if (argc - optind != 2)
                return usage_error("bench forecast takes one TRACE.csv, got %s",
                                   argc - optind < 2 ? "none"
                                                     : argv[optind + 2]);
            return bench_forecast(argv[optind + 1], stdout);
        }
        if (argc - optind > 1)
            return usage_error("bench takes one NAME, got '%s'",
                               argv[optind + 1]);
        return bench_main(optind < argc ? argv[optind] : NULL, plugin_dirs,
                          o.n_plugin_dirs, stdout);
    }
    if (optind < argc)
        return usage_error("unexpected argument '%s'", argv[optind]);
    if (kind == CMD_PLUGINS) {
        if (host && o.lab_path)
            return usage_error("%s", "plugins: --host and --lab conflict "
                                     "(--host is the embedded host lab)");
        return cmd_plugins(&o, host);
    }

    if (console && headless)
        return usage_error("%s", "--console and --headless conflict");
    if (console || (!cmd && !headless && isatty(STDOUT_FILENO))) {
        /* The progress line is the headless run's; the console has a
         * header instead. */
        if (progress == 1)
            return usage_error("%s", "the console does not take --progress; "
                                     "a headless run does (--headless)");
        /* The log pane shows what -v shows on stderr. */
        if (verbosity == LOG_WARN)
            log_set_level(LOG_INFO);
        return cmd_console(&o);
    }
    o.progress = progress == 1 || (progress < 0 && isatty(STDERR_FILENO));
    return run_headless(&o, stdout);
}
