/*
 * tuihelp - see tuihelp.h.
 */
#include "tui/tuihelp.h"

#include <stddef.h>

#include "tui/cmdline.h"
#include "tui/term.h"

static const char *const help_keys[] = {
    "Tab / S-Tab   next / previous pane (also Right / Left)",
    "1 .. 8        focus Devices Power Load Q-values Partition Log Mesh GPU",
    "z             zoom the focused pane (again: back)",
    "Up / Down     select a device (an agent in Q-values, a node in Mesh, a",
    "              line in Log); j k",
    "f / m         Mesh: fail or restore the node; detach or attach its module",
    "PgUp / PgDn   a page of them; Home / End: first / last (End: follow log)",
    "Enter         the selected device's detail (in Log: the whole line)",
    "space         pause / resume",
    "s             one tick (when paused)",
    "+ / -         speed x1, x10, max (virtual clock only)",
    "b / B         budget down / up by 10 W",
    "r             reload the policy file",
    "p             pick a policy: lua-policies/ or a built-in (Enter, Esc)",
    ":             command line (Enter runs, Esc cancels, Up/Down history)",
    "?  h  F1      this help (Up/Down scroll, any other key closes it)",
    "q  F10        quit (every control is restored)",
    NULL,
};

/* The legend, with the glyphs this terminal shows. */
static const char *const help_legend_utf8[] = {
    "█ ▒ ·         bars: power used, predicted beyond it, headroom left",
    "▁▂▃▄▅▆▇█      sparklines, low to high; oldest left",
    "fcst          forecast demand over capacity now: 180% = 1.8x the work",
    "              the device serves at its present setting",
    "Load fcst│    past cells: the forecast made for that moment (red: off",
    "              by > 10 points from the util then); right of │: the next",
    "              h ticks' forecast",
    "*             after freq / cap: held by `set` (status: set CTL)",
    "red power     a device drawing more than its cap",
    "colours       green ok, yellow warning or prediction, red error or over",
    "              (budget, cap); reverse: selected; cyan: labels",
    NULL,
};
static const char *const help_legend_ascii[] = {
    "# + .         bars: power used, predicted beyond it, headroom left",
    "_.,-=+*#      sparklines, low to high; oldest left",
    "fcst          forecast demand over capacity now: 180% = 1.8x the work",
    "              the device serves at its present setting",
    "Load fcst|    past cells: the forecast made for that moment (red: off",
    "              by > 10 points from the util then); right of |: the next",
    "              h ticks' forecast",
    "*             after freq / cap: held by `set` (status: set CTL)",
    "red power     a device drawing more than its cap",
    "colours       green ok, yellow warning or prediction, red error or over",
    "              (budget, cap); reverse: selected; cyan: labels",
    NULL,
};

/* The help's rows: keys, legend, commands, with a title row before the
 * last two.  Row i's text and whether it is a title. */
const char *tuihelp_row(int i, int *title)
{
    const char *const *parts[3] = {
        help_keys, term_utf8() ? help_legend_utf8 : help_legend_ascii,
        cmd_help_lines};
    static const char *const titles[3] = {NULL, "Legend", "Commands (after :)"};
    *title = 0;
    for (int p = 0; p < 3; p++) {
        if (titles[p]) {
            if (i == 0) {
                *title = 1;
                return titles[p];
            }
            i--;
        }
        int n = 0;
        while (parts[p][n])
            n++;
        if (i < n)
            return parts[p][i];
        i -= n;
    }
    return NULL;
}
