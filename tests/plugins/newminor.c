/*
 * newminor - test plugin: built against a minor version newer than the host's
 * (a newer plugin may use fields this host does not know).
 * Everything else is a complete, working descriptor, so that the one
 * defect is the only thing the loader can refuse it for.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "wattson/plugin.h"

static int newminor_init(const struct wattson_host *host, void **state,
                         struct wattson_inventory *inv, char *err,
                         size_t errlen)
{
    (void)host;
    (void)err;
    (void)errlen;
    *state = NULL;
    inv->n_devices = 0;
    inv->n_signals = 0;
    inv->n_controls = 0;
    return WATTSON_OK;
}

static void newminor_fini(void *state)
{
    (void)state;
}

static int newminor_read(void *state, double *values, uint8_t *valid, size_t n)
{
    (void)state;
    (void)values;
    (void)valid;
    (void)n;
    return WATTSON_OK;
}

static const struct wattson_plugin newminor_desc = {
    .abi_major = WATTSON_ABI_MAJOR,
    .abi_minor = WATTSON_ABI_MINOR + 1,
    .size = sizeof(struct wattson_plugin),
    .flags = WATTSON_PLUGIN_SIMULATED,
    .name = "newminor",
    .version = "1",
    .description = "test plugin: newer minor",
    .init = newminor_init,
    .fini = newminor_fini,
    .read = newminor_read,
};

__attribute__((visibility("default"))) const struct wattson_plugin *
wattson_plugin_entry(void);

const struct wattson_plugin *wattson_plugin_entry(void)
{
    return &newminor_desc;
}
