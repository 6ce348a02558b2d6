"""`python -m bench [step|audit|webhooks|concurrency|faults|live|redis|pgdown|all]`: print a table
of figures, each beside the baseline measured in the same run. Every benchmark runs in a
child process (Django is set up once per process, with its own temp OWM_VAR_DIR)."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from typing import Any

BENCHES = ["step", "audit", "webhooks", "concurrency", "faults", "live", "redis", "pgdown"]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument(
        "which",
        nargs="?",
        default="all",
        choices=["all", *BENCHES],
    )
    parser.add_argument("--database-url", help="PostgreSQL URL (the bench drops its schema!)")
    parser.add_argument(
        "--conversations", type=int, default=20, help="step: conversations per path"
    )
    parser.add_argument("--profile", action="store_true", help="step: print cProfile top entries")
    parser.add_argument(
        "--audit-sizes", default="10000,100000", help="audit: entry counts, small first"
    )
    parser.add_argument("--renders", type=int, default=30, help="audit: page renders per size")
    parser.add_argument("--deliveries", type=int, default=300, help="webhooks: deliveries")
    parser.add_argument("--threads", type=int, default=4, help="webhooks: client threads")
    parser.add_argument("--concurrency-runs", type=int, default=500, help="concurrency: runs")
    parser.add_argument("--workers", type=int, default=4, help="concurrency: worker processes")
    parser.add_argument(
        "--redis-url",
        help="concurrency: Redis, own db (default db 13); live, pgdown: Redis mode, own db "
        "(flushed)",
    )
    parser.add_argument("--kills", type=int, default=5, help="faults: worker SIGKILLs")
    parser.add_argument(
        "--faults-redis-url", default="redis://127.0.0.1:6379/12", help="faults: Redis (own db)"
    )
    parser.add_argument("--clients", type=int, default=50, help="live: websocket clients")
    parser.add_argument(
        "--turn-ms", type=int, default=0, help="live: model latency of each turn after the first"
    )
    parser.add_argument("--runs", type=int, default=5, help="live: runs the clients watch")
    parser.add_argument("--redis-runs", type=int, default=6, help="redis: runs")
    parser.add_argument("--redis-clients", type=int, default=12, help="redis: websocket clients")
    parser.add_argument(
        "--redis-down", type=float, default=5.0, help="redis: seconds Redis is down"
    )
    parser.add_argument(
        "--redis-concurrency", type=int, default=2, help="redis: worker pool processes"
    )
    parser.add_argument(
        "--redis-port", type=int, default=6391, help="redis: port of the bench's own redis-server"
    )
    parser.add_argument(
        "--pg-down", type=float, default=5.0, help="pgdown: seconds PostgreSQL is down"
    )
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    return parser


def _child(args: argparse.Namespace) -> dict[str, Any]:
    if args.which == "step":
        from bench.step import bench_step

        result = bench_step(conversations=args.conversations, database_url=args.database_url)
        if args.profile and result.profile:
            print(result.profile, file=sys.stderr)
        return {
            "rows": [
                [
                    f"per step ({result.database}, n={result.conversations} conversations)",
                    f"{result.baseline_ms:.2f} ms bare openai loop",
                    f"{result.owm_ms:.2f} ms OWM run",
                    f"{result.ratio:.2f}x",
                    "<= 1.20x",
                ],
                [
                    f"SQL queries per step ({result.database})",
                    "0 bare openai loop",
                    f"{result.queries_per_step:.1f}",
                    "-",
                    "-",
                ],
            ]
        }
    if args.which == "audit":
        from bench.audit_growth import bench_audit

        sizes = [int(s) for s in args.audit_sizes.split(",")]
        return {
            "rows": bench_audit(sizes=sizes, renders=args.renders, database_url=args.database_url)
        }
    if args.which == "webhooks":
        from bench.webhooks import bench_webhooks

        return {"rows": bench_webhooks(deliveries=args.deliveries, threads=args.threads)}
    if args.which == "concurrency":
        from bench.concurrency import bench_concurrency

        database_url = args.database_url or "postgres://postgres@127.0.0.1:5432/owm_bench"
        rows = bench_concurrency(
            runs=args.concurrency_runs,
            concurrency=args.workers,
            database_url=database_url,
            redis_url=args.redis_url or "redis://127.0.0.1:6379/13",
        )
        return {"rows": rows}
    if args.which == "faults":
        from bench.faults import bench_faults

        database_url = args.database_url or "postgres://postgres@127.0.0.1:5432/owm_bench_faults"
        return {
            "rows": bench_faults(
                kills=args.kills, database_url=database_url, redis_url=args.faults_redis_url
            )
        }
    if args.which == "live":
        from bench.live import bench_live

        rows = bench_live(
            clients=args.clients,
            turn_ms=args.turn_ms,
            runs=args.runs,
            redis_url=args.redis_url,
            database_url=args.database_url,
        )
        return {"rows": rows}
    if args.which == "redis":
        from bench.redis_restart import bench_redis

        database_url = args.database_url or "postgres://postgres@127.0.0.1:5432/owm_bench_redis"
        rows = bench_redis(
            runs=args.redis_runs,
            clients=args.redis_clients,
            down_s=args.redis_down,
            concurrency=args.redis_concurrency,
            database_url=database_url,
            redis_port=args.redis_port,
        )
        return {"rows": rows}
    if args.which == "pgdown":
        from bench.pg_down import bench_pg_down

        return bench_pg_down(down_s=args.pg_down, redis_url=args.redis_url)
    raise SystemExit(f"unknown benchmark {args.which}")


def _run_child(which: str, argv: list[str]) -> list[list[str]]:
    command = [sys.executable, "-m", "bench", which, "--child", *argv]
    done = subprocess.run(command, capture_output=True, text=True)  # noqa: S603
    if done.returncode != 0:
        sys.stderr.write(done.stderr)
        return [[which, "FAILED", "", "", f"exit {done.returncode}"]]
    if done.stderr.strip():
        sys.stderr.write(done.stderr)
    return json.loads(done.stdout.strip().splitlines()[-1])["rows"]


def _table(rows: list[list[str]]) -> str:
    header = ["figure", "baseline", "OWM", "ratio", "target"]
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(5)]
    line = lambda r: " | ".join(str(c).ljust(w) for c, w in zip(r, widths, strict=True))  # noqa: E731
    return "\n".join([line(header), "-+-".join("-" * w for w in widths), *map(line, rows)])


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    args = _parser().parse_args(argv)
    if args.child:
        print(json.dumps(_child(args)))
        return
    rest = [a for a in argv if a not in {"all", *BENCHES}]
    which = ["step", "audit", "webhooks"] if args.which == "all" else [args.which]
    rows: list[list[str]] = []
    for name in which:
        rows += _run_child(name, rest)
    print(_table(rows))


if __name__ == "__main__":
    main()
