/*
 * main - the wattson command line: the command word is looked up in the
 * command table (cmd/cli.h; each command, its usage, help and handler live
 * in cmd/), the options are parsed here into `struct cli_args` and
 * checked against the command's entry, and the entry's handler runs.
 *
 *   wattson [COMMAND] [OPTIONS]     see `wattson --help`, generated from
 *                                   the table
 *
 * Exit codes are those of enum run_exit (run.h), documented in the README.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd/bench.h"
#include "cmd/cli.h"
#include "core/dur.h"
#include "core/isolate.h"
#include "core/log.h"
#include "policies/governors.h"
#include "run/run.h"
#include "tui/term.h"
#include "wattson/plugin.h"

#ifndef WATTSON_VERSION
#define WATTSON_VERSION "0.0.0"
#endif

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

/* Option opt (with its value arg) into a: 0, or RUN_USAGE after one
 * line on stderr for a bad value. */
static int take_option(struct cli_args *a, int opt, const char *arg)
{
    switch (opt) {
    case CLI_OPT_HEADLESS:
        a->headless = 1;
        break;
    case CLI_OPT_CONSOLE:
        a->console = 1;
        break;
    case CLI_OPT_LAB:
        a->run.lab_path = arg;
        break;
    case CLI_OPT_POLICY: {
        const struct policy_ops *gov;
        char gerr[256];
        if (gov_parse(arg, &gov, gerr, sizeof gerr) < 0)
            return cli_usage_error("--policy: %s", gerr);
        a->run.policy = arg;
        break;
    }
    case CLI_OPT_SCENARIO:
        a->scenario = arg;
        break;
    case CLI_OPT_LOAD_SCALE:
        a->load_scale = arg;
        break;
    case CLI_OPT_ED2P:
        a->ed2p = 1;
        break;
    case CLI_OPT_DEVICES:
        a->devices = arg;
        break;
    case CLI_OPT_LINK:
        a->link = arg;
        break;
    case CLI_OPT_JSON:
        a->json = 1;
        break;
    case CLI_OPT_QUICK:
        a->quick = 1;
        break;
    case CLI_OPT_LISTEN:
    case CLI_OPT_CONNECT:
    case CLI_OPT_MODEL:
    case CLI_OPT_MODE:
    case CLI_OPT_REQUESTS:
    case CLI_OPT_DEVICE:
    case CLI_OPT_ZSTD:
    case CLI_OPT_TRANSPORT: {
        const char **to[] = {&a->listen, &a->connect,  &a->model,
                             &a->mode,   &a->requests, &a->device,
                             &a->zstd,   &a->transport};
        if (!*arg)
            return cli_usage_error("--%s: empty", cli_options[opt].name);
        *to[opt - CLI_OPT_LISTEN] = arg;
        break;
    }
    case CLI_OPT_TIMEOUT:
        if (parse_positive_dur("timeout", arg, &a->timeout_s) != 0)
            return RUN_USAGE;
        break;
    case CLI_OPT_METHOD:
        a->method = arg;
        break;
    case CLI_OPT_INPUT:
        a->input = arg;
        break;
    case CLI_OPT_COMPLEXITY:
        a->complexity = arg;
        break;
    case CLI_OPT_SEARCH:
        a->search = arg;
        break;
    case CLI_OPT_WITH:
        if (a->n_with >= BBENCH_MAX_WITH)
            return cli_usage_error("%s", "--with: at most 8 policy files");
        a->with[a->n_with++] = arg;
        break;
    case CLI_OPT_DURATION:
    case CLI_OPT_TICK:
    case CLI_OPT_POLICY_TIME:
    case CLI_OPT_POLICY_CPU: {
        double v;
        if (parse_positive_dur(cli_options[opt].name, arg, &v) != 0)
            return RUN_USAGE;
        if (opt == CLI_OPT_TICK)
            a->run.tick_s = v;
        else if (opt == CLI_OPT_DURATION)
            a->run.duration_s = v;
        else if (opt == CLI_OPT_POLICY_CPU)
            a->run.policy_cpu_time_s = v;
        else
            a->run.policy_time_s = v;
        break;
    }
    case CLI_OPT_POLICY_INSNS:
    case CLI_OPT_POLICY_MEM: {
        char *end;
        double v = strtod(arg, &end);
        double lo = opt == CLI_OPT_POLICY_MEM ? 1 : 1000;
        double hi = opt == CLI_OPT_POLICY_MEM ? 4096 : 1e12;
        if (end == arg || *end || !(v >= lo && v <= hi))
            return cli_usage_error(opt == CLI_OPT_POLICY_MEM
                                       ? "--policy-memory: '%s' is not a "
                                         "number of MiB in [1, 4096]"
                                       : "--policy-instructions: '%s' is "
                                         "not a number in [1000, 1e12]",
                                   arg);
        if (opt == CLI_OPT_POLICY_MEM)
            a->run.policy_mem_bytes = (size_t)(v * 1048576.0);
        else
            a->run.policy_instructions = (uint64_t)v;
        break;
    }
    case CLI_OPT_SEED:
        if (parse_seed(arg, &a->run.seed) != 0)
            return cli_usage_error("--seed: '%s' is not a non-negative "
                                   "integer",
                                   arg);
        a->run.has_seed = 1;
        break;
    case CLI_OPT_OUT:
        a->run.out_path = arg;
        break;
    case CLI_OPT_CSV:
        a->run.csv_path = arg;
        break;
    case CLI_OPT_REALTIME:
        a->run.realtime = 1;
        break;
    case CLI_OPT_ALLOW_WRITES:
        a->run.allow_writes = 1;
        break;
    case CLI_OPT_RUN_DIR:
        if (!*arg)
            return cli_usage_error("%s", "--run-dir: empty directory name");
        a->run.run_dir = arg;
        break;
    case CLI_OPT_DRY_RUN:
        a->dry_run = 1;
        break;
    case CLI_OPT_HOST:
        a->host = 1;
        break;
    case CLI_OPT_PLUGIN_DIR:
        if (a->run.n_plugin_dirs >= CLI_MAX_PLUGIN_DIRS)
            return cli_usage_error("%s", "too many --plugin-dir options");
        a->plugin_dirs[a->run.n_plugin_dirs++] = arg;
        break;
    case CLI_OPT_PROGRESS:
        a->progress = 1;
        break;
    case CLI_OPT_VGPU_SOCKET:
    case CLI_OPT_SOCKET:
        if (!*arg)
            return cli_usage_error("--%s: empty path", cli_options[opt].name);
        if (opt == CLI_OPT_SOCKET)
            a->socket = arg;
        else
            a->run.vgpu_socket = arg;
        break;
    case CLI_OPT_METRICS:
        if (!*arg)
            return cli_usage_error("%s", "--metrics: empty address");
        a->run.metrics = arg;
        break;
    case CLI_OPT_IPC_SOCKET:
    case CLI_OPT_IPC_OUT:
    case CLI_OPT_IPC_REPLAY:
        if (!*arg)
            return cli_usage_error("--%s: empty path", cli_options[opt].name);
        if (opt == CLI_OPT_IPC_SOCKET)
            a->run.ipc_socket = arg;
        else if (opt == CLI_OPT_IPC_OUT)
            a->run.ipc_out = arg;
        else
            a->run.ipc_replay = arg;
        break;
    case CLI_OPT_HOLD:
        if (parse_positive_dur("hold", arg, &a->hold_s) != 0)
            return RUN_USAGE;
        break;
    case CLI_OPT_QUIET:
        a->verbosity = LOG_ERROR;
        break;
    case CLI_OPT_VERBOSE:
        /* -v: informational; -vv: debug (the broker's adjustments) */
        a->verbosity = a->verbosity >= LOG_INFO ? LOG_DEBUG : LOG_INFO;
        break;
    }
    return 0;
}

/* getopt_long's table, from cli_options: an option's value is its short
 * letter, else CLI_OPT_VAL_BASE plus its index (cli_option_of). */
static void getopt_table(struct option *lo, char *shorts)
{
    *shorts++ = ':'; /* a missing value is ':', not '?' */
    for (int i = 0; i < CLI_OPT_COUNT; i++) {
        const struct cli_option *o = &cli_options[i];
        lo[i] = (struct option){
            o->name, o->arg ? required_argument : no_argument, NULL,
            o->short_name ? o->short_name : CLI_OPT_VAL_BASE + i};
        if (o->short_name) {
            *shorts++ = o->short_name;
            if (o->arg) /* -o FILE */
                *shorts++ = ':';
        }
    }
    lo[CLI_OPT_COUNT] = (struct option){NULL, 0, NULL, 0};
    *shorts = '\0';
}

int main(int argc, char **argv)
{
    struct cli_args a = {.progress = -1, .verbosity = LOG_WARN};
    a.run.plugin_dirs = a.plugin_dirs;
    const char *word = NULL;
    if (argc > 1 && argv[1][0] != '-') {
        word = argv[1];
        argv++;
        argc--;
    }
    const struct cli_entry *e = cli_find(word);
    if (!e)
        return cli_usage_error("unknown command '%s'", word);

    struct option long_opts[CLI_OPT_COUNT + 1];
    char shorts[2 * CLI_OPT_COUNT + 2];
    getopt_table(long_opts, shorts);
    /* The options given, first occurrences in command-line order,
     * checked against the command once a sub-command is known. */
    int given[CLI_OPT_COUNT];
    size_t n_given = 0;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, shorts, long_opts, NULL)) != -1) {
        if (c == ':')
            return cli_usage_error("option '%s' needs a value",
                                   argv[optind - 1]);
        int opt = cli_option_of(c);
        if (opt < 0)
            return cli_usage_error("unknown option '%s'", argv[optind - 1]);
        size_t i = 0;
        while (i < n_given && given[i] != opt)
            i++;
        if (i == n_given)
            given[n_given++] = opt;
        if (opt == CLI_OPT_HELP) {
            cli_help(stdout);
            return 0;
        }
        if (opt == CLI_OPT_VERSION) {
            /* A debug build says so: its bench figures are not the
             * machine's (bench warns too). */
            const char *slow = bench_slow_build();
            printf("wattson %s (plugin ABI %d.%d%s%s)\n", WATTSON_VERSION,
                   WATTSON_ABI_MAJOR, WATTSON_ABI_MINOR,
                   slow ? "; debug build: " : "", slow ? slow : "");
            return 0;
        }
        int rc = take_option(&a, opt, optarg);
        if (rc != 0)
            return rc;
    }
    log_set_level(a.verbosity);
    install_fatal_handlers();
    atexit(on_exit_guard);

    /* bench broker: the sub-command is the first operand. */
    const struct cli_entry *sub =
        cli_sub(e, optind < argc ? argv[optind] : NULL);
    if (sub != e)
        optind++;
    int rc = cli_refuse(sub, given, n_given);
    if (rc != 0)
        return rc;
    a.argc = argc - optind;
    a.argv = argv + optind;
    return sub->exec(sub, &a);
}
