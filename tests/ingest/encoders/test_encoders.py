"""The embedding model behind both adapters: the same vectors, an export made once, clear failures."""

from __future__ import annotations

import itertools
import random

import numpy as np
import pytest

from ingest.encoders import (
    EncoderError,
    FileTokenizer,
    OnnxEncoder,
    TorchEncoder,
    length_batches,
    open_encoder,
    resolve_backend,
)
from ingest.encoders.onnx_adapter import RUN_COST_TOKENS

TEXTS = [
    "Currently, some 1,500 French soldiers are deployed in the country.",
    "Who?",
    "A long passage about the junta, the bases and the debt, repeated to pass the model's limit. " * 40,
]


@pytest.mark.integration
def test_onnx_and_torch_give_the_same_vectors(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    onnx = open_encoder(backend="onnx")
    by_onnx = onnx.embed(TEXTS)
    assert isinstance(onnx, OnnxEncoder) and onnx.backend == "onnx"
    by_torch = open_encoder(backend="torch", precision="fp32").embed(TEXTS)  # bf16 where native differs by ~1e-3
    assert by_onnx.shape == by_torch.shape == (3, 384)
    assert np.abs(by_onnx - by_torch).max() < 1e-4  # the long text is cut at the same token
    assert np.allclose(np.linalg.norm(by_onnx, axis=1), 1.0, atol=1e-5)


def run_cost(lengths, runs):
    return sum(RUN_COST_TOKENS + len(r) * lengths[r.start] for r in runs)


def test_length_batches_are_the_cheapest_split_within_the_batch_size():
    rng = random.Random(7)
    for _ in range(200):
        n, most = rng.randint(1, 9), rng.randint(1, 5)
        lengths = sorted((rng.randint(3, 256) for _ in range(n)), reverse=True)
        runs = length_batches(lengths, most)
        assert [i for r in runs for i in r] == list(range(n)) and all(len(r) <= most for r in runs)
        cheapest = min(
            run_cost(lengths, split)
            for cuts in itertools.product([0, 1], repeat=n - 1)
            for split in [[range(a, b) for a, b in itertools.pairwise(
                [0] + [i + 1 for i, c in enumerate(cuts) if c] + [n])]]
            if all(len(r) <= most for r in split)
        )
        assert run_cost(lengths, runs) == cheapest


@pytest.mark.integration
def test_texts_embedded_together_get_the_vectors_they_get_alone(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    embedder = open_encoder(backend="onnx")
    texts = TEXTS + ["Niger owes 5200 billion CFA francs, the minister said on Tuesday in Niamey.", "Bases?"]
    together = embedder.embed(texts)
    alone = np.vstack([embedder.embed([t]) for t in texts])
    assert len(length_batches(sorted(embedder.count_tokens(texts), reverse=True), 32)) > 1
    assert np.abs(together - alone).max() < 1e-5


@pytest.mark.integration
def test_the_export_is_made_once_and_reused(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    open_encoder(backend="onnx").embed(TEXTS[:1])
    (exported,) = (tmp_path / "assistant" / "onnx").glob("*.onnx")
    made = exported.stat().st_mtime_ns
    again = open_encoder(backend="onnx")
    again.embed(TEXTS[:1])
    assert exported.stat().st_mtime_ns == made and again.backend == "onnx"
    assert list((tmp_path / "assistant" / "onnx").iterdir()) == [exported]  # no partial files left


@pytest.mark.integration
def test_a_failed_export_falls_back_to_torch_unless_onnx_was_asked_for(tmp_path, monkeypatch, caplog):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("the cache cannot be made here")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))
    auto = open_encoder(backend="auto", precision="fp32")
    vectors = auto.embed(TEXTS[:1])
    assert isinstance(auto, TorchEncoder) and vectors.shape == (1, 384)
    assert "embedding with torch" in caplog.text
    with pytest.raises(EncoderError, match="ASSISTANT_EMBED_BACKEND=torch"):
        open_encoder(backend="onnx")
    with pytest.raises(EncoderError, match="ASSISTANT_EMBED_VARIANT=full"):
        open_encoder(variant="int8")


def test_backend_choice():
    assert resolve_backend("auto", "bf16") == "torch"
    assert resolve_backend("auto", "fp32") == "onnx"
    assert resolve_backend("auto", "bf16", short_texts=True) == "onnx"  # questions and sentences, AMX or not
    assert resolve_backend("auto", "fp32", short_texts=True) == "onnx"
    assert resolve_backend("torch", "bf16", short_texts=True) == "torch"  # asked for: kept
    assert resolve_backend("torch", "fp32") == "torch"
    assert resolve_backend("auto", "bf16", "int8") == "onnx"  # int8 runs only on ONNX Runtime
    with pytest.raises(EncoderError, match="not one of auto, onnx, torch"):
        resolve_backend("tensorrt", "fp32")
    with pytest.raises(EncoderError, match="not one of full, int8"):
        resolve_backend("auto", "fp32", "int4")
    with pytest.raises(EncoderError, match="ASSISTANT_EMBED_BACKEND=onnx"):
        resolve_backend("torch", "fp32", "int8")


def test_a_missing_model_folder_is_named_with_the_setting_to_fix(tmp_path):
    with pytest.raises(FileNotFoundError, match=f"{tmp_path / 'nowhere'}.*ASSISTANT_EMBEDDING_MODEL"):
        open_encoder(tmp_path / "nowhere")


@pytest.mark.integration
def test_the_int8_variant_is_quantized_once_and_stays_close_to_the_full_model(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    full, int8 = open_encoder(backend="onnx"), open_encoder(variant="int8")
    assert (full.variant, int8.variant) == ("full", "int8") and int8.export != full.export
    texts = TEXTS[:2] + ["Niger owes 5200 billion CFA francs, the minister said on Tuesday in Niamey."]
    agreement = (full.embed(texts) * int8.embed(texts)).sum(axis=1)
    assert agreement.min() > 0.95 and agreement.max() < 1 - 1e-6  # close ("Who?": 0.97), not the same model
    exports = sorted(p.name for p in (tmp_path / "assistant" / "onnx").iterdir())
    assert len(exports) == 2 and exports[0].endswith("-int8.onnx")


@pytest.mark.integration
@pytest.mark.parametrize("backend", ["onnx", "torch"])
def test_threads_counting_tokens_and_embedding_at_once_do_not_corrupt_each_other(backend):
    """The web chat ingests an upload (token counts, no truncation) while it answers (embedding,
    truncated and padded): both share one tokenizer."""
    import threading

    model = open_encoder(backend=backend, precision="fp32")
    texts = [f"French soldiers in Niger number about {k},500, officials said. " * k for k in range(1, 30)]
    expected_vectors, expected_counts = model.embed(texts[:6]), model.count_tokens(texts)
    errors, results = [], []

    def work(i):
        try:
            for _ in range(10):
                results.append(("count", model.count_tokens(texts)) if i % 2 else ("embed", model.embed(texts[:6])))
        except Exception as exc:  # collected: a thread's exception would otherwise pass silently
            errors.append(repr(exc))

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and len(results) == 40
    for kind, value in results:
        if kind == "count":
            assert value == expected_counts
        else:
            assert np.abs(value - expected_vectors).max() < 1e-5


TRICKY = TEXTS + [
    "Ça coûte 5 200 milliards de francs CFA — n'est-ce pas?", "日本語のテキスト", "emoji 🎉\u200b zero\u00a0width",
    "naïve café résumé ÅNGSTRÖM", "tab\tnew\nline\r\x07bell", "",
]


@pytest.mark.integration
def test_the_tokenizer_file_gives_the_models_own_tokens(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    own = open_encoder(backend="torch", precision="fp32")  # the sentence-transformers model's tokenizer
    light = open_encoder(backend="onnx")
    assert isinstance(light.tokenizer, FileTokenizer)
    assert light.max_tokens == own.max_tokens and light.dimension == own.dimension
    assert light.count_tokens(TRICKY) == own.count_tokens(TRICKY)
    assert [light.token_spans(t) for t in TRICKY] == [own.token_spans(t) for t in TRICKY]
    assert np.abs(light.embed(TRICKY) - own.embed(TRICKY)).max() < 1e-4


@pytest.mark.integration
def test_a_command_with_the_export_cached_never_imports_torch(tmp_path):
    import json
    import os
    import subprocess
    import sys

    env = os.environ | {"XDG_CACHE_HOME": str(tmp_path), "ASSISTANT_EMBED_BACKEND": "onnx"}
    script = ("import json, sys; from ingest.encoders import open_encoder; e = open_encoder(backend='onnx'); "
              "v = e.embed(['Who is the French ambassador?']); "
              "print(json.dumps([v.tolist(), e.count_tokens(['Niger owes 5200 billion']), 'torch' in sys.modules]))")
    runs = [json.loads(subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True,
                                      check=True).stdout.strip().splitlines()[-1]) for _ in range(2)]
    (first, counts1, torch1), (second, counts2, torch2) = runs
    assert torch1 and not torch2  # the first run exports with torch; the second needs only the export
    assert counts1 == counts2 and np.abs(np.array(first) - np.array(second)).max() < 1e-6


@pytest.mark.integration
def test_calls_made_at_once_get_the_vectors_a_call_made_alone_gets(tmp_path, monkeypatch):
    """A call made while another runs goes to a one-core session of the same export."""
    import threading

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    encoder = open_encoder(backend="onnx")
    texts = [f"French soldiers in Niger number about {k},500, officials said. " * k for k in range(1, 9)]
    alone = encoder.embed(texts)
    results, errors = [], []

    def work():
        try:
            for _ in range(5):
                results.append(encoder.embed(texts))
        except Exception as exc:  # collected: a thread's exception would otherwise pass silently
            errors.append(repr(exc))

    threads = [threading.Thread(target=work) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and len(results) == 15 and encoder._running == 0
    assert encoder._single is not None  # calls did overlap, and the one-core session ran some
    assert max(np.abs(r - alone).max() for r in results) < 1e-5
