#!/usr/bin/env python3
"""The same county read from two formats: `redline info` on the land-use layer and `redline run`
on each job, alternating, medians of timings.json (read and its two parts, overlay, total).

    python3 benches/formats.py DIR_A DIR_B [--repeat 3] [--redline target/release/redline]

Each DIR holds a job.toml and its layers (`redline synth --format geojson|geoparquet ...`); the
land-use file is found by name (landuse.*).
"""

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

KEYS = ("info", "layers", "preflight", "read", "overlay", "total")


def landuse(folder: Path) -> Path:
    found = sorted(folder.glob("landuse.*"))
    if not found:
        sys.exit(f"{folder}: no landuse.* file")
    return found[0]


def measure(redline: str, folder: Path, out: Path) -> dict:
    started = time.perf_counter()
    subprocess.run([redline, "info", str(landuse(folder))], capture_output=True, check=True)
    info = time.perf_counter() - started
    # Exit 1 is a run that finished with data issues: its timings are complete.
    done = subprocess.run([redline, "run", str(folder / "job.toml"), "-o", str(out), "--quiet"],
                          capture_output=True)
    if done.returncode not in (0, 1):
        sys.exit(f"{folder}: redline run failed:\n{done.stderr.decode()}")
    t = json.loads((out / "timings.json").read_text())
    return {"info": info, "layers": t["read_stage_s"]["layers"],
            "preflight": t["read_stage_s"]["preflight"], "read": t["read_s"],
            "overlay": t["overlay_s"], "total": t["total_s"]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("a", type=Path)
    ap.add_argument("b", type=Path)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--redline", default="target/release/redline")
    args = ap.parse_args()
    runs = {args.a: [], args.b: []}
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(args.repeat):
            for folder in runs:
                out = Path(tmp) / f"{folder.name}-{i}"
                runs[folder].append(measure(args.redline, folder, out))
    med = {f: {k: statistics.median(r[k] for r in rs) for k in KEYS} for f, rs in runs.items()}
    print(f"seconds, medians of {args.repeat}: A = {args.a}, B = {args.b}")
    print(f"{'':<10} {'A':>8} {'B':>8} {'A ÷ B':>7}")
    for k in KEYS:
        a, b = med[args.a][k], med[args.b][k]
        print(f"{k:<10} {a:>8.2f} {b:>8.2f} {a / b if b else float('nan'):>6.2f}×")


if __name__ == "__main__":
    main()
