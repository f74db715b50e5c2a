"""How long one routing decision takes with a full memory, next to embedding the same text alone.

A decision = feature extraction (embedding + dimension/language/difficulty) + ACRouter.decide over
``--entries`` memory entries. Target: decision p50 <= embed p50 + 5 ms, i.e. everything but the
embedding costs under 5 ms. Prints one JSON line.

    .venv/bin/python benchmarks/bench_decision.py [--entries 20000] [--tasks 100] [--data PATH]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from router.datasets import default_coderouterbench  # noqa: E402

DEFAULT_DATA = default_coderouterbench()
MODELS = ["claude-opus-4-6", "claude-sonnet-4-6", "gpt-5.4", "glm-5", "kimi-k2.5", "MiniMax-M2.7", "Qwen3-Max",
          "qwen3.5-plus"]
DIMENSIONS = ["code_generation", "algorithm", "bug_fixing", "code_completion", "code_refactoring", "data_science",
              "multi_language", "code_understanding", "test_generation"]


def _texts(data: Path, n: int) -> list[str]:
    """Real issue texts when CodeRouterBench is there (long prompts, the hard case), else synthetic ones."""
    tasks = data / "ood176_tasks.jsonl"
    if tasks.is_file():
        with tasks.open(encoding="utf-8") as handle:
            prompts = [json.loads(line)["prompt"] for line in handle if line.strip()]
        return [prompts[i % len(prompts)] for i in range(n)]
    return [f"Fix the off-by-one error in function parse_{i} so that the last element of the list is kept "
            f"and add a test for an empty input." for i in range(n)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=20000, help="memory entries (default 20000)")
    parser.add_argument("--tasks", type=int, default=100, help="decisions to time (default 100)")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="CodeRouterBench folder for task texts")
    args = parser.parse_args(argv)

    import numpy as np

    from router.embedding import shared_embedder
    from router.features import FeatureExtractor
    from router.memory import Memory
    from router.policy import ACRouter
    from router.priors import Priors
    from router.settings import RouterSettings

    rng = np.random.default_rng(0)
    embedder = shared_embedder()
    dim = embedder.dim
    settings = RouterSettings(memory_size=args.entries)
    memory = Memory(args.entries, dim=dim)
    vectors = rng.standard_normal((args.entries, dim)).astype(np.float32)
    for i, vector in enumerate(vectors):
        memory.add(vector, f"t{i}", f"task {i}", MODELS[i % len(MODELS)], float(i % 2), 0.001 * (1 + i % 7))
    rows = [{"dimension": DIMENSIONS[i % len(DIMENSIONS)], "model": MODELS[i % len(MODELS)],
             "score": float(rng.random() < 0.5), "cost_usd": 0.001 * (1 + i % 5)} for i in range(5000)]
    router = ACRouter(MODELS, Priors.from_rows(rows), memory, settings)
    extractor = FeatureExtractor(embedder)
    texts = _texts(args.data, args.tasks)
    extractor.extract(texts[0])  # load the model and the classifier outside the timings

    embed_ms, decision_ms, policy_ms = [], [], []
    for text in texts:
        start = time.perf_counter()
        embedder.encode([text])
        embed_ms.append(1000 * (time.perf_counter() - start))
        start = time.perf_counter()
        features = extractor.extract(text)
        middle = time.perf_counter()
        router.decide(features)
        end = time.perf_counter()
        decision_ms.append(1000 * (end - start))
        policy_ms.append(1000 * (end - middle))
    print(json.dumps({
        "decision_p50_ms": round(float(np.percentile(decision_ms, 50)), 3),
        "decision_p99_ms": round(float(np.percentile(decision_ms, 99)), 3),
        "policy_only_p50_ms": round(float(np.percentile(policy_ms, 50)), 3),
        "embed_p50_ms": round(float(np.percentile(embed_ms, 50)), 3),
        "memory_entries": len(memory),
        "tasks": len(texts),
        "target_met": bool(np.percentile(decision_ms, 50) <= np.percentile(embed_ms, 50) + 5.0),
    }))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
