"""`hub.telemetry` as an operator writes it: checked by `triggerhub validate` with the place of
each mistake; left out, the hub never imports the OpenTelemetry SDK."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from hub.errors import MissingExtraError
from hub.telemetry import TelemetrySettings, start_telemetry
from hub.telemetry.carriers import incoming

ROOT = Path(__file__).resolve().parents[2]
TRACEPARENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"


def run(argv: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, cwd=cwd, capture_output=True, text=True, timeout=60, check=False)


def test_a_bad_telemetry_section_is_refused_where_it_is_written(tmp_path: Path) -> None:
    config = tmp_path / "triggers.yaml"
    config.write_text(
        textwrap.dedent(
            """\
            hub:
              telemetry:
                otlp_endpoint: "collector:4318"
                sample: 2
                exporter: grpc
            functions:
              f:
                target: {type: http, url: "http://127.0.0.1:9/"}
            triggers: {}
            """
        )
    )
    done = run([sys.executable, "-m", "hub", "validate", str(config)], tmp_path)
    assert done.returncode == 1, done.stderr
    assert done.stderr.splitlines() == [
        f"{config}:3:20: hub.telemetry.otlp_endpoint: must be an http:// or https:// URL "
        "with a host",
        f"{config}:4:13: hub.telemetry.sample: must be at most 1; got 2",
        f"{config}:5:5: hub.telemetry.exporter: unknown key 'exporter'; expected one of: "
        "otlp_endpoint, sample, service_name",
    ]


def test_the_traces_url_is_the_endpoint_with_v1_traces() -> None:
    assert TelemetrySettings(otlp_endpoint="http://c:4318").traces_url == "http://c:4318/v1/traces"
    settings = TelemetrySettings(otlp_endpoint="https://c/otlp/")
    assert settings.traces_url == "https://c/otlp/v1/traces"


OFF = """
import asyncio, sys
from hub.config.functions import FunctionConfig
from hub.config.settings import HubSettings, StoreSettings
from hub.engine import Hub
from hub.events import Event

async def main():
    settings = HubSettings(store=StoreSettings(url="sqlite:///./hub.db"))
    functions = {"f": FunctionConfig.model_validate(
        {"target": {"type": "python", "handler": "offfns:handle"}})}
    async with Hub(settings, functions) as hub:
        [sub] = await hub.submit("f", [Event(type="t", source="s", data=1)])
        inv = await hub.wait(sub.id, timeout=30)
    assert str(inv.status) == "succeeded", inv
    loaded = sorted(name for name in sys.modules if name.startswith("opentelemetry"))
    print(loaded)

asyncio.run(main())
"""


def test_without_the_setting_the_sdk_is_never_imported(tmp_path: Path) -> None:
    (tmp_path / "offfns.py").write_text("def handle(event):\n    return event.data\n")
    (tmp_path / "off.py").write_text(OFF)
    done = run([sys.executable, "off.py"], tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == "[]"


def test_a_missing_sdk_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    # Settings made by other means than the config file (checked there) still get the hint.
    settings = TelemetrySettings(otlp_endpoint="http://127.0.0.1:4318")
    monkeypatch.setitem(sys.modules, "opentelemetry", None)  # as if not installed
    monkeypatch.delitem(sys.modules, "hub.telemetry.tracing", raising=False)
    with pytest.raises(MissingExtraError, match=r"pip install 'triggerhub\[telemetry\]'"):
        start_telemetry(settings)


def test_the_incoming_context_is_read_from_the_extension_or_message_headers() -> None:
    assert incoming({"traceparent": TRACEPARENT, "tracestate": "a=1"}) == (TRACEPARENT, "a=1")
    assert incoming({"kafkaheaders": {"traceparent": TRACEPARENT}}) == (TRACEPARENT, None)
    assert incoming({"amqpheaders": {"traceparent": TRACEPARENT}}) == (TRACEPARENT, None)
    # Not a W3C traceparent (all-zero trace id, junk): as if none came.
    assert incoming({"traceparent": "00-" + "0" * 32 + "-b7ad6b7169203331-01"}) == (None, None)
    assert incoming({"traceparent": "nonsense", "kafkaheaders": "x"}) == (None, None)


HIDE_SDK = """
import sys
sys.modules["opentelemetry"] = None  # as if the extra were not installed
from hub.cli import main
sys.argv = ["triggerhub", "validate", sys.argv[1]]
sys.exit(main())
"""


def test_tracing_without_the_extra_is_refused_where_it_is_asked_for(tmp_path: Path) -> None:
    config = tmp_path / "triggers.yaml"
    config.write_text(
        textwrap.dedent(
            """\
            hub:
              telemetry: {otlp_endpoint: "http://127.0.0.1:4318"}
            functions:
              f:
                target: {type: http, url: "http://127.0.0.1:9/"}
            triggers: {}
            """
        )
    )
    done = run([sys.executable, "-c", HIDE_SDK, str(config)], tmp_path)
    assert done.returncode == 1, done.stderr
    assert done.stderr.splitlines() == [
        f"{config}:2:3: hub.telemetry: tracing needs the OpenTelemetry SDK: "
        "pip install 'triggerhub[telemetry]'"
    ]
