/*
 * meshdrv - the `mesh` driver plugin (issue 14): the simulated converter
 * mesh (mesh.h) as devices, signals and controls of a run, so that the
 * console's engines, policies and panes see it like any other hardware.
 *
 * Its lab entry is a mesh description (meshcfg.h; keys in
 * lua-policies/labs/mesh/README.md) with `plugin = "mesh"`.  Devices, in
 * order: node1..nodeN (kind "converter"), then tie1..tieL (kind "tie",
 * one per link, in the description's order), then one device per module
 * identity the description names (kind "module", named by its `id`: the
 * modules', then the attach events' new ones), so that the agents' engine
 * can keep a module's Q-table by who it is, wherever it is plugged.
 *
 *   node signals   v (V, its bus, as sensed), i_mod, i_conv (A), power (W,
 *                  the converter's input: what the lab's power counts),
 *                  perf (work/s of its modules), err (failures per
 *                  operation), soc (hold-up stack, 0..1), ilim (1 at the
 *                  current limit), duty, vset (V), dvdd (V per unit duty:
 *                  what a duty step does), vmin, vmax, vnom (V, its
 *                  module's; 0 with none), mtype (0 none, 1 cpu, 2 gpu, 3
 *                  fpga).  Those its sensors give are invalid while its
 *                  converter has failed; the rest are the simulator's.
 *   tie signals    a, b (its nodes, 1-based), r (ohm), closed (0/1), va,
 *                  vb (V: the buses on its two sides, as its switch senses
 *                  them, failed or not), i (A, a to b).
 *   module signal  node (the node it is on, 1-based; 0 unplugged).
 *   node controls  duty (the converter's, its part's limits), fail (0/1:
 *                  fault injection), module (0..3, a type as mtype: hot
 *                  swap, the module powered up at its nominal voltage).
 *   tie control    closed (0/1).
 *
 * The plant steps once per read, by the run's clock since the last read
 * (the first step 10 ms), after applying the description's events due by
 * then.  It is simulated (WATTSON_PLUGIN_SIMULATED): writable without
 * --allow-writes, on the virtual clock.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "drvutil.h"
#include "meshcfg.h"
#include "wattson/plugin.h"

enum {
    MD_V,
    MD_IMOD,
    MD_ICONV,
    MD_POWER,
    MD_PERF,
    MD_ERR,
    MD_SOC,
    MD_ILIM,
    MD_DUTY,
    MD_VSET,
    MD_DVDD,
    MD_VMIN,
    MD_VMAX,
    MD_VNOM,
    MD_MTYPE,
    MD_NSIG
};
enum { MT_A, MT_B, MT_R, MT_CLOSED, MT_VA, MT_VB, MT_I, MT_NSIG };
enum { MC_DUTY, MC_FAIL, MC_MODULE, MC_NCTL };

static const struct {
    const char *name, *unit, *desc;
} md_sigs[MD_NSIG] =
    {
        [MD_V] = {"v", "V", "bus voltage (sensed)"},
        [MD_IMOD] = {"i_mod", "A", "modules' current (sensed)"},
        [MD_ICONV] = {"i_conv", "A", "converter output current (sensed)"},
        [MD_POWER] = {"power", "W", "converter input power (sensed)"},
        [MD_PERF] = {"perf", "op/s", "modules' work"},
        [MD_ERR] = {"err", "1", "worst module's failures per operation"},
        [MD_SOC] = {"soc", "1", "hold-up stack's energy"},
        [MD_ILIM] = {"ilim", "1", "1: at the current limit"},
        [MD_DUTY] = {"duty", "1", "converter duty"},
        [MD_VSET] = {"vset", "V", "converter set point at that duty"},
        [MD_DVDD] = {"dvdd", "V", "set point change per unit duty"},
        [MD_VMIN] = {"vmin", "V", "module's minimum supply (0: none)"},
        [MD_VMAX] = {"vmax", "V", "module's maximum supply"},
        [MD_VNOM] = {"vnom", "V", "module's nominal supply"},
        [MD_MTYPE] = {"mtype", "1", "module: 0 none, 1 cpu, 2 gpu, 3 fpga"},
},
  mt_sigs[MT_NSIG] = {
      [MT_A] = {"a", "1", "node on side a"},
      [MT_B] = {"b", "1", "node on side b"},
      [MT_R] = {"r", "ohm", "resistance"},
      [MT_CLOSED] = {"closed", "1", "1: the switch is closed"},
      [MT_VA] = {"va", "V", "bus on side a, sensed at the switch"},
      [MT_VB] = {"vb", "V", "bus on side b, sensed at the switch"},
      [MT_I] = {"i", "A", "current from a to b"},
};

#define MD_MAX_IDS (MESHCFG_MAX_MODS + MESHCFG_MAX_EVENTS)

struct md {
    const struct wattson_host *host;
    struct meshcfg mc;
    /* the module identities the description names, each a device */
    unsigned nid;
    char ids[MD_MAX_IDS][MESH_ID_LEN];
    struct mesh m;
    struct drv_strs strs;
    struct wattson_device_desc *dev;
    struct wattson_signal_desc *sig;
    struct wattson_control_desc *ctl;
    size_t ndev, nsig, nctl;
    uint64_t last_ns;
    double t;
    int started;
};

static void md_fini(void *st)
{
    struct md *s = st;
    if (!s)
        return;
    drv_strs_free(&s->strs);
    free(s->dev);
    free(s->sig);
    free(s->ctl);
    free(s);
}

static int md_inventory(struct md *s, struct wattson_inventory *inv)
{
    const unsigned n = s->mc.n, nl = s->mc.nl;
    s->ndev = n + nl + s->nid;
    s->nsig = (size_t)n * MD_NSIG + (size_t)nl * MT_NSIG + s->nid;
    s->nctl = (size_t)n * MC_NCTL + nl;
    s->dev = calloc(s->ndev, sizeof *s->dev);
    s->sig = calloc(s->nsig, sizeof *s->sig);
    s->ctl = calloc(s->nctl, sizeof *s->ctl);
    if (!s->dev || !s->sig || !s->ctl)
        return -1;
    size_t k = 0;
    for (unsigned i = 0; i < n; i++) {
        s->dev[i] = (struct wattson_device_desc){
            drv_fmt(&s->strs, "node%u", i + 1), "converter", -1, NULL, 0};
        for (unsigned j = 0; j < MD_NSIG; j++)
            s->sig[k++] = (struct wattson_signal_desc){
                md_sigs[j].name, i, md_sigs[j].unit,
                WATTSON_GAUGE,   0, md_sigs[j].desc};
        const struct conv_part *c = &s->m.node[i].conv;
        s->ctl[(size_t)i * MC_NCTL + MC_DUTY] = (struct wattson_control_desc){
            "duty", i, "1", c->d_min, c->d_max, 0, "converter duty"};
        s->ctl[(size_t)i * MC_NCTL + MC_FAIL] = (struct wattson_control_desc){
            "fail", i, "1", 0, 1, 1, "1: the converter fails (simulated)"};
        s->ctl[(size_t)i * MC_NCTL + MC_MODULE] = (struct wattson_control_desc){
            "module",
            i,
            "1",
            0,
            3,
            1,
            "module on the node: 0 none, 1 cpu, 2 gpu, 3 fpga (hot swap)"};
    }
    for (unsigned l = 0; l < nl; l++) {
        const uint32_t d = n + l;
        s->dev[d] = (struct wattson_device_desc){
            drv_fmt(&s->strs, "tie%u", l + 1), "tie", -1, NULL, 0};
        for (unsigned j = 0; j < MT_NSIG; j++)
            s->sig[k++] = (struct wattson_signal_desc){
                mt_sigs[j].name, d, mt_sigs[j].unit,
                WATTSON_GAUGE,   0, mt_sigs[j].desc};
        s->ctl[(size_t)n * MC_NCTL + l] = (struct wattson_control_desc){
            "closed", d, "1", 0, 1, 1, "1: close the tie switch"};
    }
    for (unsigned j = 0; j < s->nid; j++) {
        const uint32_t d = n + nl + j;
        s->dev[d] = (struct wattson_device_desc){
            drv_fmt(&s->strs, "%s", s->ids[j]), "module", -1, NULL, 0};
        s->sig[k++] = (struct wattson_signal_desc){
            "node",        d, "1",
            WATTSON_GAUGE, 0, "the node it is plugged into (0: none)"};
    }
    for (size_t d = 0; d < s->ndev; d++)
        if (!s->dev[d].name)
            return -1;
    *inv = (struct wattson_inventory){s->dev,  s->ndev, s->sig, s->nsig, s->ctl,
                                      s->nctl, NULL,    0,      NULL,    0};
    return 0;
}

/* The identities the description names, once each; 0, or -1 (err) for
 * one that is also a node's or a tie's name. */
static int md_ids(struct md *s, char *err, size_t errlen)
{
    const struct meshcfg *mc = &s->mc;
    for (unsigned k = 0; k < mc->nmod + mc->nev; k++) {
        const char *id = k < mc->nmod ? mc->mod[k].id : mc->ev[k - mc->nmod].id;
        if (k >= mc->nmod && mc->ev[k - mc->nmod].kind != MESHCFG_ATTACH)
            continue;
        unsigned j = 0;
        while (j < s->nid && strcmp(s->ids[j], id) != 0)
            j++;
        if (j < s->nid || s->nid == MD_MAX_IDS)
            continue;
        unsigned num;
        char rest;
        if ((sscanf(id, "node%u%c", &num, &rest) == 1 && num >= 1 &&
             num <= mc->n) ||
            (sscanf(id, "tie%u%c", &num, &rest) == 1 && num >= 1 &&
             num <= mc->nl)) {
            snprintf(err, errlen,
                     "mesh: module id '%s' is also the name of one of the "
                     "mesh's devices: give the module another id",
                     id);
            return -1;
        }
        snprintf(s->ids[s->nid++], MESH_ID_LEN, "%s", id);
    }
    return 0;
}

static int md_init(const struct wattson_host *host, void **state,
                   struct wattson_inventory *inv, char *err, size_t errlen)
{
    int rc;
    struct md *s = drv_state_new(host, sizeof *s, &rc, err, errlen);
    if (!s)
        return rc;
    s->host = host;
    const struct meshcfg_src src = {host->ctx,        host->cfg_type,
                                    host->cfg_number, host->cfg_string,
                                    host->cfg_len,    host->cfg_key};
    static const char *const extra[] = {"plugin", "optional", NULL};
    /* a description the reader refuses is the lab's fault */
    if (meshcfg_read(&src, "", "mesh", extra, INFINITY, &s->mc, err, errlen) !=
        0) {
        md_fini(s);
        return WATTSON_ERR_CONFIG;
    }
    if (md_ids(s, err, errlen) != 0) {
        md_fini(s);
        return WATTSON_ERR_CONFIG;
    }
    if (meshcfg_build(&s->mc, 0.01, host->seed * 2 + 1, &s->m, err, errlen) !=
        0) {
        md_fini(s);
        return WATTSON_ERR;
    }
    if (md_inventory(s, inv) != 0) {
        snprintf(err, errlen, "out of memory");
        md_fini(s);
        return WATTSON_ERR;
    }
    *state = s;
    return WATTSON_OK;
}

static int md_read(void *st, double *values, uint8_t *valid, size_t n)
{
    struct md *s = st;
    if (n != s->nsig)
        return WATTSON_ERR;
    const uint64_t now = s->host->now_ns(s->host->ctx);
    double dt =
        s->started && now > s->last_ns ? (now - s->last_ns) * 1e-9 : 0.01;
    if (dt > 1)
        dt = 1; /* a stalled clock is not an hour of hold-up drain */
    s->started = 1;
    s->last_ns = now;
    meshcfg_events(&s->mc, s->t, s->t + dt, &s->m, NULL, NULL);
    s->t += dt;
    s->m.dt = dt;
    mesh_step(&s->m); /* a collapse sheds load; the readings say so */
    size_t k = 0;
    for (unsigned i = 0; i < s->mc.n; i++) {
        const struct mesh_node *nd = &s->m.node[i];
        const struct mesh_reading *r = &nd->rd;
        const struct cmod_type *t = nd->nmod ? nd->mod[0].type : NULL;
        const double v[MD_NSIG] = {
            [MD_V] = r->v,
            [MD_IMOD] = r->i_mod,
            [MD_ICONV] = r->i_conv,
            [MD_POWER] = r->p_in,
            [MD_PERF] = r->perf,
            [MD_ERR] = r->err,
            [MD_SOC] = r->soc,
            [MD_ILIM] = r->ilim,
            [MD_DUTY] = nd->duty,
            [MD_VSET] = conv_vset(&nd->conv, nd->duty),
            [MD_DVDD] = conv_dvdd(&nd->conv, nd->duty),
            [MD_VMIN] = t ? t->vmin : 0,
            [MD_VMAX] = t ? t->vmax : 0,
            [MD_VNOM] = t ? t->vnom : 0,
            [MD_MTYPE] = t ? 1 + cmod_preset_index(t) : 0,
        };
        for (unsigned j = 0; j < MD_NSIG; j++, k++) {
            const int sensed = j <= MD_ILIM;
            values[k] = v[j];
            valid[k] = (!sensed || r->valid) && isfinite(v[j]);
        }
    }
    for (unsigned l = 0; l < s->mc.nl; l++) {
        const struct dcnet_link *ln = &s->m.net.link[l];
        const double v[MT_NSIG] = {
            [MT_A] = ln->a + 1,
            [MT_B] = ln->b + 1,
            [MT_R] = ln->r,
            [MT_CLOSED] = ln->up,
            [MT_VA] = s->m.tie_v[l][0],
            [MT_VB] = s->m.tie_v[l][1],
            [MT_I] = s->m.net.i_link[l],
        };
        for (unsigned j = 0; j < MT_NSIG; j++, k++) {
            values[k] = v[j];
            valid[k] = isfinite(v[j]);
        }
    }
    for (unsigned j = 0; j < s->nid; j++, k++) {
        unsigned on = 0;
        for (unsigned i = 0; i < s->mc.n && !on; i++)
            for (unsigned q = 0; q < s->m.node[i].nmod; q++)
                if (strcmp(s->m.node[i].id[q], s->ids[j]) == 0)
                    on = i + 1;
        values[k] = on;
        valid[k] = 1;
    }
    return WATTSON_OK;
}

static int md_set(struct md *s, uint32_t c, double v)
{
    const size_t nn = (size_t)s->mc.n * MC_NCTL;
    if (!isfinite(v) || v < s->ctl[c].min || v > s->ctl[c].max)
        return WATTSON_ERR_REJECTED;
    if (c >= nn)
        return mesh_tie(&s->m, (unsigned)(c - nn), v >= 0.5) == MESH_OK
                   ? WATTSON_OK
                   : WATTSON_ERR;
    const unsigned i = c / MC_NCTL;
    struct mesh_node *nd = &s->m.node[i];
    switch (c % MC_NCTL) {
    case MC_DUTY:
        return mesh_set_duty(&s->m, i, v) == MESH_OK ? WATTSON_OK
                                                     : WATTSON_ERR_REJECTED;
    case MC_FAIL:
        return mesh_fail(&s->m, i, v >= 0.5) == MESH_OK ? WATTSON_OK
                                                        : WATTSON_ERR;
    default: {
        const unsigned want = (unsigned)lround(v);
        const struct cmod_type *t = want ? cmod_preset_at(want - 1) : NULL;
        const struct cmod_type *have = nd->nmod ? nd->mod[0].type : NULL;
        if (t == have)
            return WATTSON_OK;
        while (nd->nmod > 0)
            mesh_detach(&s->m, i, nd->nmod - 1);
        if (!t)
            return WATTSON_OK;
        char id[MESH_ID_LEN];
        snprintf(id, sizeof id, "%s@node%u", t->name, i + 1);
        if (mesh_attach(&s->m, i, t, id, 30) < 0)
            return WATTSON_ERR;
        /* powered up at its nominal supply */
        mesh_set_duty(&s->m, i, conv_duty(&nd->conv, t->vnom));
        return WATTSON_OK;
    }
    }
}

static int md_write(void *st, const uint32_t *idx, const double *values,
                    size_t n)
{
    struct md *s = st;
    int rc = WATTSON_OK;
    for (size_t k = 0; k < n; k++) {
        if (idx[k] >= s->nctl)
            return WATTSON_ERR;
        const int r = md_set(s, idx[k], values[k]);
        if (r != WATTSON_OK)
            rc = r;
    }
    return rc;
}

static int md_read_controls(void *st, double *values, uint8_t *valid, size_t n)
{
    struct md *s = st;
    if (n != s->nctl)
        return WATTSON_ERR;
    for (unsigned i = 0; i < s->mc.n; i++) {
        const struct mesh_node *nd = &s->m.node[i];
        const struct cmod_type *t = nd->nmod ? nd->mod[0].type : NULL;
        values[(size_t)i * MC_NCTL + MC_DUTY] = nd->duty;
        values[(size_t)i * MC_NCTL + MC_FAIL] = nd->failed;
        values[(size_t)i * MC_NCTL + MC_MODULE] =
            t ? 1 + cmod_preset_index(t) : 0;
    }
    for (unsigned l = 0; l < s->mc.nl; l++)
        values[(size_t)s->mc.n * MC_NCTL + l] = s->m.net.link[l].up;
    memset(valid, 1, n);
    return WATTSON_OK;
}

static const struct wattson_plugin md_desc = {
    .abi_major = WATTSON_ABI_MAJOR,
    .abi_minor = WATTSON_ABI_MINOR,
    .size = sizeof(struct wattson_plugin),
    .flags = WATTSON_PLUGIN_SIMULATED,
    .name = "mesh",
    .version = "1.0",
    .description = "mesh: a simulated converter mesh (nodes, ties, modules)",
    .init = md_init,
    .fini = md_fini,
    .read = md_read,
    .write = md_write,
    .read_controls = md_read_controls,
};

__attribute__((visibility("default"))) const struct wattson_plugin *
wattson_plugin_entry(void);

const struct wattson_plugin *wattson_plugin_entry(void)
{
    return &md_desc;
}
