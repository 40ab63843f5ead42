"""What the peer scripts share: the job file, the land-class rules and the output format.

The core work every tool does (benches/peers/README.md): planar areas; per township the net
cultivated area, the basic farmland, basic farmland ∩ cultivated (net) and the illegal cultivated
area of the change patches (docs/metrics.md §5.1, §5.2, §5.4).
"""

import json
import os
import re
import sys
import tomllib

# docs/metrics.md §2: the construction (J) codes of the 三调 classification.
CONSTRUCTION = re.compile(r"^(05|06|07|08|09|100[1-5]|100[7-9]|1109|1201)|^1107A$")
CULTIVATED = ("0101", "0102", "0103")
LEGAL_KINDS = ("conversion", "supply", "early_use")
OTHER_KINDS = ("temporary", "facility_agri")
METRICS = ("cultivated_net_m2", "pbf_area_m2", "pbf_cultivated_m2", "illegal_cultivated_m2")


def is_construction(code):
    return bool(code) and CONSTRUCTION.match(code.strip()) is not None


class Job:
    """The parts of a redline job file the peers need: layer paths, period, approval kinds."""

    def __init__(self, path):
        with open(path, "rb") as f:
            job = tomllib.load(f)
        folder = os.path.dirname(os.path.abspath(path))
        self.layers = {k: os.path.join(folder, v["path"]) for k, v in job["layers"].items()}
        self.start, self.end = job["period"]["start"], job["period"]["end"]
        self.kinds = job["layers"]["approvals"].get("kinds", {})
        self.min_illegal = job.get("thresholds", {}).get("min_illegal_m2", 1.0)


def job_from_argv():
    if len(sys.argv) != 2:
        sys.exit(f"usage: {sys.argv[0]} JOB.toml  (prints the per-township numbers as JSON)")
    return Job(sys.argv[1])


def verdict_counts(new_land, illegal, legal, other, observed_not_construction, minimum):
    """docs/metrics.md §5.4: does the patch count as construction (legal, illegal, partial)?"""
    if new_land < minimum or observed_not_construction:
        return False
    if illegal < minimum:
        return legal >= other
    return True


def emit(rows):
    """rows: township code -> {metric: m²}; printed as one JSON object on stdout."""
    out = {code: {m: float(v.get(m, 0.0)) for m in METRICS} for code, v in sorted(rows.items())}
    json.dump(out, sys.stdout, ensure_ascii=False, indent=1)
    print()
