/*
 * vgclient - the client library of wattson's vGPU request API
 * (libwattson-vgpu.so; the header wattson/vgpu.h says what each call
 * does and what the wire looks like).  C library only: a blocking Unix
 * stream socket, one request line out and one answer line back per call,
 * each answer waited for with poll() for at most the connection's
 * timeout.  The console's `wattson vgpu` command and `bench vgpu-api`
 * are built on the same file.
 */
#include "wattson/vgpu.h"

#include <errno.h>
#include <math.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define WVG_ANSWER_MAX 2048
#define WVG_DEFAULT_TIMEOUT_MS 2000

struct wvg_conn {
    int fd;
    int timeout_ms;
    size_t n; /* bytes in buf after the last answer (none, normally) */
    char buf[WVG_ANSWER_MAX];
    char err[WVG_ANSWER_MAX];
};

static const char *const names[WVG_NTYPES] = WVG_TYPE_NAMES;

const char *wvg_type_name(int t)
{
    return t >= 0 && t < WVG_NTYPES ? names[t] : NULL;
}

int wvg_type_find(const char *name)
{
    for (int t = 0; name && t < WVG_NTYPES; t++)
        if (strcmp(names[t], name) == 0)
            return t;
    return -1;
}

struct wvg_conn *wvg_connect(const char *path)
{
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    if (!path || strlen(path) >= sizeof a.sun_path) {
        errno = path ? ENAMETOOLONG : EINVAL;
        return NULL;
    }
    struct wvg_conn *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->timeout_ms = WVG_DEFAULT_TIMEOUT_MS;
    c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    memcpy(a.sun_path, path, strlen(path) + 1);
    if (c->fd < 0 || connect(c->fd, (struct sockaddr *)&a, sizeof a) != 0) {
        int e = errno;
        if (c->fd >= 0)
            close(c->fd);
        free(c);
        errno = e;
        return NULL;
    }
    return c;
}

void wvg_set_timeout(struct wvg_conn *c, int ms)
{
    c->timeout_ms = ms > 0 ? ms : WVG_DEFAULT_TIMEOUT_MS;
}

static int io_fail(struct wvg_conn *c, const char *what)
{
    snprintf(c->err, sizeof c->err, "%s", what);
    return WVG_IO;
}

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int wvg_raw(struct wvg_conn *c, const char *line, char *ans, unsigned anslen)
{
    char out[WVG_LINE_MAX + 1];
    size_t len = strlen(line);
    if (len + 1 >= WVG_LINE_MAX + 1 || memchr(line, '\n', len)) {
        snprintf(c->err, sizeof c->err, "request line too long or multi-line");
        return WVG_BADARG;
    }
    memcpy(out, line, len);
    out[len++] = '\n';
    for (size_t at = 0; at < len;) {
        ssize_t w = send(c->fd, out + at, len - at, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return io_fail(c, "connection lost while sending");
        at += (size_t)w;
    }
    long long deadline = now_ms() + c->timeout_ms;
    char *nl;
    while (!(nl = memchr(c->buf, '\n', c->n))) {
        if (c->n == sizeof c->buf)
            return io_fail(c, "answer line too long");
        long long left = deadline - now_ms();
        struct pollfd p = {.fd = c->fd, .events = POLLIN};
        int pr = left > 0 ? poll(&p, 1, (int)left) : 0;
        if (pr < 0 && errno == EINTR)
            continue;
        if (pr == 0)
            return io_fail(c, "no answer within the timeout");
        if (pr < 0)
            return io_fail(c, "poll failed");
        ssize_t r = recv(c->fd, c->buf + c->n, sizeof c->buf - c->n, 0);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return io_fail(c, "connection closed by the server");
        c->n += (size_t)r;
    }
    size_t alen = (size_t)(nl - c->buf);
    *nl = '\0';
    int ok = strncmp(c->buf, "OK", 2) == 0 &&
             (c->buf[2] == ' ' || c->buf[2] == '\0');
    int refused = strncmp(c->buf, "ERR ", 4) == 0;
    if (ans && anslen) {
        size_t k = alen < anslen - 1 ? alen : anslen - 1;
        memcpy(ans, c->buf, k);
        ans[k] = '\0';
    }
    if (refused)
        snprintf(c->err, sizeof c->err, "%s", c->buf);
    c->n -= alen + 1;
    memmove(c->buf, nl + 1, c->n);
    if (ok)
        return WVG_OK;
    if (refused)
        return WVG_REFUSED;
    return io_fail(c, "garbled answer");
}

/* The value of the first field of `ans` named `key`, or of one named
 * "PREFIX.key" when dotted (AVAILABLE without a GPU): 0 or -1. */
static int field(const char *ans, const char *key, int dotted, double *v)
{
    size_t kl = strlen(key);
    for (const char *p = strchr(ans, ' '); p; p = strchr(p + 1, ' ')) {
        const char *w = p + 1, *eq = strchr(w, '=');
        const char *end = strchr(w, ' ');
        if (!eq || (end && eq > end) || (size_t)(eq - w) < kl)
            continue;
        const char *k = eq - kl;
        if (strncmp(k, key, kl) != 0)
            continue;
        if (k != w && !(dotted && k[-1] == '.'))
            continue;
        char *e;
        *v = strtod(eq + 1, &e);
        if (e == eq + 1)
            continue;
        return 0;
    }
    return -1;
}

static int good_gpu(const char *g)
{
    if (!g)
        return 1;
    size_t n = strlen(g);
    if (n == 0 || n >= 32)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char ch = g[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
              (ch >= '0' && ch <= '9') || ch == '_' || ch == '-' || ch == '.'))
            return 0;
    }
    return 1;
}

/* VERB TYPE AMOUNT [GPU], its answer's `key` into *out. */
static int call(struct wvg_conn *c, const char *verb, enum wvg_type t,
                double amount, int zero_ok, const char *gpu, const char *key,
                double *out)
{
    char line[WVG_LINE_MAX], ans[WVG_ANSWER_MAX];
    if (out)
        *out = 0;
    if (!wvg_type_name((int)t) || !good_gpu(gpu) || !isfinite(amount) ||
        amount < 0 || (amount == 0 && !zero_ok)) {
        snprintf(c->err, sizeof c->err,
                 "bad argument: a type, a finite amount > 0 (a limit >= 0) "
                 "and a device name");
        return WVG_BADARG;
    }
    snprintf(line, sizeof line, "%s %s %.17g%s%s", verb, names[t], amount,
             gpu ? " " : "", gpu ? gpu : "");
    int rc = wvg_raw(c, line, ans, sizeof ans);
    if (rc == WVG_OK && out && field(ans, key, 0, out) != 0)
        return io_fail(c, "answer without its value");
    return rc;
}

int wvg_request(struct wvg_conn *c, enum wvg_type t, double amount,
                const char *gpu, double *granted)
{
    return call(c, "REQUEST", t, amount, 0, gpu, "granted", granted);
}

int wvg_release(struct wvg_conn *c, enum wvg_type t, double amount,
                const char *gpu, double *released)
{
    return call(c, "RELEASE", t, amount, 0, gpu, "released", released);
}

int wvg_set_limit(struct wvg_conn *c, enum wvg_type t, double limit,
                  const char *gpu)
{
    return call(c, "LIMIT", t, limit, 1, gpu, NULL, NULL);
}

int wvg_available(struct wvg_conn *c, const char *gpu, double out[WVG_NTYPES])
{
    char line[WVG_LINE_MAX], ans[WVG_ANSWER_MAX];
    if (!good_gpu(gpu)) {
        snprintf(c->err, sizeof c->err, "bad argument: not a device name");
        return WVG_BADARG;
    }
    snprintf(line, sizeof line, "AVAILABLE%s%s", gpu ? " " : "",
             gpu ? gpu : "");
    int rc = wvg_raw(c, line, ans, sizeof ans);
    if (rc != WVG_OK)
        return rc;
    for (int t = 0; t < WVG_NTYPES; t++)
        if (field(ans, names[t], gpu == NULL, &out[t]) != 0)
            return io_fail(c, "answer without every type");
    return WVG_OK;
}

const char *wvg_error(const struct wvg_conn *c)
{
    return c ? c->err : "";
}

void wvg_close(struct wvg_conn *c)
{
    if (!c)
        return;
    close(c->fd);
    free(c);
}
