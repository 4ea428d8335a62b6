/*
 * luacfg - copies a Lua table into a cfg tree, so that the Lua state that
 * computed it can be closed.
 *
 * Only data survive the copy: keys must be non-empty strings without '.'
 * (the cfg path separator) or positive integers, values numbers (finite),
 * strings, booleans or tables.  Errors name the offending value by its
 * path ("drivers.1.devices.2: numbers must be finite, got nan").
 */
#ifndef WATTSON_LUACFG_H
#define WATTSON_LUACFG_H

#include <stddef.h>

struct cfg;
struct lua_State;

/* What luacfg_copy returns. */
enum luacfg_status {
    LUACFG_OK = 0,
    LUACFG_ERROR,  /* a value the tree cannot hold, or malloc failed */
    LUACFG_MEMORY, /* the Lua state's allocator refused (its memory cap) */
};

/* Copies the table on top of L's stack (popped) into a new, sorted cfg
 * tree of at most about `max_bytes`.  Raw access only: no metamethod runs,
 * and the collector is paused meanwhile.  Keys are visited in sorted order,
 * so that of several errors the one reported does not depend on Lua's hash
 * order.  On failure *out is NULL and `err` holds "path: message" (just the
 * message for the top level). */
int luacfg_copy(struct lua_State *L, size_t max_bytes, struct cfg **out,
                char *err, size_t errlen);

#endif
