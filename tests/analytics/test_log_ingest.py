"""Incremental ingestion: complete lines only, resume, truncation, rotation, overwrite, malformed lines."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from routing_fixtures import line, write

from analytics.event_queries import range_events
from analytics.ingest import LogIngester
from analytics.store import Store, StoreCorruptError, StoreLockedError


def ev(i: int, **extra) -> str:
    return line(v=1, ts=f"2026-11-01T10:{i // 60:02d}:{i % 60:02d}Z", event="tool", task_id=f"t{i}", **extra)


def task_ids(store: Store) -> list[str]:
    return [r[0] for r in store.execute("SELECT task_id FROM events ORDER BY ts, file, line").fetchall()]


def test_partial_last_line_waits_for_its_newline(store: Store, tmp_path: Path) -> None:
    log = tmp_path / "log.jsonl"
    log.write_text(ev(1) + "\n" + ev(2)[:15], encoding="utf-8")
    ingester = LogIngester(store, [log])
    assert ingester.poll().new_events == 1
    with log.open("a", encoding="utf-8") as handle:
        handle.write(ev(2)[15:])
    assert ingester.poll().new_events == 0  # still no newline
    with log.open("a", encoding="utf-8") as handle:
        handle.write("\n")
    result = ingester.poll()
    assert (result.new_events, result.new_malformed) == (1, 0)
    assert task_ids(store) == ["t1", "t2"]
    assert store.execute("SELECT line FROM events ORDER BY line").fetchall() == [(1,), (2,)]


def test_restart_resumes_without_duplicates_or_gaps(tmp_path: Path) -> None:
    log, db = tmp_path / "log.jsonl", tmp_path / "r.duckdb"
    write(log, ev(1), ev(2))
    with Store(db) as store:
        LogIngester(store, [log]).poll()
    write(log, ev(3))
    with Store(db) as store:
        ingester = LogIngester(store, [log])
        assert ingester.poll().new_events == 1
        assert ingester.poll().new_events == 0
        assert task_ids(store) == ["t1", "t2", "t3"]
        assert store.execute("SELECT max(line) FROM events").fetchall() == [(3,)]


@pytest.mark.parametrize("small_batch", [0, 5000], ids=["bulk-sql", "python"])
def test_malformed_lines_are_kept_aside_with_line_numbers(store: Store, tmp_path: Path, small_batch: int) -> None:
    log = tmp_path / "log.jsonl"
    write(log, ev(1), "{not json", "", ev(2), '["a list"]', line(v=1, ts="2026-11-01", event="nope"),
          line(v=1, ts="2026-11-01", event="route", model=5), ev(3))
    result = LogIngester(store, [log], small_batch=small_batch).poll()
    assert (result.new_events, result.new_malformed) == (3, 4)
    rows = store.execute("SELECT file, line, error FROM malformed ORDER BY line").fetchall()
    assert [(r[1], r[2].split(":")[0]) for r in rows] == [(2, "not JSON"), (5, "line is a JSON list, not an object"),
                                                          (6, "event"), (7, "model")]
    assert {r[0] for r in rows} == {str(log)}
    assert store.execute("SELECT line FROM events ORDER BY line").fetchall() == [(1,), (4,), (8,)]


@pytest.mark.parametrize("small_batch", [0, 5000], ids=["bulk-sql", "python"])
def test_invalid_utf8_line_is_malformed_not_fatal(store: Store, tmp_path: Path, small_batch: int) -> None:
    log = tmp_path / "log.jsonl"
    log.write_bytes((ev(1) + "\n").encode() + b'{"v":1,"event":"tool","ts":"2026-11-01","x":"\xff"}\n'
                    + (ev(2) + "\n").encode())
    result = LogIngester(store, [log], small_batch=small_batch).poll()
    assert (result.new_events, result.new_malformed) == (2, 1)
    assert store.execute("SELECT line, error FROM malformed").fetchall() == [(2, "not UTF-8 text")]


def test_unknown_keys_survive_in_raw_and_seed_record_is_a_tool_event(store: Store, tmp_path: Path) -> None:
    log = tmp_path / "log.jsonl"
    write(log, ev(1, future={"nested": [1, 2]}),
          line(timestamp="2026-11-01T09:00:00", model="glm-5", tool="shell", exit_code=2, task_hint="go"))
    LogIngester(store, [log]).poll()
    rows = store.execute("SELECT event, ts, model, task, exit_code FROM events ORDER BY line").fetchall()
    assert json.loads(range_events(store).get_column("raw")[1])["future"] == {"nested": [1, 2]}
    assert rows[1][:5] == ("tool", rows[1][1], "glm-5", "go", 2)
    assert rows[1][1].isoformat() == "2026-11-01T09:00:00"


def test_bulk_and_python_paths_agree(store: Store, tmp_path: Path) -> None:
    """The same records through the bulk SQL, the bulk SQL beside a bad line, and Python give the same rows."""
    records = [ev(1, score=0.5, exit_code=True, difficulty=3, tokens={"input": 5, "output": 2}),
               line(v=1, ts="2026-11-01T10:00:00.5+02:00", event="outcome", task_id='q"uote', cost_usd=1e-3),
               line(v=1, ts="2026-11-01 10:00", event="turn", task="naïve ✓", status={"code": 3}),
               line(timestamp="2026-11-01T09:00:00", model="m", tool="shell", exit_code=0, task_hint="hint"),
               line(v=1, ts="2026-11-01T10:01:00Z", event="route", task_id="r", model="m", decision={"candidates": [
                   {"model": "m", "exp_score": 0.25}, {"model": "n\\u00e9\"", "exp_score": 1}, {"model": "o"},
                   {"model": 3, "exp_score": 0.9}, {"model": "p", "exp_score": True}, "x"]}),
               line(v=1, ts="2026-11-01T10:02:00Z", event="outcome", task_id="r", model="m", score=0.5,
                    oracle_scores={"m": 0.5, "n": 2**64, "o": "0.9", "p": None})]
    clean, mixed, small = tmp_path / "clean.jsonl", tmp_path / "mixed.jsonl", tmp_path / "small.jsonl"
    write(clean, *records)
    write(mixed, "garbage", *records)
    write(small, *records)
    LogIngester(store, [clean, mixed], small_batch=0).poll()
    LogIngester(store, [small]).poll()
    cols = ("event, ts, v, task_id, task, score, exit_code, difficulty, tokens_input, cost_usd, status, model, "
            "est_scores, oracle_best, byte_length, line_hash")  # offsets differ: "mixed" starts with garbage
    by_file = [store.execute(f"SELECT {cols} FROM events WHERE file = ? ORDER BY line", [str(p)]).fetchall()
               for p in (clean, mixed, small)]
    assert len(by_file[0]) == 6 and by_file[0] == by_file[1] == by_file[2]
    assert by_file[0][1][1].isoformat() == "2026-11-01T08:00:00.500000"
    assert by_file[0][4][12] == [{"model": "m", "exp_score": 0.25}, {"model": 'n\\u00e9"', "exp_score": 1.0},
                                 {"model": "o", "exp_score": None}, {"model": "p", "exp_score": None}]
    assert by_file[0][5][13] == 2.0**64 and by_file[0][4][13] is None and by_file[0][5][12] is None


def test_a_repeated_key_keeps_its_first_value_on_both_paths(store: Store, tmp_path: Path) -> None:
    """DuckDB's JSON reader keeps the first of a repeated key and Python's the last: the Python path follows
    DuckDB, so a line means the same whichever path reads it (and when what-if reads it back)."""
    from analytics.schema import loads_line

    repeated = ('{"v": 1, "ts": "2026-11-01T10:00:00Z", "event": "route", "task_id": "r", "model": "first", '
                '"model": "second", "score": 0.25, "score": 0.75, "decision": {"candidates": '
                '[{"model": "a", "exp_score": 0.1, "exp_score": 0.9}]}}')
    bulk, small = tmp_path / "bulk.jsonl", tmp_path / "small.jsonl"
    bulk.write_text(repeated + "\n")
    small.write_text(repeated + "\n")
    LogIngester(store, [bulk], small_batch=0).poll()
    LogIngester(store, [small]).poll()
    rows = store.execute("SELECT model, score, est_scores FROM events ORDER BY file").fetchall()
    assert rows == [("first", 0.25, [{"model": "a", "exp_score": 0.1}])] * 2
    assert loads_line(repeated)["decision"]["candidates"][0]["exp_score"] == 0.1


def _through_both_paths(tmp_path: Path, text: str, columns: str) -> tuple[list, list]:
    """``text`` beside a good line, read by the bulk SQL and by Python: per path, the stored ``columns`` and
    the malformed (line, error) pairs."""
    bulk, python = tmp_path / "bulk.jsonl", tmp_path / "python.jsonl"
    write(bulk, text, ev(1))
    write(python, text, ev(1))
    with Store(tmp_path / "db.duckdb") as store:
        LogIngester(store, [bulk], small_batch=0).poll()
        LogIngester(store, [python]).poll()
        rows = [store.execute(f"SELECT line, {columns} FROM events WHERE file = ? ORDER BY line",
                              [str(p)]).fetchall() for p in (bulk, python)]
        bad = [store.execute("SELECT line, error FROM malformed WHERE file = ?", [str(p)]).fetchall()
               for p in (bulk, python)]
    assert len(rows[0]) + len(bad[0]) == 2
    return rows, bad


@pytest.mark.parametrize("value", ["NaN", "-nan", "Infinity", "-Infinity", "inf", "1e400", "-0", "42", '"42"',
                                   '"true"', "true", '"-Infinity"', '"inf"', "[1]", '"[1]"', '"1e5"'])
@pytest.mark.parametrize("key", ["task_id", "model", "cost_usd", "difficulty", "v"])
def test_number_spellings_only_duckdb_reads_get_the_python_verdict(tmp_path: Path, key: str, value: str) -> None:
    """DuckDB's parser takes inf/nan in any case and turns a number asked for as text into text ('5'); the
    bulk path must still store what the Python path stores, or send the line there."""
    base = {"v": 1, "ts": "2026-11-01T10:00:00Z", "event": "tool", "task_id": "t"}
    text = json.dumps({k: v for k, v in base.items() if k != key})[:-1] + f', "{key}": {value}' + "}"
    rows, bad = _through_both_paths(tmp_path, text, "v, task_id, model, cost_usd, difficulty")
    assert repr(rows[0]) == repr(rows[1]) and bad[0] == bad[1]  # repr: a stored NaN equals itself


@pytest.mark.parametrize("ts", ["2026-11-30T04:20:55.123Z", "0001-01-01T00:00:00.000Z", "2024-02-29T23:59:59.999Z",
                                "2026-02-29T04:20:55.123Z", "2026-11-30T24:00:00.000Z", "0000-11-30T04:20:55.123Z",
                                " 2026-11-30T04:20:5.123Z", "\t026-11-30T04:20:55.123Z", "2026-11-30T04:2:55.123Z\t",
                                "2026-11-30T04:20:55.1Z  ", " 2026-11-30T04:20:55.12Z", "2026-11-30t04:20:55.123Z",
                                "2026-11-30T04:20:55,123Z", "+2026-11-30T04:20:55.12Z", "2026-11-30T04:20:55.123z",
                                "0000-01-01 10:00"])
def test_timestamp_spellings_get_the_python_verdict(tmp_path: Path, ts: str) -> None:
    """The writer's own timestamps take a quicker road through the bulk SQL than other spellings: near misses
    of that shape (24 characters, whitespace, year 0, a day that does not exist) must still be stored as the
    Python path stores them, or refused alike."""
    rows, bad = _through_both_paths(tmp_path, line(v=1, ts=ts, event="tool", task_id="t"), "ts")
    assert rows[0] == rows[1] and bad[0] == bad[1]


def test_truncation_rereads_from_the_start(store: Store, tmp_path: Path) -> None:
    log = tmp_path / "log.jsonl"
    write(log, ev(1), ev(2), ev(3))
    ingester = LogIngester(store, [log])
    ingester.poll()
    write(log, ev(4), mode="w")  # copytruncate-style: the old lines happened, the new one is new
    assert ingester.poll().new_events == 1
    assert task_ids(store) == ["t1", "t2", "t3", "t4"]
    # The old rows share offsets with the new one; their lines are gone (no copy kept), the new one is read.
    export = range_events(store)
    assert export.get_column("raw").to_list() == [None, None, None, ev(4)]
    assert export.get_column("raw_error")[0].startswith(f"{log}: this line is no longer in the log")
    log.with_name("log.jsonl.1").write_text(ev(1) + "\n" + ev(2) + "\n" + ev(3) + "\n", encoding="utf-8")
    assert range_events(store).get_column("raw").to_list() == [ev(1), ev(2), ev(3), ev(4)]


def test_rotation_drains_the_old_file_then_reads_the_new(store: Store, tmp_path: Path) -> None:
    log = tmp_path / "log.jsonl"
    write(log, ev(1), ev(2))
    ingester = LogIngester(store, [log])
    ingester.poll()
    write(log, ev(3))  # written after our last poll, before rotation
    log.rename(tmp_path / "log.jsonl.1")
    write(log, ev(4), ev(5))
    assert ingester.poll().new_events == 3
    assert sorted(task_ids(store)) == ["t1", "t2", "t3", "t4", "t5"]
    assert ingester.poll().new_events == 0


def test_replaced_by_a_copy_of_itself_resumes(store: Store, tmp_path: Path) -> None:
    log = tmp_path / "log.jsonl"
    write(log, ev(1), ev(2))
    ingester = LogIngester(store, [log])
    ingester.poll()
    copy = tmp_path / "tmp"
    copy.write_bytes(log.read_bytes() + (ev(3) + "\n").encode())
    os.replace(copy, log)  # new inode, same first line
    assert ingester.poll().new_events == 1
    assert task_ids(store) == ["t1", "t2", "t3"]


def test_overwrite_in_place_reads_the_new_content_and_keeps_the_old_rows(store: Store, tmp_path: Path) -> None:
    """Same inode, new first line: like a truncation seen late (issue #6: lose nothing), not a deletion."""
    log = tmp_path / "log.jsonl"
    write(log, ev(1), ev(2))
    ingester = LogIngester(store, [log])
    ingester.poll()
    with log.open("r+", encoding="utf-8") as handle:  # same inode, different content, not shorter
        handle.write(ev(7) + "\n" + ev(8) + "\n" + ev(9) + "\n")
    assert ingester.poll().new_events == 3
    assert task_ids(store) == ["t1", "t2", "t7", "t8", "t9"]


def test_poll_is_stat_only_when_nothing_changed(store: Store, tmp_path: Path, monkeypatch) -> None:
    log = tmp_path / "log.jsonl"
    write(log, ev(1))
    ingester = LogIngester(store, [log, tmp_path / "missing.jsonl"])
    ingester.poll()

    def no_reading(*args, **kwargs):
        raise AssertionError("poll read a file that had not changed")

    monkeypatch.setattr(ingester, "_read", no_reading)
    monkeypatch.setattr("analytics.ingest._first_line_hash", no_reading)
    assert ingester.poll().new_events == 0


def test_chunks_smaller_than_the_file_and_long_lines(store: Store, tmp_path: Path) -> None:
    log = tmp_path / "log.jsonl"
    write(log, *[ev(i, task="x" * (i * 37)) for i in range(1, 40)])
    result = LogIngester(store, [log], chunk_bytes=256).poll()
    assert result.new_events == 39
    assert store.execute("SELECT count(DISTINCT line), max(line) FROM events").fetchall() == [(39, 39)]


def test_big_reads_split_across_threads_find_the_same_lines(store: Store, tmp_path: Path, monkeypatch) -> None:
    """The two-thread read (taken from PARALLEL_READ bytes on) ingests exactly what the plain read does."""
    from analytics import log_blocks

    log = tmp_path / "log.jsonl"
    write(log, *[ev(i, task="y" * (i % 7)) for i in range(1, 301)])
    with log.open("ab") as handle:
        handle.write(b'{"v": 1, "partial')
    monkeypatch.setattr(log_blocks, "PARALLEL_READ", 1)
    result = LogIngester(store, [log], small_batch=0).poll()
    assert result.new_events == 300
    assert task_ids(store) == [f"t{i}" for i in range(1, 301)]
    assert store.execute("SELECT max(line), max(byte_offset + byte_length) FROM events").fetchall() == [
        (300, log.stat().st_size - len(b'{"v": 1, "partial'))]


@pytest.mark.parametrize("length", [10, 64, 65, 200])
def test_read_block_finds_line_ends_and_stops_where_the_file_does(tmp_path: Path, monkeypatch, length: int) -> None:
    """Asked for more than the file holds (it shrank after the size was taken), a block ends where the file does."""
    from analytics import log_blocks

    path = tmp_path / "lines"
    path.write_bytes(b"abc\n" * 16)
    expected = [e for e in range(4, 65, 4) if e <= length]
    for parallel_from in (1, 10**9):
        monkeypatch.setattr(log_blocks, "PARALLEL_READ", parallel_from)
        with path.open("rb") as handle:
            data, ends = log_blocks.read_block(handle.fileno(), 0, length)
        assert ends.tolist() == expected
        assert bytes(data[:ends[-1]]) == b"abc\n" * len(expected)


def test_store_usable_from_a_worker_thread(loaded: Store) -> None:
    from analytics.run_queries import totals

    out: dict = {}
    worker = threading.Thread(target=lambda: out.update(totals(loaded).row(0, named=True)))
    worker.start()
    worker.join(timeout=60)
    assert out["runs"] == 5


def test_locked_database_raises_a_clear_error(tmp_path: Path) -> None:
    db = tmp_path / "locked.duckdb"
    Store(db).close()
    holder = subprocess.Popen(
        [sys.executable, "-c", "import duckdb, sys; c = duckdb.connect(sys.argv[1]); print('ready', flush=True); "
         "sys.stdin.read()", str(db)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "ready"
        with pytest.raises(StoreLockedError, match=str(db)):
            Store(db)
    finally:
        holder.communicate("", timeout=60)


def test_corrupt_database_is_reported_and_rebuilt_from_the_log(tmp_path: Path, fixture_log: Path) -> None:
    from analytics.paths import default_db_path

    db = default_db_path()  # ours by its place; a file elsewhere must carry our marker (tests/reliability)
    db.parent.mkdir(parents=True, exist_ok=True)
    db.write_bytes(b"this is not a database" * 500)
    with pytest.raises(StoreCorruptError, match=str(db)):
        Store(db)
    store, rebuilt = Store.open_or_rebuild(db)
    with store:
        assert rebuilt
        assert LogIngester(store, [fixture_log]).poll().new_events == 8


_VALUES = st.one_of(st.none(), st.booleans(), st.integers(-3, 3), st.floats(-1, 2, allow_nan=False),
                    st.sampled_from([2**31, 2**40, 2**64, 1.0, 1e300, -0.0]),
                    st.sampled_from(["", "x", "a\"b", "tab\t", "2026-11-01T10:00:00Z", "2026-11-01 10:00",
                                     " 2026-11-01", "2026-11-01T10:00:00.1234567+0530", "2026-1-1", "route",
                                     "outcome", "ü", "null", "2026-11-01T24:00:00Z",
                                     # strings DuckDB's VARCHAR of a non-string would look like
                                     "42", "-1", "1e5", "true", "false", "NaN", "-Infinity", "inf", "[1]", "{}",
                                     "t-1", "-", "fix it", "Inf",
                                     # near misses of the writer's timestamps, which the bulk SQL reads apart
                                     "0000-11-30T04:20:55.123Z", " 2026-11-30T04:20:5.123Z",
                                     "2026-11-30T04:20:55.123Z", "2026-02-30T04:20:55.123Z"]),
                    st.text(max_size=5),
                    st.just({"input": 3}), st.just({"input": -1}), st.just({"output": 1.5}), st.just([1]))
_KEYS = st.sampled_from(["v", "ts", "event", "task_id", "score", "exit_code", "tokens", "difficulty", "model",
                         "timestamp", "task_hint", "decision", "cost_usd", "status"])
_ODD = _VALUES.map(lambda value: value)


def _mostly(well_formed: st.SearchStrategy) -> st.SearchStrategy:
    """Three times in four the well-formed shape, else an odd value (a plain one_of rarely built the shape)."""
    return st.integers(0, 3).flatmap(lambda k: well_formed if k else _ODD)


_SCORES = _mostly(st.one_of(st.floats(-1, 2, allow_nan=False),
                            st.sampled_from([1e308, -1e-320, 10**30, -(2**63) - 1, 2**64])))
_CANDIDATES = st.lists(_mostly(st.fixed_dictionaries({"model": _mostly(st.sampled_from(["m", "glm-5", "é\"\\", ""]))},
                                                     optional={"exp_score": _SCORES})), max_size=4)
# What regret reads (typed at ingest): route candidates and outcome oracle scores, well- and ill-formed.
_DECISIONS = _mostly(st.fixed_dictionaries({"candidates": _mostly(_CANDIDATES)}))
_ORACLES = _mostly(st.dictionaries(st.text(max_size=3), _SCORES, max_size=4))
_REGRET_KEYS = st.fixed_dictionaries({}, optional={"decision": _DECISIONS, "oracle_scores": _ORACLES})


@settings(max_examples=int(os.environ.get("FUZZ_EXAMPLES", "30")), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(records=st.lists(st.tuples(st.dictionaries(_KEYS, _VALUES, max_size=6), _REGRET_KEYS).map(
           lambda pair: {**pair[1], **pair[0]}), min_size=1, max_size=40),
       base=st.sampled_from([{"v": 1, "ts": "2026-11-01T10:00:00Z", "event": kind}
                             for kind in ("tool", "route", "outcome")] + [{}]))
def test_bulk_sql_never_disagrees_with_normalize(tmp_path_factory, records: list[dict], base: dict) -> None:
    """Whatever the line, the bulk path stores exactly what the Python path stores."""
    folder = tmp_path_factory.mktemp("fuzz")
    bulk, python = folder / "bulk.jsonl", folder / "python.jsonl"
    lines = [json.dumps({**base, **record}) for record in records]
    write(bulk, *lines)
    write(python, *lines)
    with Store(folder / "db.duckdb") as store:
        LogIngester(store, [bulk], small_batch=0).poll()
        LogIngester(store, [python]).poll()
        cols = ("line, ts, v, event, task_id, task, score, exit_code, difficulty, tokens_input, cost_usd, status, "
                "est_scores, oracle_best, byte_offset, byte_length, line_hash")
        rows = [store.execute(f"SELECT {cols} FROM events WHERE file = ? ORDER BY line", [str(p)]).fetchall()
                for p in (bulk, python)]
        bad = [store.execute("SELECT line, error FROM malformed WHERE file = ? ORDER BY line", [str(p)]).fetchall()
               for p in (bulk, python)]
    assert rows[0] == rows[1]
    assert bad[0] == bad[1]


@settings(max_examples=int(os.environ.get("FUZZ_EXAMPLES", "30")), deadline=None)
@given(decisions=st.lists(_DECISIONS, max_size=20), oracles=st.lists(_ORACLES, max_size=20))
def test_regret_inputs_agree_between_bulk_sql_and_python(tmp_path_factory, decisions: list, oracles: list) -> None:
    """Valid routes and outcomes whose candidates / oracle scores vary: both paths type them alike."""
    folder = tmp_path_factory.mktemp("regret")
    bulk, python = folder / "bulk.jsonl", folder / "python.jsonl"
    base = {"v": 1, "ts": "2026-11-01T10:00:00Z", "task_id": "t"}
    lines = [json.dumps({**base, "event": "route", "decision": d}) for d in decisions]
    lines += [json.dumps({**base, "event": "outcome", "oracle_scores": o}) for o in oracles]
    write(bulk, *lines)
    write(python, *lines)
    with Store(folder / "db.duckdb") as store:
        LogIngester(store, [bulk], small_batch=0).poll()
        LogIngester(store, [python]).poll()
        rows = [store.execute("SELECT line, est_scores, oracle_best FROM events WHERE file = ? ORDER BY line",
                              [str(p)]).fetchall() for p in (bulk, python)]
    assert rows[0] == rows[1]


def test_default_path_and_read_only(tmp_path: Path, fixture_log: Path) -> None:
    from analytics.paths import default_db_path
    from analytics.run_queries import totals
    from analytics.store import StoreError

    with pytest.raises(StoreError, match="no database yet"):
        Store(None, read_only=True)
    with Store(None) as store:
        assert store.path == default_db_path()
        LogIngester(store, [fixture_log]).poll()
    with Store(None, read_only=True) as reader:
        assert totals(reader).row(0, named=True)["runs"] == 5


def test_database_from_another_store_version_is_rebuilt(tmp_path: Path, fixture_log: Path) -> None:
    db = tmp_path / "old.duckdb"
    with Store(db) as store:
        store.execute("UPDATE meta SET value = '0' WHERE key = 'store_version'")
    with pytest.raises(StoreCorruptError, match="store version 0"):
        Store(db)
    store, rebuilt = Store.open_or_rebuild(db)
    with store:
        assert rebuilt and LogIngester(store, [fixture_log]).poll().new_events == 8
