"""`python -m cnnviz …`: the same engine functions the pages call, as text or JSON.

One module per command group (grids, networks, explain, learn); every error prints one
line to stderr and exits with status 2.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from cnnviz.cli import detect, explain, grids, learn, lessons, networks, serve
from cnnviz.cli.common import Parser, use_own_weights
from cnnviz.errors import CnnvizError


def build_parser() -> Parser:
    parser = Parser(prog="python -m cnnviz", description="CNN Explorer from the command line.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    for group in (serve, networks, grids, explain, learn, detect, lessons):
        group.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 0
    try:
        use_own_weights(args)
        args.func(args)
    except CnnvizError as e:
        sys.stderr.write(f"error: {e}\n")
        return 2

    return 0
