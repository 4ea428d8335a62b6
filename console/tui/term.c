/*
 * term - see term.h.
 *
 * The screen is drawn into curses' virtual screen and flushed once per
 * frame (wnoutrefresh + doupdate), so a frame costs one write to the
 * terminal and curses sends only what changed.  newterm() is used rather
 * than initscr() because initscr() exits the process when the terminal is
 * unusable, and we must restore the controls on every exit path.
 *
 * Only LC_CTYPE is taken from the environment: LC_NUMERIC would turn the
 * trace's decimal points into commas in some locales.
 */
#include "tui/term.h"

#include <langinfo.h>
#include <locale.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <curses.h>

static SCREEN *term_screen;
static volatile int term_on;
static int term_is_utf8;
static int term_has_color;
static attr_t term_attr[TR__N];

/* Sparkline levels and bar cells, UTF-8 and ASCII. */
static const char *const spark_utf8[8] = {"▁", "▂", "▃", "▄",
                                          "▅", "▆", "▇", "█"};
static const char *const spark_ascii[8] = {"_", ".", ",", "-",
                                           "=", "+", "*", "#"};

struct role_style {
    short fg, bg;
    attr_t color_attr; /* added to the colour pair */
    attr_t mono;       /* without colours */
};

static const struct role_style role_styles[TR__N] = {
    [TR_NORMAL] = {-1, -1, A_NORMAL, A_NORMAL},
    [TR_TITLE] = {COLOR_CYAN, -1, A_BOLD, A_BOLD},
    [TR_LABEL] = {COLOR_CYAN, -1, A_NORMAL, A_NORMAL},
    [TR_VALUE] = {-1, -1, A_BOLD, A_BOLD},
    [TR_OK] = {COLOR_GREEN, -1, A_NORMAL, A_NORMAL},
    [TR_WARN] = {COLOR_YELLOW, -1, A_BOLD, A_BOLD},
    [TR_ERROR] = {COLOR_RED, -1, A_BOLD, A_BOLD | A_REVERSE},
    [TR_BAR_USED] = {COLOR_GREEN, -1, A_NORMAL, A_BOLD},
    [TR_BAR_PRED] = {COLOR_YELLOW, -1, A_NORMAL, A_NORMAL},
    [TR_DIM] = {COLOR_BLUE, -1, A_BOLD, A_DIM},
    [TR_FOCUS] = {COLOR_BLACK, COLOR_CYAN, A_BOLD, A_REVERSE | A_BOLD},
    [TR_SELECT] = {-1, -1, A_REVERSE, A_REVERSE},
    [TR_HEAT_LO] = {COLOR_BLUE, -1, A_BOLD, A_DIM},
    [TR_HEAT_MID] = {COLOR_YELLOW, -1, A_NORMAL, A_NORMAL},
    [TR_HEAT_HI] = {COLOR_RED, -1, A_BOLD, A_BOLD},
    [TR_BORDER] = {-1, -1, A_NORMAL, A_NORMAL},
};

static void setup_roles(void)
{
    const char *nc = getenv("NO_COLOR");
    term_has_color = has_colors() && !(nc && *nc);
    if (term_has_color) {
        start_color();
        use_default_colors();
        if (COLOR_PAIRS < TR__N + 1)
            term_has_color = 0;
    }
    for (int i = 0; i < TR__N; i++) {
        const struct role_style *s = &role_styles[i];
        if (!term_has_color) {
            term_attr[i] = s->mono;
            continue;
        }
        init_pair((short)(i + 1), s->fg, s->bg);
        term_attr[i] = COLOR_PAIR(i + 1) | s->color_attr;
    }
}

/* The cursor for this frame (term_cursor) and whether it shows now. */
static int term_cur_y = -1, term_cur_x, term_cur_shown;

int term_init(char *err, size_t errlen)
{
    if (term_on)
        return 0;
    if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
        snprintf(err, errlen,
                 "the console needs a terminal on stdin and "
                 "stdout (--headless, or `wattson run`)");
        return -1;
    }
    setlocale(LC_CTYPE, "");
    const char *cs = nl_langinfo(CODESET);
    term_is_utf8 = cs && (strcmp(cs, "UTF-8") == 0 || strcmp(cs, "utf8") == 0);
    set_escdelay(25);
    term_screen = newterm(NULL, stdout, stdin);
    if (!term_screen) {
        const char *t = getenv("TERM");
        snprintf(err, errlen, "cannot open terminal '%s'", t ? t : "(unset)");
        return -1;
    }
    term_on = 1;
    cbreak();
    noecho();
    nonl();
    keypad(stdscr, TRUE);
    nodelay(stdscr, TRUE);
    curs_set(0);
    term_cur_shown = 0;
    setup_roles();
    return 0;
}

void term_restore(void)
{
    if (!term_on)
        return;
    term_on = 0;
    curs_set(1);
    endwin();
}

int term_active(void)
{
    return term_on;
}

int term_utf8(void)
{
    return term_is_utf8;
}

int term_color(void)
{
    return term_has_color;
}

void term_size(int *rows, int *cols)
{
    *rows = term_on ? LINES : 0;
    *cols = term_on ? COLS : 0;
}

void term_resize(void)
{
    struct winsize ws;
    if (!term_on)
        return;
    if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0 &&
        ws.ws_col > 0)
        resizeterm(ws.ws_row, ws.ws_col);
}

int term_key(void)
{
    if (!term_on)
        return TERM_KEY_NONE;
    int c = wgetch(stdscr);
    switch (c) {
    case ERR:
        return TERM_KEY_NONE;
    case KEY_UP:
        return TERM_KEY_UP;
    case KEY_DOWN:
        return TERM_KEY_DOWN;
    case KEY_LEFT:
        return TERM_KEY_LEFT;
    case KEY_RIGHT:
        return TERM_KEY_RIGHT;
    case KEY_BTAB:
        return TERM_KEY_BTAB;
    case KEY_RESIZE:
        return TERM_KEY_RESIZE;
    case KEY_ENTER:
    case '\r':
        return TERM_KEY_ENTER;
    case KEY_BACKSPACE:
    case 127:
    case 8:
        return TERM_KEY_BACKSPACE;
    case KEY_DC:
        return TERM_KEY_DELETE;
    case KEY_HOME:
        return TERM_KEY_HOME;
    case KEY_END:
        return TERM_KEY_END;
    case KEY_PPAGE:
        return TERM_KEY_PGUP;
    case KEY_NPAGE:
        return TERM_KEY_PGDN;
    case KEY_F(1):
        return TERM_KEY_F1;
    case KEY_F(10):
        return TERM_KEY_F10;
    default:
        return c >= 0 && c < 0x100 ? c : TERM_KEY_OTHER;
    }
}

void term_begin_frame(int full)
{
    if (full)
        werase(stdscr);
}

void term_cursor(int y, int x)
{
    term_cur_y = y;
    term_cur_x = x;
}

void term_end_frame(void)
{
    int want = term_cur_y >= 0;
    if (want)
        wmove(stdscr, term_cur_y, term_cur_x);
    if (want != term_cur_shown) {
        curs_set(want ? 1 : 0);
        term_cur_shown = want;
    }
    wnoutrefresh(stdscr);
    doupdate();
    term_cur_y = -1;
}

void term_clear(int y, int x, int h, int w)
{
    if (w <= 0)
        return;
    for (int i = 0; i < h; i++) {
        wattrset(stdscr, A_NORMAL);
        mvwhline(stdscr, y + i, x, ' ', w);
    }
}

int term_text(int y, int x, int maxw, enum term_role role, const char *s)
{
    if (maxw <= 0 || x < 0 || y < 0 || y >= LINES || x >= COLS)
        return 0;
    if (x + maxw > COLS)
        maxw = COLS - x;
    /* Count columns as code points (our glyphs are all one column) and
     * stop at a code point boundary. */
    int cols = 0;
    size_t n = 0;
    while (s[n]) {
        if (((unsigned char)s[n] & 0xC0) != 0x80) {
            if (cols == maxw)
                break;
            cols++;
        }
        n++;
    }
    wattrset(stdscr, term_attr[(unsigned)role < TR__N ? role : 0]);
    mvwaddnstr(stdscr, y, x, s, (int)n);
    wattrset(stdscr, A_NORMAL);
    return cols;
}

int term_textf(int y, int x, int maxw, enum term_role role, const char *fmt,
               ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    return term_text(y, x, maxw, role, buf);
}

/* Bars and sparklines are built into a buffer first, then printed (as
 * htop's meters do): one addstr per run of one role. */
static char term_buf[4 * 1024 + 4];

static int fill_run(int cells, const char *glyph)
{
    size_t gl = strlen(glyph), n = 0;
    for (int i = 0; i < cells && n + gl < sizeof term_buf; i++) {
        memcpy(term_buf + n, glyph, gl);
        n += gl;
    }
    term_buf[n] = '\0';
    return cells;
}

void term_bar(int y, int x, int w, double used, double pred, double scale)
{
    if (w <= 0)
        return;
    if (!(scale > 0))
        scale = 1;
    if (!(used >= 0))
        used = 0;
    if (!(pred >= 0))
        pred = 0;
    int nu = (int)(used / scale * w + 0.5);
    int np = (int)((used + pred) / scale * w + 0.5) - nu;
    if (nu > w)
        nu = w;
    if (np > w - nu)
        np = w - nu;
    if (np < 0)
        np = 0;
    int u8 = term_is_utf8;
    fill_run(nu, u8 ? "█" : "#");
    term_text(y, x, nu, TR_BAR_USED, term_buf);
    fill_run(np, u8 ? "▒" : "+");
    term_text(y, x + nu, np, TR_BAR_PRED, term_buf);
    fill_run(w - nu - np, u8 ? "·" : ".");
    term_text(y, x + nu + np, w - nu - np, TR_DIM, term_buf);
}

/* The glyph of one sparkline value scaled to [lo, lo + span]. */
static const char *spark_glyph(double f, double lo, double span)
{
    const char *const *lv = term_is_utf8 ? spark_utf8 : spark_ascii;
    if (f != f)
        return " ";
    int k = (int)((f - lo) / span * 8);
    k = k < 0 ? 0 : k > 7 ? 7 : k;
    return lv[k];
}

void term_spark(int y, int x, int w, const float *v, size_t n, double lo,
                double hi, enum term_role role)
{
    term_spark_vs(y, x, w, v, NULL, n, lo, hi, 0, role, role);
}

void term_spark_vs(int y, int x, int w, const float *v, const float *ref,
                   size_t n, double lo, double hi, double tol,
                   enum term_role role, enum term_role miss)
{
    if (w <= 0)
        return;
    if (w > 1024)
        w = 1024;
    size_t pos = 0;
    size_t start = n > (size_t)w ? n - (size_t)w : 0;
    int pad = n < (size_t)w ? w - (int)n : 0;
    double span = hi > lo ? hi - lo : 1;
    for (int i = 0; i < pad; i++)
        term_buf[pos++] = ' ';
    /* Runs of one role go out in one call: `run_x` is where the run in
     * term_buf starts on screen, `cells` its width so far. */
    int run_x = x, cells = pad;
    enum term_role cur = role;
    for (size_t i = start; i < n; i++) {
        double f = v[i];
        enum term_role r = role;
        if (ref && f == f && ref[i] == ref[i]) {
            double a = f < lo ? lo : f > hi ? hi : f;
            double b = ref[i] < lo ? lo : ref[i] > hi ? hi : ref[i];
            if (fabs(a - b) > tol)
                r = miss;
        }
        if (r != cur && cells > 0) {
            term_buf[pos] = '\0';
            term_text(y, run_x, cells, cur, term_buf);
            run_x += cells;
            cells = 0;
            pos = 0;
        }
        cur = r;
        const char *g = spark_glyph(f, lo, span);
        size_t gl = strlen(g);
        memcpy(term_buf + pos, g, gl);
        pos += gl;
        cells++;
    }
    term_buf[pos] = '\0';
    term_text(y, run_x, cells, cur, term_buf);
}

void term_box(int y, int x, int h, int w, enum term_role border,
              enum term_role title_role, const char *title)
{
    if (h < 2 || w < 2)
        return;
    wattrset(stdscr, term_attr[border]);
    if (term_is_utf8) {
        mvwhline(stdscr, y, x + 1, ACS_HLINE, w - 2);
        mvwhline(stdscr, y + h - 1, x + 1, ACS_HLINE, w - 2);
        mvwvline(stdscr, y + 1, x, ACS_VLINE, h - 2);
        mvwvline(stdscr, y + 1, x + w - 1, ACS_VLINE, h - 2);
        mvwaddch(stdscr, y, x, ACS_ULCORNER);
        mvwaddch(stdscr, y, x + w - 1, ACS_URCORNER);
        mvwaddch(stdscr, y + h - 1, x, ACS_LLCORNER);
        mvwaddch(stdscr, y + h - 1, x + w - 1, ACS_LRCORNER);
    } else {
        /* Plain ASCII, so a non-UTF-8 capture reads the same. */
        mvwhline(stdscr, y, x + 1, '-', w - 2);
        mvwhline(stdscr, y + h - 1, x + 1, '-', w - 2);
        mvwvline(stdscr, y + 1, x, '|', h - 2);
        mvwvline(stdscr, y + 1, x + w - 1, '|', h - 2);
        mvwaddch(stdscr, y, x, '+');
        mvwaddch(stdscr, y, x + w - 1, '+');
        mvwaddch(stdscr, y + h - 1, x, '+');
        mvwaddch(stdscr, y + h - 1, x + w - 1, '+');
    }
    wattrset(stdscr, A_NORMAL);
    if (title && w > 4) {
        term_text(y, x + 1, 1, TR_NORMAL, " ");
        int n = term_text(y, x + 2, w - 4, title_role, title);
        term_text(y, x + 2 + n, 1, TR_NORMAL, " ");
    }
}

void term_fill(int y, int x, int w, enum term_role role)
{
    if (w <= 0 || y < 0 || y >= LINES)
        return;
    wattrset(stdscr, term_attr[role]);
    mvwhline(stdscr, y, x, ' ', w);
    wattrset(stdscr, A_NORMAL);
}
