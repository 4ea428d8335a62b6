/*
 * ipcw_app - the application test_ipcwrap runs under libwattson-ipc.so
 * (tests/ipcwrap/test_ipcwrap.c).  Built without the sanitizers, like the
 * library it is preloaded with.  One mode per scenario (argv[1]); what the
 * test must know (pids, counts) goes to stdout, which the test points at
 * a file (a file is not IPC: it adds no event).
 *
 *   pair     a Unix stream socketpair, a forked child sends 10 x 100 B
 *            and 5 x 10 B to the parent
 *   tcp      a forked echo server on 127.0.0.1; the parent sends 20 x
 *            1000 B and reads each echo
 *   udp      a forked UDP server on 127.0.0.1: 10 x 100 B on a connected
 *            socket, 5 x 50 B by sendto on an unconnected one
 *   exec     a forked child execs `ipcw_app execchild FD`, which writes
 *            10 x 200 B on the inherited pipe to the parent
 *   threads  8 threads x 50 writes of 100 B on one pipe to a forked reader
 *   dup      pipes to readers X, Y; 5 x 101 B to X; dup2 Y's pipe over
 *            X's fd, 5 x 102 B (for Y); close it, a new pipe to reader Z
 *            moved to the same number (F_DUPFD), 5 x 103 B
 *   absent   phase 1: 200 x 100 B to a reader; one byte on fd 3 (ready);
 *            waits for a byte on stdin; phase 2: 100 B every 2 ms until
 *            a byte on stdin.  The reader checks the pattern and prints
 *            what it got; the app prints what it wrote and how many
 *            sends were IPC (each is one event)
 *   mq       a POSIX message queue, 20 x 100 B to a forked reader
 *   errno    errno kept across successful writes, EPIPE and -1 kept
 *   flood    20000 x 100 B to a reader, then prints the library's
 *            dropped counter
 *   rpipe    (the read side) a forked child reads 10 x 200 B the parent
 *            writes on a pipe (the parent keeps its end until the child
 *            has read once: a byte back on a second pipe), checking that errno
 * survives each successful read and the EOF (0), then that a read of an empty
 *            non-blocking pipe gives -1 EAGAIN; prints "rchild C bad N"
 *   rpair    (the read side) a Unix stream socketpair: a forked child
 *            sends 10 x 100 B, the parent echoes each back; prints
 *            "rpair child C echoed BYTES"
 *   sibling  a shell's pipeline whose writer runs before its reader is
 *            forked: a forked writer W sends 3 x 100 B while only this
 *            process (W's parent) holds the pipe's read end, then, once
 *            this process has forked the reader R and closed its end,
 *            20 x 100 B more; prints "writer W reader R got BYTES"
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dlfcn.h>
#include <errno.h>
#include <mqueue.h>
#include <signal.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <sys/ioctl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void die(const char *what)
{
    perror(what);
    exit(1);
}

/* Reads fd to EOF; the bytes read, pattern-checked when check: byte i of
 * the stream is i % 251. */
static long long drain(int fd, int check, int *bad)
{
    char buf[65536];
    long long tot = 0;
    ssize_t n;
    while ((n = read(fd, buf, sizeof buf)) > 0) {
        for (ssize_t i = 0; check && i < n; i++)
            if ((unsigned char)buf[i] != (unsigned char)((tot + i) % 251))
                *bad = 1;
        tot += n;
    }
    return tot;
}

/* A forked reader of pipe p (closing every other fd but stdout/stderr);
 * prints "reader BYTES BAD" on exit. */
static pid_t reader(int p[2], int check)
{
    pid_t pid = fork();
    if (pid < 0)
        die("fork");
    if (pid == 0) {
        for (int fd = 3; fd < 256; fd++)
            if (fd != p[0])
                close(fd);
        int bad = 0;
        long long n = drain(p[0], check, &bad);
        printf("reader %lld %d\n", n, bad);
        fflush(stdout);
        _exit(0);
    }
    close(p[0]);
    return pid;
}

static void fill(char *buf, size_t n, long long *pos)
{
    for (size_t i = 0; i < n; i++)
        buf[i] = (char)((*pos + (long long)i) % 251);
    *pos += (long long)n;
}

/* The parent's side of pair and exec: reads fd to EOF, reaps child c,
 * prints "child PID got BYTES"; 0 when it got `want` bytes and c exited 0. */
static int parent_side(int fd, pid_t c, long long want)
{
    int bad = 0, st = 0;
    long long n = drain(fd, 0, &bad);
    waitpid(c, &st, 0);
    printf("child %d got %lld\n", (int)c, n);
    return n == want && WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : 1;
}

static int mode_pair(void)
{
    int sv[2];
    char buf[100];
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
        die("socketpair");
    memset(buf, 'x', sizeof buf);
    pid_t c = fork();
    if (c == 0) {
        close(sv[0]);
        for (int i = 0; i < 10; i++)
            if (write(sv[1], buf, 100) != 100)
                _exit(1);
        for (int i = 0; i < 5; i++)
            if (send(sv[1], buf, 10, 0) != 10)
                _exit(1);
        _exit(0);
    }
    close(sv[1]);
    return parent_side(sv[0], c, 1050);
}

/* A socket of type bound to 127.0.0.1 on a free port, *a its address
 * (a stream socket listening). */
static int loopback_server(int type, struct sockaddr_in *a)
{
    socklen_t al = sizeof *a;
    int s = socket(AF_INET, type, 0);
    memset(a, 0, sizeof *a);
    a->sin_family = AF_INET;
    a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (s < 0 || bind(s, (struct sockaddr *)a, sizeof *a) < 0 ||
        (type == SOCK_STREAM && listen(s, 1) < 0) ||
        getsockname(s, (struct sockaddr *)a, &al) < 0)
        die("loopback server");
    return s;
}

static int mode_tcp(void)
{
    struct sockaddr_in a;
    int ls = loopback_server(SOCK_STREAM, &a);
    pid_t c = fork();
    if (c == 0) {
        int s = accept(ls, NULL, NULL);
        char buf[4096];
        ssize_t n;
        while ((n = read(s, buf, sizeof buf)) > 0)
            if (write(s, buf, (size_t)n) != n)
                _exit(1);
        _exit(0);
    }
    close(ls);
    int s = socket(AF_INET, SOCK_STREAM, 0);
    if (connect(s, (struct sockaddr *)&a, sizeof a) < 0)
        die("connect");
    char buf[1000];
    memset(buf, 'y', sizeof buf);
    long long back = 0;
    for (int i = 0; i < 20; i++) {
        if (send(s, buf, sizeof buf, 0) != (ssize_t)sizeof buf)
            die("send");
        for (size_t got = 0; got < sizeof buf;) {
            ssize_t n = read(s, buf + got, sizeof buf - got);
            if (n <= 0)
                die("read");
            got += (size_t)n;
            back += n;
        }
    }
    close(s);
    int st;
    waitpid(c, &st, 0);
    printf("server %d echoed %lld\n", (int)c, back);
    return back == 20000 ? 0 : 1;
}

/* UDP on 127.0.0.1: a forked server receives 10 x 100 B on a connected
 * socket and 5 x 50 B by sendto on an unconnected one. */
static int mode_udp(void)
{
    struct sockaddr_in a;
    int srv = loopback_server(SOCK_DGRAM, &a);
    int sync[2];
    if (pipe(sync) < 0)
        die("pipe");
    pid_t c = fork();
    if (c == 0) {
        char buf[256];
        close(sync[0]);
        close(sync[1]); /* EOF tells the parent the server is ready */
        for (int i = 0; i < 15; i++)
            if (recv(srv, buf, sizeof buf, 0) <= 0)
                _exit(1);
        _exit(0);
    }
    close(srv); /* only the server holds its socket now */
    close(sync[1]);
    char k;
    if (read(sync[0], &k, 1) != 0)
        die("sync");
    int cs = socket(AF_INET, SOCK_DGRAM, 0),
        us = socket(AF_INET, SOCK_DGRAM, 0);
    if (cs < 0 || us < 0 || connect(cs, (struct sockaddr *)&a, sizeof a) < 0)
        die("udp connect");
    char buf[100];
    memset(buf, 'u', sizeof buf);
    for (int i = 0; i < 10; i++)
        if (send(cs, buf, 100, 0) != 100)
            die("send");
    for (int i = 0; i < 5; i++)
        if (sendto(us, buf, 50, 0, (struct sockaddr *)&a, sizeof a) != 50)
            die("sendto");
    int st = 0;
    waitpid(c, &st, 0);
    printf("udpserver %d\n", (int)c);
    return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : 1;
}

static int mode_exec(const char *self)
{
    int p[2];
    if (pipe(p) < 0)
        die("pipe");
    pid_t c = fork();
    if (c == 0) {
        close(p[0]);
        char fd[16];
        snprintf(fd, sizeof fd, "%d", p[1]);
        execl(self, self, "execchild", fd, (char *)NULL);
        _exit(127);
    }
    close(p[1]);
    return parent_side(p[0], c, 2000);
}

static int mode_execchild(int fd)
{
    char buf[200];
    memset(buf, 'z', sizeof buf);
    for (int i = 0; i < 10; i++)
        if (write(fd, buf, sizeof buf) != (ssize_t)sizeof buf)
            return 1;
    return 0;
}

static int thr_fd;

static void *thr_main(void *arg)
{
    char buf[100];
    memset(buf, 't', sizeof buf);
    (void)arg;
    for (int i = 0; i < 50; i++)
        if (write(thr_fd, buf, sizeof buf) != (ssize_t)sizeof buf)
            abort();
    return NULL;
}

static int mode_threads(void)
{
    int p[2];
    pthread_t th[8];
    if (pipe(p) < 0)
        die("pipe");
    pid_t r = reader(p, 0);
    thr_fd = p[1];
    for (int i = 0; i < 8; i++)
        if (pthread_create(&th[i], NULL, thr_main, NULL) != 0)
            die("pthread_create");
    for (int i = 0; i < 8; i++)
        pthread_join(th[i], NULL);
    close(p[1]);
    waitpid(r, NULL, 0);
    printf("writer's reader %d\n", (int)r);
    return 0;
}

static void send_n(int fd, int n, size_t len)
{
    char buf[128];
    memset(buf, 'd', sizeof buf);
    for (int i = 0; i < n; i++)
        if (write(fd, buf, len) != (ssize_t)len)
            die("write");
}

static int mode_dup(void)
{
    int a[2], b[2], c[2];
    if (pipe(a) < 0 || pipe(b) < 0)
        die("pipe");
    pid_t x = reader(a, 0), y = reader(b, 0);
    send_n(a[1], 5, 101);
    if (dup2(b[1], a[1]) < 0)
        die("dup2");
    send_n(a[1], 5, 102);
    int num = a[1];
    if (pipe(c) < 0)
        die("pipe");
    pid_t z = reader(c, 0);
    /* close the number, then give it to the new pipe (F_DUPFD: the lowest
     * free number from num, num itself; fcntl is not wrapped, so only
     * close's invalidation keeps the old answer from sticking) */
    close(a[1]);
    close(b[1]);
    int moved = fcntl(c[1], F_DUPFD, num);
    if (moved < 0)
        die("F_DUPFD");
    close(c[1]);
    c[1] = moved;
    send_n(c[1], 5, 103);
    close(c[1]);
    waitpid(x, NULL, 0);
    waitpid(y, NULL, 0);
    waitpid(z, NULL, 0);
    printf("readers %d %d %d reused %d\n", (int)x, (int)y, (int)z, c[1] == num);
    return 0;
}

static int mode_absent(void)
{
    int p[2];
    char buf[100], c;
    long long pos = 0, events = 0;
    if (pipe(p) < 0)
        die("pipe");
    pid_t r = reader(p, 1);
    for (int i = 0; i < 200; i++, events++) {
        fill(buf, sizeof buf, &pos);
        if (write(p[1], buf, sizeof buf) != (ssize_t)sizeof buf)
            die("write");
    }
    if (write(3, "r", 1) != 1) /* a pipe to the test: one more event */
        die("ready");
    events++;
    if (read(0, &c, 1) != 1)
        die("go");
    struct pollfd pf = {0, POLLIN, 0};
    const struct timespec ms2 = {0, 2000000};
    while (poll(&pf, 1, 0) == 0) {
        fill(buf, sizeof buf, &pos);
        if (write(p[1], buf, sizeof buf) != (ssize_t)sizeof buf)
            die("write");
        events++;
        nanosleep(&ms2, NULL);
    }
    close(p[1]);
    waitpid(r, NULL, 0);
    printf("wrote %lld events %lld\n", pos, events);
    fflush(stdout);
    return 0;
}

/* errno and return values pass through: a successful write leaves errno
 * as it was (the first one on a pipe makes the library look it up, with
 * calls that fail: readlink, open of /proc entries), a failed one keeps
 * its EPIPE and -1.  Exits 0 when they did. */
static int mode_errno(void)
{
    int p[2];
    char buf[100];
    memset(buf, 'e', sizeof buf);
    if (pipe(p) < 0)
        die("pipe");
    pid_t r = reader(p, 0);
    int bad = 0;
    for (int i = 0; i < 100; i++) {
        errno = 1234;
        ssize_t n = write(p[1], buf, sizeof buf);
        bad += n != (ssize_t)sizeof buf || errno != 1234;
    }
    close(p[1]);
    waitpid(r, NULL, 0);
    if (pipe(p) < 0)
        die("pipe");
    close(p[0]);
    signal(SIGPIPE, SIG_IGN);
    errno = 0;
    ssize_t n = write(p[1], buf, sizeof buf);
    bad += n != -1 || errno != EPIPE;
    printf("errno bad %d\n", bad);
    return bad ? 1 : 0;
}

/* A POSIX message queue: 20 x 100 B to a forked child that opened it for
 * reading first (a byte on a pipe says so).  "mq unavailable" when the
 * system has no queues. */
static int mode_mq(void)
{
    char name[64], buf[128];
    struct mq_attr at;
    memset(&at, 0, sizeof at);
    at.mq_maxmsg = 10;
    at.mq_msgsize = sizeof buf;
    snprintf(name, sizeof name, "/wattson-ipcw-%d", (int)getpid());
    mq_unlink(name);
    mqd_t q = mq_open(name, O_CREAT | O_WRONLY, 0600, &at);
    if (q == (mqd_t)-1) {
        printf("mq unavailable\n");
        return 0;
    }
    int sync[2];
    if (pipe(sync) < 0)
        die("pipe");
    pid_t c = fork();
    if (c == 0) {
        mqd_t r = mq_open(name, O_RDONLY);
        if (r == (mqd_t)-1 || write(sync[1], "k", 1) != 1)
            _exit(1);
        for (int i = 0; i < 20; i++)
            if (mq_receive(r, buf, sizeof buf, NULL) != 100)
                _exit(1);
        _exit(0);
    }
    close(sync[1]);
    char k;
    if (read(sync[0], &k, 1) != 1)
        die("sync");
    memset(buf, 'q', sizeof buf);
    for (int i = 0; i < 20; i++)
        if (mq_send(q, buf, 100, 0) != 0)
            die("mq_send");
    int st = 0;
    waitpid(c, &st, 0);
    mq_close(q);
    mq_unlink(name);
    printf("mqreader %d\n", (int)c);
    return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : 1;
}

static int mode_flood(void)
{
    int p[2];
    char buf[100];
    long long pos = 0;
    if (pipe(p) < 0)
        die("pipe");
    pid_t r = reader(p, 1);
    for (int i = 0; i < 20000; i++) {
        fill(buf, sizeof buf, &pos);
        if (write(p[1], buf, sizeof buf) != (ssize_t)sizeof buf)
            die("write");
    }
    close(p[1]);
    waitpid(r, NULL, 0);
    uint64_t (*dropped)(void) =
        (uint64_t(*)(void))dlsym(RTLD_DEFAULT, "wattson_ipc_dropped");
    printf("wrote %lld dropped %llu\n", pos,
           dropped ? (unsigned long long)dropped() : 0ull);
    return 0;
}

static int mode_sibling(void)
{
    int p[2], go[2];
    char buf[100];
    memset(buf, 's', sizeof buf);
    if (pipe(p) < 0 || pipe(go) < 0)
        die("pipe");
    pid_t w = fork();
    if (w == 0) {
        close(p[0]);
        close(go[1]);
        char c;
        for (int i = 0; i < 3; i++)
            if (write(p[1], buf, 100) != 100)
                _exit(1);
        if (read(go[0], &c, 1) != 1)
            _exit(1);
        for (int i = 0; i < 20; i++)
            if (write(p[1], buf, 100) != 100)
                _exit(1);
        _exit(0);
    }
    close(p[1]);
    close(go[0]);
    /* The first 3 are in the pipe before the reader exists. */
    int queued = 0;
    while (queued < 300) {
        if (ioctl(p[0], FIONREAD, &queued) < 0)
            die("FIONREAD");
        usleep(1000);
    }
    int rp[2];
    if (pipe(rp) < 0)
        die("pipe");
    pid_t r = fork();
    if (r == 0) {
        close(go[1]);
        close(rp[0]);
        long long n = 0;
        ssize_t k;
        while ((k = read(p[0], buf, sizeof buf)) > 0)
            n += k;
        /* the count through a file-backed stdout would do, but the
         * parent prints one line: hand it over (an event of R's) */
        if (write(rp[1], &n, sizeof n) != (ssize_t)sizeof n)
            _exit(1);
        _exit(0);
    }
    close(p[0]);
    close(rp[1]);
    if (write(go[1], "g", 1) != 1)
        die("go");
    close(go[1]);
    long long got = -1;
    if (read(rp[0], &got, sizeof got) != (ssize_t)sizeof got)
        got = -1;
    waitpid(w, NULL, 0);
    waitpid(r, NULL, 0);
    printf("writer %d reader %d got %lld\n", (int)w, (int)r, got);
    return 0;
}

/* The read side: errno through successful reads, the EOF and EAGAIN. */
static int mode_rpipe(void)
{
    int p[2], sync[2];
    char buf[200];
    memset(buf, 'r', sizeof buf);
    if (pipe(p) < 0 || pipe(sync) < 0)
        die("pipe");
    pid_t c = fork();
    if (c == 0) {
        close(p[1]);
        close(sync[0]);
        int bad = 0, q[2];
        long long got = 0;
        ssize_t n;
        for (;;) {
            errno = 4321;
            n = read(p[0], buf, sizeof buf);
            if (n <= 0)
                break;
            bad += errno != 4321;
            if (!got) /* looked up: the writer may close now */
                bad += write(sync[1], "k", 1) != 1;
            got += n;
        }
        bad += n != 0 || errno != 4321 || got != 2000; /* the EOF */
        if (pipe2(q, O_NONBLOCK) < 0)
            _exit(1);
        errno = 0;
        n = read(q[0], buf, sizeof buf);
        bad += n != -1 || errno != EAGAIN;
        printf("rchild %d bad %d\n", (int)getpid(), bad);
        fflush(stdout);
        _exit(bad ? 1 : 0);
    }
    close(p[0]);
    close(sync[1]);
    for (int i = 0; i < 10; i++)
        if (write(p[1], buf, sizeof buf) != (ssize_t)sizeof buf)
            die("write");
    /* a writer gone before the reader's first read is not found: the
     * child's first read looks it up while it still holds the pipe */
    char k;
    if (read(sync[0], &k, 1) != 1)
        die("sync");
    close(p[1]);
    int st = 0;
    waitpid(c, &st, 0);
    return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : 1;
}

static int mode_rpair(void)
{
    int sv[2];
    char buf[100];
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
        die("socketpair");
    memset(buf, 'p', sizeof buf);
    pid_t c = fork();
    if (c == 0) {
        close(sv[0]);
        for (int i = 0; i < 10; i++) {
            if (send(sv[1], buf, sizeof buf, 0) != (ssize_t)sizeof buf)
                _exit(1);
            for (size_t got = 0; got < sizeof buf;) {
                ssize_t n = recv(sv[1], buf + got, sizeof buf - got, 0);
                if (n <= 0)
                    _exit(1);
                got += (size_t)n;
            }
        }
        _exit(0);
    }
    close(sv[1]);
    long long back = 0;
    ssize_t n;
    while ((n = read(sv[0], buf, sizeof buf)) > 0) {
        if (write(sv[0], buf, (size_t)n) != n)
            die("echo");
        back += n;
    }
    int st = 0;
    waitpid(c, &st, 0);
    printf("rpair child %d echoed %lld\n", (int)c, back);
    return back == 1000 && WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc < 2)
        return 2;
    if (!strcmp(argv[1], "pair"))
        return mode_pair();
    if (!strcmp(argv[1], "tcp"))
        return mode_tcp();
    if (!strcmp(argv[1], "exec"))
        return mode_exec(argv[0]);
    if (!strcmp(argv[1], "execchild") && argc == 3)
        return mode_execchild(atoi(argv[2]));
    if (!strcmp(argv[1], "threads"))
        return mode_threads();
    if (!strcmp(argv[1], "dup"))
        return mode_dup();
    if (!strcmp(argv[1], "absent"))
        return mode_absent();
    if (!strcmp(argv[1], "udp"))
        return mode_udp();
    if (!strcmp(argv[1], "mq"))
        return mode_mq();
    if (!strcmp(argv[1], "errno"))
        return mode_errno();
    if (!strcmp(argv[1], "flood"))
        return mode_flood();
    if (!strcmp(argv[1], "sibling"))
        return mode_sibling();
    if (!strcmp(argv[1], "rpipe"))
        return mode_rpipe();
    if (!strcmp(argv[1], "rpair"))
        return mode_rpair();
    return 2;
}
