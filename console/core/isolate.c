/*
 * isolate - see isolate.h.
 */
#include "core/isolate.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "wattson/plugin.h"

static volatile sig_atomic_t isolate_child;

int isolate_in_child(void)
{
    return isolate_child;
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void child_run(const struct wattson_plugin *desc, void *state,
                      const uint32_t *idx, const double *vals, size_t n, int fd)
{
    isolate_child = 1;
    /* The child dies by a driver's fault, not into wattson's fatal
     * handler (which would restore again, from the child), and no signal
     * the parent was handling when it forked stays blocked. */
    static const int faults[] = {SIGSEGV, SIGBUS,  SIGILL, SIGFPE,
                                 SIGABRT, SIGTRAP, SIGSYS};
    struct sigaction dfl;
    sigset_t none;
    memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    sigemptyset(&dfl.sa_mask);
    for (size_t i = 0; i < sizeof faults / sizeof faults[0]; i++)
        sigaction(faults[i], &dfl, NULL);
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    for (size_t i = 0; i < n; i++) {
        uint32_t k = idx[i];
        double v = vals[i];
        int32_t msg[2] = {(int32_t)i, (int32_t)desc->write(state, &k, &v, 1)};
        /* 8 bytes: atomic on a pipe, so the parent never sees half. */
        if (write(fd, msg, sizeof msg) != (ssize_t)sizeof msg)
            _exit(1);
    }
    _exit(0);
}

/* No child to be had: the writes as they would be without isolation
 * (better than not restoring at all). */
static int write_in_process(const struct wattson_plugin *desc, void *state,
                            const uint32_t *idx, const double *vals, size_t n,
                            int32_t *rc)
{
    for (size_t i = 0; i < n; i++) {
        uint32_t k = idx[i];
        double v = vals[i];
        rc[i] = (int32_t)desc->write(state, &k, &v, 1);
    }
    return 0;
}

int isolate_write(const struct wattson_plugin *desc, void *state,
                  const uint32_t *idx, const double *vals, size_t n,
                  int32_t *rc, int timeout_ms, char *why, size_t whylen)
{
    int p[2];
    for (size_t i = 0; i < n; i++)
        rc[i] = ISOLATE_NOT_RUN;
    if (pipe(p) != 0)
        return write_in_process(desc, state, idx, vals, n, rc);
    /* Not inherited by what a driver might exec. */
    fcntl(p[0], F_SETFD, FD_CLOEXEC);
    fcntl(p[1], F_SETFD, FD_CLOEXEC);
    pid_t pid = fork();
    if (pid < 0) {
        close(p[0]);
        close(p[1]);
        return write_in_process(desc, state, idx, vals, n, rc);
    }
    if (pid == 0) {
        close(p[0]);
        child_run(desc, state, idx, vals, n, p[1]);
    }
    close(p[1]);
    size_t got = 0;
    int timed_out = 0;
    int64_t deadline = now_ms() + timeout_ms;
    unsigned char buf[8];
    size_t have = 0;
    for (;;) {
        int64_t left = deadline - now_ms();
        if (left <= 0) {
            timed_out = 1;
            break;
        }
        struct pollfd pf = {.fd = p[0], .events = POLLIN};
        int pr = poll(&pf, 1, (int)left);
        if (pr < 0 && errno == EINTR)
            continue;
        if (pr <= 0) {
            timed_out = pr == 0;
            break;
        }
        ssize_t r = read(p[0], buf + have, sizeof buf - have);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break; /* EOF: the child is gone */
        have += (size_t)r;
        if (have == sizeof buf) {
            int32_t msg[2];
            for (size_t b = 0; b < sizeof msg; b++)
                ((unsigned char *)msg)[b] = buf[b];
            if (msg[0] >= 0 && (size_t)msg[0] < n) {
                rc[msg[0]] = msg[1];
                got++;
            }
            have = 0;
        }
    }
    close(p[0]);
    if (timed_out)
        kill(pid, SIGKILL);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    if (timed_out) {
        snprintf(why, whylen, "did not finish within %d ms (killed)",
                 timeout_ms);
        return -1;
    }
    if (WIFSIGNALED(status)) {
        snprintf(why, whylen, "crashed (signal %d)", WTERMSIG(status));
        return -1;
    }
    if (WIFEXITED(status) && WEXITSTATUS(status) == ISOLATE_EXIT_CALLED) {
        snprintf(why, whylen, "called exit()");
        return -1;
    }
    if (got < n || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        snprintf(why, whylen, "ended before it finished (status %d)",
                 WIFEXITED(status) ? WEXITSTATUS(status) : -1);
        return -1;
    }
    return 0;
}
