"""Filter semantics: attributes, extensions and data fields; exact, prefix, suffix, exists;
all, any, not and the shorthand mapping."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import TypeAdapter

from hub.events import Event
from hub.filters import Filter, Predicate, compile_filter

ADAPTER: TypeAdapter[Any] = TypeAdapter(Filter)


def matcher(spec: Any) -> Predicate:
    return compile_filter(ADAPTER.validate_python(spec))


def ev(**kw: Any) -> Event:
    kw.setdefault("type", "com.example.order.created")
    kw.setdefault("source", "/shop")
    return Event(**kw)


ORDER = ev(subject="img/cat.jpg", data={"user": {"id": 7, "tags": ["a", "b"]}, "test": False})


def test_no_filter_matches_everything() -> None:
    assert compile_filter(None)(ORDER)


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ({"attribute": "type", "exact": "com.example.order.created"}, True),
        ({"attribute": "type", "exact": "com.example.order"}, False),
        ({"attribute": "type", "prefix": "com.example.order."}, True),
        ({"attribute": "type", "prefix": "org."}, False),
        ({"attribute": "subject", "suffix": ".jpg"}, True),
        ({"attribute": "subject", "prefix": "img/", "suffix": ".png"}, False),
        ({"attribute": "source", "exact": "/shop"}, True),
        ({"attribute": "subject", "exists": True}, True),
        ({"attribute": "dataschema", "exists": False}, True),
        ({"attribute": "dataschema", "exists": True}, False),
        ({"attribute": "dataschema", "exact": None}, False),
    ],
)
def test_attributes(spec: dict[str, Any], expected: bool) -> None:
    assert matcher(spec)(ORDER) is expected


def test_extension_attributes() -> None:
    event = ev(extensions={"region": "eu-west-1", "priority": 3})
    assert matcher({"attribute": "region", "prefix": "eu-"})(event)
    assert matcher({"attribute": "priority", "exact": 3})(event)
    assert not matcher({"attribute": "tenant", "exists": True})(event)
    assert not matcher({"attribute": "priority", "prefix": "3"})(event)  # not a string


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ({"field": "data.user.id", "exact": 7}, True),
        ({"field": "data.user.id", "exact": 7.0}, True),
        ({"field": "data.user.id", "exact": "7"}, False),
        ({"field": "data.test", "exact": False}, True),
        ({"field": "data.test", "exact": 0}, False),  # false is not 0
        ({"field": "data.user.tags.1", "exact": "b"}, True),
        ({"field": "data.user.tags.5", "exists": True}, False),
        ({"field": "data.user.name", "exists": False}, True),
        ({"field": "data.user.id.deeper", "exists": True}, False),
        ({"field": "data.user", "exact": {"id": 7, "tags": ["a", "b"]}}, True),
        ({"field": "data", "exists": True}, True),
    ],
)
def test_data_fields(spec: dict[str, Any], expected: bool) -> None:
    assert matcher(spec)(ORDER) is expected


def test_true_does_not_match_one() -> None:
    assert not matcher({"field": "data.flag", "exact": True})(ev(data={"flag": 1}))
    assert matcher({"field": "data.flag", "exact": True})(ev(data={"flag": True}))
    assert not matcher({"field": "data.n", "exact": 1})(ev(data={"n": True}))


def test_null_in_data_exists() -> None:
    event = ev(data={"x": None})
    assert matcher({"field": "data.x", "exists": True})(event)
    assert matcher({"field": "data.x", "exact": None})(event)


def test_missing_or_binary_data() -> None:
    assert not matcher({"field": "data.a", "exists": True})(ev(data=None))
    assert not matcher({"field": "data", "exists": True})(ev(data=None))
    assert not matcher({"field": "data.a", "exists": True})(ev(data=b"\x00raw"))


EXAMPLE = {
    "all": [
        {"attribute": "type", "prefix": "com.example.order."},
        {
            "any": [
                {"attribute": "subject", "suffix": ".jpg"},
                {"attribute": "subject", "suffix": ".png"},
            ]
        },
        {"not": {"field": "data.test", "exact": True}},
    ]
}


@pytest.mark.parametrize(
    ("event", "expected"),
    [
        (ev(subject="a.jpg", data={"test": False}), True),
        (ev(subject="a.png"), True),
        (ev(subject="a.gif"), False),
        (ev(subject="a.jpg", data={"test": True}), False),
        (ev(type="com.example.user.created", subject="a.jpg"), False),
        (ev(), False),
    ],
)
def test_all_any_not(event: Event, expected: bool) -> None:
    assert matcher(EXAMPLE)(event) is expected


def test_nested_combinations() -> None:
    spec = {"any": [{"not": {"any": [{"type": "a"}, {"type": "b"}]}}, {"data.vip": True}]}
    match = matcher(spec)
    assert match(ev(type="c"))
    assert not match(ev(type="a"))
    assert match(ev(type="a", data={"vip": True}))


def test_shorthand_is_all_of_its_selectors() -> None:
    match = matcher({"type": {"prefix": "com.example."}, "data.user.id": 7, "subject": "x"})
    assert match(ev(subject="x", data={"user": {"id": 7}}))
    assert not match(ev(subject="y", data={"user": {"id": 7}}))
    assert not match(ev(subject="x", data={"user": {"id": 8}}))


def test_shorthand_scalar_means_exact_and_mapping_means_operators() -> None:
    assert matcher({"subject": "img/cat.jpg"})(ORDER)
    assert matcher({"subject": {"suffix": ".jpg", "exists": True}})(ORDER)
    assert matcher({"data.test": {"exact": False}})(ORDER)


def test_single_filters_are_not_lists() -> None:
    with pytest.raises(ValueError, match="a filter is a mapping"):
        ADAPTER.validate_python([{"type": "a"}])


def test_a_condition_has_one_selector() -> None:
    with pytest.raises(ValueError, match="exactly one of 'attribute' or 'field'"):
        ADAPTER.validate_python({"attribute": "type", "field": "data.x", "exact": 1})
    with pytest.raises(ValueError, match="exactly one of 'attribute' or 'field'"):
        ADAPTER.validate_python({})
