/*
 * pbind - the run engines' tables in a Lua policy version, beside its
 * devices: state.partition and out.partition (lua/ppart.h), state.gpu
 * and out.gpu (lua/pgpu.h).  The policy host (lua/policy.c) makes one per
 * version and calls it around each tick; an engine the run lacks or that
 * is idle adds nothing.
 */
#ifndef WATTSON_PBIND_H
#define WATTSON_PBIND_H

#include <lua.h>

struct engines;
struct model;
struct pbind;

/* At stack indices `state` and `outs`; NULL only when out of memory. */
struct pbind *pbind_new(lua_State *L, int state, int outs,
                        const struct engines *e, const struct model *m);
void pbind_free(struct pbind *b);
/* Before the tick. */
void pbind_update(struct pbind *b);
/* After the tick (`failed`: the tick failed, nothing is decided). */
void pbind_apply(struct pbind *b, struct model *m, int failed);

#endif
