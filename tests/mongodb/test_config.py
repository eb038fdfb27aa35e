"""The mongodb trigger's options as an operator writes them, through the real triggers-file
loader: defaults, scopes, and the errors a wrong file gets (with its file:line:column)."""

from __future__ import annotations

import re

import pytest

from hub.config.loader import load_text
from hub.errors import ConfigError
from hub.plugins import Registry, default_registry
from triggers.mongodb import MongoTriggerConfig

HEAD = "functions:\n  f: {target: {type: python, handler: 'a:b'}}\ntriggers:\n  t:\n"
URI = "uri: 'mongodb://db1:27017/?replicaSet=rs0'"


def load(body: str, registry: Registry, env: dict[str, str] | None = None) -> MongoTriggerConfig:
    doc = load_text(HEAD + body, "c.yaml", env=env or {}, registry=registry)
    config = doc.triggers["t"]
    assert isinstance(config, MongoTriggerConfig)
    return config


def fields(extra: str, registry: Registry) -> MongoTriggerConfig:
    """The trigger on one line (line 5), with a valid uri unless `extra` gives one."""
    items = ["type: mongodb", "function: f"]
    if not extra.startswith("uri:"):
        items.append(URI)
    if extra:
        items.append(extra)
    return load(f"    {{{', '.join(items)}}}\n", registry)


def error(extra: str, registry: Registry) -> str:
    with pytest.raises(ConfigError) as caught:
        fields(extra, registry)
    message = str(caught.value)
    # Every mistake is reported with where it is: the file, line 5 (the trigger's), a column.
    assert re.search(r"c\.yaml:[45]:\d+: triggers\.t", message), message
    return message


def test_a_minimal_trigger_gets_the_defaults(registry: Registry) -> None:
    config = fields("", registry)
    assert config.uri == "mongodb://db1:27017/?replicaSet=rs0"
    assert config.function == ["f"]
    assert (config.database, config.collection, config.operation_types, config.pipeline) == (
        None,
        None,
        None,
        None,
    )
    assert (config.full_document, config.full_document_before_change) == ("default", "off")
    assert (config.batching, config.ordering) == (None, "none")
    assert (config.start, config.start_seconds()) == ("now", None)
    assert (config.on_history_lost, config.on_invalidate) == ("fail", "end")
    assert (config.max_await, config.connect_timeout) == (1.0, 10.0)


def test_every_option(registry: Registry) -> None:
    config = load(
        "    type: mongodb\n"
        "    function: [f]\n"
        "    uri: mongodb+srv://cluster0.example.net/\n"
        "    database: shop\n"
        "    collection: orders\n"
        "    operation_types: [insert, update, dropDatabase]\n"
        "    pipeline:\n"
        "      - $match: {fullDocument.placed: {$gte: {$date: '2024-01-01T00:00:00Z'}}}\n"
        "      - $project: {_id: 1, fullDocument: 1, operationType: 1}\n"
        "      - $addFields: {seen: true}\n"
        "    full_document: updateLookup\n"
        "    full_document_before_change: required\n"
        "    batching: {max_size: 10000, max_wait: 500ms}\n"
        "    ordering: document\n"
        "    start: '2024-01-11T19:06:40Z'\n"
        "    on_history_lost: start_now\n"
        "    on_invalidate: continue\n"
        "    max_await: 2s\n"
        "    connect_timeout: 1m\n",
        registry,
    )
    assert config.operation_types == ["insert", "update", "dropDatabase"]
    assert config.pipeline is not None and len(config.pipeline) == 3
    assert config.pipeline[0] == {
        "$match": {"fullDocument.placed": {"$gte": {"$date": "2024-01-01T00:00:00Z"}}}
    }
    assert (config.full_document, config.full_document_before_change) == (
        "updateLookup",
        "required",
    )
    assert config.batching is not None and config.ordering == "document"
    batching = config.batching
    # With ordering, a batch holds one ordering key's changes (the trigger's, in change order).
    assert (batching.max_size, batching.max_wait, batching.key) == (10000, 0.5, "orderingkey")
    assert config.start_seconds() == 1_705_000_000
    assert (config.on_history_lost, config.on_invalidate) == ("start_now", "continue")
    assert (config.max_await, config.connect_timeout) == (2.0, 60.0)


def test_the_uri_may_come_from_the_environment(registry: Registry) -> None:
    config = load(
        "    {type: mongodb, function: f, uri: '${MONGO_URI}'}\n",
        registry,
        env={"MONGO_URI": "mongodb://app:secret@db1/"},
    )
    assert config.uri == "mongodb://app:secret@db1/"


@pytest.mark.parametrize(
    ("extra", "scope", "namespace"),
    [
        ("database: shop, collection: orders", "collection", "shop.orders"),
        ("database: shop", "database", "shop"),
        ("", "cluster", "*"),
    ],
)
def test_scope(registry: Registry, extra: str, scope: str, namespace: str) -> None:
    config = fields(extra, registry)
    assert config.scope == scope
    assert config.namespace == namespace


def test_start_offsets_are_honoured(registry: Registry) -> None:
    assert fields("start: '2024-01-11T21:06:40+02:00'", registry).start_seconds() == 1_705_000_000
    # Unquoted, YAML reads a timestamp; it is still accepted.
    assert fields("start: 2024-01-11T19:06:40Z", registry).start_seconds() == 1_705_000_000


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        ("collection: orders", "triggers.t: collection needs database"),
        ("uri: 'http://db1'", "triggers.t.uri: uri must start with mongodb:// or mongodb+srv://"),
        ("uri: 'db1:27017'", "triggers.t.uri: uri must start with mongodb://"),
        ("uri: ''", "triggers.t.uri"),
        ("operation_types: [insert, upsert]", "triggers.t.operation_types[1]"),
        ("operation_types: []", "triggers.t.operation_types"),
        ("batch: {size: 0}", "triggers.t.batching.max_size: must be at least 1; got 0"),
        ("batch: {size: 10001}", "triggers.t.batching.max_size: must be at most 10000; got"),
        ("batching: {key: data.x}, ordering: document", "leave `batching.key` out"),
        ("start: yesterday", "triggers.t.start: start 'yesterday' is not `now` or an RFC 3339"),
        ("start: '2024-13-01T00:00:00Z'", "triggers.t.start: start '2024-13-01T00:00:00Z' is not"),
        (
            "start: '2024-01-01T00:00:00'",
            "triggers.t.start: start '2024-01-01T00:00:00' needs a time zone",
        ),
        ("start: '2024-01-01'", "triggers.t.start: start '2024-01-01' needs a time zone"),
        ("batch: {size: 2, window: 5x}", "triggers.t.batching.max_wait: '5x' is not a duration"),
        ("batch: {size: 2, window: 2h}", "triggers.t.batching.max_wait: must be at most 3600"),
        ("max_await: 0", "triggers.t.max_await"),
        ("full_document: always", "triggers.t.full_document"),
        ("ordering: key", "triggers.t.ordering"),
        ("on_invalidate: restart", "triggers.t.on_invalidate"),
        ("batch_sise: 5", "triggers.t.batch_sise: unknown key 'batch_sise'"),
        ("colection: orders", "triggers.t.colection: unknown key 'colection'"),
    ],
)
def test_mistakes_name_the_field_and_the_reason(
    registry: Registry, extra: str, expected: str
) -> None:
    assert expected in error(extra, registry)


def test_the_error_points_at_the_line_of_the_field(registry: Registry) -> None:
    body = (
        "    type: mongodb\n"
        "    function: f\n"
        "    uri: mongodb://db1\n"
        "    database: shop\n"  # line 8
        "    pipeline:\n"
        "      - $match: {a: 1}\n"
        "      - $unset: [a, _id]\n"
        "    batch: {size: 0}\n"  # line 12
    )
    with pytest.raises(ConfigError) as caught:
        load(body, registry)
    message = str(caught.value)
    assert re.search(
        r"c\.yaml:12:\d+: triggers\.t\.batching\.max_size: must be at least 1", message
    )
    assert re.search(r"c\.yaml:9:\d+: triggers\.t\.pipeline: pipeline\[1\]: \$unset", message)


def test_an_unknown_option_lists_the_known_ones(registry: Registry) -> None:
    message = error("batch_sise: 5", registry)
    assert "batch" in message and "operation_types" in message


def test_an_unknown_operation_type_lists_the_known_ones(registry: Registry) -> None:
    message = error("operation_types: [insert, upsert]", registry)
    assert "'upsert'" in message and "'dropDatabase'" in message


@pytest.mark.parametrize(
    ("pipeline", "expected"),
    [
        ("[{$lookup: {from: x}}]", "pipeline[0]: '$lookup' is not allowed in a change stream"),
        (
            "[{$match: {a: 1}}, {$group: {_id: $a}}]",
            "pipeline[1]: '$group' is not allowed in a change stream",
        ),
        ("[{$out: x}]", "pipeline[0]: '$out' is not allowed"),
        ("[{$project: {_id: 0}}]", "pipeline[0]: $project must not change `_id`"),
        ("[{$project: {_id: false, a: 1}}]", "pipeline[0]: $project must not change `_id`"),
        ("[{$project: {_id: $fullDocument._id}}]", "pipeline[0]: $project must not change `_id`"),
        ("[{$unset: _id}]", "pipeline[0]: $unset must not change `_id`"),
        ("[{$match: {a: 1}}, {$unset: [a, _id]}]", "pipeline[1]: $unset must not change `_id`"),
        ("[{$set: {_id: x}}]", "pipeline[0]: $set must not change `_id`"),
        ("[{$addFields: {_id: {a: 1}}}]", "pipeline[0]: $addFields must not change `_id`"),
        ("[{$set: {_id._data: x}}]", "pipeline[0]: $set must not change `_id`"),
        ("[{$unset: _id._data}]", "pipeline[0]: $unset must not change `_id`"),
        ("[{$project: {_id._data: 0}}]", "pipeline[0]: $project must not change `_id`"),
        (
            "[{$replaceRoot: {newRoot: $fullDocument}}]",
            "pipeline[0]: $replaceRoot must not change `_id`",
        ),
        ("[{$replaceWith: $fullDocument}]", "pipeline[0]: $replaceWith must not change `_id`"),
        ("[{$replaceWith: {_id: 1, d: $fullDocument}}]", "$replaceWith must not change `_id`"),
        (
            "[{$match: {a: 1}, $project: {a: 1}}]",
            "pipeline[0] must have exactly one stage operator",
        ),
        ("[{}]", "pipeline[0] must have exactly one stage operator"),
    ],
)
def test_pipeline_mistakes(registry: Registry, pipeline: str, expected: str) -> None:
    message = error(f"pipeline: {pipeline}", registry)
    assert "triggers.t.pipeline" in message
    assert expected in message


def test_a_disallowed_stage_message_lists_the_allowed_ones(registry: Registry) -> None:
    message = error("pipeline: [{$lookup: {from: x}}]", registry)
    assert "$match" in message and "$replaceWith" in message and "$unset" in message


def test_removing_id_explains_why(registry: Registry) -> None:
    assert "resume token" in error("pipeline: [{$project: {_id: 0}}]", registry)


@pytest.mark.parametrize(
    "pipeline",
    [
        "[{$project: {_id: 1, operationType: 1, fullDocument: 1}}]",
        "[{$project: {_id: true, fullDocument.total: 1}}]",
        "[{$project: {fullDocument: 1}}]",
        "[{$unset: fullDocument.secret}]",
        "[{$unset: [fullDocument.a, fullDocument.b]}]",
        "[{$set: {fullDocument.seen: true}}]",
        "[{$addFields: {kind: $operationType}}]",
        "[{$match: {_id: {$exists: true}}}]",
        "[{$redact: $$KEEP}]",
        "[{$replaceWith: {_id: $_id, operationType: $operationType, doc: $fullDocument}}]",
        "[{$replaceRoot: {newRoot: {_id: $_id, doc: $fullDocument}}}]",
        "[]",
    ],
)
def test_pipelines_that_keep_id_are_accepted(registry: Registry, pipeline: str) -> None:
    config = fields(f"pipeline: {pipeline}", registry)
    assert config.pipeline is not None


def test_the_builtin_registry_has_it() -> None:
    assert default_registry().get("mongodb").config_model is MongoTriggerConfig


# -- the old spellings of batching -------------------------------------------------------------


def test_the_old_batch_spellings_still_work_and_say_how_they_read_today(
    registry: Registry,
) -> None:
    doc = load_text(
        HEAD + f"    type: mongodb\n    function: f\n    {URI}\n"
        "    batch_size: 50\n    batch_window: 250ms\n",
        "c.yaml",
        env={},
        registry=registry,
    )
    config = doc.triggers["t"]
    assert isinstance(config, MongoTriggerConfig) and config.batching is not None
    assert (config.batching.max_size, config.batching.max_wait) == (50, 0.25)
    written = "deprecated spelling; write `batching.{}` instead"
    assert [n.split(" (")[0] for n in doc.notices] == [
        f"c.yaml:8:5: triggers.t.batch_size: {written.format('max_size')}",
        f"c.yaml:9:5: triggers.t.batch_window: {written.format('max_wait')}",
    ]


@pytest.mark.parametrize(
    ("written", "size", "wait"),
    [
        ("batch: true", 100, 0.05),
        ("batch: {size: 7}", 7, 0.05),
        ("batch: {size: 7, window: 2s}", 7, 2.0),
    ],
)
def test_the_trigger_batch_is_its_batching(
    registry: Registry, written: str, size: int, wait: float
) -> None:
    config = fields(written, registry)
    assert config.batching is not None
    assert (config.batching.max_size, config.batching.max_wait) == (size, wait)


def test_an_old_batch_size_of_one_is_no_batch(registry: Registry) -> None:
    config = fields("batch_size: 1, batch_window: 1s", registry)
    assert config.batching is None


def test_a_problem_with_an_old_spelling_points_at_what_was_written(registry: Registry) -> None:
    message = error("batch_size: 0", registry)
    assert "triggers.t.batching.max_size: must be at least 1; got 0" in message
    assert (
        "triggers.t.batch_size: deprecated spelling; write `batching.max_size` instead" in message
    )


def test_both_spellings_at_once_are_refused(registry: Registry) -> None:
    message = error("batch_size: 5, batch: {size: 5}", registry)
    assert "give `batching` only: `batch` is its deprecated spelling" in message
