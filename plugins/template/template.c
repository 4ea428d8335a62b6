/*
 * template - a starting point for a wattson driver plugin.
 *
 * Copy this file, rename the `tmpl_` prefix, and replace the attribute
 * table.  It drives one device through a directory of sysfs-style files,
 * modelled on a Linux powercap (RAPL) zone:
 *
 *   signal  temp       gauge    C   from temp1_input (millidegrees)
 *   signal  energy     counter  J   from energy_uj, wraps at
 *                                   max_energy_range_uj
 *   control power_cap           W   constraint_0_power_limit_uw (read and
 *                                   written), bounded by
 *                                   constraint_0_max_power_uw when present
 *
 * Lab configuration (the plugin's own entry in the lab file):
 *
 *   root     string  required  directory holding the files; relative paths
 *                              are resolved against the lab's directory
 *   device   string  "pkg0"    the device's name, unique in the lab
 *   cap_min  number  1         lowest power cap the host may set, W
 *   cap_max  number  200       highest, W, when the max file is missing
 *   readonly bool    false     expose no control (monitor only)
 *
 * See README.md next to this file for the rules every plugin follows.
 */
/* open()'s O_CLOEXEC and strdup() are POSIX, not C11: asked for here, so
 * the file also builds out of tree with plain `cc -std=c11` (the wattson
 * tree defines it for every file on the command line). */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "wattson/plugin.h"

/*
 * The hardware interface as data, in the style of GEOPM's sysfs driver
 * tables: which file, how to scale its integer to SI units, and whether
 * it may be written.  Supporting a new attribute is one line here plus
 * one line in a signal or control table below, not new code.
 */
struct tmpl_attr {
    const char *file; /* relative to `root` */
    double scale;     /* SI value = file value * scale */
    const char *unit; /* SI unit after scaling */
    int writable;
};

enum {
    TMPL_A_TEMP,
    TMPL_A_ENERGY,
    TMPL_A_ENERGY_RANGE,
    TMPL_A_CAP,
    TMPL_A_CAP_MAX,
    TMPL_NATTR
};

static const struct tmpl_attr tmpl_attrs[TMPL_NATTR] = {
    [TMPL_A_TEMP] = {"temp1_input", 1e-3, "C", 0},
    [TMPL_A_ENERGY] = {"energy_uj", 1e-6, "J", 0},
    [TMPL_A_ENERGY_RANGE] = {"max_energy_range_uj", 1e-6, "J", 0},
    [TMPL_A_CAP] = {"constraint_0_power_limit_uw", 1e-6, "W", 1},
    [TMPL_A_CAP_MAX] = {"constraint_0_max_power_uw", 1e-6, "W", 0},
};

/* Signals and controls, in inventory order, and the attribute behind
 * each.  The host reads and writes in this order. */
enum { TMPL_S_TEMP, TMPL_S_ENERGY, TMPL_NSIG };
enum { TMPL_C_CAP, TMPL_NCTL };

static const int tmpl_sig_attr[TMPL_NSIG] = {
    [TMPL_S_TEMP] = TMPL_A_TEMP,
    [TMPL_S_ENERGY] = TMPL_A_ENERGY,
};
static const int tmpl_ctl_attr[TMPL_NCTL] = {
    [TMPL_C_CAP] = TMPL_A_CAP,
};

/* Everything the plugin owns; freed by fini (or by init on failure). */
struct tmpl {
    const struct wattson_host *host; /* valid until fini */
    char *root;
    struct wattson_device_desc device;
    struct wattson_signal_desc signals[TMPL_NSIG];
    struct wattson_control_desc controls[TMPL_NCTL];
};

static char *tmpl_path(const char *dir, const char *file)
{
    size_t n = strlen(dir) + 1 + strlen(file) + 1;
    char *p = malloc(n);

    if (p)
        snprintf(p, n, "%s/%s", dir, file);
    return p;
}

/* Reads attribute `a` in SI units.  Returns 0, or -1 when the file is
 * missing or does not hold a number: the caller marks the value invalid
 * instead of inventing one. */
static int tmpl_read_attr(const struct tmpl *t, int a, double *out)
{
    char *path = tmpl_path(t->root, tmpl_attrs[a].file);
    char buf[64], *end;
    ssize_t got = -1;
    int fd;
    double v;

    if (!path)
        return -1;
    fd = open(path, O_RDONLY | O_CLOEXEC);
    free(path);
    if (fd < 0)
        return -1;
    do {
        got = read(fd, buf, sizeof buf - 1);
    } while (got < 0 && errno == EINTR);
    close(fd);
    if (got <= 0)
        return -1;
    buf[got] = '\0';
    errno = 0;
    v = strtod(buf, &end);
    if (end == buf || errno != 0 || !isfinite(v))
        return -1;
    *out = v * tmpl_attrs[a].scale;
    return 0;
}

/* Writes attribute `a` from an SI value.  sysfs wants one write() of the
 * whole text, which stdio would not promise. */
static int tmpl_write_attr(const struct tmpl *t, int a, double si)
{
    char *path = tmpl_path(t->root, tmpl_attrs[a].file);
    char buf[64];
    int fd, len;
    ssize_t put;

    if (!path)
        return -1;
    /* The files hold integers in their own unit (uW): round, not cut. */
    len = snprintf(buf, sizeof buf, "%.0f\n", si / tmpl_attrs[a].scale);
    fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
    free(path);
    if (fd < 0)
        return -1;
    do {
        put = write(fd, buf, (size_t)len);
    } while (put < 0 && errno == EINTR);
    if (close(fd) != 0 || put != len)
        return -1;
    return 0;
}

/* Optional number at `key`: keeps *out when absent, refuses other types. */
static int tmpl_cfg_number(const struct wattson_host *h, const char *key,
                           double *out, char *err, size_t errlen)
{
    int type = h->cfg_type(h->ctx, key);

    if (type == WATTSON_CFG_NONE)
        return WATTSON_OK;
    /* Checking the type first means the value is there to be read. */
    if (type != WATTSON_CFG_NUMBER) {
        snprintf(err, errlen, "config key '%s': expected a number", key);
        return WATTSON_ERR_CONFIG;
    }
    (void)h->cfg_number(h->ctx, key, out);
    if (!isfinite(*out)) {
        snprintf(err, errlen, "config key '%s': not a finite number", key);
        return WATTSON_ERR_CONFIG;
    }
    return WATTSON_OK;
}

static void tmpl_free(struct tmpl *t)
{
    if (t) {
        free(t->root);
        free(t);
    }
}

static int tmpl_configure(struct tmpl *t, const struct wattson_host *h,
                          int *readonly, char *err, size_t errlen)
{
    const char *root, *device = "pkg0";
    double cap_min = 1, cap_max = 200, file_max;
    struct stat st;
    int rc;

    /* Required string: refuse with WATTSON_ERR_CONFIG and name the key,
     * so the user knows which line of the lab file to fix. */
    if (h->cfg_type(h->ctx, "root") != WATTSON_CFG_STRING ||
        !(root = h->cfg_string(h->ctx, "root")) || !*root) {
        snprintf(err, errlen, "config key 'root': expected a directory");
        return WATTSON_ERR_CONFIG;
    }
    if (root[0] == '/' || !h->lab_dir || !*h->lab_dir)
        t->root = strdup(root);
    else
        t->root = tmpl_path(h->lab_dir, root);
    if (!t->root) {
        snprintf(err, errlen, "out of memory");
        return WATTSON_ERR;
    }
    if (stat(t->root, &st) != 0 || !S_ISDIR(st.st_mode)) {
        snprintf(err, errlen, "config key 'root': %s is not a directory",
                 t->root);
        return WATTSON_ERR_CONFIG;
    }
    if (h->cfg_type(h->ctx, "device") == WATTSON_CFG_STRING)
        device = h->cfg_string(h->ctx, "device"); /* valid until fini */
    else if (h->cfg_type(h->ctx, "device") != WATTSON_CFG_NONE) {
        snprintf(err, errlen, "config key 'device': expected a string");
        return WATTSON_ERR_CONFIG;
    }
    *readonly = 0;
    if (h->cfg_type(h->ctx, "readonly") == WATTSON_CFG_BOOL)
        (void)h->cfg_bool(h->ctx, "readonly", readonly);
    if ((rc = tmpl_cfg_number(h, "cap_min", &cap_min, err, errlen)) ||
        (rc = tmpl_cfg_number(h, "cap_max", &cap_max, err, errlen)))
        return rc;
    /* The hardware's own limit wins over the lab's guess. */
    if (tmpl_read_attr(t, TMPL_A_CAP_MAX, &file_max) == 0 && file_max > 0)
        cap_max = file_max;
    if (!(cap_min > 0 && cap_min < cap_max)) {
        snprintf(err, errlen,
                 "config key 'cap_min': %g must be > 0 and "
                 "below the maximum cap %g W",
                 cap_min, cap_max);
        return WATTSON_ERR_CONFIG;
    }

    t->device = (struct wattson_device_desc){device ? device : "pkg0", "cpu",
                                             -1, NULL, 0};
    t->signals[TMPL_S_TEMP] = (struct wattson_signal_desc){
        WATTSON_SIG_TEMP, 0, tmpl_attrs[TMPL_A_TEMP].unit,
        WATTSON_GAUGE,    0, "package temperature"};
    t->signals[TMPL_S_ENERGY] = (struct wattson_signal_desc){
        WATTSON_SIG_ENERGY, 0, tmpl_attrs[TMPL_A_ENERGY].unit,
        WATTSON_COUNTER,    0, "package energy"};
    /* The host turns counter deltas into rates and needs the wrap point
     * to survive the counter rolling over; 0 means "never wraps". */
    if (tmpl_read_attr(t, TMPL_A_ENERGY_RANGE,
                       &t->signals[TMPL_S_ENERGY].wrap) != 0)
        t->signals[TMPL_S_ENERGY].wrap = 0;
    t->controls[TMPL_C_CAP] =
        (struct wattson_control_desc){WATTSON_CTL_POWER_CAP,
                                      0,
                                      tmpl_attrs[TMPL_A_CAP].unit,
                                      cap_min,
                                      cap_max,
                                      0,
                                      "package power limit"};
    return WATTSON_OK;
}

static int tmpl_init(const struct wattson_host *host, void **state,
                     struct wattson_inventory *inv, char *err, size_t errlen)
{
    struct tmpl *t;
    int readonly = 0, rc;

    /* A host of another major would have been refused by it already; a
     * smaller struct means functions we call might be missing. */
    if (host->abi_major != WATTSON_ABI_MAJOR ||
        host->size < sizeof(struct wattson_host)) {
        snprintf(err, errlen, "host ABI %u.%u is not supported",
                 (unsigned)host->abi_major, (unsigned)host->abi_minor);
        return WATTSON_ERR;
    }
    t = calloc(1, sizeof *t);
    if (!t) {
        snprintf(err, errlen, "out of memory");
        return WATTSON_ERR;
    }
    t->host = host;
    rc = tmpl_configure(t, host, &readonly, err, errlen);
    if (rc != WATTSON_OK) {
        /* On failure init releases everything: the host calls no fini. */
        tmpl_free(t);
        return rc;
    }
    inv->devices = &t->device;
    inv->n_devices = 1;
    inv->signals = t->signals;
    inv->n_signals = TMPL_NSIG;
    inv->controls = readonly ? NULL : t->controls;
    inv->n_controls = readonly ? 0 : TMPL_NCTL;
    host->log(host->ctx, WATTSON_LOG_INFO, "template: %s on %s, cap %g..%g W",
              t->device.name, t->root, t->controls[0].min, t->controls[0].max);
    *state = t;
    return WATTSON_OK;
}

static void tmpl_fini(void *state)
{
    tmpl_free(state);
}

static int tmpl_read(void *state, double *values, uint8_t *valid, size_t n)
{
    const struct tmpl *t = state;
    size_t i;

    /* A file that cannot be read this tick is invalid, not zero: a zero
     * energy reading would look like a huge counter wrap. */
    for (i = 0; i < n && i < TMPL_NSIG; i++)
        valid[i] = tmpl_read_attr(t, tmpl_sig_attr[i], &values[i]) == 0;
    return WATTSON_OK;
}

/* The host calls this before its first write and saves the answer, to
 * write it back when it exits (normally or on SIGTERM). */
static int tmpl_read_controls(void *state, double *values, uint8_t *valid,
                              size_t n)
{
    const struct tmpl *t = state;
    size_t i;

    for (i = 0; i < n && i < TMPL_NCTL; i++)
        valid[i] = tmpl_read_attr(t, tmpl_ctl_attr[i], &values[i]) == 0;
    return WATTSON_OK;
}

static int tmpl_write(void *state, const uint32_t *idx, const double *values,
                      size_t n)
{
    const struct tmpl *t = state;
    int rc = WATTSON_OK;
    size_t i;

    for (i = 0; i < n; i++) {
        if (idx[i] >= TMPL_NCTL)
            return WATTSON_ERR;
        /* Check what the attribute can hold, not [min, max]: the host
         * keeps decisions within the range, but a restore writes back
         * exactly what read_controls found, which may lie outside it (a
         * limit of 0); the kernel refuses what the device cannot take. */
        if (!isfinite(values[i]) || values[i] < 0 || values[i] > 1e12 ||
            !tmpl_attrs[tmpl_ctl_attr[idx[i]]].writable)
            return WATTSON_ERR;
        if (tmpl_write_attr(t, tmpl_ctl_attr[idx[i]], values[i]) != 0) {
            t->host->log(
                t->host->ctx, WATTSON_LOG_WARN, "template: writing %s: %s",
                tmpl_attrs[tmpl_ctl_attr[idx[i]]].file, strerror(errno));
            rc = WATTSON_ERR;
        }
    }
    return rc;
}

static const struct wattson_plugin tmpl_desc = {
    .abi_major = WATTSON_ABI_MAJOR,
    .abi_minor = WATTSON_ABI_MINOR,
    .size = sizeof(struct wattson_plugin),
    .flags = 0, /* real hardware: wattson runs it on the wall clock */
    .name = "template",
    .version = "1.0",
    .description = "template: one powercap-style zone from sysfs files",
    .init = tmpl_init,
    .fini = tmpl_fini,
    .read = tmpl_read,
    .write = tmpl_write,
    .read_controls = tmpl_read_controls,
};

/* The only exported symbol: plugins build with hidden visibility. */
__attribute__((visibility("default"))) const struct wattson_plugin *
wattson_plugin_entry(void);

const struct wattson_plugin *wattson_plugin_entry(void)
{
    return &tmpl_desc;
}
