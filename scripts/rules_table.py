"""Rewrite README.md's rule table from the rule registry (`make rules-table`)."""

from __future__ import annotations

import re
import sys
from pathlib import Path

from schema_tools.rules.catalog import rules_table

README = Path(__file__).resolve().parent.parent / "README.md"
BLOCK = re.compile(r"(<!-- rules-table -->\n).*?(\n<!-- /rules-table -->)", re.S)


def main() -> int:
    text = README.read_text(encoding="utf-8")
    if not BLOCK.search(text):
        print("README.md has no <!-- rules-table --> block: add one where the table belongs", file=sys.stderr)
        return 2
    README.write_text(BLOCK.sub(lambda m: m.group(1) + rules_table() + m.group(2), text), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
