"""The OpenAI-compatible endpoint's reading of requests and writing of citations, on their own."""

from __future__ import annotations

import pytest

from assistant.types import Citation
from assistant.web.admission import ApiError
from assistant.web.openai_api import annotations, conversation, source_url


def citation(n: int, quote: str, source: str = "/srv/news/a.txt") -> Citation:
    return Citation(n=n, article_id=f"a{n}.txt", title=f"Report {n}", source=source, published=None, passage=quote,
                    quote=quote, start=0, end=len(quote), quote_start=0, quote_end=len(quote), score=1.0)


def test_each_marker_is_an_annotation_spanning_the_sentence_it_closes():
    text = "Some 1,500 soldiers are there. [1] They are on three bases. [2]"
    cited = [citation(1, "Some 1,500 soldiers are there."),
             citation(2, "They are on three bases.", "https://example.org/bases")]
    found = annotations(text, cited, "http://127.0.0.1:7860/")
    assert [a["type"] for a in found] == ["url_citation", "url_citation"]
    spans = [text[a["url_citation"]["start_index"]:a["url_citation"]["end_index"]] for a in found]
    assert spans == ["Some 1,500 soldiers are there. [1]", "They are on three bases. [2]"]
    assert found[0]["url_citation"]["url"] == "http://127.0.0.1:7860/v1/sources/a1.txt"
    assert found[1]["url_citation"]["url"] == "https://example.org/bases"
    assert found[1]["url_citation"]["title"] == "Report 2"


def test_adjacent_markers_both_cover_their_sentence_and_an_unknown_number_is_skipped():
    text = "France has 1,000 soldiers there. [2][1] Nothing else. [9]"
    found = annotations(text, [citation(1, "x"), citation(2, "y")], "http://h/")
    spans = [text[a["url_citation"]["start_index"]:a["url_citation"]["end_index"]] for a in found]
    assert spans == ["France has 1,000 soldiers there. [2]", "France has 1,000 soldiers there. [2][1]"]


def test_a_source_without_a_url_is_linked_to_the_server_and_its_id_escaped():
    assert source_url(citation(1, "q", "/srv/a b.txt"), "http://h:1/") == "http://h:1/v1/sources/a1.txt"
    odd = Citation(1, "dir/a b?.txt", "t", "/x", None, "p", "p", 0, 1, 0, 1, 1.0)
    assert source_url(odd, "http://h/") == "http://h/v1/sources/dir%2Fa%20b%3F.txt"


def test_the_last_user_message_is_the_question_and_earlier_turns_the_history():
    messages = [{"role": "system", "content": "Be brief."},
                {"role": "user", "content": "How many French soldiers are in Niger?"},
                {"role": "assistant", "content": "Some 1,500 [1]"},
                {"role": "user", "content": [{"type": "text", "text": "And on which bases are they?"}]}]
    question, history = conversation(messages)
    assert question == "And on which bases are they?"
    assert history == [("How many French soldiers are in Niger?", "Some 1,500 [1]")]


@pytest.mark.parametrize("messages, says", [
    ([], "non-empty list"),
    ("hello", "non-empty list"),
    ([{"role": "system", "content": "Be brief."}], "no user message"),
    ([{"content": "no role"}], "with a role"),
    ([{"role": "user", "content": 3}], "string or a list of text parts"),
    ([{"role": "wizard", "content": "hi"}], "not a chat role"),
])
def test_messages_that_hold_no_question_are_a_400_naming_the_field(messages, says):
    with pytest.raises(ApiError) as refused:
        conversation(messages)
    assert refused.value.status == 400 and says in refused.value.message
    assert refused.value.param.startswith("messages")


def test_a_streamed_answer_once_begun_keeps_its_slot_until_its_last_event():
    import anyio

    from assistant.web.admission import Gate

    gate, done = Gate(running=1, waiting=4), []

    async def request(name: str, events: int) -> None:
        admitted = gate.enter()
        try:
            for i in range(events):
                await admitted.run(done.append, f"{name}{i}")
                await anyio.sleep(0.01)  # the event goes out to the client meanwhile
        finally:
            admitted.leave()

    async def main() -> None:
        async with anyio.create_task_group() as group:
            group.start_soon(request, "a", 3)
            await anyio.sleep(0.005)  # b arrives while a streams
            group.start_soon(request, "b", 2)

    anyio.run(main)
    assert done == ["a0", "a1", "a2", "b0", "b1"]
    assert gate.admitted == 0 and gate.limiter.borrowed_tokens == 0


def test_beyond_running_and_waiting_is_a_429_and_a_request_leaves_once_however_often_told():
    import anyio

    from assistant.web.admission import Gate

    gate = Gate(running=1, waiting=1)
    first, second = gate.enter(), gate.enter()
    with pytest.raises(ApiError) as refused:
        gate.enter()
    assert refused.value.status == 429 and refused.value.code == "rate_limit_exceeded"

    async def main() -> None:
        await first.run(lambda: None)
        with anyio.move_on_after(0.05):  # the second waits for the slot the first holds, then gives up
            await second.run(lambda: None)
        second.leave()
        assert gate.limiter.borrowed_tokens == 1
        first.leave()
        first.leave()
        assert gate.limiter.borrowed_tokens == 0

    anyio.run(main)
    assert gate.admitted == 0
    gate.enter(), gate.enter()  # both places are free again
