"""Issue 24's figures as text: one table for the terminal, the README's markdown, the PASS/FAIL lines.

    python benchmarks/issue24_report.py LOG_OR_JSON      # render again from a run's JSON line (its last line)

Works on the dict issue24.py prints as its last line, so a run's log can be rendered again (or the README's
table rebuilt) without running the benchmarks again.
"""

import json
import sys
import textwrap

import machine

MB = 1e6
TOOLS = (("heaptui summary", "heaptui --no-cache"), ("hs summary", "hs summary"), ("memlab", "memlab load"))


def _size(n):
    return f"{n / 1e9:.2f} GB" if n >= 1e9 else f"{n / MB:.0f} MB"


def _mem(n):
    return f"{n / 1e9:.2f} GB" if n >= 1e9 else f"{n / MB:.0f} MB"


def _counts(res):
    return f"{res['nodes'] / 1e6:.1f}M nodes, {res['edges'] / 1e6:.1f}M edges"


def _fig(res, tool, key, stat="median"):
    figs = res.get(tool, {})
    return figs[key][stat] if key in figs else None


def verdict(ok):
    return "SKIP" if ok is None else "PASS" if ok else "FAIL"


def text_table(doc):
    """Every tool on every file: wall time best / median, peak RSS, and each peer's per-round ratios."""
    runs = doc["runs"]
    head = (
        f"{'snapshot':<26}{'tool':<20}{'wall best / median':>20}{'peak RSS (x file)':>20}{'load':>6}   "
        "heaptui / tool: time (per round), peak RSS, CPU"
    )
    lines = [f"(each cell over {runs} round{'s' * (runs > 1)} taken in turns; ratios per round, then their median)"]
    lines += [head, "-" * len(head)]
    for res in doc["files"].values():
        label = [f"{_size(res['bytes'])}", _counts(res)]
        for tool, short in TOOLS:
            if tool not in res:
                continue
            first = label.pop(0) if label else ""
            if "error" in res[tool]:
                lines.append(f"{first:<26}{short:<20}FAILED: {res[tool]['error'][:200]}")
                continue
            wall = f"{_fig(res, tool, 'wall', 'best'):.2f} / {_fig(res, tool, 'wall'):.2f} s"
            rss = _fig(res, tool, "rss")
            cell = f"{_mem(rss)} ({rss / res['bytes']:.2f}x)"
            ratio = res.get("ratios", {}).get(tool)
            vs = ""
            if ratio:
                rounds = ", ".join(f"{q:.2f}" for q in ratio.get("time_rounds", []))
                cpu = f", CPU {ratio['cpu']:.2f}" if "cpu" in ratio else ""
                vs = f"{ratio['time']:.2f} ({rounds}), {ratio['rss']:.2f}{cpu}"
            load = _fig(res, tool, "loadavg")
            lines.append(f"{first:<26}{short:<20}{wall:>20}{cell:>20}{load or 0:6.1f}   {vs}")
        lines += [f"{x:<26}" for x in label]
    return "\n".join(lines)


def markdown(doc):
    """The README's section: a sentence naming the command and the machine, the table, the targets."""
    m = doc["machine"]
    load = ", ".join(map(str, m["loadavg"]))
    end = ", ".join(map(str, doc.get("loadavg_at_end", [])))
    with_memlab = any("memlab" in res for res in doc["files"].values())
    intro = (
        f"Measured by `{doc.get('command', 'python benchmarks/issue24.py')}` ({doc['date']}, heaptui "
        f"{m['heaptui']} at {m['heaptui_commit']}) on {machine.summary_line(m)}; load average {load} (1, 5, 15 "
        f"min) at the start, {end} at the end. Every figure is a fresh process; the tools run in turns, so a busy "
        "moment falls on all alike, and each ratio is taken within a round, then the median of the rounds. Cold: no "
        "index cache (`--no-cache`), the file already in the page cache for every tool."
    )
    out = [
        textwrap.fill(intro, 110, break_on_hyphens=False, break_long_words=False),
        "",
        "| snapshot | heaptui `--no-cache summary` (best / median) | `hs summary` (best / median) "
        "| heaptui / hs, time (median of rounds) | peak memory heaptui / hs |"
        + (" memlab (median) | heaptui / memlab, time and peak memory |" if with_memlab else ""),
        "| --- | --- | --- | --- | --- |" + (" --- | --- |" if with_memlab else ""),
    ]
    for res in doc["files"].values():
        row = [f"{_size(res['bytes'])} ({_counts(res)})"]
        for tool in ("heaptui summary", "hs summary"):
            if tool in res and "error" not in res[tool]:
                row.append(f"{_fig(res, tool, 'wall', 'best'):.1f} / {_fig(res, tool, 'wall'):.1f} s")
            else:
                row.append("failed" if tool in res else "(not run)")
        hs = res.get("ratios", {}).get("hs summary")
        row.append(f"{hs['time']:.2f}" if hs else "")
        h_rss, p_rss = _fig(res, "heaptui summary", "rss"), _fig(res, "hs summary", "rss")
        row.append(f"{_mem(h_rss)} ({h_rss / res['bytes']:.2f} × the file) / {_mem(p_rss)}" if h_rss and p_rss else "")
        ml = res.get("ratios", {}).get("memlab")
        if not with_memlab:
            pass
        elif "memlab" in res and "error" not in res["memlab"]:
            row.append(f"{_fig(res, 'memlab', 'wall'):.1f} s, {_mem(_fig(res, 'memlab', 'rss'))}")
            row.append(f"{ml['time']:.2f}, {ml['rss']:.2f}" if ml else "")
        else:
            row += ["failed" if "memlab" in res else "(not run)", ""]
        out.append("| " + " | ".join(row) + " |")
    out += ["", "Targets (issue 24):", ""]
    out += [f"- {verdict(t['ok'])} {t['target']}" for t in doc["targets"]]
    return "\n".join(out)


def print_report(doc, out=sys.stdout):
    print("\n" + text_table(doc), file=out)
    print("\ntargets:", file=out)
    for t in doc["targets"]:
        print(f"  {verdict(t['ok'])}  {t['target']}", file=out)


def load_doc(path):
    """The JSON line of an issue24.py run: the file's last line that parses as a JSON object."""
    with open(path, encoding="utf-8") as f:
        lines = f.read().splitlines()
    for line in reversed(lines):
        if line.startswith("{"):
            try:
                return json.loads(line)
            except ValueError:
                continue
    raise SystemExit(f"{path}: no JSON line from benchmarks/issue24.py in it")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit(__doc__.strip().splitlines()[2].strip())
    doc = load_doc(sys.argv[1])
    machine.print_machine(doc["machine"])
    print_report(doc)
    print("\n" + markdown(doc))
