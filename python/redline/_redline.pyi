"""The compiled engine (see the `redline` package for the documented API)."""

from typing import Optional

__version__: str

class EngineError(Exception): ...

def run_job(path: str, output: Optional[str] = ..., format: str = ..., lang: str = ...) -> str: ...
