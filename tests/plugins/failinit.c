/*
 * failinit - test plugin: init fails with WATTSON_ERR and the text
 * "simulated failure".
 * Everything else is a complete, working descriptor, so that the one
 * defect is the only thing the loader can refuse it for.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "wattson/plugin.h"

static int failinit_init(const struct wattson_host *host, void **state,
                         struct wattson_inventory *inv, char *err,
                         size_t errlen)
{
    (void)host;
    (void)state;
    (void)inv;
    snprintf(err, errlen, "simulated failure");
    return WATTSON_ERR;
}

static void failinit_fini(void *state)
{
    (void)state;
}

static int failinit_read(void *state, double *values, uint8_t *valid, size_t n)
{
    (void)state;
    (void)values;
    (void)valid;
    (void)n;
    return WATTSON_OK;
}

static const struct wattson_plugin failinit_desc = {
    .abi_major = WATTSON_ABI_MAJOR,
    .abi_minor = WATTSON_ABI_MINOR,
    .size = sizeof(struct wattson_plugin),
    .flags = WATTSON_PLUGIN_SIMULATED,
    .name = "failinit",
    .version = "1",
    .description = "test plugin: init fails",
    .init = failinit_init,
    .fini = failinit_fini,
    .read = failinit_read,
};

__attribute__((visibility("default"))) const struct wattson_plugin *
wattson_plugin_entry(void);

const struct wattson_plugin *wattson_plugin_entry(void)
{
    return &failinit_desc;
}
