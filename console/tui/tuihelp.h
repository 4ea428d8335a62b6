/*
 * tuihelp - the rows of the console's help overlay (`?`): its keys, the
 * legend of its glyphs (UTF-8 or ASCII, as the terminal draws them) and
 * the `:` commands (cmdline.h's cmd_help_lines), kept apart from the
 * application (tui.c) that scrolls and draws them.  README's key table
 * says the same; keep them together.
 */
#ifndef WATTSON_TUIHELP_H
#define WATTSON_TUIHELP_H

/* Row i's text (NULL past the last), and in *title whether it is a
 * section title ("Legend", "Commands (after :)"). */
const char *tuihelp_row(int i, int *title);

#endif
