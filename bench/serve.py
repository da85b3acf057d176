"""The service benchmark of issue #5, both halves, on real ``headway serve`` processes.

* ``ingest`` (bench/serve_ingest.py): ``POST /api/v1/activities`` throughput from loopback
  clients, batches of 10,000, every acknowledged batch checked durable, beside the raw DuckDB
  append of the same batches (goal >= 50,000 activities/s).
* ``page`` (bench/serve_page.py): the journey page's server time on a 10M-activity store,
  cold and warm, beside the bare engine and chDB's windowFunnel (goal <= 1 s warm).

    .venv/bin/python bench/serve.py                   # both, default sizes
    .venv/bin/python bench/serve.py ingest --prefill 10000000
    .venv/bin/python bench/serve.py page --size 10000000:500000

Arguments after the part's name go to that part's own script (see its --help).
"""

from __future__ import annotations

import sys

# Run as a script, this directory comes first on sys.path; drop it so that no sibling
# benchmark module (email.py) shadows a standard-library module.
if sys.path and sys.path[0] == __file__.rsplit("/", 1)[0]:
    del sys.path[0]

import importlib.util
from pathlib import Path
from types import ModuleType

HERE = Path(__file__).resolve().parent
PARTS = {"ingest": "serve_ingest.py", "page": "serve_page.py"}


def part(name: str) -> ModuleType:
    """One half of the benchmark, loaded from its file."""
    spec = importlib.util.spec_from_file_location(f"bench_{name}", HERE / PARTS[name])
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


def main(argv: list[str]) -> None:
    """Run one part with its own arguments, or both with their defaults."""
    if argv and argv[0] in ("-h", "--help"):
        print(__doc__)
        return
    names = [argv[0]] if argv and argv[0] in PARTS else list(PARTS)
    rest = argv[1:] if argv and argv[0] in PARTS else argv
    if len(names) > 1 and rest:
        raise SystemExit(f"name a part ({', '.join(PARTS)}) to pass it arguments: {rest}")
    for name in names:
        print(f"==== {name} ({PARTS[name]})", flush=True)
        sys.argv = [str(HERE / PARTS[name]), *rest]
        part(name).main()


if __name__ == "__main__":
    main(sys.argv[1:])
