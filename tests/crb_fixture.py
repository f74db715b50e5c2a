"""A miniature CodeRouterBench folder, written at test time from a few synthetic outcomes (tasks ``*_fixture*``
and ``ood::x*``, models m-a and m-b; m-b's latency is never measured). Each file gets only the columns
``router.datasets`` reads from it: the layout is the benchmark's, none of its rows are."""

from __future__ import annotations

import csv
import json
from pathlib import Path

# Per results file: its columns after (task_id, model), then per task its dimension and, per model, the values.
RESULTS: dict[str, tuple[tuple[str, ...], dict[tuple[str, str], dict[str, tuple]]]] = {
    "id_val_results_long": (("score", "cost_usd", "input_tokens", "output_tokens", "latency_ms"), {
        ("dim1_mbpp_fixture1", "code_generation"): {"m-a": (1.0, 9.0, 100000, 300000, 2000),
                                                    "m-b": (0.0, 9.0, 200000, 200000, 0)},
        ("dim2_lcb_fixture3", "algorithm"): {"m-a": (0.0, 9.0, 300000, 100000, 4000),
                                             "m-b": (1.0, 9.0, 100000, 100000, 0)},
    }),
    "id_train_results_long": (("score", "total_tokens"), {
        ("dim1_mbpp_fixture2", "code_generation"): {"m-a": (1.0, 800000), "m-b": (1.0, 1000000)},
        ("dim2_lcb_fixture4", "algorithm"): {"m-a": (0.0, 400000), "m-b": (0.5, 200000)},
    }),
    "id_test_results_long": (("score", "cost_usd", "input_tokens", "output_tokens", "latency_ms"), {
        ("dim1_mbpp_fixture9", "code_generation"): {"m-a": (1.0, 0.5, 10, 30, 1000), "m-b": (0.0, 2.0, 20, 20, 0)},
        ("dim2_lcb_fixture8", "algorithm"): {"m-a": (0.0, 0.25, 30, 10, 3000), "m-b": (1.0, 4.0, 10, 10, 0)},
    }),
    "ood176_results_long": (("resolved", "cost_usd", "in_tok", "out_tok"), {
        ("ood::x1", "bug_fixing"): {"m-a": (1, 1.0, 5000, 100), "m-b": (0, 5.0, 9000, 300)},
        ("ood::x2", "code_generation"): {"m-a": (0, 0.5, 7000, 200), "m-b": (1, 7.0, 3000, 100)},
    }),
}
# (task_id, dimension, split, source_split), in file order: errors name their line.
ID_TASKS = [
    ("dim1_mbpp_fixture1", "code_generation", "probing", "val"),
    ("dim1_mbpp_fixture2", "code_generation", "probing", "train"),
    ("dim2_lcb_fixture3", "algorithm", "probing", "val"),
    ("dim2_lcb_fixture4", "algorithm", "probing", "train"),
    ("dim1_mbpp_fixture9", "code_generation", "id_test", "test"),
    ("dim2_lcb_fixture8", "algorithm", "id_test", "test"),
]
OOD176_TASKS = [
    {"task_id": "ood::x1", "source_split": "new64", "bench": "swe_ci", "dimension": "bug_fixing",
     "prompt": "Fix the crash in the CSV parser when a quoted field spans lines.", "prompt_source": "x",
     "language": "python", "difficulty": "hard"},
    {"task_id": "ood::x2", "source_split": "new64", "bench": "swe_ci", "dimension": "code_generation",
     "prompt": "Add a --dry-run flag to the deploy command.", "prompt_source": "x", "language": None,
     "difficulty": None},
]
MODELS = {"models": [{"model": "m-a", "input_per_1m": 1.0, "output_per_1m": 2.0},
                     {"model": "m-b", "input_per_1m": 10.0, "output_per_1m": 20.0}]}


def write_crb(folder: Path) -> Path:
    """Write the miniature folder into ``folder`` (created if needed) and return it."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, (columns, tasks) in RESULTS.items():
        with (folder / f"{name}.csv").open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(("task_id", "dimension", "model", *columns))
            writer.writerows((task, dimension, model, *values)
                             for (task, dimension), by_model in tasks.items() for model, values in by_model.items())
    id_tasks = [{"task_id": t, "dimension": d, "split": s, "source_split": ss} for t, d, s, ss in ID_TASKS]
    for name, records in (("id_tasks", id_tasks), ("ood176_tasks", OOD176_TASKS)):
        (folder / f"{name}.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    (folder / "models.json").write_text(json.dumps(MODELS), encoding="utf-8")
    return folder
