"""The registry: config models without client libraries, lazy factories with an install hint,
third-party kinds through the `triggerhub.triggers` entry-point group."""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import pytest

from hub.config.loader import load_text
from hub.errors import ConfigError, MissingExtraError
from hub.plugins import Registry, TriggerKind, default_registry, registry
from hub.plugins.registry import load_builtins
from tests.plugins import memory
from tests.plugins.kinds import NEEDS_LIB, NO_MODULE, TICKER, NeedsLibConfig

FUNCTIONS = "functions:\n  f: {target: {type: python, handler: 'a:b'}}\n"


def test_registering_does_not_import_the_factory() -> None:
    sys.modules.pop("tests.plugins.needs_lib", None)
    fresh = Registry()
    fresh.register(NEEDS_LIB)
    doc = load_text(
        FUNCTIONS + "triggers:\n  t: {type: needs-lib, function: f, target: x}\n",
        env={},
        registry=fresh,
    )
    assert isinstance(doc.triggers["t"], NeedsLibConfig)
    assert "tests.plugins.needs_lib" not in sys.modules


def test_a_missing_client_library_names_the_extra() -> None:
    with pytest.raises(MissingExtraError) as caught:
        NEEDS_LIB.load_factory()
    assert str(caught.value) == (
        "the Python package 'triggerhub_test_client_that_is_not_installed' is not installed; "
        "install it with: pip install 'triggerhub[kafka]'"
    )


def test_a_missing_plugin_module_is_not_blamed_on_an_extra() -> None:
    with pytest.raises(ModuleNotFoundError, match=r"tests\.plugins\.not_a_module"):
        NO_MODULE.load_factory()


def test_the_factory_is_loaded_by_path() -> None:
    assert memory.MEMORY.load_factory() is memory.build


def test_kinds_and_lookup() -> None:
    fresh = Registry()
    fresh.register(memory.MEMORY)
    fresh.register(TICKER)
    fresh.register(TICKER)  # the same kind again is harmless
    assert list(fresh.kinds()) == ["memory", "ticker"]
    assert fresh.get("ticker") is TICKER
    with pytest.raises(
        ConfigError, match="unknown trigger type 'kafka'; known types: memory, ticker"
    ):
        fresh.get("kafka")


def test_two_kinds_cannot_share_a_name() -> None:
    fresh = Registry()
    fresh.register(TICKER)
    impostor = TriggerKind("ticker", TICKER.config_model, "elsewhere:build")
    with pytest.raises(ConfigError, match="registered twice"):
        fresh.register(impostor)


def test_the_name_must_match_the_models_type() -> None:
    with pytest.raises(ConfigError, match=r"TickerConfig.type must be Literal\['tick'\]"):
        Registry().register(TriggerKind("tick", TICKER.config_model, "x:y"))


def _distribution(root: Path, entry_points: str) -> None:
    """An installed distribution as importlib.metadata finds it on sys.path."""
    package = root / "acme_hub_plugin"
    package.mkdir()
    (package / "__init__.py").write_text(
        textwrap.dedent(
            """\
            from typing import Literal

            from hub.config.triggers import TriggerConfig
            from hub.plugins import TriggerKind


            class AcmeConfig(TriggerConfig):
                type: Literal["acme"]
                queue: str


            KIND = TriggerKind("acme", AcmeConfig, "acme_hub_plugin.source:build", extra=None)
            NOT_A_KIND = 42
            """
        )
    )
    dist = root / "acme_hub_plugin-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: acme-hub-plugin\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text(entry_points)


@pytest.fixture
def acme(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _distribution(
        tmp_path,
        "[triggerhub.triggers]\n"
        "acme = acme_hub_plugin:KIND\n"
        "wrong = acme_hub_plugin:NOT_A_KIND\n"
        "gone = acme_hub_plugin_missing:KIND\n",
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    yield
    for name in [m for m in sys.modules if m.startswith("acme_hub_plugin")]:
        del sys.modules[name]


@pytest.mark.usefixtures("acme")
def test_an_entry_point_registers_a_third_party_kind() -> None:
    fresh = Registry()
    fresh.load_entry_points()
    assert "acme" in fresh.kinds()
    doc = load_text(
        FUNCTIONS + "triggers:\n  t: {type: acme, function: f, queue: jobs}\n",
        env={},
        registry=fresh,
    )
    assert type(doc.triggers["t"]).__name__ == "AcmeConfig"


@pytest.mark.usefixtures("acme")
def test_broken_entry_points_are_reported_not_fatal() -> None:
    fresh = Registry()
    fresh.load_entry_points()
    assert set(fresh.broken) == {"wrong", "gone"}
    assert "is not a TriggerKind" in fresh.broken["wrong"]
    assert "No module named 'acme_hub_plugin_missing'" in fresh.broken["gone"]
    with pytest.raises(ConfigError) as caught:
        load_text(
            FUNCTIONS + "triggers:\n  t: {type: gone, function: f}\n",
            "c.yaml",
            env={},
            registry=fresh,
        )
    assert str(caught.value).startswith(
        "c.yaml:4:13: triggers.t.type: trigger type 'gone' failed to load: "
        "entry point acme_hub_plugin_missing:KIND: ModuleNotFoundError("
    )


@pytest.mark.usefixtures("acme")
def test_entry_points_are_loaded_once() -> None:
    fresh = Registry()
    fresh.load_entry_points()
    generation = fresh.generation
    fresh.load_entry_points()
    assert fresh.generation == generation


def test_builtins_register_on_import_and_a_broken_one_is_reported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "fake_builtins"
    (root / "good").mkdir(parents=True)
    (root / "bad").mkdir()
    (root / "__init__.py").write_text("")
    (root / "good" / "__init__.py").write_text("LOADED = True\n")
    (root / "bad" / "__init__.py").write_text("import aiokafka_that_is_not_here\n")
    (root / "helpers.py").write_text("raise RuntimeError('modules are not plugins')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    fresh = Registry()
    try:
        load_builtins(fresh, "fake_builtins")
        assert sys.modules["fake_builtins.good"].LOADED is True
        assert list(fresh.broken) == ["bad"]
        assert "aiokafka_that_is_not_here" in fresh.broken["bad"]
    finally:
        for name in [m for m in sys.modules if m.startswith("fake_builtins")]:
            del sys.modules[name]


def test_the_default_registry_is_the_shared_one() -> None:
    assert default_registry() is registry
    assert default_registry() is registry
