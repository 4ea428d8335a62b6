/*
 * pbind - see pbind.h.
 */
#include "lua/pbind.h"

#include <stdlib.h>

#include "engines/partrun.h"
#include "engines/vgpu.h"
#include "lua/pgpu.h"
#include "lua/ppart.h"

struct pbind {
    struct ppart *part;
    struct pgpu *gpu;
};

struct pbind *pbind_new(lua_State *L, int state, int outs,
                        const struct engines *e, const struct model *m)
{
    struct pbind *b = calloc(1, sizeof *b);
    if (!b || !e)
        return b;
    b->part = ppart_new(L, state, outs, partrun_of(e));
    b->gpu = pgpu_new(L, state, outs, vgpu_of(e), m);
    return b;
}

void pbind_free(struct pbind *b)
{
    if (!b)
        return;
    ppart_free(b->part);
    pgpu_free(b->gpu);
    free(b);
}

void pbind_update(struct pbind *b)
{
    if (!b)
        return;
    ppart_update(b->part);
    pgpu_update(b->gpu);
}

void pbind_apply(struct pbind *b, struct model *m, int failed)
{
    if (!b)
        return;
    ppart_apply(b->part, failed);
    pgpu_apply(b->gpu, m, failed);
}
