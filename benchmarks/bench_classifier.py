"""Accuracy and speed of the task-feature extractor (router/features.py).

Reads CodeRouterBench's OOD176 prompts (``DIR/ood176_tasks.jsonl``: prompt + dimension, and language /
difficulty where the dataset has them) and the hand-written labelled sets shipped with the tests, runs
``FeatureExtractor.extract_many`` (one embedding batch per set) with and without the embedding model,
and prints one JSON line: accuracies, a per-dimension confusion summary, and timings.

    .venv/bin/python benchmarks/bench_classifier.py [--data DIR] [--labelled FILE ...] [--keywords-only]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

from router.datasets import default_coderouterbench

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATA = default_coderouterbench()
DEFAULT_LABELLED = [ROOT / "tests" / "router" / "data" / name
                    for name in ("labelled_tasks.jsonl", "labelled_tasks_fresh.jsonl")]


class BenchError(Exception):
    pass


def read_rows(path: Path, text_field: str) -> list[dict[str, Any]]:
    """Rows with a non-empty text and a dimension; anything else is an error naming file and line."""
    if not path.is_file():
        raise BenchError(f"{path}: no such file")
    rows = []
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise BenchError(f"{path}:{number}: invalid JSON ({exc.msg})") from None
            if not isinstance(row, dict):
                raise BenchError(f"{path}:{number}: expected a JSON object")
            for key in (text_field, "dimension"):
                if not isinstance(row.get(key), str) or not row[key].strip():
                    raise BenchError(f"{path}:{number}: field {key!r} missing or not a non-empty string")
            rows.append(row)
    if not rows:
        raise BenchError(f"{path}: no rows")
    return rows


class TimedEmbedder:
    """Wraps the real embedder to add up the time spent encoding (the extractor calls it once per set)."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.seconds = 0.0
        self.texts = 0

    def encode(self, texts: list[str], batch_size: int = 64) -> Any:
        start = time.perf_counter()
        out = self.inner.encode(texts, batch_size=batch_size)
        self.seconds += time.perf_counter() - start
        self.texts += len(texts)
        return out


def score(rows: list[dict[str, Any]], features: list[Any], group_field: str | None) -> dict[str, Any]:
    """Accuracy, confusion (true -> predicted -> count) and, where rows carry them, language and
    difficulty agreement."""
    confusion: dict[str, Counter[str]] = defaultdict(Counter)
    groups: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    correct = 0
    for row, feat in zip(rows, features, strict=True):
        hit = feat.dimension == row["dimension"]
        correct += hit
        confusion[row["dimension"]][str(feat.dimension)] += 1
        if group_field:
            groups[row.get(group_field, "?")][0] += hit
            groups[row.get(group_field, "?")][1] += 1
    out: dict[str, Any] = {
        "n": len(rows),
        "accuracy": round(correct / len(rows), 4),
        "mean_confidence": round(sum(f.dimension_confidence for f in features) / len(features), 4),
        "per_dimension": {
            dim: {"n": sum(c.values()), "recall": round(c[dim] / sum(c.values()), 4),
                  "predicted": dict(c.most_common())}
            for dim, c in sorted(confusion.items())
        },
    }
    if group_field:
        out[f"by_{group_field}"] = {g: {"n": n, "accuracy": round(ok / n, 4)} for g, (ok, n) in sorted(groups.items())}
    for key in ("language", "difficulty"):
        pairs = [(row[key], getattr(f, key)) for row, f in zip(rows, features, strict=True) if row.get(key)]
        if pairs:
            out[f"{key}_accuracy"] = {"n": len(pairs), "accuracy": round(sum(a == b for a, b in pairs) / len(pairs), 4)}
    return out


def run(args: argparse.Namespace) -> dict[str, Any]:
    from router.embedding import shared_embedder
    from router.features import FeatureExtractor

    sets = {"ood176": (read_rows(args.data / "ood176_tasks.jsonl", "prompt"), "prompt", "bench")}
    for path in args.labelled or DEFAULT_LABELLED:
        sets[path.stem] = (read_rows(path, "text"), "text", None)
    result: dict[str, Any] = {"bench": "classifier"}
    keyword_extractor = FeatureExtractor(embed=False)
    timed = None
    if not args.keywords_only:
        start = time.perf_counter()
        inner = shared_embedder()
        inner.load()
        result["model_load_s"] = round(time.perf_counter() - start, 3)
        timed = TimedEmbedder(inner)
    for name, (rows, text_field, group) in sets.items():
        texts = [r[text_field] for r in rows]
        start = time.perf_counter()
        keyword_only = keyword_extractor.extract_many(texts)
        entry = {"keywords_only": score(rows, keyword_only, group),
                 "keywords_only_s": round(time.perf_counter() - start, 3)}
        if timed is not None:
            before = timed.seconds
            start = time.perf_counter()
            full = FeatureExtractor(timed).extract_many(texts)  # type: ignore[arg-type]
            entry["full"] = score(rows, full, group)
            entry["full_s"] = round(time.perf_counter() - start, 3)
            entry["embed_s"] = round(timed.seconds - before, 3)
            entry["embed_ms_per_text"] = round(1000 * (timed.seconds - before) / len(texts), 2)
        result[name] = entry
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Measure the dimension classifier (and language/difficulty agreement) on OOD176 and the "
                    "hand-written labelled sets; prints one JSON line.")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA,
                        help="folder holding ood176_tasks.jsonl (default: %(default)s)")
    parser.add_argument("--labelled", type=Path, action="append",
                        help="JSONL with text, dimension[, language]; repeatable (default: the two "
                             "hand-written sets in tests/router/data)")
    parser.add_argument("--keywords-only", action="store_true",
                        help="skip the embedding model (measures the fast path only)")
    args = parser.parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    try:
        result = run(args)
    except BenchError as exc:
        print(f"bench_classifier: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(result, sort_keys=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
