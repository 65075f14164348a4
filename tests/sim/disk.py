"""The state file's disk: SQLite connections that a kill cuts (uncommitted work lost) and
whose Nth write fails as a full disk does."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from unittest import mock

WRITES = ("INSERT", "UPDATE", "DELETE", "COMMIT")


class Killed(BaseException):
    """Raised by every use of a killed run's state file: its process is gone."""


class Disk:
    """Counts writes over every run of a schedule; fails the ``full_at``-th once."""

    def __init__(self, full_at: int | None) -> None:
        self.full_at = full_at
        self.writes = 0
        self.open: list[Connection] = []
        self.failed = False

    @contextmanager
    def mounted(self) -> Iterator[None]:
        """Every state file opened meanwhile is on this disk."""
        real = sqlite3.connect

        def connect(path: str, **kwargs: Any) -> Connection:
            connection = Connection(real(path, **kwargs), self)
            self.open.append(connection)
            return connection

        with mock.patch.object(sqlite3, "connect", connect):  # the state file's
            yield

    def kill(self) -> None:
        """The process dies: what was not committed is lost, and the files are closed."""
        for connection in self.open:
            connection.die()
        self.open.clear()


class Connection:
    """A sqlite3 connection, but killable and on a disk that may fill."""

    def __init__(self, real: sqlite3.Connection, disk: Disk) -> None:
        self._real: sqlite3.Connection | None = real
        self._disk = disk

    def _live(self) -> sqlite3.Connection:
        if self._real is None:
            raise Killed("the state file's process was killed")
        return self._real

    def die(self) -> None:
        if self._real is not None:
            if self._real.in_transaction:
                self._real.rollback()
            self._real.close()
            self._real = None

    def _count(self, sql: str) -> None:
        disk = self._disk
        if not sql.lstrip().upper().startswith(WRITES):
            return
        disk.writes += 1
        if disk.full_at is not None and disk.writes == disk.full_at and not disk.failed:
            disk.failed = True
            real = self._live()
            if real.in_transaction:  # SQLITE_FULL rolls the transaction back
                real.rollback()
            raise sqlite3.OperationalError("database or disk is full")

    def execute(self, sql: str, *args: Any) -> sqlite3.Cursor:
        self._count(sql)
        return self._live().execute(sql, *args)

    def executemany(self, sql: str, *args: Any) -> sqlite3.Cursor:
        self._count(sql)
        return self._live().executemany(sql, *args)

    def executescript(self, sql: str) -> sqlite3.Cursor:
        return self._live().executescript(sql)

    @property
    def in_transaction(self) -> bool:
        return self._live().in_transaction

    def close(self) -> None:
        if self._real is not None:
            self._real.close()
            self._real = None

    def __getattr__(self, name: str) -> Any:
        return getattr(self._live(), name)
