"""Prints the gas table: `make gas` (scripts/gas_report.py, Brownie on its own anvil) measures
it and keeps it in docs/GAS.md between the gas-table markers; gas is deterministic, so the
committed table is the current one unless the contract changed (then run `make gas`).

    .venv/bin/python -m benchmarks.gas_table
"""

import sys
from pathlib import Path

GAS_MD = Path(__file__).resolve().parent.parent / "docs" / "GAS.md"
START, END = "<!-- gas-table:start -->", "<!-- gas-table:end -->"


def main() -> int:
    text = GAS_MD.read_text()
    if START not in text or END not in text:
        print(f"no gas table in {GAS_MD}: run `make gas`")
        return 1
    table = text.split(START, 1)[1].split(END, 1)[0].strip()
    print(f"\nGas (from {GAS_MD.relative_to(GAS_MD.parent.parent)}, measured by `make gas`)")
    print(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
