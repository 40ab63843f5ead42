"""The `redline` Python package (python/, built by maturin): run_job equals the command line's
report.json, run() on GeoDataFrames and pyarrow Tables equals the job on the same files, output
layers come back GeoDataFrame-ready, errors raise RedlineError, and the engine releases the GIL.
Skipped where the package is not installed (.ci/run installs it: pip install ./python).
Run: REDLINE=target/debug/redline pytest tests/python
"""

import json
import os
import subprocess
import threading
import time
from pathlib import Path

import geopandas as gpd
import pyarrow as pa
import pytest

redline = pytest.importorskip("redline")

ROOT = Path(__file__).resolve().parents[2]
REDLINE = os.environ.get("REDLINE", str(ROOT / "target" / "debug" / "redline"))


@pytest.fixture(scope="module")
def county(tmp_path_factory):
    base = tmp_path_factory.mktemp("pkg")
    subprocess.run([REDLINE, "synth", "--parcels", "2000", "--townships", "3", "--seed", "5",
                    "--previous-vintage", "-o", base / "data"], check=True, capture_output=True)
    subprocess.run([REDLINE, "run", base / "data" / "job.toml", "--quiet", "-o", base / "cli"],
                   check=True, capture_output=True)
    return base


def without_job(report):
    report = dict(report)
    report.pop("job")
    report.pop("layers", None)
    return report


def test_run_job_is_the_command_line_report(county, tmp_path):
    report = redline.run_job(county / "data" / "job.toml")
    cli = json.loads((county / "cli" / "report.json").read_text())
    assert report == cli
    written = redline.run_job(county / "data" / "job.toml", tmp_path / "out", format="geoparquet")
    assert written == cli
    assert (tmp_path / "out" / "violations.parquet").exists()
    assert (tmp_path / "out" / "汇总表.xlsx").exists()


def test_run_on_tables_equals_the_job_on_files(county):
    data = county / "data"
    frames = {role: gpd.read_file(data / f"{role}.geojson")
              for role in ["townships", "landuse", "landuse_previous", "basic_farmland",
                           "supplements", "changes"]}
    # One layer as a plain pyarrow Table with WKB geometry (its CRS comes from the settings).
    approvals = gpd.read_file(data / "approvals.geojson")
    table = pa.table({**{c: approvals[c].to_numpy() for c in approvals.columns if c != "geometry"},
                      "geometry": approvals.geometry.to_wkb()})
    settings = {
        "name": "合成县 2025 年度 (seed 5)",
        "period": {"start": "2025-01-01", "end": "2025-12-31"},
        "crs": "EPSG:4529",
        "thresholds": {"interview_ratio": 0.10, "accountability_ratio": 0.15},
        "targets": data / "targets.csv",
    }
    # And one as native GeoArrow (its extension metadata carries the encoding and the CRS).
    changes = pa.table(frames.pop("changes").to_arrow(geometry_encoding="geoarrow"))
    assert changes.schema.field("geometry").metadata[b"ARROW:extension:name"].startswith(
        b"geoarrow.")
    report = redline.run({**frames, "approvals": table, "changes": changes}, settings)
    cli = json.loads((county / "cli" / "report.json").read_text())
    # The same numbers; file names in data issues differ (the layers were rewritten).
    assert report["county"] == cli["county"]
    assert report["townships"] == cli["townships"]
    assert report["patches"] == cli["patches"]
    violations = report["layers"]["violations"]
    assert isinstance(violations, pa.Table)
    frame = gpd.GeoDataFrame.from_arrow(violations)
    assert frame.crs.to_epsg() == 4529
    written = gpd.read_file(county / "cli" / "violations.geojson")
    assert len(frame) == len(written) > 0
    assert list(frame["patch"]) == list(written["patch"])
    assert abs(frame["illegal_m2"].sum() - written["illegal_m2"].sum()) < 1e-6
    # The same polygons: GEOS areas in the working CRS against the lon/lat file's, reprojected.
    assert abs(frame.area.sum() - written.to_crs(4529).area.sum()) < 1e-6 * frame.area.sum()
    assert "uncovered_construction" in report["layers"]


def test_errors_raise_redline_error(county, tmp_path):
    with pytest.raises(redline.RedlineError) as e:
        redline.run_job(tmp_path / "nowhere.toml")
    assert "nowhere.toml" in str(e.value)
    assert e.value.issues == []
    bad = county / "data" / "bad.toml"
    bad.write_text((county / "data" / "job.toml").read_text().replace(
        'path = "landuse.geojson"', 'path = "missing.geojson"'))
    with pytest.raises(redline.RedlineError, match="layers.landuse.path"):
        redline.run_job(bad)
    with pytest.raises(redline.RedlineError, match="unknown layer roles"):
        redline.run({"parcels": None}, {})


def test_the_engine_releases_the_gil(county):
    ticks = []
    done = threading.Event()

    def tick():
        while not done.is_set():
            ticks.append(time.perf_counter())
            time.sleep(0.005)

    thread = threading.Thread(target=tick)
    thread.start()
    started = time.perf_counter()
    redline.run_job(county / "data" / "job.toml")
    elapsed = time.perf_counter() - started
    done.set()
    thread.join()
    during = [t for t in ticks if started <= t <= started + elapsed]
    # A thread that held the GIL for the whole run would leave no tick inside it.
    assert elapsed > 0.05 and len(during) >= 5, (elapsed, len(during))
