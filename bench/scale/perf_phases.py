#!/usr/bin/env python3
"""Splits a `perf record -g` profile of bench_scale by measurement phase.

  perf record -k CLOCK_MONOTONIC -F 49 -g -o perf.data -- \
      bench_scale --phases ... 2> phases.log
  perf script -F comm,pid,tid,time,ip,sym,dso -i perf.data |
      bench/scale/perf_phases.py --phases phases.log [--top 12]

With --phases (the "phase <keys> <name> <time>" lines bench_scale --phases
writes to stderr), every sample of the bench process, of any thread (the
engine's and RocksDB's background flushes and compactions included), belongs
to the phase running at its time. Without it, a sample of the main thread belongs to the phase whose entry point is on its stack (RawStore::Load, Driver::Commit, Driver::Scan, ...), or else to
the phase of the main thread's previous sample; a sample of another
thread (RocksDB's flushes and compactions) to the phase the main thread was
in at that moment, marked "background". Prints, per phase, its share of
all samples and the functions that used its CPU (self time).
"""
import argparse
import bisect
import collections
import re
import sys

PHASES = [  # (frame pattern, phase), the first match wins; the bench's
    # own helpers are often inlined, so the engine's entry points mark them
    (r"RawStore::Load", "raw load"),
    (r"Driver::Commit", "engine load"),
    (r"RawStore::Get", "raw Get"),
    (r"Driver::Get\b(?!Meta)", "engine Get"),
    (r"RawStore::Scan", "raw scan"),
    (r"Driver::Scan|ScanAt", "engine scan"),
    (r"Driver::Set|Driver::GetMeta", "engine CAS"),
]
HEADER = re.compile(r"^\s*(\S.*?)\s+(\d+)(?:/(\d+))?\s+(?:\[\d+\]\s+)?"
                    r"(\d+\.\d+):")


def samples(lines):
    head, frames = None, []
    for line in lines:
        line = line.rstrip("\n")
        if not line.strip():
            if head:
                yield head, frames
            head, frames = None, []
        elif head is None:
            m = HEADER.match(line)
            if m:
                head = (m.group(1), int(m.group(2)),
                        int(m.group(3) or m.group(2)), float(m.group(4)))
        else:
            parts = line.strip().split(None, 1)
            sym = parts[1] if len(parts) > 1 else parts[0]
            frames.append(re.sub(r"\s+\(\S+\)$", "", sym))
    if head:
        yield head, frames


def phase_of(frames):
    for pattern, phase in PHASES:
        if any(re.search(pattern, f) for f in frames):
            return phase
    return None


def short(sym):
    sym = re.sub(r"\+0x[0-9a-f]+$", "", sym)  # offset
    sym = re.sub(r"\(.*", "", sym)           # arguments
    sym = re.sub(r"<[^<>]*>", "", sym)       # one level of templates
    sym = re.sub(r"<[^<>]*>", "", sym)
    return sym[:90]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--top", type=int, default=12)
    ap.add_argument("--phases", help="bench_scale --phases output")
    args = ap.parse_args()
    marks = []
    if args.phases:
        for line in open(args.phases):
            w = line.split()
            if len(w) == 4 and w[0] == "phase":
                marks.append((float(w[3]), f"{w[2]} at {int(w[1]):,} keys"))
        marks.sort()
    per_phase = collections.defaultdict(collections.Counter)
    total = collections.Counter()
    current = "start"
    main_pid = None
    for (comm, pid, tid, time), frames in samples(sys.stdin):
        if main_pid is None and comm.startswith("bench_scale"):
            main_pid = pid
        if pid != main_pid or not frames:
            continue
        if marks:
            i = bisect.bisect_right(marks, (time, "\uffff")) - 1
            phase = marks[i][1] if i >= 0 else "start"
            if tid != pid:
                phase += " (other threads)"
        elif tid == pid:
            current = phase_of(frames) or current
            phase = current
        else:
            phase = current + " (background)"
        per_phase[phase][short(frames[0])] += 1
        total[phase] += 1
    grand = sum(total.values()) or 1
    for phase, n in total.most_common():
        print(f"== {phase}: {n} samples, {100.0 * n / grand:.1f}% of all")
        for sym, k in per_phase[phase].most_common(args.top):
            print(f"  {100.0 * k / n:5.1f}%  {sym}")


if __name__ == "__main__":
    main()
