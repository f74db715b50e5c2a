"""The DuckDB cache and the files around it (issue 14 items 4-6): `--db` never destroys a file that is not ours,
a damaged cache is rebuilt (never reported as "locked"), and the cache answers only for the logs asked for."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import duckdb
import pytest
from reliability_helpers import line

from analytics import store as store_module
from analytics.paths import default_db_path
from analytics.store import Store
from hooks.cli import main

BLOCK = 256 * 1024  # DuckDB's block size; its three header blocks (4 KiB each) come first
HEADERS = 3 * 4096


def write_log(path: Path, count: int, **extra) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"".join(line(i, **extra) for i in range(count)))
    return path


def report(capsys, *argv: str) -> tuple[int, dict | None, str]:
    code = main(["report", *argv, "--json"])
    captured = capsys.readouterr()
    return code, json.loads(captured.out) if code == 0 else None, captured.err


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def other_programs_db(path: Path) -> Path:
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE accounts AS SELECT range AS id, 'owner ' || range AS name FROM range(1000)")
    con.close()
    return path


@pytest.mark.parametrize("kind", ["text", "random bytes", "another program's DuckDB", "empty file"])
def test_db_that_is_not_ours_is_refused_and_untouched(tmp_path: Path, capsys, kind: str) -> None:
    log = write_log(tmp_path / "log.jsonl", 3)
    target = tmp_path / "notes.txt"
    if kind == "text":
        target.write_text("my notes, not a cache\n" * 50)
    elif kind == "random bytes":
        target.write_bytes(os.urandom(70_000))
    elif kind == "empty file":
        target.write_bytes(b"")
    else:
        other_programs_db(target)
    before = digest(target)
    code, _, err = report(capsys, "--log", str(log), "--db", str(target))
    assert code == 2
    assert str(target) in err and "not" in err
    assert digest(target) == before
    assert not target.with_name(target.name + ".wal").exists()


def test_db_that_is_a_directory_is_a_clear_usage_error(tmp_path: Path, capsys) -> None:
    log = write_log(tmp_path / "log.jsonl", 3)
    folder = tmp_path / "cache_dir"
    folder.mkdir()
    code, _, err = report(capsys, "--log", str(log), "--db", str(folder))
    assert code == 2 and "is a directory" in err and "Traceback" not in err
    assert list(folder.iterdir()) == []


def test_rebuild_refuses_a_file_that_is_not_ours(tmp_path: Path) -> None:
    target = other_programs_db(tmp_path / "theirs.duckdb")
    before = digest(target)
    with pytest.raises(store_module.StoreRefusedError):
        Store.rebuild(target)
    with pytest.raises(store_module.StoreRefusedError):
        Store.open_or_rebuild(target)
    assert digest(target) == before


def test_our_cache_at_any_path_is_reused(tmp_path: Path, capsys) -> None:
    log = write_log(tmp_path / "log.jsonl", 3)
    db = tmp_path / "elsewhere" / "mine.duckdb"
    for _ in range(2):
        code, out, err = report(capsys, "--log", str(log), "--db", str(db))
        assert (code, out["events"], err) == (0, 3, "")


def test_a_damaged_cache_is_rebuilt_never_reported_locked(tmp_path: Path, capsys) -> None:
    """Damage in any block of the cache: the report is right, says the cache was rebuilt if it noticed, and the
    next report finds a healthy cache (a checksum error names the "block" it failed in: it is no lock)."""
    log = write_log(tmp_path / "log.jsonl", 6000, task="t" * 200)
    code, out, _ = report(capsys, "--log", str(log))
    assert code == 0 and out["events"] == 6000
    db = default_db_path([log])
    pristine = db.read_bytes()
    assert len(pristine) > HEADERS + BLOCK
    rebuilt = 0
    for start in range(HEADERS, len(pristine), BLOCK):
        damaged = bytearray(pristine)
        damaged[start + 8:start + 72] = b"\xff" * 64  # past the block's own checksum
        db.write_bytes(damaged)
        code, out, err = report(capsys, "--log", str(log))
        assert code == 0 and out["events"] == 6000, (start, err)
        assert "locked" not in err, (start, err)
        rebuilt += "rebuilt" in err
        code, out, err = report(capsys, "--log", str(log))
        assert (code, out["events"], err) == (0, 6000, ""), start
    assert rebuilt  # some damage was in blocks the report reads


def test_the_dashboard_does_not_show_another_logs_runs(capsys) -> None:
    """`report --log sample_logs/...` with the default cache, then a plain dashboard on an empty log of one's
    own: the dashboard's cache holds (and so shows) none of the sample's runs or spend."""
    from analytics.paths import default_log_path, sample_log_dir
    from analytics.run_queries import totals
    from tui.live_services import LiveServices
    from tui.session import resolve_paths

    code, out, _ = report(capsys, "--log", str(sample_log_dir() / "routing_log.jsonl"))
    assert code == 0 and out["totals"]["runs"] > 0
    own = default_log_path()
    own.write_bytes(b"")
    session = resolve_paths(None, None, None, demo=False)
    assert not session.demo
    services = LiveServices(session)
    try:
        services.ingest()
    finally:
        services.close()
    with Store(session.db, read_only=True) as store:
        row = totals(store).row(0, named=True)
    assert (row["events"], row["runs"], row["total_spend_usd"]) == (0, 0, 0)


@pytest.mark.parametrize("flag", ["--log", "--db"])
def test_the_dashboard_refuses_a_folder_as_log_or_db(tmp_path: Path, capsys, flag: str) -> None:
    from tui.cli import main as dashboard

    assert dashboard([flag, str(tmp_path)]) == 2
    assert "is not a file" in capsys.readouterr().err


def test_our_cache_damaged_past_its_marker_is_rebuilt_a_file_swapped_in_is_not(tmp_path: Path, capsys) -> None:
    """A cache we created at any --db path and then overwritten with garbage (same file) is still ours to
    rebuild; a file moved into its place (another inode) is somebody else's."""
    log = write_log(tmp_path / "log.jsonl", 3)
    db = tmp_path / "mine.duckdb"
    assert report(capsys, "--log", str(log), "--db", str(db))[0] == 0
    db.write_bytes(b"\x00garbage" * 1000)
    code, out, err = report(capsys, "--log", str(log), "--db", str(db))
    assert (code, out["events"]) == (0, 3) and "rebuilt" in err
    swapped = tmp_path / "notes.txt"
    swapped.write_bytes(b"\x00garbage" * 1000)
    os.replace(swapped, db)
    code, _, err = report(capsys, "--log", str(log), "--db", str(db))
    assert code == 2 and db.read_bytes() == b"\x00garbage" * 1000
