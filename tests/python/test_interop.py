"""redline's GeoParquet and FlatGeobuf read and written by independent tools.

GeoPandas (pyogrio/GDAL, pyarrow) and DuckDB-spatial read redline's output layers in every
format and agree on counts, CRS, field types and areas; GeoPandas writes the input layers as
GeoParquet (WKB and native GeoArrow) and FlatGeobuf, and redline's report from them equals the
report from the GeoJSON originals. Run: REDLINE=target/debug/redline pytest tests/python
"""

import glob
import json
import os
import shutil
import subprocess
from pathlib import Path

import duckdb
import geopandas as gpd
import pytest

ROOT = Path(__file__).resolve().parents[2]
REDLINE = os.environ.get("REDLINE", str(ROOT / "target" / "debug" / "redline"))
LAYERS = ["townships", "landuse", "landuse_previous", "basic_farmland", "approvals",
          "supplements", "changes"]
OUTPUTS = ["townships", "violations", "pbf_loss", "uncovered_construction"]
EXT = {"geojson": "geojson", "geoparquet": "parquet", "fgb": "fgb"}


def redline(*args, expect=0):
    done = subprocess.run([REDLINE, *map(str, args)], capture_output=True, text=True)
    assert done.returncode == expect, done.stderr
    return done


@pytest.fixture(scope="module")
def county(tmp_path_factory):
    """A synthetic county as GeoJSON (two vintages), run once per output format."""
    base = tmp_path_factory.mktemp("county")
    redline("synth", "--parcels", "3000", "--townships", "4", "--seed", "11", "--previous-vintage",
            "-o", base / "data")
    for fmt in EXT:
        redline("run", base / "data" / "job.toml", "--quiet", "--format", fmt, "-o", base / fmt)
    return base


def read(path):
    return gpd.read_parquet(path) if path.suffix == ".parquet" else gpd.read_file(path)


@pytest.mark.parametrize("layer", OUTPUTS)
def test_outputs_read_back_in_geopandas_with_the_same_counts_crs_types_and_areas(county, layer):
    frames = {fmt: read(county / fmt / f"{layer}.{ext}") for fmt, ext in EXT.items()}
    assert frames["geojson"].crs.to_epsg() == 4326
    assert frames["geoparquet"].crs.to_epsg() == 4529
    assert frames["fgb"].crs.to_epsg() == 4529
    counts = {fmt: len(f) for fmt, f in frames.items()}
    assert len(set(counts.values())) == 1 and counts["geojson"] > 0, counts
    areas = {fmt: f.to_crs(4529).area.sum() for fmt, f in frames.items()}
    ref = areas["geoparquet"]
    for fmt, area in areas.items():
        # GeoJSON went through lon/lat with 1e-10° (≈10 µm) coordinates.
        assert abs(area - ref) <= 1e-6 * ref, (fmt, area, ref)
    for fmt, frame in frames.items():
        assert frame.is_valid.all(), fmt
        numbers = [c for c in frame.columns if c.endswith("_m2")]
        assert numbers, fmt
        for c in numbers:
            assert frame[c].dtype.kind == "f", (fmt, c, frame[c].dtype)
    if layer == "townships":
        for fmt, frame in frames.items():
            assert frame["interview"].dtype == bool, (fmt, frame["interview"].dtype)
            assert sorted(frame["code"]) == sorted(frames["geojson"]["code"]), fmt
    # The areas the layer reports of itself (ellipsoidal) against GEOS's planar ones.
    own = {"violations": "illegal_m2", "pbf_loss": "area_m2",
           "uncovered_construction": "area_m2"}.get(layer)
    if own:
        reported = frames["geoparquet"][own].sum()
        assert abs(reported - ref) <= 1e-3 * ref, (reported, ref)


def duckdb_spatial():
    (ext,) = glob.glob(
        os.path.join(os.path.dirname(__import__("duckdb_extension_spatial").__file__),
                     "extensions", "*", "spatial.duckdb_extension"))
    con = duckdb.connect(config={"allow_unsigned_extensions": "true"})
    con.execute(f"LOAD '{ext}'")
    return con


@pytest.mark.parametrize("layer", OUTPUTS)
def test_outputs_read_back_in_duckdb_with_the_same_counts_and_areas(county, layer):
    con = duckdb_spatial()
    parquet = county / "geoparquet" / f"{layer}.parquet"
    fgb = county / "fgb" / f"{layer}.fgb"
    n_pq, area_pq = con.execute(f"SELECT count(*), sum(ST_Area(geometry)) FROM '{parquet}'").fetchone()
    n_fgb, area_fgb = con.execute(f"SELECT count(*), sum(ST_Area(geom)) FROM ST_Read('{fgb}')").fetchone()
    (crs,) = con.execute(f"SELECT typeof(geometry) FROM '{parquet}' LIMIT 1").fetchone() if n_pq else ("",)
    gp = read(parquet)
    assert n_pq == n_fgb == len(gp)
    assert abs(area_pq - gp.area.sum()) <= 1e-9 * max(1.0, area_pq)
    assert abs(area_fgb - area_pq) <= 1e-9 * max(1.0, area_pq)
    if n_pq:
        assert "4529" in crs, crs


def numbers(report):
    report = dict(report)
    report.pop("job")
    return report


@pytest.mark.parametrize("fmt", ["parquet-wkb", "parquet-geoarrow", "fgb"])
def test_layers_written_by_geopandas_give_the_geojson_numbers(county, tmp_path, fmt):
    data = tmp_path / "data"
    shutil.copytree(county / "data", data)
    job = (data / "job.toml").read_text()
    ext = "fgb" if fmt == "fgb" else "parquet"
    for layer in LAYERS:
        frame = gpd.read_file(data / f"{layer}.geojson")
        target = data / f"{layer}.{ext}"
        if fmt == "fgb":
            frame.to_file(target, driver="FlatGeobuf")
        else:
            frame.to_parquet(target, geometry_encoding="geoarrow" if fmt.endswith("geoarrow") else "WKB")
        job = job.replace(f"{layer}.geojson", f"{layer}.{ext}")
    (data / "job.toml").write_text(job)
    redline("run", data / "job.toml", "--quiet", "-o", tmp_path / "out")
    ours = json.loads((tmp_path / "out" / "report.json").read_text())
    original = json.loads((county / "geojson" / "report.json").read_text())
    assert numbers(ours) == numbers(original)
