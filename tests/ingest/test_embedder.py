"""The embedding model behind both backends: the same vectors, an export made once, clear failures."""

from __future__ import annotations

import numpy as np
import pytest

from ingest.embedder import Embedder, resolve_backend

TEXTS = [
    "Currently, some 1,500 French soldiers are deployed in the country.",
    "Who?",
    "A long passage about the junta, the bases and the debt, repeated to pass the model's limit. " * 40,
]


def test_onnx_and_torch_give_the_same_vectors(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    onnx = Embedder(backend="onnx")
    by_onnx = onnx.embed(TEXTS)
    assert onnx.session is not None and onnx.backend == "onnx"
    by_torch = Embedder(backend="torch").embed(TEXTS)
    assert by_onnx.shape == by_torch.shape == (3, 384)
    assert np.abs(by_onnx - by_torch).max() < 1e-4  # the long text is cut at the same token
    assert np.allclose(np.linalg.norm(by_onnx, axis=1), 1.0, atol=1e-5)


def test_the_export_is_made_once_and_reused(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    Embedder(backend="onnx").embed(TEXTS[:1])
    (exported,) = (tmp_path / "assistant" / "onnx").glob("*.onnx")
    made = exported.stat().st_mtime_ns
    again = Embedder(backend="onnx")
    again.embed(TEXTS[:1])
    assert exported.stat().st_mtime_ns == made and again.backend == "onnx"
    assert list((tmp_path / "assistant" / "onnx").iterdir()) == [exported]  # no partial files left


def test_a_failed_export_falls_back_to_torch_unless_onnx_was_asked_for(tmp_path, monkeypatch, caplog):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("the cache cannot be made here")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))
    auto = Embedder(backend="auto", precision="fp32")
    vectors = auto.embed(TEXTS[:1])
    assert auto.backend == "torch" and vectors.shape == (1, 384)
    assert "embedding with torch" in caplog.text
    with pytest.raises(RuntimeError, match="ASSISTANT_EMBED_BACKEND=torch"):
        Embedder(backend="onnx").embed(TEXTS[:1])


def test_backend_choice():
    assert resolve_backend("auto", "bf16") == "torch"
    assert resolve_backend("auto", "fp32") == "onnx"
    assert resolve_backend("torch", "fp32") == "torch"
    with pytest.raises(ValueError, match="not one of auto, onnx, torch"):
        resolve_backend("tensorrt", "fp32")
