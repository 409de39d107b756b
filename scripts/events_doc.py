#!/usr/bin/env python3
"""Write docs/events.md from the event declarations (`cotask_common/contracts/<service>.py`).

    python scripts/events_doc.py            # `make events-doc`: (re)write docs/events.md
    python scripts/events_doc.py --check    # exit 1 when docs/events.md is stale

Needs no settings and no servers: the declarations are plain typed classes.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare only; exit 1 if stale")
    parser.add_argument("--output", type=Path, default=ROOT / "docs" / "events.md")
    args = parser.parse_args()

    from cotask_common.contracts.catalogue import render

    text = render()
    current = args.output.read_text(encoding="utf-8") if args.output.exists() else ""
    if args.check:
        if current != text:
            print(f"{args.output} is stale: run `make events-doc` and commit it", file=sys.stderr)
            return 1
        return 0
    if current != text:
        args.output.write_text(text, encoding="utf-8")
        print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
