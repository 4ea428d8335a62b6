/*
 * pmodel - see pmodel.h.
 */
#include "part/pmodel.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "part/dncfg.h"
#include "part/pdprof.h"

int pmodel_load(struct pmodel *m, const char *path, char *err, size_t errlen)
{
    memset(m, 0, sizeof *m);
    mgraph_init(&m->g);
    const size_t len = strlen(path);
    const int rc = len > 4 && strcmp(path + len - 4, ".cfg") == 0
                       ? dncfg_read_file(path, &m->g, err, errlen)
                       : pdprof_read_file(path, &m->g, err, errlen);
    if (rc != 0)
        return -1;
    const struct mgraph *g = &m->g;
    m->order = malloc((g->n ? g->n : 1) * sizeof *m->order);
    m->work = malloc((g->n ? g->n : 1) * sizeof *m->work);
    if (!m->order || !m->work) {
        snprintf(err, errlen, "%s: out of memory", path);
        return -1;
    }
    char why[256];
    if (mgraph_topo(g, m->order, why, sizeof why) != 0) {
        snprintf(err, errlen, "%s: %s", path, why);
        return -1;
    }
    for (size_t u = 0; u < g->n; u++) {
        const struct mgraph_node *nd = &g->node[u];
        const int has_bwd = nd->bwd_ms == nd->bwd_ms;
        if (nd->fwd_ms == nd->fwd_ms)
            m->work[u] = nd->fwd_ms + (has_bwd ? nd->bwd_ms : 0);
        else if (nd->flops == nd->flops)
            m->work[u] = 3 * nd->flops / PMODEL_REF_FLOPS * 1e3;
        else
            m->work[u] = 0;
    }
    return 0;
}

int pmodel_infer_work(const struct mgraph *g, double *fwd, double *in_bytes)
{
    uint8_t *fed = calloc(g->n ? g->n : 1, 1);
    if (!fed)
        return -1;
    for (size_t e = 0; e < g->n_edges; e++)
        fed[g->edge[e][1]] = 1;
    *in_bytes = g->in_bytes == g->in_bytes ? g->in_bytes : 0;
    for (size_t u = 0; u < g->n; u++) {
        const struct mgraph_node *nd = &g->node[u];
        if (!fed[u] && strncmp(nd->kind, "Input", 5) == 0) {
            fwd[u] = 0;
            *in_bytes += nd->act_bytes > 0 ? nd->act_bytes : 0;
        } else if (nd->fwd_ms == nd->fwd_ms) {
            fwd[u] = nd->fwd_ms;
        } else if (nd->flops == nd->flops) {
            fwd[u] = nd->flops / PMODEL_REF_FLOPS * 1e3;
        } else {
            fwd[u] = 0;
        }
    }
    free(fed);
    return 0;
}

void pmodel_free(struct pmodel *m)
{
    free(m->order);
    free(m->work);
    mgraph_free(&m->g);
    m->order = NULL;
    m->work = NULL;
}
