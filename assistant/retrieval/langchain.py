"""Our search as a LangChain retriever, for users who plug it into their own chains."""

from __future__ import annotations

from typing import Any

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever


class ArchiveRetriever(BaseRetriever):
    """Hybrid search over the archive, one Document per stored passage (adjacent passages are not
    merged, so `k` is the number returned whenever the archive holds that many); each Document
    carries the passage's citation metadata. `k`, `since` and `until` may be given per call too:
    `retriever.invoke(query, k=1)`."""

    assistant: Any
    k: int = 4
    since: str | None = None
    until: str | None = None

    def _get_relevant_documents(self, query: str, *, run_manager: CallbackManagerForRetrieverRun,
                                k: int | None = None, since: str | None = None,
                                until: str | None = None) -> list[Document]:
        hits = self.assistant.search(query, k=self.k if k is None else k, since=since or self.since,
                                     until=until or self.until, merge=False)
        return [
            Document(
                page_content=h.passage,
                metadata={key: value for key, value in h.to_dict().items() if key != "passage" and value is not None},
            )
            for h in hits
        ]
