"""The shipped reader: it loads offline from the package, says which sentence holds the answer,
points at the answer's phrase, and re-ranks passages by their best sentence."""

from __future__ import annotations

from assistant.answering.answerers import lead_of
from assistant.answering.base import Claim
from assistant.reader.reading import CachedReader, ReaderReranker, likeliest
from assistant.reader.runtime import WEIGHTS, Reader, Reading, shipped_reader
from assistant.types import Hit

BRIDGE = ["The Lindqvist bridge in Norrvik will close for repairs on 3 March, the council said on Monday.",
          "The repairs will cost 18 million crowns and take about five months.",
          "About 22,000 vehicles cross the bridge every day."]


def hit(n: int, passage: str) -> Hit:
    return Hit(id=f"{n}:0", article_id=str(n), title=f"Report {n}", source=f"{n}.txt", url=None,
               published=None, passage=passage, start=0, end=len(passage), score=1.0)


def test_the_weights_ship_inside_the_package_with_their_card():
    assert (WEIGHTS / "model.onnx").is_file() and (WEIGHTS / "tokenizer.json").is_file()
    assert (WEIGHTS / "model.onnx").stat().st_size < 30 * 2 ** 20
    card = shipped_reader().card
    assert card["seed"] and card["command"].startswith("assistant train reader")
    assert 0 < card["held_out_int8"]["news"]["top1"] <= 1
    assert (WEIGHTS / "README.md").is_file()


def test_the_sentence_that_answers_is_read_as_the_likeliest():
    reader = shipped_reader()
    assert reader.holds("How many vehicles cross the bridge each day?", BRIDGE).argmax() == 2
    assert reader.holds("How much will the repairs cost?", BRIDGE).argmax() == 1
    assert reader.holds("How many months will the repairs take?", BRIDGE).argmax() == 1


def test_a_reading_is_a_probability_that_hardly_depends_on_the_other_sentences():
    reader = shipped_reader()
    together = reader.read("When will the bridge close?", BRIDGE)
    alone = [reader.read("When will the bridge close?", [s])[0] for s in BRIDGE]
    assert all(0.0 <= r.holds <= 1.0 for r in together)
    # int8 activations are quantized over the whole batch: a sentence's reading moves a little with its batch
    assert all(abs(a.holds - b.holds) < 0.02 for a, b in zip(together, alone))
    for sentence, r in zip(BRIDGE, together):
        s, e = r.phrase
        assert 0 <= s < e <= len(sentence)


def test_the_phrase_is_the_answer_not_the_first_figure():
    reading = shipped_reader().read("How much will the repairs cost?", BRIDGE[1:2])[0]
    s, e = reading.phrase
    assert "18 million" in BRIDGE[1][s:e] and "five months" not in BRIDGE[1][s:e]


def test_a_question_the_sentences_do_not_answer_is_not_supported():
    holds = shipped_reader().holds("Who designed the new library?", BRIDGE)
    assert holds.max() < 0.5


class CountingReader(Reader):
    """The shipped reader, counting the sentences it is asked to read."""

    def __init__(self):
        super().__init__(WEIGHTS)
        self.sentences = 0

    def read(self, question, sentences):
        self.sentences += len(sentences)
        return super().read(question, sentences)


def test_a_sentence_read_once_under_a_question_is_not_read_again():
    counting = CountingReader()
    cached = CachedReader(counting)
    first = cached.read("How long will the bridge be closed?", BRIDGE)
    again = cached.read("How long will the bridge be closed?", BRIDGE[::-1])
    assert counting.sentences == 3
    assert [r.holds for r in again] == [r.holds for r in first[::-1]]
    cached.read("How much will it cost?", BRIDGE[:1])
    assert counting.sentences == 4


def test_the_reranker_puts_the_passage_that_answers_first_and_keeps_the_rest():
    hits = [hit(1, "Football fans filled the stadium on Sunday. The match ended 2-1."),
            hit(2, " ".join(BRIDGE)), hit(3, "A third passage, past the depth, stays where it was.")]
    ranked = ReaderReranker(CachedReader(shipped_reader()), depth=2).rerank("How long will the bridge be closed?", hits)
    assert [h.id for h in ranked] == ["2:0", "1:0", "3:0"]
    assert 0 <= ranked[1].score <= ranked[0].score <= 1


def test_a_long_passage_is_read_by_its_first_and_likeliest_sentences():
    passage = " ".join(f"Sentence number {n} says nothing much here." for n in range(8)) + \
        " The bridge will close for five months."
    spans = likeliest("How long will the bridge close?", passage, n=3)
    assert len(spans) == 3 and spans[0][0] == 0
    assert passage[spans[-1][0]:spans[-1][1]] == "The bridge will close for five months."


def test_the_answer_leads_with_the_readers_phrase_for_a_thing_asked():
    claim = Claim(BRIDGE[1], hit(1, BRIDGE[1]), 0, len(BRIDGE[1]), 0.9, "about five months")
    assert lead_of("How long will the bridge be closed?", [claim]) == ("about five months", claim)
    assert lead_of("Why will the bridge close?", [claim]) is None  # no lead for a why-question
    long_phrase = Claim(BRIDGE[1], claim.hit, 0, len(BRIDGE[1]), 0.9, BRIDGE[1])
    assert lead_of("How much will the repairs cost?", [long_phrase]) == ("18 million", long_phrase)  # the rules
    assert Reading(0.5, None).phrase is None
