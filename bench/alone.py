"""Us against the Oxigraph server with nothing else running: one server alive at a time, alternating.

The SPARQL mix (:mod:`bench.sparql_mix`) keeps four servers alive while it measures each (the Oxigraph server, us on
the embedded store, us on the remote store, later rdflib-endpoint); this bench starts one server on a fresh copy of
the same store, waits until it is idle (its start-up's late work done), drives it with wrk, stops it, then the other,
for ``--rounds`` rounds: a check of the mix's figures where no other server's background work can be measured.

Run: ``.venv/bin/python -m bench.alone [--triples N] [--seconds S] [--rounds R] [--kinds lookup,join,count50k]
[--set BACKCHANNEL_NAME=VALUE ...]``.
It prints a line per round, server and kind, then the ratio of the best rounds (``us/oxigraph kind: 1.06``):

>>> best({"backchannel": [10.0, 12.0], "oxigraph": [6.0, 5.0]})
2.0
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
from collections import defaultdict
from collections.abc import Callable, Mapping
from pathlib import Path

from bench import live, native, sparql_bench


def best(rates: dict[str, list[float]]) -> float:
    """Our best round's requests per second over the Oxigraph server's best."""
    return max(rates["backchannel"]) / max(max(rates["oxigraph"]), 1e-9)


def seeds(round_number: int, kind_number: int) -> tuple[int, int]:
    """wrk's seeds of a kind's warm-up and of its measured run: never the same sequence of people twice.

    Regression: both runs used seed 1, so the measured run asked the warm-up's queries again and our result cache
    answered them (the Oxigraph server has none): count50k read 1.04× alone where the mix, whose warm-up has seeds
    of its own, read 0.85×.

    >>> seeds(1, 0), seeds(2, 0), seeds(1, 4)
    ((900, 100), (900, 200), (904, 104))
    """
    return 900 + kind_number, 100 * round_number + kind_number


def serve(who: str, store: Path, folder: Path,
          settings: Mapping[str, str] | None = None) -> tuple[str, str, int, Callable[[], object]]:
    """Start ``who`` on ``store`` (ours with ``settings``): its base URL, its SPARQL path, its process id and how
    to stop it."""
    if who == "backchannel":
        ours = live.start(store, log_path=folder / "ours.log", settings=settings)
        return ours.url.rstrip("/"), "/sparql", ours.pid, ours.stop
    peer = sparql_bench.start_oxigraph_read_only(store, folder / "oxigraph.log")
    sparql_bench.wait_until_up(peer, 120)
    return peer.base, peer.path, peer.process.pid, peer.stop


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--triples", type=int, default=1_000_000)
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--kinds", default="lookup,join,count50k", help="comma-separated kinds of the SPARQL mix")
    parser.add_argument("--set", type=live.setting, action="append", default=[], metavar="BACKCHANNEL_NAME=VALUE",
                        help="a setting of our server, for an A/B run (repeatable)")
    args = parser.parse_args()
    settings = dict(args.set)
    if settings:
        print("our settings:", " ".join(f"{name}={value}" for name, value in settings.items()), flush=True)
    kinds = [sparql_bench.KINDS[name] for name in args.kinds.split(",")]
    client = native.find_wrk()
    rates: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    with tempfile.TemporaryDirectory(prefix="bench-alone-") as tmp:
        folder = Path(tmp)
        people = sparql_bench.write_graph(folder / "data.nt", args.triples)
        sparql_bench.oxigraph_load(folder / "store", folder / "data.nt", sparql_bench.GRAPH)
        for number in range(1, args.rounds + 1):
            for who in ("backchannel", "oxigraph"):
                store = folder / f"{who}-{number}"
                shutil.copytree(folder / "store", store)
                base, path, pid, stop = serve(who, store, folder, settings)
                family = live.family(pid)
                try:
                    for kind_number, kind in enumerate(kinds):
                        warm_seed, seed = seeds(number, kind_number)
                        native.wait_idle(family)  # a start-up's late work (the name index) is not measured
                        accept = {"Accept": kind.accept}  # as the SPARQL mix asks: the same answers from both
                        native.run(client, base, kind.paths(path), numbers=people, headers=accept, seconds=2,
                                   seed=warm_seed)
                        native.wait_idle(family)
                        load = native.run(client, base, kind.paths(path), numbers=people, headers=accept,
                                          seconds=args.seconds, seed=seed)
                        rates[kind.name][who].append(load.rps)
                        print(f"round {number} {who:12} {kind.name:10} {load.rps:8.0f} req/s  errors {load.errors}",
                              flush=True)
                finally:
                    stop()
                shutil.rmtree(store, ignore_errors=True)
                shutil.rmtree(str(store) + ".snapshots", ignore_errors=True)
    for kind in kinds:
        print(f"us/oxigraph {kind.name}: {best(rates[kind.name]):.3f}")


if __name__ == "__main__":
    main()
