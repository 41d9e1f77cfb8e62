"""Our search as a LangChain retriever, for users who plug it into their own chains."""

from __future__ import annotations

from typing import Any

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever


class ArchiveRetriever(BaseRetriever):
    """Hybrid search over the archive; each Document carries the passage's citation metadata."""

    assistant: Any
    k: int = 4
    since: str | None = None
    until: str | None = None

    def _get_relevant_documents(self, query: str, *, run_manager: CallbackManagerForRetrieverRun) -> list[Document]:
        hits = self.assistant.search(query, k=self.k, since=self.since, until=self.until)
        return [
            Document(
                page_content=h.passage,
                metadata={key: value for key, value in h.to_dict().items() if key != "passage" and value is not None},
            )
            for h in hits
        ]
