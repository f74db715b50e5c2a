"""FeatureExtractor: metadata wins, text is classified, one embedding batch, fast path without the model."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from router.features import FeatureExtractor, TaskFeatures, canonical_dimension


def test_metadata_wins_with_full_confidence() -> None:
    features = FeatureExtractor(embed=False).extract(
        "Translate this Python function into Rust",
        {"dimension": "Bug Fixing", "language": "C++", "difficulty": "Hard", "source": "bench"},
    )
    assert (features.dimension, features.dimension_confidence) == ("bug_fixing", 1.0)
    assert (features.language, features.language_confidence) == ("cpp", 1.0)
    assert (features.difficulty, features.difficulty_confidence) == ("hard", 1.0)
    assert features.sources == {"dimension": "metadata", "language": "metadata", "difficulty": "metadata"}
    assert features.metadata == {"dimension": "bug_fixing", "language": "cpp", "difficulty": "hard", "source": "bench"}


def test_text_fills_what_metadata_lacks() -> None:
    features = FeatureExtractor(embed=False).extract(
        "Translate this Python function into Rust", {"difficulty": "easy", "language": None})
    assert features.dimension == "multi_language"
    assert features.sources["dimension"] == "keywords"
    assert 0 < features.dimension_confidence < 1
    assert features.language == "rust"
    assert features.sources["language"] == "text"
    assert (features.difficulty, features.difficulty_confidence) == ("easy", 1.0)
    assert features.embedding is None


def test_benchmark_row_without_text_routes_on_metadata() -> None:
    features = FeatureExtractor(embed=False).extract(None, {"dimension": "algorithm"})
    assert (features.dimension, features.dimension_confidence) == ("algorithm", 1.0)
    assert (features.language, features.language_confidence) == (None, 0.0)
    assert (features.difficulty, features.difficulty_confidence) == ("medium", 0.0)


@pytest.mark.parametrize("text", [None, "", "  \n "])
def test_nothing_known_gives_unknown_with_zero_confidence(text: str | None) -> None:
    features = FeatureExtractor(embed=False).extract(text)
    assert features.text is None
    assert (features.dimension, features.dimension_confidence) == (None, 0.0)
    assert (features.language, features.language_confidence) == (None, 0.0)
    assert features.difficulty_confidence == 0.0
    assert features.sources == {"dimension": "none", "language": "none", "difficulty": "none"}


@pytest.mark.parametrize(("metadata", "message"), [
    ({"dimension": "cooking"}, "dimension must be one of code_generation, algorithm"),
    ({"difficulty": "extreme"}, "difficulty must be one of easy, medium, hard, got 'extreme'"),
    ({"language": 3}, "metadata field 'language' must be a string, got int"),
])
def test_bad_metadata_is_a_clear_error(metadata: dict, message: str) -> None:
    extractor = FeatureExtractor(embed=False)
    with pytest.raises(ValueError, match=f"^{message}"):
        extractor.extract("fix it", metadata)
    with pytest.raises(ValueError, match=f"^task 1: {message}"):
        extractor.extract_many(["ok", "fix it"], [None, metadata])


def test_extract_many_checks_its_inputs() -> None:
    extractor = FeatureExtractor(embed=False)
    with pytest.raises(ValueError, match="2 texts but 1 metadata"):
        extractor.extract_many(["a", "b"], [None])
    with pytest.raises(ValueError, match="task 1: text must be a string"):
        extractor.extract_many(["a", 7])  # type: ignore[list-item]


@pytest.mark.parametrize(("given", "canonical"), [("bug-fixing", "bug_fixing"), (" Agentic ", "agentic")])
def test_canonical_dimension(given: str, canonical: str) -> None:
    assert canonical_dimension(given) == canonical


def test_to_log_is_json_without_text_or_embedding() -> None:
    features = TaskFeatures(
        text="secret task", dimension="agentic", dimension_confidence=0.8, language="go", language_confidence=0.5,
        difficulty="hard", difficulty_confidence=0.6, embedding=np.ones(384, dtype=np.float32),
        sources={"dimension": "keywords+prototypes"},
    )
    logged = json.loads(json.dumps(features.to_log()))
    assert logged == {"dimension": "agentic", "dimension_confidence": 0.8, "language": "go",
                      "language_confidence": 0.5, "difficulty": "hard", "difficulty_confidence": 0.6,
                      "sources": {"dimension": "keywords+prototypes"}}


def test_fast_path_never_imports_the_model() -> None:
    code = (
        "import sys\n"
        "from router.features import FeatureExtractor\n"
        "f = FeatureExtractor(embed=False).extract('write pytest tests for the parser')\n"
        "assert f.dimension == 'test_generation', f\n"
        "assert not {'torch', 'sentence_transformers'} & set(sys.modules), 'model imported'\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr


def test_extract_many_embeds_the_texts_in_one_batch(embedder, monkeypatch: pytest.MonkeyPatch) -> None:
    batches: list[list[str]] = []
    real_encode = embedder.encode

    def recording(texts: list[str], batch_size: int = 64) -> np.ndarray:
        batches.append(list(texts))
        return real_encode(texts, batch_size=batch_size)

    monkeypatch.setattr(embedder, "encode", recording)
    texts = ["Write unit tests for the invoice parser", None, "Explain what this regex matches", "  "]
    features = FeatureExtractor(embedder).extract_many(texts, [None, {"dimension": "algorithm"}, None, None])
    task_batches = [b for b in batches if "Explain what this regex matches" in b]
    assert task_batches == [["Write unit tests for the invoice parser", "Explain what this regex matches"]]
    first, second, third, fourth = features
    assert first.embedding is not None and first.embedding.shape == (384,)
    assert np.isclose(np.linalg.norm(first.embedding), 1.0, atol=1e-4)
    assert second.embedding is None and second.dimension == "algorithm"
    assert fourth.embedding is None and fourth.dimension is None
    assert first.dimension == "test_generation" and third.dimension == "code_understanding"
    assert first.sources["dimension"] == third.sources["dimension"] == "keywords+prototypes"
    single = FeatureExtractor(embedder).extract("Explain what this regex matches")
    assert np.allclose(single.embedding, third.embedding, atol=1e-5)
    assert single.dimension_confidence == pytest.approx(third.dimension_confidence, abs=1e-3)
