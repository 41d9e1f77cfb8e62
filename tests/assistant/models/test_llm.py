"""The model check behind the generator seam: its arithmetic, both adapters, and the real model."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import numpy as np
import pytest

from assistant import Assistant
from assistant.answering.selector import select_prompt
from assistant.models import LLMError, LocalModel, OpenAIModel, default_model_path
from assistant.models.base import yes_share
from assistant.prompts import render
from assistant.settings import load_settings
from assistant.types import Hit
from ingest import ingest
from tests.helpers import SEEDS, free_port, wait_for_port

QUOTE = "About 1,500 French soldiers are deployed in Niger."
HITS = [Hit(id="a:0", article_id="a", title="France in Niger", source="a.txt", url=None, published=None,
            passage=QUOTE, start=0, end=len(QUOTE), score=1.0)]


def test_yes_share_reads_yes_and_no_tokens_only():
    assert yes_share({"Yes": 0.6, " no": 0.2, "Maybe": 0.2}) == pytest.approx(0.75)
    assert yes_share({"Perhaps": 1.0}) == 0.5
    assert yes_share({"No": 1.0}) == 0.0


class Canned(BaseHTTPRequestHandler):
    """An OpenAI-compatible endpoint that answers from a script and records what it was sent."""

    replies: list = []
    seen: list = []

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        Canned.seen.append((self.path, self.headers.get("Authorization"), body))
        status, reply = Canned.replies.pop(0)
        data = json.dumps(reply).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


@pytest.fixture
def canned_server():
    server = HTTPServer(("127.0.0.1", 0), Canned)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    Canned.replies, Canned.seen = [], []
    yield f"http://127.0.0.1:{server.server_port}/v1"
    server.shutdown()


def test_openai_adapter_reads_first_token_logprobs(canned_server):
    top = [{"token": "Yes", "logprob": np.log(0.6)}, {"token": "No", "logprob": np.log(0.2)},
           {"token": "The", "logprob": np.log(0.2)}]
    Canned.replies = [(200, {"choices": [{"message": {"content": "Yes"},
                                          "logprobs": {"content": [{"token": "Yes", "top_logprobs": top}]}}]}),
                      (200, {"choices": [{"message": {"content": "No"}}]})]
    model = OpenAIModel(canned_server, "qwen", api_key="secret")
    assert model.yes_probability("Is it?") == pytest.approx(0.75)
    assert model.yes_probability("Is it?") == 0.0  # no logprobs: the reply's word decides
    path, auth, body = Canned.seen[0]
    assert path == "/v1/chat/completions" and auth == "Bearer secret"
    assert body["max_tokens"] == 1 and body["logprobs"] is True and body["messages"][0]["content"] == "Is it?"


def test_openai_adapter_reads_each_choices_share_from_the_first_token(canned_server):
    top = [{"token": "2", "logprob": np.log(0.6)}, {"token": "1", "logprob": np.log(0.2)},
           {"token": "The", "logprob": np.log(0.2)}]
    Canned.replies = [(200, {"choices": [{"message": {"content": "2"},
                                          "logprobs": {"content": [{"token": "2", "top_logprobs": top}]}}]}),
                      (200, {"choices": [{"message": {"content": "3"}}]}),
                      (200, {"choices": [{"message": {"content": "none"}}]})]
    model = OpenAIModel(canned_server, "qwen")
    assert model.choice_shares("Which?", ["1", "2", "3"]) == pytest.approx([0.25, 0.75, 0.0])
    assert model.choice_shares("Which?", ["1", "2", "3"]) == [0.0, 0.0, 1.0]  # no logprobs: the reply decides
    assert model.choice_shares("Which?", ["1", "2"]) == [0.5, 0.5]  # no label at all: even shares
    assert Canned.seen[0][2]["max_tokens"] == 1 and Canned.seen[0][2]["top_logprobs"] == 20


def test_openai_adapter_errors_name_the_server_and_the_fix(canned_server):
    Canned.replies = [(500, {"error": "model not loaded"})]
    with pytest.raises(LLMError, match=r"refused the request: 500"):
        OpenAIModel(canned_server).yes_probability("Is it?")
    with pytest.raises(LLMError, match=r"did not answer.*ASSISTANT_ANSWERER=extractive"):
        OpenAIModel(f"http://127.0.0.1:{free_port()}/v1", timeout=2).yes_probability("Is it?")
    with pytest.raises(LLMError, match="ASSISTANT_LLM_URL"):
        OpenAIModel("")


def test_a_missing_gguf_is_a_clear_error(tmp_path):
    with pytest.raises(LLMError, match="no GGUF model at"):
        LocalModel(tmp_path / "nothing.gguf").yes_probability("Is it?")
    bad = tmp_path / "bad.gguf"
    bad.write_bytes(b"not a model")
    with pytest.raises(LLMError, match="could not be loaded"):
        LocalModel(bad).yes_probability("Is it?")


# The real model: Qwen2.5-Coder-1.5B-Instruct from its PyPI parts, run by llama.cpp.

def check_prompt(question: str) -> str:
    return render("check", title="France in Niger", evidence=QUOTE, question=question).strip()


@pytest.fixture(scope="module")
def checked(tmp_path_factory, embedder):
    settings = load_settings(data_dir=tmp_path_factory.mktemp("checked") / "index", chroma_host=None,
                             llm="local")
    ingest([SEEDS], settings, embedder=embedder)
    return Assistant(settings, embedder=embedder)


@pytest.mark.integration
def test_the_default_model_is_assembled_from_its_parts_once(tmp_path):
    path = default_model_path(tmp_path)
    assert path.read_bytes()[:4] == b"GGUF"
    stamp = path.stat().st_mtime_ns
    assert default_model_path(tmp_path).stat().st_mtime_ns == stamp


@pytest.mark.integration
def test_checked_answers_on_the_seed(checked):
    right = checked.answer("How many French soldiers are deployed in Niger?")
    assert not right.abstained and "1,500" in right.citations[0].quote
    assert right.support >= checked.settings.checked_threshold
    # The figure's own sentence does not say whose debt it is; with its neighbour it does.
    debt = checked.answer("How much debt does Niger have?")
    assert not debt.abstained and any("5200 billion" in c.quote for c in debt.citations), debt.support
    for question in ["Who won the 2022 football World Cup?", "How many German soldiers are deployed in Niger?"]:
        a = checked.answer(question)
        assert a.abstained and a.citations == [], (question, a.support)


@pytest.mark.integration
def test_selected_answers_on_the_seed_with_the_small_model(tmp_path, embedder):
    settings = load_settings(data_dir=tmp_path / "index", chroma_host=None, answerer="selected", llm="local",
                             llm_model="qwen2.5-0.5b")
    ingest([SEEDS], settings, embedder=embedder)
    assistant = Assistant(settings, embedder=embedder)
    a = assistant.answer("How many French soldiers are deployed in Niger?")
    assert a.mode == "selected" and a.model and not a.abstained
    assert "1,500" in a.citations[0].quote and a.text.startswith("**1,500**")
    assert assistant.answer("Who won the 2022 football World Cup?").abstained


@pytest.mark.integration
def test_the_model_tells_a_stated_answer_from_a_missing_one(checked):
    model = checked.model
    yes = model.yes_probability(check_prompt("How many French soldiers are deployed in Niger?"))
    no = model.yes_probability(check_prompt("Who is the French ambassador to Niger?"))
    assert yes > 0.7 and no < 0.3, (yes, no)


@pytest.mark.integration
def test_the_model_chooses_the_sentence_that_states_the_answer(checked):
    prompt = select_prompt("How many French soldiers are deployed in Niger?", [
        ("France in Niger", "The junta asked the ambassador to leave the country."),
        ("France in Niger", "Currently, some 1,500 French soldiers are deployed in Niger."),
        ("France in Niger", "The German government has not commented on the decision.")])
    shares = checked.model.choice_shares(prompt, ["1", "2", "3"])
    assert shares[1] > 0.6 and shares[1] == max(shares), shares


@pytest.mark.integration
def test_a_reused_prompt_prefix_gives_what_a_fresh_context_gives(checked):
    """Prompts about one question share their start; the context keeps it between prompts."""
    model = checked.model
    first = check_prompt("How many French soldiers are deployed in Niger?")
    second = first.replace("1,500", "2,000")
    model.yes_probability(first)
    reused = model.yes_probability(second)
    assert model._llm.n_tokens > 0
    model._llm.reset()
    assert reused == pytest.approx(model.yes_probability(second), abs=0.02)


@pytest.mark.integration
def test_an_openai_compatible_server_gives_the_local_models_judgement(checked, tmp_path):
    """llama.cpp's own OpenAI-compatible server, on loopback, serving the same GGUF."""
    port, log = free_port(), tmp_path / "server.log"
    path = default_model_path()
    with log.open("w") as out:
        proc = subprocess.Popen([sys.executable, "-m", "llama_cpp.server", "--model", str(path), "--host",
                                 "127.0.0.1", "--port", str(port), "--n_ctx", "1024", "--logits_all", "true",
                                 "--model_alias", "qwen"], stdout=out, stderr=subprocess.STDOUT)
    try:
        wait_for_port(port, proc, 120, log)
        remote = OpenAIModel(f"http://127.0.0.1:{port}/v1", "qwen", timeout=120)
        prompt = check_prompt("How many French soldiers are in Niger?")
        assert remote.yes_probability(prompt) == pytest.approx(checked.model.yes_probability(prompt),
                                                               abs=0.05)
        choice = select_prompt("How many French soldiers are in Niger?", [("France in Niger", QUOTE),
                                                                           ("France in Niger", "Paris refused.")])
        assert remote.choice_shares(choice, ["1", "2"]) == pytest.approx(
            checked.model.choice_shares(choice, ["1", "2"]), abs=0.05)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
