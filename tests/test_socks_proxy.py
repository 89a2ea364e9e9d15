"""`proxy = "socks5://..."` works as the README says, with the newsgrab[socks] extra."""

from __future__ import annotations

import select
import socket
import socketserver
import struct
import threading

import pytest
from click.testing import CliRunner

from newsgrab.cli import cli

pytest.importorskip("socksio", reason="the newsgrab[socks] extra is not installed")

PAGE = (
    "<html><head><title>Through the proxy</title></head><body><article><h1>Through the proxy</h1>"
    + "<p>The ferry left Port Ellen at dawn with every passenger aboard and the cars.</p>" * 5
    + "</article></body></html>"
)


class Socks5(socketserver.BaseRequestHandler):
    """A minimal SOCKS5 server: no authentication, CONNECT only, then a relay."""

    def handle(self) -> None:
        conn: socket.socket = self.request
        _version, count = conn.recv(2)
        conn.recv(count)
        conn.sendall(b"\x05\x00")  # no authentication
        _version, command, _reserved, kind = conn.recv(4)
        if kind == 1:
            host = socket.inet_ntoa(conn.recv(4))
        elif kind == 3:
            host = conn.recv(conn.recv(1)[0]).decode()
        else:
            host = socket.inet_ntop(socket.AF_INET6, conn.recv(16))
        (port,) = struct.unpack("!H", conn.recv(2))
        self.server.targets.append((host, port))  # type: ignore[attr-defined]
        upstream = socket.create_connection((host, port), timeout=5)
        conn.sendall(b"\x05\x00\x00\x01" + bytes(4) + b"\x00\x00")
        with upstream:
            while True:
                ready, _, _ = select.select([conn, upstream], [], [], 5)
                if not ready:
                    return
                for src in ready:
                    data = src.recv(65536)
                    if not data:
                        return
                    (upstream if src is conn else conn).sendall(data)


@pytest.fixture
def socks_proxy():
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Socks5)
    server.daemon_threads = True
    server.targets = []  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def test_fetch_through_a_socks5_proxy(tmp_path, web, local_env, socks_proxy):
    web.expect_request("/story").respond_with_data(PAGE, content_type="text/html")
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.md").write_text(f"{web.url_for('/story')}\n")
    cfg = tmp_path / "c.toml"
    cfg.write_text(f'proxy = "socks5://127.0.0.1:{socks_proxy.server_address[1]}"\n')
    r = CliRunner().invoke(cli, ["fetch", "--config", str(cfg), str(docs)])
    assert r.exit_code == 0, r.output
    assert (web.host, web.port) in socks_proxy.targets  # it went through the proxy
