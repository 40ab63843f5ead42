"""redline from Python: the farmland-redline (耕地红线) overlay engine of a county.

    import redline
    report = redline.run_job("data/demo/job.toml")              # report.json as a dict
    report = redline.run_job("data/demo/job.toml", output="out")  # and every output written

    report = redline.run(
        {"townships": towns_gdf, "landuse": dltb_gdf, "changes": changes_table},
        {"name": "县 2025", "period": {"start": "2025-01-01", "end": "2025-12-31"},
         "crs": "EPSG:4529"},
    )
    report["county"]["landuse"]["cultivated_net_m2"]
    report["layers"]["violations"]        # a pyarrow Table with a WKB `geometry` column

The engine runs with the GIL released. A job that cannot run raises `RedlineError`; data issues
of a job that ran are in `report["data_issues"]` (the exit code 1 of the command line).
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any, Mapping, Optional, Union

from ._redline import EngineError as _EngineError
from ._redline import __version__
from ._redline import run_job as _run_job

__all__ = ["run_job", "run", "RedlineError", "ROLES", "__version__"]

#: The layer roles a job reads (only townships and landuse are required).
ROLES = (
    "townships",
    "landuse",
    "landuse_previous",
    "basic_farmland",
    "approvals",
    "supplements",
    "changes",
)

#: The output layers a run returns (uncovered_construction only with landuse_previous).
OUTPUT_LAYERS = ("townships", "violations", "pbf_loss", "uncovered_construction")


class RedlineError(Exception):
    """A job that could not run. `issues` holds the data issues found before it stopped (as
    report.json lists them), and `str(error)` the error, naming file, layer, feature and field."""

    def __init__(self, message: str, issues: Optional[list] = None):
        super().__init__(message)
        self.issues = issues or []


def run_job(path: Union[str, os.PathLike], output: Union[str, os.PathLike, None] = None,
            *, format: str = "geojson", lang: str = "zh") -> dict:
    """Runs a job file (TOML, as `redline run` takes it) and returns report.json as a dict.
    With `output`, writes every output into that folder (`format`: geojson, geoparquet, fgb)."""
    try:
        text = _run_job(str(path), None if output is None else str(output), format, lang)
    except _EngineError as e:
        raise RedlineError(str(e)) from None
    return json.loads(text)


def run(layers: Mapping[str, Any], settings: Mapping[str, Any]) -> dict:
    """Runs a county given as tables: `layers` maps roles (see `ROLES`) to GeoDataFrames or
    pyarrow Tables with a WKB `geometry` column (and, for GeoParquet's sake, the CRS in the
    settings when a table carries none); `settings` holds what a job file holds (`name`,
    `period`, `crs`, `area`, `thresholds`, `capacity`, `classes`, `change`, per role `fields`,
    and `targets`: a CSV path, a DataFrame or a mapping code → targets). Returns report.json as a dict, plus `layers`: the output layers as pyarrow Tables
    with WKB geometry in the working CRS (GeoDataFrame-ready: `geopandas.GeoDataFrame.from_arrow`).
    """
    unknown = sorted(set(layers) - set(ROLES))
    if unknown:
        raise RedlineError(f"unknown layer roles {unknown}: the roles are {list(ROLES)}")
    with tempfile.TemporaryDirectory(prefix="redline-") as tmp:
        folder = Path(tmp)
        job = {k: v for k, v in settings.items() if k not in ("fields", "output", "targets")}
        job["output"] = "out"
        if settings.get("targets") is not None:
            _write_targets(settings["targets"], folder / "targets.csv")
            job["targets"] = {"path": "targets.csv"}
        job["layers"] = {}
        fields = settings.get("fields", {})
        for role, table in layers.items():
            path = folder / f"{role}.parquet"
            _write_geoparquet(table, path)
            spec = {"path": path.name}
            if role in fields:
                spec["fields"] = dict(fields[role])
            job["layers"][role] = spec
        (folder / "job.toml").write_text(_toml(job), encoding="utf-8")
        report = run_job(folder / "job.toml", folder / "out", format="geoparquet")
        report["layers"] = {
            name: _geoarrow(folder / "out" / f"{name}.parquet")
            for name in OUTPUT_LAYERS
            if (folder / "out" / f"{name}.parquet").exists()
        }
        return report


def _geoarrow(path: Path) -> Any:
    """A GeoParquet layer as a pyarrow Table whose `geometry` field is marked GeoArrow WKB with
    its CRS (so `geopandas.GeoDataFrame.from_arrow` takes it as it is)."""
    import pyarrow.parquet as pq

    table = pq.read_table(path)
    # The `geo` key of the file's key-value metadata (pyarrow's schema carries only its own).
    geo = json.loads((pq.read_metadata(path).metadata or {}).get(b"geo", b"{}"))
    crs = geo.get("columns", {}).get("geometry", {}).get("crs")
    index = table.schema.get_field_index("geometry")
    field = table.schema.field(index).with_metadata({
        b"ARROW:extension:name": b"geoarrow.wkb",
        b"ARROW:extension:metadata": json.dumps({"crs": crs} if crs else {}).encode(),
    })
    return table.set_column(index, field, table.column(index))


def _write_targets(targets: Any, path: Path) -> None:
    """The targets table (see the job file's `[targets]`): a CSV file's path, a DataFrame, or a
    mapping of township code to {"cultivated_target_m2": …, "pbf_target_m2": …}."""
    if isinstance(targets, (str, os.PathLike)):
        path.write_bytes(Path(targets).read_bytes())
    elif hasattr(targets, "to_csv"):
        targets.to_csv(path, index=False)
    elif isinstance(targets, Mapping):
        columns = sorted({c for row in targets.values() for c in row})
        rows = [",".join(["code", *columns])]
        rows += [",".join([str(code), *(str(row.get(c, "")) for c in columns)])
                 for code, row in targets.items()]
        path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    else:
        raise RedlineError(f"targets: a CSV path, a DataFrame or a mapping, not {type(targets)}")


def _write_geoparquet(table: Any, path: Path) -> None:
    """A GeoDataFrame through GeoPandas (CRS as PROJJSON); a pyarrow Table with a `geometry`
    column of WKB or native GeoArrow polygons (its GeoArrow extension metadata, when present,
    gives the encoding and CRS; else WKB with an unknown CRS, so that the job's `crs` applies)
    with the GeoParquet metadata that says so."""
    if hasattr(table, "to_parquet") and hasattr(table, "geometry"):
        table.to_parquet(path, geometry_encoding="WKB")
        return
    import pyarrow as pa
    import pyarrow.parquet as pq

    if not isinstance(table, pa.Table):
        raise RedlineError(f"{path.stem}: a GeoDataFrame or a pyarrow Table, not {type(table)}")
    if "geometry" not in table.column_names:
        raise RedlineError(f"{path.stem}: the table has no `geometry` column (WKB or GeoArrow)")
    name, extension = _extension(table.schema.field("geometry"))
    encoding = {"geoarrow.polygon": "polygon", "geoarrow.multipolygon": "multipolygon"}.get(
        name, "WKB")
    crs = extension.get("crs")
    if isinstance(crs, str):
        try:
            crs = json.loads(crs)
        except ValueError:
            pass  # a CRS string other than PROJJSON: the reader says what it makes of it
    geo = {
        "version": "1.1.0",
        "primary_column": "geometry",
        "columns": {"geometry": {"encoding": encoding, "geometry_types": [], "crs": crs}},
    }
    metadata = dict(table.schema.metadata or {})
    metadata.setdefault(b"geo", json.dumps(geo).encode())
    pq.write_table(table.replace_schema_metadata(metadata), path)


def _extension(field: Any) -> tuple:
    """A field's GeoArrow extension name and metadata, from its extension type or its field
    metadata (`ARROW:extension:*`)."""
    import pyarrow as pa

    if isinstance(field.type, pa.ExtensionType):
        raw = field.type.__arrow_ext_serialize__()
        return field.type.extension_name, json.loads(raw or b"{}")
    meta = field.metadata or {}
    name = meta.get(b"ARROW:extension:name", b"").decode()
    try:
        return name, json.loads(meta.get(b"ARROW:extension:metadata", b"{}") or b"{}")
    except ValueError:
        return name, {}


def _toml(value: Mapping[str, Any]) -> str:
    """The job as TOML: scalars first, then tables (nested tables as dotted headers)."""
    lines: list = []
    _toml_table(value, [], lines)
    return "\n".join(lines) + "\n"


def _toml_table(table: Mapping[str, Any], path: list, lines: list) -> None:
    scalars = {k: v for k, v in table.items() if not isinstance(v, Mapping)}
    tables = {k: v for k, v in table.items() if isinstance(v, Mapping)}
    if path and scalars:
        lines.append("[" + ".".join(_key(p) for p in path) + "]")
    for k, v in scalars.items():
        lines.append(f"{_key(k)} = {_value(v)}")
    for k, v in tables.items():
        if v:
            _toml_table(v, path + [k], lines)


def _key(k: str) -> str:
    return k if k.replace("_", "").isalnum() and k.isascii() else json.dumps(k, ensure_ascii=False)


def _value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(v)
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_value(x) for x in v) + "]"
    return json.dumps(str(v), ensure_ascii=False)
