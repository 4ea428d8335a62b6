/*
 * flaky - test plugin: one device "fl0" (cpu) with util, power and energy.
 *
 * Reads are numbered from 1.  On odd reads `power` is invalid (valid = 0)
 * and its value is NaN, so a host that ignores the flag is caught rather
 * than fed a plausible number.  `energy` is a counter that starts at the
 * config key `energy_start` (number, default 0), grows 7.5 J per read and
 * wraps at 1000 J, so the host's wrap handling sees a wrap after ~134
 * reads (or at once with energy_start = 995).
 */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "wattson/plugin.h"

#define FLAKY_WRAP 1000.0
#define FLAKY_STEP 7.5

enum { FLAKY_UTIL, FLAKY_POWER, FLAKY_ENERGY, FLAKY_NSIG };

struct flaky {
    unsigned long reads;
    double energy;
};

static const struct wattson_device_desc flaky_devices[] = {
    {"fl0", "cpu", -1, NULL, 0},
};

static const struct wattson_signal_desc flaky_signals[FLAKY_NSIG] = {
    [FLAKY_UTIL] = {WATTSON_SIG_UTIL, 0, "1", WATTSON_GAUGE, 0,
                    "busy fraction"},
    [FLAKY_POWER] = {WATTSON_SIG_POWER, 0, "W", WATTSON_GAUGE, 0,
                     "power, invalid on every odd read"},
    [FLAKY_ENERGY] = {WATTSON_SIG_ENERGY, 0, "J", WATTSON_COUNTER, FLAKY_WRAP,
                      "energy, +7.5 J per read, wraps at 1000"},
};

static int flaky_init(const struct wattson_host *host, void **state,
                      struct wattson_inventory *inv, char *err, size_t errlen)
{
    struct flaky *f;
    double start = 0;

    if (host->cfg_type(host->ctx, "energy_start") == WATTSON_CFG_NUMBER)
        (void)host->cfg_number(host->ctx, "energy_start", &start);
    if (!(start >= 0 && start < FLAKY_WRAP)) {
        snprintf(err, errlen,
                 "config key 'energy_start': expected a number "
                 "in [0, %g)",
                 FLAKY_WRAP);
        return WATTSON_ERR_CONFIG;
    }
    f = calloc(1, sizeof *f);
    if (!f) {
        snprintf(err, errlen, "out of memory");
        return WATTSON_ERR;
    }
    f->energy = start;
    inv->devices = flaky_devices;
    inv->n_devices = 1;
    inv->signals = flaky_signals;
    inv->n_signals = FLAKY_NSIG;
    inv->controls = NULL;
    inv->n_controls = 0;
    *state = f;
    return WATTSON_OK;
}

static void flaky_fini(void *state)
{
    free(state);
}

static int flaky_read(void *state, double *values, uint8_t *valid, size_t n)
{
    struct flaky *f = state;

    if (n < FLAKY_NSIG)
        return WATTSON_ERR;
    f->reads++;
    f->energy += FLAKY_STEP;
    if (f->energy >= FLAKY_WRAP)
        f->energy -= FLAKY_WRAP;
    values[FLAKY_UTIL] = 0.5;
    valid[FLAKY_UTIL] = 1;
    if (f->reads % 2 == 1) {
        values[FLAKY_POWER] = NAN;
        valid[FLAKY_POWER] = 0;
    } else {
        values[FLAKY_POWER] = 20.0;
        valid[FLAKY_POWER] = 1;
    }
    values[FLAKY_ENERGY] = f->energy;
    valid[FLAKY_ENERGY] = 1;
    return WATTSON_OK;
}

static const struct wattson_plugin flaky_desc = {
    .abi_major = WATTSON_ABI_MAJOR,
    .abi_minor = WATTSON_ABI_MINOR,
    .size = sizeof(struct wattson_plugin),
    .flags = WATTSON_PLUGIN_SIMULATED,
    .name = "flaky",
    .version = "1",
    .description = "test plugin: invalid readings and a wrapping counter",
    .init = flaky_init,
    .fini = flaky_fini,
    .read = flaky_read,
};

__attribute__((visibility("default"))) const struct wattson_plugin *
wattson_plugin_entry(void);

const struct wattson_plugin *wattson_plugin_entry(void)
{
    return &flaky_desc;
}
