/*
 * host - see host.h.
 */
#include "core/host.h"

#include <stdarg.h>
#include <stdio.h>

#include "core/cfg.h"
#include "core/clock.h"
#include "core/log.h"

static void host_log(void *ctx, int level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void host_log(void *ctx, int level, const char *fmt, ...)
{
    const struct host_ctx *hc = ctx;
    char buf[900];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    log_msg(level, "%s: %s", hc->tag, buf);
}

static int host_cfg_type(void *ctx, const char *path)
{
    const struct host_ctx *hc = ctx;
    return cfg_type(cfg_get(hc->cfg, path));
}

static int host_cfg_number(void *ctx, const char *path, double *out)
{
    const struct host_ctx *hc = ctx;
    const struct cfg *n = cfg_get(hc->cfg, path);
    if (cfg_type(n) != WATTSON_CFG_NUMBER)
        return WATTSON_ERR;
    *out = cfg_number(n);
    return WATTSON_OK;
}

static const char *host_cfg_string(void *ctx, const char *path)
{
    const struct host_ctx *hc = ctx;
    return cfg_string(cfg_get(hc->cfg, path));
}

static int host_cfg_bool(void *ctx, const char *path, int *out)
{
    const struct host_ctx *hc = ctx;
    const struct cfg *n = cfg_get(hc->cfg, path);
    if (cfg_type(n) != WATTSON_CFG_BOOL)
        return WATTSON_ERR;
    *out = cfg_bool(n);
    return WATTSON_OK;
}

static size_t host_cfg_len(void *ctx, const char *path)
{
    const struct host_ctx *hc = ctx;
    const struct cfg *n = cfg_get(hc->cfg, path);
    return cfg_type(n) == WATTSON_CFG_TABLE ? cfg_len(n) : 0;
}

static const char *host_cfg_key(void *ctx, const char *path, size_t i)
{
    const struct host_ctx *hc = ctx;
    const struct cfg *n = (path && *path) ? cfg_get(hc->cfg, path) : hc->cfg;
    if (cfg_type(n) != WATTSON_CFG_TABLE || i >= cfg_len(n))
        return NULL;
    return cfg_key_at(n, i);
}

static uint64_t host_now_ns(void *ctx)
{
    const struct host_ctx *hc = ctx;
    return clock_now(hc->clock);
}

void host_fill(struct wattson_host *h, struct host_ctx *ctx, uint64_t seed,
               const char *lab_dir)
{
    h->abi_major = WATTSON_ABI_MAJOR;
    h->abi_minor = WATTSON_ABI_MINOR;
    h->size = sizeof *h;
    h->ctx = ctx;
    h->seed = seed;
    h->lab_dir = lab_dir;
    h->log = host_log;
    h->cfg_type = host_cfg_type;
    h->cfg_number = host_cfg_number;
    h->cfg_string = host_cfg_string;
    h->cfg_bool = host_cfg_bool;
    h->cfg_len = host_cfg_len;
    h->cfg_key = host_cfg_key;
    h->now_ns = host_now_ns;
}
