/*
 * badconf - test plugin: init refuses its configuration (WATTSON_ERR_CONFIG)
 * with a message naming the offending key.
 * Everything else is a complete, working descriptor, so that the one
 * defect is the only thing the loader can refuse it for.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "wattson/plugin.h"

static int badconf_init(const struct wattson_host *host, void **state,
                        struct wattson_inventory *inv, char *err, size_t errlen)
{
    (void)host;
    (void)state;
    (void)inv;
    snprintf(err, errlen, "config key 'rate': expected a number > 0");
    return WATTSON_ERR_CONFIG;
}

static void badconf_fini(void *state)
{
    (void)state;
}

static int badconf_read(void *state, double *values, uint8_t *valid, size_t n)
{
    (void)state;
    (void)values;
    (void)valid;
    (void)n;
    return WATTSON_OK;
}

static const struct wattson_plugin badconf_desc = {
    .abi_major = WATTSON_ABI_MAJOR,
    .abi_minor = WATTSON_ABI_MINOR,
    .size = sizeof(struct wattson_plugin),
    .flags = WATTSON_PLUGIN_SIMULATED,
    .name = "badconf",
    .version = "1",
    .description = "test plugin: bad config",
    .init = badconf_init,
    .fini = badconf_fini,
    .read = badconf_read,
};

__attribute__((visibility("default"))) const struct wattson_plugin *
wattson_plugin_entry(void);

const struct wattson_plugin *wattson_plugin_entry(void)
{
    return &badconf_desc;
}
