"""Codex rollouts (.jsonl and .jsonl.zst, live and archived) become deduplicated, priced session facts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import zstandard

from analytics import run_queries, spend_queries
from analytics.ingest import LogIngester
from analytics.rollout_ingest import RolloutIngester
from analytics.rollout_lines import wanted_lines
from analytics.rollout_sessions import parse_rollout
from analytics.store import Store


def usage(inp: int, cached: int, out: int, reasoning: int = 0) -> dict:
    return {"input_tokens": inp, "cached_input_tokens": cached, "output_tokens": out,
            "reasoning_output_tokens": reasoning, "total_tokens": inp + out}


def token_event(ts: str, total: dict, last: dict) -> dict:
    return {"timestamp": ts, "type": "event_msg",
            "payload": {"type": "token_count", "info": {"total_token_usage": total, "last_token_usage": last}}}


def rollout_lines(session_id: str, cwd: str = "/p/gamma") -> list[dict]:
    """gpt-5.4 uses 1000/200/100 then 1500/300/150 in total; a replayed event repeats; then glm-5 next day."""
    t1, t2, t3 = usage(1000, 200, 100, 40), usage(1500, 300, 150, 60), usage(2500, 300, 250, 60)
    return [
        {"timestamp": "2026-11-03T09:00:00.000Z", "type": "session_meta",
         "payload": {"id": session_id, "timestamp": "2026-11-03T09:00:00Z", "cwd": cwd, "cli_version": "0.150.0",
                     "source": "exec", "originator": "codex_exec", "model_provider": "openai"}},
        {"timestamp": "2026-11-03T09:00:01Z", "type": "turn_context", "payload": {"model": "gpt-5.4"}},
        {"timestamp": "2026-11-03T09:00:02Z", "type": "response_item", "payload": {"type": "message"}},
        token_event("2026-11-03T09:00:03Z", t1, t1),
        token_event("2026-11-03T09:00:04Z", t1, t1),  # repeated: must not count twice
        token_event("2026-11-03T09:00:05Z", t2, usage(500, 100, 50, 20)),
        {"timestamp": "2026-11-04T09:00:00Z", "type": "turn_context", "payload": {"model": "glm-5"}},
        token_event("2026-11-04T09:00:01Z", t3, usage(1000, 0, 100)),
        token_event("2026-11-04T09:00:02Z", t1, t1),  # replayed history from a resumed session
    ]


def write_rollout(path: Path, records: list[dict], compress: bool = False) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    data = "".join(json.dumps(r) + "\n" for r in records).encode()
    path.write_bytes(zstandard.ZstdCompressor().compress(data) if compress else data)
    return path


def test_parse_rollout_dedupes_tokens_per_model_and_day(tmp_path: Path) -> None:
    path = write_rollout(tmp_path / "rollout-a.jsonl", rollout_lines("sess-a"))
    session = parse_rollout(path)
    assert (session.session_id, session.cwd, session.cli_version, session.source) == (
        "sess-a", "/p/gamma", "0.150.0", "exec")
    assert session.model == "glm-5"
    assert session.usage == {("gpt-5.4", "2026-11-03"): [1500, 300, 150, 60],
                             ("glm-5", "2026-11-04"): [1000, 0, 100, 0]}


@pytest.mark.parametrize("compress", [False, True])
def test_sessions_are_ingested_and_priced(tmp_path: Path, compress: bool) -> None:
    home = tmp_path / "codex"
    suffix = ".jsonl.zst" if compress else ".jsonl"
    write_rollout(home / "sessions/2026/11/03" / f"rollout-2026-11-03T09-00-00-sess-a{suffix}",
                  rollout_lines("sess-a"), compress=compress)
    with Store(tmp_path / "db.duckdb") as store:
        result = RolloutIngester(store, home).poll()
        assert (result.files_read, result.sessions, result.errors) == (1, 1, [])
        assert store.execute("SELECT session_id, cwd, cli_version, source, model FROM sessions").fetchall() == [
            ("sess-a", "/p/gamma", "0.150.0", "exec", "glm-5")]
        days = spend_queries.spend_by_day(store).to_dicts()
        gpt = (1200 * 2.5 + 300 * 0.25 + 150 * 15) / 1e6
        glm_price = store.execute("SELECT input_per_mtok, output_per_mtok FROM prices WHERE model = 'glm-5'")
        glm_in, glm_out = glm_price.fetchall()[0]
        assert [(str(d["day"]), d["model"]) for d in days] == [("2026-11-03", "gpt-5.4"), ("2026-11-04", "glm-5")]
        assert days[0]["cost_usd"] == pytest.approx(gpt)
        assert days[1]["cost_usd"] == pytest.approx((1000 * glm_in + 100 * glm_out) / 1e6)
        total = run_queries.totals(store).row(0, named=True)
        assert total["runs"] == 0 and total["avg_perf"] is None  # sessions never count toward AvgPerf
        assert total["codex_sessions"] == 1 and total["codex_cost_usd"] == pytest.approx(sum(
            d["cost_usd"] for d in days))
        assert spend_queries.spend_by_project(store).row(0, named=True)["project"] == "/p/gamma"
        assert RolloutIngester(store, home).poll().files_read == 0  # unchanged files are not re-read


def test_same_session_live_and_archived_is_stored_once(tmp_path: Path) -> None:
    home = tmp_path / "codex"
    write_rollout(home / "sessions/2026/11/03/rollout-x-sess-a.jsonl", rollout_lines("sess-a"))
    write_rollout(home / "archived_sessions/rollout-x-sess-a.jsonl.zst", rollout_lines("sess-a")[:6], compress=True)
    write_rollout(home / "sessions/2026/11/03/rollout-y-broken.jsonl", [{"type": "noise"}])
    with Store(tmp_path / "db.duckdb") as store:
        result = RolloutIngester(store, home).poll()
        assert result.files_read == 3 and len(result.errors) == 1 and "no session_meta" in result.errors[0]
        assert store.execute("SELECT count(*) FROM sessions").fetchall() == [(1,)]
        assert store.execute("SELECT sum(input) FROM session_usage").fetchall() == [(2500,)]


def test_session_that_went_through_the_router_is_not_counted_twice(tmp_path: Path, fixture_log: Path) -> None:
    home = tmp_path / "codex"
    write_rollout(home / "sessions/2026/11/01/rollout-s-1.jsonl", rollout_lines("s-1"))  # outcome t1 has s-1
    with Store(tmp_path / "db.duckdb") as store:
        RolloutIngester(store, home).poll()
        LogIngester(store, [fixture_log]).poll()
        assert run_queries.totals(store).row(0, named=True)["codex_sessions"] == 0


def test_misshapen_lines_are_read_as_the_json_module_reads_them(tmp_path: Path) -> None:
    """The typed decoder refuses these lines; each is then read leniently, its odd parts taken as absent."""
    t1, t2 = usage(1000, 200, 100), usage(1600, 200, 160)
    nan_limits = token_event("2026-11-03T09:00:03Z", t1, t1)
    nan_limits["payload"]["rate_limits"] = {"used_percent": float("nan")}  # json writes NaN; still a call
    list_info = {"timestamp": "2026-11-03T09:00:04Z", "type": "event_msg",
                 "payload": {"type": "token_count", "info": [t2]}}
    bool_total = token_event("2026-11-03T09:00:05Z", {**t2, "input_tokens": True}, t2)
    odd_last = token_event("2026-11-03T09:00:06Z", t2, [1, 2])  # a call; last_token_usage is not needed
    offset = token_event("2026-11-03T23:30:00-02:00", usage(2000, 200, 200), t2)  # 01:30 UTC the next day
    basic = token_event("20261105T090000Z", usage(2100, 200, 210), t2)  # ISO 8601 but not RFC 3339
    lines = [*rollout_lines("sess-odd")[:2], nan_limits, list_info, bool_total, odd_last,
             {"timestamp": "2026-11-03T09:00:07Z", "type": "turn_context", "payload": []}, ["token_count"],
             offset, basic]
    path = write_rollout(tmp_path / "rollout-odd.jsonl", lines)
    session = parse_rollout(path)
    assert session.usage == {("gpt-5.4", "2026-11-03"): [1600, 200, 160, 0],
                             ("gpt-5.4", "2026-11-04"): [400, 0, 40, 0], ("gpt-5.4", "2026-11-05"): [100, 0, 10, 0]}
    assert session.bad_lines == 1


def test_a_record_name_in_a_message_does_not_hide_the_token_counts(tmp_path: Path) -> None:
    """Only real ``token_usage_record`` lines make their file charged by records."""
    lines = rollout_lines("sess-b")
    lines.insert(2, {"timestamp": "2026-11-03T09:00:02Z", "type": "response_item",
                     "payload": {"type": "function_call", "name": "token_usage_record"}})
    session = parse_rollout(write_rollout(tmp_path / "rollout-b.jsonl", lines))
    assert session.usage == {("gpt-5.4", "2026-11-03"): [1500, 300, 150, 60],
                             ("glm-5", "2026-11-04"): [1000, 0, 100, 0]}


def test_lines_codex_writes_without_usage_are_passed_over_unread() -> None:
    """A response item or a non-usage event, in Codex's compact key order, is not parsed even when its text
    names a usage line; anything else holding a name is."""
    lines = [b'{"timestamp":"2026-11-03T09:00:00Z","type":"response_item","payload":{"text":"\\"token_count\\"",'
             b'"name":"token_count"}}',
             b'{"timestamp":"2026-11-03T09:00:00Z","type":"event_msg","payload":{"type":"user_message",'
             b'"message":"turn_context","kind":"session_meta"}}',
             b'{"timestamp":"2026-11-03T09:00:01Z","type":"event_msg","payload":{"type":"token_count"}}',
             b'{"type":"response_item","name":"token_count"}',
             b'{"timestamp":"2026-11-03T09:00:02Z","type":"turn_context","payload":{"model":"m"}}']
    assert list(wanted_lines(b"\n".join(lines) + b"\n")) == lines[2:]
