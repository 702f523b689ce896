"""bench/wrk.py against a real HTTP server on 127.0.0.1: GETs without a script, POSTs
with one."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from bench import wrk

pytestmark = pytest.mark.skipif(not wrk.available(), reason="wrk (Debian package) not found")


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    methods: list[str] = []

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        _Handler.methods.append(self.command)
        body = b"ok"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = _answer
    do_POST = _answer

    def log_message(self, *args: object) -> None:  # keep the test output quiet
        pass


@pytest.fixture
def server() -> Iterator[str]:
    _Handler.methods = []
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_without_a_script_wrk_gets_the_page(server: str) -> None:
    report = wrk.run(server, None, seconds=1, threads=1, connections=1)
    assert report["requests"] > 0 and report["errors"] == 0
    assert set(_Handler.methods) == {"GET"}


def test_with_a_post_script_wrk_posts_the_bodies(server: str, tmp_path: Path) -> None:
    script = tmp_path / "post.lua"
    script.write_text(wrk.post_script(["a=1", "b=2"], {"Content-Type": "text/plain"}))
    report = wrk.run(server, script, seconds=1, threads=1, connections=1)
    assert report["requests"] > 0 and report["errors"] == 0
    assert set(_Handler.methods) == {"POST"}
