"""A scripted OpenAI-compatible chat-completions server over real HTTP: the one test double
allowed for the LLM, so the real ``openai`` client is exercised end to end.

    with ScriptedLLMServer() as server:
        server.add_tool_calls([("check_stock_levels", {"product_ids": ["SKU-1001"]})])
        server.add_text("final answer")
        ...  # point a client at server.base_url; inspect server.chat_requests[i].body

Replies are consumed one per chat-completions request, then ``responder`` (if set) answers.
Requests with ``"stream": true`` get OpenAI-format server-sent events.
"""

from __future__ import annotations

import collections
import itertools
import json
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

JSON = dict[str, Any]
# (name, arguments) or (name, arguments, id); arguments as a dict or a raw (maybe broken) string
ToolCallSpec = tuple[str, JSON | str] | tuple[str, JSON | str, str]


@dataclass(frozen=True)
class Turn:
    """A model answer: text (``calls`` empty) or a tool-call turn."""

    content: str | None
    calls: list[tuple[str, str, str]] = field(default_factory=list)  # (id, name, raw arguments)
    usage: tuple[int, int] | None = None  # (prompt, completion) tokens; estimated when None
    finish_reason: str | None = None  # None: "tool_calls" with calls, else "stop"

    @property
    def finish(self) -> str:
        return self.finish_reason or ("tool_calls" if self.calls else "stop")


@dataclass(frozen=True)
class ErrorReply:
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: JSON | str | None = None  # None: an OpenAI-style {"error": {...}} body


@dataclass(frozen=True)
class DelayedReply:
    seconds: float
    then: Reply


Reply = Turn | ErrorReply | DelayedReply
Responder = Callable[[JSON], "Reply | str"]  # a str is shorthand for Turn(str)


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    headers: dict[str, str]  # lower-cased names
    body: JSON | None  # parsed JSON body (None for GET)


class ScriptedLLMServer:
    """Serves GET /v1/models and POST /v1/chat/completions on 127.0.0.1:<free port>."""

    def __init__(
        self,
        *,
        models: Sequence[str] = ("kimi-k2-0905-preview",),
        responder: Responder | None = None,
        stream_pieces: int = 3,  # how many SSE fragments each text/arguments string is cut into
    ) -> None:
        self.models = list(models)
        self.responder = responder
        self.stream_pieces = max(1, stream_pieces)
        self.requests: list[RecordedRequest] = []
        self._script: collections.deque[Reply] = collections.deque()
        self._lock = threading.Lock()
        self._call_counter = itertools.count()  # Kimi numbers tool calls across the conversation
        self._stopping = threading.Event()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _make_handler(self))
        self._httpd.daemon_threads = True
        self._httpd.block_on_close = False
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._httpd.server_address[1]}/v1"

    def start(self) -> ScriptedLLMServer:
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.05,), daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()  # wakes any delayed reply
        if self._thread is not None:
            self._httpd.shutdown()
        self._httpd.server_close()

    def __enter__(self) -> ScriptedLLMServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def add(self, reply: Reply) -> None:
        with self._lock:
            self._script.append(reply)

    def add_text(
        self, content: str, *, usage: tuple[int, int] | None = None, finish_reason: str = "stop"
    ) -> None:
        self.add(Turn(content, usage=usage, finish_reason=finish_reason))

    def add_tool_calls(
        self,
        calls: Sequence[ToolCallSpec],
        *,
        content: str | None = None,
        usage: tuple[int, int] | None = None,
        finish_reason: str | None = None,
    ) -> None:
        turn = self.tool_calls_reply(
            calls, content=content, usage=usage, finish_reason=finish_reason
        )
        self.add(turn)

    def add_error(
        self, status: int, *, headers: dict[str, str] | None = None, body: JSON | str | None = None
    ) -> None:
        self.add(ErrorReply(status, headers=dict(headers or {}), body=body))

    def add_delay(self, seconds: float, then: Reply | None = None) -> None:
        """Hang ``seconds`` before sending ``then`` (default: a text reply); one script entry."""
        self.add(DelayedReply(seconds, then or Turn("(delayed reply)")))

    def tool_calls_reply(
        self,
        calls: Sequence[ToolCallSpec],
        *,
        content: str | None = None,
        usage: tuple[int, int] | None = None,
        finish_reason: str | None = None,
    ) -> Turn:
        """Build a tool-call turn (for responders too): Kimi ids unless one is given."""
        built = []
        for spec in calls:
            name, arguments = spec[0], spec[1]
            call_id = spec[2] if len(spec) == 3 else f"functions.{name}:{next(self._call_counter)}"
            raw = arguments if isinstance(arguments, str) else json.dumps(arguments)
            built.append((call_id, name, raw))
        return Turn(content, built, usage, finish_reason)

    @property
    def chat_requests(self) -> list[RecordedRequest]:
        return [r for r in self.requests if r.path.endswith("/chat/completions")]

    @property
    def pending(self) -> int:
        return len(self._script)

    def _next_reply(self, request: JSON) -> Reply | None:
        with self._lock:
            if self._script:
                return self._script.popleft()
        if self.responder is None:
            return None
        reply = self.responder(request)
        return Turn(reply) if isinstance(reply, str) else reply


# -- HTTP ------------------------------------------------------------------------------------


def _make_handler(server: ScriptedLLMServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # Headers and body go out in separate sends: with Nagle on, every reply
        # waited ~40 ms for the client's delayed ACK.
        disable_nagle_algorithm = True

        def log_message(self, format: str, *args: Any) -> None:  # quiet tests
            pass

        def _record(self, body: JSON | None) -> None:
            headers = {k.lower(): v for k, v in self.headers.items()}
            with server._lock:
                server.requests.append(RecordedRequest(self.command, self.path, headers, body))

        def do_GET(self) -> None:
            self._record(None)
            if self.path.rstrip("/") != "/v1/models":
                self._send_json(404, _error_body(f"no route {self.path}", "not_found"))
            else:
                data = [{"id": m, "object": "model", "owned_by": "owm-test"} for m in server.models]
                self._send_json(200, {"object": "list", "data": data})

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length) or b"{}")
            self._record(body)
            if self.path.rstrip("/") != "/v1/chat/completions":
                self._send_json(404, _error_body(f"no route {self.path}", "not_found"))
                return
            reply = server._next_reply(body)
            if reply is None:
                message = "ScriptedLLMServer: the script is empty and no responder is set"
                no_retry = {"x-should-retry": "false"}  # the SDK obeys: fail fast, once
                self._send_json(500, _error_body(message, "script_exhausted"), no_retry)
                return
            while isinstance(reply, DelayedReply):
                if server._stopping.wait(reply.seconds):
                    return
                reply = reply.then
            try:
                if isinstance(reply, ErrorReply):
                    default = _error_body(f"scripted HTTP {reply.status}", "scripted_error")
                    payload = default if reply.body is None else reply.body
                    self._send_json(reply.status, payload, reply.headers)
                elif body.get("stream"):
                    self._send_stream(body, reply)
                else:
                    self._send_json(200, _completion(body, reply))
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (timeout) before the reply

        def _send_json(
            self, status: int, payload: JSON | str, headers: dict[str, str] | None = None
        ) -> None:
            data = (payload if isinstance(payload, str) else json.dumps(payload)).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

        def _send_stream(self, request: JSON, reply: Turn) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Cache-Control", "no-cache")
            self.send_header("Connection", "close")
            self.end_headers()
            self.close_connection = True
            include_usage = bool((request.get("stream_options") or {}).get("include_usage"))
            for chunk in _stream_chunks(request, reply, server.stream_pieces, include_usage):
                self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
                self.wfile.flush()
            self.wfile.write(b"data: [DONE]\n\n")
            self.wfile.flush()

    return Handler


# -- OpenAI payloads -------------------------------------------------------------------------


def _error_body(message: str, code: str) -> JSON:
    return {"error": {"message": message, "type": "invalid_request_error", "code": code}}


def _usage(request: JSON, turn: Turn) -> JSON:
    if turn.usage is not None:
        prompt, completion = turn.usage
    else:  # a rough, deterministic 4-characters-a-token estimate
        prompt = max(1, len(json.dumps(request.get("messages", []))) // 4)
        out = (turn.content or "") + "".join(name + args for _, name, args in turn.calls)
        completion = max(1, len(out) // 4)
    total = prompt + completion
    return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": total}


def _envelope(request: JSON, obj: str) -> JSON:
    model = request.get("model", "unknown")
    return {"id": "chatcmpl-scripted", "object": obj, "created": int(time.time()), "model": model}


def _completion(request: JSON, turn: Turn) -> JSON:
    message: JSON = {"role": "assistant", "content": turn.content}
    if turn.calls:
        message["tool_calls"] = [
            {"id": cid, "type": "function", "function": {"name": name, "arguments": args}}
            for cid, name, args in turn.calls
        ]
    choice = {"index": 0, "message": message, "finish_reason": turn.finish, "logprobs": None}
    usage = _usage(request, turn)
    return {**_envelope(request, "chat.completion"), "choices": [choice], "usage": usage}


def _pieces(text: str, n: int) -> list[str]:
    size = max(1, -(-len(text) // n))
    return [text[i : i + size] for i in range(0, len(text), size)]


def _stream_chunks(request: JSON, turn: Turn, pieces: int, include_usage: bool) -> list[JSON]:
    base = _envelope(request, "chat.completion.chunk")

    def chunk(delta: JSON, finish_reason: str | None = None) -> JSON:
        return {**base, "choices": [{"index": 0, "delta": delta, "finish_reason": finish_reason}]}

    chunks = [chunk({"role": "assistant", "content": ""})]
    chunks += [chunk({"content": part}) for part in _pieces(turn.content or "", pieces)]
    for index, (cid, name, _) in enumerate(turn.calls):  # id and name in each index's first delta
        function = {"name": name, "arguments": ""}
        head = {"index": index, "id": cid, "type": "function", "function": function}
        chunks.append(chunk({"tool_calls": [head]}))
    # argument fragments interleaved across calls: the client must assemble them by index
    fragments = [_pieces(args, pieces) for _, _, args in turn.calls]
    for round_ in itertools.zip_longest(*fragments):
        for index, fragment in enumerate(round_):
            if fragment is not None:
                delta = {"tool_calls": [{"index": index, "function": {"arguments": fragment}}]}
                chunks.append(chunk(delta))
    chunks.append(chunk({}, turn.finish))
    if include_usage:
        chunks.append({**base, "choices": [], "usage": _usage(request, turn)})
    return chunks
