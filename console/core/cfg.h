/*
 * cfg - an immutable configuration tree read from a lab file.
 *
 * The lab reader evaluates the lab file in a Lua sandbox and copies the
 * returned table into this tree, then closes Lua: nothing else in wattson
 * touches Lua for configuration.  Tables keep their keys in a stable order
 * (array part 1..n first, then the remaining keys sorted by name), so that
 * runs are deterministic.  Array entries have keys "1", "2", ...
 *
 * Paths are dot-separated keys: "drivers.1.devices.3.kind".
 */
#ifndef WATTSON_CFG_H
#define WATTSON_CFG_H

#include <stddef.h>

struct cfg;

/* Node types: the values of enum wattson_cfg_type in plugin.h. */
int cfg_type(const struct cfg *node); /* WATTSON_CFG_NONE for NULL */
const char *cfg_type_name(int type);  /* "number", "string", ... */
const struct cfg *cfg_get(const struct cfg *root, const char *path);
size_t cfg_len(const struct cfg *table); /* number of entries */
const char *cfg_key_at(const struct cfg *table, size_t i);
const struct cfg *cfg_at(const struct cfg *table, size_t i);
int cfg_is_array(const struct cfg *table);      /* keys exactly 1..n */
double cfg_number(const struct cfg *node);      /* 0 if not a number */
const char *cfg_string(const struct cfg *node); /* NULL if not a string */
int cfg_bool(const struct cfg *node);           /* 0 if not a bool */

/* Building (used by the lab reader and by tests).  Each returns the new
 * node, owned by `table`, or NULL on allocation failure. */
struct cfg *cfg_new_table(void);
struct cfg *cfg_add_table(struct cfg *table, const char *key);
struct cfg *cfg_add_number(struct cfg *table, const char *key, double v);
struct cfg *cfg_add_string(struct cfg *table, const char *key, const char *s);
struct cfg *cfg_add_bool(struct cfg *table, const char *key, int b);
/* Puts keys in the canonical order described above (recursively). */
void cfg_sort(struct cfg *table);
void cfg_free(struct cfg *root);

#endif
