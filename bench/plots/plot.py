#!/usr/bin/env python3
"""Turns the figures in docs/ into SVG charts beside them, with gnuplot.

  bench/plots/plot.py [--out DIR]     (default: docs/img)

Sources, both markdown tables that people edit by hand:
- docs/benchmarks.md, "Headline figures": every row whose measured value is
  a plain ratio (cask / its baseline in the same run) becomes a bar, one
  chart per page column (engine, processes, kv, ...), with the goal marked
  where the row has one and a line at 1.0 (parity with the baseline).
- docs/testing.md, "How hard the tests push": the kill, history and fuzz
  counts per CI run and in the largest recorded run, one chart.
Rows whose values are not plain numbers (latencies, MiB) are left out.
Output is deterministic for one gnuplot version, so a regenerated chart
only changes when its table did. Exit 77 when gnuplot is missing.
"""
import argparse
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parents[2]
NUMBERS = re.compile(r"^\s*(\d+(?:\.\d+)?(?:\s*/\s*\d+(?:\.\d+)?)*)\s*(?:$|,|\()")


def table_rows(markdown, heading):
    """The rows (lists of cells) of the first table after `heading`."""
    lines = markdown.splitlines()
    try:
        start = next(i for i, l in enumerate(lines)
                     if l.startswith("#") and heading in l)
    except StopIteration:
        sys.exit(f"plot.py: no heading '{heading}'")
    rows = []
    for line in lines[start + 1:]:
        if line.startswith("|"):
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            if not all(re.fullmatch(r":?-+:?", c) for c in cells):
                rows.append(cells)
        elif rows:
            break
    return rows[0], rows[1:]


def plain(text):
    """Markdown cell text without links, code marks or emphasis."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)
    return text.replace("`", "").replace("*", "")


def ratios(figure, measured):
    """[(label, value)] for a headline row, [] when it is not a ratio."""
    fig_parts = [p.strip() for p in figure.split(";")]
    val_parts = [p.strip() for p in measured.split(";")]
    if len(fig_parts) != len(val_parts):
        fig_parts, val_parts = [figure], val_parts[:1]
    out = []
    for fig, val in zip(fig_parts, val_parts):
        m = NUMBERS.match(val)
        if not m:
            continue
        values = [float(v) for v in m.group(1).split("/")]
        if len(values) == 1:
            out.append((fig, values[0]))
            continue
        # "a / b, 100 B / 4 KiB": the last comma segment with as many cases
        # as there are values names them.
        segments = [s.strip() for s in fig.split(",")]
        for i, seg in reversed(list(enumerate(segments))):
            cases = [c.strip() for c in seg.split(" / ")]
            if len(cases) == len(values):
                for case, v in zip(cases, values):
                    label = ", ".join(segments[:i] + [case] + segments[i + 1:])
                    out.append((label, v))
                break
        else:
            out.extend((f"{fig} [{k + 1}]", v) for k, v in enumerate(values))
    return out


def goal_of(text):
    m = re.search(r"≥\s*(\d+(?:\.\d+)?)", text)
    return float(m.group(1)) if m else None


def gnuplot_quote(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def bar_chart(out_svg, title, xlabel, bars, logscale=False, parity=None,
              series=("cask / baseline",)):
    """Horizontal bars: bars = [(label, [values...], goal or None)]."""
    height = 120 + 34 * len(bars) * len(series)
    with tempfile.TemporaryDirectory() as tmp:
        data = pathlib.Path(tmp) / "data.tsv"
        with data.open("w") as f:
            for i, (label, values, goal) in enumerate(bars):
                cols = "\t".join(f"{v:g}" for v in values)
                f.write(f"{len(bars) - 1 - i}\t{cols}\t"
                        f"{'NaN' if goal is None else goal}\t"
                        f"{gnuplot_quote(label)}\n")
        n = len(series)
        width = 0.8 / n
        top = max(v for _, vals, g in bars for v in vals + [g or 0])
        script = [
            f"set terminal svg size 1000,{height} dynamic enhanced "
            "font 'sans,11' background rgb 'white'",
            f"set output {gnuplot_quote(str(out_svg))}",
            f"set title {gnuplot_quote(title)}",
            f"set xlabel {gnuplot_quote(xlabel)}",
            "set style fill solid 0.85 border -1",
            "set grid xtics lc rgb '#dddddd'",
            "set key above right horizontal",
            "set ytics scale 0 noenhanced",
            f"set yrange [-0.7:{len(bars) - 0.3}]",
            f"set lmargin {min(90, 2 + max(len(b[0]) for b in bars)) * 0.95:.0f}",
        ]
        if logscale:
            script += ["set logscale x 10", f"set xrange [0.8:{top * 3:g}]"]
        else:
            script += [f"set xrange [0:{max(top * 1.15, 1.2):g}]"]
        plots = []
        colors = ["#4477aa", "#ee9944", "#66aa55"]
        for k, name in enumerate(series):
            off = (k - (n - 1) / 2) * width
            lo = "0.8" if logscale else "0"
            plots.append(
                f"'{data}' using ({lo}):($1+{off:g}):({lo}):{k + 2}:"
                f"($1+{off - width / 2:g}):($1+{off + width / 2:g})"
                + (":ytic(stringcolumn({}))".format(n + 3) if k == 0 else "")
                + f" with boxxyerror lc rgb '{colors[k % 3]}' "
                f"title {gnuplot_quote(name)}")
            plots.append(
                f"'{data}' using {k + 2}:($1+{off:g}):(sprintf('%g', ${k + 2}))"
                " with labels left offset 0.6,0 notitle")
        if any(g is not None for _, _, g in bars):
            plots.append(f"'{data}' using {n + 2}:($1-0.45):(0):(0.9) "
                         "with vectors nohead lw 3 lc rgb '#cc3311' "
                         "title 'goal'")
        if parity is not None:
            script.append(f"set arrow from {parity},graph 0 to {parity},graph 1 "
                          "nohead dt 2 lc rgb '#333333'")
        script.append("plot " + ", \\\n     ".join(plots))
        subprocess.run(["gnuplot"], input="\n".join(script) + "\n",
                       text=True, check=True)


def slug(text):
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "docs" / "img"))
    args = parser.parse_args()
    if shutil.which("gnuplot") is None:
        print("plot.py: gnuplot is not installed (apt-get install gnuplot-nox)",
              file=sys.stderr)
        return 77
    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    written = []

    header, rows = table_rows((ROOT / "docs/benchmarks.md").read_text(),
                              "Headline figures")
    col = {name: header.index(name)
           for name in ("area", "figure", "goal", "measured", "page")}
    pages = {}
    for r in rows:
        page = plain(r[col["page"]])
        for label, value in ratios(plain(r[col["figure"]]),
                                   plain(r[col["measured"]])):
            pages.setdefault(page, []).append(
                (f"{plain(r[col['area']])}: {label}", [value],
                 goal_of(r[col["goal"]])))
    for page, bars in pages.items():
        areas = {label.split(":")[0] for label, _, _ in bars}
        if len(areas) == 1:  # the title says it
            bars = [(label.split(": ", 1)[1], v, g) for label, v, g in bars]
        svg = out / f"benchmarks-{slug(page)}.svg"
        bar_chart(svg, f"{page}: cask / baseline, same run (median)",
                  "ratio (1 = as fast as the baseline; higher is better)",
                  bars, parity=1)
        written.append(svg)

    header, rows = table_rows((ROOT / "docs/testing.md").read_text(),
                              "How hard the tests push")
    col = {name: header.index(name) for name in
           ("suite", "counted", "per CI run", "largest recorded run")}
    bars = []
    for r in rows:
        nums = []
        for name in ("per CI run", "largest recorded run"):
            m = re.search(r"\d[\d,]*", r[col[name]])
            nums.append(float(m.group(0).replace(",", "")) if m else 0)
        bars.append((f"{plain(r[col['suite']])} ({plain(r[col['counted']])})",
                     nums, None))
    svg = out / "testing-counts.svg"
    bar_chart(svg, "Kills, histories and fuzzing: per CI run and largest run",
              "count (log scale)", bars, logscale=True,
              series=("per CI run", "largest recorded run"))
    written.append(svg)
    for w in written:
        print(w.relative_to(ROOT) if w.is_relative_to(ROOT) else w)


if __name__ == "__main__":
    sys.exit(main())
