import pytest

from ingest.chunking import Chunker
from ingest.models import Article
from ingest.store.schema import embedding_text
from ingest.text import sentence_spans


class WordTokenizer:
    """A real tokenizer of a simple kind: one token per whitespace-separated word."""

    def count_tokens(self, texts):
        return [len(t.split()) for t in texts]

    def token_spans(self, text):
        spans, pos = [], 0
        for word in text.split():
            start = text.index(word, pos)
            spans.append((start, start + len(word)))
            pos = start + len(word)
        return spans


def article(text, title="T"):
    return Article(id="a", title=title, text=text, source="/x/a.txt")


def test_sentence_spans_cover_sentences_and_line_breaks():
    text = 'One two. "Three four!" he said.\nFive six? Seven'
    assert [text[s:e] for s, e in sentence_spans(text)] == [
        "One two.", '"Three four!" he said.', "Five six?", "Seven"]


def test_chunks_keep_offsets_whole_sentences_and_limit():
    sentences = [f"Sentence number {i} has six words." for i in range(20)]
    text = " ".join(sentences)
    chunker = Chunker(WordTokenizer(), max_tokens=20, overlap_tokens=6)
    passages = chunker.chunk(article(text))
    assert [p.id for p in passages] == [f"a:{n}" for n in range(len(passages))]
    for p in passages:
        assert p.text == text[p.start:p.end]
        assert len(p.text.split()) <= 20
        assert p.text.startswith("Sentence") and p.text.endswith("words.")
    # each chunk after the first repeats the previous chunk's last sentence
    for prev, cur in zip(passages, passages[1:]):
        assert cur.start < prev.end and prev.text.endswith(cur.text[: cur.text.index(".") + 1])
    assert passages[-1].end == len(text)


def test_a_sentence_longer_than_the_limit_is_cut_at_token_bounds():
    text = " ".join(f"w{i}" for i in range(95)) + "."
    passages = Chunker(WordTokenizer(), max_tokens=30, overlap_tokens=5).chunk(article(text))
    assert [len(p.text.split()) for p in passages] == [30, 30, 30, 5]
    assert " ".join(p.text for p in passages) == text


def test_tiny_limit_is_refused():
    with pytest.raises(ValueError, match="too small"):
        Chunker(WordTokenizer(), max_tokens=4, overlap_tokens=0)


def test_embedding_text_carries_title_and_date():
    assert embedding_text("Title", "Body", "2023-09-05") == "Title (2023-09-05)\nBody"
    assert embedding_text("", "Body") == "Body"


@pytest.mark.integration
def test_no_chunk_exceeds_the_real_models_window(embedder, settings):
    from ingest.sync import make_chunker, passage_texts

    words = " ".join(f"Antidisestablishmentarianism{i}" for i in range(3000))  # no sentence end
    long_title = "A very long headline " * 30
    chunker = make_chunker(embedder, settings.chunking)
    long_article = Article(id="a", title=long_title, text=words + ". Short end.", source="/x/a.txt",
                           published="2023-09-05")
    passages = chunker.chunk(long_article)
    texts = passage_texts(embedder, long_article, passages)
    counts = embedder.count_tokens(texts)
    assert len(passages) > 10
    assert max(counts) + 2 <= embedder.max_tokens  # +2: [CLS] and [SEP]
