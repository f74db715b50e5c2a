"""Reading stored rows' lines back from the logs: the store keeps where a line is, not the line.

Why its own module: queries (export, a task's detail) read lines back long after ingestion; the file may have
been renamed or copytruncated meanwhile (found again by inode), or rewritten (the line's hash no longer
matches: reported as gone, never replaced by another line).
"""

from __future__ import annotations

import os
from pathlib import Path

import duckdb
import numpy as np
import polars as pl
import pyarrow as pa

READ_BLOCK = 16 * 1024 * 1024  # reading lines back from a log

def find_inode(directory: Path, device: int, inode: int) -> Path | None:
    """Where a rotated-away file went (lnav: same device + inode), if it is still in the folder."""
    try:
        with os.scandir(directory) as entries:
            for entry in entries:
                if entry.is_file(follow_symlinks=False):
                    st = entry.stat(follow_symlinks=False)
                    if st.st_ino == inode and st.st_dev == device:
                        return Path(entry.path)
    except OSError:
        return None
    return None


def _copies(source: str, inode: int) -> list[Path]:
    """Where a line read from ``source`` (inode ``inode``) may be now, most likely first: the same inode at
    ``source`` or elsewhere in its folder (renamed by a rotation), then the files named after it
    (``log.jsonl.1``, ``log.jsonl-20261130``: a copytruncate rotation copies the bytes at the same offsets)."""
    path = Path(source)
    found: list[Path] = []
    try:
        same = os.stat(path).st_ino == inode
        moved = path if same else find_inode(path.parent, os.stat(path.parent).st_dev, inode)
        found += [moved] if moved else []
        with os.scandir(path.parent) as entries:
            found += sorted(Path(e.path) for e in entries if e.name.startswith(path.name) and e.name != path.name
                            and e.is_file() and Path(e.path) not in found)
    except OSError:
        pass
    return found


def _read_spans(path: Path, starts: np.ndarray, lengths: np.ndarray) -> pa.Array:
    """The bytes at each (start, length) of ``path`` (shorter or empty past its end), in the given order.

    Plain reads of about ``READ_BLOCK`` bytes in offset order (a memory map would crash the process if the
    log were truncated meanwhile); the spans of a block are cut out by Arrow, not one by one in Python.
    """
    order = np.argsort(starts, kind="stable")
    begin, end = starts[order], starts[order] + lengths[order]
    reach = np.maximum.accumulate(end)
    pieces, i = [], 0
    with open(path, "rb") as handle:
        while i < len(order):
            j = max(int(np.searchsorted(reach, begin[i] + READ_BLOCK, side="right")), i + 1)
            handle.seek(int(begin[i]))
            block = handle.read(int(reach[j - 1] - begin[i]))
            lo = np.minimum(begin[i:j] - begin[i], len(block))
            hi = np.minimum(end[i:j] - begin[i], len(block))
            if np.all(lo[1:] == hi[:-1]):  # consecutive lines: the block itself, no copy
                bounds = np.append(lo, hi[-1])
                pieces.append(pa.Array.from_buffers(pa.large_binary(), j - i,
                                                    [None, pa.py_buffer(bounds), pa.py_buffer(block)]))
            elif np.all(lo[1:] >= hi[:-1]):  # no two spans overlap: cut at every bound, keep the rows
                bounds = np.empty(2 * (j - i), dtype=np.int64)
                bounds[0::2], bounds[1::2] = lo, hi
                cut = pa.Array.from_buffers(pa.large_binary(), len(bounds) - 1,
                                            [None, pa.py_buffer(bounds), pa.py_buffer(block)])
                pieces.append(cut.take(pa.array(np.arange(0, len(bounds), 2))))
            else:  # rows of a log read again after a truncation share offsets
                pieces.append(pa.array([block[a:b] for a, b in zip(lo, hi, strict=True)], pa.large_binary()))
            i = j
    spans = pa.concat_arrays(pieces)
    in_order = bool(np.all(order[1:] > order[:-1]))  # usually: rows come in file order
    return spans if in_order else spans.take(pa.array(np.argsort(order, kind="stable")))


LINE_GONE = ("this line is no longer in the log (rotated away, rewritten or deleted since it was read); "
             "rebuild the cache (Store.rebuild) to drop it")


def original_lines(con: duckdb.DuckDBPyConnection, rows: pl.DataFrame) -> pl.Series:
    """The log lines of ``events`` rows (columns file, inode, byte_offset, byte_length, line_hash), read back
    from the logs: the store keeps where a line is, not the line.

    A line is only returned if its bytes still hash to what was ingested; a line rotated away, rewritten or
    deleted since is null (``LINE_GONE``), never some other line.
    """
    found_rows, found_bytes = [], []
    offsets, lengths = rows["byte_offset"].to_numpy(), rows["byte_length"].to_numpy()
    hashes = rows["line_hash"].to_numpy()
    keyed = rows.select("file", "inode").with_row_index("row").group_by("file", "inode").agg("row")
    for source, inode, members in keyed.iter_rows():
        todo = np.asarray(members, dtype=np.int64)
        for candidate in _copies(source, inode):
            try:
                spans = _read_spans(candidate, offsets[todo], lengths[todo])
            except OSError:
                continue
            con.register("_lines", pa.table({"b": spans}))
            try:
                got = con.execute("SELECT hash(b) AS h FROM _lines").fetchnumpy()["h"]
            finally:
                con.unregister("_lines")
            same = got == hashes[todo]
            found_rows.append(todo[same])
            found_bytes.append(spans.filter(pa.array(same)))
            todo = todo[~same]
            if not len(todo):
                break
    where = np.full(rows.height, -1, dtype=np.int64)  # row -> its place among the lines found
    placed = np.concatenate(found_rows) if found_rows else np.empty(0, dtype=np.int64)
    where[placed] = np.arange(len(placed))
    lines = pa.concat_arrays(found_bytes) if found_bytes else pa.array([], pa.large_binary())
    import pyarrow.compute as pc  # ~0.08 s of start-up that only this function needs

    texts = pc.binary_slice(lines, 0, -1).cast(pa.large_string())  # without the newline
    if len(placed) != rows.height or np.any(placed[1:] < placed[:-1]):  # else already one per row, in order
        texts = texts.take(pa.array(where, mask=where < 0))
    raw = pl.Series("raw", texts, dtype=pl.String)
    first = np.flatnonzero(rows["byte_offset"].to_numpy() == 0)  # where a BOM some editors write may be
    return raw.scatter(first, [None if text is None else text.removeprefix("\ufeff") for text in raw[first]])
