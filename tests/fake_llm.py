"""A fake OpenAI-compatible server on loopback for tests of the LLM paths (no mocked client)."""

import contextlib
import json
import threading
from collections import deque
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

Action = Callable[[BaseHTTPRequestHandler, threading.Event], None]


def send(handler: BaseHTTPRequestHandler, status: int, body: bytes, **headers: str) -> None:
    handler.send_response(status)
    handler.send_header("Content-Type", headers.pop("content_type", "application/json"))
    handler.send_header("Content-Length", str(len(body)))
    for name, value in headers.items():
        handler.send_header(name.replace("_", "-"), value)
    handler.end_headers()
    handler.wfile.write(body)


def completion(content: str) -> Action:
    payload = {
        "id": "cmpl-1",
        "object": "chat.completion",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content},
                "finish_reason": "stop",
            }
        ],
    }
    return lambda handler, _: send(handler, 200, json.dumps(payload).encode())


def status(code: int, **headers: str) -> Action:
    return lambda handler, _: send(handler, code, b'{"error": {"message": "busy"}}', **headers)


def raw(body: bytes, content_type: str = "application/json") -> Action:
    return lambda handler, _: send(handler, 200, body, content_type=content_type)


def delta(content: str | None = None, finish: str | None = None, role: str | None = None) -> str:
    piece = {k: v for k, v in {"role": role, "content": content}.items() if v is not None}
    return json.dumps({"choices": [{"index": 0, "delta": piece, "finish_reason": finish}]})


def sse(lines: list[str], *, hang_after: bool = False) -> Action:
    """Server-sent events written one by one; the response ends when the connection closes."""

    def act(handler: BaseHTTPRequestHandler, release: threading.Event) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "text/event-stream")
        handler.end_headers()
        for line in lines:
            handler.wfile.write(line.encode() + b"\n")
            handler.wfile.flush()
        if hang_after:
            release.wait(10)

    return act


def hang(seconds: float = 10) -> Action:
    def act(handler: BaseHTTPRequestHandler, release: threading.Event) -> None:
        release.wait(seconds)
        with contextlib.suppress(OSError):  # the client gave up long ago
            send(handler, 200, b"{}")

    return act


class FakeLLM:
    def __init__(self) -> None:
        self.actions: deque[Action] = deque()
        self.requests: list[dict] = []
        self.release = threading.Event()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                fake.requests.append(
                    {"path": self.path, "headers": dict(self.headers), "body": json.loads(body)}
                )
                action = fake.actions.popleft() if fake.actions else completion("ok")
                action(self, fake.release)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"

    def then(self, *actions: Action) -> "FakeLLM":
        self.actions.extend(actions)
        return self

    def body(self, index: int = -1) -> dict:
        return self.requests[index]["body"]
