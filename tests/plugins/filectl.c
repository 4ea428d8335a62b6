/*
 * filectl - test plugin: a sysfs-like driver of real files (not simulated,
 * flags 0), backing the test "controls are restored after SIGTERM".
 *
 * Config: `dir` (string, required; relative to the lab's directory) holds
 * one directory per device - just fc0 - with the files
 *
 *   dir/fc0/util       busy fraction, read
 *   dir/fc0/freq       frequency in Hz, read (signal and control) and written
 *   dir/fc0/power_cap  power cap in W, read and written
 *
 * Like sysfs attributes the files must exist: a missing or unparsable file
 * reads as invalid, and writing to a missing one fails.  A write replaces
 * the file's contents with "%.17g\n" using open/write/close, so what is on
 * disk is exactly what was written even if the process is killed right
 * after.  Every write is also appended to dir/writes.log as "freq <v>" or
 * "power_cap <v>", followed by a "VIOLATION ..." line when the value is
 * NaN, infinite or outside the control's [min, max]; such a value is not
 * written to the device file.  Tests grep the log for VIOLATION.
 */
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

enum { FC_SIG_UTIL, FC_SIG_FREQ, FC_NSIG };
enum { FC_CTL_FREQ, FC_CTL_POWER_CAP, FC_NCTL };

/* Which file backs each signal and control, in inventory order. */
static const char *const fc_sig_file[FC_NSIG] = {"util", "freq"};
static const char *const fc_ctl_file[FC_NCTL] = {"freq", "power_cap"};

static const struct wattson_device_desc fc_devices[] = {
    {"fc0", "cpu", -1, NULL, 0},
};

static const struct wattson_signal_desc fc_signals[FC_NSIG] = {
    [FC_SIG_UTIL] = {WATTSON_SIG_UTIL, 0, "1", WATTSON_GAUGE, 0,
                     "busy fraction, from fc0/util"},
    [FC_SIG_FREQ] = {WATTSON_SIG_FREQ, 0, "Hz", WATTSON_GAUGE, 0,
                     "clock frequency, from fc0/freq"},
};

static const struct wattson_control_desc fc_controls[FC_NCTL] = {
    [FC_CTL_FREQ] = {WATTSON_CTL_FREQ, 0, "Hz", 800e6, 3.5e9, 0,
                     "frequency target, written to fc0/freq"},
    [FC_CTL_POWER_CAP] = {WATTSON_CTL_POWER_CAP, 0, "W", 5, 50, 0,
                          "power cap, written to fc0/power_cap"},
};

struct fc {
    char *dir;    /* the resolved `dir` */
    char *devdir; /* dir/fc0 */
};

static char *fc_join(const char *a, const char *b)
{
    size_t n = strlen(a) + 1 + strlen(b) + 1;
    char *s = malloc(n);

    if (s)
        snprintf(s, n, "%s/%s", a, b);
    return s;
}

/* Reads one number from dir/name; 0 on success. */
static int fc_read_file(const char *dir, const char *name, double *out)
{
    char path[4096], buf[128], *end;
    ssize_t got;
    size_t len = 0;
    int fd;
    double v;

    snprintf(path, sizeof path, "%s/%s", dir, name);
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    while (len < sizeof buf - 1) {
        got = read(fd, buf + len, sizeof buf - 1 - len);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            break;
        len += (size_t)got;
    }
    close(fd);
    buf[len] = '\0';
    errno = 0;
    v = strtod(buf, &end);
    if (end == buf || errno != 0 || !isfinite(v))
        return -1;
    while (*end == ' ' || *end == '\n' || *end == '\t')
        end++;
    if (*end != '\0')
        return -1;
    *out = v;
    return 0;
}

/* Writes all of buf to fd, retrying short writes; 0 on success. */
static int fc_write_all(int fd, const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t put = write(fd, buf, len);

        if (put < 0 && errno == EINTR)
            continue;
        if (put <= 0)
            return -1;
        buf += put;
        len -= (size_t)put;
    }
    return 0;
}

static int fc_write_file(const char *path, int flags, const char *text)
{
    int fd = open(path, O_WRONLY | O_CLOEXEC | flags, 0644);
    int rc;

    if (fd < 0)
        return -1;
    rc = fc_write_all(fd, text, strlen(text));
    if (close(fd) != 0)
        rc = -1;
    return rc;
}

static int fc_init(const struct wattson_host *host, void **state,
                   struct wattson_inventory *inv, char *err, size_t errlen)
{
    const char *dir;
    struct fc *f;
    struct stat st;

    if (host->cfg_type(host->ctx, "dir") != WATTSON_CFG_STRING ||
        !(dir = host->cfg_string(host->ctx, "dir")) || !*dir) {
        snprintf(err, errlen, "config key 'dir': expected a directory name");
        return WATTSON_ERR_CONFIG;
    }
    f = calloc(1, sizeof *f);
    if (!f) {
        snprintf(err, errlen, "out of memory");
        return WATTSON_ERR;
    }
    if (dir[0] == '/' || !host->lab_dir || !*host->lab_dir)
        f->dir = strdup(dir);
    else
        f->dir = fc_join(host->lab_dir, dir);
    f->devdir = f->dir ? fc_join(f->dir, fc_devices[0].name) : NULL;
    if (!f->devdir) {
        free(f->dir);
        free(f);
        snprintf(err, errlen, "out of memory");
        return WATTSON_ERR;
    }
    if (stat(f->devdir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        const char *why = "not a directory";

        if (stat(f->devdir, &st) != 0)
            why = strerror(errno);
        snprintf(err, errlen, "config key 'dir': %s: %s", f->devdir, why);
        free(f->devdir);
        free(f->dir);
        free(f);
        return WATTSON_ERR_CONFIG;
    }
    inv->devices = fc_devices;
    inv->n_devices = 1;
    inv->signals = fc_signals;
    inv->n_signals = FC_NSIG;
    inv->controls = fc_controls;
    inv->n_controls = FC_NCTL;
    *state = f;
    return WATTSON_OK;
}

static void fc_fini(void *state)
{
    struct fc *f = state;

    free(f->devdir);
    free(f->dir);
    free(f);
}

static int fc_read(void *state, double *values, uint8_t *valid, size_t n)
{
    struct fc *f = state;
    size_t i;

    for (i = 0; i < n && i < FC_NSIG; i++)
        valid[i] = fc_read_file(f->devdir, fc_sig_file[i], &values[i]) == 0;
    return WATTSON_OK;
}

static int fc_read_controls(void *state, double *values, uint8_t *valid,
                            size_t n)
{
    struct fc *f = state;
    size_t i;

    for (i = 0; i < n && i < FC_NCTL; i++)
        valid[i] = fc_read_file(f->devdir, fc_ctl_file[i], &values[i]) == 0;
    return WATTSON_OK;
}

static int fc_write(void *state, const uint32_t *idx, const double *values,
                    size_t n)
{
    struct fc *f = state;
    char line[160], path[4096], *log;
    int rc = WATTSON_OK;
    size_t i;

    log = fc_join(f->dir, "writes.log");
    if (!log)
        return WATTSON_ERR;
    for (i = 0; i < n; i++) {
        const struct wattson_control_desc *c;
        double v = values[i];

        if (idx[i] >= FC_NCTL) {
            snprintf(line, sizeof line, "VIOLATION control index %u\n",
                     (unsigned)idx[i]);
            fc_write_file(log, O_APPEND | O_CREAT, line);
            rc = WATTSON_ERR;
            continue;
        }
        c = &fc_controls[idx[i]];
        snprintf(line, sizeof line, "%s %.17g\n", c->name, v);
        fc_write_file(log, O_APPEND | O_CREAT, line);
        if (!isfinite(v) || v < c->min || v > c->max) {
            snprintf(line, sizeof line, "VIOLATION %s %.17g not in [%g, %g]\n",
                     c->name, v, c->min, c->max);
            fc_write_file(log, O_APPEND | O_CREAT, line);
            rc = WATTSON_ERR;
            continue;
        }
        snprintf(path, sizeof path, "%s/%s", f->devdir, fc_ctl_file[idx[i]]);
        snprintf(line, sizeof line, "%.17g\n", v);
        /* No O_CREAT: like a sysfs attribute, the file is the device. */
        if (fc_write_file(path, O_TRUNC, line) != 0)
            rc = WATTSON_ERR;
    }
    free(log);
    return rc;
}

static const struct wattson_plugin fc_desc = {
    .abi_major = WATTSON_ABI_MAJOR,
    .abi_minor = WATTSON_ABI_MINOR,
    .size = sizeof(struct wattson_plugin),
    .flags = 0,
    .name = "filectl",
    .version = "1",
    .description = "test plugin: sysfs-like controls backed by files",
    .init = fc_init,
    .fini = fc_fini,
    .read = fc_read,
    .write = fc_write,
    .read_controls = fc_read_controls,
};

__attribute__((visibility("default"))) const struct wattson_plugin *
wattson_plugin_entry(void);

const struct wattson_plugin *wattson_plugin_entry(void)
{
    return &fc_desc;
}
