"""Start the reference server: in a thread on a free port (tests, bench) or in the foreground (CLI)."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import sqlite3
import sys
import tempfile
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from types import TracebackType
from typing import Any

import uvicorn
from starlette.applications import Starlette

from respcheck.server.app import build_app
from respcheck.server.model import ModelSpec
from respcheck.server.store import DatabaseInUse, Store
from respcheck.server.tokens import encoding

# Wraps the app in another ASGI app (the fault-injection layer of respcheck.faults); the
# Starlette app stays reachable for shutdown.
AppWrapper = Callable[[Starlette], Any]


class _Server(uvicorn.Server):
    """uvicorn, plus: on shutdown, end the open streams first (else uvicorn cancels them and logs)."""

    def __init__(self, app: Starlette, served: Any = None) -> None:
        config = uvicorn.Config(
            served if served is not None else app,
            log_level="warning",
            access_log=False,
            lifespan="off",
            timeout_graceful_shutdown=5,
        )
        super().__init__(config)
        self._app = app

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        self._app.state.server.release_streams()
        await super().shutdown(sockets)


def _bind(host: str, port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # Accepted sockets inherit TCP_NODELAY. Without it a response's header and body writes meet
    # Nagle + delayed ACK and every keep-alive request waits ~40 ms (measured here).
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind((host, port))
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def _url(host: str, sock: socket.socket) -> str:
    port = sock.getsockname()[1]
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}/v1"


def _open_store(db_path: str | Path | None) -> tuple[Store, tempfile.TemporaryDirectory[str] | None]:
    if db_path is not None:
        return Store(db_path), None
    scratch = tempfile.TemporaryDirectory(prefix="respcheck-serve-")
    return Store(Path(scratch.name) / "responses.sqlite3"), scratch


class RunningServer:
    """A server running in a background thread; ``base_url`` ends in ``/v1``."""

    def __init__(
        self,
        db_path: str | Path | None = None,
        api_key: str | None = None,
        latency: float = 0.0,
        models: Iterable[ModelSpec] | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        app_wrapper: AppWrapper | None = None,
        profile: str | Iterable[str] = "openai",
    ) -> None:
        encoding()  # build the tokenizer before the first request, not during it
        self.store, self._scratch = _open_store(db_path)
        self.app = build_app(self.store, models, api_key, latency, profile)
        self._sock = _bind(host, port)
        self.base_url = _url(host, self._sock)
        self.port = self._sock.getsockname()[1]
        self._server = _Server(self.app, app_wrapper(self.app) if app_wrapper else None)
        self._thread = threading.Thread(target=self._serve, name="respcheck-reference", daemon=True)
        self._thread.start()
        while not self._server.started and self._thread.is_alive():
            self._thread.join(0.005)
        if not self._server.started:
            self._close()
            raise RuntimeError("the reference server did not start")

    def _serve(self) -> None:
        asyncio.run(self._server.serve(sockets=[self._sock]))

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(10)
        self._close()

    def _close(self) -> None:
        self._sock.close()
        self.store.close()
        if self._scratch is not None:
            self._scratch.cleanup()

    def __enter__(self) -> RunningServer:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


def start_server(
    db_path: str | Path | None = None,
    api_key: str | None = None,
    latency: float = 0.0,
    models: Iterable[ModelSpec] | None = None,
    app_wrapper: AppWrapper | None = None,
    profile: str | Iterable[str] = "openai",
) -> RunningServer:
    """Start the reference server on a free loopback port in a thread (use as a context manager).

    ``profile``: the profile (or list) the server is judged by; it speaks that wire form.
    """
    return RunningServer(
        db_path=db_path,
        api_key=api_key,
        latency=latency,
        models=models,
        app_wrapper=app_wrapper,
        profile=profile,
    )


def serve_main(
    host: str,
    port: int,
    db: str | Path | None,
    api_key: str | None,
    latency: float,
    app_wrapper: AppWrapper | None = None,
    profile: str | Iterable[str] = "openai",
    first_byte: float = 0.0,
) -> int:
    """``respcheck serve``: print the URL, serve until Ctrl-C, exit 0 without a traceback."""
    encoding()
    try:
        sock = _bind(host, port)
    except OSError as exc:
        print(f"respcheck serve: cannot listen on {host}:{port}: {exc.strerror}", file=sys.stderr)
        return 2
    try:
        store, scratch = _open_store(db)
    except DatabaseInUse as exc:
        sock.close()
        print(f"respcheck serve: {exc}", file=sys.stderr)
        return 2
    except sqlite3.Error as exc:
        sock.close()
        print(f"respcheck serve: cannot open the database {db}: {exc}", file=sys.stderr)
        return 2
    try:
        app = build_app(store, None, api_key, latency, profile, first_byte)
        server = _Server(app, app_wrapper(app) if app_wrapper else None)
        print(f"respcheck reference server listening on {_url(host, sock)}", flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(server.serve(sockets=[sock]))
    finally:
        sock.close()
        store.close()
        if scratch is not None:
            scratch.cleanup()
    return 0
