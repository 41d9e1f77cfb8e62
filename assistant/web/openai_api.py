"""The archive as an OpenAI-compatible chat endpoint (`/v1`): any OpenAI SDK, LangChain's
`ChatOpenAI`, Open WebUI or LibreChat can ask it, and every answer carries its citations where
OpenAI's clients look for them (`message.annotations`, `url_citation` entries) and, in full, in
`message.citations`.

Models are ways of answering: `archive` (the settings' own), `archive-extractive` (quotes only),
and `archive-checked` / `archive-written` when a language model is configured. The last user
message is the question, the user and assistant turns before it the history; `as_of`, `since`,
`until` and `sources` are extra body fields. Errors come in OpenAI's shape with its status codes.
"""

from __future__ import annotations

import json
import logging
import re
import time
import uuid
import weakref
from dataclasses import dataclass, field
from typing import Iterator
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse

from ingest.store import IndexUnavailable

from ..answer import Assistant, QuestionError, checked_day
from ..models import LLMError
from ..types import Answer, Citation
from .admission import ApiError, Gate, check_key

log = logging.getLogger(__name__)

OWNER = "news-assistant"
PREFIX = "archive"
MARKER = re.compile(r"\[(\d+)\]")


# --- reading a request ------------------------------------------------------------------------
@dataclass(frozen=True)
class Asked:
    """A chat completion request, as the assistant will answer it."""

    model: str
    mode: str
    question: str
    history: list[tuple[str, str]]
    stream: bool
    include_usage: bool
    filters: dict = field(default_factory=dict)


def text_of(content, index: int) -> str:
    """A message's text: a string, or the text parts of a list of content parts."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list) and all(isinstance(p, dict) for p in content):
        return "\n".join(str(p.get("text", "")) for p in content if p.get("type") in ("text", "input_text"))
    raise ApiError(400, f"messages[{index}].content must be a string or a list of text parts",
                   param=f"messages[{index}].content")


def conversation(messages) -> tuple[str, list[tuple[str, str]]]:
    """The question (the last user message) and the history before it: each user turn paired with
    the assistant's reply to it. System and developer messages are accepted and read no further."""
    if not isinstance(messages, list) or not messages:
        raise ApiError(400, "messages must be a non-empty list of chat messages", param="messages")
    turns: list[tuple[str, str]] = []
    for i, message in enumerate(messages):
        if not isinstance(message, dict) or not isinstance(message.get("role"), str):
            raise ApiError(400, f"messages[{i}] must be an object with a role", param=f"messages[{i}]")
        role = message["role"]
        if role in ("user", "assistant"):
            turns.append((role, text_of(message.get("content"), i)))
        elif role not in ("system", "developer", "tool", "function"):
            raise ApiError(400, f"messages[{i}].role '{role}' is not a chat role", param=f"messages[{i}].role")
    last_user = max((i for i, (role, _) in enumerate(turns) if role == "user"), default=None)
    if last_user is None:
        raise ApiError(400, "the messages hold no user message: the last one is the question", param="messages")
    history, pending = [], None
    for role, text in turns[:last_user]:
        if role == "user":
            pending = text
        elif pending is not None:
            history.append((pending, text))
            pending = None
    return turns[last_user][1], history


def model_names(assistant: Assistant) -> dict[str, str]:
    """Model id -> the way it answers."""
    names = {PREFIX: assistant.answerer.mode}
    for mode in assistant.modes:
        names[f"{PREFIX}-{mode}"] = mode
    return names


def _day(body: dict, key: str) -> str | None:
    try:
        return checked_day(body.get(key), key)
    except QuestionError as exc:
        raise ApiError(400, str(exc), param=key) from None


def read_request(body, assistant: Assistant) -> Asked:
    if not isinstance(body, dict):
        raise ApiError(400, "the request body must be a JSON object")
    model = body.get("model") or PREFIX
    names = model_names(assistant)
    if model not in names:
        raise ApiError(404, f"The model '{model}' does not exist; the models are: {', '.join(names)}",
                       param="model", code="model_not_found")
    question, history = conversation(body.get("messages"))
    sources = body.get("sources") or ()
    if isinstance(sources, str):
        sources = [sources]
    if not isinstance(sources, (list, tuple)) or not all(isinstance(s, str) for s in sources):
        raise ApiError(400, "sources must be a list of article ids, paths or URLs", param="sources")
    options = body.get("stream_options") or {}
    filters = {"as_of": _day(body, "as_of"), "since": _day(body, "since"), "until": _day(body, "until"),
               "articles": tuple(sources)}
    return Asked(model, names[model], question, history, bool(body.get("stream")),
                 bool(isinstance(options, dict) and options.get("include_usage")), filters)


# --- writing a reply --------------------------------------------------------------------------
def source_url(citation: Citation, base_url: str) -> str:
    """The article's URL, else the link this server serves for the stored article."""
    if citation.source.startswith(("http://", "https://")):
        return citation.source
    return f"{base_url.rstrip('/')}/v1/sources/{quote(citation.article_id, safe='')}"


def annotations(text: str, citations: list[Citation], base_url: str) -> list[dict]:
    """One `url_citation` per [n] marker of the text: its indexes span the sentence the marker
    closes (from the end of the previous marker, or the start of the text) up to the marker."""
    by_n = {c.n: c for c in citations}
    out, start = [], 0
    for match in MARKER.finditer(text):
        cited = by_n.get(int(match.group(1)))
        sentence_start = start
        while sentence_start < match.start() and text[sentence_start] in " \n":
            sentence_start += 1
        if cited is not None:
            out.append({"type": "url_citation", "url_citation": {
                "start_index": sentence_start, "end_index": match.end(), "url": source_url(cited, base_url),
                "title": cited.title or cited.article_id}})
        # adjacent markers ("[1][2]") close the same sentence
        following = text[match.end():match.end() + 1]
        start = match.end() if following != "[" else sentence_start
    return out


def citations_field(answer: Answer, base_url: str) -> list[dict]:
    return [{**c.to_dict(), "url": source_url(c, base_url)} for c in answer.citations]


def related_field(answer: Answer, base_url: str) -> list[dict]:
    """Abstained on: the closest passages, as related reading (they answer nothing)."""
    return [{"title": c.title, "published": c.published, "source": c.source, "url": source_url(c, base_url),
             "passage": c.passage} for c in answer.related]


def usage(assistant: Assistant, asked: Asked, text: str) -> dict:
    """Token counts in the embedding model's tokens: the question and its history read, the answer written."""
    read = [asked.question, *[t for pair in asked.history for t in pair]]
    prompt = sum(assistant.embedder.count_tokens(read))
    completion = assistant.embedder.count_tokens([text])[0] if text else 0
    return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}


def completion(assistant: Assistant, asked: Asked, answer: Answer, base_url: str, reply_id: str) -> dict:
    message = {"role": "assistant", "content": answer.text, "refusal": None,
               "annotations": [] if answer.abstained else annotations(answer.text, answer.citations, base_url),
               "citations": citations_field(answer, base_url), "related": related_field(answer, base_url)}
    return {"id": reply_id, "object": "chat.completion", "created": int(time.time()), "model": asked.model,
            "choices": [{"index": 0, "message": message, "finish_reason": "stop", "logprobs": None}],
            "usage": usage(assistant, asked, answer.text), "system_fingerprint": None,
            "archive": {"query": answer.query, "as_of": answer.as_of, "abstained": answer.abstained,
                        "mode": answer.mode}}


def _chunk(asked: Asked, reply_id: str, delta: dict, finish: str | None = None) -> str:
    payload = {"id": reply_id, "object": "chat.completion.chunk", "created": int(time.time()), "model": asked.model,
               "choices": [{"index": 0, "delta": delta, "finish_reason": finish, "logprobs": None}]}
    return f"data: {json.dumps(payload, ensure_ascii=False)}\n\n"


def stream_chunks(assistant: Assistant, asked: Asked, parts: Iterator[Answer], base_url: str,
                  reply_id: str) -> Iterator[str]:
    """Server-sent events: the role, then the text as it grows; the last content chunk carries
    the annotations and citations; then the finish, the usage if asked for, and [DONE]."""
    yield _chunk(asked, reply_id, {"role": "assistant", "content": ""})
    sent, held, final = "", None, None
    for final in parts:
        if not final.text.startswith(sent):
            continue  # a part that rewrites what was sent waits for the final text
        if held is not None:
            yield _chunk(asked, reply_id, {"content": held})
        held, sent = final.text[len(sent):], final.text
    if final is None:
        return
    missing = final.text[len(sent):] if final.text.startswith(sent) else ""
    last = {"content": (held or "") + missing,
            "annotations": [] if final.abstained else annotations(final.text, final.citations, base_url),
            "citations": citations_field(final, base_url), "related": related_field(final, base_url)}
    yield _chunk(asked, reply_id, last)
    yield _chunk(asked, reply_id, {}, finish="stop")
    if asked.include_usage:
        payload = {"id": reply_id, "object": "chat.completion.chunk", "created": int(time.time()),
                   "model": asked.model, "choices": [], "usage": usage(assistant, asked, final.text)}
        yield f"data: {json.dumps(payload)}\n\n"
    yield "data: [DONE]\n\n"


# --- the routes -------------------------------------------------------------------------------
def refused(exc: Exception) -> ApiError:
    if isinstance(exc, ApiError):
        return exc
    if isinstance(exc, QuestionError):
        return ApiError(400, str(exc), param="messages")
    if isinstance(exc, IndexUnavailable):
        return ApiError(503, str(exc), kind="server_error", code="index_unavailable")
    if isinstance(exc, LLMError):
        return ApiError(502, str(exc), kind="server_error", code="model_unavailable")
    log.exception("the /v1 API failed")
    return ApiError(500, "the assistant failed on this request; the details are in the server log",
                    kind="server_error")


def router(assistant: Assistant, keys: list[str] | None, running: int = 2, waiting: int = 64) -> APIRouter:
    """The /v1 routes over one assistant; `keys` None means no key is asked for."""
    api = APIRouter(prefix="/v1")
    gate = Gate(running, waiting)
    started = int(time.time())

    @api.get("/models")
    def models(request: Request):
        try:
            check_key(request, keys)
        except ApiError as exc:
            return exc.response()
        return {"object": "list", "data": [{"id": name, "object": "model", "created": started, "owned_by": OWNER}
                                           for name in model_names(assistant)]}

    @api.get("/sources/{article_id:path}")
    def source(article_id: str, request: Request):
        try:
            check_key(request, keys)
            chunks = assistant.index.article_chunks(article_id)
        except Exception as exc:  # noqa: BLE001 - every failure becomes an error object
            return refused(exc).response()
        if not chunks:
            return ApiError(404, f"no article '{article_id}' in the archive", param="article_id").response()
        first = chunks[0]
        return {"article_id": article_id, "title": first.title, "published": first.published,
                "url": first.url, "passages": [{"chunk": c.chunk, "start": c.start, "end": c.end, "text": c.text}
                                               for c in chunks]}

    @api.post("/chat/completions")
    async def chat_completions(request: Request):
        try:
            check_key(request, keys)
            try:
                body = await request.json()
            except ValueError:
                raise ApiError(400, "the request body is not JSON") from None
            asked = read_request(body, assistant)
            admitted = gate.enter()
        except ApiError as exc:
            return exc.response()
        base_url, reply_id = str(request.base_url), f"chatcmpl-{uuid.uuid4().hex[:24]}"
        if not asked.stream:
            try:
                answer = await admitted.run(_answer, assistant, asked)
                return completion(assistant, asked, answer, base_url, reply_id)
            except Exception as exc:  # noqa: BLE001
                return refused(exc).response()
            finally:
                admitted.leave()
        try:  # the first part is computed before the response starts, so a refusal is still a status code
            parts = assistant.stream(asked.question, asked.history, mode=asked.mode, **asked.filters)
            first = await admitted.run(next, parts, None)
        except Exception as exc:  # noqa: BLE001
            admitted.leave()
            return refused(exc).response()
        except BaseException:  # cancelled (the client left) while waiting or computing
            admitted.leave()
            raise

        async def events():
            try:
                chunks = stream_chunks(assistant, asked, _rest(first, parts), base_url, reply_id)
                while True:
                    event = await admitted.run(next, chunks, None)
                    if event is None:
                        return
                    yield event
            except Exception as exc:  # noqa: BLE001 - the status is sent: the error goes in the stream
                error = refused(exc)
                yield f"data: {json.dumps({'error': {'message': error.message, 'type': error.kind}})}\n\n"
                yield "data: [DONE]\n\n"
            finally:
                admitted.leave()

        body = events()
        # a client gone before its body began never runs the generator's `finally`: the slot is
        # given back when the unread body is dropped
        weakref.finalize(body, admitted.leave)
        return StreamingResponse(body, media_type="text/event-stream",
                                 headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})

    return api


def _answer(assistant: Assistant, asked: Asked) -> Answer:
    return assistant.answer(asked.question, asked.history, mode=asked.mode, **asked.filters)


def _rest(first: Answer | None, parts: Iterator[Answer]) -> Iterator[Answer]:
    if first is not None:
        yield first
        yield from parts
