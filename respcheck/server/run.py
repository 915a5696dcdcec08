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
from respcheck.server.store import SCHEMA, DatabaseInUse, Store
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
        auth_header: str = "authorization",
    ) -> None:
        encoding()  # build the tokenizer before the first request, not during it
        self.store, self._scratch = _open_store(db_path)
        self.app = build_app(self.store, models, api_key, latency, profile, auth_header=auth_header)
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
    auth_header: str = "authorization",
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
        auth_header=auth_header,
    )


_DB_FIX = "pass a new file name (it is created) or the --db of an earlier respcheck serve"


def db_problem(path: str | Path) -> str | None:
    """Why ``--db path`` cannot be the server's database (one line, with the fix), or None.

    Checked before anything is written: a file that is not SQLite (corrupt, or another format),
    or a database of something else (other tables, or ours without the columns the server
    reads), is refused rather than changed or failed on at the first request.
    """
    path = Path(path)
    if path.is_dir():
        return f"--db {path}: is a folder — {_DB_FIX}"
    if not path.exists():
        if not path.parent.is_dir():
            return f"--db {path}: the folder {path.parent} does not exist — create it or {_DB_FIX}"
        return None
    try:
        found = _columns(sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True))
    except sqlite3.Error as exc:
        return f"--db {path}: cannot read it as SQLite ({exc}) — {_DB_FIX}"
    expected = _columns(sqlite3.connect(":memory:"), SCHEMA)
    foreign = sorted(set(found) - set(expected))
    if foreign:
        return f"--db {path}: not a respcheck serve database (it has table {foreign[0]!r}) — {_DB_FIX}"
    for table, columns in found.items():
        missing = sorted(expected[table] - columns)
        if missing:
            return (f"--db {path}: not a respcheck serve database (table {table!r} has no column "
                    f"{missing[0]!r}) — {_DB_FIX}")
    return None


def _columns(db: sqlite3.Connection, schema: str = "") -> dict[str, set[str]]:
    """{table: its column names} of ``db`` (after running ``schema``), sqlite's own tables left out."""
    try:
        if schema:
            db.executescript(schema)
        tables = [row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        return {t: {row[1] for row in db.execute("SELECT * FROM pragma_table_info(?)", (t,))}
                for t in tables if not t.startswith("sqlite_")}
    finally:
        db.close()


def serve_main(
    host: str,
    port: int,
    db: str | Path | None,
    api_key: str | None,
    latency: float,
    app_wrapper: AppWrapper | None = None,
    profile: str | Iterable[str] = "openai",
    first_byte: float = 0.0,
    auth_header: str = "authorization",
) -> int:
    """``respcheck serve``: print the URL, serve until Ctrl-C, exit 0 without a traceback."""
    problem = db_problem(db) if db is not None else None
    if problem is not None:
        print(f"respcheck serve: {problem}", file=sys.stderr)
        return 2
    encoding()
    try:
        sock = _bind(host, port)
    except (OSError, OverflowError) as exc:  # OverflowError: a port outside 0-65535
        reason = exc.strerror if isinstance(exc, OSError) else "the port must be 0 to 65535"
        print(f"respcheck serve: cannot listen on {host}:{port}: {reason} — choose another --port",
              file=sys.stderr)
        return 2
    try:
        store, scratch = _open_store(db)
    except DatabaseInUse as exc:
        sock.close()
        print(f"respcheck serve: {exc}", file=sys.stderr)
        return 2
    except sqlite3.Error as exc:
        sock.close()
        print(f"respcheck serve: --db {db}: cannot use it ({exc}) — {_DB_FIX}", file=sys.stderr)
        return 2
    try:
        # build_app reads the store (its unfinished responses): a foreign db can fail here too
        app = build_app(store, None, api_key, latency, profile, first_byte, auth_header)
    except sqlite3.Error as exc:
        print(f"respcheck serve: --db {db}: cannot use it ({exc}) — {_DB_FIX}", file=sys.stderr)
        _close(sock, store, scratch)
        return 2
    try:
        server = _Server(app, app_wrapper(app) if app_wrapper else None)
        print(f"respcheck reference server listening on {_url(host, sock)}", flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(server.serve(sockets=[sock]))
    finally:
        _close(sock, store, scratch)
    return 0


def _close(sock: socket.socket, store: Store, scratch: tempfile.TemporaryDirectory[str] | None) -> None:
    sock.close()
    store.close()
    if scratch is not None:
        scratch.cleanup()
