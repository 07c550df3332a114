"""`python -m bench`: run every bench_*.py module's main() in turn and print its figures."""

import importlib
import sys
import time
from pathlib import Path


def main() -> int:
    names = sorted(p.stem for p in Path(__file__).resolve().parent.glob("bench_*.py"))
    argv, failed = sys.argv, []
    for name in names:
        print(f"\n=== {name} ===", flush=True)
        started = time.monotonic()
        sys.argv = [name]  # each bench parses its own (default) arguments
        try:
            importlib.import_module(f"bench.{name}").main()
        except Exception as exc:  # one broken bench must not hide the others' figures
            failed.append(name)
            print(f"{name} failed: {type(exc).__name__}: {exc}", flush=True)
        finally:
            sys.argv = argv
        print(f"--- {name}: {time.monotonic() - started:.1f} s", flush=True)
    if failed:
        print(f"\nfailed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
