"""Type stubs of the redline package (the engine is a compiled module)."""

import os
from typing import Any, Mapping, Optional, Tuple, Union

import pyarrow

__version__: str
ROLES: Tuple[str, ...]
OUTPUT_LAYERS: Tuple[str, ...]

class RedlineError(Exception):
    """A job that could not run; `issues` holds the data issues found before it stopped."""

    issues: list[dict[str, Any]]
    def __init__(self, message: str, issues: Optional[list[dict[str, Any]]] = ...) -> None: ...

def run_job(
    path: Union[str, os.PathLike[str]],
    output: Union[str, os.PathLike[str], None] = ...,
    *,
    format: str = ...,
    lang: str = ...,
) -> dict[str, Any]:
    """Runs a job file; report.json as a dict. With `output`, every output is written there."""

def run(layers: Mapping[str, Any], settings: Mapping[str, Any]) -> dict[str, Any]:
    """Runs a county given as GeoDataFrames or pyarrow Tables (WKB geometry); report.json as a
    dict plus `layers`: the output layers as pyarrow Tables (`dict[str, pyarrow.Table]`)."""
