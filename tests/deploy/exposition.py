"""What a daemon exports on /metrics, and which metrics PromQL expressions name."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from prometheus_client.parser import text_string_to_metric_families

# Suffixes the exposition format and PromQL add to a family's name, by family type.
SUFFIXES = {
    "counter": ("_total", "_created"),
    "histogram": ("_bucket", "_count", "_sum", "_created"),
    "summary": ("_count", "_sum", "_created"),
}
# Labels Prometheus adds to every scraped series, and the histogram bucket label.
TARGET_LABELS = frozenset({"instance", "job", "le"})
METRIC = re.compile(r"\btriggerhub_[a-z0-9_]+")
SELECTOR = re.compile(r"\b(triggerhub_[a-z0-9_]+)\s*\{([^}]*)\}")
MATCHER = re.compile(r"([a-zA-Z_][a-zA-Z0-9_]*)\s*(?:=~|!~|!=|=)")


@dataclass
class Family:
    name: str
    type: str
    labels: set[str] = field(default_factory=set)
    samples: int = 0


def families(text: str) -> dict[str, Family]:
    """Every family the exposition declares, with the label names its samples carry."""
    found: dict[str, Family] = {}
    for parsed in text_string_to_metric_families(text):
        family = found.setdefault(parsed.name, Family(parsed.name, parsed.type))
        for sample in parsed.samples:
            family.samples += 1
            family.labels.update(sample.labels)
    return found


def family_of(series: str, exported: dict[str, Family]) -> Family | None:
    """The exported family a series name in PromQL belongs to (`x_total` is counter `x`)."""
    if series in exported:
        return exported[series]
    for family in exported.values():
        for suffix in SUFFIXES.get(family.type, ()):
            if series == family.name + suffix:
                return family
    return None


def problems(expr: str, exported: dict[str, Family]) -> list[str]:
    """What in `expr` does not exist on /metrics: unknown triggerhub metrics, and label
    matchers on labels their family does not have."""
    found = []
    for series in sorted(set(METRIC.findall(expr))):
        if family_of(series, exported) is None:
            found.append(f"{series}: no such metric on /metrics")
    for series, matchers in SELECTOR.findall(expr):
        family = family_of(series, exported)
        if family is None or not family.samples:
            continue
        for label in MATCHER.findall(matchers):
            if label not in family.labels | TARGET_LABELS:
                found.append(f"{series}: no label {label!r} (it has {sorted(family.labels)})")
    return found


def unsampled(expr: str, exported: dict[str, Family]) -> list[str]:
    """Metrics `expr` names that the exercised daemon exported without a sample: their labels
    could not be checked against the expression's."""
    return [
        f"{series}: no sample on /metrics to check its labels against"
        for series in sorted(set(METRIC.findall(expr)))
        if (family := family_of(series, exported)) is not None and not family.samples
    ]
