/*
 * test_ipcsrv - wattson's end of the IPC interception library: the
 * listener (core/ipcsrv.c) over real SOCK_SEQPACKET connections, the
 * process map (core/ipcmap.c) over fixture /proc and /sys trees, and the
 * replay and output of core/ipcin.c; receive events (kept when their
 * sender is untraced, dropped as duplicates when it has or had a
 * connection,
 * refused when their receiver is not the reporter).  Datagrams are made with
 * ipcwire_encode, as libwattson-ipc.so makes them.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "allocount.h"
#include "core/ipcin.h"
#include "core/ipcmap.h"
#include "core/ipcsrv.h"
#include "core/labipc.h"
#include "core/model.h"
#include "core/summary.h"
#include "t.h"
#include "wattson/ipcwire.h"

static char dir[64];

static int connect_to(const char *path)
{
    int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    snprintf(a.sun_path, sizeof a.sun_path, "%s", path);
    if (fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

/* A datagram of n events from `pid` (t_ns 1e9 + i ms, bytes 100 + i). */
static size_t dgram(unsigned char *buf, uint32_t pid, size_t n,
                    uint64_t dropped)
{
    struct ipcwire_rec r[IPCWIRE_MAX_EVENTS];
    for (size_t i = 0; i < n; i++)
        r[i] = (struct ipcwire_rec){.t_ns = 1000000000ull + i * 1000000ull,
                                    .src_pid = pid,
                                    .src_tid = pid,
                                    .dst_pid = 4242,
                                    .type = WATTSON_IPC_DATA,
                                    .transport = IPCWIRE_PIPE,
                                    .bytes = 100 + i};
    struct ipcwire_hdr h = {.pid = pid, .tid = pid, .dropped = dropped};
    return ipcwire_encode(buf, IPCWIRE_MAX_SIZE, &h, r, n);
}

/* A datagram from `reporter` of one receive event: the message came
 * from src, reported received by dst. */
static size_t rdgram(unsigned char *buf, uint32_t reporter, uint32_t src,
                     uint32_t dst)
{
    struct ipcwire_rec r = {.t_ns = 1000000000ull,
                            .src_pid = src,
                            .src_tid = reporter,
                            .dst_pid = dst,
                            .type = WATTSON_IPC_DATA,
                            .transport = IPCWIRE_PIPE | IPCWIRE_RECV,
                            .bytes = 4096};
    struct ipcwire_hdr h = {.pid = reporter, .tid = reporter};
    return ipcwire_encode(buf, IPCWIRE_MAX_SIZE, &h, &r, 1);
}

static void test_listener(void)
{
    char path[128], err[256];
    snprintf(path, sizeof path, "%s/ipc.sock", dir);
    struct summary sum = {0};
    struct ipcsrv *s;
    /* t0 half a second before the events: they are at 0.5 s + i ms. */
    T_CHECK(ipcsrv_start(&s, NULL, path, 500000000ull, &sum, err, sizeof err) ==
            0);
    struct stat st;
    T_CHECK(lstat(path, &st) == 0 && S_ISSOCK(st.st_mode) &&
            (st.st_mode & 0777) == 0600);

    unsigned char buf[IPCWIRE_MAX_SIZE + 64];
    int fd = connect_to(path);
    T_CHECK(fd >= 0);
    size_t len = dgram(buf, (uint32_t)getpid(), 3, 7);
    T_CHECK(send(fd, buf, len, 0) == (ssize_t)len);
    ipcsrv_poll(s); /* accept */
    ipcsrv_poll(s); /* receive */
    struct wattson_ipc_event ev[8];
    T_CHECK(ipcsrv_take(s, ev, 8) == 3);
    T_NEAR(ev[0].t, 0.5, 1e-9);
    T_NEAR(ev[2].t, 0.502, 1e-9);
    T_CHECK(ev[1].src_pid == (uint32_t)getpid() && ev[1].dst_pid == 4242 &&
            ev[1].bytes == 101 && ev[1].type == WATTSON_IPC_DATA);
    T_CHECK(sum.ipcsrv_events == 3 && sum.ipcsrv_lib_dropped == 7 &&
            sum.ipcsrv_conns == 1 && ipcsrv_n_conns(s) == 1);

    /* Fairness: 40 datagrams queued, 16 taken per pass. */
    for (int i = 0; i < 40; i++) {
        len = dgram(buf, (uint32_t)getpid(), 1, 0);
        T_CHECK(send(fd, buf, len, 0) == (ssize_t)len);
    }
    ipcsrv_poll(s);
    T_CHECK(ipcsrv_take(s, ev, 8) == 8);
    T_CHECK(sum.ipcsrv_events == 3 + IPCSRV_DGRAMS_PER_PASS);
    ipcsrv_poll(s);
    ipcsrv_poll(s);
    T_CHECK(sum.ipcsrv_events == 43);
    while (ipcsrv_take(s, ev, 8) > 0)
        ;

    /* Receive events (the library's read side).  A message from a
     * process with a connection open (this one) is counted by its own
     * send event: the receive is a duplicate, dropped. */
    len = rdgram(buf, 4343, (uint32_t)getpid(), 4343);
    T_CHECK(ipcsrv_feed(s, 4343, buf, len, err, sizeof err) == 0);
    T_CHECK(sum.ipcsrv_recv_dup == 1 && sum.ipcsrv_recv_events == 0);
    T_CHECK(sum.ipcsrv_events == 44 && ipcsrv_take(s, ev, 8) == 0);
    /* from an untraced sender (a stdio writer): taken, src the sender */
    len = rdgram(buf, 4343, 777, 4343);
    T_CHECK(ipcsrv_feed(s, 4343, buf, len, err, sizeof err) == 0);
    T_CHECK(sum.ipcsrv_recv_dup == 1 && sum.ipcsrv_recv_events == 1);
    T_CHECK(ipcsrv_take(s, ev, 8) == 1);
    T_CHECK(ev[0].src_pid == 777 && ev[0].dst_pid == 4343 &&
            ev[0].bytes == 4096 && ev[0].type == WATTSON_IPC_DATA);
    /* a receive vouched for by another process than its receiver */
    len = rdgram(buf, 4343, 777, 4344);
    T_CHECK(ipcsrv_feed(s, 4343, buf, len, err, sizeof err) == -1);
    T_CHECK(strstr(err, "receive") != NULL);
    T_CHECK(sum.ipcsrv_malformed == 1 && sum.ipcsrv_events == 45);
    T_CHECK(ipcsrv_take(s, ev, 8) == 0);

    /* A sender naming another pid: refused, connection closed. */
    len = dgram(buf, (uint32_t)getpid() + 1, 1, 0);
    T_CHECK(send(fd, buf, len, 0) == (ssize_t)len);
    ipcsrv_poll(s);
    T_CHECK(sum.ipcsrv_malformed == 2 && ipcsrv_n_conns(s) == 0);
    T_CHECK(recv(fd, buf, 1, 0) == 0); /* closed by the server */
    close(fd);
    /* a receive from it now (its receiver's late batch): still a
     * duplicate, of a sender that was traced */
    len = rdgram(buf, 4343, (uint32_t)getpid(), 4343);
    T_CHECK(ipcsrv_feed(s, 4343, buf, len, err, sizeof err) == 0);
    T_CHECK(sum.ipcsrv_recv_dup == 2 && sum.ipcsrv_recv_events == 1);
    T_CHECK(ipcsrv_take(s, ev, 8) == 0);

    /* Bad magic, and a datagram longer than any valid one. */
    fd = connect_to(path);
    len = dgram(buf, (uint32_t)getpid(), 1, 0);
    buf[0] ^= 0xff;
    T_CHECK(send(fd, buf, len, 0) == (ssize_t)len);
    ipcsrv_poll(s);
    ipcsrv_poll(s);
    T_CHECK(sum.ipcsrv_malformed == 3 && ipcsrv_n_conns(s) == 0);
    close(fd);
    fd = connect_to(path);
    memset(buf, 0, sizeof buf);
    T_CHECK(send(fd, buf, IPCWIRE_MAX_SIZE + 32, 0) ==
            (ssize_t)(IPCWIRE_MAX_SIZE + 32));
    ipcsrv_poll(s);
    ipcsrv_poll(s);
    T_CHECK(sum.ipcsrv_malformed == 4);
    close(fd);
    T_CHECK(sum.ipcsrv_events == 46 && ipcsrv_take(s, ev, 8) == 0);

    /* Another user's connection (as the server sees it): refused. */
    ipcsrv_set_uid(s, geteuid() + 1);
    fd = connect_to(path);
    ipcsrv_poll(s);
    T_CHECK(sum.ipcsrv_refused == 1 && ipcsrv_n_conns(s) == 0);
    T_CHECK(recv(fd, buf, 1, 0) == 0);
    close(fd);
    ipcsrv_set_uid(s, geteuid());

    /* The ring: what does not fit is counted, never blocks. */
    unsigned long allocs = 1;
    allocount_start();
    size_t fed = 0;
    while (fed < IPCSRV_RING + 1000) {
        len = dgram(buf, 99, IPCWIRE_MAX_EVENTS, 0);
        T_CHECK(ipcsrv_feed(s, 99, buf, len, err, sizeof err) == 0);
        fed += IPCWIRE_MAX_EVENTS;
    }
    allocount_stop(&allocs, NULL);
    T_CHECK(allocs == 0);
    T_CHECK(sum.ipcsrv_overflow == fed - IPCSRV_RING);
    size_t got = 0, k;
    while ((k = ipcsrv_take(s, ev, 8)) > 0)
        got += k;
    T_CHECK(got == IPCSRV_RING);

    /* A second listener at the same path: refused, the first intact. */
    struct ipcsrv *s2 = NULL;
    T_CHECK(ipcsrv_start(&s2, NULL, path, 0, NULL, err, sizeof err) == -1);
    T_CHECK(strstr(err, "another server answers") != NULL);
    ipcsrv_stop(s);
    T_CHECK(lstat(path, &st) != 0); /* removed at stop */

    /* A regular file there is never replaced. */
    int f = open(path, O_CREAT | O_WRONLY | O_EXCL, 0600);
    T_CHECK(f >= 0 && write(f, "keep", 4) == 4);
    close(f);
    T_CHECK(ipcsrv_start(&s2, NULL, path, 0, NULL, err, sizeof err) == -1);
    T_CHECK(strstr(err, "not a socket") != NULL);
    T_CHECK(lstat(path, &st) == 0 && S_ISREG(st.st_mode) && st.st_size == 4);
    unlink(path);
}

static void put(const char *rel, const char *text)
{
    char path[256];
    snprintf(path, sizeof path, "%s/%s", dir, rel);
    FILE *f = fopen(path, "w");
    T_CHECK(f && fputs(text, f) >= 0);
    if (f)
        fclose(f);
}

/* The text of file `path` (at most len - 1 bytes; "" when unreadable). */
static void get(char *text, size_t len, const char *path)
{
    FILE *f = fopen(path, "r");
    size_t n = f ? fread(text, 1, len - 1, f) : 0;
    text[n] = '\0';
    if (f)
        fclose(f);
}

static void mk(const char *rel)
{
    char path[256];
    snprintf(path, sizeof path, "%s/%s", dir, rel);
    T_CHECK(mkdir(path, 0700) == 0);
}

/* A model with just device names and room for processes. */
static void fake_model(struct model *m, const char *const *names, size_t n)
{
    memset(m, 0, sizeof *m);
    m->devices = calloc(n, sizeof *m->devices);
    for (size_t i = 0; i < n; i++)
        m->devices[i].name = names[i];
    m->n_devices = n;
    m->procs_cap = MODEL_PROC_EXTRA;
    m->procs = calloc(m->procs_cap, sizeof *m->procs);
    m->ipc_cap = MODEL_IPC_CAP;
    m->ipc = calloc(m->ipc_cap, sizeof *m->ipc);
}

static void free_model(struct model *m)
{
    free(m->devices);
    free(m->procs);
    free(m->ipc);
}

static void test_map(void)
{
    /* /proc: 100 is gzip, 101 "bash" last ran on CPU 3, 102 gone. */
    mk("proc");
    mk("proc/100");
    mk("proc/101");
    put("proc/100/comm", "gzip\n");
    put("proc/101/comm", "bash\n");
    /* The name holds ") (" to check fields are counted after the last ')';
     * `processor` (field 39) is 3. */
    char stat[512] = "101 (ba) (sh) S";
    for (int f = 4; f <= 38; f++)
        strcat(stat, " 1");
    strcat(stat, " 3 0 0\n");
    put("proc/101/stat", stat);
    /* /sys: cpu3's policy is policy2. */
    mk("sys");
    mk("sys/devices");
    mk("sys/devices/system");
    mk("sys/devices/system/cpu");
    mk("sys/devices/system/cpu/cpu3");
    char link[256], root[128], sys[128];
    snprintf(link, sizeof link, "%s/sys/devices/system/cpu/cpu3/cpufreq", dir);
    T_CHECK(symlink("../cpufreq/policy2", link) == 0);
    snprintf(root, sizeof root, "%s/proc", dir);
    snprintf(sys, sizeof sys, "%s/sys", dir);

    static const char *const names[] = {"cpu0", "cpu1", "cpufreq2"};
    struct model m;
    fake_model(&m, names, 3);
    struct labipc rules = {.n = 1};
    snprintf(rules.r[0].comm, sizeof rules.r[0].comm, "gzip");
    snprintf(rules.r[0].device, sizeof rules.r[0].device, "cpu1");
    struct ipcmap *map;
    char err[256];
    T_CHECK(ipcmap_new(&map, &rules, &m, root, sys, err, sizeof err) == 0);
    int added = 0;
    T_CHECK(ipcmap_resolve(map, &m, 100, 0, &added) == 1 && added == 1);
    T_CHECK(model_find_proc(&m, 100) && model_find_proc(&m, 100)->device == 1);
    T_STREQ(model_find_proc(&m, 100)->name, "gzip");
    T_CHECK(ipcmap_resolve(map, &m, 100, 0, &added) == 1 && added == 0);
    T_CHECK(ipcmap_resolve(map, &m, 101, 0, &added) == 2 && added == 1);
    /* Gone: unplaced, and not tried again before the retry time. */
    T_CHECK(ipcmap_resolve(map, &m, 102, 1.0, &added) == -1 && added == 0);
    mk("proc/102");
    put("proc/102/comm", "gzip\n");
    T_CHECK(ipcmap_resolve(map, &m, 102, 1.0 + IPCMAP_RETRY_S / 2, &added) ==
            -1);
    T_CHECK(ipcmap_resolve(map, &m, 102, 1.0 + IPCMAP_RETRY_S, &added) == 1 &&
            added == 1);
    T_CHECK(ipcmap_resolve(map, &m, 0, 0, &added) == -1);
    T_CHECK(m.n_procs == 3 && m.procs[0].pid == 100 && m.procs[2].pid == 102);
    ipcmap_free(map);

    /* "*" places a reader still named after its shell; after its exec
     * (its comm now gzip) the recheck moves it to gzip's device. */
    struct labipc star = rules;
    star.n = 2;
    snprintf(star.r[1].comm, sizeof star.r[1].comm, "*");
    snprintf(star.r[1].device, sizeof star.r[1].device, "cpu0");
    mk("proc/103");
    put("proc/103/comm", "sh\n");
    T_CHECK(ipcmap_new(&map, &star, &m, root, sys, err, sizeof err) == 0);
    T_CHECK(ipcmap_resolve(map, &m, 103, 5.0, &added) == 0 && added == 1);
    put("proc/103/comm", "gzip\n");
    T_CHECK(ipcmap_resolve(map, &m, 103, 5.0 + IPCMAP_SETTLE_S / 2, &added) ==
            0);
    T_CHECK(ipcmap_resolve(map, &m, 103, 5.0 + IPCMAP_SETTLE_S, &added) == 1 &&
            added == 0);
    T_CHECK(model_find_proc(&m, 103)->device == 1);
    T_STREQ(model_find_proc(&m, 103)->name, "gzip");
    /* Placed by its exact name: never moved. */
    put("proc/100/comm", "sh\n");
    T_CHECK(ipcmap_resolve(map, &m, 100, 9.0, &added) == 1);
    put("proc/100/comm", "gzip\n");
    ipcmap_free(map);

    /* A rule naming no device of the model. */
    snprintf(rules.r[0].device, sizeof rules.r[0].device, "cpu9");
    T_CHECK(ipcmap_new(&map, &rules, &m, root, sys, err, sizeof err) == -1);
    T_STREQ(err, "ipc_procs.gzip: no device 'cpu9' in this lab");
    free_model(&m);
}

static void test_replay(void)
{
    /* Out of order across two sources, as live batches come: the output
     * is sorted per tick, a late one written at the last time. */
    put("replay.txt", "# t src dst bytes type\n"
                      "0.001 10 100 4096 data\n"
                      "0.002 11 100 64 control\n"
                      "0.015 10 100 4096 data\n"
                      "0.5 10 100 8 request\n");
    char in_path[128], out_path[128], root[128], err[256];
    snprintf(in_path, sizeof in_path, "%s/replay.txt", dir);
    snprintf(out_path, sizeof out_path, "%s/out.txt", dir);
    snprintf(root, sizeof root, "%s/proc", dir);
    static const char *const names[] = {"cpu0", "cpu1"};
    struct model m;
    fake_model(&m, names, 2);
    struct labipc rules = {.n = 1};
    snprintf(rules.r[0].comm, sizeof rules.r[0].comm, "gzip");
    snprintf(rules.r[0].device, sizeof rules.r[0].device, "cpu1");
    struct summary sum = {0};
    struct ipcin *in;
    struct ipcin_opts o = {
        .replay = in_path, .out = out_path, .proc_root = root};
    T_CHECK(ipcin_new(&in, &o, &rules, NULL, &m, &sum, err, sizeof err) ==
            IPCIN_OK);
    /* pid 100 is gzip in the fixture /proc of test_map. */
    unsigned long allocs = 1;
    allocount_start();
    ipcin_tick(in, &m, 0.01);
    allocount_stop(&allocs, NULL);
    T_CHECK(allocs == 0);
    T_CHECK(m.n_ipc == 2 && m.ipc[0].bytes == 4096 && m.ipc[1].bytes == 64);
    T_CHECK(sum.ipc_mapped == 1 && model_find_proc(&m, 100)->device == 1);
    m.n_ipc = 0;
    ipcin_tick(in, &m, 0.02);
    T_CHECK(m.n_ipc == 1);
    m.n_ipc = 0;
    ipcin_tick(in, &m, 1.0);
    T_CHECK(m.n_ipc == 1 && m.ipc[0].type == WATTSON_IPC_REQUEST);
    T_CHECK(ipcin_commit(in, err, sizeof err) == 0);
    ipcin_free(in);
    char text[1024];
    get(text, sizeof text, out_path);
    T_CHECK(strstr(text, "0.001 10 100 4096 data\n0.002 11 100 64 control\n"
                         "0.015 10 100 4096 data\n0.5 10 100 8 request\n"));
    T_CHECK(strstr(text, "# proc 100 gzip\n0.001 ") != NULL);

    /* The written file replays with its processes named by it, not by a
     * /proc where pid 100 is no more. */
    char again[128], empty[128];
    snprintf(again, sizeof again, "%s/again.txt", dir);
    snprintf(empty, sizeof empty, "%s/noproc", dir);
    mk("noproc");
    T_CHECK(rename(out_path, again) == 0);
    struct model m2;
    fake_model(&m2, names, 2);
    struct summary sum2 = {0};
    struct ipcin_opts o2 = {.replay = again, .proc_root = empty};
    T_CHECK(ipcin_new(&in, &o2, &rules, NULL, &m2, &sum2, err, sizeof err) ==
            IPCIN_OK);
    ipcin_tick(in, &m2, 1.0);
    T_CHECK(m2.n_ipc == 4 && sum2.ipc_mapped == 1);
    T_CHECK(model_find_proc(&m2, 100) &&
            model_find_proc(&m2, 100)->device == 1);
    ipcin_free(in);
    free_model(&m2);

    /* A bad line: one message naming the file and line; no output left. */
    put("bad.txt", "0.1 1 2 3 data\n0.05 1 2 3 data\n");
    snprintf(in_path, sizeof in_path, "%s/bad.txt", dir);
    unlink(out_path);
    T_CHECK(ipcin_new(&in, &o, &rules, NULL, &m, &sum, err, sizeof err) ==
            IPCIN_EINPUT);
    T_CHECK(strstr(err, "bad.txt:2:") != NULL);
    struct stat st;
    T_CHECK(stat(out_path, &st) != 0);
    /* Nothing asked: nothing made. */
    struct ipcin_opts none = {0};
    in = (struct ipcin *)&none;
    T_CHECK(ipcin_new(&in, &none, &rules, NULL, &m, &sum, err, sizeof err) ==
                IPCIN_OK &&
            in == NULL);
    free_model(&m);
}

/* One datagram of pid with one event at t_ms. */
static void feed_one(struct ipcsrv *s, uint32_t pid, double t_ms)
{
    unsigned char buf[IPCWIRE_MAX_SIZE];
    char why[160];
    struct ipcwire_rec r = {.t_ns = (uint64_t)(t_ms * 1e6),
                            .src_pid = pid,
                            .src_tid = pid,
                            .dst_pid = 4242,
                            .type = WATTSON_IPC_DATA,
                            .transport = IPCWIRE_PIPE,
                            .bytes = 64};
    struct ipcwire_hdr h = {.pid = pid, .tid = pid};
    size_t len = ipcwire_encode(buf, sizeof buf, &h, &r, 1);
    T_CHECK(ipcsrv_feed(s, pid, buf, len, why, sizeof why) == 0);
}

/* A batch that arrives 25 ms late still finds its place in --ipc-out:
 * events are held 50 ms before they are written. */
static void test_hold(void)
{
    char sock[128], out[128], err[256];
    snprintf(sock, sizeof sock, "%s/hold.sock", dir);
    snprintf(out, sizeof out, "%s/hold.txt", dir);
    static const char *const names[] = {"cpu0"};
    struct model m;
    fake_model(&m, names, 1);
    struct summary sum = {0};
    struct ipcin *in;
    struct ipcin_opts o = {.socket = sock, .out = out, .t0_ns = 0};
    T_CHECK(ipcin_new(&in, &o, NULL, NULL, &m, &sum, err, sizeof err) ==
            IPCIN_OK);
    struct ipcsrv *s = ipcin_server(in);
    feed_one(s, 10, 20);
    feed_one(s, 10, 30);
    ipcin_tick(in, &m, 0.035);
    feed_one(s, 11, 10); /* sent before the others, arrived after */
    m.n_ipc = 0;
    ipcin_tick(in, &m, 0.045);
    m.n_ipc = 0;
    feed_one(s, 10, 200);
    ipcin_tick(in, &m, 0.3);
    T_CHECK(ipcin_commit(in, err, sizeof err) == 0);
    ipcin_free(in);
    char text[1024];
    get(text, sizeof text, out);
    /* (30 ms is 0.030000000000000002 s: the fewest digits that read back
     * as the same double) */
    T_CHECK(strstr(text, "0.01 11 4242 64 data\n0.02 10 4242 64 data\n0.03"));
    T_CHECK(strstr(text, " 10 4242 64 data\n0.2 10 4242 64 data\n"));
    T_CHECK(sum.ipc_late == 0);
    free_model(&m);
}

static void test_lab_rules(void)
{
    struct labipc r;
    char err[256];
    T_CHECK(labipc_read(NULL, &r, err, sizeof err) == 0 && r.n == 0);
}

int main(void)
{
    allocount_install();
    snprintf(dir, sizeof dir, "/tmp/ipcsrv.XXXXXX");
    if (!mkdtemp(dir))
        return 1;
    test_listener();
    test_map();
    test_replay();
    test_hold();
    test_lab_rules();
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "cannot remove %s\n", dir);
    return t_done("test_ipcsrv");
}
