/*
 * cli - see cli.h.
 */
#include "cmd/cli.h"

#include <string.h>

#include "core/lab.h"

/* `wattson help`: --help as a command. */
static int help_exec(const struct cli_entry *self, struct cli_args *a)
{
    (void)self;
    (void)a;
    /* the operands are ignored, as they always were */
    cli_help(stdout);
    return RUN_OK;
}

static const struct cli_entry help_entry = {
    .name = "help",
    .usage = "",
    .help = "this text (as --help)",
    .exec = help_exec,
};

/* The commands, each defined in the file that implements it.  Adding a
 * command: a file in cmd/ defining its entry, and one line in each list
 * below.  The table's order is --help's. */
extern const struct cli_entry runcmd_entry, runcmd_default_entry;
extern const struct cli_entry plugins_entry;
extern const struct cli_entry bench_entry, bench_forecast_entry;
extern const struct cli_entry bbench_entry, mbench_entry, partcmd_entry,
    pbench_entry;
extern const struct cli_entry restore_entry;
extern const struct cli_entry vgpucmd_entry, vabench_entry, vbench_entry;
extern const struct cli_entry ofcmd_entry, ofcmd_serve_entry, ofcmd_run_entry,
    ofbench_entry;
extern const struct cli_entry ibench_entry, mxbench_entry;
extern const struct cli_entry tracecmd_entry;
extern const struct cli_entry report_entry;

static const struct cli_entry *const cli_table[] = {
    &runcmd_entry,         &plugins_entry,     &bench_entry,
    &bench_forecast_entry, &bbench_entry,      &mbench_entry,
    &pbench_entry,         &vbench_entry,      &vabench_entry,
    &ibench_entry,         &mxbench_entry,     &restore_entry,
    &partcmd_entry,        &vgpucmd_entry,     &tracecmd_entry,
    &ofcmd_entry,          &ofcmd_serve_entry, &ofcmd_run_entry,
    &ofbench_entry,        &report_entry,      &help_entry,
    &runcmd_default_entry,
};
#define N_ENTRIES (sizeof cli_table / sizeof cli_table[0])

/* A command listing more options than this says "[OPTIONS]" in --help
 * and leaves them out of its "does not take" errors: the option section
 * of --help lists them. */
#define FEW_OPTS 6

const struct cli_option cli_options[CLI_OPT_COUNT] = {
    [CLI_OPT_HEADLESS] = {.name = "headless",
                          .help = "never start the console"},
    [CLI_OPT_CONSOLE] = {.name = "console",
                         .help =
                             "start the console (stdin and stdout must be a\n"
                             "terminal)"},
    [CLI_OPT_LAB] = {.name = "lab",
                     .arg = "FILE",
                     .help = "lab file (default: the embedded default lab);\n"
                             "bench broker: this lab instead of the\n"
                             "scenarios (sim drivers only); partition,\n"
                             "offload serve: the lab's cluster table as\n"
                             "the devices"},
    [CLI_OPT_POLICY] =
        {.name = "policy",
         .arg = "FILE",
         .help = "Lua policy file (hot-reloaded; SIGHUP reloads too),\n"
                 "'builtin' (the built-in C policy) or\n"
                 "'builtin:NAME', a baseline: performance,\n"
                 "ondemand, conservative, schedutil (the kernel's\n"
                 "rules, under RAPL-like package limits),\n"
                 "naive-split (schedutil, a fixed per-PU split),\n"
                 "balancer (schedutil, GEOPM-like sharing), race\n"
                 "(top clock, no limit), broker, broker-noipc,\n"
                 "perfect-forecast (the predictive broker's\n"
                 "proposals: with IPC, without, with the true\n"
                 "demand) (default: the lab's, else builtin:broker\n"
                 "on a simulated lab, builtin on real drivers)"},
    [CLI_OPT_POLICY_TIME] =
        {.name = "policy-time",
         .arg = "D",
         .help = "wall-time budget of one policy call (default\n"
                 "20ms on the wall clock, none on the virtual "
                 "one)"},
    [CLI_OPT_POLICY_CPU] = {.name = "policy-cpu-time",
                            .arg = "D",
                            .help =
                                "CPU-time budget of one policy call, on both\n"
                                "clocks (default 1s)"},
    [CLI_OPT_POLICY_INSNS] = {.name = "policy-instructions",
                              .arg = "N",
                              .help = "instruction budget of one call (default "
                                      "2e6)"},
    [CLI_OPT_POLICY_MEM] = {.name = "policy-memory",
                            .arg = "MB",
                            .help =
                                "memory cap of a policy version (default 16)"},
    [CLI_OPT_DURATION] = {.name = "duration",
                          .arg = "D",
                          .help =
                              "simulated/real time to run, e.g. 90s, 5m, 1h;\n"
                              "bench broker: lab time per scenario (default:\n"
                              "each lab's)"},
    [CLI_OPT_TICK] = {.name = "tick",
                      .arg = "D",
                      .help = "control period, e.g. 10ms (default: the lab's)"},
    [CLI_OPT_SEED] = {.name = "seed",
                      .arg = "N",
                      .help =
                          "seed for the simulated lab (default: the lab's)"},
    [CLI_OPT_OUT] = {.name = "out",
                     .arg = "FILE",
                     .short_name = 'o',
                     .help = "JSON Lines trace (FILE.jsonl): header, one line\n"
                             "per tick, summary; report: the HTML file"},
    [CLI_OPT_CSV] = {.name = "csv",
                     .arg = "FILE.csv",
                     .help = "CSV trace, one row per tick\n"
                             "(both: '-' for stdout; a file is replaced only\n"
                             "when the run ends, keeping its mode; a symlink\n"
                             "is written through, a FIFO or device directly;\n"
                             "a directory or socket: exit 6 at start)"},
    [CLI_OPT_REALTIME] = {.name = "realtime",
                          .help = "pace ticks by the wall clock even when "
                                  "simulated"},
    [CLI_OPT_ALLOW_WRITES] = {.name = "allow-writes",
                              .help =
                                  "write controls of real (non-simulated) "
                                  "drivers;\n"
                                  "before the first write every writable "
                                  "control is\n"
                                  "saved to RUNDIR/saved-controls (if that "
                                  "cannot be\n"
                                  "written, nothing is written: the run goes "
                                  "on\n"
                                  "read-only); a run refuses to start (exit 4) "
                                  "while\n"
                                  "a killed run's journal waits for wattson "
                                  "restore"},
    [CLI_OPT_RUN_DIR] = {.name = "run-dir",
                         .arg = "DIR",
                         .help =
                             "run directory of the saved-controls journal\n"
                             "(default: $WATTSON_RUN_DIR, else /run/wattson\n"
                             "when it can be created and written, else\n"
                             "/tmp/wattson-UID)"},
    [CLI_OPT_PLUGIN_DIR] = {.name = "plugin-dir",
                            .arg = "DIR",
                            .repeat = 1,
                            .help =
                                "search DIR for plugins first (repeatable)"},
    [CLI_OPT_PROGRESS] = {.name = "progress",
                          .help = "progress line on stderr (default on a "
                                  "terminal)"},
    [CLI_OPT_VGPU_SOCKET] = {.name = "vgpu-socket",
                             .arg = "PATH",
                             .help =
                                 "serve the vGPU request API (wattson vgpu,\n"
                                 "libwattson-vgpu) on a Unix socket at PATH,\n"
                                 "owner-only; a PATH that exists and is not a\n"
                                 "stale socket of ours is refused (exit 6);\n"
                                 "removed when the run ends"},
    [CLI_OPT_SCENARIO] = {.name = "scenario",
                          .arg = "NAME",
                          .help =
                              "only scenario NAME: bursty, step, diurnal or\n"
                              "pipeline (default: all four)"},
    [CLI_OPT_WITH] = {.name = "with",
                      .arg = "FILE.lua",
                      .repeat = 1,
                      .help =
                          "a row per Lua policy file too, named by its base\n"
                          "name (up to 8; a missing file or one that fails\n"
                          "to load: exit 3)"},
    [CLI_OPT_LOAD_SCALE] = {.name = "load-scale",
                            .arg = "LIST",
                            .help =
                                "bench broker: one table per scale, the sim\n"
                                "workloads' offered load times each (1 to 8\n"
                                "numbers in (0, 10], e.g. 0.5,0.75,1,1.25;\n"
                                "default: the labs as they are)"},
    [CLI_OPT_ED2P] = {.name = "ed2p",
                      .help = "bench broker: an ED2P column too (fixed-job\n"
                              "energy x mean latency squared)"},
    [CLI_OPT_DRY_RUN] = {.name = "dry-run",
                         .help = "only say what it would write"},
    [CLI_OPT_HOST] = {.name = "host",
                      .help =
                          "this machine instead of a lab: every real driver\n"
                          "(cpufreq, rapl, hwmon, nvml, pci), each optional,\n"
                          "with each signal's value after a 250 ms tick (a\n"
                          "counter with its rate)"},
    [CLI_OPT_DEVICES] = {.name = "devices",
                         .arg = "SPEC",
                         .help = "partition: NAME[:SPEED[:MEM]],... (speed\n"
                                 "relative to the profiled device, default 1;\n"
                                 "memory in bytes, 16G, default no cap)"},
    [CLI_OPT_LINK] = {.name = "link",
                      .arg = "BW[/LAT]",
                      .help = "partition: every link's bandwidth in bytes/s\n"
                              "and latency (default 12G/10us: PCIe 3 x16)"},
    [CLI_OPT_JSON] = {.name = "json",
                      .help = "partition: JSON instead of a table (one\n"
                              "object; --method all: one per line)"},
    [CLI_OPT_METHOD] = {.name = "method",
                        .arg = "NAME",
                        .help = "partition: pipeline (the training pipeline,\n"
                                "the default), metis (libmetis's k-way\n"
                                "assignment under the same costs, and the\n"
                                "pipeline on its order), equal (the same\n"
                                "number of layers per device), split (split\n"
                                "inference over --devices as a chain of\n"
                                "tiers, the user's first; --link may list\n"
                                "one BW/LAT per link) or all (each in turn;\n"
                                "--json: one object per line)"},
    [CLI_OPT_INPUT] = {.name = "input",
                       .arg = "FILE",
                       .help = "partition split: a JPEG or PNG whose\n"
                               "complexity (entropy, edge density) scales\n"
                               "the layers' compute"},
    [CLI_OPT_COMPLEXITY] = {.name = "complexity",
                            .arg = "N|LEN/MAX",
                            .help =
                                "partition split: the input's complexity,\n"
                                "0-100 (default 50: the profiled work), or\n"
                                "a sequence of LEN tokens of at most MAX"},
    [CLI_OPT_SEARCH] = {.name = "search",
                        .arg = "all|order",
                        .help = "partition pipeline: all (every topological\n"
                                "order, the proven optimum where the graph's\n"
                                "down-sets number at most 250,000; the\n"
                                "default) or order (exact for one order\n"
                                "only: milliseconds on any graph)"},
    [CLI_OPT_SOCKET] = {.name = "socket",
                        .arg = "PATH",
                        .help = "vgpu: the server's socket (default\n"
                                "$WATTSON_VGPU_SOCKET)"},
    [CLI_OPT_HOLD] = {.name = "hold",
                      .arg = "D",
                      .help = "vgpu: keep the connection, and so what was\n"
                              "granted, for D (e.g. 30s) before exiting"},
    [CLI_OPT_IPC_SOCKET] = {.name = "ipc-socket",
                            .arg = "PATH",
                            .help =
                                "receive the message events of processes run\n"
                                "with libwattson-ipc.so (LD_PRELOAD,\n"
                                "WATTSON_IPC_SOCKET=PATH) on a Unix socket at\n"
                                "PATH, owner-only; implies --realtime; a PATH\n"
                                "that exists and is not a stale socket of\n"
                                "ours is refused (exit 6)"},
    [CLI_OPT_METRICS] = {.name = "metrics",
                         .arg = "ADDR:PORT",
                         .help = "serve the run's metrics for Prometheus at\n"
                                 "http://ADDR:PORT/metrics (a bare PORT or\n"
                                 ":PORT: 127.0.0.1, loopback only; numbers,\n"
                                 "e.g. 0.0.0.0:9464 or [::1]:9464; port 0:\n"
                                 "any free one, said with -v); implies\n"
                                 "--realtime; a port in use: exit 6"},
    [CLI_OPT_IPC_OUT] = {.name = "ipc-out",
                         .arg = "FILE",
                         .help = "write the IPC events taken (live or\n"
                                 "replayed) to FILE in the IPC text format"},
    [CLI_OPT_IPC_REPLAY] = {.name = "ipc-replay",
                            .arg = "FILE",
                            .help = "replay the IPC events of FILE (the IPC\n"
                                    "text format, e.g. an --ipc-out), each at\n"
                                    "its time on the run's clock (a bad line:\n"
                                    "exit 3)"},
    [CLI_OPT_QUICK] = {.name = "quick",
                       .help = "bench ipc: one run of each, tiny counts (a\n"
                               "check of the plumbing, not a measurement);\n"
                               "bench offload: one model, four conditions"},
    [CLI_OPT_LISTEN] = {.name = "listen",
                        .arg = "ADDR",
                        .help = "offload serve: the address to listen on\n"
                                "(default 127.0.0.1:7207: loopback only;\n"
                                "numbers, e.g. 10.199.0.2:7207 or [::1]:0)"},
    [CLI_OPT_CONNECT] = {.name = "connect",
                         .arg = "ADDR",
                         .help = "offload run: the remote's address\n"
                                 "(e.g. 127.0.0.1:7207)"},
    [CLI_OPT_MODEL] = {.name = "model",
                       .arg = "FILE",
                       .help = "offload run: the model (a Darknet .cfg or\n"
                               "a PipeDream profile)"},
    [CLI_OPT_MODE] = {.name = "mode",
                      .arg = "MODE",
                      .help = "offload run: adaptive (the split solved per\n"
                              "request on the measured network; default),\n"
                              "static (solved once), local or remote"},
    [CLI_OPT_REQUESTS] = {.name = "requests",
                          .arg = "N",
                          .help = "offload run: how many inferences\n"
                                  "(default 10)"},
    [CLI_OPT_DEVICE] = {.name = "device",
                        .arg = "NAME[:SPEED]",
                        .help = "offload: this side's device, its speed\n"
                                "relative to the profiled one (run's\n"
                                "default cpu:0.02, serve's gpu:1)"},
    [CLI_OPT_ZSTD] = {.name = "zstd",
                      .arg = "LEVEL",
                      .help = "offload: auto (chosen per chunk from the\n"
                              "measured bandwidth; default), off, fast or\n"
                              "strong"},
    [CLI_OPT_TRANSPORT] = {.name = "transport",
                           .arg = "tcp|udp",
                           .help = "offload run: how tensors travel: tcp\n"
                                   "(default) or udp (erasure-coded\n"
                                   "datagrams, paced, lost groups asked for\n"
                                   "again; the rest stays on TCP)"},
    [CLI_OPT_TIMEOUT] = {.name = "timeout",
                         .arg = "D",
                         .help = "offload run: fail a request over to this\n"
                                 "device after D (default: from the\n"
                                 "predicted time and the measured RTT)"},
    [CLI_OPT_QUIET] = {.name = "quiet",
                       .short_name = 'q',
                       .every = 1,
                       .help = "only errors on stderr"},
    [CLI_OPT_VERBOSE] = {.name = "verbose",
                         .short_name = 'v',
                         .every = 1,
                         .help =
                             "informational messages on stderr; twice (-vv):\n"
                             "debug, e.g. every broker adjustment and its "
                             "reason"},
    [CLI_OPT_HELP] = {.name = "help", .every = 1, .help = "this text"},
    [CLI_OPT_VERSION] = {.name = "version",
                         .every = 1,
                         .help = "the version and plugin ABI"},
};

static const char help_head[] =
    "usage: wattson [COMMAND] [OPTIONS]\n"
    "\n"
    "Power and resource allocation console for heterogeneous labs.\n"
    "\n"
    "Commands:\n";

static const char help_tail[] =
    "\n"
    "A command refuses an option it does not take (exit 2).\n"
    "Durations take ns, us, ms, s, m or h; a bare number is seconds.\n"
    "\n"
    "Environment: WATTSON_PLUGIN_PATH (colon-separated plugin "
    "directories,\n"
    "searched after --plugin-dir and before wattson's own: "
    "PREFIX/lib/wattson\n"
    "next to an installed bin/wattson; for a build-tree binary the build\n"
    "tree's lib/wattson, then the configured PREFIX's.  Labs and policies\n"
    "come from PREFIX/share/wattson, or the source tree's lua-policies/);\n"
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

const struct cli_entry *cli_find(const char *word)
{
    for (size_t i = 0; i < N_ENTRIES; i++) {
        const struct cli_entry *e = cli_table[i];
        if (e->sub)
            continue;
        if (word ? e->name && strcmp(e->name, word) == 0 : !e->name)
            return e;
    }
    return NULL;
}

const struct cli_entry *cli_sub(const struct cli_entry *e, const char *operand)
{
    if (!e->name || !operand)
        return e;
    for (size_t i = 0; i < N_ENTRIES; i++) {
        const struct cli_entry *s = cli_table[i];
        if (s->name && s->sub && strcmp(s->name, e->name) == 0 &&
            strcmp(s->sub, operand) == 0)
            return s;
    }
    return e;
}

void cli_title(const struct cli_entry *e, char *buf, size_t len)
{
    if (!e->name)
        snprintf(buf, len, "the default command (a run or the console)");
    else
        snprintf(buf, len, "%s%s%s", e->name, e->sub ? " " : "",
                 e->sub ? e->sub : "");
}

int cli_option_of(int val)
{
    for (int i = 0; i < CLI_OPT_COUNT; i++)
        if (cli_options[i].short_name ? val == cli_options[i].short_name
                                      : val == CLI_OPT_VAL_BASE + i)
            return i;
    return -1;
}

static int n_opts(uint64_t set)
{
    int n = 0;
    for (; set; set &= set - 1)
        n++;
    return n;
}

/* "--lab, --plugin-dir, " for the options in set, in table order. */
static size_t put_names(char *buf, size_t len, uint64_t set)
{
    size_t at = 0;
    for (int i = 0; i < CLI_OPT_COUNT && at < len; i++)
        if (set & (uint64_t)1 << i)
            at += (size_t)snprintf(buf + at, len - at, "--%s, ",
                                   cli_options[i].name);
    return at < len ? at : len;
}

int cli_refuse(const struct cli_entry *e, const int *given, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (cli_options[given[i]].every || e->opts & (uint64_t)1 << given[i])
            continue;
        /* "it takes --duration, ..., -q, -v; " for a command with a few
         * options; a run's are too many for one line (--help lists
         * them). */
        char takes[512] = "";
        if (n_opts(e->opts) <= FEW_OPTS) {
            size_t at = (size_t)snprintf(takes, sizeof takes, "it takes ");
            at += put_names(takes + at, sizeof takes - at, e->opts);
            snprintf(takes + at, sizeof takes - at, "-q, -v; ");
        }
        char title[64];
        cli_title(e, title, sizeof title);
        fprintf(stderr,
                "wattson: %s does not take --%s (%ssee wattson --help)\n",
                title, cli_options[given[i]].name, takes);
        return RUN_USAGE;
    }
    return 0;
}

int cli_usage_error(const char *fmt, const char *arg)
{
    fprintf(stderr, "wattson: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, " (see wattson --help)\n");
    return RUN_USAGE;
}

int cli_lab_cluster(const char *path, const char *why, struct lab **lab)
{
    char err[1024];
    if (lab_load_file(path, lab, err, sizeof err) != 0) {
        fprintf(stderr, "wattson: %s\n", err);
        return RUN_LAB;
    }
    if (!(*lab)->cluster) {
        fprintf(stderr, "wattson: %s: no cluster table (%s)\n", path, why);
        lab_free(*lab);
        *lab = NULL;
        return RUN_LAB;
    }
    return 0;
}

/* Help layout: a command's text starts at CMD_COL, an option's at
 * OPT_COL; a synopsis wraps before WIDTH. */
#define CMD_COL 13
#define OPT_COL 21
#define WIDTH 78

/* text's lines from column col, the cursor being at column at. */
static void put_text(FILE *out, int at, int col, const char *text)
{
    if (at >= col) { /* a space at least between label and text */
        fputc('\n', out);
        at = 0;
    }
    fprintf(out, "%*s", col - at, "");
    for (const char *p = text; *p; p++) {
        fputc(*p, out);
        if (*p == '\n')
            fprintf(out, "%*s", col, "");
    }
    fputc('\n', out);
}

/* "  bench broker [--duration D] [--plugin-dir DIR]..." then its text. */
static void put_command(FILE *out, const struct cli_entry *e)
{
    int at = fprintf(out, "  %s%s%s%s%s", e->name ? e->name : "(no command)",
                     e->sub ? " " : "", e->sub ? e->sub : "",
                     *e->usage ? " " : "", e->usage);
    if (n_opts(e->opts) > FEW_OPTS) {
        /* ...unless the usage places them itself (trace: before "--"). */
        if (!strstr(e->usage, "[OPTIONS]"))
            at += fprintf(out, " [OPTIONS]");
    } else {
        for (int i = 0; i < CLI_OPT_COUNT; i++) {
            if (!(e->opts & (uint64_t)1 << i))
                continue;
            const struct cli_option *o = &cli_options[i];
            int w = 5 + (int)strlen(o->name) +
                    (o->arg ? 1 + (int)strlen(o->arg) : 0) +
                    (o->repeat ? 3 : 0);
            if (at + w > WIDTH)
                at = fprintf(out, "\n%*s", CMD_COL - 1, "") - 1;
            at += fprintf(out, " [--%s%s%s]%s", o->name, o->arg ? " " : "",
                          o->arg ? o->arg : "", o->repeat ? "..." : "");
        }
    }
    put_text(out, at, CMD_COL, e->help);
}

static void put_option(FILE *out, const struct cli_option *o)
{
    int at;
    if (o->short_name)
        at = fprintf(out, "  -%c, --%s%s%s", o->short_name, o->name,
                     o->arg ? " " : "", o->arg ? o->arg : "");
    else
        at = fprintf(out, "  --%s%s%s", o->name, o->arg ? " " : "",
                     o->arg ? o->arg : "");
    put_text(out, at, OPT_COL, o->help);
}

/* A command as the option section of --help names it. */
static void help_name(const struct cli_entry *e, char *buf, size_t len)
{
    if (e->name)
        cli_title(e, buf, len);
    else
        snprintf(buf, len, "the default command");
}

/* Each command's options where it first appears in the table: run's
 * first, then what each later command adds, headed by what it shares
 * with those above; then the options of every command. */
static void put_options(FILE *out)
{
    uint64_t shown = 0;
    for (size_t i = 0; i < N_ENTRIES; i++) {
        const struct cli_entry *e = cli_table[i];
        uint64_t fresh = e->opts & ~shown, also = e->opts & shown;
        if (!fresh)
            continue;
        char title[64], names[512] = "";
        help_name(e, title, sizeof title);
        for (size_t j = 0; j < i && also; j++)
            if (cli_table[j]->opts == also && n_opts(also) > FEW_OPTS) {
                char other[64];
                help_name(cli_table[j], other, sizeof other);
                snprintf(names, sizeof names, "every option of %s", other);
            }
        if (also && !*names) {
            size_t n = put_names(names, sizeof names, also);
            if (n >= 2)
                names[n - 2] = '\0'; /* the last ", " */
        }
        fprintf(out, "\nOptions of %s%s%s%s:\n", title, also ? " (also " : "",
                names, also ? ")" : "");
        for (int k = 0; k < CLI_OPT_COUNT; k++)
            if (fresh & (uint64_t)1 << k)
                put_option(out, &cli_options[k]);
        shown |= fresh;
    }
    fprintf(out, "\nOptions of every command:\n");
    for (int k = 0; k < CLI_OPT_COUNT; k++)
        if (cli_options[k].every)
            put_option(out, &cli_options[k]);
}

void cli_help(FILE *out)
{
    fputs(help_head, out);
    for (size_t i = 0; i < N_ENTRIES; i++)
        put_command(out, cli_table[i]);
    put_options(out);
    fputs(help_tail, out);
}
