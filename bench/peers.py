"""The hub beside the task queues a user would otherwise pick, through the shared peer protocol:
`python -m bench.peers [--quick]` runs the shared harness's `run.sh` with this checkout as the
hub (its `.venv`), prints the harness's table, then the hub's rows with the ratios the
throughput goals are stated in (bench/README.md).

The harness lives outside the repository (`../shared/bench/peers`, or `--peers DIR`, or
TRIGGERHUB_PEERS_DIR) and needs its own setup once (`setup.sh`: brokers and the peers' venvs).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
# The harness's own venvs: run.sh refuses to start without them.
PEERS_VENVS = (Path("/tmp/peers/venv/bin/python"), Path("/tmp/peers/venv-arq/bin/python"))
DEFAULT_ONLY = "hub|huey|dramatiq"
HUEY = "huey-sqlite-thread2"
DRAMATIQ = "dramatiq-rmq-2x1"
QUICK_N = 2_000


class SetupError(Exception):
    """Something the harness needs is missing; the message says what to do."""


def find_harness(given: str | None) -> Path:
    candidates = (
        [Path(given)]
        if given
        else [ROOT.parent / "shared/bench/peers", ROOT.parent.parent / "shared/bench/peers"]
    )
    for candidate in candidates:
        if (candidate / "run.sh").is_file() and (candidate / "peer_hub.py").is_file():
            return candidate.resolve()
    tried = ", ".join(str(c) for c in candidates)
    raise SetupError(
        f"the shared peer harness is not there (looked for run.sh and peer_hub.py in {tried}); "
        "give its folder with --peers DIR or TRIGGERHUB_PEERS_DIR"
    )


def check_ready(harness: Path) -> None:
    missing = [str(p) for p in PEERS_VENVS if not p.exists()]
    if missing:
        raise SetupError(
            f"the peers' setup has not run ({', '.join(missing)} missing): "
            f"run `bash {harness / 'setup.sh'}` once (apt brokers and two venvs, a few minutes)"
        )
    if not (ROOT / ".venv/bin/triggerhub").exists():
        raise SetupError(
            f"this checkout has no .venv with triggerhub ({ROOT / '.venv'}): "
            "run scripts/run or scripts/test once"
        )


def run_harness(harness: Path, out: Path, n: int | None, only: str) -> None:
    env = dict(os.environ, BENCH_HUB_PROJECT=str(ROOT), BENCH_ONLY=only)
    if n is not None:
        env["BENCH_N"] = str(n)
    # Progress goes to stderr as the harness writes it; its table to stdout.
    subprocess.run(["bash", str(harness / "run.sh"), str(out)], env=env, check=True)


def hub_rows(results: dict[str, Any]) -> str:
    peers = {p["label"]: p for p in results["peers"]}
    e2e = {label: p.get("e2e", {}).get("per_s") for label, p in peers.items()}
    lines = [
        "",
        "| hub config | e2e/s | vs Huey | vs Dramatiq (no confirms) | daemon CPU µs/inv "
        "| producer µs/inv | paced 200/s p50 / p99 ms | ok |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for label, peer in peers.items():
        if not label.startswith("hub-"):
            continue
        e, paced = peer.get("e2e", {}), peer.get("paced", {})
        # The e2e phase may stop at its time cap short of N: CPU is per invocation it ran.
        n = e.get("completed") or peer.get("n") or 1
        lines.append(
            f"| {label} | {_num(e.get('per_s'))} | {_ratio(e.get('per_s'), e2e.get(HUEY))} "
            f"| {_ratio(e.get('per_s'), e2e.get(DRAMATIQ))} "
            f"| {_num(_per_inv(e, ('cpu_s_workers', 'cpu_s_broker'), n))} "
            f"| {_num(_per_inv(e, ('cpu_s_producer',), n))} "
            f"| {_num(paced.get('p50_ms'), 2)} / {_num(paced.get('p99_ms'), 2)} "
            f"| {'yes' if peer.get('ok') else peer.get('error', 'no')} |"
        )
    return "\n".join(lines)


def _per_inv(e2e: dict[str, Any], keys: tuple[str, ...], n: int) -> float | None:
    values = [e2e.get(k) for k in keys]
    if any(v is None for v in values):
        return None
    return sum(values) / n * 1e6  # type: ignore[arg-type]


def _num(value: float | None, digits: int = 0) -> str:
    return "-" if value is None else f"{value:,.{digits}f}"


def _ratio(value: float | None, base: float | None) -> str:
    return "-" if not value or not base else f"{value / base:.2f}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help=f"N = {QUICK_N:,} (a smoke run)")
    parser.add_argument("--n", type=int, help="invocations per config (the harness's BENCH_N)")
    parser.add_argument("--only", default=DEFAULT_ONLY, help="regex on the config labels")
    parser.add_argument("--peers", default=os.environ.get("TRIGGERHUB_PEERS_DIR"))
    parser.add_argument("--out", type=Path, help="keep the merged results JSON here")
    args = parser.parse_args(argv)
    try:
        harness = find_harness(args.peers)
        check_ready(harness)
    except SetupError as exc:
        print(f"bench.peers: {exc}", file=sys.stderr)
        return 2
    n = args.n or (QUICK_N if args.quick else None)
    with tempfile.TemporaryDirectory() as tmp:
        out = args.out or Path(tmp) / "results.json"
        try:
            run_harness(harness, out, n, args.only)
        except subprocess.CalledProcessError as exc:
            print(f"bench.peers: the harness failed (exit {exc.returncode})", file=sys.stderr)
            return 1
        results = json.loads(out.read_text())
    print(hub_rows(results))
    print(f"\nload average at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
