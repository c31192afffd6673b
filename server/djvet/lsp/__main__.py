"""``python -m djvet.lsp [--tcp HOST:PORT]``: the language server, like ``djvet server``."""

from __future__ import annotations

import argparse
import sys

from .._safepath import drop_current_directory

drop_current_directory()

from .server import serve  # noqa: E402 - after the sys.path clean-up, on purpose

if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        prog="python -m djvet.lsp", description="djvet language server"
    )
    parser.add_argument("--tcp", metavar="HOST:PORT", help="listen on TCP instead of stdio")
    parser.add_argument("--stdio", action="store_true", help="stdio transport (the default)")
    sys.exit(serve(tcp=parser.parse_args().tcp))
