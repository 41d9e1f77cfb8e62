"""What an index records about how it was built, and what it refuses: real Chroma, no model."""

from __future__ import annotations

import pytest

from ingest.chunking import CHUNKER_VERSION
from ingest.encoders import choose as embedder
from ingest.encoders import choose_variant as choose
from ingest.store import Index, ModelMismatch, OutdatedIndex, recorded_variant
from tests.kit import WordEncoder


class Int8WordEncoder(WordEncoder):
    variant = "int8"


def made(settings, **metadata) -> None:
    index = Index(settings, WordEncoder(), create=True)
    index.collection.modify(metadata={**index.metadata, **metadata})


def test_an_index_refuses_an_encoder_of_another_variant(settings):
    made(settings)
    with pytest.raises(ModelMismatch, match="full variant.*not 'word-hash' .*int8 variant.*ASSISTANT_EMBED_VARIANT"):
        Index(settings, Int8WordEncoder())
    assert Index(settings, WordEncoder()).variant == "full"


@pytest.mark.parametrize("bf16", [False, True])
def test_auto_follows_an_existing_index_and_picks_int8_for_a_new_one_only_without_native_bf16(settings, monkeypatch,
                                                                                               bf16):
    monkeypatch.setattr(embedder, "cpu_has_bf16", lambda: bf16)
    assert settings.embed_variant == "auto"

    def choose_variant(settings):
        return choose(settings.encoder, recorded_variant(settings))

    assert choose_variant(settings) == ("full" if bf16 else "int8")  # no index yet
    assert choose_variant(settings.model_copy(update={"embed_backend": "torch"})) == "full"
    made(settings)  # built with the full model: every later use follows it, on any host
    assert choose_variant(settings) == "full"
    Index(settings, WordEncoder()).collection.modify(metadata={"embedding_variant": "int8"})
    assert choose_variant(settings) == "int8"
    assert choose_variant(settings.model_copy(update={"embed_variant": "full"})) == "full"  # named: refused later


def test_an_index_from_an_older_layout_is_refused_with_what_to_do(settings):
    made(settings, schema=0)
    for create in (False, True):
        with pytest.raises(OutdatedIndex, match=f"{settings.data_dir}.*layout 0.*new ASSISTANT_DATA_DIR"):
            Index(settings, WordEncoder(), create=create)


def test_passages_cut_by_another_chunker_are_refused_to_readers_and_rechunked_by_ingest(settings):
    made(settings, chunker="sentences-v0/200/24")
    with pytest.raises(OutdatedIndex, match="chunker sentences-v0.*run `assistant ingest` on your article folders"):
        Index(settings, WordEncoder())
    writer = Index(settings, WordEncoder(), create=True)  # ingest re-chunks what it is given
    writer.commit(f"{CHUNKER_VERSION}/200/24")
    assert Index(settings, WordEncoder()).chunker == f"{CHUNKER_VERSION}/200/24"


def test_a_store_chroma_cannot_read_back_is_named_with_what_to_do(settings, monkeypatch):
    from chromadb.errors import InternalError

    from ingest.store import DamagedIndex, IndexUnavailable

    made(settings)
    index = Index(settings, WordEncoder())
    message = ("Error executing plan: Error sending backfill request to compactor: Failed to apply logs to the "
               "hnsw segment writer")  # what chromadb 1.5 raised on every read of such a store

    def broken(*args, **kwargs):
        raise InternalError(message)

    monkeypatch.setattr(type(index.collection), "get", broken)
    with pytest.raises(DamagedIndex, match=f"{settings.data_dir} cannot be read.*move that folder aside.*assistant "
                                           "ingest FOLDER --data-dir") as caught:
        index.articles()
    assert isinstance(caught.value, IndexUnavailable) and message in str(caught.value)
    monkeypatch.setattr(type(index.collection), "get", lambda *a, **k: (_ for _ in ()).throw(InternalError("other")))
    with pytest.raises(InternalError):  # Chroma's other errors are not taken for damage
        index.articles()
