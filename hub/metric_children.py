"""A labelled metric's children, each looked up once.

prometheus_client's `labels()` validates and joins the values and takes the metric's lock on
every call; the hooks call it several times per invocation with the same few functions and
statuses, so each child is kept once found. The hub removes no children, so none goes stale."""

from __future__ import annotations

from typing import Generic, TypeVar

from prometheus_client import Counter, Histogram

M = TypeVar("M", Counter, Histogram)


class Children(Generic[M]):
    def __init__(self, metric: M) -> None:
        self._metric: M = metric
        self._children: dict[tuple[str, ...], M] = {}

    def __call__(self, *values: str) -> M:
        child = self._children.get(values)
        if child is None:
            child = self._children[values] = self._metric.labels(*values)
        return child
