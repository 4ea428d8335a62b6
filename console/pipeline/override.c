/*
 * override - see override.h.
 */
#include "pipeline/override.h"

#include <stdlib.h>
#include <string.h>

#include "core/model.h"

int override_init(struct override *o, const struct model *m)
{
    memset(o, 0, sizeof *o);
    size_t n = m->n_controls ? m->n_controls : 1;
    o->val = calloc(n, sizeof *o->val);
    o->set = calloc(n, 1);
    if (!o->val || !o->set) {
        override_free(o);
        return -1;
    }
    o->n_controls = m->n_controls;
    return 0;
}

void override_set(struct override *o, size_t c, double v)
{
    if (c >= o->n_controls)
        return;
    if (!o->set[c])
        o->n_set++;
    o->val[c] = v;
    o->set[c] = 1;
}

void override_clear(struct override *o, size_t c)
{
    if (c >= o->n_controls || !o->set[c])
        return;
    o->n_set--;
    o->set[c] = 0;
}

int override_get(const struct override *o, size_t c, double *v)
{
    if (c >= o->n_controls || !o->set[c])
        return 0;
    if (v)
        *v = o->val[c];
    return 1;
}

void override_run(const struct override *o, struct model *m)
{
    if (!o->n_set)
        return;
    for (size_t c = 0; c < o->n_controls; c++)
        if (o->set[c]) {
            m->decision[c] = o->val[c];
            m->decided[c] = 1;
        }
}

void override_free(struct override *o)
{
    free(o->val);
    free(o->set);
    memset(o, 0, sizeof *o);
}
