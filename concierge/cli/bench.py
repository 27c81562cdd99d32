"""`concierge bench NAME`: run `benchmarks/NAME.py` from the source checkout.

Benchmarks measure against data in `../shared/data` and print their figures as `key=value` pairs on their
last line, so runs compare by script. They live beside the package, not in it: a wheel does not ship them.
"""

import importlib.util
from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"


def available() -> list[str]:
    return sorted(p.stem for p in BENCHMARKS.glob("*.py") if not p.name.startswith("_"))


def run_benchmark(name: str, argv: list[str]) -> None:
    path = BENCHMARKS / f"{name}.py"
    if not path.is_file():
        names = ", ".join(available()) or "none found"
        raise SystemExit(f"concierge bench: no benchmark {name!r} in {BENCHMARKS} (available: {names})")
    spec = importlib.util.spec_from_file_location(f"benchmarks.{name}", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.main(argv)
