"""SecantusDB: a MongoDB wire-protocol server (one-node replica set) for change streams.

Test-only (GPL-2.0) and Python-speed: it proves behaviour, never throughput.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.servers.process import SERVERS_VENV, Server, Spec

REPLICA_SET = "secantus"


def _client(port: int) -> Any:
    from pymongo import MongoClient

    return MongoClient(
        "127.0.0.1",
        port,
        directConnection=True,
        serverSelectionTimeoutMS=2000,
        connectTimeoutMS=2000,
    )


class SecantusDB(Server):
    kind = "secantusdb"

    def __init__(self, base_dir: Path, extra_args: Sequence[str] = ()) -> None:
        super().__init__(base_dir)
        self.extra_args = list(extra_args)

    @property
    def url(self) -> str:
        return f"mongodb://127.0.0.1:{self.port}/?replicaSet={REPLICA_SET}"

    def url_for(self, database: str) -> str:
        return f"mongodb://127.0.0.1:{self.port}/{database}?replicaSet={REPLICA_SET}"

    def prepare(self) -> None:
        # An explicit (empty) config stops it from picking up a secantusd.toml
        # from the working directory, the home directory or /etc.
        (self.base_dir / "secantusd.toml").touch()

    def spec(self) -> Spec:
        argv = [str(SERVERS_VENV / "bin" / "secantusd-py")]
        argv += ["--config", str(self.base_dir / "secantusd.toml")]
        argv += ["--host", "127.0.0.1", "--port", str(self.port)]
        argv += ["--storage-path", str(self.base_dir / "data"), "--log-level", "WARNING"]
        # Without it an acknowledged write can be lost to a SIGKILL within about a
        # second; crash tests need "acknowledged means kept" (costs ~2x insert speed).
        argv += ["--sync-on-commit", *self.extra_args]
        return Spec(
            name=f"secantusd-py on port {self.port}",
            argv=argv,
            cwd=self.base_dir,
            log_path=self.log_path,
            ready=self._ready,
            ready_timeout=60,
        )

    def _ready(self) -> None:
        with _client(self.port) as client:
            hello = client.admin.command("hello")
            # Change streams need a replica set; SecantusDB presents one
            # already and has no replSetInitiate, so only ask when it does not.
            if "setName" not in hello:
                client.admin.command("replSetInitiate")

    def prune_oplog(self) -> int:
        """Drop oplog entries past the retention bounds now (SecantusDB prunes only every
        thousand writes otherwise): how a test makes a resume token fall out of history."""
        with _client(self.port) as client:
            return int(client.admin.command("secantusAdmin.pruneOplog").get("pruned", 0))

    def drop_database(self, name: str) -> None:
        with _client(self.port) as client:
            client.drop_database(name)


@dataclass(frozen=True)
class MongoDatabase:
    """One test's private database name on the session server."""

    server: SecantusDB
    name: str

    @property
    def url(self) -> str:
        return self.server.url_for(self.name)

    @classmethod
    def fresh(cls, server: SecantusDB) -> MongoDatabase:
        return cls(server, f"test_{uuid.uuid4().hex[:12]}")

    def drop(self) -> None:
        self.server.drop_database(self.name)
