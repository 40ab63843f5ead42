"""examples/spark on local[2]: a synthetic 3-county province made into a lake, run per county by
Spark with the redline package, equals `redline run PROVINCE.toml` — every county row and the
province total. Skipped without PySpark, Java or the redline package (.ci/run installs them).
Run: REDLINE=target/debug/redline pytest tests/python
"""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("pyspark")
pytest.importorskip("redline")
if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
    pytest.skip("no Java for Spark", allow_module_level=True)

ROOT = Path(__file__).resolve().parents[2]
REDLINE = os.environ.get("REDLINE", str(ROOT / "target" / "debug" / "redline"))
SPARK = ROOT / "examples" / "spark"


def test_spark_equals_the_province_command(tmp_path):
    for k, code in enumerate(["220821", "220822", "220823"]):
        subprocess.run([REDLINE, "synth", "-o", tmp_path / "p" / code, "--parcels", "1500",
                        "--townships", "3", "--seed", str(40 + k), "--county-code", code,
                        "--previous-vintage"], check=True, capture_output=True)
    (tmp_path / "p" / "province.toml").write_text(
        'name = "合成省"\noutput = "out"\ncounties = ["*/job.toml"]\n', encoding="utf-8")
    done = subprocess.run([REDLINE, "run", tmp_path / "p" / "province.toml", "--quiet"],
                          capture_output=True, text=True)
    assert done.returncode in (0, 1), done.stderr
    province = json.loads((tmp_path / "p" / "out" / "report.json").read_text())

    subprocess.run([sys.executable, SPARK / "make_lake.py", tmp_path / "p" / "province.toml",
                    tmp_path / "lake"], check=True, capture_output=True)
    spark = subprocess.run([sys.executable, SPARK / "province_spark.py", tmp_path / "lake",
                            "--master", "local[2]", "--out", tmp_path / "spark.json"],
                           capture_output=True, text=True, timeout=600)
    assert spark.returncode == 0, spark.stderr[-3000:]
    result = json.loads((tmp_path / "spark.json").read_text())

    rows = {c["folder"]: c["metrics"] for c in province["counties"]}
    assert sorted(result["counties"]) == sorted(rows) == ["220821", "220822", "220823"]
    for code, metrics in result["counties"].items():
        ours = dict(rows[code])
        # Province rows carry every class any county has; a county alone only its own.
        ours["landuse"] = dict(ours["landuse"])
        ours["landuse"]["by_class"] = {k: v for k, v in ours["landuse"]["by_class"].items()
                                       if k in metrics["landuse"]["by_class"] or v != 0}
        assert metrics == ours, code
    total = province["total"]
    for column, path in [("cultivated_net_m2", ["landuse", "cultivated_net_m2"]),
                         ("total_m2", ["landuse", "total_m2"]),
                         ("pbf_area_m2", ["basic_farmland", "pbf_area_m2"]),
                         ("debit_quantity_m2", ["balance", "debit", "quantity_m2"]),
                         ("illegal_cultivated_m2", ["violations", "illegal_cultivated_m2"])]:
        value = total
        for key in path:
            value = value[key]
        assert abs(result["total"][column] - value) <= 0.01 * 3, column
    assert abs(result["total"]["illegal_ratio"] - total["violations"]["illegal_ratio"]) < 1e-6
