"""Model-written code under test that misbehaves is stopped by the sandbox and scored as a failure, and
the host is unharmed.

Safety first: the fork bomb and the 10 GB allocation only run after a harmless probe has shown that the
limit that stops them is really enforced on this machine (as root, RLIMIT_NPROC is not; the sandbox then
uses a pids cgroup where one is writable, and the bomb itself refuses to fork outside that cgroup; with
neither, the probe forks past the limit and the bomb is skipped with the reason).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest
from reliability_helpers import lock_held

from hooks import cgroups, sandbox
from hooks.cgroups import CGROUP_JOIN
from hooks.sandbox import MARKER_ENV, Limits, run_limited
from hooks.settings import HooksSettings
from hooks.verifier import Verifier

PROBE_LIMIT = 16
PROBE_CHILDREN = PROBE_LIMIT + 24


@pytest.fixture(autouse=True)
def _plain_inner_pytest(monkeypatch):
    """The inner pytest needs none of this venv's plugins (they cost seconds to import)."""
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")


def _repo(tmp_path: Path, solution: str, test: str) -> Path:
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "solution.py").write_text(textwrap.dedent(solution), encoding="utf-8")
    (repo / "test_solution.py").write_text(textwrap.dedent(test), encoding="utf-8")
    return repo


def _verify(repo: Path, **limits):
    settings = HooksSettings(**{"test_timeout_s": 20.0, "memory_mb": 1024, "max_processes": 256, **limits})
    changed = [repo / "solution.py", repo / "test_solution.py"]
    return Verifier(settings).verify(repo, changed, dimension="code_generation", completed=True)


def _assert_failed(verification) -> None:
    assert verification.signals["tests"] == 0.0, verification.details
    assert verification.confidence < 0.5, verification


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat")
    return not (stat.exists() and stat.read_text().split(")")[-1].split()[0] == "Z")


HOLD_LOCK = "_lock = open({name!r}, 'a'); fcntl.flock(_lock, fcntl.LOCK_EX)"


def test_well_behaved_code_passes(tmp_path):
    """The control: the same machinery scores honest code as a success (so the failures below mean something)."""
    repo = _repo(tmp_path, "def add(a, b):\n    return a + b\n",
                 "from solution import add\n\ndef test_add():\n    assert add(2, 3) == 5\n")
    verification = _verify(repo)
    assert verification.signals["tests"] == 1.0 and verification.confidence > 0.9, verification.details


def test_infinite_loop_is_stopped(tmp_path):
    repo = _repo(tmp_path, f"""
        import fcntl

        def spin():
            {HOLD_LOCK.format(name="alive.lock")}
            while True:
                pass
        """, "from solution import spin\n\ndef test_spin():\n    spin()\n")
    verification = _verify(repo, test_timeout_s=3.0)
    _assert_failed(verification)
    tests = verification.details["tests"]
    assert tests["timed_out"] or tests["returncode"] < 0, tests  # wall clock, or RLIMIT_CPU's SIGKILL
    assert verification.details["tests"]["duration_s"] < 15
    assert not lock_held(repo / "alive.lock")


def _probe_process_limit(tmp_path: Path) -> tuple[int, dict]:
    """How many of PROBE_CHILDREN sleeping children a sandboxed process may start under PROBE_LIMIT."""
    probe = tmp_path / "probe.py"
    probe.write_text(textwrap.dedent(f"""
        import os, time
        started = 0
        for _ in range({PROBE_CHILDREN}):
            try:
                if os.fork() == 0:
                    time.sleep(3)
                    os._exit(0)
            except OSError:
                break
            started += 1
        print(started)
        """), encoding="utf-8")
    result = run_limited([sys.executable, str(probe)], tmp_path, Limits(timeout_s=20, max_processes=PROBE_LIMIT))
    return int(result.stdout.strip() or PROBE_CHILDREN), result.isolation


def _marked_processes(marker: str) -> list[int]:
    """Live processes whose environment carries this sandbox run's marker."""
    needle = f"{MARKER_ENV}={marker}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if needle in (entry / "environ").read_bytes().split(b"\0") and _alive(int(entry.name)):
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


@pytest.mark.slow
def test_fork_bomb_is_contained(tmp_path):
    started, isolation = _probe_process_limit(tmp_path)
    cgroup = isolation.get("pids_cgroup")
    if cgroup:  # the sandbox claims a cgroup limit: it must hold, and the probe's cgroup must be gone
        assert started < PROBE_LIMIT, (started, isolation)
        assert not Path(cgroup).exists(), isolation  # removed: every sleeping child was killed first
    elif started >= PROBE_CHILDREN:
        pytest.skip(f"the sandbox cannot enforce a process limit here (probe started {started} processes under "
                    f"a limit of {PROBE_LIMIT}; isolation {isolation}): as root RLIMIT_NPROC is not enforced "
                    "and no cgroup pids limit was available, so the fork bomb is not run")
    # A last guard inside the bomb: where the probe was held by a cgroup, fork only from inside one.
    guard = ("if 'codex-router-' not in Path('/proc/self/cgroup').read_text():\n"
             "                raise SystemExit('no pids cgroup: refusing to fork')\n") if cgroup else ""
    repo = _repo(tmp_path, f"""
        import fcntl, os
        from pathlib import Path

        def bomb():
            {guard}
            Path("marker").write_text(os.environ[{MARKER_ENV!r}])
            {HOLD_LOCK.format(name="bomb.lock")}  # every fork inherits it: free only when all are dead
            while True:
                try:
                    os.fork()
                except OSError:
                    pass
        """, "from solution import bomb\n\ndef test_bomb():\n    bomb()\n")
    verification = _verify(repo, test_timeout_s=5.0, max_processes=64)
    _assert_failed(verification)
    tests = verification.details["tests"]
    assert (repo / "bomb.lock").exists(), tests  # the bomb really went off
    assert tests["duration_s"] < 30, tests
    if cgroup:
        run_cgroup = tests["isolation"]["pids_cgroup"]
        assert run_cgroup and not Path(run_cgroup).exists(), tests["isolation"]
        assert "pids_cgroup_error" not in tests["isolation"], tests["isolation"]
    assert not lock_held(repo / "bomb.lock")
    assert _marked_processes((repo / "marker").read_text()) == []


@pytest.mark.slow
def test_ten_gigabytes_are_refused(tmp_path):
    probe = run_limited([sys.executable, "-c", "bytearray(512 * 1024 * 1024)"], tmp_path,
                        Limits(timeout_s=20, memory_mb=256))
    if probe.returncode == 0:
        pytest.skip(f"the sandbox cannot enforce a memory limit here (isolation {probe.isolation}); "
                    "the 10 GB allocation is not run")
    repo = _repo(tmp_path, "def hog():\n    return bytearray(10 * 1024 ** 3)\n",
                 "from solution import hog\n\ndef test_hog():\n    assert len(hog()) == 10 * 1024 ** 3\n")
    verification = _verify(repo, memory_mb=1024)
    _assert_failed(verification)
    assert "MemoryError" in verification.details["tests"].get("output_tail", "")


def test_socket_to_the_host_is_cut(tmp_path):
    with socket.create_server(("127.0.0.1", 0)) as server:
        port = server.getsockname()[1]
        server.settimeout(0.2)
        accepted: list[tuple] = []
        stop = threading.Event()

        def accept() -> None:
            while not stop.is_set():
                try:
                    conn, peer = server.accept()
                except TimeoutError:
                    continue
                accepted.append(peer)
                conn.close()

        listener = threading.Thread(target=accept, daemon=True)
        listener.start()
        repo = _repo(tmp_path, f"""
            import socket

            def phone_home():
                with socket.create_connection(("127.0.0.1", {port}), timeout=3) as conn:
                    conn.sendall(b"secrets")
                return True
            """, "from solution import phone_home\n\ndef test_phone_home():\n    assert phone_home()\n")
        verification = _verify(repo)
        stop.set()
        listener.join()
    if verification.details["tests"]["isolation"]["network"] == "none":
        pytest.skip("no network namespace can be created here (unshare unavailable)")
    _assert_failed(verification)
    assert accepted == []


def test_write_outside_the_work_dir_is_refused(tmp_path):
    outside = tmp_path / "outside" / "owned.txt"
    outside.parent.mkdir()
    repo = _repo(tmp_path, f"""
        from pathlib import Path

        def escape():
            Path({str(outside)!r}).write_text("pwned")
            return True
        """, "from solution import escape\n\ndef test_escape():\n    assert escape()\n")
    verification = _verify(repo)
    assert not outside.exists(), "model code wrote outside its work dir"
    _assert_failed(verification)


def test_a_daemon_that_escapes_the_process_group_is_stopped(tmp_path):
    """setsid() leaves the process group the timeout kills; the sandbox must still stop it."""
    repo = _repo(tmp_path, f"""
        import fcntl, os, time
        from pathlib import Path

        def daemonize():
            if os.fork() == 0:
                os.setsid()
                if os.fork() == 0:
                    {HOLD_LOCK.format(name="daemon.lock")}
                    Path("daemon.ready").touch()
                    while True:
                        time.sleep(0.1)
                os._exit(0)
            while not Path("daemon.ready").exists():
                time.sleep(0.01)
            while True:
                time.sleep(0.1)
        """, "from solution import daemonize\n\ndef test_daemonize():\n    daemonize()\n")
    verification = _verify(repo, test_timeout_s=3.0)
    _assert_failed(verification)
    assert (repo / "daemon.ready").exists()
    assert not lock_held(repo / "daemon.lock"), "a process the model started outlived the sandbox"


def test_a_failed_cgroup_join_never_runs_the_command(tmp_path):
    """Running unconfined after a failed join would silently drop the process limit."""
    touched = tmp_path / "ran"
    result = subprocess.run([sys.executable, "-I", str(CGROUP_JOIN), str(tmp_path / "no-such-cgroup"), "--",
                             sys.executable, "-c", f"open({str(touched)!r}, 'w').close()"],
                            capture_output=True, text=True, timeout=30)
    assert result.returncode == 126 and "cannot join" in result.stderr, result
    assert not touched.exists()


def test_without_a_pids_cgroup_the_signals_say_why(tmp_path, monkeypatch):
    monkeypatch.setattr(sandbox, "pids_cgroup_parent", lambda: (None, "no cgroup here (test)"))
    result = run_limited([sys.executable, "-c", "print('ok')"], tmp_path, Limits(timeout_s=20))
    assert result.returncode == 0 and result.stdout.strip() == "ok", result
    assert result.isolation["pids_cgroup"] is None
    assert result.isolation["pids_cgroup_unavailable"] == "no cgroup here (test)"
    if result.isolation["rlimits"] is not None:
        assert result.isolation["rlimits"]["nproc_enforced"] is (os.geteuid() != 0)


def test_the_run_cgroup_is_removed_even_when_the_run_fails(tmp_path, monkeypatch):
    parent, why = cgroups.pids_cgroup_parent()
    if parent is None:
        pytest.skip(f"no pids cgroup here: {why}")
    before = set(parent.glob(f"{cgroups.CGROUP_PREFIX}*"))
    made: list[str] = []

    def crash(argv, full, *args):
        made.append(full[full.index("--") - 1])
        raise RuntimeError("reader crashed")

    monkeypatch.setattr(sandbox, "_run", crash)
    with pytest.raises(RuntimeError):
        run_limited(["true"], tmp_path, Limits(timeout_s=20))
    assert made and made[0].startswith(str(parent)) and not Path(made[0]).exists()
    assert set(parent.glob(f"{cgroups.CGROUP_PREFIX}*")) == before
