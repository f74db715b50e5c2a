"""Test code that tries to get out of the sandbox: leave its pids cgroup through /sys, write /proc/sys,
outlive the run as a setsid daemon with a scrubbed environment, read our credentials from its environment
or /proc, or read the user's home. Each attempt worked before /sys and /proc/sys were read-only, the run
got a pid namespace, an allowlist environment and empty home directories.

The jail needs user + mount + pid namespaces, the cgroup tests a writable pids cgroup (root); where the
kernel or the machine lacks one, the test skips and says which.
"""

from __future__ import annotations

import os
import sys
import textwrap
from pathlib import Path

import pytest
from reliability_helpers import lock_held

from hooks import cgroups, sandbox
from hooks.sandbox import Limits, run_limited
from hooks.settings import HooksSettings
from hooks.verifier import Verifier

LIMIT = 16
SECRETS = {"AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "PGPASSWORD": "pg-hunter2-pass",
           "DATABASE_URL": "postgres://app:db-hunter2@db.internal/app"}


@pytest.fixture
def jail():
    if not sandbox.jail_works():
        pytest.skip("user + mount + pid namespaces do not work here: no jail, so nothing to escape from")


@pytest.fixture
def pids_cgroup(jail):
    parent, why = cgroups.pids_cgroup_parent()
    if parent is None:
        pytest.skip(f"no per-run pids cgroup here: {why}")
    return parent


def _run(tmp_path: Path, code: str, *args: str, **limits) -> sandbox.SandboxResult:
    script = tmp_path / "attempt.py"
    script.write_text(textwrap.dedent(code), encoding="utf-8")
    return run_limited([sys.executable, str(script), *args], tmp_path,
                       Limits(**{"timeout_s": 20.0, "max_processes": LIMIT, **limits}))


def test_sys_and_proc_sys_are_read_only(tmp_path, jail):
    result = _run(tmp_path, """
        import errno, os
        for path in ("/sys/fs/cgroup/cgroup.procs", "/sys/fs/cgroup/pids/cgroup.procs",
                     "/sys/kernel/mm/transparent_hugepage/enabled", "/proc/sys/kernel/hostname",
                     "/proc/sys/vm/drop_caches", "/proc/sysrq-trigger"):
            try:
                with open(path, "w") as handle:
                    handle.write("x")
            except FileNotFoundError:
                continue
            except OSError as exc:
                print(path, "refused" if exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM) else exc)
                continue
            print(path, "WRITABLE")
        """)
    assert result.returncode == 0, result
    assert "WRITABLE" not in result.stdout, result.stdout
    assert "/proc/sys/kernel/hostname refused" in result.stdout, result.stdout


def test_the_command_cannot_leave_its_cgroup_fork_past_the_limit_or_outlive_the_run(tmp_path, pids_cgroup):
    """The red team's test: move into the parent cgroup, fork past pids.max, leave a setsid daemon that
    re-execs without the run's marker in its environment; all three must fail."""
    result = _run(tmp_path, """
        import fcntl, os, sys, time
        mine = next(line.split(":", 2)[2] for line in open("/proc/self/cgroup")
                    if "pids" in line.split(":")[1].split(","))
        parent = "/sys/fs/cgroup/pids" + os.path.dirname(mine.strip())
        try:
            with open(parent + "/cgroup.procs", "w") as procs:
                procs.write(str(os.getpid()))
            print("moved")
        except OSError as exc:
            print("stayed", exc.errno)
        lock = open("daemon.lock", "a")
        fcntl.flock(lock, fcntl.LOCK_EX)
        os.set_inheritable(lock.fileno(), True)
        if os.fork() == 0:
            os.setsid()
            os.execve(sys.executable, [sys.executable, "-c", "import time; time.sleep(120)"], {})
        started = 0
        for _ in range(40):
            try:
                if os.fork() == 0:
                    time.sleep(2)
                    os._exit(0)
                started += 1
            except OSError:
                break
        print("forked", started)
        """)
    assert result.returncode == 0, result
    assert "stayed" in result.stdout, result.stdout
    assert int(result.stdout.split("forked")[1]) < LIMIT, result.stdout
    assert not lock_held(tmp_path / "daemon.lock"), "a setsid daemon outlived the sandboxed run"
    assert not Path(result.isolation["pids_cgroup"]).exists(), result.isolation


def test_release_stops_forks_before_killing(tmp_path, pids_cgroup):
    """A cgroup being released can no longer fork: pids.max is 0 from the first step."""
    cgroup = cgroups.make_pids_cgroup(pids_cgroup, LIMIT)
    try:
        cgroups._freeze(cgroup)
        assert (cgroup / "pids.max").read_text().strip() == "0"
    finally:
        cgroups.release_cgroup(cgroup)
    assert not cgroup.exists()


def test_credentials_in_our_environment_never_reach_test_code(tmp_path, monkeypatch, jail):
    for name, value in SECRETS.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-proj-abcdefghijklmnopqrstuvwxyz")
    result = _run(tmp_path, """
        import os
        print(sorted(os.environ))
        for entry in os.listdir("/proc"):  # no process of ours is visible, so no /proc/PID/environ either
            if entry.isdigit():
                try:
                    print(open(f"/proc/{entry}/environ", "rb").read().decode(errors="replace"))
                except OSError:
                    pass
        """)
    assert result.returncode == 0, result
    for name, value in SECRETS.items():
        assert name not in result.stdout and value not in result.stdout, name
    assert "OPENAI_API_KEY" not in result.stdout
    assert "PATH" in result.stdout and "HOME" in result.stdout


def test_home_directories_are_empty_inside(tmp_path, jail):
    real_home = Path.home()
    private = next((entry.path for entry in os.scandir(real_home) if entry.is_file(follow_symlinks=False)), None)
    if private is None:
        pytest.skip(f"{real_home} holds no file to look for")
    result = _run(tmp_path, """
        import os, sys
        try:
            open(sys.argv[1], "rb").read()
            print("READ")
        except OSError:
            print("hidden")
        for root in ("/root", "/home"):  # only the folders the command needs are bound back, no files
            if os.path.isdir(root):
                print(*(entry.path for entry in os.scandir(root) if not entry.is_dir()))
        """, private)
    assert result.returncode == 0, result
    assert result.stdout.split() == ["hidden"], result.stdout


def test_failing_test_output_is_redacted_before_it_is_logged(tmp_path):
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "test_leak.py").write_text(textwrap.dedent("""
        def test_connect():
            print("connecting with password=hunter2-very-secret to postgres://app:db-hunter2@db/app")
            print("-----BEGIN RSA PRIVATE KEY-----\\nMIIEowIBAAKCAQEA7bq\\n-----END RSA PRIVATE KEY-----")
            assert False
        """), encoding="utf-8")
    settings = HooksSettings(test_timeout_s=60.0, memory_mb=1024, max_processes=256)
    tests = Verifier(settings).verify(repo, [repo / "test_leak.py"], dimension="code_generation",
                                      completed=True).details["tests"]
    tail = tests["output_tail"]
    assert "[REDACTED]" in tail, tail
    for secret in ("hunter2-very-secret", "db-hunter2", "MIIEowIBAAKCAQEA7bq"):
        assert secret not in tail, secret
