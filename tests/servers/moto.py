"""moto server: S3, SQS, SNS, EventBridge and CloudWatch Logs on one HTTP port.

Its state lives in memory, so ``kill_and_start`` empties it; tests isolate by
a unique name prefix and a ``/moto-api/reset`` before each test.
"""

from __future__ import annotations

import http.client
import uuid
from dataclasses import dataclass
from typing import Any

from tests.servers.process import SERVERS_VENV, Server, Spec

REGION = "us-east-1"
# moto accepts any credentials; fixed ones keep boto3 from searching the machine.
CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": REGION,
}


def _http(port: int, method: str, path: str) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        conn.request(method, path)
        response = conn.getresponse()
        response.read()
        return response.status
    finally:
        conn.close()


class Moto(Server):
    kind = "moto"

    @property
    def endpoint_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def spec(self) -> Spec:
        argv = [str(SERVERS_VENV / "bin" / "moto_server"), "-H", "127.0.0.1"]
        argv += ["-p", str(self.port)]
        return Spec(
            name=f"moto_server on port {self.port}",
            argv=argv,
            cwd=self.base_dir,
            log_path=self.log_path,
            env=CREDENTIALS,
            ready=self._ready,
        )

    def _ready(self) -> None:
        status = _http(self.port, "GET", "/moto-api/")
        if status != 200:
            raise ConnectionError(f"moto answered {status}")

    def reset(self) -> None:
        status = _http(self.port, "POST", "/moto-api/reset")
        if status != 200:
            raise RuntimeError(f"moto reset answered {status}")


@dataclass(frozen=True)
class Names:
    """One test's view of moto: a clean state and a prefix for every name."""

    server: Moto
    prefix: str

    @property
    def endpoint_url(self) -> str:
        return self.server.endpoint_url

    @property
    def env(self) -> dict[str, str]:
        """Environment for a process (e.g. the daemon) that talks to moto."""
        return {**CREDENTIALS, "AWS_ENDPOINT_URL": self.endpoint_url}

    def name(self, suffix: str) -> str:
        # Lower case and dashes only: valid for buckets, queues, topics and rules.
        return f"{self.prefix}{suffix}"

    def client(self, service: str) -> Any:
        import boto3

        return boto3.client(
            service,
            endpoint_url=self.endpoint_url,
            region_name=REGION,
            aws_access_key_id=CREDENTIALS["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        )

    @classmethod
    def fresh(cls, server: Moto) -> Names:
        server.reset()
        return cls(server, f"t{uuid.uuid4().hex[:10]}-")
