"""redline against GeoPandas and DuckDB-spatial on the same synthetic counties.

For each size: `redline synth` makes the county (once, kept in --work), a copy of its job with
`area = "planar"` is what every tool runs; then, --repeat times, redline (the full job: all four
families and every output), the GeoPandas script and the DuckDB script run one after another
(interleaved, one tool at a time). Each run's wall time, CPU time (user + system, children
included) and peak RSS come from wait4(2). Every tool's per-township numbers must agree with
redline's report.json (1e-6 relative, or 0.005 m², the report's rounding): a disagreement fails
the run (exit 1). Prints the medians, the ratios to redline, and the wall time and peak memory per
parcel (the parcels redline read: its timings.json); --json writes them.

    python benches/peers/run.py --parcels 100000 1000000 --repeat 3
"""

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
from common import METRICS  # noqa: E402

TOOLS = ("redline", "geopandas", "duckdb")
REPORT_KEYS = {  # where report.json keeps each metric of a township
    "cultivated_net_m2": "landuse",
    "pbf_area_m2": "basic_farmland",
    "pbf_cultivated_m2": "basic_farmland",
    "illegal_cultivated_m2": "violations",
}


def measure(argv, stdout, allowed=(0,)):
    """Runs argv; returns (wall s, CPU s, peak RSS MiB) from wait4; exits on a failure."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=stdout, cwd=HERE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    # wait4 reaped the child: tell Popen, or it would wait for it again.
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode not in allowed:
        raise SystemExit(f"{' '.join(argv)} failed with exit code {proc.returncode}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def county(args, parcels):
    """The synthetic county of this size (made once) and its planar job file."""
    folder = os.path.join(args.work, f"county-{parcels}-seed{args.seed}-{args.format}")
    job = os.path.join(folder, "job.toml")
    if not os.path.exists(job):
        shutil.rmtree(folder, ignore_errors=True)
        subprocess.run([args.redline, "synth", "--parcels", str(parcels), "--seed",
                        str(args.seed), "--format", args.format, "-o", folder],
                       check=True, stdout=subprocess.DEVNULL)
    planar = os.path.join(folder, "job_planar.toml")
    with open(job, encoding="utf-8") as f:
        text = re.sub(r'(?m)^area\s*=.*$', 'area = "planar"', f.read())
    with open(planar, "w", encoding="utf-8") as f:
        f.write(text)
    return folder, planar


def run_tool(args, tool, folder, job):
    """One run of one tool: its measurements and its per-township numbers."""
    if tool == "redline":
        out = os.path.join(folder, "redline-out")
        argv = [args.redline, "run", job, "--quiet", "--force", "-o", out]
        # Exit 1 is a finished run with data issues (synthetic counties can have overlapping
        # approvals); report.json is complete then.
        cost = measure(argv, subprocess.DEVNULL, allowed=(0, 1))
        with open(os.path.join(out, "report.json"), encoding="utf-8") as f:
            report = json.load(f)
        numbers = {t["code"]: {m: t[REPORT_KEYS[m]][m] for m in METRICS}
                   for t in report["townships"]}
        return cost, numbers
    path = os.path.join(folder, f"{tool}.json")
    with open(path, "w", encoding="utf-8") as f:
        cost = measure([sys.executable, os.path.join(HERE, f"{tool}_core.py"), job], f)
    with open(path, encoding="utf-8") as f:
        return cost, json.load(f)


def parcels_read(folder):
    """How many land-use parcels redline's last run of this county read (its timings.json)."""
    with open(os.path.join(folder, "redline-out", "timings.json"), encoding="utf-8") as f:
        return json.load(f)["parcels"]


def disagreements(tool, numbers, reference):
    """Every township metric where `numbers` and redline's differ beyond the tolerance."""
    bad = []
    if set(numbers) != set(reference):
        return [f"{tool}: townships {sorted(numbers)} != redline's {sorted(reference)}"]
    for code, ref in reference.items():
        for m in METRICS:
            a, b = numbers[code][m], ref[m]
            if abs(a - b) > max(1e-6 * abs(b), 0.005):
                bad.append(f"{tool}: township {code} {m} = {a:.4f}, redline {b:.2f}")
    return bad


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--parcels", type=int, nargs="+", default=[100_000, 1_000_000])
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--tools", nargs="+", choices=TOOLS, default=list(TOOLS))
    p.add_argument("--format", choices=("geojson", "geoparquet"), default="geojson")
    p.add_argument("--work", default=os.path.join(ROOT, "target", "peers"))
    p.add_argument("--redline", default=os.path.join(ROOT, "target", "release", "redline"))
    p.add_argument("--json", help="write the medians and ratios to this file")
    args = p.parse_args()
    if not os.path.exists(args.redline):
        sys.exit(f"{args.redline} not found: build it first (cargo build --release)")
    tools = ["redline"] + [t for t in args.tools if t != "redline"]
    results, failures = [], []
    for parcels in args.parcels:
        folder, job = county(args, parcels)
        runs = {t: [] for t in tools}
        for rep in range(args.repeat):
            reference = None
            for tool in tools:
                cost, numbers = run_tool(args, tool, folder, job)
                runs[tool].append(cost)
                print(f"  {parcels:>9} {tool:<10} run {rep + 1}: {cost[0]:7.2f} s wall "
                      f"{cost[1]:7.2f} s CPU {cost[2]:7.0f} MiB", file=sys.stderr)
                reference = reference or numbers
                failures += disagreements(tool, numbers, reference)
        base = statistics.median(w for w, _, _ in runs["redline"])
        read = parcels_read(folder)
        for tool in tools:
            wall, cpu, rss = (statistics.median(c[k] for c in runs[tool]) for k in range(3))
            results.append({"parcels": parcels, "parcels_read": read, "tool": tool,
                            "wall_s": wall, "cpu_s": cpu, "peak_rss_mib": rss,
                            "wall_vs_redline": wall / base,
                            "wall_us_per_parcel": wall * 1e6 / read,
                            "kib_per_parcel": rss * 1024 / read})
    print(f"{'parcels':>9}  {'tool':<10} {'wall s':>8} {'CPU s':>8} {'peak RSS MiB':>13} "
          f"{'× redline':>10} {'µs/parcel':>10} {'KiB/parcel':>11}   "
          f"(medians of {args.repeat}, {os.cpu_count()} cores)")
    for r in results:
        print(f"{r['parcels_read']:>9}  {r['tool']:<10} {r['wall_s']:>8.2f} {r['cpu_s']:>8.2f} "
              f"{r['peak_rss_mib']:>13.0f} {r['wall_vs_redline']:>10.1f} "
              f"{r['wall_us_per_parcel']:>10.2f} {r['kib_per_parcel']:>11.3f}")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump({"repeat": args.repeat, "cores": os.cpu_count(), "format": args.format,
                       "results": results, "disagreements": failures}, f, indent=1)
    if failures:
        print("\n".join(["numbers disagree:"] + failures), file=sys.stderr)
        sys.exit(1)
    print("every tool agrees with redline on every township "
          "(cultivated net, PBF, PBF ∩ cultivated, illegal cultivated; 1e-6 relative)")


if __name__ == "__main__":
    main()
