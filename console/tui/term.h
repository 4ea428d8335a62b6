/*
 * term - the terminal, walled off: the only file that includes curses.h
 * (like tmux's tty.c).  Everything else draws through these primitives
 * with a semantic role, never a raw colour pair (htop's CRT_colors).
 *
 * UTF-8 is used for bars, sparklines and boxes when the locale's codeset
 * is UTF-8; otherwise plain ASCII.  Without colours (or with NO_COLOR set)
 * roles map to bold / reverse / dim, and bars keep distinct characters
 * for used and predicted so they still read in monochrome.
 *
 * term_restore() is idempotent and is what the fatal-signal handler
 * calls first; it never allocates.
 */
#ifndef WATTSON_TERM_H
#define WATTSON_TERM_H

#include <stddef.h>

enum term_role {
    TR_NORMAL,
    TR_TITLE,
    TR_LABEL,
    TR_VALUE,
    TR_OK,
    TR_WARN,
    TR_ERROR,
    TR_BAR_USED,
    TR_BAR_PRED,
    TR_DIM,
    TR_FOCUS,  /* the focused pane's title, the current tab */
    TR_SELECT, /* the selected row */
    TR_HEAT_LO,
    TR_HEAT_MID,
    TR_HEAT_HI,
    TR_BORDER,
    TR__N
};

/* Keys, as term_key() returns them: printable ASCII and control codes as
 * themselves, these for the rest. */
enum {
    TERM_KEY_NONE = -1,
    TERM_KEY_TAB = '\t',
    TERM_KEY_ENTER = '\n', /* also Return and the keypad's Enter */
    TERM_KEY_ESC = 27,
    TERM_KEY_UP = 0x100,
    TERM_KEY_DOWN,
    TERM_KEY_LEFT,
    TERM_KEY_RIGHT,
    TERM_KEY_BTAB,
    TERM_KEY_RESIZE,
    TERM_KEY_BACKSPACE, /* also DEL (127) and ^H */
    TERM_KEY_DELETE,
    TERM_KEY_HOME,
    TERM_KEY_END,
    TERM_KEY_PGUP,
    TERM_KEY_PGDN,
    TERM_KEY_F1,  /* help, as in htop */
    TERM_KEY_F10, /* quit, as in htop */
    TERM_KEY_OTHER
};

/* Takes over the terminal (stdin/stdout must be terminals).  Returns 0,
 * or -1 with a message. */
int term_init(char *err, size_t errlen);
/* Gives the terminal back; safe to call more than once, before init and
 * from a signal handler (best effort, as htop does). */
void term_restore(void);
int term_active(void);
int term_utf8(void);
int term_color(void);
void term_size(int *rows, int *cols);
/* After SIGWINCH: asks the kernel for the size and resizes the screen. */
void term_resize(void);
/* One key without waiting, or TERM_KEY_NONE. */
int term_key(void);

/* A frame: full = 1 erases the whole screen first (layout changed);
 * otherwise callers clear what they redraw (term_clear). */
void term_begin_frame(int full);
void term_end_frame(void); /* one doupdate() */
/* Where the cursor shows at the end of this frame (the command line's
 * insertion point); y < 0 hides it.  Hidden unless set in each frame. */
void term_cursor(int y, int x);
void term_clear(int y, int x, int h, int w);

/* Text clipped to maxw columns (ASCII or UTF-8, one column per code
 * point).  Returns the columns written. */
int term_text(int y, int x, int maxw, enum term_role role, const char *s);
int term_textf(int y, int x, int maxw, enum term_role role, const char *fmt,
               ...) __attribute__((format(printf, 5, 6)));
/* A bar of w cells: `used` then `pred` (both >= 0) out of `scale`; the
 * rest dim dots. */
void term_bar(int y, int x, int w, double used, double pred, double scale);
/* A sparkline of the n values (oldest first, right-aligned, NaN blank)
 * scaled to [lo, hi], in w cells. */
void term_spark(int y, int x, int w, const float *v, size_t n, double lo,
                double hi, enum term_role role);
/* The same, cell by cell against `ref` (same length and alignment):
 * a cell whose value is more than `tol` from its reference (both
 * clamped to [lo, hi]) is drawn in `miss`, the others in `role`; cells
 * without a reference in `role`.  For forecasts drawn against what then
 * happened. */
void term_spark_vs(int y, int x, int w, const float *v, const float *ref,
                   size_t n, double lo, double hi, double tol,
                   enum term_role role, enum term_role miss);
/* A box with `title` in its top border. */
void term_box(int y, int x, int h, int w, enum term_role border,
              enum term_role title_role, const char *title);
/* Fills a row with spaces in a role (the header's background). */
void term_fill(int y, int x, int w, enum term_role role);

#endif
