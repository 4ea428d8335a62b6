/*
 * th_host.h - the fake plugin host of the tests that drive a plugin
 * through the real loader (tests/loader, tests/drivers via drvtest.h):
 * log lines go into a buffer (th_log, th_logbuf, th_log_clear, th_has),
 * configuration comes from a small table set per test (struct th_cfg),
 * and the clock advances 100 ms per call, so every run sees the same
 * values.  The sim driver's tests have a richer host of their own
 * (tests/sim/fakehost.h: nested tables built by path, a clock the test
 * sets).
 *
 * Header-only (static inline, so a test need not use every helper).
 */
#ifndef WATTSON_TH_HOST_H
#define WATTSON_TH_HOST_H

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "wattson/plugin.h"

/* One configuration key: its type and the value of that type.  A key
 * "a.b" makes "b" a key of the table "a" (give "a" the type
 * WATTSON_CFG_TABLE too), in the order of the entries. */
struct th_cfg {
    const char *key;
    int type; /* WATTSON_CFG_* */
    double num;
    const char *str;
    int b;
};

/* Every line logged since the last th_host or th_log_clear, each ended
 * by '\n'; always NUL-terminated, lines past its end dropped. */
static char th_logbuf[8192];
static size_t th_loglen;
static const struct th_cfg *th_cfgs;
static size_t th_ncfg;
static uint64_t th_clock;
/* The host's ctx: a plugin (or the loader) must hand it back unchanged. */
static int th_ctx_marker;

static inline void th_log(void *ctx, int level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static inline void th_log(void *ctx, int level, const char *fmt, ...)
{
    va_list ap;
    int n;

    (void)ctx;
    (void)level;
    if (th_loglen >= sizeof th_logbuf - 2)
        return;
    va_start(ap, fmt);
    n = vsnprintf(th_logbuf + th_loglen, sizeof th_logbuf - th_loglen, fmt, ap);
    va_end(ap);
    if (n > 0)
        th_loglen += (size_t)n;
    if (th_loglen > sizeof th_logbuf - 2)
        th_loglen = sizeof th_logbuf - 2;
    th_logbuf[th_loglen++] = '\n';
    th_logbuf[th_loglen] = '\0';
}

static inline void th_log_clear(void)
{
    th_loglen = 0;
    th_logbuf[0] = '\0';
}

/* 1 if hay holds needle; else 0, and both are printed. */
static inline int th_has(const char *hay, const char *needle)
{
    int ok = hay && strstr(hay, needle) != NULL;

    if (!ok)
        fprintf(stderr, "  \"%s\" lacks \"%s\"\n", hay ? hay : "(null)",
                needle);
    return ok;
}

static inline const struct th_cfg *th_find(const char *path)
{
    for (size_t i = 0; i < th_ncfg; i++)
        if (strcmp(th_cfgs[i].key, path) == 0)
            return &th_cfgs[i];
    return NULL;
}

static inline int th_cfg_type(void *ctx, const char *path)
{
    const struct th_cfg *c = th_find(path);

    (void)ctx;
    return c ? c->type : WATTSON_CFG_NONE;
}

static inline int th_cfg_number(void *ctx, const char *path, double *out)
{
    const struct th_cfg *c = th_find(path);

    (void)ctx;
    if (!c || c->type != WATTSON_CFG_NUMBER)
        return -1;
    *out = c->num;
    return 0;
}

static inline const char *th_cfg_string(void *ctx, const char *path)
{
    const struct th_cfg *c = th_find(path);

    (void)ctx;
    return c && c->type == WATTSON_CFG_STRING ? c->str : NULL;
}

static inline int th_cfg_bool(void *ctx, const char *path, int *out)
{
    const struct th_cfg *c = th_find(path);

    (void)ctx;
    if (!c || c->type != WATTSON_CFG_BOOL)
        return -1;
    *out = c->b;
    return 0;
}

static inline const char *th_cfg_key(void *ctx, const char *path, size_t i)
{
    size_t pl = strlen(path);

    (void)ctx;
    for (size_t k = 0; k < th_ncfg; k++) {
        const char *key = th_cfgs[k].key;

        if (strncmp(key, path, pl) == 0 && key[pl] == '.' &&
            !strchr(key + pl + 1, '.') && i-- == 0)
            return key + pl + 1;
    }
    return NULL;
}

static inline size_t th_cfg_len(void *ctx, const char *path)
{
    size_t n = 0;

    while (th_cfg_key(ctx, path, n))
        n++;
    return n;
}

static inline uint64_t th_now_ns(void *ctx)
{
    (void)ctx;
    th_clock += 100000000u;
    return th_clock;
}

/* A host with ctx &th_ctx_marker, seed 42, lab directory lab_dir (may be
 * NULL) and configuration cfgs[0..n) (kept, not copied: valid through
 * plug_init); empties the log.  Callers may fill h on their stack: the
 * loader copies it. */
static inline void th_host(struct wattson_host *h, const char *lab_dir,
                           const struct th_cfg *cfgs, size_t n)
{
    memset(h, 0, sizeof *h);
    h->abi_major = WATTSON_ABI_MAJOR;
    h->abi_minor = WATTSON_ABI_MINOR;
    h->size = sizeof *h;
    h->ctx = &th_ctx_marker;
    h->seed = 42;
    h->lab_dir = lab_dir;
    h->log = th_log;
    h->cfg_type = th_cfg_type;
    h->cfg_number = th_cfg_number;
    h->cfg_string = th_cfg_string;
    h->cfg_bool = th_cfg_bool;
    h->cfg_len = th_cfg_len;
    h->cfg_key = th_cfg_key;
    h->now_ns = th_now_ns;
    th_cfgs = cfgs;
    th_ncfg = n;
    th_log_clear();
}

#endif
