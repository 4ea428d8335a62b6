/*
 * runcmd - `wattson run` (a headless run of a lab) and the default
 * command (no command word: the console when stdout is a terminal, else
 * the same headless run).  Both are one run object (run/run.h); the
 * console drives its ticks from the TUI instead of run_loop.
 */
#include <unistd.h>

#include "cmd/cli.h"
#include "core/log.h"
#include "tui/tui.h"

/* The options of a run, which both commands take. */
#define RUNCMD_OPTS                                                            \
    (1u << CLI_OPT_HEADLESS | 1u << CLI_OPT_LAB | 1u << CLI_OPT_POLICY |       \
     1u << CLI_OPT_POLICY_TIME | 1u << CLI_OPT_POLICY_CPU |                    \
     1u << CLI_OPT_POLICY_INSNS | 1u << CLI_OPT_POLICY_MEM |                   \
     1u << CLI_OPT_DURATION | 1u << CLI_OPT_TICK | 1u << CLI_OPT_SEED |        \
     1u << CLI_OPT_OUT | 1u << CLI_OPT_CSV | 1u << CLI_OPT_REALTIME |          \
     1u << CLI_OPT_ALLOW_WRITES | 1u << CLI_OPT_RUN_DIR |                      \
     1u << CLI_OPT_PLUGIN_DIR | 1u << CLI_OPT_PROGRESS |                       \
     1u << CLI_OPT_VGPU_SOCKET | (uint64_t)1 << CLI_OPT_IPC_SOCKET |           \
     (uint64_t)1 << CLI_OPT_IPC_OUT | (uint64_t)1 << CLI_OPT_IPC_REPLAY |      \
     (uint64_t)1 << CLI_OPT_METRICS)

/* The progress line is on by default only where someone watches
 * stderr. */
static int headless(struct cli_args *a)
{
    a->run.progress =
        a->progress == 1 || (a->progress < 0 && isatty(STDERR_FILENO));
    return run_headless(&a->run, stdout);
}

static int runcmd_exec(const struct cli_entry *self, struct cli_args *a)
{
    (void)self;
    if (a->argc > 0)
        return cli_usage_error("unexpected argument '%s'", a->argv[0]);
    return headless(a);
}

/* The console: the same run object as `wattson run`, driven by the TUI
 * instead of run_loop; every exit path goes through run_finish/run_free
 * (controls restored) after the terminal is given back.  It runs until
 * the user quits unless --duration is given; the run's summary is
 * printed once the terminal is restored. */
static int console(const struct cli_args *a)
{
    struct run_opts co = a->run;
    co.until_quit = 1;
    /* The log pane shows what -v shows on stderr. */
    if (a->verbosity == LOG_WARN)
        log_set_level(LOG_INFO);
    tui_log_early();
    return run_main(&co, tui_run, stdout);
}

static int default_exec(const struct cli_entry *self, struct cli_args *a)
{
    (void)self;
    if (a->argc > 0)
        return cli_usage_error("unexpected argument '%s'", a->argv[0]);
    if (a->console && a->headless)
        return cli_usage_error("%s", "--console and --headless conflict");
    if (a->console || (!a->headless && isatty(STDOUT_FILENO))) {
        /* The progress line is the headless run's; the console has a
         * header instead. */
        if (a->progress == 1)
            return cli_usage_error("%s",
                                   "the console does not take --progress; "
                                   "a headless run does (--headless)");
        return console(a);
    }
    return headless(a);
}

const struct cli_entry runcmd_entry = {
    .name = "run",
    .usage = "",
    .help = "run a lab headless and print its summary as JSON",
    .opts = RUNCMD_OPTS,
    .exec = runcmd_exec,
};

const struct cli_entry runcmd_default_entry = {
    .name = NULL,
    .usage = "",
    .help = "the interactive console when stdout is a terminal (press ? in\n"
            "it for the keys), otherwise a headless run.  The console runs\n"
            "until you quit (q) unless --duration is given, then prints\n"
            "the run's summary.",
    .opts = RUNCMD_OPTS | 1u << CLI_OPT_CONSOLE,
    .exec = default_exec,
};
