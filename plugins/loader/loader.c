/*
 * plug - finding, loading and refusing driver plugins (see loader.h).
 *
 * Modelled on Redis' module loading: dlopen with RTLD_NOW so that a missing
 * symbol fails here and not at the first tick, RTLD_LOCAL so that two
 * plugins never resolve each other's symbols, one entry symbol, and every
 * refusal closes the handle before returning so nothing stays half loaded.
 */
#include "loader/loader.h"

#include <dlfcn.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* The 1.0 descriptor ends with read_controls: anything shorter was built
 * against a header that lacks fields we are about to call through. */
#define PLUG_DESC_SIZE_1_0                                                     \
    (offsetof(struct wattson_plugin, read_controls) + sizeof(void *))
/* ...and the 1.1 one with ipc_read. */
#define PLUG_DESC_SIZE_1_1                                                     \
    (offsetof(struct wattson_plugin, ipc_read) + sizeof(void *))
/* ...and the 1.2 one with the GPU process calls. */
#define PLUG_DESC_SIZE_1_2                                                     \
    (offsetof(struct wattson_plugin, gpu_share_write) + sizeof(void *))
/* ...and the 1.3 one with ipc_deliver. */
#define PLUG_DESC_SIZE_1_3                                                     \
    (offsetof(struct wattson_plugin, ipc_deliver) + sizeof(void *))

/* Converting dlsym's object pointer to a function pointer is undefined in
 * ISO C but required by POSIX; copying the bytes keeps -pedantic quiet. */
_Static_assert(sizeof(void *) == sizeof(wattson_plugin_entry_fn),
               "function and object pointers must have the same size");

static void plug_msg(char *err, size_t errlen, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* Every message is one line: a plugin's or dlerror()'s text may carry a
 * newline, which would break the console's one-line error reports. */
static void plug_msg(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    char *nl;

    if (!err || errlen == 0)
        return;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    while ((nl = strchr(err, '\n')) != NULL)
        *nl = ' ';
}

/* ---- search path ------------------------------------------------------ */

/* Called for each directory of the search path in order (not
 * NUL-terminated: $WATTSON_PLUGIN_PATH entries are slices).  Returns
 * nonzero to stop the walk. */
typedef int (*plug_dir_fn)(void *ctx, const char *dir, size_t len);

static int plug_walk(const struct plug_path *sp, plug_dir_fn fn, void *ctx)
{
    const char *env, *p;
    size_t i;

    for (i = 0; sp && i < sp->n_dirs; i++) {
        if (sp->dirs[i] && sp->dirs[i][0] &&
            fn(ctx, sp->dirs[i], strlen(sp->dirs[i])))
            return 1;
    }
    env = getenv("WATTSON_PLUGIN_PATH");
    for (p = env; p && *p;) {
        const char *end = strchr(p, ':');
        size_t len = end ? (size_t)(end - p) : strlen(p);

        /* An empty entry would mean "the current directory" to a shell;
         * loading code from wherever we were started is not wanted. */
        if (len > 0 && fn(ctx, p, len))
            return 1;
        p += len;
        if (*p == ':')
            p++;
    }
    /* Last, wattson's own directories: the caller knows where they are
     * (console/core/paths.c), so the loader holds no path of its own. */
    for (i = 0; sp && i < sp->n_own_dirs; i++) {
        if (sp->own_dirs[i] && sp->own_dirs[i][0] &&
            fn(ctx, sp->own_dirs[i], strlen(sp->own_dirs[i])))
            return 1;
    }
    return 0;
}

struct plug_find_ctx {
    const char *file; /* "N.so" */
    char *found;      /* malloc'd path once found */
    int oom;
    char *err; /* list of searched directories, built as we go */
    size_t errlen;
    size_t used;
};

static int plug_is_file(const char *path)
{
    struct stat st;

    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static int plug_find_dir(void *vctx, const char *dir, size_t len)
{
    struct plug_find_ctx *c = vctx;
    size_t need = len + 1 + strlen(c->file) + 1;
    char *path = malloc(need);

    if (!path) {
        c->oom = 1;
        return 1;
    }
    snprintf(path, need, "%.*s/%s", (int)len, dir, c->file);
    if (plug_is_file(path)) {
        c->found = path;
        return 1;
    }
    free(path);
    if (c->err && c->used < c->errlen) {
        int n = snprintf(c->err + c->used, c->errlen - c->used, "%s%.*s",
                         c->used ? ", " : "", (int)len, dir);
        if (n > 0)
            c->used += (size_t)n;
    }
    return 0;
}

int plug_find(const struct plug_path *sp, const char *name, char **path,
              char *err, size_t errlen)
{
    struct plug_find_ctx c;
    char searched[2048];
    size_t nlen;
    int suffixed;

    *path = NULL;
    if (!name || !*name) {
        plug_msg(err, errlen, "plugin name is empty");
        return -1;
    }
    if (strchr(name, '/')) {
        errno = 0;
        if (!plug_is_file(name)) {
            plug_msg(err, errlen, "plugin %s: %s", name,
                     errno ? strerror(errno) : "not a regular file");
            return -1;
        }
        *path = strdup(name);
        if (!*path) {
            plug_msg(err, errlen, "plugin %s: out of memory", name);
            return -1;
        }
        return 0;
    }

    /* "recorder" and "recorder.so" name the same file. */
    nlen = strlen(name);
    suffixed = nlen > 3 && strcmp(name + nlen - 3, ".so") == 0;
    memset(&c, 0, sizeof c);
    c.err = searched;
    c.errlen = sizeof searched;
    searched[0] = '\0';
    {
        size_t flen = nlen + 4;
        char *file = malloc(flen);

        if (!file) {
            plug_msg(err, errlen, "plugin %s: out of memory", name);
            return -1;
        }
        snprintf(file, flen, "%s%s", name, suffixed ? "" : ".so");
        c.file = file;
        plug_walk(sp, plug_find_dir, &c);
        if (c.oom)
            plug_msg(err, errlen, "plugin %s: out of memory", name);
        else if (!c.found)
            plug_msg(err, errlen, "plugin %s not found (searched: %s)", file,
                     searched);
        free(file);
    }
    if (!c.found)
        return -1;
    *path = c.found;
    return 0;
}

/* plug_search_dirs hands out pointers into this copy of
 * $WATTSON_PLUGIN_PATH (split at the colons).  It is reachable from a
 * static, so it is not a leak; it stays valid until the next call. */
static char *plug_env_copy;

struct plug_list_ctx {
    const char **dirs;
    size_t max;
    size_t n;
    const char *env; /* the original getenv() string */
    char *copy;      /* plug_env_copy, same offsets as env */
};

static int plug_list_dir(void *vctx, const char *dir, size_t len)
{
    struct plug_list_ctx *c = vctx;
    const char *s = dir;

    /* Slices of the environment string point into our split copy instead,
     * where they are NUL-terminated. */
    if (c->env && c->copy && dir >= c->env && dir < c->env + strlen(c->env))
        s = c->copy + (dir - c->env);
    (void)len;
    if (c->n < c->max)
        c->dirs[c->n] = s;
    c->n++;
    return 0;
}

size_t plug_search_dirs(const struct plug_path *sp, const char **dirs,
                        size_t max)
{
    struct plug_list_ctx c;
    const char *env = getenv("WATTSON_PLUGIN_PATH");
    char *q;

    memset(&c, 0, sizeof c);
    c.dirs = dirs;
    c.max = dirs ? max : 0;
    free(plug_env_copy);
    plug_env_copy = NULL;
    if (env && *env) {
        plug_env_copy = strdup(env);
        if (plug_env_copy) {
            for (q = plug_env_copy; *q; q++)
                if (*q == ':')
                    *q = '\0';
            c.env = env;
            c.copy = plug_env_copy;
        }
        /* Without the copy the environment entries cannot be listed. */
    }
    plug_walk(sp, plug_list_dir, &c);
    if (!c.copy && env && *env) {
        /* Out of memory: drop the slices we could not terminate. */
        size_t i, j = 0, n = c.n < c.max ? c.n : c.max;

        for (i = 0; i < n; i++)
            if (!(dirs[i] >= env && dirs[i] < env + strlen(env)))
                dirs[j++] = dirs[i];
        return j;
    }
    return c.n;
}

/* ---- opening ---------------------------------------------------------- */

static void plug_free(struct plug *p)
{
    if (!p)
        return;
    if (p->handle)
        dlclose(p->handle);
    free(p->path);
    free(p);
}

static int plug_check_desc(const char *path, const struct wattson_plugin *d,
                           char *err, size_t errlen)
{
    /* major/minor/size lead the descriptor in every ABI version, so they
     * are the only fields read before the version is known to be ours. */
    if (d->abi_major != WATTSON_ABI_MAJOR) {
        plug_msg(err, errlen,
                 "plugin %s: built for ABI %u.%u, wattson has %d.%d", path,
                 (unsigned)d->abi_major, (unsigned)d->abi_minor,
                 WATTSON_ABI_MAJOR, WATTSON_ABI_MINOR);
        return -1;
    }
    if (d->abi_minor > WATTSON_ABI_MINOR) {
        plug_msg(err, errlen,
                 "plugin %s: built for ABI %u.%u, wattson has %d.%d "
                 "(plugin is newer)",
                 path, (unsigned)d->abi_major, (unsigned)d->abi_minor,
                 WATTSON_ABI_MAJOR, WATTSON_ABI_MINOR);
        return -1;
    }
    if (d->size < PLUG_DESC_SIZE_1_0) {
        plug_msg(err, errlen,
                 "plugin %s: descriptor is %u bytes, ABI %d.0 needs %zu", path,
                 (unsigned)d->size, WATTSON_ABI_MAJOR,
                 (size_t)PLUG_DESC_SIZE_1_0);
        return -1;
    }
    if (!d->name || !d->init || !d->fini || !d->read) {
        plug_msg(err, errlen, "plugin %s: descriptor has no %s", path,
                 !d->name   ? "name"
                 : !d->init ? "init"
                 : !d->fini ? "fini"
                            : "read");
        return -1;
    }
    /* Without read_controls the host cannot save the settings it changes,
     * so it could never put the hardware back on exit. */
    if (d->write && !d->read_controls) {
        plug_msg(err, errlen,
                 "plugin %s: descriptor has write but no read_controls", path);
        return -1;
    }
    return 0;
}

int plug_open(const char *path, struct plug **out, char *err, size_t errlen)
{
    struct plug *p;
    void *sym;
    const char *e;
    wattson_plugin_entry_fn entry;

    *out = NULL;
    p = calloc(1, sizeof *p);
    if (!p || !(p->path = strdup(path))) {
        free(p);
        plug_msg(err, errlen, "plugin %s: out of memory", path);
        return PLUG_ERR_LOAD;
    }
    dlerror(); /* clear any stale error */
    p->handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!p->handle) {
        e = dlerror();
        plug_msg(err, errlen, "plugin %s: cannot load: %s", path,
                 e ? e : "unknown dlopen error");
        plug_free(p);
        return PLUG_ERR_LOAD;
    }
    dlerror();
    sym = dlsym(p->handle, WATTSON_PLUGIN_ENTRY);
    e = dlerror();
    if (e || !sym) {
        plug_msg(err, errlen, "plugin %s: no %s symbol: %s", path,
                 WATTSON_PLUGIN_ENTRY, e ? e : "symbol is NULL");
        plug_free(p);
        return PLUG_ERR_LOAD;
    }
    memcpy(&entry, &sym, sizeof entry);
    p->desc = entry();
    if (!p->desc) {
        plug_msg(err, errlen, "plugin %s: %s returned no descriptor", path,
                 WATTSON_PLUGIN_ENTRY);
        plug_free(p);
        return PLUG_ERR_LOAD;
    }
    if (plug_check_desc(path, p->desc, err, errlen) != 0) {
        plug_free(p);
        return PLUG_ERR_LOAD;
    }
    *out = p;
    return PLUG_OK;
}

/* ---- init ------------------------------------------------------------- */

/* The loader.h struct has no "initialised" flag: p->host stays all zero
 * from calloc until init succeeds, so its size field is the flag. */
static int plug_live(const struct plug *p)
{
    return p->host.size != 0;
}

static int plug_finite(double v)
{
    return isfinite(v);
}

/* Checks what init returned, so that nothing downstream has to: indices in
 * range, names present, ranges ordered.  Returns 0 or -1 with a reason. */
/* One P-state table: states in increasing frequency, powers that a
 * broker can divide without meeting a NaN, idle below busy. */
static int plug_check_pstates(const struct wattson_inventory *inv,
                              const struct wattson_pstate_table *t, char *why,
                              size_t whylen)
{
    if (t->device >= inv->n_devices) {
        plug_msg(why, whylen, "P-state table names device %u of %zu",
                 (unsigned)t->device, inv->n_devices);
        return -1;
    }
    const char *dev = inv->devices[t->device].name;
    if (t->n == 0 || t->n > PLUG_MAX_PSTATES || !t->freq_hz || !t->busy_w ||
        !t->idle_w) {
        plug_msg(why, whylen, "device %s has a P-state table of %zu states%s",
                 dev, t->n,
                 t->n && t->n <= PLUG_MAX_PSTATES ? " and no arrays" : "");
        return -1;
    }
    if (!plug_finite(t->temp_ref_c)) {
        plug_msg(why, whylen, "device %s has P-state temp_ref_c %g", dev,
                 t->temp_ref_c);
        return -1;
    }
    for (size_t k = 0; k < t->n; k++) {
        double f = t->freq_hz[k], b = t->busy_w[k], id = t->idle_w[k];
        if (!plug_finite(f) || f <= 0 || (k && f <= t->freq_hz[k - 1])) {
            plug_msg(why, whylen,
                     "device %s P-state %zu has frequency %g Hz (must be > 0 "
                     "and increasing)",
                     dev, k, f);
            return -1;
        }
        if (!plug_finite(b) || !plug_finite(id) || id < 0 || b < id) {
            plug_msg(why, whylen,
                     "device %s P-state %zu has idle %g W, busy %g W (need 0 "
                     "<= idle <= busy)",
                     dev, k, id, b);
            return -1;
        }
    }
    for (const struct wattson_pstate_table *o = inv->pstates; o < t; o++)
        if (o->device == t->device) {
            plug_msg(why, whylen, "device %s has two P-state tables", dev);
            return -1;
        }
    return 0;
}

/* The 1.1 fields: P-state tables and IPC processes. */
static int plug_check_inv_1_1(const struct wattson_inventory *inv, char *why,
                              size_t whylen)
{
    if ((inv->n_pstates && !inv->pstates) || (inv->n_procs && !inv->procs)) {
        plug_msg(why, whylen, "a count is set but its array is NULL");
        return -1;
    }
    for (size_t i = 0; i < inv->n_pstates; i++)
        if (plug_check_pstates(inv, &inv->pstates[i], why, whylen))
            return -1;
    for (size_t i = 0; i < inv->n_procs; i++) {
        const struct wattson_proc_desc *pr = &inv->procs[i];
        if (pr->device >= inv->n_devices) {
            plug_msg(why, whylen, "process %u names device %u of %zu",
                     (unsigned)pr->pid, (unsigned)pr->device, inv->n_devices);
            return -1;
        }
        for (size_t j = 0; j < i; j++)
            if (inv->procs[j].pid == pr->pid) {
                plug_msg(why, whylen, "process %u is listed twice",
                         (unsigned)pr->pid);
                return -1;
            }
    }
    return 0;
}

static int plug_check_inv(const struct wattson_inventory *inv, char *why,
                          size_t whylen)
{
    size_t i, j;

    if ((inv->n_devices && !inv->devices) ||
        (inv->n_signals && !inv->signals) ||
        (inv->n_controls && !inv->controls)) {
        plug_msg(why, whylen, "a count is set but its array is NULL");
        return -1;
    }
    for (i = 0; i < inv->n_devices; i++) {
        const struct wattson_device_desc *d = &inv->devices[i];

        if (!d->name || !d->name[0] || !d->kind) {
            plug_msg(why, whylen, "device %zu has no %s", i,
                     d->kind ? "name" : "kind");
            return -1;
        }
        if (d->parent < -1 ||
            (d->parent >= 0 &&
             ((size_t)d->parent >= inv->n_devices || (size_t)d->parent == i))) {
            plug_msg(why, whylen, "device %s has parent %d of %zu devices",
                     d->name, (int)d->parent, inv->n_devices);
            return -1;
        }
        if (d->n_links && !d->links) {
            plug_msg(why, whylen, "device %s has links but no array", d->name);
            return -1;
        }
        for (j = 0; j < d->n_links; j++) {
            if (d->links[j] >= inv->n_devices) {
                plug_msg(why, whylen, "device %s links to device %u of %zu",
                         d->name, (unsigned)d->links[j], inv->n_devices);
                return -1;
            }
        }
        /* Device names key the lab and the summary. Quadratic, but a
         * plugin has tens of devices, not thousands. */
        for (j = 0; j < i; j++) {
            if (strcmp(inv->devices[j].name, d->name) == 0) {
                plug_msg(why, whylen, "device name %s is used twice", d->name);
                return -1;
            }
        }
    }
    for (i = 0; i < inv->n_signals; i++) {
        const struct wattson_signal_desc *s = &inv->signals[i];

        if (!s->name || !s->unit) {
            plug_msg(why, whylen, "signal %zu has no %s", i,
                     s->name ? "unit" : "name");
            return -1;
        }
        if (s->device >= inv->n_devices) {
            plug_msg(why, whylen, "signal %s names device %u of %zu", s->name,
                     (unsigned)s->device, inv->n_devices);
            return -1;
        }
        if (s->behaviour < WATTSON_CONSTANT || s->behaviour > WATTSON_GAUGE) {
            plug_msg(why, whylen, "signal %s has behaviour %d", s->name,
                     s->behaviour);
            return -1;
        }
        if (!plug_finite(s->wrap) || s->wrap < 0) {
            plug_msg(why, whylen, "signal %s has wrap %g", s->name, s->wrap);
            return -1;
        }
    }
    for (i = 0; i < inv->n_controls; i++) {
        const struct wattson_control_desc *c = &inv->controls[i];

        if (!c->name || !c->unit) {
            plug_msg(why, whylen, "control %zu has no %s", i,
                     c->name ? "unit" : "name");
            return -1;
        }
        if (c->device >= inv->n_devices) {
            plug_msg(why, whylen, "control %s names device %u of %zu", c->name,
                     (unsigned)c->device, inv->n_devices);
            return -1;
        }
        /* The host clamps every write into [min, max]; a NaN or reversed
         * range would make that clamp meaningless. */
        if (!plug_finite(c->min) || !plug_finite(c->max) || c->min > c->max) {
            plug_msg(why, whylen, "control %s has range [%g, %g]", c->name,
                     c->min, c->max);
            return -1;
        }
        if (!plug_finite(c->step) || c->step < 0) {
            plug_msg(why, whylen, "control %s has step %g", c->name, c->step);
            return -1;
        }
    }
    return plug_check_inv_1_1(inv, why, whylen);
}

int plug_init(struct plug **pp, const struct wattson_host *host, char *err,
              size_t errlen)
{
    return plug_init_why(pp, host, err, errlen, NULL, 0);
}

int plug_init_why(struct plug **pp, const struct wattson_host *host, char *err,
                  size_t errlen, char *why_out, size_t why_len)
{
    struct plug *p = pp ? *pp : NULL;
    char perr[512];
    char why[256];
    void *state = NULL;
    struct wattson_inventory inv;
    int rc;

    if (!p || !host || plug_live(p)) {
        plug_msg(err, errlen, "plugin %s: init called %s",
                 p ? p->path : "(none)",
                 p && host ? "twice" : "without a plugin or host");
        plug_msg(why_out, why_len, "init called %s",
                 p && host ? "twice" : "without a plugin or host");
        return PLUG_ERR_INIT;
    }
    /* The plugin may keep `host` until fini: give it our copy, which
     * lives as long as the plug, not the caller's (maybe on its stack). */
    p->host = *host;
    p->host.abi_major = WATTSON_ABI_MAJOR;
    p->host.abi_minor = WATTSON_ABI_MINOR;
    p->host.size = sizeof p->host;
    memset(&inv, 0, sizeof inv);
    perr[0] = '\0';
    rc = p->desc->init(&p->host, &state, &inv, perr, sizeof perr);
    perr[sizeof perr - 1] = '\0';
    if (rc != WATTSON_OK) {
        /* The plugin released everything itself: no fini. */
        plug_msg(err, errlen, "plugin %s: init failed: %s", p->path,
                 perr[0] ? perr : "no reason given");
        plug_msg(why_out, why_len, "%s", perr[0] ? perr : "no reason given");
        plug_free(p);
        *pp = NULL;
        return rc == WATTSON_ERR_CONFIG        ? PLUG_ERR_CONFIG
               : rc == WATTSON_ERR_UNSUPPORTED ? PLUG_ERR_ABSENT
                                               : PLUG_ERR_INIT;
    }
    if (plug_check_inv(&inv, why, sizeof why) != 0) {
        /* init succeeded, so the plugin owns resources only fini frees. */
        p->desc->fini(state);
        plug_msg(err, errlen, "plugin %s: init failed: bad inventory: %s",
                 p->path, why);
        plug_msg(why_out, why_len, "bad inventory: %s", why);
        plug_free(p);
        *pp = NULL;
        return PLUG_ERR_INIT;
    }
    p->state = state;
    p->inv = inv;
    return PLUG_OK;
}

void plug_close(struct plug *p)
{
    if (!p)
        return;
    if (plug_live(p))
        p->desc->fini(p->state);
    plug_free(p);
}

int plug_ipc_read(struct plug *p, struct wattson_ipc_event *ev, size_t max)
{
    /* A 1.0 plugin's descriptor ends before ipc_read: never read past
     * what it declared. */
    if (!plug_live(p) || p->desc->abi_minor < 1 ||
        p->desc->size < PLUG_DESC_SIZE_1_1 || !p->desc->ipc_read || max == 0)
        return 0;
    int n = p->desc->ipc_read(p->state, ev, max);
    if (n < 0)
        return n;
    return (size_t)n > max ? (int)max : n;
}

int plug_gpu_procs_read(struct plug *p, struct wattson_gpu_proc *gp, size_t max)
{
    if (!plug_live(p) || p->desc->abi_minor < 2 ||
        p->desc->size < PLUG_DESC_SIZE_1_2 || !p->desc->gpu_procs_read ||
        max == 0)
        return 0;
    int n = p->desc->gpu_procs_read(p->state, gp, max);
    if (n < 0)
        return n;
    return (size_t)n > max ? (int)max : n;
}

int plug_gpu_share_write(struct plug *p, const struct wattson_gpu_share *s,
                         size_t n)
{
    if (!plug_live(p) || p->desc->abi_minor < 2 ||
        p->desc->size < PLUG_DESC_SIZE_1_2 || !p->desc->gpu_share_write)
        return WATTSON_ERR_UNSUPPORTED;
    return n ? p->desc->gpu_share_write(p->state, s, n) : 0;
}

int plug_has_gpu_share(const struct plug *p)
{
    return plug_live(p) && p->desc->abi_minor >= 2 &&
           p->desc->size >= PLUG_DESC_SIZE_1_2 && p->desc->gpu_share_write;
}

int plug_has_ipc_deliver(const struct plug *p)
{
    /* A 1.2 plugin's descriptor ends before ipc_deliver: what lies past
     * its size is not its, whatever the bytes say. */
    return p && plug_live(p) && p->desc->abi_minor >= 3 &&
           p->desc->size >= PLUG_DESC_SIZE_1_3 && p->desc->ipc_deliver;
}

int plug_ipc_deliver(struct plug *p, const struct wattson_ipc_delivery *d,
                     size_t n)
{
    if (!plug_has_ipc_deliver(p))
        return WATTSON_ERR_UNSUPPORTED;
    return n ? p->desc->ipc_deliver(p->state, d, n) : 0;
}
