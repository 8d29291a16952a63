"""bench_report - the table on stdout and the SVG chart of `make bench`.

A ratio says how many times better one server did than another on a
figure, whichever way "better" points: a/b for rates, b/a for latencies
and memory.  Above 1 the first is ahead, below 1 behind.  The servers
compared (pairs): the first against the second (ems against the peer),
and each further one against the second too (with PEER=ems-postgresql:
ems on SQLite and the two PostgreSQL nodes, each against one node on
PostgreSQL).
"""
import math
from xml.sax.saxutils import escape


def pairs(names):
    """The (a, b) comparisons of a run of servers NAMES, first one first."""
    if len(names) < 2:
        return []
    return [(names[0], names[1])] + [(n, names[1]) for n in names[2:]]


def label(pair):
    return "%s/%s" % pair


def ratio(row, pair):
    """How many times better PAIR[0] did than PAIR[1] on ROW, or None."""
    a, b = row["values"].get(pair[0]), row["values"].get(pair[1])
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


def ratio_text(r):
    """Two decimals; two significant digits below 0.1, so a small ratio is not 0.00."""
    if not r:
        return "-"
    return "%.2f" % r if r >= 0.1 else "%.2g" % r


def add_ratios(results, names):
    """Sets each row's "ratios" ({"a/b": ratio or None}) and "ratio" (the
    first comparison's, as runs of two servers always had)."""
    for row in results["figures"]:
        row["ratios"] = {label(p): ratio(row, p) for p in pairs(names)}
        row["ratio"] = row["ratios"].get(label(pairs(names)[0])) if pairs(names) else None


def table(results, names):
    add_ratios(results, names)
    rows = results["figures"]
    cmp = [label(p) for p in pairs(names)]
    heads = ["ratio"] if len(cmp) == 1 else cmp
    head = ["figure", "unit"] + names + heads
    lines = [head]
    for row in rows:
        line = [row["name"], row["unit"]] + [cell(row, n) for n in names]
        line += [ratio_text(row["ratios"][c]) for c in cmp]
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
    for a, b in pairs(names):
        out.append("%s: how many times better %s did than %s (>1 ahead, <1 behind)"
                   % ("ratio" if len(cmp) == 1 else label((a, b)), a, b))
    return "\n".join(out)


def svg(results, names):
    """Per comparison, a horizontal bar per figure with a ratio, on a log
    scale centred on 1 (green: the first server ahead, red: behind)."""
    add_ratios(results, names)
    label_w, bar_w, row_h, head_h = 420, 360, 18, 40
    sections = [(p, [r for r in results["figures"] if r["ratios"].get(label(p))])
                for p in pairs(names)]
    sections = [(p, rows) for p, rows in sections if rows]
    height = sum(head_h + row_h * len(rows) + 30 for _, rows in sections) + 10
    out = ['<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" '
           'font-family="sans-serif" font-size="12">' % (label_w + bar_w + 70, height)]
    top = 0
    for pair, rows in sections:
        out += section(pair, rows, top, label_w, bar_w, row_h, head_h)
        top += head_h + row_h * len(rows) + 30
    out.append("</svg>\n")
    return "\n".join(out)


def section(pair, rows, y0, label_w, bar_w, row_h, head_h):
    """The SVG elements of PAIR's bars, starting at height Y0."""
    key = label(pair)
    top = y0 + head_h
    span = max([abs(math.log2(r["ratios"][key])) for r in rows] + [1.0])
    mid = label_w + bar_w / 2
    out = ['<text x="10" y="%d" font-size="14">%s vs %s: how many times better %s '
           'did (log scale)</text>' % (y0 + 20, pair[0], pair[1], pair[0])]
    for i, r in enumerate(rows):
        v = r["ratios"][key]
        y = top + i * row_h
        w = abs(math.log2(v)) / span * (bar_w / 2)
        x = mid if v >= 1 else mid - w
        colour = "#3a8f3a" if v >= 1 else "#c0392b"
        out.append('<text x="%d" y="%d" text-anchor="end">%s</text>'
                   % (label_w - 6, y + 12, escape(r["name"])))
        out.append('<rect x="%.1f" y="%d" width="%.1f" height="%d" fill="%s"/>'
                   % (x, y + 2, max(w, 1), row_h - 4, colour))
        out.append('<text x="%.1f" y="%d">%s</text>'
                   % (mid + bar_w / 2 + 6, y + 12, ratio_text(v)))
    out.append('<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="black"/>'
               % (mid, top - 4, mid, top + row_h * len(rows)))
    out.append('<text x="%.1f" y="%d" text-anchor="middle">1</text>'
               % (mid, top + row_h * len(rows) + 16))
    return out
