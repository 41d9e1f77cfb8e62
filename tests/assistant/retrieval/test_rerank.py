import pytest

from assistant.retrieval.rerank import CrossEncoderReranker, EmbeddingReranker
from assistant.types import Hit


def hit(n, text, score):
    return Hit(f"a{n}:0", f"a{n}", f"Title {n}", f"a{n}", None, None, text, 0, len(text), score)


@pytest.mark.integration
def test_embedding_reranker_fuses_the_models_order_with_ours(embedder):
    hits = [hit(0, "The bakery sells rye bread and pastries.", 0.9),
            hit(1, "Parliament passed the budget after a long debate.", 0.8),
            hit(2, "Some 1,500 French soldiers are deployed in Niger.", 0.7),
            hit(3, "Tail passage beyond the re-ranking depth.", 0.1)]
    reranker = EmbeddingReranker(embedder.model_path, depth=3)
    out = reranker.rerank("How many French troops are in Niger?", hits)
    ids = [h.id for h in out]
    assert ids.index("a2:0") < ids.index("a1:0")  # the model's favourite climbs past the fused #2
    assert max(out[:3], key=lambda h: h.score).id == "a2:0"  # scores are now the model's similarity
    assert ids[-1] == "a3:0" and out[-1].score == 0.1 and len(out) == 4  # beyond depth: untouched


def test_cross_encoder_without_a_model_folder_says_what_to_set(tmp_path):
    reranker = CrossEncoderReranker(tmp_path / "missing")
    with pytest.raises(FileNotFoundError, match="ASSISTANT_RERANKER_MODEL"):
        reranker.rerank("q", [hit(0, "text", 1.0)])
