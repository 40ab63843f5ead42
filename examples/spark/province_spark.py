"""A province on Apache Spark: the county job of the `redline` Python package run per county
with `groupBy("county").applyInArrow`, the county rows reduced to the province total.

The lake (see make_lake.py) holds every layer role as GeoParquet partitioned by county code.
Spark lists the counties from the townships dataset and hands each county's key to one task;
the task reads that county's partitions of every role (pyarrow, from the same lake path: a
shared file system or an object store), runs `redline.run` with the GIL released, and returns
one row: the county's metrics as report.json's county object (JSON) and its headline numbers as
columns. The driver sums the columns into the province row, as `redline run PROVINCE.toml` does.

    python examples/spark/province_spark.py LAKE --master local[2] --out province.json
"""

import argparse
import json
import os
import sys
from pathlib import Path

import pyarrow as pa

ROLES = ["townships", "landuse", "landuse_previous", "basic_farmland", "approvals",
         "supplements", "changes"]

#: The headline numbers each county row carries as columns (report.json pointers).
NUMBERS = {
    "total_m2": ("landuse", "total_m2"),
    "cultivated_net_m2": ("landuse", "cultivated_net_m2"),
    "pbf_area_m2": ("basic_farmland", "pbf_area_m2"),
    "debit_quantity_m2": ("balance", "debit", "quantity_m2"),
    "credit_quantity_m2": ("balance", "credit", "quantity_m2"),
    "new_construction_cultivated_m2": ("violations", "new_construction_cultivated_m2"),
    "illegal_cultivated_m2": ("violations", "illegal_cultivated_m2"),
}

SCHEMA = ", ".join(
    ["county string", "name string", "data_issues long", "metrics string"]
    + [f"{k} double" for k in NUMBERS]
)


def pointer(value, path):
    for key in path:
        if value is None:
            return None
        value = value[key]
    return value


def county_task(lake: str, periods: dict):
    """The function each task runs: one county's key → one row."""

    def run(key, _rows: pa.Table) -> pa.Table:
        import geopandas as gpd
        import redline

        (code,) = key
        code = code.as_py() if hasattr(code, "as_py") else str(code)
        layers = {}
        for role in ROLES:
            part = Path(lake) / role / f"county={code}"
            if part.exists():
                layers[role] = gpd.read_parquet(part)
        settings = {"name": periods[code]["name"]}
        if periods[code].get("period"):
            settings["period"] = periods[code]["period"]
        targets = Path(lake) / "targets" / f"county={code}" / "targets.csv"
        if targets.exists():
            settings["targets"] = str(targets)
        report = redline.run(layers, settings)
        county = report["county"]
        row = {
            "county": [code],
            "name": [county["name"]],
            "data_issues": [len(report["data_issues"])],
            "metrics": [json.dumps(county, ensure_ascii=False, sort_keys=True)],
        }
        for column, path in NUMBERS.items():
            value = pointer(county, path)
            row[column] = [None if value is None else float(value)]
        return pa.table(row)

    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("lake")
    parser.add_argument("--master", default="local[*]")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()

    from pyspark.sql import SparkSession, functions as F

    # Local mode: the workers use this interpreter (the one with redline installed). On a
    # cluster, PYSPARK_PYTHON names the shipped environment's (see README.md).
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    spark = (SparkSession.builder.master(args.master).appName("redline-province")
             .config("spark.sql.execution.arrow.pyspark.enabled", "true")
             .getOrCreate())
    periods = json.loads((Path(args.lake) / "periods.json").read_text(encoding="utf-8"))
    # The counties, from the partition column of the townships dataset (no geometry read).
    counties = (spark.read.parquet(str(Path(args.lake) / "townships"))
                .select(F.col("county").cast("string").alias("county")).distinct()
                .repartition("county"))
    rows = counties.groupBy("county").applyInArrow(county_task(args.lake, periods), SCHEMA)
    rows = rows.cache()
    totals = rows.agg(*[F.sum(c).alias(c) for c in NUMBERS],
                      F.sum("data_issues").alias("data_issues")).collect()[0].asDict()
    counties_out = {r["county"]: json.loads(r["metrics"]) for r in rows.collect()}
    totals["illegal_ratio"] = (totals["illegal_cultivated_m2"] / totals["new_construction_cultivated_m2"]
                               if totals["new_construction_cultivated_m2"] else 0.0)
    args.out.write_text(json.dumps({"counties": counties_out, "total": totals},
                                   ensure_ascii=False, indent=1, sort_keys=True))
    spark.stop()


if __name__ == "__main__":
    main()
