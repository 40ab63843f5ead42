"""benches/formats.py: the same county as GeoJSON and GeoParquet, measured side by side."""

import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_both_formats_are_measured_and_the_read_parts_add_up(tmp_path):
    redline = os.environ.get("REDLINE", os.path.join(ROOT, "target", "debug", "redline"))
    for fmt in ("geojson", "geoparquet"):
        subprocess.run([redline, "synth", "--parcels", "2000", "--seed", "3", "--format", fmt,
                        "-o", str(tmp_path / fmt)], capture_output=True, check=True)
    done = subprocess.run(
        [sys.executable, os.path.join(ROOT, "benches", "formats.py"), str(tmp_path / "geojson"),
         str(tmp_path / "geoparquet"), "--repeat", "1", "--redline", redline],
        capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    rows = {m[1]: (float(m[2]), float(m[3]))
            for m in re.finditer(r"^(\w+)\s+([\d.]+)\s+([\d.]+)\s+[\d.]+×$", done.stdout, re.M)}
    assert list(rows) == ["info", "layers", "preflight", "read", "overlay", "total"]
    for a, b in rows.values():
        assert a >= 0 and b >= 0
    for k in (0, 1):
        # Printed to the hundredth: the two parts make the read.
        assert abs(rows["layers"][k] + rows["preflight"][k] - rows["read"][k]) <= 0.015
        assert rows["read"][k] <= rows["total"][k]
