"""File following: watchdog events on the logs' folders, plus a stat-poll fallback (network filesystems,
editors that replace files). Both only *signal* a change; the ingest worker reads from the saved offset.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer


class _Handler(FileSystemEventHandler):
    def __init__(self, names: set[str], notify: Callable[[], None]) -> None:
        self.names = names
        self.notify = notify

    def on_any_event(self, event: FileSystemEvent) -> None:
        paths = {os.fsdecode(event.src_path), os.fsdecode(getattr(event, "dest_path", "") or "")}
        if any(Path(p).name in self.names for p in paths if p):
            self.notify()


class LogWatcher:
    """Calls ``notify`` (from a watchdog thread) when any of ``logs`` is created, written, moved or removed."""

    def __init__(self, logs: list[Path], notify: Callable[[], None]) -> None:
        self.logs = logs
        self.notify = notify
        self._observer: Observer | None = None
        self._last: dict[Path, tuple[int, int, int] | None] = {}

    def start(self) -> list[str]:
        """Start watching; returns the folders that could not be watched (the stat poll still covers them)."""
        failed = []
        observer = Observer()
        handler = _Handler({p.name for p in self.logs}, self.notify)
        for folder in sorted({p.parent for p in self.logs}):
            try:
                folder.mkdir(parents=True, exist_ok=True)
                observer.schedule(handler, str(folder), recursive=False)
            except OSError as exc:
                failed.append(f"{folder}: {exc.strerror or exc}")
        observer.daemon = True
        observer.start()
        self._observer = observer
        self.poll()
        return failed

    def poll(self) -> bool:
        """Stat every log; True when one changed (inode, size or mtime) since the last poll."""
        changed = False
        for path in self.logs:
            try:
                st = path.stat()
                sig: tuple[int, int, int] | None = (st.st_ino, st.st_size, st.st_mtime_ns)
            except OSError:
                sig = None
            if self._last.get(path, ()) != sig:
                changed = changed or path in self._last
                self._last[path] = sig
        return changed

    def stop(self) -> None:
        if self._observer is not None:
            self._observer.stop()
            self._observer.join(timeout=2)
            self._observer = None
