"""Our CIDs against an independent implementation: the npm `ipfs-unixfs-importer`, run here
in Node with kubo's `--cid-version=1 --raw-leaves --chunker=size-262144` parameters."""

import base64
import json
import random
import subprocess
from pathlib import Path

import pytest

from ipfs.unixfs import (
    CHUNK_SIZE,
    MAX_LINKS_PER_NODE,
    cid_parse,
    cid_string,
    directory_node,
    file_cid,
    file_node,
)

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = Path(__file__).with_name("unixfs_importer.mjs")
KIB = 1024


def _bytes(size: int, seed: int = 7) -> bytes:
    return random.Random(seed).randbytes(size)


def _importer_cids(cases: list[tuple[dict[str, bytes], bool]]) -> list[str]:
    assert (ROOT / "node_modules" / "ipfs-unixfs-importer").is_dir(), "run `make node-deps`"
    payload = {
        "cases": [
            {
                "files": [
                    {"path": path, "content_b64": base64.b64encode(content).decode()}
                    for path, content in files.items()
                ],
                "wrap": wrap,
            }
            for files, wrap in cases
        ]
    }
    result = subprocess.run(  # noqa: S603
        ["node", str(SCRIPT)],  # noqa: S607
        input=json.dumps(payload).encode(),
        capture_output=True,
        check=True,
        cwd=ROOT,
        timeout=120,
    )
    return list(json.loads(result.stdout))


FILES = {
    "0 B": b"",
    "1 B": b"\x00",
    "256 KiB": _bytes(256 * KIB),
    "256 KiB + 1 B": _bytes(256 * KIB + 1),
    "3 MiB": _bytes(3 * 1024 * KIB),
    "JSON": json.dumps(
        {"name": "\u00c9cho Run \u2713", "image": "ipfs://bafkrei", "attributes": [{"value": 3}]},
        ensure_ascii=False,
    ).encode(),
}


def test_file_cids_equal_the_npm_importers() -> None:
    expected = _importer_cids([({"f": content}, False) for content in FILES.values()])

    assert {label: file_cid(content) for label, content in FILES.items()} == dict(
        zip(FILES, expected, strict=True)
    )


def test_a_file_of_more_than_174_chunks_gets_a_second_level_like_the_npm_importers() -> None:
    content = _bytes(CHUNK_SIZE * (MAX_LINKS_PER_NODE + 1) + 5, seed=11)

    assert [file_cid(content)] == _importer_cids([({"big": content}, False)])


def test_directory_cid_equals_the_npm_importers_wrapping_directory() -> None:
    files = {
        f"{token_id:064x}.json": json.dumps({"name": f"Song {token_id}"}).encode()
        for token_id in (1, 2, 10, 255, (1 << 128) + 1)
    }
    files["cover.png"] = _bytes(300 * KIB)  # a multi-block child: its Tsize counts its DAG
    files["Zeta.wav"] = b"RIFF"  # upper case sorts before digits' lower-case neighbours
    files["empty"] = b""

    ours = directory_node({name: file_node(content) for name, content in files.items()})

    assert [ours.cid_str] == _importer_cids([(files, True)])


def test_known_kubo_cids() -> None:
    # Published by kubo itself: the empty file with raw leaves and the empty UnixFS directory.
    assert file_cid(b"") == "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku"
    assert directory_node({}).cid_str == (
        "bafybeiczsscdsbs7ffqz55asqdf3smv6klcw3gofszvwlyarci47bgf354"
    )


@pytest.mark.parametrize("name", ["", "a/b", ".", ".."])
def test_directory_refuses_names_a_path_cannot_hold(name: str) -> None:
    with pytest.raises(ValueError, match="entry name"):
        directory_node({name: file_node(b"x")})


def test_directory_refuses_what_kubo_would_shard() -> None:
    child = file_node(b"x")
    entries = {f"{i:064x}.json": child for i in range(2600)}  # 2600 x (69 + 36) > 256 KiB

    with pytest.raises(ValueError, match="shard"):
        directory_node(entries)


def test_cid_parse_round_trips_and_refuses_other_spellings() -> None:
    cid = file_cid(b"hello")

    assert cid_string(cid_parse(cid)) == cid
    for bad in [cid.upper(), "Qm" + cid[2:48], cid[:-1], cid + "a", "../etc/passwd", ""]:
        with pytest.raises(ValueError, match="CID"):
            cid_parse(bad)
