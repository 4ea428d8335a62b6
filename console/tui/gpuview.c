/*
 * gpuview - see gpuview.h.
 */
#include "tui/gpuview.h"

#include <math.h>
#include <stdio.h>

#include "engines/engines.h"
#include "tui/term.h"
#include "wattson/plugin.h"

#define GV_MAX 24

static struct {
    char mode[16];
    size_t n;
    char name[GV_MAX][24], gpu[GV_MAX][12];
    double sm[GV_MAX], share[GV_MAX], pred[GV_MAX];
    double mem[GV_MAX], share_mem[GV_MAX], power[GV_MAX];
    double perf[GV_MAX], slo[GV_MAX];
    int kind[GV_MAX], bad[GV_MAX];
    unsigned long reallocs, phases;
    size_t clients;
    double client_sm;
    int have;
} gv;
static unsigned gv_gen, gv_shape;

int gpuview_store(const struct engine_gpus *e)
{
    if (!e || !e->mode || (e->n && !e->row))
        return -1;
    const int clipped = e->n > GV_MAX;
    snprintf(gv.mode, sizeof gv.mode, "%s", e->mode);
    size_t n = clipped ? GV_MAX : e->n;
    gv_shape += n != gv.n || !gv.have; /* the pane wants other rows */
    gv.n = n;
    for (size_t i = 0; i < gv.n; i++) {
        const struct engine_gpu_row *r = &e->row[i];
        snprintf(gv.name[i], sizeof gv.name[i], "%s", r->name ? r->name : "?");
        snprintf(gv.gpu[i], sizeof gv.gpu[i], "%s", r->gpu ? r->gpu : "?");
        gv.sm[i] = r->sm;
        gv.share[i] = r->share_sm;
        gv.pred[i] = r->pred_sm;
        gv.mem[i] = r->mem_b;
        gv.share_mem[i] = r->share_mem;
        gv.power[i] = r->power_w;
        gv.perf[i] = r->perf;
        gv.slo[i] = r->slo;
        gv.kind[i] = r->perf_kind;
        gv.bad[i] = r->violating;
    }
    gv.reallocs = e->reallocs;
    gv.phases = e->phase_changes;
    gv.clients = e->clients;
    gv.client_sm = e->client_sm;
    gv.have = 1;
    gv_gen++;
    return clipped;
}

unsigned gpuview_gen(void)
{
    return gv_gen;
}

unsigned gpuview_shape(void)
{
    return gv_shape;
}

static int gpuview_want(const struct tui_view *v)
{
    (void)v;
    return gv.n ? (int)gv.n + 3 : 3;
}

/* A fraction as a percentage, "-" when unknown. */
static const char *gv_pct(char *b, size_t n, double x)
{
    if (isfinite(x))
        snprintf(b, n, "%.0f%%", 100 * x);
    else
        snprintf(b, n, "-");
    return b;
}

/* Bytes as GB with one decimal, "-" when unknown; "all" for a share
 * that is the whole GPU's. */
static const char *gv_gb(char *b, size_t n, double x)
{
    if (isfinite(x))
        snprintf(b, n, "%.1f", x / 1e9);
    else
        snprintf(b, n, "-");
    return b;
}

/* Performance against the SLO in the tenant's own unit. */
static const char *gv_perf(char *b, size_t n, size_t i)
{
    double p = gv.perf[i], s = gv.slo[i];
    if (!isfinite(p))
        snprintf(b, n, "-");
    else if (gv.kind[i] == WATTSON_GPU_PERF_LATENCY)
        snprintf(b, n, isfinite(s) ? "%.0fms/%.0f" : "%.0fms", 1e3 * p,
                 1e3 * s);
    else if (gv.kind[i] == WATTSON_GPU_PERF_FPS)
        snprintf(b, n, isfinite(s) ? "%.0ffps/%.0f" : "%.0ffps", p, s);
    else
        snprintf(b, n, isfinite(s) ? "%.0f/s/%.0f" : "%.0f/s", p, s);
    return b;
}

#define GV_NAME 10
#define GV_GPU 5

static void gpuview_draw(const struct tui_view *v, int y, int x, int h, int w)
{
    (void)v;
    int n = term_textf(y, x, w, TR_TITLE, "%s", gv.have ? gv.mode : "vgpu");
    if (!gv.have || gv.n == 0) {
        term_text(y + (h - 1) / 2, x + 1, w - 1, TR_DIM,
                  "no GPU tenants (ABI 1.2 gpu_procs_read: sim gpu_tenants, "
                  "nvml processes)");
        return;
    }
    n += term_textf(y, x + n, w - n, TR_VALUE, " %lu realloc%s", gv.reallocs,
                    gv.reallocs == 1 ? "" : "s");
    n += term_textf(y, x + n, w - n, TR_DIM, " %lu phase changes", gv.phases);
    size_t nbad = 0;
    for (size_t i = 0; i < gv.n; i++)
        nbad += gv.bad[i] != 0;
    if (nbad)
        n += term_textf(y, x + n, w - n, TR_WARN, " %zu below SLO", nbad);
    if (gv.clients)
        term_textf(y, x + n, w - n, TR_VALUE, " API: %zu client%s, %.0f%% SM",
                   gv.clients, gv.clients == 1 ? "" : "s", 100 * gv.client_sm);
    if (h > 1)
        term_textf(y + 1, x, w, TR_DIM,
                   "%-*s %-*s %5s %5s %5s %5s %5s %5s %14s", GV_NAME, "tenant",
                   GV_GPU, "gpu", "use", "share", "pred", "memGB", "of", "W",
                   "perf/SLO");
    const int bx = GV_NAME + GV_GPU + 6 * 6 + 14 + 3;
    for (size_t i = 0; i + 2 < (size_t)h && i < gv.n; i++) {
        const int yy = y + 2 + (int)i;
        char a[16], b[16], c[16], d[16], e[16], g[24];
        term_textf(
            yy, x, w, gv.bad[i] ? TR_WARN : TR_VALUE,
            "%-*.*s %-*.*s %5s %5s %5s %5s %5s %5.0f %14s", GV_NAME, GV_NAME,
            gv.name[i], GV_GPU, GV_GPU, gv.gpu[i],
            gv_pct(a, sizeof a, gv.sm[i]), gv_pct(b, sizeof b, gv.share[i]),
            gv_pct(c, sizeof c, gv.pred[i]), gv_gb(d, sizeof d, gv.mem[i]),
            gv_gb(e, sizeof e, gv.share_mem[i]),
            isfinite(gv.power[i]) ? gv.power[i] : 0.0, gv_perf(g, sizeof g, i));
        /* the bar: use, then the rest of the share */
        int bw = w - bx - 1;
        if (bw > 30)
            bw = 30;
        if (bw >= 4 && isfinite(gv.sm[i])) {
            double share = isfinite(gv.share[i]) ? gv.share[i] : gv.sm[i];
            term_bar(yy, x + bx, bw, gv.sm[i], fmax(0, share - gv.sm[i]), 1);
        }
    }
}

const struct pane gpuview_pane = {
    .name = "GPU",
    .key = '8',
    .hint = PANE_FULL,
    .min_h = 3,
    .want_h = gpuview_want,
    .draw = gpuview_draw,
};
