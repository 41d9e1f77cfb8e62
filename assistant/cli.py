"""The `assistant` command: ingest, ask, chat, serve, eval, bench, train, settings. Each wraps the Python API."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from ingest.encoders import EncoderError
from ingest.loaders import LoadError
from ingest.store import IndexUnavailable

from .answer import QuestionError
from .models import LLMError
from .settings import load_settings
from .types import Answer


def _settings(args):
    return load_settings(data_dir=getattr(args, "data_dir", None))


def cmd_ingest(args) -> int:
    from ingest import ingest

    settings = _settings(args)
    if settings.ingest_nice and not args.dry_run:
        os.nice(settings.ingest_nice)  # questions answered on this machine come first
    with Progress(enabled=not args.quiet and sys.stderr.isatty()) as progress:
        report = ingest(args.paths, settings, prune=args.prune, dry_run=args.dry_run, on_progress=progress.update)
    return print_report(report, args.json, args.dry_run)


def print_report(report, as_json: bool, dry_run: bool = False) -> int:
    """An ingest's or a poll's tally, its failures by path or URL; 1 when any failed."""
    s = report.summary()
    for message in report.errors:
        print(f"failed: {message}", file=sys.stderr)
    for dup, kept in report.duplicate_of.items():
        print(f"duplicate: {dup} repeats {kept}; not indexed twice", file=sys.stderr)
    if dry_run:
        for action, article_id in report.plan:
            print(f"would {action}: {article_id}")
    print(
        f"{'dry run: ' if dry_run else ''}added {s['added']}, updated {s['updated']}, "
        f"unchanged {s['unchanged']}, removed {s['removed']}, duplicates {s['duplicates']}, "
        f"failed {s['failed']}; {s['chunks']} chunks in {s['seconds']:.1f} s "
        f"({report.chunks_per_second:.1f} chunks/s)"
    )
    if as_json:
        print(json.dumps(s))
    return 1 if report.failed else 0


def cmd_follow(args) -> int:
    """Poll feeds and pages: once (--once, for cron or a systemd timer), or every --every minutes."""
    import time

    from ingest.follow import followed, poll

    settings = _settings(args)
    urls = list(args.urls)
    if not urls and not followed(settings.data_dir):
        print("error: nothing is followed yet; give the feeds' or pages' URLs", file=sys.stderr)
        return 2
    while True:
        status = print_report(poll(settings, urls or None), args.json)
        if args.once:
            return status
        urls = []  # the ones given are followed now
        time.sleep(max(args.every, 0.1) * 60)


class Progress:
    def __init__(self, enabled: bool = True):
        self.enabled = enabled
        self.bars: dict[str, object] = {}

    def update(self, stage: str, done: int, total: int) -> None:
        if not self.enabled:
            return
        from tqdm import tqdm

        bar = self.bars.get(stage)
        if bar is None:
            bar = self.bars[stage] = tqdm(total=total, desc=stage, unit="article", leave=False)
        bar.n = done
        bar.refresh()

    def __enter__(self) -> "Progress":
        return self

    def __exit__(self, *exc) -> None:
        for bar in self.bars.values():
            bar.close()


def format_answer(answer: Answer) -> str:
    lines = [answer.text]
    if answer.query != answer.question:
        lines.append(f"(searched for: {answer.query})")
    if answer.period:
        lines.append(f"(articles published {answer.period[0] or '...'} to {answer.period[1] or '...'})")
    lines.append(f"(as of {answer.as_of}" + (f"; {answer.mode} by {answer.model})" if answer.model else ")"))
    if answer.citations:
        lines.append("")
        lines.append("Sources:")
        for c in answer.citations:
            when = f", {c.published}" if c.published else ""
            lines.append(f"[{c.n}] {c.title}{when}: {c.source}")
            lines.append(f'    "{c.quote}"')
            for other in c.also_sources:
                lines.append(f"    also reported at: {other}")
    if answer.related:
        lines.append("")
        lines.append("Related reading (about the question, not an answer to it):")
        for c in answer.related:
            when = f", {c.published}" if c.published else ""
            lines.append(f"- {c.title}{when}: {c.source}")
    return "\n".join(lines)


def cmd_ask(args) -> int:
    from .answer import Assistant

    result = Assistant(_settings(args)).answer(args.question, since=args.since, until=args.until, k=args.k,
                                               as_of=args.as_of)
    print(json.dumps(result.to_dict(), ensure_ascii=False, indent=2) if args.json else format_answer(result))
    return 0


def cmd_chat(args) -> int:
    from .answer import Assistant

    assistant = Assistant(_settings(args))
    history: list[tuple[str, str]] = []
    print("Ask about the archive; an empty line or Ctrl-D ends the chat.")
    while True:
        try:
            question = input("> ")
        except EOFError:
            break
        if not question.strip():
            break
        try:
            result = assistant.answer(question, history)
        except (QuestionError, LLMError) as exc:
            print(f"error: {exc}")
            continue
        print(format_answer(result) + "\n")
        history.append((question, result.text))
    return 0


def private_gradio_dir() -> Path:
    """Gradio keeps uploads in one temp folder that every Gradio server on the machine serves;
    ours gets its own, readable by this user only, removed when the server stops. Set before
    Gradio is imported: it reads the folder once."""
    import atexit
    import shutil
    import tempfile

    folder = Path(tempfile.mkdtemp(prefix="assistant-gradio-"))
    atexit.register(shutil.rmtree, folder, True)
    os.environ["GRADIO_TEMP_DIR"] = str(folder)
    return folder


def cmd_serve(args) -> int:
    if "gradio" not in sys.modules:
        private_gradio_dir()
    from .web.server import serve

    serve(_settings(args), host=args.host, port=args.port, follow=args.follow)
    return 0


def cmd_mcp(args) -> int:
    from .answer import Assistant
    from .web.mcp_server import run_stdio

    run_stdio(Assistant(_settings(args)))
    return 0


def cmd_eval(args) -> int:
    from .measure.evaluate import main as eval_main

    return eval_main(args, _settings(args))


def cmd_bench(args) -> int:
    from .measure.bench import main as bench_main

    return bench_main(args, _settings(args))


def cmd_train(args) -> int:
    data = args.data or Path("../shared/train")
    if not (data / "realtimeqa").is_dir() or not (data / "squad2").is_dir():
        print(f"error: {data} holds no realtimeqa/ and squad2/ folders; pass --data DIR (see the docs, The reader)",
              file=sys.stderr)
        return 2
    if args.what == "scorer":
        return train_scorer(args, data)
    from ingest.encoders.base import default_model_path

    from .reader.runtime import WEIGHTS
    from .reader.train import train_reader

    base = Path(args.base) if args.base else default_model_path()
    train_reader(data, args.out or WEIGHTS, base, layers=args.layers, epochs=args.epochs, rate=args.rate,
                 seed=args.seed, limit=args.limit)
    return 0


def train_scorer(args, data: Path) -> int:
    """The sentence scorer fitted on question sets made from the training data, never the dev sets."""
    from ingest.cache import cache_dir

    from .answering.scorer import WEIGHTS
    from .measure.sentences import main as fit_sentences
    from .measure.training_sets import training_sets

    work = args.work or cache_dir() / "scorer"
    sets = training_sets(data, work / "sets")
    return fit_sentences([*map(str, sets), "--index-root", str(work), "--rows", str(work / "rows.jsonl"),
                          "--out", str(args.out or WEIGHTS)])


SECRET_SETTINGS = ("auth", "api_key", "llm_api_key")


def cmd_settings(args) -> int:
    from .settings_reference import current, markdown

    if args.markdown:
        print(markdown(), end="")
        return 0
    for line, value in current(_settings(args)):
        if line.field in SECRET_SETTINGS and value != "unset":
            value = "(set)"
        mark = "" if value == line.default else "   (changed)"
        print(f"{' / '.join(line.variables)} = {value}{mark}")
        if args.verbose:
            print(f"    {line.meaning}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="assistant", description=__doc__)
    parser.add_argument("--data-dir", type=Path, help="where the index lives (ASSISTANT_DATA_DIR)")
    # --data-dir is accepted after the subcommand too; SUPPRESS keeps a value given before it
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--data-dir", type=Path, default=argparse.SUPPRESS,
                        help="where the index lives (ASSISTANT_DATA_DIR)")
    sub = parser.add_subparsers(dest="command", required=True)

    def command(name: str, help: str) -> argparse.ArgumentParser:
        return sub.add_parser(name, help=help, parents=[common])

    p = command("ingest", "add, update (and with --prune remove) articles in the index")
    p.add_argument("paths", nargs="+", help="files, folders, and http(s) URLs of article pages or RSS/Atom feeds")
    p.add_argument("--prune", action="store_true", help="remove articles whose files are gone")
    p.add_argument("--dry-run", action="store_true", help="print what would change; change nothing")
    p.add_argument("--json", action="store_true", help="print the summary as JSON on the last line")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(run=cmd_ingest)

    p = command("follow", "poll RSS/Atom feeds and pages and ingest what is new")
    p.add_argument("urls", nargs="*", help="feeds or pages to follow (default: every one followed so far)")
    p.add_argument("--every", type=float, default=15.0, help="minutes between polls (default 15)")
    p.add_argument("--once", action="store_true", help="poll once and exit (for cron or a systemd timer)")
    p.add_argument("--json", action="store_true", help="print each poll's summary as JSON on its last line")
    p.set_defaults(run=cmd_follow)

    p = command("ask", "answer one question with cited sources")
    p.add_argument("question")
    p.add_argument("--json", action="store_true")
    p.add_argument("--since", help="only articles published on or after this date (YYYY-MM-DD)")
    p.add_argument("--until", help="only articles published on or before this date (YYYY-MM-DD)")
    p.add_argument("--as-of", help="the reference date (YYYY-MM-DD; default today): nothing published "
                   "after it is evidence, and 'last week' or 'by March 4' are read against it")
    p.add_argument("--k", type=int, default=8, help="passages to retrieve")
    p.set_defaults(run=cmd_ask)

    p = command("chat", "a chat in the terminal, with history")
    p.set_defaults(run=cmd_chat)

    p = command("serve", "the web chat, with the OpenAI-compatible API at /v1 and MCP at /mcp")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=7860)
    p.add_argument("--follow", nargs="*", default=[], metavar="URL",
                   help="feeds or pages to poll beside the web chat (every ASSISTANT_FOLLOW_MINUTES, default 15)")
    p.set_defaults(run=cmd_serve)

    p = command("mcp", "the archive as an MCP server on stdin/stdout (for clients that launch a command)")
    p.set_defaults(run=cmd_mcp)

    p = command("eval", "retrieval and answer quality on a data set")
    p.add_argument("dataset", type=Path)
    p.add_argument("--format", choices=["squad", "realtimeqa", "qa"], help="default: guessed")
    p.add_argument("--k", type=int, default=10)
    p.add_argument("--corpus", type=Path, help="folder to index for the qa format")
    p.add_argument("--json", action="store_true")
    p.add_argument("--out", type=Path, help="write the full JSON report here")
    p.add_argument("--curve", action="store_true", help="print accuracy vs abstention threshold")
    p.add_argument("--index-dir", type=Path, help="keep the data set's index here and reuse it next time")
    p.add_argument("--sample", type=int, help="ask only this many questions, spread evenly over the set "
                   "(slow answerers; the figures are the sample's, not the set's)")
    p.add_argument("--as-of", help="reference date of every question: YYYY-MM-DD, 'today', or 'question' "
                   "(the default: the day each was asked, where the data set says, as realtimeqa does; else today)")
    p.set_defaults(run=cmd_eval)

    p = command("bench", "speed and memory figures")
    p.add_argument("what", choices=["ingest", "query", "scale", "peer", "load", "api", "orders"])
    p.add_argument("path", type=Path, nargs="?", help="articles (folder or JSONL) or a data set")
    p.add_argument("--out", type=Path, help="write the figures as JSON here")
    p.add_argument("--index-dir", type=Path, help="peer: keep our index of the data set here and reuse it")
    p.set_defaults(run=cmd_bench)

    p = command("settings", "every setting (environment variable) with its value now; --markdown: the reference")
    p.add_argument("--markdown", action="store_true", help="print the reference table (variable, default, meaning)")
    p.add_argument("--verbose", "-v", action="store_true", help="print each setting's meaning under it")
    p.set_defaults(run=cmd_settings)

    p = command("train", "rebuild a shipped model from public data: the reader, or the sentence scorer")
    p.add_argument("what", choices=["reader", "scorer"])
    p.add_argument("--data", type=Path, help="folder with realtimeqa/ (RealTime QA weeks) and squad2/ "
                   "(SQuAD 2.0 training articles); default ../shared/train")
    p.add_argument("--out", type=Path, help="where the weights go (default: the package's own)")
    p.add_argument("--work", type=Path, help="scorer: where its question sets and their indexes are kept "
                   "(default ~/.cache/assistant/scorer)")
    p.add_argument("--base", help="the sentence-transformers folder it starts from (default: the embedding model)")
    p.add_argument("--layers", type=int, default=3)
    p.add_argument("--epochs", type=int, default=2)
    p.add_argument("--rate", type=float, default=6e-5)
    p.add_argument("--seed", type=int, default=13)
    p.add_argument("--limit", type=int, help="train on only this many groups per epoch (a quick try)")
    p.set_defaults(run=cmd_train)
    return parser


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # nothing leaves the machine
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except (IndexUnavailable, EncoderError, LLMError, LoadError, QuestionError, FileNotFoundError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # the reader (`| head`) stopped reading: nothing is left to say
        sys.stderr.close()
        return 0


if __name__ == "__main__":
    sys.exit(main())
