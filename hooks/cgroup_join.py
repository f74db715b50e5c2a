"""First link of a sandboxed run: move this process into a pids cgroup, then exec the rest of the chain.

``python -I hooks/cgroup_join.py CGROUP_DIR -- ARGV...``: writes its own pid to ``CGROUP_DIR/cgroup.procs``
and execs ARGV, so every process the command ever starts is counted against the cgroup's ``pids.max``
(which binds root, unlike RLIMIT_NPROC). It replaces a ``preexec_fn`` (unsafe from a worker thread) and
must come before ``unshare``: inside a user namespace the cgroup files are not writable. If the join
fails the command is NOT run (exit 126): running it unconfined would silently drop the limit.
Standard library only, no project imports: it starts in every sandboxed run.
"""

from __future__ import annotations

import os
import sys

USAGE = "usage: cgroup_join.py CGROUP_DIR -- ARGV..."


def main(argv: list[str]) -> int:
    if len(argv) < 3 or argv[1] != "--":
        print(USAGE, file=sys.stderr)
        return 2
    cgroup, command = argv[0], argv[2:]
    try:
        with open(os.path.join(cgroup, "cgroup.procs"), "w", encoding="ascii") as procs:
            procs.write(str(os.getpid()))
    except OSError as exc:
        print(f"cgroup_join: cannot join {cgroup}: {exc}", file=sys.stderr)
        return 126
    try:
        os.execvp(command[0], command)
    except OSError as exc:
        print(f"cgroup_join: cannot run {command[0]}: {exc}", file=sys.stderr)
        return 127


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
