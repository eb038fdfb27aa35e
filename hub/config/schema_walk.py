"""Which keys a model accepts at an error location: walks the validated types along the
location (fields, dict values, list items, union members picked by their tag)."""

from __future__ import annotations

from types import NoneType, UnionType
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel, RootModel, Tag


def expected_keys(root: type[BaseModel], loc: tuple[Any, ...]) -> list[str]:
    model = _model(_follow(root, loc))
    if model is None or issubclass(model, RootModel):
        return []
    return sorted(info.alias or name for name, info in model.model_fields.items())


def _follow(tp: Any, loc: tuple[Any, ...]) -> Any:
    for part in loc:
        tp = _pick(_strip(tp), part)
        if tp is None:
            return None
    return tp


def _pick(tp: Any, part: Any) -> Any:
    members = _members(tp)
    if members is not None:
        tagged = [m for m in members if _tag_of(m) == part]
        if tagged:
            return tagged[0]
        real = [m for m in members if m is not NoneType]
        return _pick(_strip(real[0]), part) if len(real) == 1 else None
    if isinstance(tp, type) and issubclass(tp, RootModel):
        return _pick(_strip(tp.model_fields["root"].annotation), part)
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        for name, info in tp.model_fields.items():
            if part in (name, info.alias):
                return info.annotation
        return None
    origin, args = get_origin(tp), get_args(tp)
    if origin is dict:
        return args[1]
    if origin is list and isinstance(part, int):
        return args[0]
    return None


def _members(tp: Any) -> tuple[Any, ...] | None:
    return get_args(tp) if get_origin(tp) in (Union, UnionType) else None


def _tag_of(member: Any) -> Any:
    if get_origin(member) is Annotated:
        for meta in member.__metadata__:
            if isinstance(meta, Tag):
                return meta.tag
    model = _strip(member)
    if isinstance(model, type) and issubclass(model, BaseModel) and "type" in model.model_fields:
        annotation = model.model_fields["type"].annotation
        if get_origin(annotation) is Literal:
            return get_args(annotation)[0]
    return None


def _strip(tp: Any) -> Any:
    while get_origin(tp) is Annotated:
        tp = get_args(tp)[0]
    return tp


def _model(tp: Any) -> type[BaseModel] | None:
    tp = _strip(tp)
    members = _members(tp)
    if members is not None:
        real = [m for m in members if m is not NoneType]
        tp = _strip(real[0]) if len(real) == 1 else None
    return tp if isinstance(tp, type) and issubclass(tp, BaseModel) else None
