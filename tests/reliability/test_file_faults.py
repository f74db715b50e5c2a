"""File faults on a log the dashboard follows: each line is ingested or kept aside as malformed (with file
and line), nothing crashes, and a restart neither repeats nor skips a line."""

from __future__ import annotations

import json
import os

import polars as pl
import pytest
from reliability_helpers import event, line

from analytics.event_queries import range_events


def _assert_restart_is_idempotent(ingest) -> None:
    before = (ingest.turn_ids(), ingest.malformed())
    ingest.restart()
    result = ingest.poll()
    assert (result.new_events, result.new_malformed) == (0, 0)
    assert (ingest.turn_ids(), ingest.malformed()) == before


def test_partial_last_line_is_left_until_completed(ingest):
    whole = line(1)
    ingest.log.write_bytes(line(0) + whole[:17])
    assert ingest.poll().new_events == 1
    assert ingest.turn_ids() == ["t0"]
    ingest.restart()  # the half line survives a restart too: it is re-read, not skipped
    assert ingest.poll().new_events == 0
    with open(ingest.log, "ab") as handle:
        handle.write(whole[17:])
    assert ingest.poll().new_events == 1
    assert ingest.turn_ids() == ["t0", "t1"]
    assert ingest.malformed() == []
    _assert_restart_is_idempotent(ingest)


def test_truncation_to_zero_then_regrowth(ingest):
    ingest.log.write_bytes(b"".join(line(i) for i in range(3)))
    assert ingest.poll().new_events == 3
    ingest.log.write_bytes(b"")
    assert ingest.poll().new_events == 0
    with open(ingest.log, "ab") as handle:
        handle.write(line(3) + line(4))
    assert ingest.poll().new_events == 2
    assert sorted(ingest.turn_ids()) == ["t0", "t1", "t2", "t3", "t4"]
    _assert_restart_is_idempotent(ingest)


def test_truncation_and_regrowth_past_the_old_size_between_polls(ingest):
    """copytruncate-style: the file is emptied and outgrows its old size before the next poll."""
    ingest.log.write_bytes(b"".join(line(i) for i in range(2)))
    assert ingest.poll().new_events == 2
    with open(ingest.log, "r+b") as handle:
        handle.truncate(0)
    with open(ingest.log, "ab") as handle:
        handle.write(b"".join(line(i) for i in range(10, 15)))
    ingest.poll()
    ids = ingest.turn_ids()
    assert sorted(set(ids) - {"t0", "t1"}) == [f"t{i}" for i in range(10, 15)]
    assert len(ids) == len(set(ids))
    assert set(ids) >= {"t0", "t1"}, "rows ingested before the truncation were dropped"
    _assert_restart_is_idempotent(ingest)


def test_rotation_by_rename_drains_the_old_file(ingest):
    ingest.log.write_bytes(b"".join(line(i) for i in range(3)))
    assert ingest.poll().new_events == 3
    with open(ingest.log, "ab") as handle:  # written after the last poll, before the rotation
        handle.write(line(3) + line(4))
    os.rename(ingest.log, ingest.log.with_name("routing_log.jsonl.1"))
    ingest.log.write_bytes(line(5) + line(6))
    assert ingest.poll().new_events == 4
    assert sorted(ingest.turn_ids()) == [f"t{i}" for i in range(7)]
    _assert_restart_is_idempotent(ingest)


def test_deleted_and_recreated(ingest):
    ingest.log.write_bytes(b"".join(line(i) for i in range(3)))
    assert ingest.poll().new_events == 3
    ingest.log.unlink()
    assert ingest.poll().new_events == 0
    ingest.log.write_bytes(b"".join(line(i) for i in range(10, 14)))
    ingest.poll()
    ids = ingest.turn_ids()
    assert sorted(ids) == ["t0", "t1", "t10", "t11", "t12", "t13", "t2"]
    _assert_restart_is_idempotent(ingest)


def test_crlf_line_ends(ingest):
    ingest.log.write_bytes(b"".join(line(i).replace(b"\n", b"\r\n") for i in range(4)))
    assert ingest.poll().new_events == 4
    assert ingest.turn_ids() == ["t0", "t1", "t2", "t3"]
    assert ingest.store.execute("SELECT count(*) FROM events WHERE tool = 'shell'").fetchone() == (4,)
    assert ingest.malformed() == []
    _assert_restart_is_idempotent(ingest)


def test_utf8_bom_on_the_first_line(ingest):
    ingest.log.write_bytes(b"\xef\xbb\xbf" + line(0) + line(1))
    result = ingest.poll()
    assert (result.new_events, result.new_malformed) == (2, 0)
    assert ingest.turn_ids() == ["t0", "t1"]
    _assert_restart_is_idempotent(ingest)


def test_invalid_utf8_is_malformed_with_file_and_line(ingest):
    bad = b'{"v":1,"ts":"2026-11-29T12:00:00Z","event":"tool","task":"caf\xe9 \xff"}\n'
    ingest.log.write_bytes(line(0) + bad + line(2))
    result = ingest.poll()
    assert (result.new_events, result.new_malformed) == (2, 1)
    assert ingest.turn_ids() == ["t0", "t2"]
    [(file, number, error)] = ingest.malformed()
    assert (file, number) == (str(ingest.log), 2)
    assert "UTF-8" in error
    _assert_restart_is_idempotent(ingest)


def test_five_megabyte_line(ingest):
    big = "x" * (5 * 1024 * 1024)
    ingest.log.write_bytes(line(0) + line(1, task=big, payload={"blob": big}) + line(2))
    result = ingest.poll()
    assert (result.new_events, result.new_malformed) == (3, 0)
    [(length,)] = ingest.store.execute("SELECT length(task) FROM events WHERE turn_id = 't1'").fetchall()
    assert length == len(big)
    _assert_restart_is_idempotent(ingest)


def test_five_megabyte_line_arriving_in_pieces(ingest):
    whole = line(1, task="y" * (5 * 1024 * 1024))
    ingest.log.write_bytes(line(0))
    for start in range(0, len(whole), 1024 * 1024):
        with open(ingest.log, "ab") as handle:
            handle.write(whole[start:start + 1024 * 1024])
        ingest.poll()
    assert ingest.turn_ids() == ["t0", "t1"]
    assert ingest.malformed() == []


@pytest.mark.parametrize("value", ["[1, 2]", '"a string"', "42", "null", "true"])
def test_json_value_that_is_not_an_object(ingest, value):
    ingest.log.write_bytes(line(0) + value.encode() + b"\n" + line(2))
    result = ingest.poll()
    assert (result.new_events, result.new_malformed) == (2, 1)
    [(file, number, error)] = ingest.malformed()
    assert (file, number) == (str(ingest.log), 2)
    assert "not an object" in error
    _assert_restart_is_idempotent(ingest)


@pytest.mark.parametrize(("record", "field"), [
    ({"v": 1, "ts": "2026-11-29T12:00:00Z"}, "event"),
    ({"v": 1, "event": "tool"}, "ts"),
    ({"v": 1, "ts": "yesterday", "event": "tool"}, "ts"),
    ({"v": "1", "ts": "2026-11-29T12:00:00Z", "event": "tool"}, "v"),
    ({"v": 0, "ts": "2026-11-29T12:00:00Z", "event": "tool"}, "v"),
    ({"v": 1, "ts": "2026-11-29T12:00:00Z", "event": "outcome", "score": "high"}, "score"),
    ({"v": 1, "ts": "2026-11-29T12:00:00Z", "event": "outcome", "score": 1.5}, "score"),
    ({"v": 1, "ts": "2026-11-29T12:00:00Z", "event": "outcome", "tokens": {"input": -3}}, "tokens.input"),
    ({"v": 1, "ts": "2026-11-29T12:00:00Z", "event": "outcome", "tokens": {"output": 2.5}}, "tokens.output"),
    ({"v": 1, "ts": "2026-11-29T12:00:00Z", "event": "tool", "exit_code": "1"}, "exit_code"),
    ({"v": 1, "ts": "2026-11-29T12:00:00Z", "event": "route", "model": 5}, "model"),
    ({"v": 1, "ts": "2026-11-29T12:00:00Z", "event": "route", "decision": []}, "decision"),
    ({"v": 1, "ts": "2026-11-29T12:00:00Z", "event": "outcome", "cost_usd": "0.1"}, "cost_usd"),
    ({"v": 1, "ts": 1764417600, "event": "tool"}, "ts"),
])
def test_missing_and_mistyped_fields_are_named(ingest, record, field):
    ingest.log.write_bytes(line(0) + (json.dumps(record) + "\n").encode() + line(2))
    result = ingest.poll()
    assert (result.new_events, result.new_malformed) == (2, 1)
    [(file, number, error)] = ingest.malformed()
    assert (file, number) == (str(ingest.log), 2)
    assert error.startswith(f"{field}:"), error
    _assert_restart_is_idempotent(ingest)


def test_schema_version_from_the_future_is_kept(ingest):
    future = event(1, v=7, hologram={"fidelity": 3}, event="tool")
    ingest.log.write_bytes(line(0) + (json.dumps(future) + "\n").encode())
    assert ingest.poll().new_events == 2
    [(v, raw)] = range_events(ingest.store).filter(pl.col("turn_id") == "t1").select("v", "raw").rows()
    assert v == 7
    assert json.loads(raw)["hologram"] == {"fidelity": 3}
    _assert_restart_is_idempotent(ingest)


def test_blank_and_whitespace_lines_are_skipped(ingest):
    ingest.log.write_bytes(line(0) + b"\n   \n\t\n" + line(4))
    result = ingest.poll()
    assert (result.new_events, result.new_malformed) == (2, 0)
    [(number,)] = ingest.store.execute("SELECT line FROM events WHERE turn_id = 't4'").fetchall()
    assert number == 5


def test_every_fault_in_one_file_then_restart(ingest):
    """All of the above at once, in one file: counts add up and line numbers stay exact."""
    parts = [b"\xef\xbb\xbf" + line(0), line(1).replace(b"\n", b"\r\n"), b"[]\n", b"\xff\xfe\n",
             line(4, task="z" * 300_000), b'{"event": "tool"}\n', line(6, v=3), b"{not json\n", line(8)]
    ingest.log.write_bytes(b"".join(parts))
    result = ingest.poll()
    assert (result.new_events, result.new_malformed) == (5, 4)
    assert sorted(ingest.turn_ids()) == ["t0", "t1", "t4", "t6", "t8"]
    assert [m[1] for m in ingest.malformed()] == [3, 4, 6, 8]
    _assert_restart_is_idempotent(ingest)


def test_odd_files_in_the_log_list_are_skipped_not_waited_on(ingest, tmp_path):
    """A FIFO, a directory or a device given as a log must not hang or crash the dashboard's poll."""
    from analytics.ingest import LogIngester

    fifo, folder = tmp_path / "fifo.jsonl", tmp_path / "folder.jsonl"
    os.mkfifo(fifo)
    folder.mkdir()
    ingest.log.write_bytes(line(0))
    ingester = LogIngester(ingest.store, [fifo, folder, "/dev/zero", ingest.log], prices=ingest.ingester.prices)
    assert ingester.poll().new_events == 1
    assert ingester.poll().new_events == 0
