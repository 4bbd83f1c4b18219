"""``python -m specify_cli.saas_reference``: run the reference server in the foreground.

Prints the base URL as the first line of stdout (flushed), so a parent process
can read it and start talking; then serves until SIGINT or SIGTERM.
"""

from __future__ import annotations

import argparse
import signal
import sys
from types import FrameType

from specify_cli.saas_reference._server import STALE_CODES, Faults, ReferenceServer

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m specify_cli.saas_reference",
        description="Loopback reference spec-kitty SaaS (127.0.0.1 only).",
    )
    parser.add_argument("--port", type=int, default=0, help="TCP port; 0 picks a free one")
    parser.add_argument("--token", required=True, help="the bearer token clients must send")
    parser.add_argument("--binding-ref", default="binding-1", help="tracker binding_ref to offer")
    parser.add_argument("--delay", type=float, default=0.0, help="seconds to wait per request")
    parser.add_argument("--status", type=int, default=None, help="answer every API call with it")
    parser.add_argument("--garbage", action="store_true", help="answer HTML instead of JSON")
    parser.add_argument("--stale", choices=STALE_CODES, default=None, help="stale-binding answer")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    faults = Faults(status=args.status, garbage=args.garbage, delay_s=args.delay, stale=args.stale)
    server = ReferenceServer(
        token=args.token, binding_ref=args.binding_ref, port=args.port, faults=faults
    )

    def _stop(_signum: int, _frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _stop)
    sys.stdout.write(server.url + "\n")
    sys.stdout.flush()
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
