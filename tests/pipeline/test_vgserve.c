/*
 * test_vgserve - the vGPU API's server (run/vgserve.h) with real Unix
 * socket connections in this process, served by vgserve_poll: answers,
 * the socket's mode and removal, a path that is a regular file or a live
 * server's socket (refused, untouched), a stale socket (replaced), a peer
 * of another uid (the uid hook: ERR EPERM), malformed lines (garbage, NUL
 * bytes, a line over 255 bytes: closed), a flood from one connection
 * (rate limited while another is still served), a disconnect that
 * releases what was held, a client that does not read (its lines wait,
 * others are served, it resumes when it reads), and no allocation per
 * request.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "allocount.h"
#include "core/loop.h"
#include "core/summary.h"
#include "engines/vgledger.h"
#include "run/vgserve.h"
#include "t.h"

static char dir[] = "/tmp/wattson-tvg.XXXXXX";
static char path[96];

static int conn(void)
{
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    snprintf(a.sun_path, sizeof a.sun_path, "%s", path);
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

/* Everything the server has answered on fd so far (non-blocking). */
static size_t got(int fd, char *buf, size_t len)
{
    size_t n = 0;
    ssize_t r;
    while (n + 1 < len &&
           (r = recv(fd, buf + n, len - 1 - n, MSG_DONTWAIT)) > 0)
        n += (size_t)r;
    buf[n] = '\0';
    return n;
}

static void say(int fd, const char *s, size_t n)
{
    T_CHECK(send(fd, s, n, MSG_NOSIGNAL) == (ssize_t)n);
}

static void says(int fd, const char *s)
{
    say(fd, s, strlen(s));
}

static struct vgledger *ledger(void)
{
    struct vgledger *l = vgledger_new(2, VGSERVE_MAX_CONNS);
    double a[WVG_NTYPES] = {1, 16e9, 250}, b[WVG_NTYPES] = {1, 8e9, 70};
    vgledger_set_gpu(l, 0, "gpu0", a);
    vgledger_set_gpu(l, 1, "gpu1", b);
    return l;
}

static void test_path_rules(struct loop *lp)
{
    char err[512];
    struct vgserve *s = NULL;
    struct vgledger *l = ledger();
    /* a regular file: refused, untouched */
    FILE *f = fopen(path, "w");
    fputs("precious\n", f);
    fclose(f);
    T_CHECK(vgserve_start(&s, lp, l, path, NULL, err, sizeof err) == -1);
    T_CHECK(strstr(err, "exists and is not a socket") != NULL);
    char buf[64] = "";
    f = fopen(path, "r");
    T_CHECK(f && fgets(buf, sizeof buf, f) && strcmp(buf, "precious\n") == 0);
    if (f)
        fclose(f);
    unlink(path);
    /* a live server's socket: refused; then stale: replaced */
    struct vgserve *s1 = NULL;
    T_CHECK(vgserve_start(&s1, lp, l, path, NULL, err, sizeof err) == 0);
    struct stat st;
    T_CHECK(lstat(path, &st) == 0 && (st.st_mode & 0777) == 0600);
    T_CHECK(vgserve_start(&s, lp, l, path, NULL, err, sizeof err) == -1);
    T_CHECK(strstr(err, "another server answers") != NULL);
    vgserve_stop(s1);
    T_CHECK(access(path, F_OK) != 0); /* removed on stop */
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    snprintf(a.sun_path, sizeof a.sun_path, "%s", path);
    T_CHECK(bind(fd, (struct sockaddr *)&a, sizeof a) == 0);
    close(fd); /* a stale socket: nobody listens */
    T_CHECK(vgserve_start(&s, lp, l, path, NULL, err, sizeof err) == 0);
    vgserve_stop(s);
    T_CHECK(loop_n_registered(lp) == 0);
    vgledger_free(l);
}

static void test_serving(struct loop *lp)
{
    char err[512], buf[8192];
    struct vgserve *s = NULL;
    struct summary sum = {0};
    struct vgledger *l = ledger();
    T_CHECK(vgserve_start(&s, lp, l, path, &sum, err, sizeof err) == 0);

    int a = conn(), b = conn();
    vgserve_poll(s);
    T_CHECK(vgserve_n_conns(s) == 2);
    says(a, "REQUEST compute 0.6\nAVAILABLE gpu0\n");
    vgserve_poll(s);
    got(a, buf, sizeof buf);
    T_CHECK(strstr(buf, "OK granted=0.6 held=0.6 available=0.4 limit=none "
                        "gpu=gpu0\n") != NULL);
    T_CHECK(strstr(buf, "OK gpu=gpu0 compute=0.4 memory=1.6e+10 power=250\n") !=
            NULL);
    says(b, "REQUEST compute 0.6\nRELEASE compute 1 gpu0\nREQUEST x 1\n"
            "REQUEST compute nan\nAVAILABLE gpu5\nLIMIT memory 1GB gpu1\n");
    vgserve_poll(s);
    got(b, buf, sizeof buf);
    T_CHECK(strstr(buf, "OK granted=0.4 held=0.4 available=0 limit=none "
                        "gpu=gpu0 partial=1\n") != NULL);
    T_CHECK(strstr(buf, "OK released=0.4 held=0 available=0.4 gpu=gpu0\n") !=
            NULL);
    T_CHECK(strstr(buf, "ERR ETYPE unknown type 'x'") != NULL);
    T_CHECK(strstr(buf, "ERR EAMOUNT amount 'nan'") != NULL);
    T_CHECK(strstr(buf, "ERR EGPU unknown gpu 'gpu5'") != NULL);
    T_CHECK(strstr(buf, "OK limit=1e+09 held=0 gpu=gpu1\n") != NULL);

    /* a disconnects holding 0.6: released */
    close(a);
    vgserve_poll(s);
    T_CHECK(vgserve_n_conns(s) == 1 && sum.vgpu_api_disconnect_releases == 1);
    T_CHECK(vgledger_available(l, 0, WVG_COMPUTE) == 1.0);

    /* malformed: garbage and NUL bytes are answered; over 255: closed */
    static const char nul[] = "garbage here\nREQUEST\0compute 1\n";
    say(b, nul, sizeof nul - 1);
    vgserve_poll(s);
    got(b, buf, sizeof buf);
    T_CHECK(strstr(buf, "ERR EPROTO unknown request 'garbage'") != NULL);
    T_CHECK(strstr(buf, "ERR EPROTO byte 0x00") != NULL);
    uint64_t mal = sum.vgpu_api_malformed;
    T_CHECK(mal == 2);
    char longl[300];
    memset(longl, 'A', sizeof longl);
    say(b, longl, sizeof longl);
    vgserve_poll(s);
    got(b, buf, sizeof buf);
    T_CHECK(strstr(buf, "ERR EPROTO line longer than 255 bytes") != NULL);
    T_CHECK(vgserve_n_conns(s) == 0 && sum.vgpu_api_malformed == mal + 1);
    T_CHECK(recv(b, buf, 1, 0) == 0); /* closed by the server */
    close(b);

    /* another user: the uid hook, a real connection refused */
    vgserve_set_uid(s, getuid() + 1);
    int c = conn();
    vgserve_poll(s);
    got(c, buf, sizeof buf);
    T_CHECK(strncmp(buf, "ERR EPERM", 9) == 0);
    T_CHECK(sum.vgpu_api_peer_refused == 1 && vgserve_n_conns(s) == 0);
    close(c);
    vgserve_set_uid(s, getuid());

    /* a flood on f: rate limited; g is still served in the same passes */
    int fl = conn(), g = conn();
    vgserve_poll(s);
    static char flood[600 * 10];
    for (int i = 0; i < 600; i++)
        memcpy(flood + i * 10, "AVAILABLE\n", 10);
    say(fl, flood, sizeof flood);
    says(g, "AVAILABLE gpu1\n");
    vgserve_poll(s);
    got(g, buf, sizeof buf);
    T_CHECK(strncmp(buf, "OK gpu=gpu1", 11) == 0);
    for (int i = 0; i < 40; i++)
        vgserve_poll(s);
    size_t n = got(fl, buf, sizeof buf);
    (void)n;
    T_CHECK(sum.vgpu_api_rate_limited > 0);
    T_CHECK(strstr(buf, "ERR ERATE") != NULL || sum.vgpu_api_rate_limited > 0);
    close(fl);
    close(g);
    vgserve_poll(s);

    /* a client that does not read: its lines wait (the server stops
     * reading them), another is still served; reading resumes it */
    int nr = conn(), ok = conn();
    vgserve_poll(s);
    int small = 4096;
    setsockopt(nr, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
    fcntl(nr, F_SETFL, O_NONBLOCK);
    size_t sent = 0;
    for (int k = 0; k < 400; k++) {
        if (send(nr, "AVAILABLE\n", 10, MSG_NOSIGNAL) == 10)
            sent++;
        if (k % 4 == 3) {
            vgserve_poll(s);
            usleep(2000); /* tokens: stay under the rate limit */
        }
    }
    says(ok, "AVAILABLE gpu0\n");
    vgserve_poll(s);
    vgserve_poll(s);
    got(ok, buf, sizeof buf);
    T_CHECK(strncmp(buf, "OK gpu=gpu0", 11) == 0);
    T_CHECK(vgserve_n_conns(s) == 2);
    size_t answered = 0;
    for (int k = 0; k < 2000 && answered < sent; k++) {
        vgserve_poll(s);
        size_t m = got(nr, buf, sizeof buf);
        for (size_t i = 0; i < m; i++)
            answered += buf[i] == '\n';
        if (m == 0)
            usleep(1000);
    }
    T_CHECK(sent > 100 && answered == sent);
    close(nr);
    close(ok);
    vgserve_poll(s);

    /* no allocation per request */
    int h = conn();
    vgserve_poll(s);
    unsigned long allocs = 1;
    allocount_start();
    for (int i = 0; i < 50; i++) {
        says(h, "REQUEST power 1W gpu1\n");
        vgserve_poll(s);
        got(h, buf, sizeof buf);
    }
    allocount_stop(&allocs, NULL);
    T_CHECK(allocs == 0);
    T_CHECK(vgledger_held(l, 0, 1, WVG_POWER) > 0 ||
            vgledger_available(l, 1, WVG_POWER) < 70);
    close(h);
    vgserve_stop(s);
    T_CHECK(access(path, F_OK) != 0);
    T_CHECK(vgledger_n_clients(l) == 0);
    vgledger_free(l);
}

int main(void)
{
    allocount_install();
    char err[256];
    if (!mkdtemp(dir))
        return 1;
    snprintf(path, sizeof path, "%s/vg.sock", dir);
    struct loop *lp = loop_new(err, sizeof err);
    T_CHECK(lp != NULL);
    test_path_rules(lp);
    test_serving(lp);
    loop_free(lp);
    unlink(path);
    rmdir(dir);
    return t_done("test_vgserve");
}
