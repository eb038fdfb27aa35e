"""Trigger filters: which events reach the functions, matched on CloudEvents attributes and on
fields of `data`, validated as typed models and compiled once into a predicate.

    filter:
      all:
        - {attribute: type, prefix: com.example.order.}
        - any: [{attribute: subject, suffix: .jpg}, {attribute: subject, suffix: .png}]
        - not: {field: data.test, exact: true}

A mapping of selectors is shorthand for `all` of them, and a scalar stands for `exact`:

    filter: {type: {prefix: com.example.order.}, data.user.id: 7}
"""

from hub.filters.compile import Predicate, compile_filter
from hub.filters.model import Condition, Filter, FilterNode

__all__ = ["Condition", "Filter", "FilterNode", "Predicate", "compile_filter"]
