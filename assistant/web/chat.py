"""The web chat (Gradio): a client of Assistant.stream(); it formats, it does not decide."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import gradio as gr

from ingest.loaders import SUFFIXES
from ingest.store import IndexUnavailable

from ..answer import Assistant, QuestionError, checked_day
from ..models import LLMError
from ..types import Answer
from . import library
from .render import as_markdown, chat_text, escape_markdown, searched_for, sources_panel

log = logging.getLogger(__name__)

EXAMPLES = [
    "How many French soldiers are deployed in Niger?",
    "Who is the French ambassador?",
    "How much debt does Niger have?",
]
CSS = """
.sources { display: flex; flex-direction: column; gap: 12px; }
.source { border: 1px solid var(--border-color-primary); border-radius: 8px; padding: 10px; }
.related { border: 1px dashed var(--border-color-primary); border-radius: 8px; padding: 10px; opacity: 0.85; }
.related-reading { display: flex; flex-direction: column; gap: 12px; margin-top: 12px; }
.source.focus { outline: 3px solid var(--color-accent); }
.source-meta { font-size: 0.85em; opacity: 0.8; margin: 4px 0; word-break: break-all; }
.passage { margin: 6px 0 0; white-space: pre-wrap; font-size: 0.92em; }
mark.quote { background: #ffe58a; color: #000; padding: 0 2px; }
.marker { font-weight: 600; }
.searched { font-size: 0.85em; opacity: 0.75; }
"""
# Clicking a [n] marker in an answer scrolls its source into view instead of following the link.
HEAD = """
<script>
document.addEventListener('click', (event) => {
  const link = event.target.closest('a[href^="#src-"]');
  if (!link) return;
  event.preventDefault();
  event.stopPropagation();
  const card = document.getElementById(link.getAttribute('href').slice(1));
  if (!card) return;
  card.scrollIntoView({behavior: 'smooth', block: 'center'});
  document.querySelectorAll('.source.focus').forEach((el) => el.classList.remove('focus'));
  card.classList.add('focus');
}, true);
</script>
"""


class ChatApp:
    """The handlers behind the page, each a thin call into Assistant or library."""

    def __init__(self, assistant: Assistant):
        self.assistant = assistant

    def respond(self, message: str, chat: list, answers: dict, since: str, until: str, sources: list,
                as_of: str = ""):
        chat = list(chat or [])
        answers = dict(answers or {})
        if not (message or "").strip():
            yield chat, answers, gr.skip(), gr.skip(), gr.skip(), ""
            return
        history = [(a["question"], a["text"]) for _, a in sorted(answers.items(), key=lambda kv: int(kv[0]))]
        chat += [{"role": "user", "content": escape_markdown(message)}, {"role": "assistant", "content": "…"}]
        slot = str(len(chat) - 1)
        try:
            filters = dict(since=checked_day(since, "From"), until=checked_day(until, "To"),
                           articles=tuple(sources or ()), as_of=checked_day(as_of, "As of"))
            final: Answer | None = None
            for final in self.assistant.stream(message, history, **filters):
                chat[-1] = {"role": "assistant", "content": chat_text(final)}
                yield chat, answers, sources_panel(final), searched_for(final), as_markdown(final), ""
            answers[slot] = final.to_dict()
            yield chat, answers, sources_panel(final), searched_for(final), as_markdown(final), ""
        except (QuestionError, LLMError, IndexUnavailable) as exc:
            chat[-1] = {"role": "assistant", "content": f"⚠️ {escape_markdown(str(exc))}"}
            yield chat, answers, sources_panel(None), "", "", message
        except Exception:  # a bad question must never take the server down
            log.exception("answering %r failed", message[:200])
            chat[-1] = {"role": "assistant", "content": "⚠️ Something went wrong answering that; "
                        "the error is in the server log. Try rephrasing the question."}
            yield chat, answers, sources_panel(None), "", "", message

    def select(self, answers: dict, event: gr.SelectData):
        data = (answers or {}).get(str(event.index if isinstance(event.index, int) else event.index[0]))
        if data is None:
            return gr.skip(), gr.skip(), gr.skip()
        answer = Answer.from_dict(data)
        return sources_panel(answer), searched_for(answer), as_markdown(answer)

    def api_answer(self, question: str, since: str = "", until: str = "", as_of: str = "") -> dict:
        """Answer one question; returns text, citations (with quotes), abstained, query and the
        reference date, or {"error": reason} when the arguments cannot be used as given."""
        try:
            result = self.assistant.answer(question, since=checked_day(since, "since"),
                                           until=checked_day(until, "until"), as_of=checked_day(as_of, "as_of"))
        except (QuestionError, LLMError, IndexUnavailable) as exc:
            return {"error": str(exc)}
        except Exception:  # the client gets a reason, the log the details; the server stays up
            log.exception("the /answer API failed on %r", str(question)[:200])
            return {"error": "the assistant failed on this question; the details are in the server log"}
        return result.to_dict()

    def library_view(self):
        rows = library.articles(self.assistant)
        table = [[r["title"], r["published"], r["source"], r["chunks"]] for r in rows]
        choices = [(f"{r['title'][:80]} ({r['article_id'][-40:]})", r["article_id"]) for r in rows]
        count = f"**{len(rows)}** articles, **{sum(r['chunks'] for r in rows)}** passages"
        return table, count, gr.update(choices=choices, value=None), gr.update(choices=choices)

    def feeds_view(self):
        rows = library.feeds(self.assistant)
        table = [[r["url"], r["kind"], r["last_poll"], r["last_error"], r["entries"]] for r in rows]
        return table, gr.update(choices=[r["url"] for r in rows], value=None)

    def follow(self, url: str):
        url = (url or "").strip()
        if not url.startswith(("http://", "https://")):
            return ("Give the http(s) URL of a feed or a page.", *self.feeds_view(), *self.library_view())
        report = library.follow(self.assistant, url)
        s = report.summary()
        lines = [f"✅ following {escape_markdown(url)}: added {s['added']}, updated {s['updated']}"]
        lines += [f"❌ {escape_markdown(e)}" for e in report.errors]
        return ("\n\n".join(lines), *self.feeds_view(), *self.library_view())

    def unfollow(self, url: str | None):
        if not url:
            return ("Pick a feed to stop following.", *self.feeds_view())
        done = library.unfollow(self.assistant, url)
        return (f"Stopped following {escape_markdown(url)}." if done else "That one is not followed.",
                *self.feeds_view())

    def upload(self, files, progress=gr.Progress()):
        if not files:
            return ("Choose one or more files first.", *self.library_view())
        progress(0, desc="ingesting")
        paths = [Path(getattr(f, "name", f)) for f in files]
        try:
            result = library.upload(
                self.assistant, paths, self.assistant.settings.upload_max_mb,
                progress=lambda stage, done, total: progress(done / max(total, 1), desc=stage),
            )
        finally:
            forget_uploads(paths)
        lines = [f"✅ added {escape_markdown(name)}" for name in result.added]
        lines += [f"↔️ {escape_markdown(d)} repeats an article already here; not indexed twice"
                  for d in result.duplicates]
        lines += [f"❌ {escape_markdown(e)}" for e in result.errors]
        return ("\n\n".join(lines) or "Nothing new.", *self.library_view())

    def remove(self, article_id: str | None):
        if not article_id:
            return ("Pick an article to remove.", *self.library_view())
        done = library.remove(self.assistant, article_id)
        note = f"Removed {escape_markdown(article_id)}." if done else "That article is already gone."
        return (note, *self.library_view())


def forget_uploads(paths: list[Path]) -> None:
    """Gradio's copies of uploaded files go once they are read: the library keeps its own."""
    temp = os.environ.get("GRADIO_TEMP_DIR")
    for path in paths:
        if temp and path.resolve().is_relative_to(Path(temp).resolve()):
            path.unlink(missing_ok=True)


def build(assistant: Assistant) -> gr.Blocks:
    app = ChatApp(assistant)
    with gr.Blocks(title="News assistant", delete_cache=(3600, 3600)) as demo:
        answers = gr.State({})
        gr.Markdown("## News assistant\nAnswers come only from your articles, with every source cited.")
        with gr.Tab("Chat"):
            with gr.Row():
                with gr.Column(scale=3):
                    chat = gr.Chatbot(label="Chat", height=520, elem_id="chat", sanitize_html=True,
                                      buttons=["copy"], feedback_options=None)
                    searched = gr.Markdown(elem_classes=["searched"], elem_id="searched")
                    with gr.Row():
                        box = gr.Textbox(placeholder="Ask about the articles…", show_label=False,
                                         scale=5, elem_id="question", max_length=2000)
                        send = gr.Button("Ask", variant="primary", scale=1, elem_id="ask")
                    gr.Examples(EXAMPLES, inputs=box, label="Try")
                    with gr.Accordion("Filters", open=False):
                        with gr.Row():
                            since = gr.Textbox(label="From (YYYY-MM-DD)", elem_id="since")
                            until = gr.Textbox(label="To (YYYY-MM-DD)", elem_id="until")
                            as_of = gr.Textbox(label="As of (YYYY-MM-DD, default today)", elem_id="as-of")
                        only = gr.Dropdown(label="Only these articles", multiselect=True, choices=[],
                                           elem_id="only")
                with gr.Column(scale=2):
                    gr.Markdown("### Sources")
                    panel = gr.HTML(sources_panel(None), elem_id="sources")
                    markdown = gr.Textbox(label="Answer with sources, as Markdown", lines=4,
                                          buttons=["copy"], interactive=False, elem_id="markdown")
        with gr.Tab("Library") as library_tab:
            count = gr.Markdown(elem_id="count")
            table = gr.Dataframe(headers=["title", "date", "source", "passages"], interactive=False,
                                 wrap=True, elem_id="library")
            with gr.Row():
                files = gr.File(label=f"Add articles ({', '.join(SUFFIXES)})", file_count="multiple",
                                file_types=list(SUFFIXES), elem_id="upload")
                with gr.Column():
                    add = gr.Button("Ingest uploaded files", variant="primary", elem_id="ingest")
                    doomed = gr.Dropdown(label="Remove an article", choices=[], elem_id="doomed")
                    drop = gr.Button("Remove", variant="stop", elem_id="remove")
            status = gr.Markdown(elem_id="status")
            gr.Markdown("### Followed feeds and pages")
            feed_table = gr.Dataframe(headers=["url", "kind", "last poll", "last error", "entries"],
                                      interactive=False, wrap=True, elem_id="feeds")
            with gr.Row():
                feed_url = gr.Textbox(label="Follow a feed or a page (http(s) URL)", elem_id="feed-url", scale=3)
                follow_button = gr.Button("Follow", variant="primary", elem_id="follow", scale=1)
                unfollowed = gr.Dropdown(label="Stop following", choices=[], elem_id="unfollowed", scale=2)
                unfollow_button = gr.Button("Stop", variant="stop", elem_id="unfollow", scale=1)
            feed_status = gr.Markdown(elem_id="feed-status")

        outputs = [chat, answers, panel, searched, markdown, box]
        for trigger in (box.submit, send.click):
            trigger(app.respond, [box, chat, answers, since, until, only, as_of], outputs, api_visibility="private")
        chat.select(app.select, [answers], [panel, searched, markdown], api_visibility="private")
        view = [table, count, doomed, only]
        demo.load(app.library_view, None, view, api_visibility="private")
        library_tab.select(app.library_view, None, view, api_visibility="private")
        add.click(app.upload, [files], [status, *view], api_visibility="private")
        drop.click(app.remove, [doomed], [status, *view], api_visibility="private")
        feeds = [feed_table, unfollowed]
        library_tab.select(app.feeds_view, None, feeds, api_visibility="private")
        follow_button.click(app.follow, [feed_url], [feed_status, *feeds, *view], api_visibility="private")
        unfollow_button.click(app.unfollow, [unfollowed], [feed_status, *feeds], api_visibility="private")
        gr.api(app.api_answer, api_name="answer")
    return demo
