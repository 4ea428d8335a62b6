/*
 * crashctl - test plugin: a real-hardware-like driver (flags 0) that
 * misbehaves in the ways a restore must survive (tests/integration/
 * restore.sh, isolation).  One device, cr0, with a `util` signal (0.05,
 * nearly idle, so the built-in policy lowers its clock), and a `freq`
 * signal and control kept in the file DIR/cr0 ("%.17g\n", like
 * filectl).
 *
 * Config:
 *   dir         string, required: where cr0 lives (relative to the lab)
 *   crash_after number N: the N-th write and every later one die by
 *               SIGSEGV (a driver bug), the file untouched; with 2 the
 *               policy's first write works and the restore's crashes
 *   exit_after  number N: the N-th read calls exit(0), as a driver that
 *               "handles" an error by exiting would
 */
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "wattson/plugin.h"

static const struct wattson_device_desc cr_devices[] = {
    {"cr0", "cpu", -1, NULL, 0},
};
static const struct wattson_signal_desc cr_signals[] = {
    {WATTSON_SIG_UTIL, 0, "1", WATTSON_GAUGE, 0, "busy fraction, constant"},
    {WATTSON_SIG_FREQ, 0, "Hz", WATTSON_GAUGE, 0, "clock, from DIR/cr0"},
};
static const struct wattson_control_desc cr_controls[] = {
    {WATTSON_CTL_FREQ, 0, "Hz", 800e6, 3.5e9, 0, "frequency, in DIR/cr0"},
};

struct cr {
    char path[4096];
    double crash_after, writes;
    double exit_after, reads;
};

static int cr_init(const struct wattson_host *host, void **state,
                   struct wattson_inventory *inv, char *err, size_t errlen)
{
    const char *dir = host->cfg_string(host->ctx, "dir");
    struct cr *c;

    if (!dir || !*dir) {
        snprintf(err, errlen, "config key 'dir': expected a directory");
        return WATTSON_ERR_CONFIG;
    }
    if (!(c = calloc(1, sizeof *c))) {
        snprintf(err, errlen, "out of memory");
        return WATTSON_ERR;
    }
    if (dir[0] == '/' || !host->lab_dir)
        snprintf(c->path, sizeof c->path, "%s/cr0", dir);
    else
        snprintf(c->path, sizeof c->path, "%s/%s/cr0", host->lab_dir, dir);
    if (host->cfg_type(host->ctx, "crash_after") == WATTSON_CFG_NUMBER)
        host->cfg_number(host->ctx, "crash_after", &c->crash_after);
    if (host->cfg_type(host->ctx, "exit_after") == WATTSON_CFG_NUMBER)
        host->cfg_number(host->ctx, "exit_after", &c->exit_after);
    inv->devices = cr_devices;
    inv->n_devices = 1;
    inv->signals = cr_signals;
    inv->n_signals = 2;
    inv->controls = cr_controls;
    inv->n_controls = 1;
    *state = c;
    return WATTSON_OK;
}

static void cr_fini(void *state)
{
    free(state);
}

static int cr_read_controls(void *state, double *values, uint8_t *valid,
                            size_t n);

static int cr_read(void *state, double *values, uint8_t *valid, size_t n)
{
    struct cr *c = state;

    if (c->exit_after > 0 && ++c->reads >= c->exit_after)
        exit(0);
    if (n >= 2) {
        values[0] = 0.05;
        valid[0] = 1;
        cr_read_controls(state, &values[1], &valid[1], 1);
    }
    return WATTSON_OK;
}

static int cr_read_controls(void *state, double *values, uint8_t *valid,
                            size_t n)
{
    struct cr *c = state;
    char buf[64] = "";
    int fd = open(c->path, O_RDONLY | O_CLOEXEC);
    ssize_t got = fd >= 0 ? read(fd, buf, sizeof buf - 1) : -1;

    if (fd >= 0)
        close(fd);
    buf[got > 0 ? got : 0] = '\0';
    if (n > 0) {
        values[0] = strtod(buf, NULL);
        valid[0] = got > 0;
    }
    return WATTSON_OK;
}

static int cr_write(void *state, const uint32_t *idx, const double *values,
                    size_t n)
{
    struct cr *c = state;
    char line[64];
    int fd, len;

    if (c->crash_after > 0 && ++c->writes >= c->crash_after)
        raise(SIGSEGV); /* as a bad pointer in a driver would */
    if (n != 1 || idx[0] != 0 || !isfinite(values[0]))
        return WATTSON_ERR;
    len = snprintf(line, sizeof line, "%.17g\n", values[0]);
    fd = open(c->path, O_WRONLY | O_TRUNC | O_CLOEXEC);
    if (fd < 0)
        return WATTSON_ERR;
    if (write(fd, line, (size_t)len) != len) {
        close(fd);
        return WATTSON_ERR;
    }
    close(fd);
    return WATTSON_OK;
}

static const struct wattson_plugin cr_desc = {
    .abi_major = WATTSON_ABI_MAJOR,
    .abi_minor = WATTSON_ABI_MINOR,
    .size = sizeof(struct wattson_plugin),
    .flags = 0,
    .name = "crashctl",
    .version = "1",
    .description = "test plugin: crashes in write or exits in read",
    .init = cr_init,
    .fini = cr_fini,
    .read = cr_read,
    .write = cr_write,
    .read_controls = cr_read_controls,
};

__attribute__((visibility("default"))) const struct wattson_plugin *
wattson_plugin_entry(void);

const struct wattson_plugin *wattson_plugin_entry(void)
{
    return &cr_desc;
}
