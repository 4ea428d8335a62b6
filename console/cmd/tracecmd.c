/*
 * tracecmd - `wattson trace [--lab LAB] [run options] -- CMD [ARGS...]`:
 * runs CMD with the IPC interception library preloaded
 * (libwattson-ipc.so, plugins/ipcwrap/) and a headless run attached that
 * listens for its events (core/ipcin.h), so the broker sees the messages
 * of CMD's processes as they happen.
 *
 * - The socket is in a private directory (mkdtemp, mode 0700) under
 *   $XDG_RUNTIME_DIR, else /tmp: no other user can reach it, and nothing
 *   of anybody's is replaced.  Both are removed at the end.
 * - CMD gets LD_PRELOAD (the library first, then whatever was set),
 *   WATTSON_IPC_SOCKET and WATTSON_IPC_READS=1 (the library's read side:
 *   receive events, so that a message from a writer the library cannot
 *   see - a stdio writer such as head - still arrives; kept as it is when
 *   the user set it, =0 to turn it off), the default disposition of every
 * signal (wattson ignores SIGPIPE, which a pipeline must not inherit) and an
 * empty signal mask.  Headless, its stdin, stdout and stderr are wattson's: the
 * run's summary goes to stderr, so CMD's output can be piped on unchanged. With
 * --console the terminal is the console's: CMD's stdin is /dev/null and its
 * stdout and stderr come, a line at a time, into the Log pane (the summary goes
 * to stdout once the console closes).
 * - The run lasts until CMD exits (plus TRACE_GRACE_S for its last
 *   events), or for --duration; SIGINT/SIGTERM reach CMD as well from
 *   the terminal.  When the run ends first, CMD goes on, untraced (its
 *   library counts what it cannot send), and trace waits for it.
 * - The exit status is CMD's (128 + N for a signal N), unless the run
 *   could not start or failed: then wattson's own (2, 3, 4, 6; README
 *   "Exit codes").
 * - Default lab: the shipped ipc-pipeline.lua, whose `ipc_procs` places
 *   common pipeline tools on its simulated cores.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cmd/cli.h"
#include "core/log.h"
#include "core/loop.h"
#include "core/paths.h"
#include "tui/tui.h"

/* Time after CMD's exit for its last datagrams to be taken. */
#define TRACE_GRACE_S 0.1

struct trace {
    char **argv;
    const char *sock;
    const char *lib;
    pid_t pid;
    int status, done;
    int console;
    int out[2];  /* --console: CMD's stdout and stderr, into the Log pane */
    int out_reg; /* its loop registration */
    char line[512];
    size_t n;
    struct run *run; /* for the loop's callbacks */
};

static struct trace trace_ctx;

/* The child, between fork and exec: only what execvp needs. */
static void trace_exec(const struct trace *t)
{
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    for (int s = 1; s < NSIG; s++)
        signal(s, SIG_DFL);
    const char *old = getenv("LD_PRELOAD");
    char pre[8192];
    int n = old && *old ? snprintf(pre, sizeof pre, "%s:%s", t->lib, old)
                        : snprintf(pre, sizeof pre, "%s", t->lib);
    if (n < 0 || (size_t)n >= sizeof pre || setenv("LD_PRELOAD", pre, 1) != 0 ||
        setenv("WATTSON_IPC_SOCKET", t->sock, 1) != 0 ||
        setenv("WATTSON_IPC_READS", "1", 0) != 0) {
        fprintf(stderr, "wattson: trace: cannot set the environment\n");
        _exit(127);
    }
    if (t->console) {
        int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
        if (null < 0 || dup2(null, STDIN_FILENO) < 0 ||
            dup2(t->out[1], STDOUT_FILENO) < 0 ||
            dup2(t->out[1], STDERR_FILENO) < 0)
            _exit(126);
    }
    execvp(t->argv[0], t->argv);
    fprintf(stderr, "wattson: trace: %s: %s\n", t->argv[0], strerror(errno));
    _exit(errno == ENOENT ? 127 : 126);
}

/* A wait status as a shell gives it: the exit code, 128 + a signal. */
static int shell_status(int st)
{
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static void trace_reap(struct trace *t)
{
    int st;
    if (t->done || waitpid(t->pid, &st, WNOHANG) != t->pid)
        return;
    t->done = 1;
    t->status = shell_status(st);
    log_msg(LOG_INFO, "trace: %s (pid %ld) exited with %d", t->argv[0],
            (long)t->pid, t->status);
    run_end_soon(t->run, TRACE_GRACE_S);
}

/* --console: CMD's output, a line at a time (a line longer than the
 * buffer in pieces), into the log and so the Log pane. */
static void on_output(void *arg)
{
    struct trace *t = arg;
    char buf[1024];
    ssize_t n = read(t->out[0], buf, sizeof buf);
    int eof = n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR);
    for (ssize_t i = 0; i < n; i++) {
        if (buf[i] == '\n' || t->n == sizeof t->line - 1) {
            log_msg(LOG_INFO, "%s: %.*s", t->argv[0], (int)t->n, t->line);
            t->n = 0;
            if (buf[i] == '\n')
                continue;
        }
        t->line[t->n++] = buf[i];
    }
    if (eof) {
        if (t->n > 0)
            log_msg(LOG_INFO, "%s: %.*s", t->argv[0], (int)t->n, t->line);
        t->n = 0;
        loop_remove(run_event_loop(t->run), t->out_reg);
        t->out_reg = -1;
    }
}

static void on_chld(void *arg)
{
    trace_reap(arg);
}

/* The drive of run_main: starts CMD once the run listens, then ticks. */
static int trace_drive(struct run *r, char *err, size_t errlen)
{
    struct trace *t = &trace_ctx;
    t->run = r;
    if (loop_add_signal(run_event_loop(r), SIGCHLD, on_chld, t) < 0) {
        snprintf(err, errlen, "trace: no event slot left for SIGCHLD");
        return RUN_ERR;
    }
    if (t->console) {
        if (pipe2(t->out, O_CLOEXEC) != 0) {
            snprintf(err, errlen, "trace: pipe: %s", strerror(errno));
            return RUN_ERR;
        }
        fcntl(t->out[0], F_SETFL, O_NONBLOCK);
        t->out_reg = loop_add_fd(run_event_loop(r), t->out[0], on_output, t);
        if (t->out_reg < 0) {
            snprintf(err, errlen, "trace: no event slot left for CMD's output");
            return RUN_ERR;
        }
    }
    fflush(NULL);
    t->pid = fork();
    if (t->pid < 0) {
        snprintf(err, errlen, "trace: fork: %s", strerror(errno));
        return RUN_ERR;
    }
    if (t->pid == 0)
        trace_exec(t);
    if (t->console) {
        close(t->out[1]); /* EOF once CMD and its children are gone */
        t->out[1] = -1;
    }
    /* A child that ended before SIGCHLD's registration took effect. */
    trace_reap(t);
    int rc = t->console ? tui_run(r, err, errlen) : run_loop(r, err, errlen);
    if (t->out_reg >= 0)
        loop_remove(run_event_loop(r), t->out_reg);
    t->out_reg = -1;
    return rc;
}

static int trace_exec_cmd(const struct cli_entry *self, struct cli_args *a)
{
    (void)self;
    if (a->argc < 1)
        return cli_usage_error("%s", "trace needs a command: wattson trace "
                                     "[OPTIONS] -- CMD [ARGS...]");
    struct trace *t = &trace_ctx;
    *t = (struct trace){.argv = a->argv,
                        .pid = -1,
                        .console = a->console,
                        .out = {-1, -1},
                        .out_reg = -1};
    if (t->console && !isatty(STDOUT_FILENO))
        return cli_usage_error("%s", "trace --console needs a terminal on "
                                     "stdout");
    t->lib = paths_ipc_lib();
    if (!t->lib || access(t->lib, R_OK) != 0) {
        fprintf(stderr,
                "wattson: trace: the interception library %s: %s (set "
                "WATTSON_IPC_LIB to an absolute path)\n",
                t->lib ? t->lib : "(none)",
                t->lib ? strerror(errno) : "not found");
        return RUN_PLUGIN;
    }
    const char *rt = getenv("XDG_RUNTIME_DIR");
    char dir[256], sock[300];
    snprintf(dir, sizeof dir, "%s/wattson-trace.XXXXXX",
             rt && rt[0] == '/' && strlen(rt) < 100 ? rt : "/tmp");
    if (!mkdtemp(dir)) {
        fprintf(stderr, "wattson: trace: %s: %s\n", dir, strerror(errno));
        return RUN_IO;
    }
    snprintf(sock, sizeof sock, "%s/ipc.sock", dir);
    t->sock = sock;
    struct run_opts o = a->run;
    o.ipc_socket = sock;
    o.until_quit = 1; /* until CMD exits, or --duration */
    char lab[4096];
    if (!o.lab_path && !o.lab_text && !o.host_lab) {
        snprintf(lab, sizeof lab, "%s/ipc-pipeline.lua", paths_lab_dir());
        o.lab_path = lab;
    }
    o.progress = 0;
    if (t->console && a->verbosity == LOG_WARN)
        log_set_level(LOG_INFO); /* the Log pane shows what -v shows */
    if (t->console)
        tui_log_early();
    int rc = run_main(&o, trace_drive, t->console ? stdout : stderr);
    if (t->out[0] >= 0)
        close(t->out[0]);
    if (t->pid > 0 && !t->done) {
        log_msg(LOG_WARN, "trace: the run ended; waiting for %s (pid %ld)",
                t->argv[0], (long)t->pid);
        int st;
        while (waitpid(t->pid, &st, 0) < 0 && errno == EINTR)
            ;
        t->status = shell_status(st);
        t->done = 1;
    }
    rmdir(dir); /* the socket went with the run */
    if (rc != RUN_OK && rc != RUN_INTERRUPTED)
        return rc;
    return t->done ? t->status : rc;
}

const struct cli_entry tracecmd_entry = {
    .name = "trace",
    .usage = "[OPTIONS] -- CMD [ARGS...]",
    .help = "run CMD with libwattson-ipc.so preloaded and a headless run\n"
            "receiving its processes' message events (default lab:\n"
            "ipc-pipeline.lua); until CMD exits, or for --duration; the\n"
            "summary goes to stderr; exit: CMD's status; --console: the\n"
            "console instead, CMD's output in its Log pane; receive\n"
            "events too (WATTSON_IPC_READS=1 unless set: =0 turns off)",
    .opts = 1u << CLI_OPT_LAB | 1u << CLI_OPT_POLICY | 1u << CLI_OPT_DURATION |
            1u << CLI_OPT_TICK | 1u << CLI_OPT_SEED | 1u << CLI_OPT_OUT |
            1u << CLI_OPT_CSV | 1u << CLI_OPT_PLUGIN_DIR |
            1u << CLI_OPT_CONSOLE | (uint64_t)1 << CLI_OPT_IPC_OUT,
    .exec = trace_exec_cmd,
};
