#!/usr/bin/env python3
"""Draws the growth picture of docs/benchmarks/scale.md as one SVG.

  bench/scale/plot_growth.py [--out docs/img/scale-growth.svg]

Reads the first table after the heading "Growth" in docs/benchmarks/scale.md
(the table bench_scale prints at the end of a run: one row per store size)
and draws every figure against the number of keys, 10 k to 10 M, log
scale: the ratios against their same-run baselines on the left (goal
marked as a dashed line of the same colour), the absolute figures (open
time, memory) on the right, log scale. Plain Python, no plotting library:
the output only changes when the table does.
"""
import argparse
import math
import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]

# Column header (as bench_scale prints it) -> (label, goal or None, colour).
RATIOS = {
    "bulk load / raw": ("bulk load / raw WriteBatch", 0.8, "#1f77b4"),
    "Get warm / raw": ("Get warm / raw Get", 0.9, "#2ca02c"),
    "Get cold / raw": ("Get cold / raw Get", 0.9, "#98df8a"),
    "CAS / CAS at 10 k": ("CAS / CAS at 10 k keys", 0.7, "#d62728"),
    "scan / raw": ("scan with values / raw iterator", 0.8, "#9467bd"),
}
ABSOLUTE = {
    "open (ms)": ("open time (ms)", 100, "#ff7f0e"),
    "RSS above block cache (MiB)":
        ("RSS above the block cache (MiB)", 32, "#8c564b"),
    "HTTP listing peak RSS growth (MiB)":
        ("HTTP listing peak RSS growth (MiB)", 16, "#7f7f7f"),
}


def growth_table(markdown):
    lines = markdown.splitlines()
    start = next((i for i, l in enumerate(lines)
                  if l.startswith("#") and "Growth" in l), None)
    if start is None:
        sys.exit("plot_growth.py: no 'Growth' heading")
    rows = []
    for line in lines[start + 1:]:
        if line.startswith("#"):
            break
        if not line.startswith("|"):
            if rows:
                break
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if all(set(c) <= set("-: ") for c in cells):
            continue
        rows.append(cells)
    return rows[0], rows[1:]


def number(cell):
    m = re.match(r"^\s*(\d+(?:\.\d+)?)", cell.replace(" ", ""))
    return float(m.group(1)) if m else None


class Panel:
    """One chart: log-x keys, linear or log y, lines with points."""

    def __init__(self, x, y, w, h, ymin, ymax, log_y, title, ylabel):
        self.x, self.y, self.w, self.h = x, y, w, h
        self.ymin, self.ymax, self.log_y = ymin, ymax, log_y
        self.title, self.ylabel = title, ylabel
        self.out = []

    def px(self, keys):
        lo, hi = math.log10(5e3), math.log10(2e7)
        return self.x + (math.log10(keys) - lo) / (hi - lo) * self.w

    def py(self, v):
        if self.log_y:
            lo, hi, v = (math.log10(self.ymin), math.log10(self.ymax),
                         math.log10(max(v, self.ymin)))
        else:
            lo, hi = self.ymin, self.ymax
        return self.y + self.h - (v - lo) / (hi - lo) * self.h

    def frame(self, yticks):
        o = self.out
        o.append(f'<rect x="{self.x}" y="{self.y}" width="{self.w}" '
                 f'height="{self.h}" fill="none" stroke="#333"/>')
        o.append(f'<text x="{self.x + self.w / 2}" y="{self.y - 10}" '
                 f'text-anchor="middle" font-weight="bold">{self.title}</text>')
        for k, label in [(1e4, "10 k"), (1e5, "100 k"), (1e6, "1 M"),
                         (1e7, "10 M")]:
            X = self.px(k)
            o.append(f'<line x1="{X:.1f}" y1="{self.y}" x2="{X:.1f}" '
                     f'y2="{self.y + self.h}" stroke="#ddd"/>')
            o.append(f'<text x="{X:.1f}" y="{self.y + self.h + 16}" '
                     f'text-anchor="middle">{label}</text>')
        o.append(f'<text x="{self.x + self.w / 2}" y="{self.y + self.h + 34}" '
                 f'text-anchor="middle">keys in the store (log scale)</text>')
        for v in yticks:
            Y = self.py(v)
            o.append(f'<line x1="{self.x}" y1="{Y:.1f}" x2="{self.x + self.w}"'
                     f' y2="{Y:.1f}" stroke="#eee"/>')
            o.append(f'<text x="{self.x - 6}" y="{Y + 4:.1f}" '
                     f'text-anchor="end">{v:g}</text>')
        o.append(f'<text transform="translate({self.x - 42},'
                 f'{self.y + self.h / 2}) rotate(-90)" '
                 f'text-anchor="middle">{self.ylabel}</text>')

    def series(self, points, label, goal, colour, legend_row):
        o = self.out
        # A value above the panel is drawn at its top edge, labelled.
        pts = [(self.px(k), self.py(min(v, self.ymax))) for k, v in points]
        for (k, v), (x, y) in zip(points, pts):
            if v > self.ymax:
                o.append(f'<text x="{x + 6:.1f}" y="{y + 14:.1f}" '
                         f'fill="{colour}">{v:g} ↑</text>')
        if len(pts) > 1:
            path = " ".join(f"{x:.1f},{y:.1f}" for x, y in pts)
            o.append(f'<polyline points="{path}" fill="none" '
                     f'stroke="{colour}" stroke-width="2.5"/>')
        for x, y in pts:
            o.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" '
                     f'fill="{colour}"/>')
        if goal is not None:
            Y = self.py(goal)
            o.append(f'<line x1="{self.x}" y1="{Y:.1f}" x2="{self.x + self.w}"'
                     f' y2="{Y:.1f}" stroke="{colour}" stroke-width="1.5" '
                     f'stroke-dasharray="6,4"/>')
        ly = self.y + self.h + 56 + 18 * legend_row
        o.append(f'<line x1="{self.x}" y1="{ly - 4}" x2="{self.x + 24}" '
                 f'y2="{ly - 4}" stroke="{colour}" stroke-width="2.5"/>')
        goal_text = f" (goal {'≥' if goal < 5 else '≤'} {goal:g})" \
            if goal is not None else ""
        o.append(f'<text x="{self.x + 30}" y="{ly}">{label}{goal_text}</text>')


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=str(ROOT / "docs/img/scale-growth.svg"))
    ap.add_argument("--table", default=str(ROOT / "docs/benchmarks/scale.md"))
    args = ap.parse_args()
    header, rows = growth_table(pathlib.Path(args.table).read_text())
    keys = [number(r[0]) for r in rows]

    def points(col):
        i = header.index(col)
        return [(k, number(r[i])) for k, r in zip(keys, rows)
                if k and i < len(r) and number(r[i]) is not None]

    ratios = Panel(80, 50, 460, 320, 0, 1.4, False,
                   "cask / same-run baseline (1 = as fast)", "ratio")
    ratios.frame([0, 0.2, 0.4, 0.6, 0.8, 1.0, 1.2, 1.4])
    row = 0
    for col, (label, goal, colour) in RATIOS.items():
        if col in header:
            ratios.series(points(col), label, goal, colour, row)
            row += 1
    absolute = Panel(680, 50, 460, 320, 1, 10000, True,
                     "absolute figures (dashed: goal)", "ms or MiB (log scale)")
    absolute.frame([1, 10, 100, 1000, 10000])
    row = 0
    for col, (label, goal, colour) in ABSOLUTE.items():
        if col in header:
            absolute.series(points(col), label, goal, colour, row)
            row += 1
    height = 50 + 320 + 56 + 18 * max(len(RATIOS), len(ABSOLUTE)) + 10
    svg = [f'<svg xmlns="http://www.w3.org/2000/svg" width="1200" '
           f'height="{height}" font-family="sans-serif" font-size="12">',
           f'<rect width="1200" height="{height}" fill="white"/>',
           '<text x="600" y="20" text-anchor="middle" font-size="14">'
           'cask engine, 10 k to 10 M keys of 100 B '
           '(docs/benchmarks/scale.md, bench_scale)</text>']
    svg += ratios.out + absolute.out + ["</svg>"]
    pathlib.Path(args.out).write_text("\n".join(svg) + "\n")
    print(f"plot_growth.py: wrote {args.out}")


if __name__ == "__main__":
    main()
