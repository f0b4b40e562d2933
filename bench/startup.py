"""Start-up benchmark: ``podsync --help`` against ``python -c pass``.

python bench/startup.py [--repeat R] [--smoke]
"""

from __future__ import annotations

import argparse
import sys

from common import PODSYNC, compare, ensure_bytecode, report, sh


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--smoke", action="store_true", help="one run")
    args = parser.parse_args()
    repeat = 1 if args.smoke else args.repeat
    ensure_bytecode()
    ours, peer = compare(
        lambda: sh(PODSYNC, "--help"), lambda: sh(sys.executable, "-c", "pass"), repeat
    )
    report(f"start-up, median of {repeat}", [("podsync --help", ours, "python -c pass", peer)])


if __name__ == "__main__":
    main()
