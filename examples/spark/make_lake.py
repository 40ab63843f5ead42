"""Writes a province's county jobs as a lake: one GeoParquet dataset per layer role, partitioned
by county code (`LAKE/ROLE/county=CODE/part-0.parquet`), as a provincial data lake holds them,
plus each county's targets table (`LAKE/targets/county=CODE/targets.csv`) and its period
(`LAKE/periods.json`).

    python examples/spark/make_lake.py PROVINCE.toml LAKE
"""

import argparse
import glob
import json
import shutil
import sys
from pathlib import Path

import geopandas as gpd

try:
    import tomllib
except ModuleNotFoundError:  # Python < 3.11
    import tomli as tomllib

ROLES = ["townships", "landuse", "landuse_previous", "basic_farmland", "approvals",
         "supplements", "changes"]


def county_jobs(province: Path) -> list:
    spec = tomllib.loads(province.read_text(encoding="utf-8"))
    jobs = []
    for pattern in spec["counties"]:
        jobs += sorted(glob.glob(str(province.parent / pattern)))
    return [Path(j) for j in dict.fromkeys(jobs)]


def county_code(job: Path, spec: dict) -> str:
    towns = gpd.read_file(job.parent / spec["layers"]["townships"]["path"])
    field = spec["layers"]["townships"].get("fields", {}).get("code", "XZQDM")
    codes = {str(c)[:6] for c in towns[field]}
    if len(codes) != 1:
        sys.exit(f"{job}: the townships' codes do not share one county code: {sorted(codes)}")
    return codes.pop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("province", type=Path)
    parser.add_argument("lake", type=Path)
    args = parser.parse_args()
    periods = {}
    for job in county_jobs(args.province):
        spec = tomllib.loads(job.read_text(encoding="utf-8"))
        code = county_code(job, spec)
        for role in ROLES:
            layer = spec["layers"].get(role)
            if layer is None:
                continue
            frame = gpd.read_file(job.parent / layer["path"])
            if frame.crs is None and "crs" in spec:
                frame = frame.set_crs(spec["crs"])
            part = args.lake / role / f"county={code}"
            part.mkdir(parents=True, exist_ok=True)
            frame.to_parquet(part / "part-0.parquet", geometry_encoding="WKB")
        if "targets" in spec:
            part = args.lake / "targets" / f"county={code}"
            part.mkdir(parents=True, exist_ok=True)
            shutil.copy(job.parent / spec["targets"]["path"], part / "targets.csv")
        periods[code] = {"name": spec.get("name", code), "period": spec.get("period")}
        print(f"{code}: {job}", file=sys.stderr)
    (args.lake / "periods.json").write_text(json.dumps(periods, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
