/*
 * ofrelay - wattson-ofrelay, the impairment relay of the offload
 * protocol's network testbed (issue 18; scripts/ofnet.sh starts it).  The
 * kernel here has no netem qdisc, so delay, jitter and loss are made in
 * user space: a layer-2 bridge between two interfaces of a middle network
 * namespace (veth ends with no address), every frame read from one with an
 * AF_PACKET/SOCK_RAW socket (ETH_P_ALL, promiscuous) and written to the
 * other after its impairment.  TCP between the two outer namespaces then
 * sees real loss, delay and reordering and retransmits for real.
 *
 *   wattson-ofrelay [--delay D] [--jitter J] [--loss P] [--loss-burst S]
 *       [--rate BPS] [--seed N] [--reorder] [--limit N] [--stats FILE]
 *       [--control FILE] [--pidfile FILE] [--check] IF_A IF_B
 *
 * The settings and their values: tools/ofrcfg.h.  The model of one
 * direction, in the order a frame meets it:
 *   1. loss: independent with probability `loss`, and the Gilbert-Elliott
 *      channel's state decides a second, bursty loss (ofrcfg.h);
 *   2. delay: due = arrival + delay + U(-jitter, +jitter), at least the
 *      arrival; without --reorder also at least the previous frame's due
 *      time, so frames leave in order (jitter as a real queue makes it);
 *   3. rate (optional): a frame starts serialising at max(due, the end of
 *      the previous one) and leaves after its bits at `rate`;
 *   4. the queue holds at most --limit frames a direction; a frame that
 *      finds it full is dropped at the tail.
 * Frames wait in a min-heap a direction ordered by (due, arrival order),
 * its slots allocated once at start; the loop is a ppoll on the two
 * sockets with the earliest due time as its timeout.  Frames the relay
 * itself sends come back to its sockets as PACKET_OUTGOING and are
 * ignored (PACKET_IGNORE_OUTGOING where the kernel has it), or it would
 * loop.  Frames longer than OFR_FRAME_MAX (the testbed's veths have a
 * 1500-byte MTU and no offloads: ofnet.sh turns them off) are dropped and
 * counted.
 *
 * Random draws: splitmix64 (Steele, Lea, Flood 2014, "Fast splittable
 * pseudorandom number generators"), one stream a direction for losses and
 * one for jitter, all from --seed: the same seed and the same frames give
 * the same drops whatever the timing.
 *
 * Signals: SIGHUP rereads --control (a bad file changes nothing and is
 * counted as reload_errors, its reason on stderr), SIGUSR1 writes --stats,
 * SIGTERM and SIGINT end the relay.  The stats are "key=value" lines,
 * written (atomically: a temporary file renamed) on SIGUSR1, after each
 * reload and at exit, and printed on stderr at exit; `seq` counts the
 * writes and `reloads` the rereads, so a script can wait for its own.
 * Per direction (ab_, ba_): in, out, lost (the loss models), qdrop (queue
 * full), oversize, txerr (the send failed), dropped (their sum), queued
 * (now), bytes_in, bytes_out, kdrop (frames the kernel dropped before the
 * relay read them: PACKET_STATISTICS).
 *
 * Exit: 0 on SIGTERM/SIGINT; 1 when a socket or file fails (a message on
 * stderr); 2 on a bad command line (one line).
 */
#define _GNU_SOURCE
#include "tools/ofrcfg.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define OFR_FRAME_MAX 2048 /* bytes: an Ethernet frame of a 1500-byte MTU */
#define OFR_RCVBUF (4 << 20)
#define OFR_BATCH 256 /* frames read a wakeup before the timers run */
#define OFR_CONTROL_MAX 8192

struct ofr_frame {
    uint64_t due_ns, order;
    uint16_t len;
    unsigned char data[OFR_FRAME_MAX];
};

struct ofr_counts {
    unsigned long long in, out, lost, qdrop, oversize, txerr, bytes_in,
        bytes_out, kdrop;
};

/* One direction: the frames read on `from`'s socket, sent on `to`'s. */
struct ofr_q {
    struct ofr_frame *slot; /* limit slots */
    uint32_t *heap;         /* indices into slot, a min-heap */
    uint32_t *freel;        /* free slot indices, a stack */
    unsigned n, nfree;
    uint64_t order, last_due, link_free;
    uint64_t rng_loss, rng_jit;
    int bad; /* the Gilbert-Elliott channel's state */
    struct ofr_counts c;
};

static volatile sig_atomic_t ofr_stop, ofr_hup, ofr_usr1;

static void ofr_on_signal(int sig)
{
    if (sig == SIGHUP)
        ofr_hup = 1;
    else if (sig == SIGUSR1)
        ofr_usr1 = 1;
    else
        ofr_stop = 1;
}

static uint64_t ofr_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t ofr_splitmix(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* Uniform in [0, 1) with 53 bits. */
static double ofr_unit(uint64_t *s)
{
    return (double)(ofr_splitmix(s) >> 11) * 0x1p-53;
}

static int ofr_before(const struct ofr_q *q, uint32_t a, uint32_t b)
{
    const struct ofr_frame *x = &q->slot[a], *y = &q->slot[b];
    return x->due_ns < y->due_ns ||
           (x->due_ns == y->due_ns && x->order < y->order);
}

static void ofr_heap_push(struct ofr_q *q, uint32_t idx)
{
    unsigned i = q->n++;
    q->heap[i] = idx;
    while (i > 0) {
        unsigned p = (i - 1) / 2;
        if (!ofr_before(q, q->heap[i], q->heap[p]))
            break;
        uint32_t t = q->heap[i];
        q->heap[i] = q->heap[p];
        q->heap[p] = t;
        i = p;
    }
}

static uint32_t ofr_heap_pop(struct ofr_q *q)
{
    uint32_t top = q->heap[0];
    q->heap[0] = q->heap[--q->n];
    unsigned i = 0;
    for (;;) {
        unsigned l = 2 * i + 1, r = l + 1, m = i;
        if (l < q->n && ofr_before(q, q->heap[l], q->heap[m]))
            m = l;
        if (r < q->n && ofr_before(q, q->heap[r], q->heap[m]))
            m = r;
        if (m == i)
            break;
        uint32_t t = q->heap[i];
        q->heap[i] = q->heap[m];
        q->heap[m] = t;
        i = m;
    }
    return top;
}

static int ofr_q_init(struct ofr_q *q, unsigned limit, uint64_t seed, int dir)
{
    memset(q, 0, sizeof *q);
    q->slot = calloc(limit, sizeof *q->slot);
    q->heap = calloc(limit, sizeof *q->heap);
    q->freel = calloc(limit, sizeof *q->freel);
    if (!q->slot || !q->heap || !q->freel)
        return -1;
    for (unsigned i = 0; i < limit; i++)
        q->freel[i] = limit - 1 - i;
    q->nfree = limit;
    /* Four distinct streams from one seed: direction x (loss, jitter). */
    q->rng_loss = seed ^ (0x6a09e667f3bcc908ull * (uint64_t)(2 * dir + 1));
    q->rng_jit = seed ^ (0xbb67ae8584caa73bull * (uint64_t)(2 * dir + 2));
    return 0;
}

static void ofr_q_free(struct ofr_q *q)
{
    free(q->slot);
    free(q->heap);
    free(q->freel);
}

/* The loss models' verdict on the next frame: 1 lost.  The channel's
 * state decides this frame, then moves. */
static int ofr_lose(struct ofr_q *q, const struct ofr_dir *d)
{
    int lost = 0;
    if (d->loss > 0 && ofr_unit(&q->rng_loss) < d->loss)
        lost = 1;
    if (d->ge.on) {
        double p = q->bad ? d->ge.loss_bad : d->ge.loss_good;
        if (p > 0 && ofr_unit(&q->rng_loss) < p)
            lost = 1;
        double move = q->bad ? d->ge.p_bg : d->ge.p_gb;
        if (move > 0 && ofr_unit(&q->rng_loss) < move)
            q->bad = !q->bad;
    }
    return lost;
}

/* A frame of len bytes read at now into q (its bytes already in the free
 * slot on top of the free stack, see ofr_read). */
static void ofr_admit(struct ofr_q *q, const struct ofr_dir *d, int reorder,
                      uint64_t now, size_t len)
{
    q->c.in++;
    q->c.bytes_in += len;
    if (len > OFR_FRAME_MAX) {
        q->c.oversize++;
        return;
    }
    if (ofr_lose(q, d)) {
        q->c.lost++;
        return;
    }
    if (q->nfree == 0) {
        q->c.qdrop++;
        return;
    }
    double extra = d->delay_s;
    if (d->jitter_s > 0)
        extra += d->jitter_s * (2.0 * ofr_unit(&q->rng_jit) - 1.0);
    uint64_t due = now + (extra > 0 ? (uint64_t)(extra * 1e9) : 0);
    if (!reorder && due < q->last_due)
        due = q->last_due;
    if (d->rate_bps > 0) {
        uint64_t start = due > q->link_free ? due : q->link_free;
        due = start + (uint64_t)((double)len * 8.0 / d->rate_bps * 1e9);
        q->link_free = due;
    }
    if (due > q->last_due)
        q->last_due = due;
    uint32_t idx = q->freel[--q->nfree];
    struct ofr_frame *f = &q->slot[idx];
    f->due_ns = due;
    f->order = q->order++;
    f->len = (uint16_t)len;
    ofr_heap_push(q, idx);
}

/* Reads what is waiting on fd (at most OFR_BATCH frames) into q.  The
 * frame goes straight into the next free slot (or a scratch buffer when
 * none is free), so nothing is copied twice.  -1 on a socket error. */
static int ofr_read(int fd, struct ofr_q *q, const struct ofr_dir *d,
                    int reorder)
{
    static unsigned char scratch[OFR_FRAME_MAX];
    for (int k = 0; k < OFR_BATCH; k++) {
        unsigned char *buf =
            q->nfree ? q->slot[q->freel[q->nfree - 1]].data : scratch;
        struct sockaddr_ll from;
        socklen_t fl = sizeof from;
        ssize_t r = recvfrom(fd, buf, OFR_FRAME_MAX, MSG_TRUNC,
                             (struct sockaddr *)&from, &fl);
        if (r < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
                return 0;
            return -1;
        }
        if (from.sll_pkttype == PACKET_OUTGOING)
            continue;
        ofr_admit(q, d, reorder, ofr_now_ns(), (size_t)r);
    }
    return 0;
}

/* Sends every frame of q due by now on fd. */
static void ofr_flush(int fd, struct ofr_q *q, uint64_t now)
{
    while (q->n > 0 && q->slot[q->heap[0]].due_ns <= now) {
        uint32_t idx = ofr_heap_pop(q);
        struct ofr_frame *f = &q->slot[idx];
        if (send(fd, f->data, f->len, MSG_DONTWAIT) == (ssize_t)f->len) {
            q->c.out++;
            q->c.bytes_out += f->len;
        } else {
            q->c.txerr++;
        }
        q->freel[q->nfree++] = idx;
    }
}

static int ofr_open(const char *ifname)
{
    unsigned ifindex = if_nametoindex(ifname);
    if (ifindex == 0) {
        fprintf(stderr, "ofrelay: no interface '%s': %s\n", ifname,
                strerror(errno));
        return -1;
    }
    int fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC,
                    htons(ETH_P_ALL));
    if (fd < 0) {
        fprintf(stderr, "ofrelay: packet socket: %s\n", strerror(errno));
        return -1;
    }
    struct sockaddr_ll sll = {.sll_family = AF_PACKET,
                              .sll_protocol = htons(ETH_P_ALL),
                              .sll_ifindex = (int)ifindex};
    struct packet_mreq mr = {.mr_ifindex = (int)ifindex,
                             .mr_type = PACKET_MR_PROMISC};
    int rcv = OFR_RCVBUF, one = 1;
    if (bind(fd, (struct sockaddr *)&sll, sizeof sll) != 0 ||
        setsockopt(fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mr, sizeof mr) !=
            0) {
        fprintf(stderr, "ofrelay: binding to '%s': %s\n", ifname,
                strerror(errno));
        close(fd);
        return -1;
    }
    /* Best effort: a larger buffer (root may exceed rmem_max) and the
     * kernel filtering our own frames; ofr_read checks them anyway. */
    if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcv, sizeof rcv) != 0)
        (void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof rcv);
#ifdef PACKET_IGNORE_OUTGOING
    (void)setsockopt(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof one);
#else
    (void)one;
#endif
    /* Frames queued before the bind (from any interface) are not ours. */
    unsigned char junk[16];
    while (recv(fd, junk, sizeof junk, MSG_DONTWAIT | MSG_TRUNC) >= 0)
        ;
    return fd;
}

/* The kernel's drops on fd since the last call (the counter resets). */
static unsigned long long ofr_kdrops(int fd)
{
    struct tpacket_stats st;
    socklen_t len = sizeof st;
    if (getsockopt(fd, SOL_PACKET, PACKET_STATISTICS, &st, &len) != 0)
        return 0;
    return st.tp_drops;
}

struct ofr_relay {
    struct ofr_cfg cfg;
    struct ofr_q q[OFR_NDIR];
    int fd[2];
    unsigned long long seq, reloads, reload_errors;
};

static void ofr_put_counts(FILE *f, const char *p, const struct ofr_counts *c,
                           unsigned queued)
{
    fprintf(f,
            "%s_in=%llu\n%s_out=%llu\n%s_lost=%llu\n%s_qdrop=%llu\n"
            "%s_oversize=%llu\n%s_txerr=%llu\n%s_dropped=%llu\n"
            "%s_queued=%u\n%s_bytes_in=%llu\n%s_bytes_out=%llu\n"
            "%s_kdrop=%llu\n",
            p, c->in, p, c->out, p, c->lost, p, c->qdrop, p, c->oversize, p,
            c->txerr, p, c->lost + c->qdrop + c->oversize + c->txerr, p, queued,
            p, c->bytes_in, p, c->bytes_out, p, c->kdrop);
}

static void ofr_put_stats(FILE *f, const struct ofr_relay *r)
{
    fprintf(f, "seq=%llu\nreloads=%llu\nreload_errors=%llu\n", r->seq,
            r->reloads, r->reload_errors);
    ofr_put_counts(f, "ab", &r->q[OFR_AB].c, r->q[OFR_AB].n);
    ofr_put_counts(f, "ba", &r->q[OFR_BA].c, r->q[OFR_BA].n);
}

/* Writes --stats atomically (FILE.tmp renamed over FILE). */
static int ofr_write_stats(struct ofr_relay *r)
{
    r->q[OFR_AB].c.kdrop += ofr_kdrops(r->fd[0]);
    r->q[OFR_BA].c.kdrop += ofr_kdrops(r->fd[1]);
    r->seq++;
    if (!r->cfg.stats)
        return 0;
    char tmp[4096];
    if (snprintf(tmp, sizeof tmp, "%s.tmp", r->cfg.stats) >= (int)sizeof tmp)
        return -1;
    FILE *f = fopen(tmp, "w");
    if (!f) {
        fprintf(stderr, "ofrelay: %s: %s\n", tmp, strerror(errno));
        return -1;
    }
    ofr_put_stats(f, r);
    if (fclose(f) != 0 || rename(tmp, r->cfg.stats) != 0) {
        fprintf(stderr, "ofrelay: %s: %s\n", r->cfg.stats, strerror(errno));
        return -1;
    }
    return 0;
}

/* SIGHUP: the control file applied on top of the current settings. */
static void ofr_reload(struct ofr_relay *r)
{
    static char text[OFR_CONTROL_MAX + 1];
    char err[320];
    r->reloads++;
    if (!r->cfg.control) {
        fprintf(stderr, "ofrelay: SIGHUP without --control: nothing to "
                        "reread\n");
        r->reload_errors++;
        return;
    }
    int fd = open(r->cfg.control, O_RDONLY | O_CLOEXEC);
    ssize_t n = fd < 0 ? -1 : read(fd, text, OFR_CONTROL_MAX + 1);
    int saved = errno;
    if (fd >= 0)
        close(fd);
    if (n < 0 || n > OFR_CONTROL_MAX) {
        fprintf(stderr, "ofrelay: %s: %s\n", r->cfg.control,
                n < 0 ? strerror(saved) : "larger than 8 KiB");
        r->reload_errors++;
        return;
    }
    text[n] = '\0';
    if (memchr(text, '\0', (size_t)n) ||
        ofrcfg_text(&r->cfg, text, r->cfg.control, err, sizeof err) != 0) {
        fprintf(stderr, "ofrelay: %s\n",
                memchr(text, '\0', (size_t)n) ? "control file has a NUL byte"
                                              : err);
        r->reload_errors++;
    }
}

static int ofr_pidfile(const char *path)
{
    char tmp[4096];
    if (snprintf(tmp, sizeof tmp, "%s.tmp", path) >= (int)sizeof tmp)
        return -1;
    FILE *f = fopen(tmp, "w");
    if (!f)
        return -1;
    fprintf(f, "%ld\n", (long)getpid());
    if (fclose(f) != 0)
        return -1;
    return rename(tmp, path);
}

static void ofr_usage(FILE *f)
{
    fputs("usage: wattson-ofrelay [--delay D] [--jitter J] [--loss P] "
          "[--loss-burst P_GB,P_BG[,LOSS_B[,LOSS_G]]] [--rate BPS] "
          "[--seed N] [--reorder] [--limit N] [--stats FILE] "
          "[--control FILE] [--pidfile FILE] [--check] IF_A IF_B\n"
          "  a setting's value may start with ab: or ba: (one direction)\n",
          f);
}

/* The earliest due time of both queues as a ppoll timeout (NULL: none). */
static struct timespec *ofr_timeout(const struct ofr_relay *r, uint64_t now,
                                    struct timespec *ts)
{
    uint64_t next = UINT64_MAX;
    for (int d = 0; d < OFR_NDIR; d++)
        if (r->q[d].n > 0 && r->q[d].slot[r->q[d].heap[0]].due_ns < next)
            next = r->q[d].slot[r->q[d].heap[0]].due_ns;
    if (next == UINT64_MAX)
        return NULL;
    uint64_t wait = next > now ? next - now : 0;
    ts->tv_sec = (time_t)(wait / 1000000000u);
    ts->tv_nsec = (long)(wait % 1000000000u);
    return ts;
}

static int ofr_loop(struct ofr_relay *r)
{
    sigset_t none;
    sigemptyset(&none);
    while (!ofr_stop) {
        uint64_t now = ofr_now_ns();
        ofr_flush(r->fd[1], &r->q[OFR_AB], now);
        ofr_flush(r->fd[0], &r->q[OFR_BA], now);
        struct timespec ts;
        struct pollfd pfd[2] = {{.fd = r->fd[0], .events = POLLIN},
                                {.fd = r->fd[1], .events = POLLIN}};
        int n = ppoll(pfd, 2, ofr_timeout(r, now, &ts), &none);
        if (n < 0 && errno != EINTR) {
            fprintf(stderr, "ofrelay: ppoll: %s\n", strerror(errno));
            return -1;
        }
        if (ofr_hup) {
            ofr_hup = 0;
            ofr_reload(r);
            (void)ofr_write_stats(r);
        }
        if (ofr_usr1) {
            ofr_usr1 = 0;
            (void)ofr_write_stats(r);
        }
        for (int s = 0; n > 0 && s < 2; s++) {
            if (!(pfd[s].revents & (POLLIN | POLLERR)))
                continue;
            /* side 0 (A) feeds ab, side 1 (B) feeds ba */
            if (ofr_read(r->fd[s], &r->q[s], &r->cfg.dir[s], r->cfg.reorder) !=
                0) {
                fprintf(stderr, "ofrelay: reading %s: %s\n",
                        s ? r->cfg.if_b : r->cfg.if_a, strerror(errno));
                return -1;
            }
        }
    }
    return 0;
}

int main(int argc, char **argv)
{
    static struct ofr_relay r;
    char err[320];
    ofrcfg_init(&r.cfg);
    int a = ofrcfg_args(&r.cfg, argc, argv, err, sizeof err);
    if (a == 1) {
        ofr_usage(stdout);
        return 0;
    }
    if (a != 0) {
        fprintf(stderr, "wattson-ofrelay: %s (--help for usage)\n", err);
        return 2;
    }
    if (r.cfg.check)
        return 0;
    /* The signals are blocked but inside ppoll, so one that arrives
     * between two checks of the flags still wakes the loop. */
    sigset_t block;
    sigemptyset(&block);
    int sigs[] = {SIGTERM, SIGINT, SIGHUP, SIGUSR1};
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = ofr_on_signal;
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
        sigaddset(&block, sigs[i]);
        sigaction(sigs[i], &sa, NULL);
    }
    sigprocmask(SIG_BLOCK, &block, NULL);

    int rc = 1;
    r.fd[0] = r.fd[1] = -1;
    for (int d = 0; d < OFR_NDIR; d++)
        if (ofr_q_init(&r.q[d], r.cfg.limit, r.cfg.seed, d) != 0) {
            fprintf(stderr, "ofrelay: out of memory for %u frames\n",
                    r.cfg.limit);
            goto out;
        }
    r.fd[0] = ofr_open(r.cfg.if_a);
    r.fd[1] = r.fd[0] < 0 ? -1 : ofr_open(r.cfg.if_b);
    if (r.fd[1] < 0)
        goto out;
    if (r.cfg.pidfile && ofr_pidfile(r.cfg.pidfile) != 0) {
        fprintf(stderr, "ofrelay: %s: %s\n", r.cfg.pidfile, strerror(errno));
        goto out;
    }
    if (ofr_write_stats(&r) != 0)
        goto out;
    rc = ofr_loop(&r) == 0 ? 0 : 1;
    if (ofr_write_stats(&r) != 0)
        rc = 1;
    ofr_put_stats(stderr, &r);
out:
    for (int s = 0; s < 2; s++)
        if (r.fd[s] >= 0)
            close(r.fd[s]);
    for (int d = 0; d < OFR_NDIR; d++)
        ofr_q_free(&r.q[d]);
    return rc;
}
