"""benches/peers on a small county: the three tools agree, and a disagreement is caught."""

import json
import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PEERS = os.path.join(ROOT, "benches", "peers")
sys.path.insert(0, PEERS)

import run  # noqa: E402


@pytest.fixture(scope="module")
def comparison(tmp_path_factory):
    work = tmp_path_factory.mktemp("peers")
    redline = os.environ.get("REDLINE", os.path.join(ROOT, "target", "debug", "redline"))
    out = work / "peers.json"
    done = subprocess.run(
        [sys.executable, os.path.join(PEERS, "run.py"), "--parcels", "3000", "--repeat", "1",
         "--work", str(work), "--redline", redline, "--json", str(out)],
        capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return work, json.loads(out.read_text()), done.stdout


def test_every_tool_agrees_and_is_measured(comparison):
    _, result, stdout = comparison
    assert result["disagreements"] == []
    assert [r["tool"] for r in result["results"]] == ["redline", "geopandas", "duckdb"]
    # The parcels the county's land-use file holds, counted here from the file itself.
    work, _, _ = comparison
    folder = next(work.glob("county-3000-*"))
    landuse = json.loads((folder / "landuse.geojson").read_text())
    features = len(landuse["features"])
    assert features > 1000
    for r in result["results"]:
        assert r["parcels"] == 3000 and r["parcels_read"] == features
        assert r["wall_s"] > 0 and r["peak_rss_mib"] > 10
        assert r["kib_per_parcel"] == pytest.approx(r["peak_rss_mib"] * 1024 / features)
        assert r["wall_us_per_parcel"] == pytest.approx(r["wall_s"] * 1e6 / features)
    assert "every tool agrees" in stdout
    assert "KiB/parcel" in stdout


def test_the_peers_numbers_are_the_reports(comparison):
    work, _, _ = comparison
    folder = next(work.glob("county-3000-*"))
    report = json.loads((folder / "redline-out" / "report.json").read_text())
    for tool in ("geopandas", "duckdb"):
        numbers = json.loads((folder / f"{tool}.json").read_text())
        county = sum(n["cultivated_net_m2"] for n in numbers.values())
        assert county == pytest.approx(report["county"]["landuse"]["cultivated_net_m2"], abs=0.05)
        illegal = sum(n["illegal_cultivated_m2"] for n in numbers.values())
        assert illegal == pytest.approx(report["county"]["violations"]["illegal_cultivated_m2"],
                                        abs=0.05)
        assert illegal > 0


def test_a_disagreement_is_reported():
    reference = {"1": {m: 1000.0 for m in run.METRICS}}
    close = {"1": {m: 1000.0004 for m in run.METRICS}}
    assert run.disagreements("x", close, reference) == []
    off = {"1": dict(reference["1"], pbf_area_m2=1000.01)}
    (line,) = run.disagreements("x", off, reference)
    assert "township 1 pbf_area_m2" in line
    assert run.disagreements("x", {"2": reference["1"]}, reference)
