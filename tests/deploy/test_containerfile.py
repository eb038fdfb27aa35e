"""deploy/Containerfile, read as the builder reads it (no image can be built in the suite): a
build stage and a final stage that gets only the built virtualenv, runs as the numeric
non-root user the Kubernetes manifests expect, and installs no compiler."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CONTAINERFILE = ROOT / "deploy" / "Containerfile"
COMPILERS = re.compile(r"\b(gcc|g\+\+|clang|build-essential|make|cargo|rustc)\b")


def stages() -> list[list[str]]:
    """Instructions per stage, continuation lines joined, comments dropped."""
    text = re.sub(r"\\\n\s*", " ", CONTAINERFILE.read_text())
    found: list[list[str]] = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.upper().startswith("FROM "):
            found.append([])
        found[-1].append(line)
    return found


def test_the_image_is_multi_stage_and_the_final_stage_only_copies_the_build() -> None:
    *builders, final = stages()
    assert builders, "a single stage ships its build tools"
    build_name = builders[-1][0].split()[-1]
    assert final[0].split()[1] == builders[0][0].split()[1]  # the same slim base
    assert any(line.startswith(f"COPY --from={build_name} ") for line in final)
    assert not any(line.startswith("RUN pip") or " pip install" in line for line in final)
    assert not any(COMPILERS.search(line) for line in final if line.startswith("RUN"))


def test_the_final_stage_runs_as_a_numeric_non_root_user() -> None:
    final = stages()[-1]
    users = [line.split()[1] for line in final if line.startswith("USER ")]
    assert users, "no USER: the image would run as root"
    uid, _, gid = users[-1].partition(":")
    assert uid.isdigit() and int(uid) != 0 and (not gid or int(gid) != 0)
    assert final[-1].startswith("ENTRYPOINT ")
