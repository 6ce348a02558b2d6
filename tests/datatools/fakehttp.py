"""A real HTTP server on 127.0.0.1 for tests: scripted answers per path, every
request recorded. Never any external host."""

from __future__ import annotations

import threading
from collections import defaultdict, deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class FakeServer:
    server: ThreadingHTTPServer
    answers: dict[str, deque[tuple[int, dict[str, str], bytes]]] = field(
        default_factory=lambda: defaultdict(deque)
    )
    requests: list[Seen] = field(default_factory=list)

    @property
    def base(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def url(self, path: str) -> str:
        return self.base + path

    def answer(
        self,
        path: str,
        status: int = 200,
        body: bytes | str = b"",
        headers: dict[str, str] | None = None,
        times: int = 1,
    ) -> None:
        data = body.encode() if isinstance(body, str) else body
        for _ in range(times):
            self.answers[path].append((status, headers or {}, data))


def _handler(fake: FakeServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _serve(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            body = self.rfile.read(length) if length else b""
            path = self.path.split("?")[0]
            fake.requests.append(
                Seen(self.command, self.path, {k.lower(): v for k, v in self.headers.items()}, body)
            )
            queue = fake.answers.get(path)
            status, headers, data = queue.popleft() if queue else (404, {}, b"not found")
            if queue is not None and not queue:
                queue.append((status, headers, data))  # the last answer repeats
            self.send_response(status)
            for key, value in headers.items():
                self.send_header(key, value)
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = _serve
        do_POST = _serve

        def log_message(self, *args: Any) -> None:
            pass

    return Handler


def start() -> FakeServer:
    fake = FakeServer(server=None)  # type: ignore[arg-type]
    fake.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(fake))
    threading.Thread(target=fake.server.serve_forever, daemon=True).start()
    return fake
