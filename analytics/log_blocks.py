"""Reading a log's new bytes fast: a block read on two threads, its line ends found with numpy, and the
lines as an Arrow column with no copy.

Why its own module: how bytes are read is apart from what the lines mean (``ingest_sql``, ``ingest_rows``)
and from following files through rotation (``ingest``).
"""

from __future__ import annotations

import mmap
import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pyarrow as pa

BATCH_ROWS = 122880  # DuckDB's row group: appended whole, no merging of small batches
PARALLEL_READ = 16 * 1024 * 1024  # bytes; a smaller read is not worth a second thread

def _newlines(view: np.ndarray, lo: int, hi: int, step: int = 4 << 20) -> np.ndarray:
    """Where each line in ``view[lo:hi]`` ends (just after its newline). Slice by slice: one mask of a whole
    chunk is hundreds of MB of fresh memory, several times slower to fill than a cached slice."""
    return np.concatenate([np.flatnonzero(view[i:min(i + step, hi)] == 10) + (i + 1) for i in range(lo, hi, step)]
                          or [np.empty(0, dtype=np.int64)])


def read_block(fd: int, offset: int, length: int) -> tuple[bytes | mmap.mmap, np.ndarray]:
    """Up to ``length`` bytes of the file at ``offset``, and where each complete line in them ends.

    A big block is read and scanned in two halves on two threads (a cold ingest spends a tenth of its time
    here) into a private anonymous mapping, whose pages are zeroed lazily (filling a bytearray costs what the
    second thread saves; a shared mapping, mmap's default, faults its pages in a fifth slower). The mapping is
    the process's own memory: a log truncated meanwhile only reads short.
    """
    if length < PARALLEL_READ or not hasattr(os, "preadv"):
        data = os.pread(fd, length, offset)
        return data, _newlines(np.frombuffer(data, dtype=np.uint8), 0, len(data))
    block = mmap.mmap(-1, length, flags=mmap.MAP_PRIVATE)
    view = np.frombuffer(block, dtype=np.uint8)
    halves = ((0, length // 2), (length // 2, length))

    def read_half(bounds: tuple[int, int]) -> tuple[int, np.ndarray]:
        lo, hi = bounds
        pos = lo
        while pos < hi:
            got = os.preadv(fd, [view[pos:hi]], offset + pos)
            if got == 0:
                break
            pos += got
        return pos, _newlines(view, lo, pos)

    with ThreadPoolExecutor(len(halves)) as pool:
        read = list(pool.map(read_half, halves))
    ends = [read[0][1]] if read[0][0] < halves[0][1] else [part[1] for part in read]  # short: the file shrank
    return block, np.concatenate(ends)


def line_table(data: bytes | mmap.mmap, ends: np.ndarray, first_line: int, start: int) -> tuple[pa.Table, int] | None:
    """The complete lines of ``data`` (each with its newline, which JSON parsers skip as whitespace) as an
    Arrow string column beside their line numbers and file offsets (``data`` starts at file offset
    ``start``), and how many are not empty; None if the bytes are not UTF-8. Record batches of
    ``BATCH_ROWS`` let DuckDB use every core.
    """
    offsets = np.empty(len(ends) + 1, dtype=np.int64)
    offsets[0] = 0
    offsets[1:] = ends
    # The values buffer may run past the last line (the partial line after ``size``).
    raw = pa.LargeStringArray.from_buffers(len(ends), pa.py_buffer(offsets), pa.py_buffer(data))
    try:
        raw.validate(full=True)
    except pa.ArrowInvalid:
        return None
    lines = pa.array(np.arange(first_line, first_line + len(ends), dtype=np.int64))
    table = pa.table({"line": lines, "pos": pa.array(offsets[:-1] + start), "raw": raw})
    nonblank = len(ends) - int(np.count_nonzero(np.diff(offsets) == 1))
    return pa.Table.from_batches(table.to_batches(max_chunksize=BATCH_ROWS)), nonblank


def lines_at(data: bytes | mmap.mmap, ends: np.ndarray, first_line: int, start: int) -> list[tuple[int, int, bytes]]:
    """(line number, file offset, line without its newline) for each line that ``ends`` marks in ``data``."""
    his = ends.tolist()
    los = [0, *his[:-1]]
    return [(first_line + i, start + lo, data[lo:hi - 1]) for i, (lo, hi) in enumerate(zip(los, his, strict=True))]
