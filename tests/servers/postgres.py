"""PostgreSQL 15 (Debian binaries) in a throwaway cluster, trust auth on 127.0.0.1."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import uuid
from dataclasses import dataclass
from pathlib import Path

import psycopg

from tests.servers.process import INSTALL_HINT, Server, ServerUnavailable, Spec

PG_BIN = Path(os.environ.get("TRIGGERHUB_PG_BIN", "/usr/lib/postgresql/15/bin"))
# initdb and the postmaster refuse to run as root.
PG_USER = "postgres" if os.geteuid() == 0 else None


def _as_pg_user(argv: list[str]) -> list[str]:
    return ["runuser", "-u", PG_USER, "--", *argv] if PG_USER else argv


class Postgres(Server):
    kind = "postgres"

    def __init__(self, base_dir: Path) -> None:
        super().__init__(base_dir)
        self.data_dir = base_dir / "data"
        self.socket_dir = base_dir / "sock"
        # The maintenance database; tests get their own through ``Database``.
        self.url = self.url_for("postgres")

    def url_for(self, database: str) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def prepare(self) -> None:
        initdb = PG_BIN / "initdb"
        if not initdb.exists():
            raise ServerUnavailable(
                f"PostgreSQL 15 not found at {PG_BIN} (Debian package postgresql-15); "
                + INSTALL_HINT
            )
        self.socket_dir.mkdir(parents=True, exist_ok=True)
        if PG_USER:
            shutil.chown(self.base_dir, PG_USER, PG_USER)
            shutil.chown(self.socket_dir, PG_USER, PG_USER)
        argv = [str(initdb), "-D", str(self.data_dir), "-U", "postgres"]
        argv += ["--auth=trust", "--encoding=UTF8", "--locale=C", "--no-sync"]
        done = subprocess.run(
            _as_pg_user(argv), capture_output=True, text=True, timeout=120, check=False
        )
        if done.returncode != 0:
            raise ServerUnavailable(f"initdb failed ({done.returncode}): {done.stderr[-2000:]}")

    def spec(self) -> Spec:
        argv = [str(PG_BIN / "postgres"), "-D", str(self.data_dir), "-p", str(self.port)]
        argv += ["-k", str(self.socket_dir), "-c", "listen_addresses=127.0.0.1"]
        # fsync only matters for power loss; SIGKILL tests keep the page cache.
        argv += ["-c", "fsync=off", "-c", "max_connections=200"]
        return Spec(
            name=f"postgresql on port {self.port}",
            argv=argv,
            cwd=self.base_dir,
            log_path=self.log_path,
            user=PG_USER,
            env={"LC_ALL": "C"},
            ready=self._ready,
            ready_timeout=60,
            # SIGINT is PostgreSQL's "fast" shutdown; SIGTERM waits for clients.
            stop_signal=signal.SIGINT,
        )

    def _ready(self) -> None:
        with psycopg.connect(self.url, connect_timeout=2) as conn:
            conn.execute("SELECT 1")

    def create_database(self, name: str) -> None:
        with psycopg.connect(self.url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')

    def drop_database(self, name: str) -> None:
        with psycopg.connect(self.url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@dataclass(frozen=True)
class Database:
    """One test's private database in the session cluster."""

    server: Postgres
    name: str

    @property
    def url(self) -> str:
        return self.server.url_for(self.name)

    @classmethod
    def create(cls, server: Postgres) -> Database:
        db = cls(server, f"test_{uuid.uuid4().hex[:12]}")
        server.create_database(db.name)
        return db

    def drop(self) -> None:
        self.server.drop_database(self.name)
