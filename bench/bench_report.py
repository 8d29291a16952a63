"""bench_report - the table on stdout and the SVG chart of `make bench`.

The ratio says how many times better ems did than the peer on that
figure, whichever way "better" points: ems/peer for rates, peer/ems for
latencies and memory.  Above 1 ems is ahead, below 1 it is behind.
"""
import math
from xml.sax.saxutils import escape


def ratio(row, names):
    """ems's advantage over the peer on ROW, or None."""
    if len(names) < 2:
        return None
    a, b = row["values"].get(names[0]), row["values"].get(names[1])
    if a is None or b is None or a <= 0 or b <= 0:
        return None
    return a / b if row["better"] == "higher" else b / a


def cell(row, name):
    v = row["values"].get(name)
    if v is None:
        return row["notes"].get(name, "-")
    text = "%.0f" % v if abs(v) >= 100 else "%.3g" % v
    note = row["notes"].get(name)
    return text + (" (%s)" % note if note else "")


def table(results, names):
    rows = results["figures"]
    for row in rows:
        row["ratio"] = ratio(row, names)
    head = ["figure", "unit"] + names + (["ratio"] if len(names) > 1 else [])
    lines = [head]
    for row in rows:
        line = [row["name"], row["unit"]] + [cell(row, n) for n in names]
        if len(names) > 1:
            line.append("%.2f" % row["ratio"] if row["ratio"] else "-")
        lines.append(line)
    widths = [max(len(str(ln[i])) for ln in lines) for i in range(len(head))]
    out = []
    for k, ln in enumerate(lines):
        out.append(" | ".join(str(c).ljust(w) if i < 2 else str(c).rjust(w)
                              for i, (c, w) in enumerate(zip(ln, widths))).rstrip())
        if k == 0:
            out.append("-+-".join("-" * w for w in widths))
    m = results["machine"]
    out.append("")
    out.append("machine: %d cores (%s), %d MB, kernel %s" % (
        m["cores"], m["cpu"], m["memory_mb"], m["kernel"]))
    for n in names:
        s = results["servers"].get(n, {})
        out.append("%s: %s" % (n, "; ".join("%s: %s" % (k, v) for k, v in s.items())))
    if len(names) > 1:
        out.append("ratio: how many times better %s did (>1 ahead, <1 behind)" % names[0])
    return "\n".join(out)


def svg(results, names):
    """A horizontal bar per figure with a ratio, on a log scale centred
    on 1 (green: ems ahead, red: behind)."""
    rows = [r for r in results["figures"] if r.get("ratio")]
    label_w, bar_w, row_h, top = 420, 360, 18, 40
    height = top + row_h * len(rows) + 30
    span = max([abs(math.log2(r["ratio"])) for r in rows] + [1.0])
    mid = label_w + bar_w / 2
    out = ['<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" '
           'font-family="sans-serif" font-size="12">' % (label_w + bar_w + 70, height),
           '<text x="10" y="20" font-size="14">%s vs %s: how many times better %s '
           'did (log scale)</text>' % (names[0], names[1], names[0])]
    for i, r in enumerate(rows):
        y = top + i * row_h
        w = abs(math.log2(r["ratio"])) / span * (bar_w / 2)
        x = mid if r["ratio"] >= 1 else mid - w
        colour = "#3a8f3a" if r["ratio"] >= 1 else "#c0392b"
        out.append('<text x="%d" y="%d" text-anchor="end">%s</text>'
                   % (label_w - 6, y + 12, escape(r["name"])))
        out.append('<rect x="%.1f" y="%d" width="%.1f" height="%d" fill="%s"/>'
                   % (x, y + 2, max(w, 1), row_h - 4, colour))
        out.append('<text x="%.1f" y="%d">%.2f</text>'
                   % (mid + bar_w / 2 + 6, y + 12, r["ratio"]))
    out.append('<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="black"/>'
               % (mid, top - 4, mid, top + row_h * len(rows)))
    out.append('<text x="%.1f" y="%d" text-anchor="middle">1</text>'
               % (mid, top + row_h * len(rows) + 16))
    out.append("</svg>\n")
    return "\n".join(out)
