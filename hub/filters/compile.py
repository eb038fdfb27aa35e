"""Compile a filter once into a predicate over events; matching costs a few closure calls."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hub.events import Event
from hub.filters.model import AllOf, AnyOf, Condition, FilterNode, NotOf, Operators, Shorthand

Predicate = Callable[[Event], bool]
Getter = Callable[[Event], Any]
MISSING: Any = object()
_CORE = frozenset(
    {"id", "source", "type", "specversion", "subject", "time", "datacontenttype", "dataschema"}
)


def compile_filter(node: FilterNode | None) -> Predicate:
    if node is None:
        return _always
    if isinstance(node, AllOf):
        parts = tuple(compile_filter(n) for n in node.all)
        return lambda event: all(p(event) for p in parts)
    if isinstance(node, AnyOf):
        parts = tuple(compile_filter(n) for n in node.any)
        return lambda event: any(p(event) for p in parts)
    if isinstance(node, NotOf):
        inner = compile_filter(node.not_)
        return lambda event: not inner(event)
    if isinstance(node, Shorthand):
        parts = tuple(_condition(selector_getter(name), ops) for name, ops in node.root.items())
        return lambda event: all(p(event) for p in parts)
    selector = node.attribute if node.attribute is not None else node.field
    assert selector is not None
    return _condition(selector_getter(selector), node)


def _always(_event: Event) -> bool:
    return True


def _condition(get: Getter, ops: Operators | Condition) -> Predicate:
    tests = tuple(_tests(ops))
    return lambda event: _all_hold(tests, get(event))


def _all_hold(tests: tuple[Callable[[Any], bool], ...], value: Any) -> bool:
    return all(test(value) for test in tests)


def _tests(ops: Operators) -> list[Callable[[Any], bool]]:
    tests: list[Callable[[Any], bool]] = []
    if "exact" in ops.model_fields_set:
        expected = ops.exact
        tests.append(lambda v: v is not MISSING and _equal(v, expected))
    if ops.prefix is not None:
        prefix = ops.prefix
        tests.append(lambda v: isinstance(v, str) and v.startswith(prefix))
    if ops.suffix is not None:
        suffix = ops.suffix
        tests.append(lambda v: isinstance(v, str) and v.endswith(suffix))
    if ops.exists is not None:
        wanted = ops.exists
        tests.append(lambda v: (v is not MISSING) is wanted)
    return tests


def _equal(value: Any, expected: Any) -> bool:
    # YAML `exact: true` must not match the number 1, nor `exact: 1` match true.
    if isinstance(value, bool) or isinstance(expected, bool):
        return type(value) is type(expected) and value == expected
    return bool(value == expected)


def selector_getter(selector: str) -> Getter:
    """What `selector` (`data.a.b`, an attribute or extension) reads of an event; MISSING
    when absent."""
    if selector == "data" or selector.startswith("data."):
        return _field_getter(tuple(selector.split(".")[1:]))
    if selector in _CORE:
        return lambda event: _present(getattr(event, selector))
    return lambda event: _present(event.extensions.get(selector))


def _present(value: Any) -> Any:
    # An unset CloudEvents attribute is None on Event; for matching it is absent.
    return MISSING if value is None else value


def _field_getter(path: tuple[str, ...]) -> Getter:
    def get(event: Event) -> Any:
        value = event.data
        if value is None:
            return MISSING
        for part in path:
            value = _child(value, part)
            if value is MISSING:
                break
        return value

    return get


def _child(value: Any, part: str) -> Any:
    if isinstance(value, dict):
        return value.get(part, MISSING)
    if isinstance(value, list) and part.isdigit() and int(part) < len(value):
        return value[int(part)]
    return MISSING
