/*
 * stopsig - see stopsig.h.
 */
#include "core/stopsig.h"

#include <errno.h>
#include <signal.h>
#include <stddef.h>

#define STOPSIG_MAX                                                            \
    64 /* SIGINT, SIGTERM, loop.c's other stop signals and the RT ones */

/* The handler each watched signal had before ours: ours calls it. */
struct stopsig_slot {
    int signo;
    struct sigaction next;
};

static volatile sig_atomic_t stopsig_flag;
static struct stopsig_slot stopsig_slots[STOPSIG_MAX];
static size_t stopsig_n;

static void stopsig_handler(int signo, siginfo_t *info, void *uc)
{
    int saved = errno;
    stopsig_flag = signo;
    for (size_t i = 0; i < stopsig_n; i++) {
        const struct sigaction *n = &stopsig_slots[i].next;
        if (stopsig_slots[i].signo != signo)
            continue;
        if (n->sa_flags & SA_SIGINFO)
            n->sa_sigaction(signo, info, uc);
        else if (n->sa_handler != SIG_DFL && n->sa_handler != SIG_IGN)
            n->sa_handler(signo);
        break;
    }
    errno = saved;
}

int stopsig_watch(int signo)
{
    struct sigaction cur, sa;
    struct stopsig_slot *slot = NULL;

    if (sigaction(signo, NULL, &cur) != 0)
        return -1;
    if ((cur.sa_flags & SA_SIGINFO) && cur.sa_sigaction == stopsig_handler)
        return 0; /* already in front: chaining again would loop */
    for (size_t i = 0; i < stopsig_n; i++)
        if (stopsig_slots[i].signo == signo)
            slot = &stopsig_slots[i];
    if (!slot) {
        if (stopsig_n == STOPSIG_MAX)
            return -1;
        slot = &stopsig_slots[stopsig_n];
    }
    /* Block the signal while its slot changes, so the handler never sees
     * half a struct. */
    sigset_t block, old;
    sigemptyset(&block);
    sigaddset(&block, signo);
    sigprocmask(SIG_BLOCK, &block, &old);
    slot->signo = signo;
    slot->next = cur;
    if (slot == &stopsig_slots[stopsig_n])
        stopsig_n++;
    sa = cur;
    sa.sa_flags = (cur.sa_flags & SA_RESTART) | SA_SIGINFO;
    sa.sa_sigaction = stopsig_handler;
    int rc = sigaction(signo, &sa, NULL);
    sigprocmask(SIG_SETMASK, &old, NULL);
    return rc == 0 ? 0 : -1;
}

int stopsig_pending(void)
{
    return (int)stopsig_flag;
}

void stopsig_clear(void)
{
    stopsig_flag = 0;
}
