/*
 * drvtest.h - what the real-hardware driver tests (tests/drivers/<name>/
 * test_<name>.c) share: the fake host of tests/th_host.h (log lines into
 * a buffer, configuration from a small table), temporary copies of
 * fixture trees, and loading a driver through the real plugin loader
 * (plug_find, plug_open, plug_init).
 *
 * Header-only (static inline, so a test need not use every helper);
 * include it after the test's own #defines.
 */
#ifndef WATTSON_DRVTEST_H
#define WATTSON_DRVTEST_H

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "loader/loader.h"
#include "t.h"
#include "th_host.h"

#ifndef WATTSON_PLUGIN_BUILD_DIR
#define WATTSON_PLUGIN_BUILD_DIR "build/lib/wattson"
#endif

/* ---- helpers ---------------------------------------------------------- */

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
