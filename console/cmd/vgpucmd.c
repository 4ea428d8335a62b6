/*
 * vgpucmd - `wattson vgpu`: one call of the vGPU request API of a running
 * `wattson run --vgpu-socket PATH` (README "vGPU request API"), through
 * the client library (plugins/vgclient, wattson/vgpu.h).
 *
 *   wattson vgpu [--socket PATH] [--hold D] request TYPE AMOUNT [GPU]
 *                                           release TYPE AMOUNT [GPU]
 *                                           available [GPU]
 *                                           limit TYPE LIMIT [GPU]
 *
 * The holder of a grant is the connection, and this command's connection
 * ends when it exits: a grant is released at once unless --hold keeps the
 * connection (and what was granted) open for D first.  The operands go to
 * the server as typed (it checks types, amounts and GPUs, so the answer
 * names what is wrong); the answer line goes to stdout, a refusal to
 * stderr.  Exit 0 OK, 1 refused (ERR), 2 bad command line, 4 cannot
 * connect or the connection failed.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmd/cli.h"
#include "wattson/vgpu.h"

enum { VGPU_REFUSED = 1, VGPU_NO_SERVER = 4 };

static const struct {
    const char *word, *verb;
    int args; /* operands besides the optional GPU */
} vgpu_verbs[] = {
    {"request", "REQUEST", 2},
    {"release", "RELEASE", 2},
    {"available", "AVAILABLE", 0},
    {"limit", "LIMIT", 2},
};

static void hold(double s)
{
    struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

static int vgpucmd_exec(const struct cli_entry *self, struct cli_args *a)
{
    (void)self;
    if (a->argc < 1)
        return cli_usage_error("%s", "vgpu needs request, release, available "
                                     "or limit");
    size_t v = 0;
    while (v < sizeof vgpu_verbs / sizeof vgpu_verbs[0] &&
           strcmp(vgpu_verbs[v].word, a->argv[0]) != 0)
        v++;
    if (v == sizeof vgpu_verbs / sizeof vgpu_verbs[0])
        return cli_usage_error("vgpu: unknown call '%s' (request, release, "
                               "available or limit)",
                               a->argv[0]);
    int n = a->argc - 1, want = vgpu_verbs[v].args;
    if (n < want || n > want + 1)
        return cli_usage_error("vgpu %s: wrong number of operands", a->argv[0]);
    char line[WVG_LINE_MAX];
    size_t at = (size_t)snprintf(line, sizeof line, "%s", vgpu_verbs[v].verb);
    for (int i = 1; i < a->argc; i++) {
        const char *w = a->argv[i];
        for (const char *p = w; *p; p++)
            if ((unsigned char)*p <= ' ' || (unsigned char)*p > '~')
                return cli_usage_error("vgpu: operand '%s' holds a space or "
                                       "a control character",
                                       w);
        if (!*w || at + strlen(w) + 2 >= sizeof line)
            return cli_usage_error("vgpu: operand '%s' is empty or too long",
                                   w);
        at += (size_t)snprintf(line + at, sizeof line - at, " %s", w);
    }
    const char *path = a->socket ? a->socket : getenv("WATTSON_VGPU_SOCKET");
    if (!path || !*path)
        return cli_usage_error("%s", "vgpu: no server: --socket PATH or "
                                     "WATTSON_VGPU_SOCKET");
    struct wvg_conn *c = wvg_connect(path);
    if (!c) {
        fprintf(stderr, "wattson: vgpu: cannot connect to %s: %s\n", path,
                strerror(errno));
        return VGPU_NO_SERVER;
    }
    char ans[2048];
    int rc = wvg_raw(c, line, ans, sizeof ans);
    if (rc == WVG_OK) {
        printf("%s\n", ans);
        fflush(stdout);
        if (a->hold_s > 0)
            hold(a->hold_s);
    } else {
        fprintf(stderr, "wattson: vgpu: %s\n", wvg_error(c));
    }
    wvg_close(c);
    return rc == WVG_OK ? 0 : rc == WVG_REFUSED ? VGPU_REFUSED : VGPU_NO_SERVER;
}

const struct cli_entry vgpucmd_entry = {
    .name = "vgpu",
    .usage = "request|release|available|limit ...",
    .help = "one call of the vGPU request API of a run with --vgpu-socket:\n"
            "request TYPE AMOUNT [GPU], release TYPE AMOUNT [GPU],\n"
            "available [GPU] or limit TYPE LIMIT [GPU] (TYPE compute, memory\n"
            "or power; AMOUNT e.g. 0.25, 4GB, 250W; put -- before a negative\n"
            "one).  What is granted is held by the connection, released when\n"
            "the command exits (--hold D keeps it for D).  Exit 0 OK, 1\n"
            "refused, 2 bad command line, 4 cannot connect",
    .opts = (uint64_t)1 << CLI_OPT_SOCKET | (uint64_t)1 << CLI_OPT_HOLD,
    .exec = vgpucmd_exec,
};
