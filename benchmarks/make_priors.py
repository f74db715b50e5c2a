"""Rebuild the priors a fresh install ships with (``router/coderouterbench_priors.toml``) from CodeRouterBench.

Aggregates only: per dimension x model (and over all tasks) the count, mean score and mean cost of the probing
split (train + val), as ``router.state.probing_priors`` derives them; no task ids or rows. The benchmark is MIT
licensed; its notice ships beside the file (``router/coderouterbench_LICENSE.txt``). The test split is not read,
so bench results on it stay held out.

    .venv/bin/python benchmarks/make_priors.py [--data DIR] [--out FILE]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from router.dataset_readers import DatasetError  # noqa: E402
from router.datasets import find_coderouterbench  # noqa: E402
from router.state import SHIPPED_PRIORS, render_priors_file  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=find_coderouterbench(),
                        help="CodeRouterBench folder (default: ../shared/data/coderouterbench)")
    parser.add_argument("--out", type=Path, default=SHIPPED_PRIORS, help=f"output (default {SHIPPED_PRIORS.name})")
    args = parser.parse_args(argv)
    if args.data is None:
        parser.error("no CodeRouterBench folder found: pass --data DIR")
    try:
        text = render_priors_file(args.data)
    except DatasetError as exc:
        parser.error(str(exc))
    args.out.write_text(text, encoding="utf-8")
    print(f"wrote {args.out} ({text.count('[[priors]]')} cells)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
