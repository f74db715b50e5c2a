"""Routing-log fixtures with hand-computed answers, shared by the analytics tests (never ../shared)."""

from __future__ import annotations

import json
from pathlib import Path


def line(**record) -> str:
    return json.dumps(record, separators=(",", ":"))


def write(path: Path, *lines: str, mode: str = "a") -> None:
    with path.open(mode, encoding="utf-8") as handle:
        handle.write("".join(item + "\n" for item in lines))


# A log with known answers (worked out by hand in the tests):
#  t1 gpt-5.4 bug_fixing score 1.0, tokens priced by genai-prices: (6000*2.5 + 4000*0.25 + 2000*15)/1e6 = 0.046
#     its route estimated gpt-5.4 at 0.6 and glm-5 at 0.7 -> estimated regret 0.1
#  t2 glm-5 bug_fixing score 0.0, logged cost 0.01, no route -> no regret
#  t3 glm-5 algorithm score 0.8, logged cost 0.02, oracle best 1.0 -> oracle regret 0.2   (next day)
#  t4 qwen3.5-plus algorithm score 0.4, 1M in / 1M out -> bundled 0.11 + 0.66 = 0.77
#  t5 mystery-model algorithm score 0.6 with tokens -> unpriced
FIXTURE_LINES = [
    line(v=1, ts="2026-11-01T09:00:00Z", event="route", task_id="t1", task="fix the parser", dimension="bug_fixing",
         model="gpt-5.4", router="acrouter", propensity=0.9, cwd="/p/alpha",
         decision={"policy": "acrouter", "chosen": "gpt-5.4",
                   "candidates": [{"model": "gpt-5.4", "exp_score": 0.6, "prob": 0.9},
                                  {"model": "glm-5", "exp_score": 0.7, "prob": 0.1}]}),
    line(v=1, ts="2026-11-01T09:05:00Z", event="outcome", task_id="t1", model="gpt-5.4", dimension="bug_fixing",
         score=1.0, tokens={"input": 10000, "cached_input": 4000, "output": 2000, "reasoning": 500},
         status="ok", cwd="/p/alpha", session_id="s-1", custom_key={"kept": True}),
    line(v=1, ts="2026-11-01T10:00:00Z", event="outcome", task_id="t2", model="glm-5", dimension="bug_fixing",
         score=0.0, cost_usd=0.01, status="ok", cwd="/p/alpha"),
    line(v=1, ts="2026-11-02T08:00:00Z", event="outcome", task_id="t3", model="glm-5", dimension="algorithm",
         score=0.8, cost_usd=0.02, oracle_scores={"glm-5": 0.8, "gpt-5.4": 1.0}, cwd="/p/beta"),
    line(v=1, ts="2026-11-02T09:00:00Z", event="outcome", task_id="t4", model="qwen3.5-plus",
         dimension="algorithm", score=0.4, tokens={"input": 1_000_000, "cached_input": 0, "output": 1_000_000},
         cwd="/p/beta"),
    line(v=1, ts="2026-11-02T10:00:00Z", event="outcome", task_id="t5", model="mystery-model",
         dimension="algorithm", score=0.6, tokens={"input": 100, "output": 100}, cwd="/p/beta"),
    line(timestamp="2026-11-02T10:30:00", model="glm-5", tool="shell", exit_code=1, task_hint="run tests"),
    line(v=1, ts="2026-11-02T11:00:00Z", event="turn", session_id="s-1", turn_id="u-1"),
    "this is not json",
    line(v=1, ts="2026-11-02T12:00:00Z", event="outcome", task_id="t6", score=2.5),
]
