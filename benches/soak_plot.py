#!/usr/bin/env python3
"""Plots benches/soak.sh's figures as an SVG, with the standard library only.

Usage: soak_plot.py SOAK_TSV OUT_SVG [TITLE]

Four panels over time: throughput (reads, writes), p99 latency (reads,
writes), subscription deliveries per second, and the server's resident
memory (VmRSS)."""
import csv
import sys
from xml.sax.saxutils import escape

W, PANEL_H, TOP, LEFT, RIGHT, GAP = 900, 170, 50, 70, 150, 45
COLOURS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd"]


def nice_max(v):
    """A round upper bound for an axis."""
    if v <= 0:
        return 1.0
    step = 10 ** (len(str(int(v))) - 1)
    for m in (1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10):
        if m * step >= v:
            return m * step
    return 10 * step


def fmt(v):
    return f"{v:.0f}" if v >= 10 or v == int(v) else f"{v:.1f}"


def panel(out, y0, title, unit, t, series):
    """One panel: series is [(label, values)]."""
    x1, x2 = LEFT, W - RIGHT
    tmax = max(t) if t else 1
    vmax = nice_max(max((max(v) for _, v in series if v), default=1) * 1.05)
    def px(x):
        return x1 + (x2 - x1) * (x / tmax if tmax else 0)
    def py(v):
        return y0 + PANEL_H - PANEL_H * (v / vmax)
    out.append(f'<text x="{x1}" y="{y0 - 8}" font-weight="bold">{escape(title)}</text>')
    out.append(f'<rect x="{x1}" y="{y0}" width="{x2 - x1}" height="{PANEL_H}" fill="none" stroke="#999"/>')
    for i in range(5):
        v = vmax * i / 4
        y = py(v)
        out.append(f'<line x1="{x1}" y1="{y:.1f}" x2="{x2}" y2="{y:.1f}" stroke="#eee"/>')
        out.append(f'<text x="{x1 - 6}" y="{y + 4:.1f}" text-anchor="end">{fmt(v)}</text>')
    out.append(f'<text x="{x1 - 50}" y="{y0 + PANEL_H / 2}" transform="rotate(-90 {x1 - 50} {y0 + PANEL_H / 2})" text-anchor="middle">{escape(unit)}</text>')
    step = next((s for s in (1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 1800, 3600) if tmax / s <= 12), 7200)
    for i in range(int(tmax // step) + 1):
        x = px(step * i)
        out.append(f'<line x1="{x:.1f}" y1="{y0 + PANEL_H}" x2="{x:.1f}" y2="{y0 + PANEL_H + 4}" stroke="#999"/>')
        out.append(f'<text x="{x:.1f}" y="{y0 + PANEL_H + 16}" text-anchor="middle">{fmt(step * i)}</text>')
    for n, (label, values) in enumerate(series):
        colour = COLOURS[n % len(COLOURS)]
        points = " ".join(f"{px(x):.1f},{py(v):.1f}" for x, v in zip(t, values))
        out.append(f'<polyline fill="none" stroke="{colour}" stroke-width="1.5" points="{points}"/>')
        ly = y0 + 14 + 18 * n
        out.append(f'<line x1="{x2 + 12}" y1="{ly - 4}" x2="{x2 + 32}" y2="{ly - 4}" stroke="{colour}" stroke-width="2"/>')
        out.append(f'<text x="{x2 + 38}" y="{ly}">{escape(label)}</text>')


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    with open(sys.argv[1], newline="") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    if not rows:
        sys.exit(f"{sys.argv[1]}: no figures")
    title = sys.argv[3] if len(sys.argv) > 3 else "relgate soak"
    col = lambda k: [float(r[k]) for r in rows]
    t = col("t_s")
    panels = [
        ("Throughput", "requests/s", [("reads", col("read_rps")), ("writes", col("write_rps"))]),
        ("p99 latency per interval", "ms", [("reads", col("read_p99_ms")), ("writes", col("write_p99_ms"))]),
        ("Subscription deliveries", "events/s", [("delivered", col("deliveries_per_s"))]),
        ("Server resident memory (VmRSS)", "MiB", [("RSS", col("rss_mib"))]),
    ]
    h = TOP + len(panels) * (PANEL_H + GAP) + 30
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{h}" viewBox="0 0 {W} {h}" '
        'font-family="sans-serif" font-size="12">',
        f'<rect width="{W}" height="{h}" fill="white"/>',
        f'<text x="{W / 2}" y="22" text-anchor="middle" font-size="15" font-weight="bold">{escape(title)}</text>',
    ]
    for i, (name, unit, series) in enumerate(panels):
        panel(out, TOP + 10 + i * (PANEL_H + GAP), name, unit, t, series)
    out.append(f'<text x="{(LEFT + W - RIGHT) / 2}" y="{h - 8}" text-anchor="middle">seconds</text>')
    out.append("</svg>")
    with open(sys.argv[2], "w") as f:
        f.write("\n".join(out) + "\n")


if __name__ == "__main__":
    main()
