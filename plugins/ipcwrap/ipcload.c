/*
 * ipcload - wattson-ipcload, the workload of `wattson bench ipc`
 * (console/cmd/ibench.c, issue 17's bench): a real second process and
 * COUNT round trips of SIZE-byte messages over one IPC transport, the
 * program that libwattson-ipc.so (ipcwrap.c) is preloaded into.  Built
 * without the sanitizers, like the library: a sanitized program refuses a
 * library preloaded ahead of ASan.
 *
 *   wattson-ipcload pipe|unix|tcp SIZE COUNT
 *
 *   pipe   ping-pong over two pipes;
 *   unix   echo over a Unix stream socket bound in a private temporary
 *          directory (a named socket rather than a socketpair, so that
 *          the library can name both ends: SO_PEERCRED of a socketpair
 *          names its creator);
 *   tcp    echo over loopback TCP (127.0.0.1, an ephemeral port,
 *          TCP_NODELAY so that Nagle's algorithm does not hold a
 *          message's last segment for the peer's delayed ACK).
 * The parent sends, a forked child echoes each message back, the parent
 * checks every byte of the echo against what it sent.  Pipes are written
 * with write(2), sockets with send(2), both read with read/recv and every
 * partial transfer completed in a loop (the kernel splits 64 KiB).  No
 * stdio on the message path: the library sees only the interposable
 * write/send symbols, not libc's internal calls.
 *
 * The payload: message k is PATTERN[k % 251 ...], a slice of one
 * deterministic buffer (byte i = (i * 7 + i / 251) % 256), so the check is
 * a memcmp and the messages differ from one another.
 *
 * Output, one line on stdout after the peer has exited:
 *   mode=pipe size=4096 count=20000 ns=123456789 writes=40000
 *   bytes=163840000 lost=0
 * ns: the loop alone (CLOCK_MONOTONIC, from the first send to the last
 * echo's last byte); writes: the successful write/send calls of both
 * processes (each one event the library should report); bytes: what they
 * wrote; lost: bytes of the echo that differed or never came.  The child
 * reports its writes and errors through a shared anonymous mapping, not a
 * pipe: a write on a pipe would itself be an event.  Exit 0; 1 on lost
 * data or a failed call (a message on stderr); 2 on a bad command line.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define IPCL_MAX_SIZE (16u << 20)
#define IPCL_SHIFTS 251 /* message k starts at k % IPCL_SHIFTS */

enum ipcl_mode { IPCL_PIPE, IPCL_UNIX, IPCL_TCP };

/* What the peer tells the parent (MAP_SHARED). */
struct ipcl_peer {
    uint64_t writes;
    uint64_t bytes;
    int err; /* errno of a failed call, or -1: EOF before a whole message */
};

/* One end: the fd written and the fd read (the same for a socket). */
struct ipcl_end {
    int wfd, rfd, sock;
    uint64_t writes, bytes;
};

static void ipcl_fail(const char *what)
{
    fprintf(stderr, "wattson-ipcload: %s: %s\n", what, strerror(errno));
    exit(1);
}

/* n bytes from buf, completing partial writes; 0 or -1 (errno). */
static int ipcl_send(struct ipcl_end *e, const unsigned char *buf, size_t n)
{
    while (n) {
        ssize_t k = e->sock ? send(e->wfd, buf, n, MSG_NOSIGNAL)
                            : write(e->wfd, buf, n);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return -1;
        e->writes++;
        e->bytes += (uint64_t)k;
        buf += k;
        n -= (size_t)k;
    }
    return 0;
}

/* n bytes into buf; the bytes read (less than n at EOF), or -1. */
static ssize_t ipcl_recv(struct ipcl_end *e, unsigned char *buf, size_t n)
{
    size_t got = 0;
    while (got < n) {
        ssize_t k = e->sock ? recv(e->rfd, buf + got, n - got, 0)
                            : read(e->rfd, buf + got, n - got);
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0)
            return -1;
        if (k == 0)
            break;
        got += (size_t)k;
    }
    return (ssize_t)got;
}

/* The child: echo count messages, then report. */
static void ipcl_echo(struct ipcl_end *e, size_t size, uint64_t count,
                      struct ipcl_peer *rep)
{
    unsigned char *buf = malloc(size);
    int err = buf ? 0 : ENOMEM;
    for (uint64_t k = 0; k < count && !err; k++) {
        ssize_t got = ipcl_recv(e, buf, size);
        if (got != (ssize_t)size)
            err = got < 0 ? errno : -1;
        else if (ipcl_send(e, buf, size) < 0)
            err = errno;
    }
    rep->writes = e->writes;
    rep->bytes = e->bytes;
    rep->err = err;
    free(buf);
    /* _exit: the library's wrapper sends this process's last batch */
    _exit(err ? 1 : 0);
}

static int64_t ipcl_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int ipcl_parse(const char *s, unsigned long long max,
                      unsigned long long *v)
{
    char *end;
    errno = 0;
    *v = strtoull(s, &end, 10);
    return s[0] >= '0' && s[0] <= '9' && !*end && !errno && *v >= 1 && *v <= max
               ? 0
               : -1;
}

/* A listening socket of the mode's family; the child connects to addr. */
static int ipcl_listen(enum ipcl_mode m, struct sockaddr_storage *addr,
                       socklen_t *alen, char *dir)
{
    int fd;
    if (m == IPCL_UNIX) {
        struct sockaddr_un *u = (struct sockaddr_un *)addr;
        memset(u, 0, sizeof *u);
        u->sun_family = AF_UNIX;
        if (!mkdtemp(dir))
            ipcl_fail("mkdtemp");
        snprintf(u->sun_path, sizeof u->sun_path, "%s/s", dir);
        *alen = sizeof *u;
        fd = socket(AF_UNIX, SOCK_STREAM, 0);
    } else {
        struct sockaddr_in *in = (struct sockaddr_in *)addr;
        memset(in, 0, sizeof *in);
        in->sin_family = AF_INET;
        in->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        *alen = sizeof *in;
        fd = socket(AF_INET, SOCK_STREAM, 0);
    }
    if (fd < 0 || bind(fd, (struct sockaddr *)addr, *alen) < 0 ||
        listen(fd, 1) < 0 || getsockname(fd, (struct sockaddr *)addr, alen))
        ipcl_fail("listen");
    return fd;
}

static void ipcl_nodelay(enum ipcl_mode m, int fd)
{
    int one = 1;
    if (m == IPCL_TCP &&
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) < 0)
        ipcl_fail("TCP_NODELAY");
}

int main(int argc, char **argv)
{
    static const char *const names[] = {"pipe", "unix", "tcp"};
    unsigned long long size, count;
    int m = -1;
    for (int i = 0; argc == 4 && i < 3; i++)
        if (strcmp(argv[1], names[i]) == 0)
            m = i;
    if (m < 0 || ipcl_parse(argv[2], IPCL_MAX_SIZE, &size) ||
        ipcl_parse(argv[3], 1000000000ull, &count)) {
        fprintf(stderr, "usage: wattson-ipcload pipe|unix|tcp SIZE COUNT "
                        "(SIZE 1..16777216 bytes, COUNT >= 1)\n");
        return 2;
    }
    struct ipcl_peer *rep = mmap(NULL, sizeof *rep, PROT_READ | PROT_WRITE,
                                 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    unsigned char *pat = malloc(size + IPCL_SHIFTS);
    unsigned char *in = malloc(size);
    if (rep == MAP_FAILED || !pat || !in)
        ipcl_fail("memory");
    memset(rep, 0, sizeof *rep);
    for (size_t i = 0; i < size + IPCL_SHIFTS; i++)
        pat[i] = (unsigned char)(i * 7 + i / IPCL_SHIFTS);

    struct ipcl_end me = {0}, peer = {0};
    struct sockaddr_storage addr;
    socklen_t alen = 0;
    char dir[] = "/tmp/wattson-ipcload.XXXXXX";
    int lfd = -1, p2c[2], c2p[2];
    if (m == IPCL_PIPE) {
        if (pipe(p2c) < 0 || pipe(c2p) < 0)
            ipcl_fail("pipe");
        me = (struct ipcl_end){.wfd = p2c[1], .rfd = c2p[0]};
        peer = (struct ipcl_end){.wfd = c2p[1], .rfd = p2c[0]};
    } else {
        lfd = ipcl_listen((enum ipcl_mode)m, &addr, &alen, dir);
    }
    fflush(NULL);
    pid_t kid = fork();
    if (kid < 0)
        ipcl_fail("fork");
    if (kid == 0) {
        if (m == IPCL_PIPE) {
            close(p2c[1]);
            close(c2p[0]);
        } else {
            close(lfd);
            int fd = socket(addr.ss_family, SOCK_STREAM, 0);
            if (fd < 0 || connect(fd, (struct sockaddr *)&addr, alen) < 0) {
                rep->err = errno;
                _exit(1);
            }
            ipcl_nodelay((enum ipcl_mode)m, fd);
            peer = (struct ipcl_end){.wfd = fd, .rfd = fd, .sock = 1};
        }
        ipcl_echo(&peer, size, count, rep);
    }
    if (m == IPCL_PIPE) {
        close(p2c[0]);
        close(c2p[1]);
    } else {
        /* a peer that could not connect must not leave us in accept */
        struct pollfd pf = {.fd = lfd, .events = POLLIN};
        if (poll(&pf, 1, 10000) != 1) {
            errno = errno ? errno : ETIMEDOUT;
            ipcl_fail("accept");
        }
        int fd = accept(lfd, NULL, NULL);
        if (fd < 0)
            ipcl_fail("accept");
        close(lfd);
        if (m == IPCL_UNIX) { /* connected: the name is not needed */
            unlink(((struct sockaddr_un *)&addr)->sun_path);
            rmdir(dir);
        }
        ipcl_nodelay((enum ipcl_mode)m, fd);
        me = (struct ipcl_end){.wfd = fd, .rfd = fd, .sock = 1};
    }

    uint64_t lost = 0;
    int err = 0;
    int64_t t0 = ipcl_now();
    for (uint64_t k = 0; k < count; k++) {
        const unsigned char *msg = pat + k % IPCL_SHIFTS;
        if (ipcl_send(&me, msg, size) < 0) {
            err = errno;
            lost += (count - k) * size;
            break;
        }
        ssize_t got = ipcl_recv(&me, in, size);
        if (got < 0) {
            err = errno;
            got = 0;
        }
        if (got < (ssize_t)size || memcmp(in, msg, size) != 0) {
            for (size_t i = 0; i < size; i++)
                lost += i >= (size_t)got || in[i] != msg[i];
            if (got < (ssize_t)size) { /* EOF or error: the rest is lost */
                lost += (count - k - 1) * size;
                break;
            }
        }
    }
    int64_t ns = ipcl_now() - t0;
    /* The peer sees EOF if it is still waiting for a message. */
    close(me.wfd);
    if (me.rfd != me.wfd)
        close(me.rfd);
    int st = 0;
    if (waitpid(kid, &st, 0) < 0)
        ipcl_fail("waitpid");
    if (err)
        fprintf(stderr, "wattson-ipcload: %s: %s\n", names[m], strerror(err));
    if (rep->err)
        fprintf(stderr, "wattson-ipcload: %s: peer: %s\n", names[m],
                rep->err > 0 ? strerror(rep->err) : "end of stream");
    printf("mode=%s size=%llu count=%llu ns=%lld writes=%llu bytes=%llu "
           "lost=%llu\n",
           names[m], size, count, (long long)ns,
           (unsigned long long)(me.writes + rep->writes),
           (unsigned long long)(me.bytes + rep->bytes),
           (unsigned long long)lost);
    free(pat);
    free(in);
    int ok =
        !err && !lost && !rep->err && WIFEXITED(st) && WEXITSTATUS(st) == 0;
    return ok ? 0 : 1;
}
