#!/usr/bin/env python3
"""How far below last value can a blend of simple forecasters get?

For each trace (t_s,util CSV) and horizon h, fits with hindsight the
linear blend of simple forecasters (last value, medians of 3, 5 and 20,
EWMA with alpha 0.3, 0.5 and 0.7, Holt, and a constant) that minimises the mean
absolute h-step error over the very points it is scored on (iteratively
reweighted least squares), and prints that MAE as a ratio to last value's,
scored from sample 10 as `wattson bench forecast` does.

The blend sees the answers, so no online forecaster built from these
members does better; a ratio above 0.90 says the issue's aim (ensemble
MAE at h = 5 at least 10 % below last value) is out of reach of such an
ensemble on that trace.

It also prints a second hindsight figure that does not depend on the
members: split the scored points into level changes (the sample h ahead
differs from the current one by more than --jump, 0.1 by default) and
the rest.  Where the load stays in its level, credit a forecaster with
the level itself, known in hindsight (the median of the samples from now
to the target that stay in it), so only the sample's own noise is left;
where the level changes, charge last value's error, i.e. assume the
change was not foreseen.  The ratio to last value says how far below
last value a forecaster gets by smoothing alone: above 0.90, meeting the
aim takes foreseeing level changes from the trace's past.  Standard
library only.

usage: scripts/forecast-bound.py [-H H] [--jump J] TRACE.csv...
"""
import argparse
import csv
import statistics

WARMUP = 10  # as FC_WARMUP in console/cmd/bench.c


def load(path):
    with open(path, newline="") as f:
        return [float(r["util"]) for r in csv.DictReader(f)]


def median_k(v, k):
    return [statistics.median(v[max(0, i - k + 1):i + 1]) for i in range(len(v))]


def ewma(v, a):
    out, s = [], v[0]
    for x in v:
        s = a * x + (1 - a) * s
        out.append(s)
    return out


def holt(v, h, a=0.5, b=0.1):
    """Holt's level + trend, h steps ahead (fcast's defaults)."""
    out, level, trend = [], v[0], 0.0
    for i, x in enumerate(v):
        if i:
            prev = level
            level = a * x + (1 - a) * (level + trend)
            trend = b * (level - prev) + (1 - b) * trend
        out.append(level + h * trend)
    return out


def solve(a, b):
    """Gaussian elimination with partial pivoting (a is square)."""
    n = len(a)
    m = [row[:] + [b[i]] for i, row in enumerate(a)]
    for c in range(n):
        p = max(range(c, n), key=lambda r: abs(m[r][c]))
        m[c], m[p] = m[p], m[c]
        if abs(m[c][c]) < 1e-15:
            m[c][c] = 1e-15
        for r in range(n):
            if r != c:
                f = m[r][c] / m[c][c]
                for k in range(c, n + 1):
                    m[r][k] -= f * m[c][k]
    return [m[i][n] / m[i][i] for i in range(n)]


def l1_blend_ratio(v, h):
    members = [v, median_k(v, 3), median_k(v, 5), median_k(v, 20),
               ewma(v, 0.3), ewma(v, 0.5), ewma(v, 0.7), holt(v, h),
               [1.0] * len(v)]
    idx = range(WARMUP - 1, len(v) - h)
    x = [[m[i] for m in members] for i in idx]
    y = [v[i + h] for i in idx]
    last = sum(abs(v[i] - v[i + h]) for i in idx) / len(y)
    d = len(members)
    w = [1.0] * len(y)
    for _ in range(60):
        a = [[0.0] * d for _ in range(d)]
        b = [0.0] * d
        for xi, yi, wi in zip(x, y, w):
            for r in range(d):
                b[r] += wi * xi[r] * yi
                for c in range(d):
                    a[r][c] += wi * xi[r] * xi[c]
        for r in range(d):
            a[r][r] += 1e-9
        beta = solve(a, b)
        res = [yi - sum(bb * xx for bb, xx in zip(beta, xi))
               for xi, yi in zip(x, y)]
        w = [1 / max(abs(r), 1e-6) for r in res]
    return sum(abs(r) for r in res) / len(res) / last


def level_bound(v, h, jump):
    """(ratio, share of last value's error in level changes)."""
    idx = range(WARMUP - 1, len(v) - h)
    last = sum(abs(v[i] - v[i + h]) for i in idx)
    if last == 0:
        return 1.0, 0.0
    err = in_jumps = 0.0
    for i in idx:
        d = abs(v[i + h] - v[i])
        if d > jump:
            err += d
            in_jumps += d
        else:
            level = [x for x in v[i:i + h + 1] if abs(x - v[i]) <= jump]
            err += abs(v[i + h] - statistics.median(level))
    return err / last, in_jumps / last


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("-H", type=int, default=5, help="horizon (default 5)")
    ap.add_argument("--jump", type=float, default=0.1,
                    help="a level change, in util (default 0.1)")
    ap.add_argument("traces", nargs="+")
    args = ap.parse_args()
    for t in args.traces:
        v = load(t)
        if len(v) < WARMUP + args.H:
            ap.error(f"{t}: {len(v)} samples, need at least "
                     f"{WARMUP + args.H}")
        ratio, share = level_bound(v, args.H, args.jump)
        print(f"{t}: h = {args.H}: best blend in hindsight / last value = "
              f"{l1_blend_ratio(v, args.H):.3f}; level known, changes "
              f"> {args.jump:g} not foreseen / last value = {ratio:.3f} "
              f"({100 * share:.0f} % of last value's error is in those "
              "changes)")


if __name__ == "__main__":
    main()
