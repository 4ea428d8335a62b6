/*
 * ipcpeer - what an fd of an application is and which process is at its
 * other end, for the IPC interception library (plugins/ipcwrap/ipcwrap.c,
 * which caches the answer per fd).  Runs inside the wrapped calls, so it
 * uses no stdio, no allocation and no lock: fixed buffers, open/read/
 * readlink/getdents64 on /proc.
 *
 * The answers, looked up on an fd's first send (or, with the library's
 * read side on, its first receive):
 *   - pipes and FIFOs (fstat S_ISFIFO) and message queues: the other end
 *     is the process (not this one) holding the same object (the same
 *     /proc/PID/fd link text) open for reading (/proc/PID/fdinfo flags)
 *     when the fd is sent on, open for writing (O_WRONLY or O_RDWR) when
 *     it is read (a pipe's writer; the answer is then marked
 *     IPCPEER_READSIDE); a non-parent holder is preferred, since a shell
 *     keeps a pipe's end between its forks; an answer found only in the
 *     parent or not found is tentative and looked up again on the 2nd,
 *     4th, 8th... 128th event on that fd; when it was the parent, only
 *     among the parent's other children (find_sibling), since the reader
 *     (or writer) a shell forks after us is one, so the full scan is paid
 *     once per fd.  A message queue's receiver is not looked up here: its
 *     writer is unknowable in general (any process may have it open for
 *     writing and not write), the library records 0.
 *   - Unix sockets: SO_PEERCRED (stream, seqpacket; a datagram socket
 *     only when connected).  A socketpair's credentials are those of the
 *     process that created it: the creator's own end names itself; there
 *     the peer socket's inode is asked of the kernel (sock_diag,
 *     UNIX_DIAG_PEER: what `ss -x` shows) and its holder found in
 *     /proc/PID/fd like a pipe's (tentative when none: 0 and looked up
 *     again); without sock_diag (CONFIG_UNIX_DIAG) 0 (unknown).  An
 *     unconnected datagram socket's destination (sendto's address) stays
 *     0.
 *   - TCP/UDP whose peer is a loopback address: the peer's socket inode
 *     from /proc/net/{tcp,tcp6,udp,udp6} (local = our peer, remote = us),
 *     then the process holding "socket:[inode]" in /proc/PID/fd.  An
 *     unconnected UDP socket is IPC per sendto to a loopback address,
 *     destination 0.
 *   - anything else (files, ttys, other hosts): not IPC, never looked at
 *     again.
 * The /proc scans cost one pass over every process's fds (a readlink each)
 * on the first send on an fd, and again on a tentative one's re-lookups:
 * milliseconds on a desktop, never on the steady path.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <linux/unix_diag.h>
#include <netinet/in.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "ipcpeer.h"
#include "wattson/ipcwire.h"

/* What a holder must have its fd open for (pid_holds). */
enum { WANT_ANY = 0, WANT_READ = 1, WANT_WRITE = 2 };

int ipcpeer_close(int fd)
{
    return (int)syscall(SYS_close, fd);
}

/* read(2) by the system call: the library's read wrapper stays out of
 * its own look-ups. */
static ssize_t sys_read(int fd, void *buf, size_t n)
{
    return (ssize_t)syscall(SYS_read, fd, buf, n);
}

/* ---- strings without stdio (signal safety) ---- */

static char *put_str(char *p, const char *s)
{
    while (*s)
        *p++ = *s++;
    *p = '\0';
    return p;
}

static char *put_uint(char *p, unsigned long long v)
{
    char tmp[24];
    int n = 0;
    do
        tmp[n++] = (char)('0' + v % 10);
    while (v /= 10);
    while (n)
        *p++ = tmp[--n];
    *p = '\0';
    return p;
}

static char *put_hex(char *p, uint32_t v, int digits)
{
    for (int i = digits - 1; i >= 0; i--)
        *p++ = "0123456789ABCDEF"[(v >> (4 * i)) & 0xf];
    *p = '\0';
    return p;
}

static int parse_uint(const char *s, unsigned long long *out)
{
    unsigned long long v = 0;
    if (*s < '0' || *s > '9')
        return -1;
    while (*s >= '0' && *s <= '9')
        v = v * 10 + (unsigned)(*s++ - '0');
    *out = v;
    return 0;
}

/* Reads a small file (fdinfo) into buf, NUL-terminated; its length or -1. */
static ssize_t slurp(const char *path, char *buf, size_t cap)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ssize_t n = sys_read(fd, buf, cap - 1);
    ipcpeer_close(fd);
    if (n < 0)
        return -1;
    buf[n] = '\0';
    return n;
}

/* ---- /proc scans ---- */

struct dent64 {
    uint64_t ino;
    int64_t off;
    unsigned short reclen;
    unsigned char type;
    char name[];
};

/* Access mode (O_ACCMODE) of PID's fd from its fdinfo, or -1. */
static int fd_accmode(const char *pid, const char *fd)
{
    char path[64], buf[256], *p = path;
    p = put_str(p, "/proc/");
    p = put_str(p, pid);
    p = put_str(p, "/fdinfo/");
    put_str(p, fd);
    if (slurp(path, buf, sizeof buf) < 0)
        return -1;
    const char *f = strstr(buf, "flags:");
    if (!f)
        return -1;
    f += 6;
    while (*f == '\t' || *f == ' ')
        f++;
    unsigned v = 0;
    while (*f >= '0' && *f <= '7')
        v = v * 8 + (unsigned)(*f++ - '0');
    return (int)(v & O_ACCMODE);
}

/* Whether process `pid` (its /proc name) holds an fd whose link reads
 * target (tlen bytes), open as `want` says (WANT_*).  fbuf: a 2 KiB
 * scratch buffer. */
static int pid_holds(const char *pid, const char *target, size_t tlen, int want,
                     char *fbuf)
{
    char path[96], *p = path;
    p = put_str(p, "/proc/");
    p = put_str(p, pid);
    p = put_str(p, "/fd");
    int dfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0)
        return 0;
    int hit = 0;
    for (;;) {
        long m = syscall(SYS_getdents64, dfd, fbuf, 2048);
        if (m <= 0)
            break;
        for (long o = 0; o < m && !hit;) {
            struct dent64 *e = (struct dent64 *)(void *)(fbuf + o);
            o += e->reclen;
            if (e->name[0] == '.')
                continue;
            char lpath[128], link[256], *q = lpath;
            q = put_str(q, path);
            q = put_str(q, "/");
            put_str(q, e->name);
            ssize_t l = readlink(lpath, link, sizeof link);
            if (l != (ssize_t)tlen || memcmp(link, target, tlen) != 0)
                continue;
            if (want != WANT_ANY) {
                int acc = fd_accmode(pid, e->name);
                if (acc != O_RDWR &&
                    acc != (want == WANT_READ ? O_RDONLY : O_WRONLY))
                    continue;
            }
            hit = 1;
        }
        if (hit)
            break;
    }
    ipcpeer_close(dfd);
    return hit;
}

/* The process holding an fd whose link reads `target`: this process
 * skipped unless self_ok; only fds open as `want` says.  A process other
 * than our parent is preferred; *tentative says the answer is the parent
 * or none. */
static uint32_t find_holder(const char *target, int self_ok, int want,
                            pid_t self, pid_t parent, int *tentative)
{
    char dbuf[2048], fbuf[2048];
    uint32_t parent_hit = 0;
    size_t tlen = strlen(target);
    int proc = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    *tentative = 1;
    if (proc < 0)
        return 0;
    for (;;) {
        long n = syscall(SYS_getdents64, proc, dbuf, sizeof dbuf);
        if (n <= 0)
            break;
        for (long off = 0; off < n;) {
            struct dent64 *d = (struct dent64 *)(void *)(dbuf + off);
            off += d->reclen;
            unsigned long long pid;
            if (parse_uint(d->name, &pid) < 0)
                continue;
            if (pid == (unsigned long long)self && !self_ok)
                continue;
            if (!pid_holds(d->name, target, tlen, want, fbuf))
                continue;
            if (pid != (unsigned long long)parent) {
                ipcpeer_close(proc);
                *tentative = 0;
                return (uint32_t)pid;
            }
            parent_hit = (uint32_t)pid;
        }
    }
    ipcpeer_close(proc);
    return parent_hit;
}

/* A tentative answer's re-lookup: what it waits for is a sibling that
 * the parent (a shell) forks after us, so only the parent's children
 * (/proc/PARENT/task/PARENT/children) are looked at, not every process:
 * a handful of fd directories instead of a scan of the machine.  The
 * other end: a sibling holding target open as `want` says (for reading:
 * a writer's reader; for writing: a reader's writer), else 0.  -1 when
 * the children list cannot be read (no CONFIG_PROC_CHILDREN): scan
 * instead. */
static long find_sibling(const char *target, int want, pid_t self, pid_t parent)
{
    char path[96], list[1024], fbuf[2048], *p = path;
    p = put_str(p, "/proc/");
    p = put_uint(p, (unsigned long long)parent);
    p = put_str(p, "/task/");
    p = put_uint(p, (unsigned long long)parent);
    put_str(p, "/children");
    if (parent <= 0 || slurp(path, list, sizeof list) < 0)
        return -1;
    size_t tlen = strlen(target);
    for (char *q = list; *q;) {
        while (*q == ' ' || *q == '\n')
            q++;
        char *start = q;
        while (*q >= '0' && *q <= '9')
            q++;
        if (q == start)
            break;
        char save = *q;
        *q = '\0';
        unsigned long long pid;
        if (parse_uint(start, &pid) == 0 && pid != (unsigned long long)self &&
            pid_holds(start, target, tlen, want, fbuf))
            return (long)pid;
        *q = save;
    }
    return 0;
}

/* The inode of the socket in /proc/net/FILE whose local address is
 * `local` and remote `rem` (kernel text: hex address ":" hex port), or 0.
 * An unconnected UDP peer has remote 0: rem NULL accepts any. */
static unsigned long long net_inode(const char *file, const char *local,
                                    const char *rem)
{
    char buf[4096], path[32];
    put_str(put_str(path, "/proc/net/"), file);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    size_t have = 0, ll = strlen(local), rl = rem ? strlen(rem) : 0;
    unsigned long long ino = 0;
    for (;;) {
        ssize_t n = sys_read(fd, buf + have, sizeof buf - 1 - have);
        if (n <= 0)
            break;
        have += (size_t)n;
        buf[have] = '\0';
        char *line = buf, *nl;
        while ((nl = strchr(line, '\n')) != NULL) {
            *nl = '\0';
            /* "  sl: local rem st tx:rx tr:tm retr uid timeout inode" */
            char *tok[10];
            int nt = 0;
            for (char *s = line; *s && nt < 10;) {
                while (*s == ' ')
                    s++;
                if (!*s)
                    break;
                tok[nt++] = s;
                while (*s && *s != ' ')
                    s++;
            }
            if (nt == 10 && strncmp(tok[1], local, ll) == 0 &&
                tok[1][ll] == ' ' &&
                (!rem ||
                 (strncmp(tok[2], rem, rl) == 0 && tok[2][rl] == ' ')) &&
                parse_uint(tok[9], &ino) == 0) {
                ipcpeer_close(fd);
                return ino;
            }
            line = nl + 1;
        }
        have = (size_t)(buf + have - line);
        memmove(buf, line, have);
        if (have == sizeof buf - 1) /* a line longer than the buffer */
            have = 0;
    }
    ipcpeer_close(fd);
    return 0;
}

/* The inode of the peer of Unix socket fd (whose own inode is ino), by
 * sock_diag (linux/unix_diag.h), or 0.  System calls, not the wrapped
 * sendto/recv: the library's own traffic. */
static unsigned long long unix_peer_ino(unsigned long long ino)
{
    struct {
        struct nlmsghdr nh;
        struct unix_diag_req r;
    } req;
    memset(&req, 0, sizeof req);
    req.nh.nlmsg_len = sizeof req;
    req.nh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
    req.nh.nlmsg_flags = NLM_F_REQUEST;
    req.r.sdiag_family = AF_UNIX;
    req.r.udiag_states = ~0u;
    req.r.udiag_ino = (unsigned)ino;
    req.r.udiag_show = UDIAG_SHOW_PEER;
    req.r.udiag_cookie[0] = req.r.udiag_cookie[1] = ~0u; /* no cookie */
    int nl = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
    if (nl < 0)
        return 0;
    struct sockaddr_nl k;
    memset(&k, 0, sizeof k);
    k.nl_family = AF_NETLINK;
    unsigned long long peer = 0;
    union {
        struct nlmsghdr nh;
        char b[1024];
    } rsp;
    if (syscall(SYS_sendto, nl, &req, sizeof req, 0, &k, sizeof k) ==
        (long)sizeof req) {
        long n = syscall(SYS_recvfrom, nl, rsp.b, sizeof rsp.b, 0, NULL, NULL);
        if (n >= (long)(NLMSG_HDRLEN + sizeof(struct unix_diag_msg)) &&
            rsp.nh.nlmsg_type == SOCK_DIAG_BY_FAMILY &&
            rsp.nh.nlmsg_len <= (unsigned long)n) {
            const char *a = rsp.b + NLMSG_HDRLEN +
                            NLMSG_ALIGN(sizeof(struct unix_diag_msg));
            const char *end = rsp.b + rsp.nh.nlmsg_len;
            while (a + sizeof(struct nlattr) <= end) {
                struct nlattr at;
                memcpy(&at, a, sizeof at);
                if (at.nla_len < sizeof at || a + at.nla_len > end)
                    break;
                if (at.nla_type == UNIX_DIAG_PEER &&
                    at.nla_len >= sizeof at + sizeof(uint32_t)) {
                    uint32_t v;
                    memcpy(&v, a + NLA_HDRLEN, sizeof v);
                    peer = v;
                    break;
                }
                a += NLA_ALIGN(at.nla_len);
            }
        }
    }
    ipcpeer_close(nl);
    return peer;
}

/* Kernel text of an address:port as /proc/net/tcp{,6} prints it. */
static void net_text(char *out, const struct sockaddr_storage *ss, int v6)
{
    char *p = out;
    if (ss->ss_family == AF_INET) {
        const struct sockaddr_in *a = (const struct sockaddr_in *)ss;
        if (v6) { /* as a v4-mapped address */
            p = put_hex(p, 0, 8);
            p = put_hex(p, 0, 8);
            uint32_t w;
            const unsigned char ff[4] = {0, 0, 0xff, 0xff};
            memcpy(&w, ff, 4);
            p = put_hex(p, w, 8);
        }
        p = put_hex(p, a->sin_addr.s_addr, 8);
        p = put_str(p, ":");
        put_hex(p, ntohs(a->sin_port), 4);
    } else {
        const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)ss;
        for (int i = 0; i < 4; i++) {
            uint32_t w;
            memcpy(&w, a->sin6_addr.s6_addr + 4 * i, 4);
            p = put_hex(p, w, 8);
        }
        p = put_str(p, ":");
        put_hex(p, ntohs(a->sin6_port), 4);
    }
}

/* The prefix of an IPv4 address mapped into IPv6 (::ffff:a.b.c.d). */
static const unsigned char v4mapped[12] = {0, 0, 0, 0, 0,    0,
                                           0, 0, 0, 0, 0xff, 0xff};

/* An IPv6 v4-mapped address as the plain IPv4 one (in place). */
static void unmap_v4(struct sockaddr_storage *ss)
{
    struct sockaddr_in6 a6;
    if (ss->ss_family != AF_INET6)
        return;
    memcpy(&a6, ss, sizeof a6);
    if (memcmp(a6.sin6_addr.s6_addr, v4mapped, 12) != 0)
        return;
    struct sockaddr_in a4;
    memset(&a4, 0, sizeof a4);
    a4.sin_family = AF_INET;
    a4.sin_port = a6.sin6_port;
    memcpy(&a4.sin_addr.s_addr, a6.sin6_addr.s6_addr + 12, 4);
    memset(ss, 0, sizeof *ss);
    memcpy(ss, &a4, sizeof a4);
}

int ipcpeer_is_loopback(const struct sockaddr *sa)
{
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *a =
            (const struct sockaddr_in *)(const void *)sa;
        return ((const unsigned char *)&a->sin_addr.s_addr)[0] == 127;
    }
    if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *a =
            (const struct sockaddr_in6 *)(const void *)sa;
        const unsigned char *b = a->sin6_addr.s6_addr;
        if (memcmp(b, v4mapped, 12) == 0)
            return b[12] == 127;
        return IN6_IS_ADDR_LOOPBACK(&a->sin6_addr);
    }
    return 0;
}

/* The process holding socket inode ino (its fd link "socket:[ino]"):
 * find_holder's answer and *tentative. */
static uint32_t socket_holder(unsigned long long ino, int self_ok, pid_t self,
                              pid_t parent, int *tentative)
{
    char target[48];
    put_str(put_uint(put_str(target, "socket:["), ino), "]");
    return find_holder(target, self_ok, WANT_ANY, self, parent, tentative);
}

/* The process holding the loopback peer of inet socket fd (type
 * SOCK_STREAM or SOCK_DGRAM), or 0. */
static uint32_t inet_peer_pid(int fd, int type, pid_t self, pid_t parent,
                              int *tentative)
{
    struct sockaddr_storage me, peer;
    socklen_t ml = sizeof me, pl = sizeof peer;
    *tentative = 0;
    if (getsockname(fd, (struct sockaddr *)&me, &ml) < 0 ||
        getpeername(fd, (struct sockaddr *)&peer, &pl) < 0)
        return 0;
    unmap_v4(&me);
    unmap_v4(&peer);
    const char *files[2];
    int tcp = type == SOCK_STREAM;
    unsigned long long ino = 0;
    /* an IPv4 connection sits in tcp (v4 sockets) or tcp6 (dual-stack
     * sockets, as v4-mapped); an IPv6 one in tcp6 */
    files[0] = peer.ss_family == AF_INET ? (tcp ? "tcp" : "udp")
                                         : (tcp ? "tcp6" : "udp6");
    files[1] = peer.ss_family == AF_INET ? (tcp ? "tcp6" : "udp6") : NULL;
    for (int i = 0; i < 2 && files[i] && !ino; i++) {
        char l[48], r[48];
        net_text(l, &peer, i);
        net_text(r, &me, i);
        ino = net_inode(files[i], l, r);
        if (!ino && !tcp) /* the peer's UDP socket need not be connected */
            ino = net_inode(files[i], l, NULL);
    }
    if (!ino) {
        *tentative = 1;
        return 0;
    }
    int t;
    uint32_t pid = socket_holder(ino, 1, self, parent, &t);
    *tentative = pid == 0;
    return pid;
}

static struct ipcpeer mk(uint32_t pid, unsigned kind, unsigned flags)
{
    struct ipcpeer r = {pid, kind, flags};
    return r;
}

/* A pipe, FIFO or queue (kind): the other process holding the same
 * object, its reader when we send (reading 0), its writer when we read
 * (reading 1: the answer marked IPCPEER_READSIDE).  A re-lookup of an
 * answer that was the parent (prev) looks only at the siblings, and
 * keeps the parent (still tentative) when none is found. */
static struct ipcpeer peer_of(int fd, unsigned kind, int reading, pid_t self,
                              pid_t parent, uint32_t prev)
{
    char lpath[48], target[256];
    int tent = 0, want = reading ? WANT_WRITE : WANT_READ;
    unsigned side = reading ? IPCPEER_READSIDE : 0;
    put_uint(put_str(lpath, "/proc/self/fd/"), (unsigned)fd);
    ssize_t l = readlink(lpath, target, sizeof target - 1);
    if (l <= 0)
        return mk(0, kind, IPCPEER_TENTATIVE | side);
    target[l] = '\0';
    long sib = prev && prev == (uint32_t)parent
                   ? find_sibling(target, want, self, parent)
                   : -1;
    if (sib > 0)
        return mk((uint32_t)sib, kind, side);
    if (sib == 0) /* no sibling holds it yet: still the parent */
        return mk(prev, kind, IPCPEER_TENTATIVE | side);
    uint32_t pid = find_holder(target, 0, want, self, parent, &tent);
    return mk(pid, kind, (tent ? IPCPEER_TENTATIVE : 0) | side);
}

struct ipcpeer ipcpeer_probe(int fd, int mq, int reading, pid_t self,
                             pid_t parent, uint32_t prev)
{
    int tent = 0;
    if (mq)
        return peer_of(fd, IPCWIRE_MQ, reading, self, parent, prev);
    struct stat st;
    if (fstat(fd, &st) < 0)
        return mk(0, IPCPEER_NOTIPC, 0);
    if (S_ISFIFO(st.st_mode))
        return peer_of(fd, IPCWIRE_PIPE, reading, self, parent, prev);
    if (!S_ISSOCK(st.st_mode))
        return mk(0, IPCPEER_NOTIPC, 0);
    int dom = 0, type = 0;
    socklen_t sl = sizeof dom;
    if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &dom, &sl) < 0)
        return mk(0, IPCPEER_NOTIPC, 0);
    sl = sizeof type;
    if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &sl) < 0)
        return mk(0, IPCPEER_NOTIPC, 0);
    if (dom == AF_UNIX) {
        unsigned kind = type == SOCK_STREAM      ? IPCWIRE_UNIX_STREAM
                        : type == SOCK_SEQPACKET ? IPCWIRE_UNIX_SEQPACKET
                        : type == SOCK_DGRAM     ? IPCWIRE_UNIX_DGRAM
                                                 : IPCPEER_NOTIPC;
        struct ucred cr;
        socklen_t cl = sizeof cr;
        uint32_t pid = 0;
        int cred = kind != IPCPEER_NOTIPC &&
                   getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &cl) == 0;
        if (cred && cr.pid > 0 && cr.pid != self)
            pid = (uint32_t)cr.pid;
        if (cred && cr.pid == self) {
            /* our own socketpair: its other end's holder */
            unsigned long long peer = unix_peer_ino(st.st_ino);
            if (!peer)
                return mk(0, kind, 0);
            pid = socket_holder(peer, 0, self, parent, &tent);
            return mk(pid, kind, tent ? IPCPEER_TENTATIVE : 0);
        }
        return mk(pid, kind, 0);
    }
    if ((dom != AF_INET && dom != AF_INET6) ||
        (type != SOCK_STREAM && type != SOCK_DGRAM))
        return mk(0, IPCPEER_NOTIPC, 0);
    unsigned kind =
        type == SOCK_STREAM ? IPCWIRE_TCP_LOOPBACK : IPCWIRE_UDP_LOOPBACK;
    struct sockaddr_storage peer;
    socklen_t pl = sizeof peer;
    if (getpeername(fd, (struct sockaddr *)&peer, &pl) < 0) {
        if (type == SOCK_DGRAM) /* judged per sendto address */
            return mk(0, kind, IPCPEER_PERCALL);
        return mk(0, IPCPEER_NOTYET, 0); /* not connected yet: ask again */
    }
    if (!ipcpeer_is_loopback((struct sockaddr *)&peer))
        return mk(0, IPCPEER_NOTIPC, 0);
    uint32_t pid = inet_peer_pid(fd, type, self, parent, &tent);
    return mk(pid, kind, tent ? IPCPEER_TENTATIVE : 0);
}
