"""pngcheck PNG COLOUR... - asserts that a screenshot of a wattson report
shows its charts drawn: each chart is found by its plot frame (a row of
at least 700 pixels of the frame's #999999, top and bottom 201 rows apart,
cmd/rplot.c), and inside each frame at least MIN_SERIES pixels must be
near one of the series colours given (the palette's first ones); and the
page must not be mostly background.  Prints what it found; exit 1 when a
check fails.  Decodes the PNG with the standard library (zlib), 8-bit
RGB or RGBA, non-interlaced: what Chromium writes."""
import struct
import sys
import zlib

MIN_SERIES = 100
FRAME = (0x99, 0x99, 0x99)
PLOT_H = 201  # rplot.c: PH + 1


def decode(path):
    data = open(path, "rb").read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat = 8, b""
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            w, h, depth, ctype, _, _, interlace = struct.unpack(">IIBBBBB", body)
            assert depth == 8 and ctype in (2, 6) and not interlace, \
                "unsupported PNG: depth %d type %d" % (depth, ctype)
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    bpp = 3 if ctype == 2 else 4
    raw, stride = zlib.decompress(idat), w * bpp
    rows, prev = [], bytearray(stride)
    for y in range(h):
        f, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b = prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            if f == 1:
                line[i] = (line[i] + a) & 255
            elif f == 2:
                line[i] = (line[i] + b) & 255
            elif f == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append([tuple(line[x * bpp:x * bpp + 3]) for x in range(w)])
        prev = line
    return w, h, rows


def near(p, q, tol):
    return all(abs(a - b) <= tol for a, b in zip(p, q))


def main():
    path, colours = sys.argv[1], [bytes.fromhex(c.lstrip("#")) for c in sys.argv[2:]]
    w, h, rows = decode(path)
    bg = sum(1 for r in rows for p in r if p != (255, 255, 255))
    print("pngcheck: %dx%d, %.1f %% not background" % (w, h, 100.0 * bg / (w * h)))
    ok = bg > 0.05 * w * h
    edges = []
    for y, r in enumerate(rows):
        xs = [x for x, p in enumerate(r) if near(p, FRAME, 6)]
        if len(xs) >= 700:
            edges.append((y, xs[0], xs[-1]))
    charts = [(t, b) for t in edges for b in edges if b[0] - t[0] == PLOT_H]
    print("pngcheck: %d charts found" % len(charts))
    ok = ok and len(charts) >= 3
    for top, bottom in charts:
        x0, x1 = top[1] + 1, top[2]
        n = sum(1 for y in range(top[0] + 1, bottom[0]) for p in rows[y][x0:x1]
                if any(near(p, c, 24) for c in colours))
        print("pngcheck: chart at y=%d: %d series pixels" % (top[0], n))
        ok = ok and n >= MIN_SERIES
    sys.exit(0 if ok else 1)


main()
