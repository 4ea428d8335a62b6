/*
 * recorder - test plugin: a simulated device set (WATTSON_PLUGIN_SIMULATED)
 * that records what the host does to it.
 *
 * Config: `n` (number, default 2, integer 1..64) devices rec0..rec<n-1>;
 * `log` (string, optional; relative to the lab's directory) a file that
 * gets one line per written value, "rec<i> <control> <value>", followed by
 * a "VIOLATION ..." line for anything the host promised never to do: a
 * NaN/infinite or out-of-range value, an unknown control index, or a write
 * before the first read_controls.  fini logs the totals through the host.
 *
 * Per device, in this order: signals util (gauge, a deterministic function
 * of the host clock), power (gauge) and energy (counter, never wraps);
 * controls freq (1e9..3e9 Hz, step 1e8) and power_cap (10..100 W).
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "wattson/plugin.h"

#define REC_MAX_DEVICES 64
#define REC_NSIG 3 /* per device */
#define REC_NCTL 2 /* per device */
#define REC_FREQ_MIN 1e9
#define REC_FREQ_MAX 3e9
#define REC_CAP_MIN 10.0
#define REC_CAP_MAX 100.0

struct rec_dev {
    char name[24];
    double freq, cap, energy;
};

struct rec {
    const struct wattson_host *host;
    size_t n;
    struct rec_dev *dev;
    struct wattson_device_desc *devices;
    struct wattson_signal_desc *signals;
    struct wattson_control_desc *controls;
    int log_fd; /* -1 without `log` */
    int saw_read_controls;
    uint64_t last_ns;
    int have_last;
    unsigned long writes, violations;
};

static void rec_free(struct rec *r)
{
    if (!r)
        return;
    if (r->log_fd >= 0)
        close(r->log_fd);
    free(r->dev);
    free(r->devices);
    free(r->signals);
    free(r->controls);
    free(r);
}

static void rec_log(struct rec *r, const char *line)
{
    size_t len = strlen(line);
    const char *p = line;

    if (r->log_fd < 0)
        return;
    /* One write() per line on an O_APPEND descriptor: lines survive a
     * SIGKILL right after and never interleave. */
    while (len > 0) {
        ssize_t put = write(r->log_fd, p, len);

        if (put < 0 && errno == EINTR)
            continue;
        if (put <= 0)
            return;
        p += put;
        len -= (size_t)put;
    }
}

static void rec_violation(struct rec *r, const char *what)
{
    char line[256];

    r->violations++;
    snprintf(line, sizeof line, "VIOLATION %s\n", what);
    rec_log(r, line);
    r->host->log(r->host->ctx, WATTSON_LOG_WARN, "recorder: VIOLATION %s",
                 what);
}

static int rec_config(struct rec *r, const struct wattson_host *host, char *err,
                      size_t errlen)
{
    double n = 2;
    int type = host->cfg_type(host->ctx, "n");

    if (type == WATTSON_CFG_NUMBER)
        (void)host->cfg_number(host->ctx, "n", &n);
    if (type != WATTSON_CFG_NONE && type != WATTSON_CFG_NUMBER) {
        snprintf(err, errlen, "config key 'n': expected a number");
        return WATTSON_ERR_CONFIG;
    }
    if (!(n >= 1 && n <= REC_MAX_DEVICES) || n != (double)(size_t)n) {
        snprintf(err, errlen, "config key 'n': expected an integer in 1..%d",
                 REC_MAX_DEVICES);
        return WATTSON_ERR_CONFIG;
    }
    r->n = (size_t)n;

    type = host->cfg_type(host->ctx, "log");
    if (type == WATTSON_CFG_STRING) {
        const char *log = host->cfg_string(host->ctx, "log");
        char path[4096];

        if (!log || !*log) {
            snprintf(err, errlen, "config key 'log': empty file name");
            return WATTSON_ERR_CONFIG;
        }
        if (log[0] == '/' || !host->lab_dir || !*host->lab_dir)
            snprintf(path, sizeof path, "%s", log);
        else
            snprintf(path, sizeof path, "%s/%s", host->lab_dir, log);
        r->log_fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
        if (r->log_fd < 0) {
            snprintf(err, errlen, "config key 'log': %s: %s", path,
                     strerror(errno));
            return WATTSON_ERR_CONFIG;
        }
    } else if (type != WATTSON_CFG_NONE) {
        snprintf(err, errlen, "config key 'log': expected a file name");
        return WATTSON_ERR_CONFIG;
    }
    return WATTSON_OK;
}

static int rec_init(const struct wattson_host *host, void **state,
                    struct wattson_inventory *inv, char *err, size_t errlen)
{
    struct rec *r = calloc(1, sizeof *r);
    size_t i;
    int rc;

    if (!r) {
        snprintf(err, errlen, "out of memory");
        return WATTSON_ERR;
    }
    r->host = host;
    r->log_fd = -1;
    rc = rec_config(r, host, err, errlen);
    if (rc != WATTSON_OK) {
        rec_free(r);
        return rc;
    }
    r->dev = calloc(r->n, sizeof *r->dev);
    r->devices = calloc(r->n, sizeof *r->devices);
    r->signals = calloc(r->n * REC_NSIG, sizeof *r->signals);
    r->controls = calloc(r->n * REC_NCTL, sizeof *r->controls);
    if (!r->dev || !r->devices || !r->signals || !r->controls) {
        rec_free(r);
        snprintf(err, errlen, "out of memory");
        return WATTSON_ERR;
    }
    for (i = 0; i < r->n; i++) {
        struct rec_dev *d = &r->dev[i];
        uint32_t di = (uint32_t)i;

        snprintf(d->name, sizeof d->name, "rec%zu", i);
        d->freq = REC_FREQ_MAX;
        d->cap = REC_CAP_MAX;
        r->devices[i] =
            (struct wattson_device_desc){d->name, "cpu", -1, NULL, 0};
        r->signals[i * REC_NSIG + 0] = (struct wattson_signal_desc){
            WATTSON_SIG_UTIL, di, "1", WATTSON_GAUGE, 0, "busy fraction"};
        r->signals[i * REC_NSIG + 1] = (struct wattson_signal_desc){
            WATTSON_SIG_POWER, di, "W", WATTSON_GAUGE, 0, "power"};
        r->signals[i * REC_NSIG + 2] = (struct wattson_signal_desc){
            WATTSON_SIG_ENERGY, di, "J", WATTSON_COUNTER, 0, "energy"};
        r->controls[i * REC_NCTL + 0] = (struct wattson_control_desc){
            WATTSON_CTL_FREQ,  di, "Hz", REC_FREQ_MIN, REC_FREQ_MAX, 1e8,
            "frequency target"};
        r->controls[i * REC_NCTL + 1] = (struct wattson_control_desc){
            WATTSON_CTL_POWER_CAP, di, "W",        REC_CAP_MIN,
            REC_CAP_MAX,           0,  "power cap"};
    }
    inv->devices = r->devices;
    inv->n_devices = r->n;
    inv->signals = r->signals;
    inv->n_signals = r->n * REC_NSIG;
    inv->controls = r->controls;
    inv->n_controls = r->n * REC_NCTL;
    *state = r;
    return WATTSON_OK;
}

static void rec_fini(void *state)
{
    struct rec *r = state;

    r->host->log(r->host->ctx, WATTSON_LOG_INFO,
                 "recorder: %lu writes, %lu violations", r->writes,
                 r->violations);
    rec_free(r);
}

static int rec_read(void *state, double *values, uint8_t *valid, size_t n)
{
    struct rec *r = state;
    uint64_t now = r->host->now_ns(r->host->ctx);
    double dt = r->have_last && now > r->last_ns
                    ? (double)(now - r->last_ns) * 1e-9
                    : 0.0;
    size_t i;

    if (n < r->n * REC_NSIG)
        return WATTSON_ERR;
    r->last_ns = now;
    r->have_last = 1;
    for (i = 0; i < r->n; i++) {
        struct rec_dev *d = &r->dev[i];
        /* A sawtooth over a second, phase-shifted per device: the same
         * clock always gives the same reading. */
        uint64_t ms = now / 1000000u + 137u * (uint64_t)i;
        double util = (double)(ms % 1000u) / 1000.0;
        double power = 5.0 + 95.0 * util * (d->freq / REC_FREQ_MAX);

        if (power > d->cap)
            power = d->cap;
        d->energy += power * dt;
        values[i * REC_NSIG + 0] = util;
        values[i * REC_NSIG + 1] = power;
        values[i * REC_NSIG + 2] = d->energy;
        valid[i * REC_NSIG + 0] = 1;
        valid[i * REC_NSIG + 1] = 1;
        valid[i * REC_NSIG + 2] = 1;
    }
    return WATTSON_OK;
}

static int rec_read_controls(void *state, double *values, uint8_t *valid,
                             size_t n)
{
    struct rec *r = state;
    size_t i;

    if (n < r->n * REC_NCTL)
        return WATTSON_ERR;
    r->saw_read_controls = 1;
    for (i = 0; i < r->n; i++) {
        values[i * REC_NCTL + 0] = r->dev[i].freq;
        values[i * REC_NCTL + 1] = r->dev[i].cap;
        valid[i * REC_NCTL + 0] = 1;
        valid[i * REC_NCTL + 1] = 1;
    }
    return WATTSON_OK;
}

static int rec_write(void *state, const uint32_t *idx, const double *values,
                     size_t n)
{
    struct rec *r = state;
    char line[256];
    size_t i;
    int rc = WATTSON_OK;

    if (!r->saw_read_controls)
        rec_violation(r, "write before read_controls");
    for (i = 0; i < n; i++) {
        const struct wattson_control_desc *c;
        size_t dev;
        double v = values[i];

        r->writes++;
        if (idx[i] >= r->n * REC_NCTL) {
            snprintf(line, sizeof line, "control index %u of %zu",
                     (unsigned)idx[i], r->n * REC_NCTL);
            rec_violation(r, line);
            rc = WATTSON_ERR;
            continue;
        }
        c = &r->controls[idx[i]];
        dev = idx[i] / REC_NCTL;
        snprintf(line, sizeof line, "%s %s %.17g\n", r->dev[dev].name, c->name,
                 v);
        rec_log(r, line);
        if (!isfinite(v) || v < c->min || v > c->max) {
            snprintf(line, sizeof line, "%s %s %.17g not in [%g, %g]",
                     r->dev[dev].name, c->name, v, c->min, c->max);
            rec_violation(r, line);
            rc = WATTSON_ERR;
            continue;
        }
        if (idx[i] % REC_NCTL == 0)
            r->dev[dev].freq = v;
        else
            r->dev[dev].cap = v;
    }
    return rc;
}

static const struct wattson_plugin rec_desc = {
    .abi_major = WATTSON_ABI_MAJOR,
    .abi_minor = WATTSON_ABI_MINOR,
    .size = sizeof(struct wattson_plugin),
    .flags = WATTSON_PLUGIN_SIMULATED,
    .name = "recorder",
    .version = "1",
    .description = "test plugin: simulated devices that record writes",
    .init = rec_init,
    .fini = rec_fini,
    .read = rec_read,
    .write = rec_write,
    .read_controls = rec_read_controls,
};

__attribute__((visibility("default"))) const struct wattson_plugin *
wattson_plugin_entry(void);

const struct wattson_plugin *wattson_plugin_entry(void)
{
    return &rec_desc;
}
