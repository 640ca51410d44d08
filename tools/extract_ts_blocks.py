"""Writes each ```ts block of a Markdown file to its own module, for `tsc` to check.

A block's first line names its file (`// orders.ts`); the modules land in one folder beside
the generated `api.d.ts`, so the blocks import `./api` and each other as a reader would."""

import re
import sys
from pathlib import Path

_BLOCK = re.compile(r"^```ts\n// ([a-z0-9-]+\.ts)\n(.*?)^```", re.MULTILINE | re.DOTALL)


def main(markdown: str, folder: str) -> None:
    text = Path(markdown).read_text()
    blocks = _BLOCK.findall(text)
    if not blocks or len(blocks) != text.count("```ts\n"):
        sys.exit(f"{markdown}: every ```ts block must start with a `// name.ts` line")
    for name, code in blocks:
        header = f"// Generated from {markdown} by tools/extract_ts_blocks.py; do not edit.\n"
        (Path(folder) / name).write_text(header + code)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
