"""SQLite storage: responses, their input items, and the events of each stream (for resume).

One connection, used from the server's event loop thread only (WAL mode, so a restart
or a second reader sees committed data). A restart keeps everything; ``store: false``
responses never reach this module.

One server per database: a ``Store`` holds an exclusive ``flock`` on its file while open
(released by the kernel however the process ends), so a second server on a database in use
is refused instead of failing the first one's runs. A terminal status, once stored, never
changes (``save_response`` leaves such a row as it is).
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from pathlib import Path
from typing import Any

try:
    import fcntl
except ImportError:  # Windows: no flock; one server per database is then the user's to keep
    fcntl = None  # type: ignore[assignment]

SCHEMA = """
CREATE TABLE IF NOT EXISTS responses (
    id TEXT PRIMARY KEY,
    body TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS input_items (
    response_id TEXT NOT NULL,
    position INTEGER NOT NULL,
    item_id TEXT NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (response_id, position)
);
CREATE TABLE IF NOT EXISTS events (
    response_id TEXT NOT NULL,
    sequence_number INTEGER NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (response_id, sequence_number)
);
"""


TERMINAL = ("completed", "incomplete", "failed", "cancelled")


class DatabaseInUse(RuntimeError):
    """Another open Store (another ``respcheck serve``) holds this database."""


def _claim(path: str) -> int | None:
    """An exclusive lock on the database file, or DatabaseInUse (one line) when another holds it."""
    if fcntl is None:
        return None
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError:  # what SQLite itself says, as the error callers already handle
        raise sqlite3.OperationalError("unable to open database file") from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise DatabaseInUse(
            f"the database {path} is in use by another respcheck serve (one server per database): "
            "stop that one or choose another --db"
        ) from None
    return fd


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


class Store:
    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        self._lock_fd = _claim(self.path)
        self._lock = threading.Lock()  # the bench and tests may touch it from another thread
        try:
            self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
            with self._lock:
                self._db.execute("PRAGMA journal_mode=WAL")
                self._db.execute("PRAGMA synchronous=NORMAL")
                self._db.executescript(SCHEMA)
        except BaseException:
            if hasattr(self, "_db"):
                self._db.close()
            self._release()
            raise

    def close(self) -> None:
        with self._lock:
            self._db.close()
        self._release()

    def _release(self) -> None:
        # after SQLite's own close: closing any descriptor of the file drops the process's POSIX locks
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None

    def save_response(
        self,
        response: dict[str, Any],
        input_items: list[dict[str, Any]] | None,
        events: list[dict[str, Any]] | None = None,
    ) -> None:
        """Insert or update a response; input items and events when given (one transaction)."""
        with self._lock, self._db:
            self._db.execute("BEGIN")
            self._db.execute(
                "INSERT INTO responses (id, body, created_at) VALUES (?, ?, ?) "
                "ON CONFLICT(id) DO UPDATE SET body = excluded.body "
                "WHERE json_extract(responses.body, '$.status') NOT IN (?, ?, ?, ?)",
                (response["id"], _dumps(response), response["created_at"], *TERMINAL),
            )
            if input_items is not None:
                self._db.executemany(
                    "INSERT OR REPLACE INTO input_items (response_id, position, item_id, body) "
                    "VALUES (?, ?, ?, ?)",
                    [(response["id"], i, item["id"], _dumps(item)) for i, item in enumerate(input_items)],
                )
            if events is not None:
                self._db.executemany(
                    "INSERT OR REPLACE INTO events (response_id, sequence_number, body) VALUES (?, ?, ?)",
                    [(response["id"], e["sequence_number"], _dumps(e)) for e in events],
                )

    def get_response(self, response_id: str) -> dict[str, Any] | None:
        with self._lock:
            row = self._db.execute("SELECT body FROM responses WHERE id = ?", (response_id,)).fetchone()
        return json.loads(row[0]) if row else None

    def input_items(self, response_id: str) -> list[dict[str, Any]]:
        with self._lock:
            rows = self._db.execute(
                "SELECT body FROM input_items WHERE response_id = ? ORDER BY position", (response_id,)
            ).fetchall()
        return [json.loads(r[0]) for r in rows]

    def events(self, response_id: str, after: int = -1) -> list[dict[str, Any]]:
        with self._lock:
            rows = self._db.execute(
                "SELECT body FROM events WHERE response_id = ? AND sequence_number > ? "
                "ORDER BY sequence_number",
                (response_id, after),
            ).fetchall()
        return [json.loads(r[0]) for r in rows]

    def delete(self, response_id: str) -> bool:
        with self._lock, self._db:
            self._db.execute("BEGIN")
            deleted = self._db.execute("DELETE FROM responses WHERE id = ?", (response_id,)).rowcount
            self._db.execute("DELETE FROM input_items WHERE response_id = ?", (response_id,))
            self._db.execute("DELETE FROM events WHERE response_id = ?", (response_id,))
        return deleted > 0

    def unfinished(self) -> list[dict[str, Any]]:
        """Responses a previous process left queued or in progress (it stopped mid-run)."""
        with self._lock:
            rows = self._db.execute("SELECT body FROM responses").fetchall()
        found = [json.loads(r[0]) for r in rows]
        return [r for r in found if r.get("status") in ("queued", "in_progress")]
