"""The dashboard's embedding model, hosted in a child process.

Importing torch and loading the model costs seconds of CPU, much of it in C calls that hold the GIL; in the
dashboard's own process that stalled the event loop, so every screen took 2 s instead of well under 1 s while
the model loaded (`benchmarks/bench_tui.py`). In a child process the load runs beside the dashboard, not
against it, and torch never enters the dashboard's process. Once loaded, one ``encode`` is a pipe round trip
(a few ms), so a decision stays far under its 50 ms target.

``ProcessEmbedder`` has the interface of ``router.embedding.Embedder`` that the router uses (``encode``,
``load``, ``loaded``, ``identity``), so it is passed wherever an embedder is.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from multiprocessing.connection import Connection
from pathlib import Path

import numpy as np

from router.embedding import Embedder

ROOT = Path(__file__).resolve().parents[1]  # where ``tui`` and ``router`` are, for the child's imports


class EmbedderProcessError(RuntimeError):
    """The child process could not load the model, or died; the message says why."""


def serve(model: str | None) -> None:
    """The child: load once, then answer each list of texts with its vectors until stdin closes.

    The pipes are stdin and stdout (as multiprocessing connections); fd 1 is then pointed at /dev/null so a
    stray print cannot corrupt the protocol (the parent discards stderr: the terminal is the dashboard's).
    """
    requests, replies = Connection(os.dup(0)), Connection(os.dup(1))
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1):
        os.dup2(devnull, fd)
    embedder = Embedder(model)
    try:
        embedder.load()
        embedder.encode(["warm-up"])  # torch's first call is ten times slower: keep it off the first decision
    except Exception as exc:  # noqa: BLE001 - any load failure is reported to the parent, which shows it
        replies.send(("failed", f"{type(exc).__name__}: {exc}"))
        return
    replies.send(("ready", None))
    while True:
        try:
            texts = requests.recv()
        except (EOFError, OSError):
            return
        try:
            replies.send(("ok", embedder.encode(texts)))
        except Exception as exc:  # noqa: BLE001 - an encode failure is the caller's error, the child keeps serving
            replies.send(("failed", f"{type(exc).__name__}: {exc}"))


class ProcessEmbedder:
    """An ``Embedder`` whose model lives in one child process, started by the first ``load`` or ``encode``."""

    def __init__(self, model: str | None = None) -> None:
        self._local = Embedder(model)  # names the model and its identity; never loads it here
        self._lock = threading.Lock()
        self._process: subprocess.Popen[bytes] | None = None
        self._pipes: tuple[Connection, Connection] | None = None  # (to the child, from the child) once loaded
        self._failure: str | None = None
        self._closed = False

    @property
    def identity(self) -> str:
        return self._local.identity

    @property
    def loaded(self) -> bool:
        return self._pipes is not None

    def load(self) -> None:
        """Start the child and wait until its model is loaded; raises EmbedderProcessError if it cannot be."""
        with self._lock:
            self._start()

    def _start(self) -> tuple[Connection, Connection]:
        if self._pipes is not None:
            return self._pipes
        if self._failure is not None or self._closed:
            raise EmbedderProcessError(self._failure or "the dashboard is closing")
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
        # One torch thread: a decision encodes one short text, and two threads that wait on each other took
        # 0.1-1 s per encode on a busy machine instead of 15-50 ms (benchmarks/bench_tui.py, decision_ms).
        env.setdefault("OMP_NUM_THREADS", "1")
        code = f"from tui.embedder_process import serve; serve({self._local.model_name!r})"
        process = subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                   stderr=subprocess.DEVNULL, env=env, start_new_session=True)
        self._process = process
        assert process.stdin is not None and process.stdout is not None
        pipes = (Connection(os.dup(process.stdin.fileno())), Connection(os.dup(process.stdout.fileno())))
        process.stdin.close()
        process.stdout.close()
        try:
            status, detail = pipes[1].recv()
        except (EOFError, OSError):
            status, detail = "failed", f"the embedding process exited (code {process.poll()})"
        if status != "ready":
            for pipe in pipes:
                pipe.close()
            self._failure = detail
            raise EmbedderProcessError(detail)
        self._pipes = pipes
        return pipes

    def encode(self, texts: list[str], batch_size: int = 64) -> np.ndarray:
        """Shape (len(texts), dim), L2-normalised float32, as ``Embedder.encode``."""
        with self._lock:
            to_child, from_child = self._start()
            try:
                to_child.send(list(texts))
                status, result = from_child.recv()
            except (EOFError, OSError) as exc:
                self._pipes = None
                self._failure = f"the embedding process died: {exc}"
                raise EmbedderProcessError(self._failure) from None
        if status != "ok":
            raise EmbedderProcessError(result)
        return result

    def close(self) -> None:
        """End the child, even mid-load (without waiting for the lock a loading thread holds)."""
        self._closed = True
        process, pipes, self._pipes = self._process, self._pipes, None
        if pipes is not None:
            for pipe in pipes:
                pipe.close()  # the child's recv ends: it exits
        if process is not None:
            try:
                process.wait(timeout=1)
            except subprocess.TimeoutExpired:
                process.terminate()
                process.wait(timeout=2)
