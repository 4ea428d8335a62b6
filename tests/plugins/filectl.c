/*
 * filectl - test plugin: a sysfs-like driver of real files (not simulated,
 * flags 0), backing the tests "controls are restored after SIGTERM" and
 * "device faults" (tests/integration/signals.sh, faults.sh).
 *
 * Config: `dir` (string, required; relative to the lab's directory) holds
 * one directory per device - fc0, and fc1 too when dir/fc1 exists at init
 * (fc0 must) - with the files
 *
 *   dir/DEV/util       busy fraction, read
 *   dir/DEV/freq       frequency in Hz, read (signal and control) and written
 *   dir/DEV/power_cap  power cap in W, read and written
 *
 * Like sysfs attributes the files must exist: a missing or unparsable file
 * reads as invalid, and writing to a missing one fails.  A write replaces
 * the file's contents with "%.17g\n" using open/write/close, so what is on
 * disk is exactly what was written even if the process is killed right
 * after.  Every write is also appended to dir/writes.log as "freq <v>" or
 * "power_cap <v>" (fc0) or "fc1.freq <v>", "fc1.power_cap <v>" (fc1),
 * followed by a "VIOLATION ..." line when the value is NaN, infinite or
 * outside the control's [min, max]; such a value is not written to the
 * device file.  Tests grep the log for VIOLATION.
 *
 * Device faults, as a real driver reports them (plugin.h), since the tests
 * run as root and chmod cannot make EACCES; checked at every write:
 *
 *   dir/DEV/deny       exists: the write fails with WATTSON_ERR_PERM
 *                      (logged "DENIED <control> <v>"), the file untouched
 *   dir/DEV/reject     holds a number X: a value above X fails with
 *                      WATTSON_ERR_REJECTED ("REJECTED <control> <v>")
 *   dir/DEV/fail       exists: the write fails with plain WATTSON_ERR (an
 *                      I/O error the driver cannot explain; "FAILED
 *                      <control> <v>")
 *   dir/DEV missing    (removed mid-run) reads are invalid and a write
 *                      fails with WATTSON_ERR_GONE, from the real ENOENT
 *                      ("GONE <control> <v>")
 *
 * A batch write carries on past a failing control and returns the first
 * failure's status, as the sysfs drivers do.
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
#define FC_MAXDEV 2

/* Which file backs each signal and control of a device, in inventory
 * order. */
static const char *const fc_sig_file[FC_NSIG] = {"util", "freq"};
static const char *const fc_ctl_file[FC_NCTL] = {"freq", "power_cap"};

/* Both devices' inventories; with fc0 only, the first device's entries
 * (a prefix of each table) are the inventory. */
static const struct wattson_device_desc fc_devices[FC_MAXDEV] = {
    {"fc0", "cpu", -1, NULL, 0},
    {"fc1", "cpu", -1, NULL, 0},
};

static const struct wattson_signal_desc fc_signals[FC_MAXDEV * FC_NSIG] = {
    {WATTSON_SIG_UTIL, 0, "1", WATTSON_GAUGE, 0,
     "busy fraction, from fc0/util"},
    {WATTSON_SIG_FREQ, 0, "Hz", WATTSON_GAUGE, 0,
     "clock frequency, from fc0/freq"},
    {WATTSON_SIG_UTIL, 1, "1", WATTSON_GAUGE, 0,
     "busy fraction, from fc1/util"},
    {WATTSON_SIG_FREQ, 1, "Hz", WATTSON_GAUGE, 0,
     "clock frequency, from fc1/freq"},
};

static const struct wattson_control_desc fc_controls[FC_MAXDEV * FC_NCTL] = {
    {WATTSON_CTL_FREQ, 0, "Hz", 800e6, 3.5e9, 0,
     "frequency target, written to fc0/freq"},
    {WATTSON_CTL_POWER_CAP, 0, "W", 5, 50, 0,
     "power cap, written to fc0/power_cap"},
    {WATTSON_CTL_FREQ, 1, "Hz", 800e6, 3.5e9, 0,
     "frequency target, written to fc1/freq"},
    {WATTSON_CTL_POWER_CAP, 1, "W", 5, 50, 0,
     "power cap, written to fc1/power_cap"},
};

struct fc {
    char *dir;               /* the resolved `dir` */
    char *devdir[FC_MAXDEV]; /* dir/fc0, dir/fc1 */
    size_t n_dev;
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

static int fc_is_dir(const char *path)
{
    struct stat st;

    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static void fc_free(struct fc *f)
{
    size_t i;

    for (i = 0; i < FC_MAXDEV; i++)
        free(f->devdir[i]);
    free(f->dir);
    free(f);
}

static int fc_init(const struct wattson_host *host, void **state,
                   struct wattson_inventory *inv, char *err, size_t errlen)
{
    const char *dir;
    struct fc *f;
    struct stat st;
    size_t i;

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
    for (i = 0; i < FC_MAXDEV && f->dir; i++)
        if (!(f->devdir[i] = fc_join(f->dir, fc_devices[i].name)))
            break;
    if (i < FC_MAXDEV) {
        fc_free(f);
        snprintf(err, errlen, "out of memory");
        return WATTSON_ERR;
    }
    if (!fc_is_dir(f->devdir[0])) {
        const char *why = "not a directory";

        if (stat(f->devdir[0], &st) != 0)
            why = strerror(errno);
        snprintf(err, errlen, "config key 'dir': %s: %s", f->devdir[0], why);
        fc_free(f);
        return WATTSON_ERR_CONFIG;
    }
    f->n_dev = fc_is_dir(f->devdir[1]) ? 2 : 1;
    inv->devices = fc_devices;
    inv->n_devices = f->n_dev;
    inv->signals = fc_signals;
    inv->n_signals = f->n_dev * FC_NSIG;
    inv->controls = fc_controls;
    inv->n_controls = f->n_dev * FC_NCTL;
    *state = f;
    return WATTSON_OK;
}

static void fc_fini(void *state)
{
    fc_free(state);
}

static int fc_read(void *state, double *values, uint8_t *valid, size_t n)
{
    struct fc *f = state;
    size_t i;

    for (i = 0; i < n && i < f->n_dev * FC_NSIG; i++)
        valid[i] = fc_read_file(f->devdir[i / FC_NSIG],
                                fc_sig_file[i % FC_NSIG], &values[i]) == 0;
    return WATTSON_OK;
}

static int fc_read_controls(void *state, double *values, uint8_t *valid,
                            size_t n)
{
    struct fc *f = state;
    size_t i;

    for (i = 0; i < n && i < f->n_dev * FC_NCTL; i++)
        valid[i] = fc_read_file(f->devdir[i / FC_NCTL],
                                fc_ctl_file[i % FC_NCTL], &values[i]) == 0;
    return WATTSON_OK;
}

/* The status a real sysfs driver gives for a failed open or write. */
static int fc_errno_status(int e)
{
    if (e == EACCES || e == EPERM)
        return WATTSON_ERR_PERM;
    if (e == ENOENT || e == ENOTDIR || e == ENODEV || e == ENXIO)
        return WATTSON_ERR_GONE;
    if (e == EINVAL || e == ERANGE)
        return WATTSON_ERR_REJECTED;
    return WATTSON_ERR;
}

/* Writes value v of control `ctl` to device directory `devdir`; appends
 * a DENIED/REJECTED/GONE line to the log for a failure it emulates. */
static int fc_write_one(const char *devdir, const char *log, const char *tag,
                        uint32_t ctl, double v)
{
    char path[4096], line[160];
    double limit;
    int fd, rc = WATTSON_OK;

    snprintf(path, sizeof path, "%s/deny", devdir);
    if (access(path, F_OK) == 0) {
        snprintf(line, sizeof line, "DENIED %s%s %.17g\n", tag,
                 fc_ctl_file[ctl], v);
        fc_write_file(log, O_APPEND | O_CREAT, line);
        return WATTSON_ERR_PERM;
    }
    snprintf(path, sizeof path, "%s/fail", devdir);
    if (access(path, F_OK) == 0) {
        snprintf(line, sizeof line, "FAILED %s%s %.17g\n", tag,
                 fc_ctl_file[ctl], v);
        fc_write_file(log, O_APPEND | O_CREAT, line);
        return WATTSON_ERR;
    }
    if (fc_read_file(devdir, "reject", &limit) == 0 && v > limit) {
        snprintf(line, sizeof line, "REJECTED %s%s %.17g\n", tag,
                 fc_ctl_file[ctl], v);
        fc_write_file(log, O_APPEND | O_CREAT, line);
        return WATTSON_ERR_REJECTED;
    }
    snprintf(path, sizeof path, "%s/%s", devdir, fc_ctl_file[ctl]);
    snprintf(line, sizeof line, "%.17g\n", v);
    /* No O_CREAT: like a sysfs attribute, the file is the device. */
    fd = open(path, O_WRONLY | O_CLOEXEC | O_TRUNC);
    if (fd < 0) {
        rc = fc_errno_status(errno);
    } else {
        if (fc_write_all(fd, line, strlen(line)) != 0)
            rc = fc_errno_status(errno);
        if (close(fd) != 0 && rc == WATTSON_OK)
            rc = fc_errno_status(errno);
    }
    if (rc == WATTSON_ERR_GONE) {
        snprintf(line, sizeof line, "GONE %s%s %.17g\n", tag, fc_ctl_file[ctl],
                 v);
        fc_write_file(log, O_APPEND | O_CREAT, line);
    }
    return rc;
}

static int fc_write(void *state, const uint32_t *idx, const double *values,
                    size_t n)
{
    struct fc *f = state;
    char line[160], *log;
    int rc = WATTSON_OK;
    size_t i;

    log = fc_join(f->dir, "writes.log");
    if (!log)
        return WATTSON_ERR;
    for (i = 0; i < n; i++) {
        const struct wattson_control_desc *c;
        const char *tag;
        double v = values[i];
        int one;

        if (idx[i] >= f->n_dev * FC_NCTL) {
            snprintf(line, sizeof line, "VIOLATION control index %u\n",
                     (unsigned)idx[i]);
            fc_write_file(log, O_APPEND | O_CREAT, line);
            if (rc == WATTSON_OK)
                rc = WATTSON_ERR;
            continue;
        }
        c = &fc_controls[idx[i]];
        tag = c->device == 0 ? "" : "fc1.";
        snprintf(line, sizeof line, "%s%s %.17g\n", tag, c->name, v);
        fc_write_file(log, O_APPEND | O_CREAT, line);
        if (!isfinite(v) || v < c->min || v > c->max) {
            snprintf(line, sizeof line,
                     "VIOLATION %s%s %.17g not in [%g, %g]\n", tag, c->name, v,
                     c->min, c->max);
            fc_write_file(log, O_APPEND | O_CREAT, line);
            if (rc == WATTSON_OK)
                rc = WATTSON_ERR;
            continue;
        }
        one = fc_write_one(f->devdir[c->device], log, tag, idx[i] % FC_NCTL, v);
        if (one != WATTSON_OK && rc == WATTSON_OK)
            rc = one;
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
