"""Who may ask the `/v1` API and how many at once: the API key, and a gate of running slots and a
waiting line (beyond it, 429); errors in OpenAI's shape."""

from __future__ import annotations

import threading

import anyio
from fastapi import Request
from fastapi.responses import JSONResponse


class ApiError(Exception):
    """A request the API refuses: OpenAI's error object, with the status code OpenAI uses."""

    def __init__(self, status: int, message: str, kind: str = "invalid_request_error", param: str | None = None,
                 code: str | None = None):
        super().__init__(message)
        self.status, self.message, self.kind, self.param, self.code = status, message, kind, param, code

    def response(self) -> JSONResponse:
        return JSONResponse({"error": {"message": self.message, "type": self.kind, "param": self.param,
                                       "code": self.code}}, status_code=self.status)

class Gate:
    """At most `running` answers at once and `waiting` more in line; beyond that, 429.

    A request holds its running slot from its first computation to its last event: a streamed
    answer, once begun, is never put back in line behind answers not yet begun (with a slot per
    event, each of its chunks waited behind the whole queue)."""

    def __init__(self, running: int, waiting: int):
        self.limiter = anyio.CapacityLimiter(max(1, running))
        self.threads = anyio.CapacityLimiter(max(1, running))  # one worker thread per slot held
        self.waiting, self.admitted = max(0, waiting), 0
        self._lock = threading.Lock()

    def enter(self) -> Admitted:
        with self._lock:
            if self.admitted >= self.limiter.total_tokens + self.waiting:
                raise ApiError(429, "too many requests at once; retry shortly", kind="rate_limit_exceeded",
                               code="rate_limit_exceeded")
            self.admitted += 1
        return Admitted(self)

    def leave(self) -> None:
        with self._lock:
            self.admitted -= 1


class Admitted:
    """One request let in: `run` computes in a worker thread under its running slot (waited for
    once, then held); `leave` gives back the slot and the place in line, once however often called."""

    def __init__(self, gate: Gate):
        self.gate, self.holding, self.left = gate, False, False

    async def run(self, fn, *args):
        if not self.holding:
            await self.gate.limiter.acquire_on_behalf_of(self)
            self.holding = True
        return await anyio.to_thread.run_sync(fn, *args, limiter=self.gate.threads)

    def leave(self) -> None:  # called on the event loop only: by the request, or when its body is dropped
        if self.left:
            return
        self.left = True
        self.gate.leave()
        if self.holding:
            self.holding = False
            self.gate.limiter.release_on_behalf_of(self)


def check_key(request: Request, keys: list[str] | None) -> None:
    """With keys configured, the request must carry one as `Authorization: Bearer <key>`."""
    if keys is None:
        return
    given = request.headers.get("authorization", "")
    token = given[7:].strip() if given.lower().startswith("bearer ") else ""
    if not keys:
        raise ApiError(401, "the web chat has a login: set ASSISTANT_API_KEY on the server and send it as "
                       "'Authorization: Bearer <key>'", kind="invalid_request_error", code="invalid_api_key")
    if token not in keys:
        raise ApiError(401, "Incorrect API key provided: send one of the server's ASSISTANT_API_KEY as "
                       "'Authorization: Bearer <key>'", kind="invalid_request_error", code="invalid_api_key")
