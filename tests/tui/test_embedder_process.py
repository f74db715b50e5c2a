"""The dashboard's embedding model in a child process: the same vectors as in-process, errors instead of hangs."""

from __future__ import annotations

import numpy as np
import pytest

from tui.embedder_process import EmbedderProcessError, ProcessEmbedder


def test_child_process_encodes_like_the_in_process_model(embedder) -> None:
    texts = ["fix the flaky invoice test", "add a CLI flag for the export folder"]
    hosted = ProcessEmbedder()
    try:
        assert not hosted.loaded
        hosted.load()
        assert hosted.loaded and hosted.identity == embedder.identity
        vectors = hosted.encode(texts)
        assert vectors.dtype == np.float32 and vectors.shape == (2, 384)
        np.testing.assert_allclose(vectors, embedder.encode(texts), atol=1e-5)
        hosted._process.kill()  # the child dies: the next encode says so instead of waiting forever
        hosted._process.wait()
        with pytest.raises(EmbedderProcessError, match="died"):
            hosted.encode(texts)
    finally:
        hosted.close()
    assert hosted._process.returncode is not None  # nothing left running
