/*
 * noentry - test plugin: exports no wattson_plugin_entry.  Its entry function
 * is misspelt, the mistake the loader's message must make obvious.
 * Everything else is a complete, working descriptor, so that the one
 * defect is the only thing the loader can refuse it for.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "wattson/plugin.h"

static int noentry_init(const struct wattson_host *host, void **state,
                        struct wattson_inventory *inv, char *err, size_t errlen)
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

static void noentry_fini(void *state)
{
    (void)state;
}

static int noentry_read(void *state, double *values, uint8_t *valid, size_t n)
{
    (void)state;
    (void)values;
    (void)valid;
    (void)n;
    return WATTSON_OK;
}

static const struct wattson_plugin noentry_desc = {
    .abi_major = WATTSON_ABI_MAJOR,
    .abi_minor = WATTSON_ABI_MINOR,
    .size = sizeof(struct wattson_plugin),
    .flags = WATTSON_PLUGIN_SIMULATED,
    .name = "noentry",
    .version = "1",
    .description = "test plugin: no entry symbol",
    .init = noentry_init,
    .fini = noentry_fini,
    .read = noentry_read,
};

__attribute__((visibility("default"))) const struct wattson_plugin *
wattson_plugin_entri(void);

const struct wattson_plugin *wattson_plugin_entri(void)
{
    return &noentry_desc;
}
