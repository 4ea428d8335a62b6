/*
 * drvtest.h - what the real-hardware driver tests (tests/drivers/<name>/
 * test_<name>.c) share: a fake host whose log lines go into a buffer and
 * whose configuration is a small table, temporary copies of fixture
 * trees, and loading a driver through the real plugin loader
 * (plug_find, plug_open, plug_init).
 *
 * Header-only (static inline, so a test need not use every helper);
 * include it after the test's own #defines.
 */
#ifndef WATTSON_DRVTEST_H
#define WATTSON_DRVTEST_H

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "loader/loader.h"
#include "t.h"

#ifndef WATTSON_PLUGIN_BUILD_DIR
#define WATTSON_PLUGIN_BUILD_DIR "build/lib/wattson"
#endif

/* ---- fake host -------------------------------------------------------- */

/* One configuration key: its type and the value of that type. */
struct th_cfg {
    const char *key;
    int type; /* WATTSON_CFG_* */
    double num;
    const char *str;
    int b;
};

static char th_logbuf[8192];
static size_t th_loglen;
static const struct th_cfg *th_cfgs;
static size_t th_ncfg;

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

/* Tables: a key "a.b" in the list makes "b" a key of the table "a" (give
 * "a" the type WATTSON_CFG_TABLE too), in the order of the entries. */
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
    return 0;
}

/* A host with lab directory lab_dir (may be NULL) and configuration
 * cfgs[0..n) (kept, not copied: valid through plug_init); empties the
 * log. */
static inline void th_host(struct wattson_host *h, const char *lab_dir,
                           const struct th_cfg *cfgs, size_t n)
{
    memset(h, 0, sizeof *h);
    h->abi_major = WATTSON_ABI_MAJOR;
    h->abi_minor = WATTSON_ABI_MINOR;
    h->size = sizeof *h;
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
    th_loglen = 0;
    th_logbuf[0] = '\0';
}

/* ---- helpers ---------------------------------------------------------- */

static inline int dt_has(const char *hay, const char *needle)
{
    int ok = hay && strstr(hay, needle) != NULL;

    if (!ok)
        fprintf(stderr, "  \"%s\" lacks \"%s\"\n", hay ? hay : "(null)",
                needle);
    return ok;
}

static inline int dt_count(const char *hay, const char *needle)
{
    int n = 0;

    while ((hay = strstr(hay, needle)) != NULL) {
        n++;
        hay += strlen(needle);
    }
    return n;
}

/* Writes text to root + file. */
static inline void dt_write(const char *root, const char *file,
                            const char *text)
{
    char path[4096];
    FILE *f;

    snprintf(path, sizeof path, "%s%s", root, file);
    f = fopen(path, "w");
    if (!f) {
        fprintf(stderr, "cannot write %s: %s\n", path, strerror(errno));
        T_CHECK(!"write fixture file");
        return;
    }
    fputs(text, f);
    fclose(f);
}

/* The first 255 bytes of root + file ("" if missing; static buffer). */
static inline const char *dt_slurp(const char *root, const char *file)
{
    static char buf[256];
    char path[4096];
    size_t n = 0;
    FILE *f;

    snprintf(path, sizeof path, "%s%s", root, file);
    buf[0] = '\0';
    f = fopen(path, "r");
    if (f) {
        n = fread(buf, 1, sizeof buf - 1, f);
        fclose(f);
    }
    buf[n] = '\0';
    return buf;
}

/* A temporary copy of fixtures/name in dir (a mkdtemp template). */
static inline int dt_copy(const char *fixtures, const char *name, char *dir)
{
    char cmd[8400];

    if (!mkdtemp(dir)) {
        T_CHECK(!"mkdtemp");
        return -1;
    }
    snprintf(cmd, sizeof cmd, "cp -R '%s/%s/.' '%s'", fixtures, name, dir);
    if (system(cmd) != 0) {
        T_CHECK(!"copy fixture");
        return -1;
    }
    return 0;
}

static inline void dt_rmtree(const char *dir)
{
    char cmd[4200];

    snprintf(cmd, sizeof cmd, "chmod -R u+rwX '%s'; rm -rf '%s'", dir, dir);
    if (system(cmd) != 0)
        fprintf(stderr, "cleanup of %s failed\n", dir);
}

/* Finds <name>.so the way wattson does ($WATTSON_PLUGIN_BUILD_DIR, else
 * the build tree's) and opens it; checks it is the real driver `name`.
 * Returns the plug_open class; *out is the plugin on PLUG_OK. */
static inline int dt_open(const char *name, struct plug **out, char *err,
                          size_t errlen)
{
    const char *bd = getenv("WATTSON_PLUGIN_BUILD_DIR");
    const char *dirs[1];
    struct plug_path sp = {0};
    char *path = NULL;
    int rc;

    dirs[0] = bd && *bd ? bd : WATTSON_PLUGIN_BUILD_DIR;
    sp.dirs = dirs;
    sp.n_dirs = 1;
    *out = NULL;
    if (plug_find(&sp, name, &path, err, errlen) != 0) {
        T_CHECK(!"plug_find");
        fprintf(stderr, "  %s: %s\n", name, err);
        return PLUG_ERR_NOTFOUND;
    }
    rc = plug_open(path, out, err, errlen);
    free(path);
    if (rc != PLUG_OK) {
        T_CHECK(!"plug_open");
        fprintf(stderr, "  %s: %s\n", name, err);
        return rc;
    }
    T_STREQ((*out)->desc->name, name);
    T_CHECK(((*out)->desc->flags & WATTSON_PLUGIN_SIMULATED) == 0);
    return PLUG_OK;
}

/* load() that must succeed: the plugin, or NULL after a failed check. */
static inline struct plug *dt_load_ok(int (*load)(struct plug **, char *,
                                                  size_t))
{
    struct plug *p;
    char err[1024];
    int rc = load(&p, err, sizeof err);

    T_CHECK(rc == PLUG_OK);
    if (rc != PLUG_OK) {
        fprintf(stderr, "  %s\n", err);
        return NULL;
    }
    return p;
}

#endif
