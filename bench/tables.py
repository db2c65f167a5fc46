#!/usr/bin/env python3
"""tables.py -- Markdown tables from bench/run.py --json files, for RESULTS.md.

    python3 bench/tables.py NAME=RESULTS.json [NAME=RESULTS.json ...]

For each file (NAME labels it, e.g. "lean 10M"): the per-method table (median,
min, max wall, CPU, events/s, peak RSS and bytes per event), the paired
ratios (min / median / max, CPU median, quiet pairs, the other processes'
median load), the pinned CPU per event, and callgrind's instructions per
event.  Standard library only.
"""
import json
import statistics
import sys


def fmt(v, spec):
    return "–" if v is None else format(v, spec)


def one(name, d):
    out = []
    ev = d["events"]
    out.append(f"#### {name}: {d['file']} ({ev:,} events, {d['bytes'] / 1e6:.1f} MB)\n")
    lb, la = d["loadavg_before"][0], d["loadavg_after"][0]
    out.append(f"Load average {lb:.2f} before, {la:.2f} after ({d['cpus']} CPUs); "
               f"rounds: {d['repeat']}.\n")
    if d.get("rows"):
        out.append("| method | median s | min s | max s | CPU s | events/s | peak RSS MB | B/event "
                   "| × civic-score |")
        out.append("|---|---|---|---|---|---|---|---|---|")
        for r in d["rows"]:
            out.append(f"| {r['method']} | {r['median_s']:.3f} | {r['min_s']:.3f} | "
                       f"{r['max_s']:.3f} | {r['cpu_s']:.3f} | {r['events_per_s']:,.0f} | "
                       f"{r['peak_rss_mb']:.1f} | {fmt(r.get('peak_rss_bytes_per_event'), '.1f')} "
                       f"| {r['vs_ref']:.2f} |")
        out.append("")
    if d.get("pairs"):
        out.append("Paired runs, civic-score / baseline (below 1: civic-score is faster):\n")
        out.append("| baseline | pairs | wall ratio min | median | max | CPU ratio median | quiet "
                   "pairs | civic-score s (median) | baseline s (median) | other processes, "
                   "cores (median) |")
        out.append("|---|---|---|---|---|---|---|---|---|---|")
        for p in d["pairs"]:
            others = statistics.median(x[k]["others_cores"] for x in p["pairs"]
                                       for k in x if isinstance(x[k], dict))
            out.append(f"| {p['baseline']} | {len(p['pairs'])} | {p['ratio_wall_min']:.3f} | "
                       f"**{p['ratio_wall_median']:.3f}** | {p['ratio_wall_max']:.3f} | "
                       f"{p['ratio_cpu_median']:.3f} | {p['quiet_pairs']} | "
                       f"{p['civic_wall_median']:.3f} | {p['baseline_wall_median']:.3f} | "
                       f"{others:.2f} |")
        out.append("")
    pin = d.get("pinned")
    if pin:
        sys_part = pin.get("sys_s_median")
        out.append(f"Pinned (`taskset -c 0`, {len(pin['runs'])} runs): CPU per event "
                   f"{pin['ns_per_event_min']:.0f} / **{pin['ns_per_event_median']:.0f}** / "
                   f"{pin['ns_per_event_max']:.0f} ns (min / median / max), "
                   f"{pin['events_per_cpu_s'] / 1e6:.2f} M events per CPU-second"
                   + (f", of which system {sys_part / ev * 1e9:.0f} ns/event" if sys_part else "")
                   + f"; wall median {pin['wall_s_median']:.3f} s.\n")
    cg = d.get("callgrind")
    if cg and cg.get("methods"):
        parts = [f"{k} **{v['per_event']:,.0f}**" for k, v in cg["methods"].items()]
        extra = (f"; civic-score / mawk {cg['ratio_civic_mawk']:.3f}"
                 if cg.get("ratio_civic_mawk") else "")
        out.append(f"Callgrind on {cg['log']} ({cg['events']:,} events), instructions per "
                   f"event: {', '.join(parts)}{extra}.\n")
    return "\n".join(out)


def main(argv):
    if not argv:
        sys.exit(__doc__)
    for arg in argv:
        name, _, path = arg.rpartition("=")
        with open(path, encoding="utf-8") as f:
            d = json.load(f)
        print(one(name or path, d))


if __name__ == "__main__":
    main(sys.argv[1:])
