/*
 * fakehost.h - a stand-in for the console's host in the sim driver's unit
 * tests: a flat table of configuration entries (path -> value; tables are
 * implied by longer paths), a virtual clock the test advances, and helpers
 * that drive the plugin through its descriptor.  Test-only, header-only.
 */
#ifndef WATTSON_TEST_SIM_FAKEHOST_H
#define WATTSON_TEST_SIM_FAKEHOST_H

#include <wattson/plugin.h>

#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FH_MAX_ENTRIES 1024

struct fh_entry {
    char path[128];
    int type;
    double num;
    char str[512];
};

static struct {
    struct fh_entry e[FH_MAX_ENTRIES];
    size_t n;
    uint64_t now_ns;
    char keys[8][64];
    unsigned key_slot;
} fh;

const struct wattson_plugin *wattson_plugin_entry(void);

static inline const struct fh_entry *fh_find(const char *path)
{
    for (size_t i = 0; i < fh.n; i++)
        if (strcmp(fh.e[i].path, path) == 0)
            return &fh.e[i];
    return NULL;
}

/* 1 if entry path p lies under table `path`; *rest is the part after it. */
static inline int fh_under(const char *p, const char *path, const char **rest)
{
    size_t l = strlen(path);
    if (l == 0) {
        *rest = p;
        return 1;
    }
    if (strncmp(p, path, l) != 0 || p[l] != '.')
        return 0;
    *rest = p + l + 1;
    return 1;
}

static inline int fh_cfg_type(void *ctx, const char *path)
{
    const struct fh_entry *e = fh_find(path);
    const char *rest;
    (void)ctx;
    if (e)
        return e->type;
    for (size_t i = 0; i < fh.n; i++)
        if (fh_under(fh.e[i].path, path, &rest))
            return WATTSON_CFG_TABLE;
    return WATTSON_CFG_NONE;
}

static inline int fh_cfg_number(void *ctx, const char *path, double *out)
{
    const struct fh_entry *e = fh_find(path);
    (void)ctx;
    if (!e || e->type != WATTSON_CFG_NUMBER)
        return -1;
    *out = e->num;
    return 0;
}

static inline const char *fh_cfg_string(void *ctx, const char *path)
{
    const struct fh_entry *e = fh_find(path);
    (void)ctx;
    return e && e->type == WATTSON_CFG_STRING ? e->str : NULL;
}

static inline int fh_cfg_bool(void *ctx, const char *path, int *out)
{
    const struct fh_entry *e = fh_find(path);
    (void)ctx;
    if (!e || e->type != WATTSON_CFG_BOOL)
        return -1;
    *out = e->num != 0;
    return 0;
}

static inline size_t fh_cfg_len(void *ctx, const char *path)
{
    char sub[160];
    size_t n = 0;
    for (;;) {
        snprintf(sub, sizeof sub, "%s.%zu", path, n + 1);
        if (fh_cfg_type(ctx, sub) == WATTSON_CFG_NONE)
            return n;
        n++;
    }
}

/* Keys in order of first appearance in the table. */
static inline const char *fh_cfg_key(void *ctx, const char *path, size_t i)
{
    char *slot = fh.keys[fh.key_slot++ % 8];
    size_t found = 0;
    (void)ctx;
    for (size_t k = 0; k < fh.n; k++) {
        const char *rest;
        size_t l;
        int dup = 0;
        if (!fh_under(fh.e[k].path, path, &rest))
            continue;
        l = strcspn(rest, ".");
        for (size_t j = 0; j < k && !dup; j++) {
            const char *r2;
            if (fh_under(fh.e[j].path, path, &r2) && strcspn(r2, ".") == l &&
                strncmp(r2, rest, l) == 0)
                dup = 1;
        }
        if (dup)
            continue;
        if (found++ == i) {
            snprintf(slot, 64, "%.*s", (int)l, rest);
            return slot;
        }
    }
    return NULL;
}

static inline uint64_t fh_now(void *ctx)
{
    (void)ctx;
    return fh.now_ns;
}

static inline void fh_log(void *ctx, int level, const char *fmt, ...)
{
    (void)ctx;
    (void)level;
    (void)fmt;
}

static struct wattson_host fh_host = {
    .abi_major = WATTSON_ABI_MAJOR,
    .abi_minor = WATTSON_ABI_MINOR,
    .size = sizeof(struct wattson_host),
    .ctx = NULL,
    .seed = 1,
    .lab_dir = WATTSON_SOURCE_DIR "/lua-policies/labs",
    .log = fh_log,
    .cfg_type = fh_cfg_type,
    .cfg_number = fh_cfg_number,
    .cfg_string = fh_cfg_string,
    .cfg_bool = fh_cfg_bool,
    .cfg_len = fh_cfg_len,
    .cfg_key = fh_cfg_key,
    .now_ns = fh_now,
};

static inline void fh_reset(void)
{
    fh.n = 0;
    fh.now_ns = 0;
    fh_host.seed = 1;
}

static inline struct fh_entry *fh_put(int type, const char *fmt, va_list ap)
{
    struct fh_entry *e;
    char path[128];
    vsnprintf(path, sizeof path, fmt, ap);
    e = (struct fh_entry *)fh_find(path);
    if (!e) {
        if (fh.n == FH_MAX_ENTRIES) {
            fprintf(stderr, "fakehost: too many entries\n");
            exit(2);
        }
        e = &fh.e[fh.n++];
        snprintf(e->path, sizeof e->path, "%s", path);
    }
    e->type = type;
    return e;
}

static inline void fh_num(double v, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static inline void fh_num(double v, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fh_put(WATTSON_CFG_NUMBER, fmt, ap)->num = v;
    va_end(ap);
}

static inline void fh_str(const char *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static inline void fh_str(const char *s, const char *fmt, ...)
{
    va_list ap;
    struct fh_entry *e;
    va_start(ap, fmt);
    e = fh_put(WATTSON_CFG_STRING, fmt, ap);
    va_end(ap);
    snprintf(e->str, sizeof e->str, "%s", s);
}

static inline void fh_bool(int b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static inline void fh_bool(int b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fh_put(WATTSON_CFG_BOOL, fmt, ap)->num = b;
    va_end(ap);
}

/* Removes the entry at `path` (keeps the order of the others). */
static inline void fh_del(const char *path)
{
    struct fh_entry *e = (struct fh_entry *)fh_find(path);
    if (e) {
        memmove(e, e + 1, (size_t)(fh.e + fh.n - (e + 1)) * sizeof *e);
        fh.n--;
    }
}

/* A device with a constant workload; tests then override what they need. */
static inline void fh_dev(int i, const char *name, const char *kind,
                          const char *part, double level)
{
    fh_str(name, "devices.%d.name", i);
    fh_str(kind, "devices.%d.kind", i);
    if (part)
        fh_str(part, "devices.%d.part", i);
    fh_str("constant", "devices.%d.workload.kind", i);
    fh_num(level, "devices.%d.workload.level", i);
}

/* A running plugin instance. */
struct fh_run {
    const struct wattson_plugin *pl;
    void *st;
    struct wattson_inventory inv;
    double *v;
    uint8_t *ok;
    size_t n;
    char err[512];
};

static inline int fh_open(struct fh_run *r)
{
    int rc;
    memset(r, 0, sizeof *r);
    r->pl = wattson_plugin_entry();
    rc = r->pl->init(&fh_host, &r->st, &r->inv, r->err, sizeof r->err);
    if (rc != WATTSON_OK)
        return rc;
    r->n = r->inv.n_signals;
    r->v = calloc(r->n, sizeof *r->v);
    r->ok = calloc(r->n, sizeof *r->ok);
    return rc;
}

static inline void fh_close(struct fh_run *r)
{
    if (r->st)
        r->pl->fini(r->st);
    free(r->v);
    free(r->ok);
    memset(r, 0, sizeof *r);
}

static inline int fh_read(struct fh_run *r)
{
    return r->pl->read(r->st, r->v, r->ok, r->n);
}

static inline void fh_advance(double dt_s)
{
    fh.now_ns += (uint64_t)llround(dt_s * 1e9);
}

/* Index of signal `name` of device `dev` (aborts the test if missing). */
static inline size_t fh_sig_index(const struct fh_run *r, size_t dev,
                                  const char *name)
{
    for (size_t i = 0; i < r->inv.n_signals; i++)
        if (r->inv.signals[i].device == dev &&
            strcmp(r->inv.signals[i].name, name) == 0)
            return i;
    fprintf(stderr, "fakehost: no signal %s on device %zu\n", name, dev);
    exit(2);
}

static inline double fh_sig(const struct fh_run *r, size_t dev,
                            const char *name)
{
    return r->v[fh_sig_index(r, dev, name)];
}

/* Writes control `name` of device `dev`. */
static inline int fh_write(struct fh_run *r, size_t dev, const char *name,
                           double v)
{
    for (uint32_t i = 0; i < r->inv.n_controls; i++)
        if (r->inv.controls[i].device == dev &&
            strcmp(r->inv.controls[i].name, name) == 0)
            return r->pl->write(r->st, &i, &v, 1);
    fprintf(stderr, "fakehost: no control %s on device %zu\n", name, dev);
    exit(2);
}

#endif
