"""The ``backchannel`` command: the graph commands of ``kg.cli.base`` plus ``serve``.

>>> parser, _ = make_parser()
>>> parser.parse_args(["serve", "--port", "9000"]).port
9000
"""

from __future__ import annotations

import argparse
import signal
import sys
from collections.abc import Sequence

from kg.cli import base as kg_cli
from kg.cli import loading as cli_loading
from kg.cli import paths as cli_paths
from kg.cli import queries as cli_queries
from kg.settings import Settings


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    import uvicorn

    from service.app import create_app
    from service.http.serving import server_config

    updates = {k: v for k, v in (("host", args.host), ("port", args.port)) if v is not None}
    if args.dev_open_writes:
        updates["dev_open_writes"] = True
    settings = settings.model_copy(update=updates)
    for stop in (signal.SIGTERM, signal.SIGINT):  # uvicorn re-raises the signal once it has shut down gracefully:
        signal.signal(stop, _stopped)  # with this handler a graceful stop exits 0 (not -15 / KeyboardInterrupt)
    uvicorn.Server(server_config(create_app(settings), settings, log_level=args.log_level)).run()
    return 0


def _stopped(signum: int, frame: object) -> None:
    """Exit 0: the server has finished its in-flight requests and shut down."""
    raise SystemExit(0)


def make_parser() -> tuple[argparse.ArgumentParser, dict[str, kg_cli.Handler]]:
    """The argument parser and the handler of each command."""
    parser = argparse.ArgumentParser(
        prog="backchannel",
        description="A linked-data knowledge graph of Track Two (backchannel) diplomacy.",
        epilog="Settings also come from BACKCHANNEL_* environment variables (see README).",
    )
    parser.add_argument("--store", help="store: a directory, ':memory:' or sparql+http://host:port/path")
    parser.add_argument("--base-iri", help="base of the IRIs of things (default http://127.0.0.1:8000/)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    handlers = kg_cli.register(sub)
    handlers |= cli_queries.register(sub)
    handlers |= cli_paths.register(sub)
    handlers |= cli_loading.register(sub)
    p = sub.add_parser("serve", help="serve the graph over HTTP",
                       description="Serve SPARQL, the Graph Store Protocol, linked data, paths and the web UI.")
    p.add_argument("--host", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=int, help="port to listen on (default 8000)")
    p.add_argument("--dev-open-writes", action="store_true", help="DEVELOPMENT ONLY: accept writes without a token")
    p.add_argument("--log-level", default="info", choices=["critical", "error", "warning", "info", "debug"])
    handlers["serve"] = cmd_serve
    return parser, handlers


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``backchannel``; return its exit status."""
    parser, handlers = make_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    return handlers[args.command](args, kg_cli.settings_from(args))


if __name__ == "__main__":
    sys.exit(main())
