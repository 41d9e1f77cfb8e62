"""`assistant serve`: one port for the web chat (Gradio), the OpenAI-compatible API (`/v1`) and
the MCP server (`/mcp`), all answering through one `Assistant`."""

from __future__ import annotations

import contextlib
from pathlib import Path

from ..answer import Assistant
from ..settings import Settings


def read_auth(settings: Settings) -> list[tuple[str, str]] | None:
    """The web chat's logins ('user:password', from settings and the login file), or None."""
    lines = []
    if settings.auth:
        lines.append(settings.auth)
    if settings.auth_file:
        path = Path(settings.auth_file)
        if not path.is_file():
            raise FileNotFoundError(f"login file {path} does not exist; fix ASSISTANT_AUTH_FILE")
        lines += [ln.strip() for ln in path.read_text().splitlines() if ln.strip() and not ln.startswith("#")]
    pairs = []
    for line in lines:
        user, sep, password = line.partition(":")
        if not sep or not user or not password:
            raise ValueError("a login must be written user:password")
        pairs.append((user, password))
    return pairs or None


def api_keys(settings: Settings, logins) -> list[str] | None:
    """The keys the API and MCP endpoints ask for: those set (ASSISTANT_API_KEY, comma-separated);
    none asked for when neither a key nor a web chat login is set; and with a login but no key,
    every call is refused (an open API would bypass the login)."""
    keys = [k.strip() for k in (settings.api_key or "").split(",") if k.strip()]
    if keys:
        return keys
    return [] if logins else None


class guarded:
    """An ASGI app that asks for one of `keys` as a bearer token before `app` (none when `keys`
    is None). A class, not a function: Starlette passes its routes' ASGI objects the raw call."""

    def __init__(self, app, keys: list[str] | None):
        self.app, self.keys = app, keys

    async def __call__(self, scope, receive, send):
        from starlette.requests import Request

        from .admission import ApiError, check_key

        if self.keys is not None:
            try:
                check_key(Request(scope), self.keys)
            except ApiError as exc:
                response = exc.response()
                response.headers["WWW-Authenticate"] = "Bearer"
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


def application(assistant: Assistant, settings: Settings, host: str = "127.0.0.1", port: int = 7860):
    """The ASGI app: /v1 and /mcp routes first, the web chat under everything else."""
    import gradio as gr
    from fastapi import FastAPI
    from starlette.routing import Route

    from . import mcp_server, openai_api
    from .chat import CSS, HEAD, build

    logins = read_auth(settings)
    keys = api_keys(settings, logins)
    mcp = mcp_server.build(assistant)
    mcp_app = mcp.streamable_http_app(streamable_http_path="/mcp", host=host)

    @contextlib.asynccontextmanager
    async def lifespan(app):
        async with mcp.session_manager.run():
            yield

    app = FastAPI(lifespan=lifespan, docs_url=None, redoc_url=None, openapi_url=None)
    app.include_router(openai_api.router(assistant, keys, settings.ui_concurrency, settings.api_queue))
    for route in mcp_app.routes:
        app.router.routes.append(Route(route.path, endpoint=guarded(route.app, keys), methods=None))
    demo = build(assistant)
    demo.queue(default_concurrency_limit=settings.ui_concurrency)
    return gr.mount_gradio_app(app, demo, path="", server_name=host, server_port=port, auth=logins,
                               max_file_size=f"{int(settings.upload_max_mb)}mb", css=CSS, head=HEAD,
                               footer_links=["api"], show_error=True)  # API callers learn why a call was refused


def start_following(assistant: Assistant, urls: list[str], minutes: float):
    """Poll the followed feeds and pages (those given, and those followed before) every `minutes`
    in a daemon thread beside the web chat; what they bring is answered from at once."""
    import logging
    import threading
    import time

    from ingest.follow import add, followed, poll

    log = logging.getLogger(__name__)
    if urls:
        add(assistant.settings.data_dir, urls)

    def run():
        while True:
            if followed(assistant.settings.data_dir):
                try:
                    report = poll(assistant.settings, embedder=assistant.embedder)
                    assistant.refresh()
                    for error in report.errors:
                        log.warning("follow: %s", error)
                except Exception as exc:  # noqa: BLE001 - one failed poll must not end the polling
                    log.warning("follow: the poll failed: %s", exc)
            time.sleep(max(minutes, 0.05) * 60)

    thread = threading.Thread(target=run, name="follow", daemon=True)
    thread.start()
    return thread


def serve(settings: Settings, host: str = "127.0.0.1", port: int = 7860, follow: list[str] | None = None) -> None:
    import uvicorn

    assistant = Assistant(settings)
    assistant.warm_up()  # the model loads once per process, before the first question
    urls = [*(follow or []), *[u.strip() for u in (settings.follow or "").split(",") if u.strip()]]
    if urls or settings.follow_minutes:
        start_following(assistant, urls, settings.follow_minutes or 15.0)
    app = application(assistant, settings, host, port)
    print(f"* Web chat on http://{host}:{port}; OpenAI-compatible API at http://{host}:{port}/v1; "
          f"MCP at http://{host}:{port}/mcp", flush=True)
    uvicorn.run(app, host=host, port=port, log_level="warning")
