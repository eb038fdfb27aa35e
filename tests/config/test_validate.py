"""`triggerhub validate` as an operator runs it: a real process, every problem of the file in one
run, python handlers imported the way the daemon imports them."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def validate(config: Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "hub", "validate", str(config)],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_every_problem_is_printed_handlers_included(tmp_path: Path) -> None:
    folder = tmp_path / "conf"
    (folder / "fns").mkdir(parents=True)
    (folder / "fns" / "__init__.py").write_text("")
    (folder / "fns" / "greet.py").write_text("def handle(event):\n    return 'hi'\n")
    (folder / "fns" / "broken.py").write_text("raise RuntimeError('needs DATABASE_URL')\n")
    config = folder / "triggers.yaml"
    config.write_text(
        textwrap.dedent(
            """\
            functions:
              greet:
                target: {type: python, handler: "fns.greet:handle"}
              gone:
                target: {type: python, handler: "fns.gone:handle"}
              nameless:
                target: {type: python, handler: "fns.greet:nothing"}
              broken:
                target: {type: python, handler: "fns.broken:handle"}
                retries: 3
            triggers:
              tick:
                type: timer
                function: [greet, missing]
                schedule: "@every 1m"
            """
        )
    )
    # Run from elsewhere: handlers are found next to the file, not in the working directory.
    done = validate(config, cwd=tmp_path)
    assert done.returncode == 1, done.stderr
    assert done.stdout == ""
    assert done.stderr.splitlines() == [
        f"{config}:5:37: functions.gone.target.handler: cannot import 'fns.gone': "
        "No module named 'fns.gone'",
        f"{config}:7:37: functions.nameless.target.handler: module 'fns.greet' has no callable "
        "'nothing'",
        f"{config}:9:37: functions.broken.target.handler: cannot import 'fns.broken': "
        "RuntimeError: needs DATABASE_URL",
        f"{config}:10:5: functions.broken.retries: unknown key 'retries'; expected one of: "
        "batching, cancel_on, concurrency, debounce, key_concurrency, max_event_age, "
        "max_retry_attempts, on_failure, on_success, priority, rate_limit, response_limit, "
        "retry_backoff, singleton, target, timeout",
        f"{config}:14:23: triggers.tick.function[1]: the trigger names function 'missing', "
        "which is not configured; configured functions: broken, gone, greet, nameless",
    ]


def test_the_example_validates_with_its_handler_imported(tmp_path: Path) -> None:
    done = validate(ROOT / "config" / "triggers.yaml", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"{ROOT / 'config' / 'triggers.yaml'}: ok (1 functions, 2 triggers)\n"


def test_an_old_spelling_passes_and_is_named_where_it_is_written(tmp_path: Path) -> None:
    config = tmp_path / "triggers.yaml"
    config.write_text(
        textwrap.dedent(
            """\
            functions:
              f: {target: {type: http, url: "http://127.0.0.1:9/f"}}
            triggers:
              orders:
                type: kafka
                function: f
                bootstrap_servers: kafka:9092
                group_id: hub
                topics: [orders]
                batch_size: 200
                max_record_bytes: 4096
              lines:
                type: log_stream
                function: f
                paths: /var/log/app.log
                batch_size: 50
            """
        )
    )
    done = validate(config, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"{config}: ok (1 functions, 2 triggers)\n"
    assert done.stderr.splitlines() == [
        f"{config}:10:5: triggers.orders.batch_size: deprecated spelling; write `read_size` "
        "instead (records per read)",
        f"{config}:11:5: triggers.orders.max_record_bytes: deprecated spelling; write "
        "`max_payload_bytes` instead",
        f"{config}:16:5: triggers.lines.batch_size: deprecated spelling; write `batch.size` "
        "instead",
    ]
