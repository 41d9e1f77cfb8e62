"""A running `assistant serve`, asked as others will ask it: the official `openai` SDK,
LangChain's `ChatOpenAI`, and the official `mcp` client over stdio and streamable HTTP."""

from __future__ import annotations

import asyncio
import os
import sys

import pytest

from assistant.settings import load_settings
from ingest import ingest
from tests.helpers import SEEDS, served

pytestmark = pytest.mark.integration

TROOPS = "How many French soldiers are deployed in Niger?"
OFF_ARCHIVE = "Who won the 2022 football World Cup?"


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory, embedder):
    root = tmp_path_factory.mktemp("api")
    settings = load_settings(data_dir=root / "index", chroma_host=None)
    ingest([SEEDS], settings, embedder=embedder)
    return root / "index"


@pytest.fixture(scope="module")
def base_url(data_dir):
    with served(data_dir, data_dir.parent / "serve.log") as url:
        yield url


@pytest.fixture(scope="module")
def client(base_url):
    from openai import OpenAI

    return OpenAI(base_url=f"{base_url}/v1", api_key="unused", max_retries=0, timeout=120)


def cited_spans(message) -> list[tuple[str, object]]:
    """Each annotation's span of the content, with the citation it points at."""
    content = message.content
    out = []
    for note in message.annotations:
        assert note.type == "url_citation"
        span = note.url_citation
        assert 0 <= span.start_index < span.end_index <= len(content)
        out.append((content[span.start_index:span.end_index], span))
    return out


def test_the_models_are_the_ways_of_answering(client):
    models = client.models.list()
    ids = [m.id for m in models.data]
    assert ids[0] == "archive" and "archive-extractive" in ids
    assert all(m.owned_by == "news-assistant" and m.created > 0 for m in models.data)


def test_the_troop_question_is_answered_with_citations_that_cover_their_sentence(client, base_url):
    reply = client.chat.completions.create(model="archive", messages=[
        {"role": "system", "content": "Answer from the archive."}, {"role": "user", "content": TROOPS}],
        temperature=0.2, top_p=0.9, max_tokens=200)
    message = reply.choices[0].message
    assert "1,500" in message.content and reply.choices[0].finish_reason == "stop"
    spans = cited_spans(message)
    assert spans and all(span.endswith("]") for span, _ in spans)
    citations = message.model_extra["citations"]
    assert citations[0]["quote"] in spans[0][0]  # the annotation covers the quoted sentence
    assert spans[0][1].url.startswith(f"{base_url}/v1/sources/")
    assert reply.usage.total_tokens == reply.usage.prompt_tokens + reply.usage.completion_tokens > 0
    source = __import__("httpx").get(spans[0][1].url, timeout=30).json()
    assert any(citations[0]["quote"] in p["text"] for p in source["passages"])


def test_the_same_answer_streamed_ends_with_its_annotations(client):
    whole = client.chat.completions.create(model="archive", messages=[{"role": "user", "content": TROOPS}])
    chunks = list(client.chat.completions.create(model="archive", stream=True,
                                                 stream_options={"include_usage": True},
                                                 messages=[{"role": "user", "content": TROOPS}]))
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == whole.choices[0].message.content
    with_notes = [c for c in chunks if c.choices and (c.choices[0].delta.model_extra or {}).get("annotations")]
    assert len(with_notes) == 1 and with_notes[0].choices[0].delta.content is not None
    last_content = [c for c in chunks if c.choices and c.choices[0].delta.content is not None][-1]
    assert last_content is with_notes[0]
    assert chunks[-1].usage is not None and chunks[-2].choices[0].finish_reason == "stop"


def test_a_follow_up_is_answered_from_the_history(client):
    first = client.chat.completions.create(model="archive", messages=[{"role": "user", "content": TROOPS}])
    follow = client.chat.completions.create(model="archive", messages=[
        {"role": "user", "content": TROOPS}, {"role": "assistant", "content": first.choices[0].message.content},
        {"role": "user", "content": "And on which bases are they?"}])
    content = follow.choices[0].message.content
    assert any(base in content for base in ("Niamey", "Ouallam", "Ayorou")), content
    assert follow.model_extra["archive"]["query"] != "And on which bases are they?"


def test_an_off_archive_question_is_abstained_on_without_annotations(client):
    reply = client.chat.completions.create(model="archive", messages=[{"role": "user", "content": OFF_ARCHIVE}])
    message = reply.choices[0].message
    assert "don't say" in message.content and message.annotations == []
    assert reply.model_extra["archive"]["abstained"] is True


def test_client_mistakes_are_4xx_in_openais_shape(client):
    import openai

    with pytest.raises(openai.BadRequestError) as empty:
        client.chat.completions.create(model="archive", messages=[])
    assert empty.value.status_code == 400 and "messages" in empty.value.body["message"]
    with pytest.raises(openai.NotFoundError) as unknown:
        client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": TROOPS}])
    assert unknown.value.body["code"] == "model_not_found" and unknown.value.body["param"] == "model"
    with pytest.raises(openai.BadRequestError) as bad_date:
        client.chat.completions.create(model="archive", messages=[{"role": "user", "content": TROOPS}],
                                       extra_body={"as_of": "yesterday-ish"})
    assert "YYYY-MM-DD" in bad_date.value.body["message"] and bad_date.value.body["param"] == "as_of"
    with pytest.raises(openai.BadRequestError) as refused:
        client.chat.completions.create(model="archive", messages=[{"role": "user", "content": "Niger " * 500}])
    assert "characters long" in refused.value.body["message"]


def test_the_reference_date_and_filters_are_extra_body_fields(client):
    before = client.chat.completions.create(model="archive", messages=[{"role": "user", "content": TROOPS}],
                                            extra_body={"since": "2030-01-01"})
    assert before.model_extra["archive"]["abstained"] is True
    dated = client.chat.completions.create(model="archive", messages=[{"role": "user", "content": TROOPS}],
                                           extra_body={"as_of": "2023-09-30"})
    assert dated.model_extra["archive"]["as_of"] == "2023-09-30" and "1,500" in dated.choices[0].message.content


def test_langchains_chat_openai_answers_the_troop_question(base_url):
    from langchain_openai import ChatOpenAI

    chat = ChatOpenAI(base_url=f"{base_url}/v1", api_key="unused", model="archive", max_retries=0, timeout=120)
    reply = chat.invoke(TROOPS)
    assert "1,500" in reply.content


def test_a_wrong_key_is_refused_where_a_key_is_set(data_dir, tmp_path):
    import openai

    env = {"ASSISTANT_API_KEY": "sk-archive-test", "ASSISTANT_AUTH": "admin:pa55"}
    with served(data_dir, tmp_path / "keyed.log", env) as url:
        wrong = openai.OpenAI(base_url=f"{url}/v1", api_key="sk-wrong", max_retries=0)
        with pytest.raises(openai.AuthenticationError) as refused:
            wrong.chat.completions.create(model="archive", messages=[{"role": "user", "content": TROOPS}])
        assert refused.value.status_code == 401 and refused.value.body["code"] == "invalid_api_key"
        with pytest.raises(openai.AuthenticationError):
            wrong.models.list()
        right = openai.OpenAI(base_url=f"{url}/v1", api_key="sk-archive-test", max_retries=0, timeout=120)
        assert "1,500" in right.chat.completions.create(
            model="archive", messages=[{"role": "user", "content": TROOPS}]).choices[0].message.content
        assert __import__("httpx").post(f"{url}/mcp", json={}, timeout=30).status_code == 401


async def tools_answer(target) -> None:
    from mcp import Client

    async with Client(target) as mcp:
        tools = {t.name: t for t in (await mcp.list_tools()).tools}
        assert set(tools) == {"search_articles", "answer_question"}
        search = tools["search_articles"].input_schema
        assert search["required"] == ["query"] and {"k", "since", "until", "as_of"} <= set(search["properties"])
        assert search["properties"]["k"]["default"] == 8 and search["properties"]["query"]["description"]
        assert tools["answer_question"].input_schema["required"] == ["question"]
        found = await mcp.call_tool("search_articles", {"query": "French soldiers bases", "k": 3})
        assert not found.is_error and "1,500 French soldiers" in found.content[0].text
        passages = found.structured_content["passages"]
        assert len(passages) <= 3 and passages[0]["rank"] == 1 and passages[0]["title"]
        answered = await mcp.call_tool("answer_question", {"question": TROOPS})
        assert not answered.is_error and "1,500" in answered.content[0].text and "Sources:" in answered.content[0].text
        empty = await mcp.call_tool("answer_question", {"question": "  "})
        assert empty.is_error and "empty" in empty.content[0].text
        bad = await mcp.call_tool("search_articles", {"query": "troops", "as_of": "someday"})
        assert bad.is_error and "YYYY-MM-DD" in bad.content[0].text


def test_the_mcp_tools_over_streamable_http(base_url):
    asyncio.run(tools_answer(f"{base_url}/mcp"))


def test_the_mcp_tools_over_stdio(data_dir):
    from mcp import StdioServerParameters

    command = StdioServerParameters(command=sys.executable, args=["-m", "assistant.cli", "mcp", "--data-dir",
                                                                  str(data_dir)],
                                    env={"HF_HUB_OFFLINE": "1", "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
                                         "HOME": os.environ.get("HOME", "/root"),
                                         "XDG_CACHE_HOME": os.environ["XDG_CACHE_HOME"]})  # the run's own cache
    asyncio.run(tools_answer(command))
