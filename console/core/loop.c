/*
 * loop - see loop.h.
 */
#include "core/loop.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "core/clock.h"
#include "core/stopsig.h"

/* Signals whose default action ends the process, other than SIGINT,
 * SIGTERM and SIGHUP (which have fields of their own) and the ones that
 * can be raised by a fault in the process itself (SIGSEGV, SIGBUS,
 * SIGILL, SIGFPE, SIGABRT, SIGTRAP, SIGSYS: main.c's emergency restore).
 * Any of them would otherwise kill wattson with the hardware changed, so
 * each stops the run like SIGTERM; so do the real-time signals. */
static const int loop_stop_signals[] = {
    SIGQUIT,   SIGUSR1,   SIGUSR2, SIGALRM, SIGXCPU,
    SIGXFSZ,   SIGVTALRM, SIGPROF, SIGPOLL, SIGPWR,
#ifdef SIGSTKFLT
    SIGSTKFLT,
#endif
};
#define LOOP_N_STOP (sizeof loop_stop_signals / sizeof loop_stop_signals[0])
#define LOOP_MAX_RT 64 /* SIGRTMIN..SIGRTMAX: 31 on Linux */

/* A registered callback; kept in a fixed array so the loop owns them.
 * A slot is free when its event is NULL: loop_remove hands it back, so
 * any number of registrations can come and go (a console session that
 * switches policies all day) as long as no more than LOOP_MAX_EXTRA are
 * live at once.  Live at most: the policy watch (2), the console's
 * keyboard and SIGWINCH (2), SIGHUP (1). */
#define LOOP_MAX_EXTRA 16
struct loop_extra {
    struct event *ev;
    loop_cb cb;
    void *arg;
};

struct loop {
    struct event_base *base;
    struct loop_extra extra[LOOP_MAX_EXTRA];
    struct event *sig_int;
    struct event *sig_term;
    struct event *sig_hup;
    struct event *sig_more[LOOP_N_STOP + LOOP_MAX_RT]; /* the others */
    size_t n_more;
    struct event *timer;
    int signo;
    int stop;
    int failed;
    uint64_t overruns;
    /* wall mode */
    uint64_t start_ns;
    uint64_t period_ns;
    uint64_t k;
    loop_step_fn step;
    void *arg;
};

/* Ticks run between two non-blocking passes over libevent in virtual
 * mode: large enough to cost nothing, small enough that Ctrl-C answers
 * within milliseconds even on a 256-PU lab. */
#define LOOP_VIRTUAL_BATCH 64

static void on_signal(evutil_socket_t fd, short what, void *arg)
{
    struct loop *l = arg;
    (void)what;
    l->signo = (int)fd;
    l->stop = 1;
    event_base_loopbreak(l->base);
}

struct loop *loop_new(char *err, size_t errlen)
{
    struct loop *l = calloc(1, sizeof *l);
    if (!l) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    /* Precise timers (timerfd on Linux): with epoll's millisecond
     * timeouts a timer fired 0.4 to 5 ms late - a local yolov3-tiny
     * inference of 27.9 ms simulated measured 28.4-32.9 ms over 30
     * requests (`offload run --mode local`), 27.86-28.6 ms with them. */
    struct event_config *cfg = event_config_new();
    if (cfg)
        event_config_set_flag(cfg, EVENT_BASE_FLAG_PRECISE_TIMER);
    l->base = cfg ? event_base_new_with_config(cfg) : NULL;
    if (cfg)
        event_config_free(cfg);
    if (!l->base) {
        snprintf(err, errlen, "libevent: cannot create an event base");
        free(l);
        return NULL;
    }
    l->sig_int = evsignal_new(l->base, SIGINT, on_signal, l);
    l->sig_term = evsignal_new(l->base, SIGTERM, on_signal, l);
    l->sig_hup = evsignal_new(l->base, SIGHUP, on_signal, l);
    if (!l->sig_int || !l->sig_term || !l->sig_hup ||
        evsignal_add(l->sig_int, NULL) || evsignal_add(l->sig_term, NULL) ||
        evsignal_add(l->sig_hup, NULL)) {
        snprintf(err, errlen, "libevent: cannot watch SIGINT/SIGTERM/SIGHUP");
        loop_free(l);
        return NULL;
    }
    int more[LOOP_N_STOP + LOOP_MAX_RT];
    size_t n = 0;
    for (size_t i = 0; i < LOOP_N_STOP; i++)
        more[n++] = loop_stop_signals[i];
    for (int s = SIGRTMIN; s <= SIGRTMAX && n < sizeof more / sizeof *more; s++)
        more[n++] = s;
    for (size_t i = 0; i < n; i++) {
        struct event *ev = evsignal_new(l->base, more[i], on_signal, l);
        if (!ev || evsignal_add(ev, NULL)) {
            if (ev)
                event_free(ev);
            snprintf(err, errlen, "libevent: cannot watch signal %d", more[i]);
            loop_free(l);
            return NULL;
        }
        l->sig_more[l->n_more++] = ev;
    }
    /* libevent only runs on_signal between ticks; the flag also reaches a
     * policy call stuck inside one (the sandbox's hook reads it). */
    stopsig_clear();
    int bad = stopsig_watch(SIGINT) || stopsig_watch(SIGTERM);
    for (size_t i = 0; i < n && !bad; i++)
        bad = stopsig_watch(more[i]) != 0;
    if (bad) {
        snprintf(err, errlen, "cannot watch the stop signals");
        loop_free(l);
        return NULL;
    }
    return l;
}

void loop_free(struct loop *l)
{
    if (!l)
        return;
    for (size_t i = 0; i < LOOP_MAX_EXTRA; i++)
        if (l->extra[i].ev)
            event_free(l->extra[i].ev);
    if (l->timer)
        event_free(l->timer);
    if (l->sig_int)
        event_free(l->sig_int);
    if (l->sig_term)
        event_free(l->sig_term);
    if (l->sig_hup)
        event_free(l->sig_hup);
    for (size_t i = 0; i < l->n_more; i++)
        event_free(l->sig_more[i]);
    if (l->base)
        event_base_free(l->base);
    free(l);
}

static void arm(struct loop *l)
{
    uint64_t now = clock_mono_ns();
    uint64_t due = l->start_ns + l->k * l->period_ns;
    if (due < now) {
        /* Behind: skip to the next deadline still in the future. */
        uint64_t late = (now - due) / l->period_ns + 1;
        l->overruns += late;
        l->k += late;
        due = l->start_ns + l->k * l->period_ns;
    }
    uint64_t wait = due - now;
    struct timeval tv = {.tv_sec = (time_t)(wait / 1000000000u),
                         .tv_usec = (suseconds_t)(wait % 1000000000u / 1000)};
    if (evtimer_add(l->timer, &tv) != 0) {
        l->failed = 1;
        event_base_loopbreak(l->base);
    }
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
    struct loop *l = arg;
    (void)fd;
    (void)what;
    if (l->step(l->arg) != 0) {
        l->stop = 1;
        event_base_loopbreak(l->base);
        return;
    }
    l->k++;
    arm(l);
}

int loop_run(struct loop *l, int wall, uint64_t period_ns, loop_step_fn step,
             void *arg)
{
    l->step = step;
    l->arg = arg;
    if (!wall) {
        while (!l->stop) {
            /* A stop signal ends the batch at once; the pass below then
             * runs on_signal. */
            for (int i = 0;
                 i < LOOP_VIRTUAL_BATCH && !l->stop && !stopsig_pending(); i++)
                if (step(arg) != 0)
                    l->stop = 1;
            if (event_base_loop(l->base, EVLOOP_NONBLOCK) < 0)
                return -1;
            if (!l->stop && stopsig_pending()) {
                l->signo = stopsig_pending(); /* not dispatched yet */
                l->stop = 1;
            }
        }
        return 0;
    }
    if (period_ns == 0)
        period_ns = 1;
    l->timer = evtimer_new(l->base, on_timer, l);
    if (!l->timer)
        return -1;
    l->period_ns = period_ns;
    l->start_ns = clock_mono_ns();
    l->k = 1; /* tick 0 (the priming sample) happened at start */
    arm(l);
    while (!l->stop && !l->failed)
        if (event_base_loop(l->base, EVLOOP_ONCE) < 0)
            return -1;
    return l->failed ? -1 : 0;
}

struct event_base *loop_base(struct loop *l)
{
    return l->base;
}

int loop_signal(const struct loop *l)
{
    return l->signo;
}

uint64_t loop_overruns(const struct loop *l)
{
    return l->overruns;
}

static void on_extra(evutil_socket_t fd, short what, void *arg)
{
    struct loop_extra *x = arg;
    (void)fd;
    (void)what;
    x->cb(x->arg);
}

/* Returns the slot's id, or -1. */
static int add_extra(struct loop *l, evutil_socket_t fd, short what,
                     const struct timeval *tv, loop_cb cb, void *arg)
{
    size_t i = 0;
    while (i < LOOP_MAX_EXTRA && l->extra[i].ev)
        i++;
    if (i == LOOP_MAX_EXTRA)
        return -1;
    struct loop_extra *x = &l->extra[i];
    x->cb = cb;
    x->arg = arg;
    x->ev = event_new(l->base, fd, what, on_extra, x);
    if (!x->ev)
        return -1;
    if (event_add(x->ev, tv) != 0) {
        event_free(x->ev);
        x->ev = NULL;
        return -1;
    }
    return (int)i;
}

void loop_remove(struct loop *l, int id)
{
    if (!l || id < 0 || id >= LOOP_MAX_EXTRA || !l->extra[id].ev)
        return;
    /* event_free deletes the event first, also when it is active in this
     * dispatch pass: its callback will not run. */
    event_free(l->extra[id].ev);
    memset(&l->extra[id], 0, sizeof l->extra[id]);
}

size_t loop_n_registered(const struct loop *l)
{
    size_t n = 0;
    for (size_t i = 0; i < LOOP_MAX_EXTRA; i++)
        n += l->extra[i].ev != NULL;
    return n;
}

int loop_add_fd(struct loop *l, int fd, loop_cb cb, void *arg)
{
    return add_extra(l, fd, EV_READ | EV_PERSIST, NULL, cb, arg);
}

int loop_add_timer(struct loop *l, uint64_t period_ns, loop_cb cb, void *arg)
{
    struct timeval tv = {.tv_sec = (time_t)(period_ns / 1000000000u),
                         .tv_usec =
                             (suseconds_t)(period_ns % 1000000000u / 1000)};
    return add_extra(l, -1, EV_PERSIST, &tv, cb, arg);
}

int loop_add_signal(struct loop *l, int signo, loop_cb cb, void *arg)
{
    struct event **stop = signo == SIGINT    ? &l->sig_int
                          : signo == SIGTERM ? &l->sig_term
                          : signo == SIGHUP  ? &l->sig_hup
                                             : NULL;
    if (stop && *stop) {
        event_free(*stop);
        *stop = NULL;
    }
    return add_extra(l, signo, EV_SIGNAL | EV_PERSIST, NULL, cb, arg);
}

int loop_poll(struct loop *l)
{
    return event_base_loop(l->base, EVLOOP_NONBLOCK) < 0 ? -1 : 0;
}
