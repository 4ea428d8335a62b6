/*
 * readerr - test plugin: one device "rd0" (cpu) with a `util` gauge whose
 * read fails (WATTSON_ERR) on every 3rd call - calls 3, 6, 9, ... - so the
 * host's handling of a failed tick can be tested deterministically.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "wattson/plugin.h"

struct readerr {
    unsigned long calls;
};

static const struct wattson_device_desc readerr_devices[] = {
    {"rd0", "cpu", -1, NULL, 0},
};

static const struct wattson_signal_desc readerr_signals[] = {
    {WATTSON_SIG_UTIL, 0, "1", WATTSON_GAUGE, 0, "busy fraction"},
};

static int readerr_init(const struct wattson_host *host, void **state,
                        struct wattson_inventory *inv, char *err, size_t errlen)
{
    struct readerr *r = calloc(1, sizeof *r);

    (void)host;
    (void)err;
    (void)errlen;
    if (!r)
        return WATTSON_ERR;
    inv->devices = readerr_devices;
    inv->n_devices = 1;
    inv->signals = readerr_signals;
    inv->n_signals = 1;
    inv->controls = NULL;
    inv->n_controls = 0;
    *state = r;
    return WATTSON_OK;
}

static void readerr_fini(void *state)
{
    free(state);
}

static int readerr_read(void *state, double *values, uint8_t *valid, size_t n)
{
    struct readerr *r = state;

    r->calls++;
    if (r->calls % 3 == 0)
        return WATTSON_ERR;
    if (n >= 1) {
        values[0] = 0.25;
        valid[0] = 1;
    }
    return WATTSON_OK;
}

static const struct wattson_plugin readerr_desc = {
    .abi_major = WATTSON_ABI_MAJOR,
    .abi_minor = WATTSON_ABI_MINOR,
    .size = sizeof(struct wattson_plugin),
    .flags = WATTSON_PLUGIN_SIMULATED,
    .name = "readerr",
    .version = "1",
    .description = "test plugin: read fails every 3rd call",
    .init = readerr_init,
    .fini = readerr_fini,
    .read = readerr_read,
};

__attribute__((visibility("default"))) const struct wattson_plugin *
wattson_plugin_entry(void);

const struct wattson_plugin *wattson_plugin_entry(void)
{
    return &readerr_desc;
}
