"""Task features for routing: dimension, language, difficulty (each with a confidence) and the embedding.

The router decides from whatever it knows about a task. Metadata the caller gives (a benchmark row's
dimension, a user's ``--dimension``) is a fact and wins with confidence 1.0; otherwise each feature is
estimated from the text by its own module. A task with neither text nor metadata still yields features
(unknown, confidence 0), so routing degrades to priors instead of failing.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from router.difficulty import canonical_difficulty, estimate_difficulty
from router.dimension_classifier import DIMENSIONS, DimensionClassifier, classification_text
from router.language import canonical_language, detect_language

if TYPE_CHECKING:
    from router.embedding import Embedder


@dataclass
class TaskFeatures:
    text: str | None
    dimension: str | None
    dimension_confidence: float
    language: str | None
    language_confidence: float
    difficulty: str
    difficulty_confidence: float
    embedding: np.ndarray | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    # Where each feature came from ("metadata", "keywords+prototypes", "keywords", "text", "none"), so a
    # route explanation can say why.
    sources: dict[str, str] = field(default_factory=dict)

    def to_log(self) -> dict[str, Any]:
        """The ``decision.features`` object of a route event (no text, no embedding: the event has both)."""
        return {
            "dimension": self.dimension,
            "dimension_confidence": self.dimension_confidence,
            "language": self.language,
            "language_confidence": self.language_confidence,
            "difficulty": self.difficulty,
            "difficulty_confidence": self.difficulty_confidence,
            "sources": dict(self.sources),
        }


def canonical_dimension(value: str) -> str:
    """Validate a given dimension; "Bug Fixing" and "bug-fixing" are forgiven as "bug_fixing"."""
    key = re.sub(r"[\s\-]+", "_", value.strip().lower())
    if key not in DIMENSIONS:
        raise ValueError(f"dimension must be one of {', '.join(DIMENSIONS)}, got {value!r}")
    return key


def _given(metadata: Mapping[str, Any], key: str) -> str | None:
    value = metadata.get(key)
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if not isinstance(value, str):
        raise ValueError(f"metadata field {key!r} must be a string, got {type(value).__name__}")
    return value


def _given_features(metadata: Mapping[str, Any]) -> tuple[str | None, str | None, str | None]:
    """(dimension, language, difficulty) from metadata, canonical; None where not given."""
    dim, lang, diff = (_given(metadata, key) for key in ("dimension", "language", "difficulty"))
    return (canonical_dimension(dim) if dim else None, canonical_language(lang) if lang else None,
            canonical_difficulty(diff) if diff else None)


class FeatureExtractor:
    """Turns (text, metadata) into ``TaskFeatures``.

    ``embed=False`` never touches the embedding model (no torch import): the classifier then runs on
    keywords alone and ``embedding`` is None. With ``embed=True`` the model is loaded on first use, from
    ``embedder`` or the process-wide shared one. ``data_dir`` is where the classifier caches its prototypes'
    vectors (None is the user's data dir).
    """

    def __init__(self, embedder: Embedder | None = None, *, embed: bool = True, data_dir: Path | None = None) -> None:
        self.embed = embed
        self.data_dir = data_dir
        self._embedder = embedder
        self._classifier: DimensionClassifier | None = None
        self._lock = threading.Lock()

    @property
    def embedder(self) -> Embedder | None:
        if not self.embed:
            return None
        if self._embedder is None:
            from router.embedding import shared_embedder

            self._embedder = shared_embedder()
        return self._embedder

    @property
    def classifier(self) -> DimensionClassifier:
        if self._classifier is None:
            with self._lock:
                if self._classifier is None:
                    self._classifier = DimensionClassifier(self.embedder, data_dir=self.data_dir)
        return self._classifier

    def extract(self, text: str | None, metadata: Mapping[str, Any] | None = None) -> TaskFeatures:
        return self._extract([text], [metadata], batch=False)[0]

    def extract_many(self, texts: Sequence[str | None],
                     metadatas: Sequence[Mapping[str, Any] | None] | None = None) -> list[TaskFeatures]:
        """Like ``extract`` for each pair, with every text embedded in one batch; errors name the task index."""
        return self._extract(texts, metadatas, batch=True)

    def _extract(self, texts: Sequence[str | None], metadatas: Sequence[Mapping[str, Any] | None] | None,
                 batch: bool) -> list[TaskFeatures]:
        if metadatas is None:
            metadatas = [None] * len(texts)
        if len(metadatas) != len(texts):
            raise ValueError(f"{len(texts)} texts but {len(metadatas)} metadata entries")
        cleaned = [t if isinstance(t, str) and t.strip() else None for t in texts]
        given = []
        for i, (t, m) in enumerate(zip(texts, metadatas, strict=True)):
            try:
                if t is not None and not isinstance(t, str):
                    raise ValueError(f"text must be a string or None, got {type(t).__name__}")
                given.append(_given_features(m or {}))
            except ValueError as exc:
                raise ValueError(f"task {i}: {exc}" if batch else str(exc)) from None
        embeddings = self._embed(cleaned)
        return [self._features(t, dict(m or {}), g, embeddings.get(i))
                for i, (t, m, g) in enumerate(zip(cleaned, metadatas, given, strict=True))]

    def _embed(self, texts: list[str | None]) -> dict[int, np.ndarray]:
        embedder = self.embedder
        todo = [i for i, t in enumerate(texts) if t is not None]
        if embedder is None or not todo:
            return {}
        vectors = embedder.encode([classification_text(texts[i]) for i in todo])  # type: ignore[arg-type]
        return {i: vectors[row] for row, i in enumerate(todo)}

    def _features(self, text: str | None, metadata: dict[str, Any], given: tuple[str | None, ...],
                  embedding: np.ndarray | None) -> TaskFeatures:
        dimension, language, difficulty = given
        # Given values are stored back canonical: consumers key priors on metadata too ("C++" -> "cpp").
        metadata.update({k: v for k, v in zip(("dimension", "language", "difficulty"), given, strict=True)
                         if v is not None})
        sources: dict[str, str] = {}

        if dimension is not None:
            dim_conf, sources["dimension"] = 1.0, "metadata"
        else:
            guess = self.classifier.classify(text, embedding)
            dimension, dim_conf, sources["dimension"] = guess.dimension, guess.confidence, guess.method

        if language is not None:
            lang_conf, sources["language"] = 1.0, "metadata"
        else:
            lang = detect_language(text)
            language, lang_conf = lang.language, lang.confidence
            sources["language"] = "text" if lang.language else "none"

        if difficulty is not None:
            diff_conf, sources["difficulty"] = 1.0, "metadata"
        else:
            diff = estimate_difficulty(text)
            difficulty, diff_conf = diff.level, diff.confidence
            sources["difficulty"] = "text" if text else "none"

        return TaskFeatures(
            text=text, dimension=dimension, dimension_confidence=dim_conf, language=language,
            language_confidence=lang_conf, difficulty=difficulty, difficulty_confidence=diff_conf,
            embedding=embedding, metadata=metadata, sources=sources,
        )
