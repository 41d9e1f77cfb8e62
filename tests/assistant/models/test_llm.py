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
from assistant.answering import CheckedGenerator, Claim, Draft
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


class FixedDraft:
    def __init__(self, support):
        self.support = support

    def draft(self, question, query, hits, vector, time=None):
        return Draft([Claim(QUOTE, HITS[0], 0, len(QUOTE), self.support)], self.support)


class RecordingModel:
    name = "recording"

    def __init__(self, yes: float):
        self.yes, self.prompts = yes, []

    def yes_probability(self, prompt: str) -> float:
        self.prompts.append(prompt)
        return self.yes


def test_yes_share_reads_yes_and_no_tokens_only():
    assert yes_share({"Yes": 0.6, " no": 0.2, "Maybe": 0.2}) == pytest.approx(0.75)
    assert yes_share({"Perhaps": 1.0}) == 0.5
    assert yes_share({"No": 1.0}) == 0.0


def test_checked_support_mixes_the_extractive_score_with_the_models_yes():
    model = RecordingModel(0.9)
    draft = CheckedGenerator(FixedDraft(0.5), model, weight=0.5, threshold=0.6).draft(
        "How many soldiers?", "How many soldiers?", HITS, np.zeros(3))
    assert draft.support == pytest.approx(0.7)
    assert draft.claims[0].text == QUOTE  # the model judges; it never rewrites the quote
    (prompt,) = model.prompts
    assert QUOTE in prompt and "How many soldiers?" in prompt and "France in Niger" in prompt


def test_quotes_too_weak_to_pass_are_not_shown_to_the_model():
    model = RecordingModel(1.0)
    draft = CheckedGenerator(FixedDraft(0.1), model, weight=0.5, threshold=0.6).draft("q?", "q?", HITS, np.zeros(3))
    assert model.prompts == [] and draft.support == pytest.approx(0.05)


OTHER = "Niger's junta asked France to leave."
TWO = [Hit(id="a:0", article_id="a", title="France in Niger", source="a.txt", url=None, published=None,
           passage=f"{OTHER} {QUOTE}", start=0, end=len(OTHER) + 1 + len(QUOTE), score=1.0)]


class TwoCandidates:
    """The extractive answerer ranks the off-target sentence first."""

    def draft(self, question, query, hits, vector, time=None):
        wrong = Claim(OTHER, TWO[0], 0, len(OTHER), 0.6)
        right = Claim(QUOTE, TWO[0], len(OTHER) + 1, len(OTHER) + 1 + len(QUOTE), 0.5)
        return Draft([wrong], 0.6, [wrong, right])


class SentenceJudge:
    """Says Yes to prompts quoting one sentence, No to any other, and records what it read."""

    name = "judge"

    def __init__(self, believes: str, yes: float = 0.9, no: float = 0.1):
        self.believes, self.yes, self.no, self.prompts = believes, yes, no, []

    def yes_probability(self, prompt: str) -> float:
        self.prompts.append(prompt)
        return self.yes if self.believes in prompt else self.no


def test_each_candidate_is_judged_alone_and_the_believed_one_is_quoted():
    model = SentenceJudge(QUOTE)
    draft = CheckedGenerator(TwoCandidates(), model, weight=0.5, threshold=0.6).draft(
        "How many soldiers?", "How many soldiers?", TWO, np.zeros(3))
    assert [c.text for c in draft.claims] == [QUOTE]  # 0.7 against 0.35: no runner-up
    assert draft.support == pytest.approx(0.7)
    assert len(model.prompts) == 2 and all((QUOTE in p) != (OTHER in p) for p in model.prompts)


def test_a_nearly_as_well_supported_runner_up_is_quoted_too():
    model = SentenceJudge(QUOTE, yes=0.7, no=0.55)
    draft = CheckedGenerator(TwoCandidates(), model, weight=0.5, threshold=0.0).draft(
        "How many soldiers?", "How many soldiers?", TWO, np.zeros(3))
    assert [c.text for c in draft.claims] == [QUOTE, OTHER]  # 0.6 and 0.575
    assert draft.support == pytest.approx(0.6)


class PairDraft:
    """The extractive answer quotes both sentences; neither alone states the answer."""

    def draft(self, question, query, hits, vector, time=None):
        first = Claim(OTHER, TWO[0], 0, len(OTHER), 0.6)
        second = Claim(QUOTE, TWO[0], len(OTHER) + 1, len(OTHER) + 1 + len(QUOTE), 0.55)
        return Draft([first, second], 0.6, [first, second])


class PairJudge(SentenceJudge):
    def yes_probability(self, prompt: str) -> float:
        self.prompts.append(prompt)
        return self.yes if OTHER in prompt and QUOTE in prompt else self.no


def test_the_extractive_pair_read_together_is_quoted_when_only_together_they_answer():
    model = PairJudge(QUOTE)
    draft = CheckedGenerator(PairDraft(), model, weight=0.5, threshold=0.6).draft(
        "How many soldiers?", "How many soldiers?", TWO, np.zeros(3))
    assert [c.text for c in draft.claims] == [OTHER, QUOTE]
    assert draft.support == pytest.approx(0.75)  # 0.5 x 0.6 + 0.5 x 0.9; each alone 0.35 or less
    assert len(model.prompts) == 3 and f"{OTHER} {QUOTE}" in model.prompts[-1]


class AloneJudge(SentenceJudge):
    def yes_probability(self, prompt: str) -> float:
        self.prompts.append(prompt)
        return self.yes if QUOTE in prompt and OTHER not in prompt else self.no


def test_a_sentence_believed_alone_beats_the_pair_it_is_part_of():
    model = AloneJudge(QUOTE)
    draft = CheckedGenerator(PairDraft(), model, weight=0.5, threshold=0.0).draft(
        "How many soldiers?", "How many soldiers?", TWO, np.zeros(3))
    assert [c.text for c in draft.claims] == [QUOTE]  # 0.725 against the pair's 0.35
    assert draft.support == pytest.approx(0.725)


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
def test_the_model_tells_a_stated_answer_from_a_missing_one(checked):
    model = checked.generator.model
    yes = model.yes_probability(check_prompt("How many French soldiers are deployed in Niger?"))
    no = model.yes_probability(check_prompt("Who is the French ambassador to Niger?"))
    assert yes > 0.7 and no < 0.3, (yes, no)


@pytest.mark.integration
def test_a_reused_prompt_prefix_gives_what_a_fresh_context_gives(checked):
    """Prompts about one question share their start; the context keeps it between prompts."""
    model = checked.generator.model
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
        assert remote.yes_probability(prompt) == pytest.approx(checked.generator.model.yes_probability(prompt),
                                                               abs=0.05)
    finally:
        proc.terminate()
        proc.wait(timeout=30)


class ScriptedJudge:
    """A fixed P(Yes) for each evidence text, whatever else the prompt holds; records what it read."""

    name = "scripted"

    def __init__(self, beliefs: dict[str, float]):
        self.beliefs, self.asked = beliefs, []

    def yes_probability(self, prompt: str) -> float:
        evidence = next(e for e in sorted(self.beliefs, key=len, reverse=True) if e in prompt)
        self.asked.append(evidence)
        return self.beliefs[evidence]


def test_skipping_hopeless_prompts_never_changes_the_answer():
    """Against every support computed in full: the same quotes and support, fewer prompts."""
    rng = np.random.default_rng(7)
    sentences = [f"Sentence number {i} about the French soldiers." for i in range(4)]
    passage = " ".join(sentences)
    hits = [Hit(id="a:0", article_id="a", title="t", source="a.txt", url=None, published=None,
                passage=passage, start=0, end=len(passage), score=1.0)]
    spans = [(passage.index(t), passage.index(t) + len(t)) for t in sentences]
    saved = 0
    for _ in range(300):
        scores = sorted(rng.uniform(0.1, 0.95, 4), reverse=True)
        candidates = [Claim(t, hits[0], s, e, float(x)) for t, (s, e), x in zip(sentences, spans, scores)]
        pair = candidates[:2]
        beliefs = {t: float(rng.choice([rng.uniform(0, 1), 0.99, 0.01])) for t in sentences}
        beliefs[" ".join(sentences[:2])] = float(rng.uniform(0, 1))
        threshold, w = float(rng.uniform(0.3, 0.7)), 0.6

        class Fixed:
            def draft(self, *args):
                return Draft(pair, scores[0], candidates)

        judge = ScriptedJudge(beliefs)
        got = CheckedGenerator(Fixed(), judge, weight=w, threshold=threshold).draft("q?", "q?", hits, np.zeros(3))
        # In full: the model asked about everything that could reach the threshold.
        def supported(score, evidence):
            asked = (1 - w) * score + w >= threshold
            return (1 - w) * score + w * (beliefs[evidence] if asked else 0.0)

        full = sorted(((supported(x, t), t) for t, x in zip(sentences, scores)), reverse=True)
        best = full[0][0]
        want = [t for s, t in full[:2] if s >= best - 0.08]
        together = supported(scores[0], " ".join(sentences[:2]))
        if together > best:
            want, best = sentences[:2], together
        if best >= threshold:  # below it the answer is abstained on whatever was quoted
            assert [c.text for c in got.claims] == want and got.support == pytest.approx(best)
        saved += 5 - len(judge.asked)
    assert saved > 0
