"""Our retriever against LangChain's own standard retriever tests (langchain-tests), on the
seed article with the real model and real Chroma."""

from __future__ import annotations

import pytest
from langchain_tests.integration_tests import RetrieversIntegrationTests

from assistant import Assistant
from assistant.retrieval.langchain import ArchiveRetriever
from assistant.settings import load_settings
from ingest import ingest
from tests.helpers import SEEDS

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module", autouse=True)
def seeded_assistant(tmp_path_factory, embedder):
    settings = load_settings(data_dir=tmp_path_factory.mktemp("lc") / "index", chroma_host=None)
    ingest([SEEDS], settings, embedder=embedder)
    TestArchiveRetriever.assistant = Assistant(settings, embedder=embedder)
    yield
    TestArchiveRetriever.assistant = None


class TestArchiveRetriever(RetrieversIntegrationTests):
    assistant: Assistant | None = None

    @property
    def retriever_constructor(self) -> type[ArchiveRetriever]:
        return ArchiveRetriever

    @property
    def retriever_constructor_params(self) -> dict:
        return {"assistant": self.assistant}

    @property
    def retriever_query_example(self) -> str:
        return "How many French soldiers are deployed in Niger?"


def test_the_documents_carry_the_passage_and_its_citation_facts():
    docs = TestArchiveRetriever.assistant.as_retriever(k=3).invoke("How many French soldiers are in Niger?")
    assert len(docs) == 3 and any("1,500" in d.page_content for d in docs)
    assert docs[0].metadata["article_id"].endswith(".txt") and docs[0].metadata["start"] < docs[0].metadata["end"]
    assert len(TestArchiveRetriever.assistant.as_retriever().invoke("French soldiers", k=1)) == 1
