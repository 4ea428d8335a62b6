/*
 * plug - finding, loading and refusing driver plugins.
 *
 * Search order for a plugin named N (file N.so): the directories given with
 * --plugin-dir (in order), then each entry of $WATTSON_PLUGIN_PATH (colon
 * separated), then the build tree's plugin directory, then the install
 * prefix's lib/wattson.  A name containing '/' is used as a path as is.
 *
 * A plugin is refused - closed and reported with the file name and the
 * reason - when dlopen fails (dlerror() text), the entry symbol is missing,
 * the descriptor is shorter than the 1.0 descriptor, its major differs from
 * the host's, its minor is newer than the host's, a mandatory operation is
 * NULL, or its init fails.  A refused plugin is never left half loaded.
 */
#ifndef WATTSON_PLUG_H
#define WATTSON_PLUG_H

#include <stddef.h>
#include <stdint.h>

#include "wattson/plugin.h"

struct plug {
    char *path;                        /* the file actually opened */
    void *handle;                      /* dlopen handle */
    const struct wattson_plugin *desc; /* the plugin's descriptor */
    void *state;                       /* from init */
    struct wattson_inventory inv;      /* from init */
    struct wattson_host host;          /* what init was given (kept alive) */
};

/* Error classes, for exit codes: a config error is the lab's fault. */
enum plug_err {
    PLUG_OK = 0,
    PLUG_ERR_NOTFOUND = 1, /* no file in the search path */
    PLUG_ERR_LOAD = 2,     /* dlopen, symbol, ABI or descriptor problem */
    PLUG_ERR_INIT = 3,     /* init failed (WATTSON_ERR and the rest) */
    PLUG_ERR_CONFIG = 4,   /* init said WATTSON_ERR_CONFIG */
    PLUG_ERR_ABSENT = 5,   /* init said WATTSON_ERR_UNSUPPORTED: no such
                              hardware here (a lab may call that fine) */
};

/* The search path: dirs, then each entry of $WATTSON_PLUGIN_PATH, then
 * own_dirs (wattson's own plugin directories, paths_plugin_dirs). */
struct plug_path {
    const char **dirs; /* --plugin-dir values, in order */
    size_t n_dirs;
    const char *const *own_dirs;
    size_t n_own_dirs;
};

/* Finds the file for `name`; returns 0 and a malloc'd path, or -1 and the
 * list of searched directories in err. */
int plug_find(const struct plug_path *sp, const char *name, char **path,
              char *err, size_t errlen);
/* Opens and checks the plugin at `path` (no init).  Returns PLUG_OK or an
 * enum plug_err with a one-line message in err naming the file. */
int plug_open(const char *path, struct plug **out, char *err, size_t errlen);
/* Calls init with `host` (copied into p->host).  On failure the plugin is
 * closed and freed, *pp set to NULL, and the error class returned. */
int plug_init(struct plug **pp, const struct wattson_host *host, char *err,
              size_t errlen);
/* plug_init that also gives the reason alone in `why` (the plugin's own
 * message, without err's "plugin PATH: init failed: "), for a caller that
 * reports a failure in its own words: a config error as the lab's field,
 * an absent optional driver as a warning.  The enum plug_err says which
 * failure it was; why NULL: none wanted. */
int plug_init_why(struct plug **pp, const struct wattson_host *host, char *err,
                  size_t errlen, char *why, size_t whylen);
/* Largest P-state table a plugin may declare. */
#define PLUG_MAX_PSTATES 128

/* The IPC events the plugin has for this tick (ABI 1.1 ipc_read): the
 * count written (0 when the plugin has no ipc_read or is a 1.0 plugin),
 * or a negative wattson_status. */
int plug_ipc_read(struct plug *p, struct wattson_ipc_event *ev, size_t max);

/* The processes on the plugin's GPUs this tick (ABI 1.2 gpu_procs_read):
 * the count written (0 when the plugin has none or is older than 1.2), or
 * a negative wattson_status. */
int plug_gpu_procs_read(struct plug *p, struct wattson_gpu_proc *gp,
                        size_t max);
/* Apply per-process GPU shares (ABI 1.2 gpu_share_write):
 * WATTSON_ERR_UNSUPPORTED when the plugin cannot enforce them. */
int plug_gpu_share_write(struct plug *p, const struct wattson_gpu_share *s,
                         size_t n);
int plug_has_gpu_share(const struct plug *p);

/* Hands the plugin the tick's messages from outside it whose destination
 * runs on one of its devices (ABI 1.3 ipc_deliver): 0 (also for n == 0),
 * a negative wattson_status from the plugin, or WATTSON_ERR_UNSUPPORTED
 * when it has no ipc_deliver or is older than 1.3 (then nothing is
 * called).  plug_has_ipc_deliver says which beforehand, so that a host
 * maps destinations only for plugins that take them. */
int plug_ipc_deliver(struct plug *p, const struct wattson_ipc_delivery *d,
                     size_t n);
int plug_has_ipc_deliver(const struct plug *p);

/* fini (if initialised), dlclose, free. */
void plug_close(struct plug *p);
/* Lists the search path, one directory per line, for --help and errors. */
size_t plug_search_dirs(const struct plug_path *sp, const char **dirs,
                        size_t max);

#endif
