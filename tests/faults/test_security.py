"""Security: no shell strings, no unchecked TLS.  (The udev rule: tests/test_udev.py.)"""

from __future__ import annotations

import ast
import os
import shutil
import ssl
import subprocess
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

import podsync
from podsync.cli.demo_server import SampleEpisode, rss

PACKAGE = Path(podsync.__file__).parent
PROJECT = PACKAGE.parent
SHELLS = {"os.system", "os.popen", "subprocess.getoutput", "subprocess.getstatusoutput"}
SUBPROCESS = {"run", "Popen", "call", "check_call", "check_output"}


def calls() -> Iterator[tuple[str, ast.Call]]:
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Call):
                yield f"{path.relative_to(PROJECT)}:{node.lineno}", node


def dotted(node: ast.expr) -> str:
    if isinstance(node, ast.Attribute):
        return f"{dotted(node.value)}.{node.attr}"
    return node.id if isinstance(node, ast.Name) else ""


def test_no_shell_and_argument_lists_only() -> None:
    for where, call in calls():
        name = dotted(call.func)
        assert name not in SHELLS and not name.startswith(("os.exec", "os.spawn")), where
        for keyword in call.keywords:
            shell = keyword.arg == "shell" and not (
                isinstance(keyword.value, ast.Constant) and keyword.value.value is False
            )
            assert not shell, f"{where}: shell="
        if name.startswith("subprocess.") and name.split(".")[-1] in SUBPROCESS:
            assert not builds_a_string(call.args[0]), f"{where}: a command line, not a list"


def builds_a_string(node: ast.expr) -> bool:
    """Whether ``node`` makes a string: a literal, an f-string, ``+``, ``%``, format or join."""
    if isinstance(node, ast.Constant | ast.JoinedStr):
        return isinstance(node, ast.JoinedStr) or isinstance(node.value, str)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add | ast.Mod):
        return builds_a_string(node.left) or builds_a_string(node.right)
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in ("format", "join")
    )


def test_tls_verification_is_never_switched_off() -> None:
    for where, call in calls():
        for keyword in call.keywords:
            off = isinstance(keyword.value, ast.Constant) and keyword.value.value is False
            assert not (keyword.arg == "verify" and off), f"{where}: verify=False"
    source = "\n".join(p.read_text() for p in PACKAGE.rglob("*.py"))
    assert "CERT_NONE" not in source and "_create_unverified_context" not in source
    assert ".verify = False" not in source and "check_hostname = False" not in source


@pytest.fixture
def https_feed(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A feed served over HTTPS with a self-signed certificate: ``(url, certificate)``."""
    if shutil.which("openssl") is None:
        pytest.skip("needs openssl to make a certificate")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [
            *("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"),
            *("-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"),
            *("-keyout", str(key), "-out", str(cert)),
        ],
        check=True,
        capture_output=True,
    )
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    base = f"https://127.0.0.1:{httpd.server_address[1]}"
    feed = rss("Secure", [SampleEpisode("g", "Ep", 1.7e9, "ep.mp3", 10)], base)

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/rss+xml")
            self.send_header("Content-Length", str(len(feed)))
            self.end_headers()
            self.wfile.write(feed)

    httpd.RequestHandlerClass = Handler
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    thread = threading.Thread(target=httpd.serve_forever)
    thread.start()
    yield f"{base}/feed.xml", cert
    httpd.shutdown()
    httpd.server_close()
    thread.join()


def test_tls_certificates_are_checked_by_default(podsync, https_feed: tuple[str, Path]) -> None:
    url, cert = https_feed
    env = {k: v for k, v in os.environ.items() if k not in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE")}
    err = podsync("subscribe", url, check=1, env=env).stderr
    assert "TLS certificate check failed for 127.0.0.1" in err
    # The same server, once its certificate is trusted: the refusal was the certificate's.
    out = podsync("subscribe", url, env={**env, "REQUESTS_CA_BUNDLE": str(cert)}).stdout
    assert "Subscribed to Secure" in out
