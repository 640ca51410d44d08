"""The fan app's production bundle (web/dist, built by `make web`): bytes shipped, raw and
gzipped (what a browser downloads from a server that compresses), per file and in total."""

import gzip
from pathlib import Path

DIST = Path(__file__).resolve().parent.parent / "web" / "dist"


def main() -> None:
    files = sorted(p for p in DIST.rglob("*") if p.is_file())
    if not files:
        raise SystemExit("web/dist is empty: run `make web` first")
    total_raw = total_gzip = 0
    print("fan app bundle (web/dist)")
    for path in files:
        raw = path.read_bytes()
        packed = len(gzip.compress(raw, compresslevel=9))
        total_raw += len(raw)
        total_gzip += packed
        print(f"  {path.relative_to(DIST)!s:<40} {len(raw):>9,} B  {packed:>8,} B gzip")
    print(f"  {'total':<40} {total_raw:>9,} B  {total_gzip:>8,} B gzip")


if __name__ == "__main__":
    main()
