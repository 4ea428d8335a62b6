#!/usr/bin/env python3
"""Turns a terminal screen captured with `tmux capture-pane -e -p` (text
with SGR escape sequences) into an SVG image: one <text> run per stretch
of equal attributes, a <rect> under each stretch with a background.

Only the SGR codes tmux emits for a curses screen are handled: reset,
bold, dim, reverse, the 8/16 standard colours and 256-colour indexes
(38;5;N / 48;5;N), default foreground/background.  Everything else is
ignored.  Standard library only.

usage: screenshot.py COLS ROWS < capture.txt > screen.svg
"""
import re
import sys
from xml.sax.saxutils import escape

# xterm's default palette on a dark background, its blue lightened to be
# readable there.
BASE = ["#000000", "#cd0000", "#00cd00", "#cdcd00", "#6f8fff", "#cd00cd",
        "#00cdcd", "#e5e5e5", "#7f7f7f", "#ff0000", "#00ff00", "#ffff00",
        "#5c5cff", "#ff00ff", "#00ffff", "#ffffff"]
FG, BG = "#d0d0d0", "#1c1c1c"
CW, LH, FS = 8.4, 17, 14  # cell width, line height, font size (px)


def colour256(n):
    if n < 16:
        return BASE[n]
    if n < 232:
        n -= 16
        steps = [0, 95, 135, 175, 215, 255]
        return "#%02x%02x%02x" % (steps[n // 36], steps[n // 6 % 6],
                                  steps[n % 6])
    v = 8 + (n - 232) * 10
    return "#%02x%02x%02x" % (v, v, v)


def sgr(state, params):
    codes = [int(p) if p else 0 for p in params.split(";")] or [0]
    i = 0
    while i < len(codes):
        c = codes[i]
        if c == 0:
            state.update(fg=None, bg=None, bold=False, dim=False, rev=False)
        elif c == 1:
            state["bold"] = True
        elif c == 2:
            state["dim"] = True
        elif c == 22:
            state["bold"] = state["dim"] = False
        elif c == 7:
            state["rev"] = True
        elif c == 27:
            state["rev"] = False
        elif 30 <= c <= 37:
            state["fg"] = BASE[c - 30]
        elif 90 <= c <= 97:
            state["fg"] = BASE[c - 90 + 8]
        elif 40 <= c <= 47:
            state["bg"] = BASE[c - 40]
        elif 100 <= c <= 107:
            state["bg"] = BASE[c - 100 + 8]
        elif c in (38, 48) and i + 2 < len(codes) and codes[i + 1] == 5:
            state["fg" if c == 38 else "bg"] = colour256(codes[i + 2])
            i += 2
        elif c == 39:
            state["fg"] = None
        elif c == 49:
            state["bg"] = None
        i += 1


def cells(line):
    """(char, attrs) for each column of one captured line."""
    state = dict(fg=None, bg=None, bold=False, dim=False, rev=False)
    out = []
    for m in re.finditer(r"\x1b\[([0-9;]*)m|\x1b[^m]*?[A-Za-z]|(.)", line):
        if m.group(2) is not None:
            out.append((m.group(2), dict(state)))
        elif m.group(0).endswith("m") and m.group(1) is not None:
            sgr(state, m.group(1))
    return out


def main():
    cols, rows = int(sys.argv[1]), int(sys.argv[2])
    lines = sys.stdin.read().split("\n")[:rows]
    w, h = cols * CW + 16, rows * LH + 16
    svg = ['<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" '
           'font-family="DejaVu Sans Mono, Menlo, Consolas, monospace" '
           'font-size="%d">' % (w, h, FS),
           '<rect width="100%%" height="100%%" fill="%s"/>' % BG]
    for y, line in enumerate(lines):
        row = cells(line)
        x = 0
        while x < len(row):
            a = row[x][1]
            end = x
            while end < len(row) and row[end][1] == a:
                end += 1
            text = "".join(ch for ch, _ in row[x:end])
            fg, bg = a["fg"] or FG, a["bg"]
            if a["rev"]:
                fg, bg = bg or BG, fg
            px, py = 8 + x * CW, 8 + y * LH
            if bg:
                svg.append('<rect x="%.1f" y="%d" width="%.1f" height="%d" '
                           'fill="%s"/>' % (px, py, (end - x) * CW, LH, bg))
            if text.strip():
                style = ' font-weight="bold"' if a["bold"] else ""
                style += ' opacity="0.6"' if a["dim"] else ""
                svg.append('<text x="%.1f" y="%d" fill="%s" '
                           'xml:space="preserve" textLength="%.1f"%s>%s'
                           '</text>' % (px, py + LH - 4, fg, (end - x) * CW,
                                        style, escape(text)))
            x = end
    svg.append("</svg>")
    print("\n".join(svg))


if __name__ == "__main__":
    main()
