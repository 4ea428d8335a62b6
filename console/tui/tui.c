/*
 * tui - see tui.h.
 *
 * One pass of the console (tui_step, the loop's 10 ms wall step) does, in
 * order, what tmux's server loop does: apply queued input, do the work
 * (a due policy reload, then the ticks due at this speed), then redraw
 * what is marked dirty, once.  Ticks due:
 *   x1   elapsed wall time / tick (an accumulator keeps the remainder),
 *   x10  ten times that,
 *   max  as many as fit in ~8 ms of the step,
 * and never more than fit in those 8 ms: a machine that cannot keep up
 * drops the backlog rather than stalling the screen.
 *
 * Layout: a two-line header, bands of panes, a tab line.  Bands are
 * Devices | Power+Load | Q-values+Partition | Mesh | Log (half panes
 * share a band when the screen is at least 80 wide; Mesh wants no rows
 * in a lab without a mesh).  Rows are handed out by priority - the
 * focused pane's band first, then Devices, Power, Load, Log, Q-values,
 * Partition, Mesh - and a band that cannot get its minimum is hidden
 * (its tab is dimmed; focusing it shows it).  Log takes what is
 * left.  `z` gives the focused pane the whole body.
 */
#include "tui/tui.h"

#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/lab.h"
#include "core/log.h"
#include "core/loop.h"
#include "core/model.h"
#include "engines/broker.h"
#include "run/run.h"
#include "tui/cmdline.h"
#include "tui/meshview.h"
#include "tui/panes.h"
#include "tui/tuihelp.h"
#include "tui/qview.h"
#include "tui/term.h"

#define TUI_STEP_NS 10000000u   /* the main-loop step: 10 ms */
#define TUI_WORK_NS 8000000u    /* tick time allowed per step */
#define TUI_FRAME_NS 100000000u /* at most 10 frames a second */
#define TUI_MSG_NS 3000000000u  /* a footer message stays 3 s */
#define TUI_HIST 512            /* history slots per series */
#define TUI_KEYQ 1024 /* a pasted command line (255 bytes) and then some */
#define TUI_EMPTY_WAKES 200   /* stdin readable but no key: EOF */
#define TUI_CMDQ 4            /* command lines queued for the step */
#define TUI_MESH_MAX 64       /* mesh nodes (meshview.h) */
#define LOG_MOVE_ALL 1000000L /* more lines than the log keeps */
#define SCROLL_END 1000000    /* more rows than an overlay has */

enum { SPEED_X1, SPEED_X10, SPEED_MAX };
enum { DETAIL_NONE, DETAIL_DEVICE, DETAIL_LOG };

struct tui_rect {
    int y, x, h, w;
    int shown;
};

struct tui {
    struct run *r;
    struct loop *loop;
    struct tui_view v;
    uint64_t tick_ns;
    uint32_t hist_every;
    int virtual_clock;
    /* state */
    int focus, zoom, help, paused, finished, quit, speed, step_req;
    int resized, layout_dirty, header_dirty, input;
    unsigned dirty; /* bit per pane */
    struct tui_rect rect[PANE__N];
    int tiny;
    /* input queue, filled by the stdin callback */
    int keys[TUI_KEYQ];
    unsigned kh, kt;
    int empty_wakes;
    /* timing */
    uint64_t last_ns, acc_ns, last_frame_ns, rate_t0;
    uint64_t rate_tick0, ticks_since_frame;
    double rate;
    unsigned seen_log, seen_tables, seen_shape;
    char msg[128];
    uint64_t msg_until;
    /* the command line (`:`): open while editing; submitted lines wait
     * here for the step, which runs them between ticks */
    struct cmd_ctx cmd;
    int cmdline;
    char cmdq[TUI_CMDQ][CMD_LINE_MAX];
    unsigned cqh, cqt;
    /* overlays: help scrolls; a detail view (Enter) shows the selected
     * device or log line whole */
    int help_scroll, help_rows;
    int overlay_vis; /* rows the open overlay shows (its last frame) */
    int detail, detail_scroll, detail_rows;
    unsigned detail_seq; /* the log line shown */
    /* the module each mesh node had before `m` detached it */
    unsigned char mesh_type[TUI_MESH_MAX];
    /* the policy picker (`p`) */
    int picker, pick_n, pick_sel;
    char pick[CMD_PICK_MAX][CMD_PICK_NAME];
};

static struct tui tui_state;

/* ---- callbacks: they only queue work for the step ---- */

static void tui_log_sink(void *arg, int level, const char *msg)
{
    struct tui *t = arg;
    pane_log_add(level, t->v.m->t, msg);
}

/* Before the console takes the screen (lab, drivers, the policy's first
 * on_load): on stderr as always, and kept for the Log pane. */
static void tui_early_sink(void *arg, int level, const char *msg)
{
    (void)arg;
    pane_log_add(level, 0.0, msg);
    log_write_stderr(level, msg);
}

void tui_log_early(void)
{
    log_set_sink(tui_early_sink, NULL);
}

static void on_stdin(void *arg)
{
    struct tui *t = arg;
    int got = 0, k;
    while ((k = term_key()) != TERM_KEY_NONE) {
        got = 1;
        if (t->kt - t->kh < TUI_KEYQ)
            t->keys[t->kt++ % TUI_KEYQ] = k;
    }
    if (got) {
        t->empty_wakes = 0;
    } else if (++t->empty_wakes > TUI_EMPTY_WAKES) {
        /* The terminal went away: readable forever, never a key. */
        t->quit = 1;
    }
}

static void on_winch(void *arg)
{
    struct tui *t = arg;
    t->resized = 1;
}

/* ---- keys ---- */

/* Copies as much of src as fits, always terminated: truncation is the
 * intent here (a footer message, a queued command line). */
static void copy_trunc(char *dst, size_t len, const char *src)
{
    size_t n = strnlen(src, len - 1);
    memcpy(dst, src, n);
    dst[n] = '\0';
}

static void say(struct tui *t, const char *text)
{
    copy_trunc(t->msg, sizeof t->msg, text);
    t->msg_until = clock_mono_ns() + TUI_MSG_NS;
    t->header_dirty = 1;
}

static const char *const speed_names[] = {"x1", "x10", "max"};

/* Moves the selection by `delta` rows (a page, or all the way with
 * Home/End); in Q-values by one agent, round the ring. */
static void move_sel(struct tui *t, int delta)
{
    if (t->focus == PANE_MESH && meshview_count(t->v.m) > 0) {
        /* a node; the Q-values pane follows it to its agent */
        const long n = (long)meshview_count(t->v.m);
        long s = (long)t->v.mesh_sel + delta;
        t->v.mesh_sel = s < 0 ? 0 : s >= n ? (size_t)n - 1 : (size_t)s;
        const long d = meshview_device(t->v.m, t->v.mesh_sel);
        const long q = d >= 0 ? qview_find(t->v.m->devices[d].name) : -1;
        if (q >= 0)
            t->v.q_agent = (size_t)q;
        t->dirty |= 1u << PANE_MESH | 1u << PANE_QVALUES;
        return;
    }
    if (t->focus == PANE_QVALUES && pane_q_count() > 0) {
        size_t n = pane_q_count();
        t->v.q_agent = (t->v.q_agent + (delta < 0 ? n - 1 : 1)) % n;
        t->dirty |= 1u << PANE_QVALUES;
        return;
    }
    size_t n = t->v.m->n_devices;
    if (n == 0)
        return;
    long s = (long)t->v.sel + delta;
    t->v.sel = s < 0 ? 0 : s >= (long)n ? n - 1 : (size_t)s;
    t->dirty |= 1u << PANE_DEVICES | 1u << PANE_POWER | 1u << PANE_LOAD;
}

/* The Log pane's selection: `delta` lines (negative: older), clamped to
 * the lines kept; reaching the newest follows new lines again. */
static void tui_log_move(struct tui *t, long delta)
{
    unsigned gen = pane_log_gen(), lo = pane_log_first();
    if (gen == 0)
        return;
    long newest = (long)gen - 1;
    long cur = t->v.log_follow ? newest : (long)t->v.log_sel;
    if (cur < (long)lo)
        cur = lo;
    long nx = cur + delta;
    nx = nx < (long)lo ? (long)lo : nx > newest ? newest : nx;
    t->v.log_sel = (unsigned)nx;
    t->v.log_follow = nx == newest && delta >= 0;
    t->dirty |= 1u << PANE_LOG;
}

/* Rows a page key moves in the focused pane. */
static int page_rows(const struct tui *t)
{
    int h = t->rect[t->focus].shown ? t->rect[t->focus].h - 3 : 1;
    return h > 1 ? h : 1;
}

/* Up/Down/PgUp/PgDn/Home/End in an overlay that scrolls: 1 if `k` was
 * one of them.  `rows` and `vis` are from the overlay's last frame (0
 * before its first: then End goes as far as the frame allows, as the
 * frame clamps the scroll again). */
static int scroll_key(int k, int *scroll, int rows, int vis)
{
    int page = vis > 2 ? vis - 1 : 1;
    int max = vis <= 0 ? SCROLL_END : rows > vis ? rows - vis : 0;
    switch (k) {
    case TERM_KEY_UP:
    case 'k':
        (*scroll)--;
        break;
    case TERM_KEY_DOWN:
    case 'j':
        (*scroll)++;
        break;
    case TERM_KEY_PGUP:
        *scroll -= page;
        break;
    case TERM_KEY_PGDN:
        *scroll += page;
        break;
    case TERM_KEY_HOME:
        *scroll = 0;
        break;
    case TERM_KEY_END:
        *scroll = max;
        break;
    default:
        return 0;
    }
    *scroll = *scroll < 0 ? 0 : *scroll > max ? max : *scroll;
    return 1;
}

static void detail_open(struct tui *t)
{
    if (t->focus == PANE_LOG) {
        if (pane_log_gen() == 0) {
            say(t, "no log lines yet");
            return;
        }
        t->detail = DETAIL_LOG;
        t->detail_seq = t->v.log_follow ? pane_log_gen() - 1 : t->v.log_sel;
    } else if (t->focus == PANE_DEVICES || t->focus == PANE_POWER ||
               t->focus == PANE_LOAD) {
        if (t->v.m->n_devices == 0)
            return;
        t->detail = DETAIL_DEVICE;
    } else if (t->focus == PANE_MESH && meshview_count(t->v.m) > 0) {
        t->v.sel = (size_t)meshview_device(t->v.m, t->v.mesh_sel);
        t->detail = DETAIL_DEVICE;
    } else {
        return;
    }
    t->detail_scroll = 0;
    t->layout_dirty = 1;
}

static void queue_cmd(struct tui *t, const char *line)
{
    if (t->cqt - t->cqh >= TUI_CMDQ) {
        log_msg(LOG_WARN, "command dropped (too many queued): %s", line);
        return;
    }
    copy_trunc(t->cmdq[t->cqt++ % TUI_CMDQ], CMD_LINE_MAX, line);
}

static void tui_cmdline_key(struct tui *t, int k)
{
    char line[CMD_LINE_MAX];
    t->header_dirty = 1;
    if (k == TERM_KEY_RESIZE) {
        t->resized = 1;
        return;
    }
    switch (cmd_edit_key(&t->cmd, k, line, sizeof line)) {
    case CMD_EDIT_SUBMIT:
        t->cmdline = 0;
        queue_cmd(t, line);
        break;
    case CMD_EDIT_CANCEL:
        t->cmdline = 0;
        break;
    default:
        break;
    }
}

static void picker_open(struct tui *t)
{
    const char *dir = cmd_policy_dir();
    int n = cmd_policy_list(dir, t->pick, CMD_PICK_MAX);
    if (n <= 0)
        log_msg(LOG_WARN, "no policies in %s", dir);
    /* The built-in policies too: the way back from a Lua policy. */
    t->pick_n = cmd_builtin_list(t->pick, n, CMD_PICK_MAX);
    t->picker = 1;
    t->pick_sel = 0;
    t->layout_dirty = 1;
}

static void picker_key(struct tui *t, int k)
{
    char line[CMD_LINE_MAX + 8];
    switch (k) {
    case TERM_KEY_UP:
    case 'k':
        if (t->pick_sel > 0)
            t->pick_sel--;
        break;
    case TERM_KEY_DOWN:
    case 'j':
        if (t->pick_sel + 1 < t->pick_n)
            t->pick_sel++;
        break;
    case TERM_KEY_ENTER:
        if (strncmp(t->pick[t->pick_sel], "builtin", 7) == 0)
            snprintf(line, sizeof line, "policy %s", t->pick[t->pick_sel]);
        else
            snprintf(line, sizeof line, "policy %s/%s", cmd_policy_dir(),
                     t->pick[t->pick_sel]);
        queue_cmd(t, line);
        t->picker = 0;
        break;
    case TERM_KEY_ESC:
    case 'q':
    case 'p':
        t->picker = 0;
        break;
    case TERM_KEY_RESIZE:
        t->resized = 1;
        break;
    default:
        break;
    }
    t->layout_dirty = 1;
}

/* f and m in the Mesh pane: the selected node fails or is restored, its
 * module detaches or comes back (the type it had, else a cpu), through
 * the `mesh` command, so the Log says what was done. */
static void mesh_key(struct tui *t, int k)
{
    const struct model *m = t->v.m;
    const long d = t->focus == PANE_MESH && meshview_count(m) > 0
                       ? meshview_device(m, t->v.mesh_sel)
                       : -1;
    if (d < 0) {
        say(t, "f and m act on the Mesh pane's node (7)");
        return;
    }
    static const char *const types[] = {"cpu", "gpu", "fpga"};
    const char *name = m->devices[d].name;
    const int sv = model_find_signal(m, (uint32_t)d, "v");
    const int st = model_find_signal(m, (uint32_t)d, "mtype");
    char line[CMD_LINE_MAX];
    if (k == 'f') {
        const int alive = sv >= 0 && m->valid[sv];
        snprintf(line, sizeof line, "mesh %s %s", alive ? "fail" : "restore",
                 name);
    } else {
        const int mt = st >= 0 && m->valid[st] ? (int)lround(m->val[st]) : 0;
        if (mt >= 1 && mt <= 3) {
            t->mesh_type[t->v.mesh_sel % TUI_MESH_MAX] = (unsigned char)mt;
            snprintf(line, sizeof line, "mesh detach %s", name);
        } else {
            const int was = t->mesh_type[t->v.mesh_sel % TUI_MESH_MAX];
            snprintf(line, sizeof line, "mesh attach %s %s", name,
                     types[was >= 1 && was <= 3 ? was - 1 : 0]);
        }
    }
    queue_cmd(t, line);
}

static void apply_key(struct tui *t, int k)
{
    char buf[128];
    if (t->cmdline) {
        tui_cmdline_key(t, k);
        return;
    }
    if (t->picker) {
        picker_key(t, k);
        return;
    }
    /* An overlay scrolls with the arrows and pages; q and F10 quit; any
     * other key closes it (and, but for the ones that open or close
     * overlays, does what it does). */
    if ((t->help || t->detail) && k != 'q' && k != TERM_KEY_F10 &&
        k != TERM_KEY_RESIZE) {
        int *scroll = t->help ? &t->help_scroll : &t->detail_scroll;
        int n = t->help ? t->help_rows : t->detail_rows;
        if (scroll_key(k, scroll, n, t->overlay_vis)) {
            t->layout_dirty = 1;
            return;
        }
        int was_help = t->help;
        t->help = t->detail = 0;
        t->layout_dirty = 1;
        if (k == TERM_KEY_ESC || k == TERM_KEY_ENTER ||
            (was_help && (k == '?' || k == 'h' || k == TERM_KEY_F1)))
            return;
    }
    switch (k) {
    case 'q':
    case TERM_KEY_F10:
        t->quit = 1;
        break;
    case TERM_KEY_TAB:
    case TERM_KEY_RIGHT:
        t->focus = (t->focus + 1) % PANE__N;
        t->layout_dirty = 1;
        break;
    case TERM_KEY_BTAB:
    case TERM_KEY_LEFT:
        t->focus = (t->focus + PANE__N - 1) % PANE__N;
        t->layout_dirty = 1;
        break;
    case '1':
    case '2':
    case '3':
    case '4':
    case '5':
    case '6':
    case '7':
    case '8':
        t->focus = k - '1';
        t->layout_dirty = 1;
        break;
    case 'z':
        t->zoom = !t->zoom;
        t->layout_dirty = 1;
        break;
    case TERM_KEY_UP:
    case 'k':
        if (t->focus == PANE_LOG)
            tui_log_move(t, -1);
        else
            move_sel(t, -1);
        break;
    case TERM_KEY_DOWN:
    case 'j':
        if (t->focus == PANE_LOG)
            tui_log_move(t, 1);
        else
            move_sel(t, 1);
        break;
    case TERM_KEY_PGUP:
    case TERM_KEY_PGDN:
        if (t->focus == PANE_LOG)
            tui_log_move(t, k == TERM_KEY_PGUP ? -page_rows(t) : page_rows(t));
        else
            move_sel(t, k == TERM_KEY_PGUP ? -page_rows(t) : page_rows(t));
        break;
    case TERM_KEY_HOME:
    case TERM_KEY_END:
        if (t->focus == PANE_LOG)
            tui_log_move(t, k == TERM_KEY_HOME ? -(long)LOG_MOVE_ALL
                                               : (long)LOG_MOVE_ALL);
        else
            move_sel(t, k == TERM_KEY_HOME ? -(int)t->v.m->n_devices
                                           : (int)t->v.m->n_devices);
        break;
    case TERM_KEY_ENTER:
        detail_open(t);
        break;
    case ' ':
        if (t->finished) {
            say(t, "finished: q quits");
            break;
        }
        t->paused = !t->paused;
        t->acc_ns = 0;
        say(t, t->paused ? "paused" : "running");
        break;
    case 's':
        if (t->finished)
            say(t, "finished: q quits");
        else if (!t->paused)
            say(t, "s steps when paused (space pauses)");
        else
            t->step_req++; /* a count: two presses in one pass, two ticks */
        break;
    case '+':
    case '=':
    case '-':
        if (!t->virtual_clock) {
            say(t, "speed is fixed on a wall clock");
            break;
        }
        if (k == '-' && t->speed > SPEED_X1)
            t->speed--;
        else if (k != '-' && t->speed < SPEED_MAX)
            t->speed++;
        t->acc_ns = 0;
        snprintf(buf, sizeof buf, "speed %s", speed_names[t->speed]);
        say(t, buf);
        break;
    case 'b':
    case 'B': {
        double b = t->v.m->budget_w + (k == 'B' ? 10 : -10);
        run_set_budget(t->r, b < 0 ? 0 : b);
        log_msg(LOG_INFO, "budget %.0f W", t->v.m->budget_w);
        snprintf(buf, sizeof buf, "budget %.0f W", t->v.m->budget_w);
        say(t, buf);
        t->dirty |= 1u << PANE_POWER;
        break;
    }
    case 'r':
        if (run_policy_request_reload(t->r) != 0) {
            log_msg(LOG_INFO, "no Lua policy to reload (the built-in "
                              "policy decides)");
            say(t, "no Lua policy to reload");
        } else {
            log_msg(LOG_INFO, "reloading %s", run_policy_path(t->r));
            say(t, "reloading the policy");
        }
        break;
    case '?':
    case 'h':
    case TERM_KEY_F1:
        t->help = 1;
        t->help_scroll = 0;
        t->layout_dirty = 1;
        break;
    case ':':
        cmd_edit_open(&t->cmd);
        t->cmdline = 1;
        t->header_dirty = 1;
        break;
    case 'p':
        picker_open(t);
        break;
    case 'f':
    case 'm':
        mesh_key(t, k);
        break;
    case TERM_KEY_RESIZE:
        t->resized = 1;
        break;
    default:
        break;
    }
}

/* ---- layout ---- */

/* Bands in screen order; a half pane's partner follows it. */
static void layout(struct tui *t)
{
    int rows, cols;
    term_size(&rows, &cols);
    memset(t->rect, 0, sizeof t->rect);
    t->tiny = rows < 10 || cols < 40;
    if (t->tiny)
        return;
    int body_y = 2, body_h = rows - 3;
    if (t->zoom) {
        t->rect[t->focus] = (struct tui_rect){body_y, 0, body_h, cols, 1};
        return;
    }
    int wide = cols >= 80;
    /* bands: up to two panes each */
    int band[PANE__N][2], nb = 0;
    static const int order[PANE__N] = {PANE_DEVICES, PANE_POWER,     PANE_LOAD,
                                       PANE_QVALUES, PANE_PARTITION, PANE_GPU,
                                       PANE_MESH,    PANE_LOG};
    for (int i = 0; i < PANE__N; i++) {
        int p = order[i];
        if (wide && pane_all[p]->hint == PANE_HALF && i + 1 < PANE__N &&
            pane_all[order[i + 1]]->hint == PANE_HALF) {
            band[nb][0] = p;
            band[nb][1] = order[++i];
        } else {
            band[nb][0] = p;
            band[nb][1] = -1;
        }
        nb++;
    }
    int bh[PANE__N] = {0}, bwant[PANE__N], bmin[PANE__N];
    int log_band = -1, focus_band = 0;
    for (int b = 0; b < nb; b++) {
        bwant[b] = bmin[b] = 0;
        for (int j = 0; j < 2 && band[b][j] >= 0; j++) {
            const struct pane *p = pane_all[band[b][j]];
            int w = p->want_h(&t->v);
            bwant[b] = w > bwant[b] ? w : bwant[b];
            bmin[b] = p->min_h > bmin[b] ? p->min_h : bmin[b];
            if (band[b][j] == PANE_LOG)
                log_band = b;
            if (band[b][j] == t->focus)
                focus_band = b;
        }
    }
    /* priority: the focus's band, then screen order with Log before the
     * engines' panes */
    int prio[PANE__N + 1], np = 0;
    prio[np++] = focus_band;
    for (int b = 0; b < nb; b++) {
        int p0 = band[b][0];
        if (b == focus_band || p0 == PANE_QVALUES || p0 == PANE_PARTITION ||
            p0 == PANE_MESH || p0 == PANE_GPU)
            continue;
        prio[np++] = b;
    }
    for (int b = 0; b < nb; b++) {
        int p0 = band[b][0];
        if (b != focus_band && (p0 == PANE_QVALUES || p0 == PANE_PARTITION ||
                                p0 == PANE_MESH || p0 == PANE_GPU))
            prio[np++] = b;
    }
    int left = body_h, log_reserved = 0;
    for (int i = 0; i < np; i++) {
        int b = prio[i];
        if (b == log_band) {
            if (left >= bmin[b]) {
                bh[b] = bmin[b];
                left -= bmin[b];
                log_reserved = 1;
            }
            continue;
        }
        int avail = left - (log_reserved ? 0 : bmin[log_band]);
        int h = bwant[b] < avail ? bwant[b] : avail;
        if (i == 0 && h < bmin[b])
            h = left < bwant[b] ? left : bwant[b]; /* focus always shows */
        if (h >= bmin[b]) {
            bh[b] = h;
            left -= h;
        }
    }
    if (log_band >= 0 && bh[log_band] > 0)
        bh[log_band] += left;
    int y = body_y;
    for (int b = 0; b < nb; b++) {
        if (bh[b] <= 0)
            continue;
        if (band[b][1] < 0) {
            t->rect[band[b][0]] = (struct tui_rect){y, 0, bh[b], cols, 1};
        } else {
            int lw = cols / 2;
            t->rect[band[b][0]] = (struct tui_rect){y, 0, bh[b], lw, 1};
            t->rect[band[b][1]] = (struct tui_rect){y, lw, bh[b], cols - lw, 1};
        }
        y += bh[b];
    }
}

/* ---- drawing ---- */

static void fmt_tick(char *b, size_t n, double s)
{
    if (s < 1e-3)
        snprintf(b, n, "%gus", s * 1e6);
    else if (s < 1)
        snprintf(b, n, "%gms", s * 1e3);
    else
        snprintf(b, n, "%gs", s);
}

static void draw_footer(struct tui *t, int rows, int cols);

static void draw_header(struct tui *t, int cols, int rows)
{
    const struct model *m = t->v.m;
    const struct lab *lab = run_lab(t->r);
    char tick[24], line[512];
    fmt_tick(tick, sizeof tick, lab->tick_s);
    const char *speed = t->finished ? "finished"
                        : t->paused ? "paused"
                                    : speed_names[t->speed];
    term_clear(0, 0, 2, cols);
    term_clear(rows - 1, 0, 1, cols);
    int x = 0;
    x += term_text(0, x, cols - x, TR_TITLE, "wattson ");
    char span[48];
    if (run_total_ticks(t->r) == UINT64_MAX)
        snprintf(span, sizeof span, "%.2fs", m->t); /* until q */
    else
        snprintf(span, sizeof span, "%.2f/%.0fs", m->t, lab->duration_s);
    snprintf(line, sizeof line,
             "lab %s  speed %s  t %s  clock %s  tick %s  "
             "rate %.0f/s",
             lab->name, speed, span, t->virtual_clock ? "virtual" : "wall",
             tick, t->rate);
    x += term_text(0, x, cols - x,
                   t->finished || t->paused ? TR_WARN : TR_VALUE, line);
    /* Devices marked faulty (permission denied, vanished, value rejected,
     * read error): those whose fault holds now, and the recovered ones. */
    if (m->n_faulted > 0 && x + 2 < cols) {
        size_t now = model_faults_current(m);
        if (now < m->n_faulted)
            snprintf(line, sizeof line, "  faults %zu (%zu cleared)", now,
                     m->n_faulted - now);
        else
            snprintf(line, sizeof line, "  faults %zu", now);
        term_text(0, x, cols - x, now ? TR_ERROR : TR_WARN, line);
    }

    const char *detail, *path = run_policy_path(t->r);
    enum run_policy_state ps = run_policy_state(t->r, &detail);
    const char *pname = path ? strrchr(path, '/') : NULL;
    pname = pname ? pname + 1 : path ? path : "builtin";
    static const char *const state_names[] = {
        [RUN_POLICY_BUILTIN] = "running",
        [RUN_POLICY_RUNNING] = "running",
        [RUN_POLICY_RELOADED] = "reloaded",
        [RUN_POLICY_REJECTED] = "rejected",
        [RUN_POLICY_FALLBACK] = "safe fallback",
    };
    if (m->budget_w > 0)
        snprintf(line, sizeof line, "budget %.0fW  used %.1fW  pred %.1fW  ",
                 m->budget_w, t->v.used_w, t->v.pred_w);
    else
        snprintf(line, sizeof line, "budget none  used %.1fW  pred %.1fW  ",
                 t->v.used_w, t->v.pred_w);
    x = term_text(1, 0, cols,
                  m->budget_w > 0 && t->v.used_w > m->budget_w ? TR_ERROR
                                                               : TR_VALUE,
                  line);
    if (path)
        snprintf(line, sizeof line, "policy %s v%llu: %s%s%s", pname,
                 (unsigned long long)run_policy_version(t->r), state_names[ps],
                 *detail ? ": " : "", detail);
    else if (run_builtin_name(t->r))
        snprintf(line, sizeof line, "policy builtin:%s: running",
                 run_builtin_name(t->r));
    else
        snprintf(line, sizeof line, "policy builtin: running");
    x += term_text(1, x, cols - x,
                   ps == RUN_POLICY_REJECTED   ? TR_ERROR
                   : ps == RUN_POLICY_FALLBACK ? TR_WARN
                                               : TR_OK,
                   line);
    /* The broker's latest adjustment: what it did and why. */
    struct broker_adj a;
    if (run_broker(t->r) && broker_adjustment(run_broker(t->r), 0, &a) &&
        x + 2 < cols) {
        snprintf(line, sizeof line, "  broker: %s P%d>P%d %s",
                 m->devices[a.dev].name, a.from, a.to, a.reason);
        term_text(1, x, cols - x, TR_LABEL, line);
    }

    if (t->cmdline) {
        /* the command line replaces the tab line; it scrolls to keep the
         * cursor on screen */
        const struct cmd_edit *e = &t->cmd.ed;
        int w = cols - 1; /* after the ':' */
        size_t off = 0;
        if (w > 1 && e->cur >= (size_t)w)
            off = e->cur - (size_t)w + 1;
        term_text(rows - 1, 0, 1, TR_FOCUS, ":");
        if (w > 0)
            term_text(rows - 1, 1, w, TR_NORMAL, e->buf + off);
        term_cursor(rows - 1, 1 + (int)(e->cur - off));
        return;
    }
    draw_footer(t, rows, cols);
}

/* The tab line: tabs, then a message or the key hints, and "q quit" at
 * the right end always.  When it is narrow, the hints shorten first
 * (to "? help", then none), then the tabs (the focused one named, the
 * others by their number) and the hints come back as they fit. */
static const char *const hints[] = {"? help  : command  p policy", "? help",
                                    ""};
#define QUIT_HINT "q quit"

static int tabs_width(int brief, int focus)
{
    int n = 0;
    for (int p = 0; p < PANE__N; p++)
        n +=
            2 + (!brief || p == focus ? 1 + (int)strlen(pane_all[p]->name) : 0);
    return n;
}

static void draw_footer(struct tui *t, int rows, int cols)
{
    int qw = (int)strlen(QUIT_HINT), room = cols - qw - 1;
    int brief = 0, hint = 0;
    int want = t->msg_until ? 12 : 0; /* a message gets some room */
    while (hint < 2 && tabs_width(0, t->focus) + 1 +
                               (want ? want : (int)strlen(hints[hint])) >
                           room)
        hint++;
    if (tabs_width(0, t->focus) + 1 + want > room) {
        brief = 1;
        hint = 0;
        while (hint < 2 && tabs_width(1, t->focus) + 1 +
                                   (want ? want : (int)strlen(hints[hint])) >
                               room)
            hint++;
    }
    int x = 0;
    for (int p = 0; p < PANE__N; p++) {
        char tab[32];
        if (brief && p != t->focus)
            snprintf(tab, sizeof tab, "%c", pane_all[p]->key);
        else
            snprintf(tab, sizeof tab, "%c %s", pane_all[p]->key,
                     pane_all[p]->name);
        enum term_role role = p == t->focus      ? TR_FOCUS
                              : t->rect[p].shown ? TR_NORMAL
                                                 : TR_DIM;
        x += term_text(rows - 1, x, room - x, role, tab);
        x += term_text(rows - 1, x, room - x, TR_NORMAL, " ");
    }
    x += term_text(rows - 1, x, room - x, TR_NORMAL, " ");
    if (t->msg_until)
        term_text(rows - 1, x, room - x, TR_WARN, t->msg);
    else
        term_text(rows - 1, x, room - x, TR_DIM, hints[hint]);
    term_text(rows - 1, cols - qw, qw, TR_DIM, QUIT_HINT);
}

static void clamp_scroll(int *scroll, int rows, int vis)
{
    int max = rows > vis ? rows - vis : 0;
    *scroll = *scroll < 0 ? 0 : *scroll > max ? max : *scroll;
}

/* A box of the overlays' size, centred, cleared; the rows inside. */
static int overlay_box(int rows, int cols, int maxw, int want_h,
                       const char *title, int *y, int *x, int *h, int *w)
{
    *w = maxw < cols ? maxw : cols;
    *h = want_h + 2 < rows ? want_h + 2 : rows;
    *y = (rows - *h) / 2;
    *x = (cols - *w) / 2;
    term_clear(*y, *x, *h, *w);
    term_box(*y, *x, *h, *w, TR_TITLE, TR_FOCUS, title);
    return *h - 2;
}

/* "more" marks in the bottom border when the overlay scrolls. */
static void overlay_more(int y, int x, int h, int w, int scroll, int vis, int n)
{
    char b[48];
    if (scroll + vis >= n && scroll == 0)
        return;
    snprintf(b, sizeof b, " %s%s%d/%d ", scroll > 0 ? "^ " : "",
             scroll + vis < n ? "v more " : "", scroll + vis, n);
    term_text(y + h - 1, x + w - 2 - (int)strlen(b), (int)strlen(b), TR_DIM, b);
}

static void draw_help(struct tui *t, int rows, int cols)
{
    int n = 0, title, y, x, h, w;
    while (tuihelp_row(n, &title))
        n++;
    t->help_rows = n;
    int vis = overlay_box(rows, cols, 78, n, "Help: keys, legend, commands", &y,
                          &x, &h, &w);
    clamp_scroll(&t->help_scroll, n, vis);
    t->overlay_vis = vis;
    for (int i = 0; i < vis && t->help_scroll + i < n; i++) {
        const char *line = tuihelp_row(t->help_scroll + i, &title);
        term_text(y + 1 + i, x + 2, w - 4, title ? TR_TITLE : TR_NORMAL, line);
    }
    overlay_more(y, x, h, w, t->help_scroll, vis, n);
}

/* Enter: the selected device (every signal and control, forecast,
 * proposal, decision) or the selected log line, wrapped. */
static void draw_detail(struct tui *t, int rows, int cols)
{
    int y, x, h, w, vis;
    char title[64];
    if (t->detail == DETAIL_DEVICE) {
        snprintf(title, sizeof title, "%s (Esc closes)",
                 t->v.m->devices[t->v.sel].name);
        vis = overlay_box(rows, cols, 84, rows, title, &y, &x, &h, &w);
        /* counted first (nothing drawn with h = 0), to clamp the scroll */
        t->detail_rows = pane_detail_draw(&t->v, y + 1, x + 2, 0, w - 4, 0);
        clamp_scroll(&t->detail_scroll, t->detail_rows, vis);
        pane_detail_draw(&t->v, y + 1, x + 2, vis, w - 4, t->detail_scroll);
    } else {
        int level;
        const char *line = pane_log_line(t->detail_seq, &level);
        /* as tall as the wrapped line (counted without drawing) */
        int want =
            line ? pane_wrap(0, 0, 0, (cols < 100 ? cols : 100) - 4, 0, line)
                 : 1;
        vis = overlay_box(rows, cols, 100, want, "Log line (Esc closes)", &y,
                          &x, &h, &w);
        clamp_scroll(&t->detail_scroll, want, vis);
        t->detail_rows =
            line ? pane_wrap(y + 1, x + 2, vis, w - 4, t->detail_scroll, line)
                 : (term_text(y + 1, x + 2, w - 4, TR_DIM,
                              "that line is no longer kept"),
                    1);
    }
    t->overlay_vis = vis;
    overlay_more(y, x, h, w, t->detail_scroll, vis, t->detail_rows);
}

static void draw_picker(const struct tui *t, int rows, int cols)
{
    int n = t->pick_n;
    int w = 50 < cols ? 50 : cols, h = n + 3 < rows ? n + 3 : rows;
    int y = (rows - h) / 2, x = (cols - w) / 2;
    int vis = h - 3; /* rows for names */
    int top = t->pick_sel >= vis ? t->pick_sel - vis + 1 : 0;
    term_clear(y, x, h, w);
    term_box(y, x, h, w, TR_TITLE, TR_FOCUS, "Policy: Enter loads, Esc");
    for (int i = 0; i < vis && top + i < n; i++)
        term_textf(y + 1 + i, x + 2, w - 4,
                   top + i == t->pick_sel ? TR_SELECT : TR_NORMAL, "%-*s",
                   w - 4, t->pick[top + i]);
    if (h > 3)
        term_text(y + h - 2, x + 2, w - 4, TR_DIM, cmd_policy_dir());
}

static void render(struct tui *t, int full)
{
    int rows, cols;
    term_size(&rows, &cols);
    pane_view_update(&t->v);
    t->v.focus = t->focus;
    term_begin_frame(full);
    if (t->tiny) {
        term_clear(0, 0, rows, cols);
        term_textf(0, 0, cols, TR_WARN, "terminal too small (%dx%d)", cols,
                   rows);
        term_text(1, 0, cols, TR_NORMAL, "40x10 at least; q quits");
        term_end_frame();
        return;
    }
    draw_header(t, cols, rows);
    for (int p = 0; p < PANE__N; p++) {
        const struct tui_rect *rc = &t->rect[p];
        if (!rc->shown || (!full && !(t->dirty & (1u << p))))
            continue;
        char title[32];
        snprintf(title, sizeof title, "%c %s%s", pane_all[p]->key,
                 pane_all[p]->name, t->zoom && p == t->focus ? " (zoom)" : "");
        term_clear(rc->y, rc->x, rc->h, rc->w);
        term_box(rc->y, rc->x, rc->h, rc->w,
                 p == t->focus ? TR_TITLE : TR_BORDER,
                 p == t->focus ? TR_FOCUS : TR_TITLE, title);
        const char *cap = pane_all[p]->caption;
        int cl = cap ? (int)strlen(cap) : 0;
        /* "┌ title ─ caption ─┐" */
        if (cap && (int)strlen(title) + cl + 8 <= rc->w)
            term_textf(rc->y, rc->x + rc->w - cl - 4, cl + 2, TR_DIM, " %s ",
                       cap);
        if (rc->h > 2 && rc->w > 2)
            pane_all[p]->draw(&t->v, rc->y + 1, rc->x + 1, rc->h - 2,
                              rc->w - 2);
    }
    if (t->detail)
        draw_detail(t, rows, cols);
    if (t->help)
        draw_help(t, rows, cols);
    if (t->picker)
        draw_picker(t, rows, cols);
    term_end_frame();
    t->dirty = 0;
    t->header_dirty = 0;
}

/* ---- the step ---- */

static void tui_tick_one(struct tui *t)
{
    run_tick(t->r);
    pane_view_tick(&t->v, t->hist_every);
    t->ticks_since_frame++;
}

static void tui_run_due_ticks(struct tui *t, uint64_t now, uint64_t dt)
{
    const struct model *m = t->v.m;
    uint64_t total = run_total_ticks(t->r);
    uint64_t end = now + TUI_WORK_NS;
    if (t->finished)
        return;
    if (t->step_req) {
        for (; t->step_req > 0; t->step_req--)
            if (m->tick < total)
                tui_tick_one(t);
    } else if (!t->paused) {
        if (t->speed == SPEED_MAX) {
            while (m->tick < total && clock_mono_ns() < end)
                tui_tick_one(t);
        } else {
            t->acc_ns += dt * (t->speed == SPEED_X10 ? 10u : 1u);
            uint64_t due = t->acc_ns / t->tick_ns;
            t->acc_ns -= due * t->tick_ns;
            for (uint64_t i = 0; i < due && m->tick < total; i++) {
                tui_tick_one(t);
                if (clock_mono_ns() > end) {
                    t->acc_ns = 0; /* cannot keep up: drop the rest */
                    break;
                }
            }
        }
    }
    if (m->tick >= total) {
        t->finished = 1;
        t->paused = 1;
        log_msg(LOG_INFO, "finished: %.1f s of %s; q quits", m->t,
                run_lab(t->r)->name);
        t->header_dirty = 1;
    }
}

static int tui_step(void *arg)
{
    struct tui *t = arg;
    uint64_t now = clock_mono_ns();
    uint64_t dt = now - t->last_ns;
    t->last_ns = now;
    if (dt > 100000000u)
        dt = 100000000u; /* after a stop (Ctrl-Z): no catching up */

    while (t->kh != t->kt) {
        apply_key(t, t->keys[t->kh++ % TUI_KEYQ]);
        t->input = 1;
    }
    /* Commands run here, between ticks, never in an input callback: they
     * may run Lua (the REPL, a policy load). */
    while (t->cqh != t->cqt && !t->quit) {
        char *line = t->cmdq[t->cqh++ % TUI_CMDQ];
        if (cmd_exec(&t->cmd, line) == CMD_QUIT)
            t->quit = 1;
        else if (t->cmd.last[0])
            say(t, t->cmd.last);
        t->cmd.last[0] = '\0';
        t->dirty |= (1u << PANE__N) - 1;
        t->header_dirty = 1;
        t->input = 1;
    }
    if (t->quit)
        return 1;
    if (t->resized) {
        t->resized = 0;
        term_resize();
        t->layout_dirty = 1;
    }
    if (run_policy_service(t->r))
        t->header_dirty = 1;
    tui_run_due_ticks(t, now, dt);

    /* what is dirty */
    if (t->ticks_since_frame) {
        t->dirty |= 1u << PANE_DEVICES | 1u << PANE_POWER | 1u << PANE_LOAD |
                    1u << PANE_MESH;
        /* The engines' Q-tables and partitions, through the interface
         * every engine offers (no engine's own header here). */
        pane_pull_engines(run_engines(t->r));
    }
    if (pane_log_gen() != t->seen_log) {
        t->seen_log = pane_log_gen();
        t->dirty |= 1u << PANE_LOG;
    }
    if (pane_tables_gen() != t->seen_tables) {
        t->seen_tables = pane_tables_gen();
        t->dirty |= 1u << PANE_QVALUES | 1u << PANE_PARTITION | 1u << PANE_GPU;
        t->layout_dirty |= pane_shape_gen() != t->seen_shape;
        t->seen_shape = pane_shape_gen();
    }
    if (t->msg_until && now > t->msg_until) {
        t->msg_until = 0;
        t->header_dirty = 1;
    }
    if (now - t->rate_t0 >= 1000000000u) {
        double r = (double)(t->v.m->tick - t->rate_tick0) * 1e9 /
                   (double)(now - t->rate_t0);
        if (r != t->rate)
            t->header_dirty = 1;
        t->rate = r;
        t->rate_t0 = now;
        t->rate_tick0 = t->v.m->tick;
    }

    int due = now - t->last_frame_ns >= TUI_FRAME_NS || t->input;
    if (t->layout_dirty) {
        layout(t);
        render(t, 1);
        t->layout_dirty = 0;
    } else if (due && (t->dirty || t->header_dirty)) {
        render(t, 0);
    } else {
        return 0;
    }
    t->last_frame_ns = now;
    t->ticks_since_frame = 0;
    t->input = 0;
    return 0;
}

int tui_run(struct run *r, char *err, size_t errlen)
{
    struct tui *t = &tui_state;
    memset(t, 0, sizeof *t);
    t->r = r;
    t->loop = run_event_loop(r);
    const struct lab *lab = run_lab(r);
    t->tick_ns = (uint64_t)llround(lab->tick_s * 1e9);
    if (t->tick_ns == 0)
        t->tick_ns = 1;
    /* One history slot per ~0.1 s of lab time. */
    double every = round(0.1 / lab->tick_s);
    t->hist_every = every < 1 ? 1 : every > 1e6 ? 1000000 : (uint32_t)every;
    t->virtual_clock = run_clock_is_virtual(r);
    t->focus = PANE_DEVICES;
    cmd_init(&t->cmd, r);
    /* The command history of earlier sessions (Up browses it). */
    char hpath[4096], herr[512];
    int have_hist = cmd_hist_path(hpath, sizeof hpath) == 0;
    if (have_hist && cmd_hist_load(&t->cmd.hist, hpath, herr, sizeof herr) != 0)
        log_msg(LOG_WARN, "command history: %s", herr);
    unsigned hist_n0 = t->cmd.hist.n;
    if (pane_view_init(&t->v, r, TUI_HIST) != 0) {
        snprintf(err, errlen, "out of memory");
        return RUN_ERR;
    }
    if (term_init(err, errlen) != 0) {
        pane_view_free(&t->v);
        return RUN_ERR;
    }
    log_set_sink(tui_log_sink, t);
    if (loop_add_fd(t->loop, STDIN_FILENO, on_stdin, t) < 0 ||
        loop_add_signal(t->loop, SIGWINCH, on_winch, t) < 0) {
        log_set_sink(NULL, NULL);
        term_restore();
        pane_view_free(&t->v);
        snprintf(err, errlen, "cannot watch the terminal (event loop)");
        return RUN_ERR;
    }
    uint64_t start = clock_mono_ns();
    t->last_ns = t->rate_t0 = start;
    t->layout_dirty = 1;
    int rc = loop_run(t->loop, 1, TUI_STEP_NS, tui_step, t);
    log_set_sink(NULL, NULL);
    term_restore();
    pane_view_free(&t->v);
    if (have_hist && t->cmd.hist.n != hist_n0 &&
        cmd_hist_save(&t->cmd.hist, hpath, herr, sizeof herr) != 0)
        log_msg(LOG_WARN, "command history: %s", herr);
    cmd_free(&t->cmd);
    int sig = loop_signal(t->loop);
    run_set_outcome(r, (double)(clock_mono_ns() - start) / 1e9, sig != 0);
    if (rc != 0) {
        snprintf(err, errlen, "event loop failed");
        return RUN_ERR;
    }
    if (sig) {
        log_msg(LOG_WARN,
                "stopped by signal %d at t=%.3f s; restoring "
                "controls",
                sig, run_model(r)->t);
        return RUN_INTERRUPTED;
    }
    return RUN_OK;
}
