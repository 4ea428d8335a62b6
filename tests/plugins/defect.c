/*
 * defect - the loader's refusal test plugins, all from this one source.
 *
 * Design: each refusal plugin is a complete, working descriptor with exactly
 * one defect, so that the one defect is the only thing the loader can refuse
 * it for.  Rather than repeat the working part in one file per plugin,
 * tests/plugins/CMakeLists.txt builds this file once per plugin target (same
 * target and .so names as ever) and gives each target exactly one DEFECT_*
 * compile definition; that definition selects the plugin's name, description
 * and single defect below, and only the functions that variant uses are
 * compiled, so no variant has unused code.  Building it with no DEFECT_*, or
 * with more than one, is an error.
 *
 *  definition                plugin     defect
 *  DEFECT_ABI_MAJOR          badabi     ABI major 99, which no wattson 1.x
 *                                       accepts
 *  DEFECT_ABI_MINOR          newminor   built against a minor version newer
 *                                       than the host's (a newer plugin may
 *                                       use fields this host does not know)
 *  DEFECT_SHORT_DESC         shortdesc  claims an 8-byte descriptor, as if
 *                                       built against an older, shorter header
 *  DEFECT_NO_ENTRY           noentry    exports no wattson_plugin_entry: its
 *                                       entry function is misspelt, the
 *                                       mistake the loader's message must
 *                                       make obvious
 *  DEFECT_NULL_ENTRY         nullentry  its entry function returns NULL
 *  DEFECT_NO_READ            noread     its descriptor has no read operation
 *  DEFECT_NO_READ_CONTROLS   nordctl    has write but no read_controls, so
 *                                       the host could never restore what it
 *                                       changes
 *  DEFECT_INIT_FAILS         failinit   init fails with WATTSON_ERR and the
 *                                       text "simulated failure"
 *  DEFECT_INIT_BAD_CONFIG    badconf    init refuses its configuration
 *                                       (WATTSON_ERR_CONFIG) with a message
 *                                       naming the offending key
 *
 * To add one: a definition, a branch below, and an entry in CMakeLists.txt.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "wattson/plugin.h"

/* Exactly one defect per build. */
#if (defined(DEFECT_ABI_MAJOR) + defined(DEFECT_ABI_MINOR) +                   \
     defined(DEFECT_SHORT_DESC) + defined(DEFECT_NO_ENTRY) +                   \
     defined(DEFECT_NULL_ENTRY) + defined(DEFECT_NO_READ) +                    \
     defined(DEFECT_NO_READ_CONTROLS) + defined(DEFECT_INIT_FAILS) +           \
     defined(DEFECT_INIT_BAD_CONFIG)) != 1
#error "defect.c: define exactly one DEFECT_* (see CMakeLists.txt)"
#endif

/* What the selected defect changes; everything else keeps the defaults. */
#if defined(DEFECT_ABI_MAJOR)
#define DEFECT_NAME "badabi"
#define DEFECT_DESCRIPTION "test plugin: ABI 99.0"
#define DEFECT_DESC_ABI_MAJOR 99
#elif defined(DEFECT_ABI_MINOR)
#define DEFECT_NAME "newminor"
#define DEFECT_DESCRIPTION "test plugin: newer minor"
#define DEFECT_DESC_ABI_MINOR (WATTSON_ABI_MINOR + 1)
#elif defined(DEFECT_SHORT_DESC)
#define DEFECT_NAME "shortdesc"
#define DEFECT_DESCRIPTION "test plugin: short descriptor"
#define DEFECT_DESC_SIZE 8
#elif defined(DEFECT_NO_ENTRY)
#define DEFECT_NAME "noentry"
#define DEFECT_DESCRIPTION "test plugin: no entry symbol"
#elif defined(DEFECT_NULL_ENTRY)
#define DEFECT_NAME "nullentry"
#define DEFECT_DESCRIPTION "test plugin: NULL descriptor"
#elif defined(DEFECT_NO_READ)
#define DEFECT_NAME "noread"
#define DEFECT_DESCRIPTION "test plugin: read is NULL"
#elif defined(DEFECT_NO_READ_CONTROLS)
#define DEFECT_NAME "nordctl"
#define DEFECT_DESCRIPTION "test plugin: write without read_controls"
#elif defined(DEFECT_INIT_FAILS)
#define DEFECT_NAME "failinit"
#define DEFECT_DESCRIPTION "test plugin: init fails"
#define DEFECT_INIT_STATUS WATTSON_ERR
#define DEFECT_INIT_MESSAGE "simulated failure"
#elif defined(DEFECT_INIT_BAD_CONFIG)
#define DEFECT_NAME "badconf"
#define DEFECT_DESCRIPTION "test plugin: bad config"
#define DEFECT_INIT_STATUS WATTSON_ERR_CONFIG
#define DEFECT_INIT_MESSAGE "config key 'rate': expected a number > 0"
#endif

#ifndef DEFECT_DESC_ABI_MAJOR
#define DEFECT_DESC_ABI_MAJOR WATTSON_ABI_MAJOR
#endif
#ifndef DEFECT_DESC_ABI_MINOR
#define DEFECT_DESC_ABI_MINOR WATTSON_ABI_MINOR
#endif
#ifndef DEFECT_DESC_SIZE
#define DEFECT_DESC_SIZE sizeof(struct wattson_plugin)
#endif

#if defined(DEFECT_INIT_STATUS)
static int defect_init(const struct wattson_host *host, void **state,
                       struct wattson_inventory *inv, char *err, size_t errlen)
{
    (void)host;
    (void)state;
    (void)inv;
    snprintf(err, errlen, DEFECT_INIT_MESSAGE);
    return DEFECT_INIT_STATUS;
}
#else
static int defect_init(const struct wattson_host *host, void **state,
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
#endif

static void defect_fini(void *state)
{
    (void)state;
}

#if !defined(DEFECT_NO_READ)
static int defect_read(void *state, double *values, uint8_t *valid, size_t n)
{
    (void)state;
    (void)values;
    (void)valid;
    (void)n;
    return WATTSON_OK;
}
#endif

#if defined(DEFECT_NO_READ_CONTROLS)
static int defect_write(void *state, const uint32_t *idx, const double *values,
                        size_t n)
{
    (void)state;
    (void)idx;
    (void)values;
    (void)n;
    return WATTSON_OK;
}
#endif

static const struct wattson_plugin defect_desc = {
    .abi_major = DEFECT_DESC_ABI_MAJOR,
    .abi_minor = DEFECT_DESC_ABI_MINOR,
    .size = DEFECT_DESC_SIZE,
    .flags = WATTSON_PLUGIN_SIMULATED,
    .name = DEFECT_NAME,
    .version = "1",
    .description = DEFECT_DESCRIPTION,
    .init = defect_init,
    .fini = defect_fini,
#if defined(DEFECT_NO_READ)
    .read = NULL,
#else
    .read = defect_read,
#endif
#if defined(DEFECT_NO_READ_CONTROLS)
    .write = defect_write, /* and no .read_controls */
#endif
};

#if defined(DEFECT_NO_ENTRY)
/* Misspelt on purpose: the loader finds no wattson_plugin_entry. */
__attribute__((visibility("default"))) const struct wattson_plugin *
wattson_plugin_entri(void);

const struct wattson_plugin *wattson_plugin_entri(void)
{
    return &defect_desc;
}
#else
__attribute__((visibility("default"))) const struct wattson_plugin *
wattson_plugin_entry(void);

const struct wattson_plugin *wattson_plugin_entry(void)
{
#if defined(DEFECT_NULL_ENTRY)
    /* The descriptor exists but is not handed out. */
    (void)&defect_desc;
    return NULL;
#else
    return &defect_desc;
#endif
}
#endif
