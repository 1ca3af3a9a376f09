"""``python -m bench``: install what is missing, run the suite, write the report.

Results go to ``bench/results/<UTC timestamp>/`` (git-ignored): results.json (every sample),
results.md (medians, ratios, targets) and chart.png.
"""

from __future__ import annotations

import argparse
import signal
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from bench.install import BENCH_DIR, ensure_all

PEERS = ("s3gate", "moto", "s3rver", "nginx")
METADATA = ("sqlite", "postgres")


def parse(argv: list[str] | None) -> argparse.Namespace:
    from bench.suite import WORKLOADS

    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true",
                        help="smoke run: 1 round, 2 s load runs, small sizes (about 3 minutes)")
    parser.add_argument("--rounds", type=int, help="interleaved rounds (default 3, quick 1)")
    parser.add_argument("--duration", type=float, help="seconds per small-object load run (default 4, quick 2)")
    parser.add_argument("--peers", default=",".join(PEERS), help=f"comma-separated subset of {','.join(PEERS)}")
    parser.add_argument("--baseline", type=Path, metavar="CHECKOUT",
                        help="also run another checkout of s3gate (with its own .venv) as the peer 'baseline', "
                        "to measure a change before and after in one run")
    parser.add_argument("--workers", default="1",
                        help="s3gate --workers; a comma list (1,2) benchmarks each as s3gate-wN")
    parser.add_argument("--metadata", default="sqlite",
                        help="s3gate's metadata: sqlite, postgres (a fresh database on the machine's PostgreSQL for "
                        "each start), or both (sqlite,postgres: each s3gate also runs as <name>-pg, side by side)")
    parser.add_argument("--workloads", default=",".join(w for w in WORKLOADS if w != "profile"),
                        help=f"comma-separated subset of {','.join(WORKLOADS)}")
    parser.add_argument("--profile", action="store_true", help="also py-spy s3gate under 4 KiB GET/HEAD/PUT")
    parser.add_argument("--out", type=Path, help="results directory (default bench/results/<UTC timestamp>)")
    parser.add_argument("--no-install", action="store_true", help="skip the check for wrk, nginx, s3rver, moto")
    parser.add_argument("--report", type=Path, metavar="DIR",
                        help="only re-render results.md and chart.png from DIR/results.json")
    return parser.parse_args(argv)


def _stop(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)  # unwinds through the suite's finally: servers stop, temp dirs go


def main(argv: list[str] | None = None) -> int:
    signal.signal(signal.SIGTERM, _stop)
    args = parse(argv)
    if args.report:
        import json

        from bench import report

        print(report.write(json.loads((args.report / "results.json").read_text()), args.report))
        return 0
    if not args.no_install:
        ensure_all()
    from dataclasses import replace

    from bench import peers, report, suite, workloads

    workers = tuple(int(w) for w in args.workers.split(","))
    chosen, metadata = args.peers.split(","), args.metadata.split(",")
    unknown = (set(chosen) - set(PEERS) | set(args.workloads.split(",")) - set(suite.WORKLOADS)
               | set(metadata) - set(METADATA))
    if unknown:
        print(f"bench: unknown peer, workload or metadata store: {', '.join(sorted(unknown))}", file=sys.stderr)
        return 2
    plan_peers: list[peers.Peer] = []
    for name in chosen:
        if name == "s3gate":
            plan_peers += [peers.s3gate(w, ("s3gate" if len(workers) == 1 else f"s3gate-w{w}")
                                        + ("-pg" if store == "postgres" else ""), metadata=store)
                           for w in workers for store in metadata]
        else:
            plan_peers.append({"moto": peers.moto, "s3rver": peers.s3rver, "nginx": peers.nginx}[name]())
    if args.baseline is not None:
        if not (args.baseline / ".venv" / "bin" / "s3gate").exists():
            print(f"bench: {args.baseline}/.venv/bin/s3gate not found (pip install -e the checkout into its .venv)",
                  file=sys.stderr)
            return 2
        plan_peers.append(peers.s3gate(workers[0], "baseline", checkout=args.baseline.resolve()))
    sizes = workloads.QUICK if args.quick else workloads.FULL
    if args.duration:
        sizes = replace(sizes, duration_s=args.duration)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    plan = suite.Plan(peers=plan_peers, workloads=frozenset(args.workloads.split(",")) | (
                          {"profile"} if args.profile else set()),
                      sizes=sizes, rounds=args.rounds or (1 if args.quick else 3),
                      out=args.out or BENCH_DIR / "results" / stamp, workers=workers)
    started = time.perf_counter()
    results = suite.run(plan)
    text = report.write(results, plan.out)
    print("\n" + text)
    print(f"\nwrote {plan.out}/results.md, results.json, chart.png in {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
