"""One notification record (AWS S3, MinIO or Huawei OBS shape) read into the fields every
provider shares. Pure: no I/O.

The providers differ in small ways this module absorbs: OBS puts bucket and object under `obs`
and the region in `eventRegion`; MinIO prefixes event names with `s3:` and may send an empty
region; all of them URL-encode the object key (spaces as `+`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote_plus

S3_PREFIX = "s3:"


class NotANotification(ValueError):
    """The message is not an object-storage notification; the text says what is wrong."""


@dataclass(frozen=True, slots=True)
class ObjectRecord:
    bucket: str
    key: str  # URL-decoded
    event_name: str  # without the `s3:` prefix: ObjectCreated:Put
    event_time: str | None
    size: int | None
    etag: str | None
    version_id: str | None
    sequencer: str | None
    region: str | None
    event_source: str | None
    raw: Mapping[str, Any]


def strip_s3(name: str) -> str:
    return name[len(S3_PREFIX) :] if name.startswith(S3_PREFIX) else name


def read_record(raw: object, where: str) -> ObjectRecord:
    if not isinstance(raw, dict):
        raise NotANotification(f"{where} is not a JSON object")
    label = "obs" if "s3" not in raw and "obs" in raw else "s3"
    entity = raw.get(label)
    if not isinstance(entity, dict):
        raise NotANotification(f"{where} has no 's3' (or 'obs') object")
    here = f"{where}.{label}"
    bucket = _text(_mapping(entity, "bucket", here).get("name"), f"{here}.bucket.name")
    obj = _mapping(entity, "object", here)
    key = _text(obj.get("key"), f"{here}.object.key")
    name = _text(raw.get("eventName"), f"{where}.eventName")
    return ObjectRecord(
        bucket=bucket,
        key=unquote_plus(key),
        event_name=strip_s3(name),
        event_time=_optional_text(raw.get("eventTime")),
        size=_size(obj.get("size")),
        etag=_optional_text(obj.get("eTag", obj.get("etag"))),
        version_id=_optional_text(obj.get("versionId")),
        sequencer=_optional_text(obj.get("sequencer")),
        region=_optional_text(raw.get("awsRegion", raw.get("eventRegion"))),
        event_source=_optional_text(raw.get("eventSource")),
        raw=raw,
    )


def _mapping(entity: Mapping[str, Any], name: str, where: str) -> Mapping[str, Any]:
    value = entity.get(name)
    if not isinstance(value, dict):
        raise NotANotification(f"{where}.{name} is not a JSON object")
    return value


def _text(value: object, where: str) -> str:
    if not isinstance(value, str) or not value:
        raise NotANotification(f"{where} must be a non-empty string")
    return value


def _optional_text(value: object) -> str | None:
    # MinIO sends "" for an unset region; "" carries no more than an absent field.
    return value if isinstance(value, str) and value else None


def _size(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isdigit():  # some gateways send the size as text
        return int(value)
    return None
