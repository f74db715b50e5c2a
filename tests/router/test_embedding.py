"""The embedder: the bundled model runs on transformers alone with sentence-transformers' vectors, other
folders fall back to sentence-transformers, and fixed texts' vectors are cached on disk per model."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from router.embedding import DEFAULT_MODEL, Embedder, encode_fixed, mean_pooling_recipe, resolve_model_path

TEXTS = ["fix the flaky test in app/invoices.py", "Refactor parse() into smaller functions",
         "Écris une fonction qui trie une liste", "x " * 400, ""]


def st_folder(tmp_path: Path, pooling: dict, modules: list[str]) -> Path:
    folder = tmp_path / "model"
    (folder / "1_Pooling").mkdir(parents=True)
    (folder / "modules.json").write_text(json.dumps(
        [{"idx": i, "name": str(i), "path": ["", "1_Pooling", "2_Normalize"][i],
          "type": f"sentence_transformers.models.{kind}"} for i, kind in enumerate(modules)]))
    (folder / "1_Pooling" / "config.json").write_text(json.dumps(pooling))
    (folder / "sentence_bert_config.json").write_text(json.dumps({"max_seq_length": 128, "do_lower_case": True}))
    return folder


def test_recipe_only_for_the_plain_mean_pooling_layout(tmp_path: Path) -> None:
    assert mean_pooling_recipe(resolve_model_path(DEFAULT_MODEL)) == {"max_seq_length": 256, "do_lower_case": False}
    mean = {"pooling_mode_mean_tokens": True, "pooling_mode_cls_token": False}
    assert mean_pooling_recipe(str(st_folder(tmp_path / "a", mean, ["Transformer", "Pooling"]))) == {
        "max_seq_length": 128, "do_lower_case": True}
    cls = {"pooling_mode_mean_tokens": False, "pooling_mode_cls_token": True}
    assert mean_pooling_recipe(str(st_folder(tmp_path / "b", cls, ["Transformer", "Pooling", "Normalize"]))) is None
    assert mean_pooling_recipe(str(st_folder(tmp_path / "c", mean, ["Transformer", "Pooling", "Dense"]))) is None
    assert mean_pooling_recipe(str(tmp_path / "missing")) is None
    assert mean_pooling_recipe("sentence-transformers/all-MiniLM-L6-v2") is None  # a hub id: the library's path


def test_bundled_model_gives_sentence_transformers_vectors(embedder) -> None:
    """Same vectors as sentence-transformers itself (which the fast path no longer imports)."""
    from sentence_transformers import SentenceTransformer

    assert type(embedder._model).__name__ == "_MeanPooled"
    ours = embedder.encode(TEXTS, batch_size=2)
    reference = SentenceTransformer(resolve_model_path(DEFAULT_MODEL), device="cpu").encode(
        TEXTS, normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False)
    assert ours.shape == (len(TEXTS), 384) and ours.dtype == np.float32
    np.testing.assert_allclose(ours, reference, atol=1e-5)
    assert embedder.dim == 384


class Counting:
    """An embedder double whose weights have a name, counting what it encodes."""

    def __init__(self, identity: str) -> None:
        self.identity, self.calls = identity, 0

    def encode(self, texts: list[str]) -> np.ndarray:
        self.calls += 1
        return np.stack([np.full(3, len(t), dtype=np.float32) for t in texts])


def test_fixed_texts_are_encoded_once_per_model_across_processes() -> None:
    from analytics.paths import data_dir

    first = Counting("model-a")
    vectors = encode_fixed(first, ("one", "three"))
    again = Counting("model-a")  # a new process: nothing in memory, the file is there
    np.testing.assert_array_equal(encode_fixed(again, ("one", "three")), vectors)
    assert (first.calls, again.calls) == (1, 0)
    other = Counting("model-b")  # other weights, or other texts: encoded anew
    encode_fixed(other, ("one", "three"))
    encode_fixed(other, ("one", "two"))
    assert other.calls == 2
    for cached in (data_dir() / "embeddings").glob("*.npy"):
        cached.write_bytes(b"damaged")
    damaged = Counting("model-a")
    np.testing.assert_array_equal(encode_fixed(damaged, ("one", "three")), vectors)
    assert damaged.calls == 1


def test_identity_names_the_weights_without_loading_them(tmp_path: Path) -> None:
    folder = st_folder(tmp_path, {"pooling_mode_mean_tokens": True}, ["Transformer", "Pooling"])
    embedder = Embedder(str(folder))
    before = embedder.identity
    assert str(folder) in before and not embedder.loaded
    (folder / "model.safetensors").write_bytes(b"new weights")
    assert embedder.identity != before


def test_an_embedder_double_without_identity_is_not_cached() -> None:
    class Plain:
        calls = 0

        def encode(self, texts):
            Plain.calls += 1
            return np.zeros((len(texts), 2), dtype=np.float32)

    encode_fixed(Plain(), ("a",))
    encode_fixed(Plain(), ("a",))
    assert Plain.calls == 2

