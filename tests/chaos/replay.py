"""Replay chaos runs outside pytest, with their own apiserver, fault proxy and fake ONTAP.

    python -m tests.chaos.replay schedule "create=[svm-create:answer-lostx1] delete=[svm-delete:lockedx2]"
    python -m tests.chaos.replay matrix svm-create:answer-lost lif-2-create:locked
    python -m tests.chaos.replay matrix            # every cell

Prints the table row and every broken invariant; the exit code is 1 when anything failed.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
from pathlib import Path

from hack.localenv.kube import LocalKubeApiServer
from ontap.fake.testing import FakeOntapServer
from tests.chaos.bed import ChaosServers
from tests.chaos.catalog import matrix
from tests.chaos.runner import TABLE_HEADER, Row, format_table, run_scenario
from tests.chaos.schedules import Schedule, run_schedule
from tests.harness.kube_faults import KubeFaultProxy


def _report(row: Row) -> None:
    print(row.line(), flush=True)
    for problem in row.problems:
        print(f"    {problem}", flush=True)


def main(argv: list[str] | None = None) -> int:
    """Run the given schedules or matrix cells and print their rows."""
    parser = argparse.ArgumentParser(prog="python -m tests.chaos.replay", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="what", required=True)
    schedule = sub.add_parser("schedule", help="run schedules printed by a failing hypothesis example")
    schedule.add_argument("schedules", nargs="+")
    cells = sub.add_parser("matrix", help="run matrix cells by id (all when none given)")
    cells.add_argument("ids", nargs="*")
    args = parser.parse_args(argv)

    workdir = Path(tempfile.mkdtemp(prefix="ontap-chaos-"))
    apiserver = LocalKubeApiServer(workdir / "kube")
    apiserver.start()
    rows: list[Row] = []
    try:
        apiserver.install_crds()
        with (
            KubeFaultProxy.for_apiserver(apiserver, workdir / "proxy") as proxy,
            FakeOntapServer(tls=False) as fake,
        ):
            servers = ChaosServers(apiserver, proxy, fake)
            print(TABLE_HEADER, flush=True)
            if args.what == "schedule":
                for text in args.schedules:
                    rows.append(asyncio.run(run_schedule(servers, Schedule.parse(text))))
                    _report(rows[-1])
            else:
                wanted = set(args.ids)
                for scenario in matrix():
                    if not wanted or scenario.id in wanted:
                        rows.append(asyncio.run(run_scenario(servers, scenario)))
                        _report(rows[-1])
    finally:
        apiserver.stop()
    print()
    print(format_table(rows))
    return 1 if any(row.problems for row in rows) else 0


if __name__ == "__main__":
    raise SystemExit(main())
