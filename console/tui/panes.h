/*
 * panes - the console's panes, each a const description (htop's Meter
 * classes): a name, its key, a layout hint, the height it wants, and a
 * draw function that fills the inside of its box from a tui_view.
 *
 * Also the stores panes show that outlive a frame: the log lines (a fixed
 * ring the log sink writes into) and the tables engines publish (Q-values,
 * partitions).  Nothing here allocates after pane_view_init.
 */
#ifndef WATTSON_PANES_H
#define WATTSON_PANES_H

#include <stddef.h>
#include <stdint.h>

struct engines;
struct model;
struct run;

enum pane_id {
    PANE_DEVICES,
    PANE_POWER,
    PANE_LOAD,
    PANE_QVALUES,
    PANE_PARTITION,
    PANE_LOG,
    PANE_MESH, /* on screen above Log; its key is '7' */
    PANE_GPU,  /* on screen above Mesh; its key is '8' */
    PANE__N
};

enum pane_hint {
    PANE_FULL, /* a band of its own, full width */
    PANE_HALF, /* shares a band with its neighbour when the screen is wide */
    PANE_FLEX  /* full width, takes the rows left over */
};

/* What panes read: the run's model plus what the console keeps (history
 * sampled every `hist_every` ticks, per-device derived figures). */
struct tui_view {
    struct run *run;
    const struct model *m;
    int focus;       /* the focused pane (enum pane_id) */
    size_t sel;      /* selected device */
    size_t q_agent;  /* selected Q-table */
    size_t mesh_sel; /* selected mesh node (meshview.h) */
    /* The Log pane's selected line (a sequence number, pane_log_first ..
     * pane_log_gen - 1) unless log_follow: then the newest, and new lines
     * keep it the newest. */
    unsigned log_sel;
    int log_follow;
    /* History: hcap slots; slot s holds total power and, per device,
     * utilisation and forecast utilisation (NaN when unknown). */
    uint32_t hcap, hhead, hlen;
    float *h_total;            /* [hcap] */
    float *h_util, *h_fc;      /* [hcap * n_devices] */
    float *scratch, *scratch2; /* [hcap]: series in time order */
    uint32_t every;            /* ticks per history slot */
    /* The forecasts made, by the tick they are for (forecast utilisation
     * of each device, NaN when none): slot k = tick % PANE_FC_RING holds
     * fc_ring[k * n_devices + d] for tick fc_tgt[k].  h_fc's slots are
     * the means of the forecasts made for their ticks (so they line up
     * with h_util: forecast against what then happened), and the slots
     * past the current tick are the forecast ahead. */
    float *fc_ring;
    uint64_t *fc_tgt;
    /* The open slot's sums (means over `every` ticks). */
    double *acc_u, *acc_f;
    uint32_t *cnt_u, *cnt_f;
    double acc_total;
    uint32_t cnt_total, acc_ticks;
    /* Derived each frame by pane_view_update. */
    double *pwr, *cap, *pred; /* W per device, NaN if unknown */
    double *fc_util;          /* forecast utilisation, NaN if unknown */
    double used_w, pred_w, cap_w;
};

/* Forecasts kept per device: the forecasters' longest horizon is 64. */
#define PANE_FC_RING 64

struct pane {
    const char *name;
    /* Said in the top border after the title when it fits: what a
     * figure of the pane means (NULL: nothing). */
    const char *caption;
    int key; /* '1'..'8' */
    enum pane_hint hint;
    int min_h; /* rows including the box */
    int (*want_h)(const struct tui_view *v);
    /* Draws the inside of the box: rows y..y+h-1, columns x..x+w-1. */
    void (*draw)(const struct tui_view *v, int y, int x, int h, int w);
};

extern const struct pane *const pane_all[PANE__N];

/* Allocates the view's history and derived arrays for `m`. */
int pane_view_init(struct tui_view *v, struct run *r, uint32_t hcap);
void pane_view_free(struct tui_view *v);
/* After a tick: accumulates into the current history slot; every
 * `every` ticks closes it. */
void pane_view_tick(struct tui_view *v, uint32_t every);
/* Before drawing: the derived per-device figures and totals. */
void pane_view_update(struct tui_view *v);

/* The forecast utilisation made for `tick` of device d (still in the
 * ring), or 0. */
int pane_view_fc(const struct tui_view *v, size_t d, uint64_t tick,
                 double *out);
/* The forecast stage's horizon in ticks as the console uses it: 1 ..
 * PANE_FC_RING - 1. */
uint32_t pane_fc_horizon(const struct model *m);

/* Log lines (the console's log sink writes here).  A line keeps its
 * newlines and tabs (a Lua traceback): the pane shows them as spaces,
 * the detail view wraps them. */
void pane_log_add(int level, double t, const char *msg);
/* The oldest line still kept (sequence number); pane_log_gen() - 1 is
 * the newest. */
unsigned pane_log_first(void);
/* Line `seq` (and its level), or NULL when it is no longer kept. */
const char *pane_log_line(unsigned seq, int *level);
/* Draws `text` wrapped to w columns (at spaces when it can, always at a
 * newline), skipping the first `skip` rows, in rows y..y+h-1.  Returns
 * the rows the whole text takes. */
int pane_wrap(int y, int x, int h, int w, int skip, const char *text);
/* The selected device's detail (every signal, control, forecast,
 * proposal, decision, override) in rows y..y+h-1 from its row `skip`.
 * Returns the rows it all takes. */
int pane_detail_draw(const struct tui_view *v, int y, int x, int h, int w,
                     int skip);
/* Bumped on every change of a store, so the console knows what is dirty. */
unsigned pane_log_gen(void);
unsigned pane_tables_gen(void);
size_t pane_q_count(void);

/* Copies every engine's panes (engines_pane: Q-tables, partitions) into
 * the stores below; the console calls it after ticks.  Allocates
 * nothing. */
void pane_pull_engines(const struct engines *e);
/* Changes when an engine pane's rows change (the layout is due). */
unsigned pane_shape_gen(void);
/* The Partition pane's store is partview.h's, the Q-values pane's
 * qview.h's. */

#endif
