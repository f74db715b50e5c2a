"""A small mock of the OpenAI Responses API for driving the real Codex CLI in tests.

`MockResponses` serves on 127.0.0.1 at a free port from a daemon thread and stops by itself after
``lifetime_s`` (a test that forgets to stop it cannot leave a server behind). `POST .../responses` answers
``text/event-stream``: ``response.created``, one ``response.output_item.done`` and ``response.completed``
with ``USAGE``. The item is a ``function_call`` to the shell tool the request offers when the prompt holds
``RUN: <command>`` and no tool output came back yet, else an assistant ``message`` (``reply``, or the text
after ``SAY:`` in the prompt). `GET .../models`
answers an empty list. Every request body is kept in ``requests`` so tests can check what Codex sent.
"""

from __future__ import annotations

import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

# Per response; Codex sums them over a turn's requests. cached_tokens is part of input_tokens.
USAGE = {"input_tokens": 1200, "input_tokens_details": {"cached_tokens": 200, "cache_write_tokens": 300},
         "output_tokens": 80, "output_tokens_details": {"reasoning_tokens": 16}, "total_tokens": 1280}
REPLY = "Done: mock reply."
_RUN = re.compile(r"RUN: (.+)")
_SAY = re.compile(r"SAY: (.+)")
SHELL_TOOLS = ("exec_command", "shell_command", "shell", "local_shell")


def _texts(value: Any) -> list[str]:
    """Every string under ``value`` (the request's input items nest text a few levels deep)."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [t for v in value.values() for t in _texts(v)]
    if isinstance(value, list):
        return [t for v in value for t in _texts(v)]
    return []


def shell_call(body: dict[str, Any], command: str, call_id: str) -> dict[str, Any]:
    """A function_call item for whichever shell tool the request offers, with that tool's argument shape."""
    tools = {t.get("name") or t.get("type"): t for t in body.get("tools") or [] if isinstance(t, dict)}
    for name in SHELL_TOOLS:
        if name not in tools:
            continue
        if name == "exec_command":
            arguments = {"cmd": command}
        elif name == "shell_command":
            arguments = {"command": command}
        else:
            arguments = {"command": ["bash", "-lc", command]}
        return {"type": "function_call", "name": name, "arguments": json.dumps(arguments), "call_id": call_id}
    raise ValueError(f"the request offers no shell tool (tools: {sorted(map(str, tools))})")


def reply_item(body: dict[str, Any], number: int, reply: str = REPLY) -> dict[str, Any]:
    inputs = body.get("input") or []
    tool_output_seen = any(isinstance(i, dict) and i.get("type") == "function_call_output" for i in inputs)
    user_text = "\n".join(t for i in inputs if isinstance(i, dict) and i.get("role") == "user" for t in _texts(i))
    match = _RUN.search(user_text)
    if match and not tool_output_seen:
        return shell_call(body, match.group(1).strip(), f"call_{number}")
    say = _SAY.search(user_text)
    return {"type": "message", "role": "assistant", "id": f"msg_{number}",
            "content": [{"type": "output_text", "text": say.group(1).strip() if say else reply}]}


class MockResponses:
    def __init__(self, lifetime_s: float = 240.0, reply: str = REPLY) -> None:
        self.requests: list[dict[str, Any]] = []
        self.reply = reply
        self._lock = threading.Lock()
        mock = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:  # quiet
                return

            def _send(self, status: int, content_type: str, data: bytes) -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:  # noqa: N802 - http.server's naming
                if self.path.split("?")[0].endswith("/models"):
                    self._send(200, "application/json", json.dumps({"object": "list", "data": [],
                                                                    "models": []}).encode())
                else:
                    self._send(404, "application/json", b"{}")

            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                try:
                    body = json.loads(raw or b"{}")
                except ValueError:
                    body = {"_raw": raw.decode("utf-8", "replace")}
                with mock._lock:
                    mock.requests.append({"path": self.path, "body": body})
                    number = len(mock.requests)
                if not self.path.split("?")[0].endswith("/responses"):
                    self._send(404, "application/json", b"{}")
                    return
                try:
                    item = reply_item(body, number, mock.reply)
                except ValueError as exc:
                    self._send(400, "application/json", json.dumps({"error": {"message": str(exc)}}).encode())
                    return
                response = {"id": f"resp_{number}", "object": "response", "model": body.get("model")}
                events = [{"type": "response.created", "response": response},
                          {"type": "response.output_item.done", "output_index": 0, "item": item},
                          {"type": "response.completed", "response": {**response, "usage": USAGE}}]
                data = "".join(f"event: {e['type']}\ndata: {json.dumps(e)}\n\n" for e in events).encode()
                self._send(200, "text/event-stream", data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.base_url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._timer = threading.Timer(lifetime_s, self.stop)
        self._timer.daemon = True

    def __enter__(self) -> MockResponses:
        self._thread.start()
        self._timer.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        self._timer.cancel()
        self.server.shutdown()
        self.server.server_close()

    def responses_requests(self) -> list[dict[str, Any]]:
        with self._lock:
            return [r["body"] for r in self.requests if r["path"].split("?")[0].endswith("/responses")]
