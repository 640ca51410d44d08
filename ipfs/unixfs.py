"""Content identifiers computed locally, byte for byte what kubo's `ipfs add` gives with

    ipfs add --cid-version=1 --raw-leaves --chunker=size-262144 --hash=sha2-256

(kubo's defaults once `--cid-version=1` is given: balanced DAG, at most 174 links per node) and
what `ipfs add -r` / `--wrap-with-directory` gives for a flat directory of such files:

- a file is cut in 262,144-byte chunks; each chunk is a `raw` block (multicodec 0x55);
- a file of one chunk (or none: the empty file) is that raw block itself;
- otherwise chunks are grouped 174 at a time under UnixFS `File` nodes (dag-pb, 0x70), level
  after level, until one node remains (the balanced layout);
- a directory is one UnixFS `Directory` dag-pb node whose links are sorted by name bytes;
  HAMT sharding (kubo switches at 256 KiB of links) is not produced: larger directories are
  refused rather than given a CID kubo would not give;
- CIDs are version 1 with sha2-256 multihashes, written in base32 (multibase prefix `b`).

Only the CIDs and sizes are computed here; the bytes themselves are stored and pinned whole.
"""

import base64
import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass

CHUNK_SIZE = 262_144
MAX_LINKS_PER_NODE = 174
# kubo shards a directory once the names and CIDs of its links pass this many bytes.
DIRECTORY_SHARD_THRESHOLD = 262_144

CODEC_RAW = 0x55
CODEC_DAG_PB = 0x70
_SHA2_256 = 0x12
_UNIXFS_DIRECTORY = 1
_UNIXFS_FILE = 2
_CID_STRING = re.compile(r"^b[a-z2-7]{58}$")


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _pb_varint_field(field: int, value: int) -> bytes:
    return _varint(field << 3) + _varint(value)


def _pb_bytes_field(field: int, value: bytes) -> bytes:
    return _varint(field << 3 | 2) + _varint(len(value)) + value


def cid_bytes(codec: int, block: bytes) -> bytes:
    return bytes([1, codec, _SHA2_256, 32]) + hashlib.sha256(block).digest()


def cid_string(binary_cid: bytes) -> str:
    return "b" + base64.b32encode(binary_cid).decode("ascii").lower().rstrip("=")


def cid_parse(text: str) -> bytes:
    """The binary form of a CIDv1 base32 string of a raw or dag-pb sha2-256 block, the only
    kind this module makes. Raises ValueError for anything else."""
    if not _CID_STRING.match(text):
        raise ValueError("Not a base32 CIDv1.")
    binary = base64.b32decode(text[1:].upper() + "=" * (-(len(text) - 1) % 8))
    if binary[0] != 1 or binary[1] not in (CODEC_RAW, CODEC_DAG_PB) or binary[2:4] != b"\x12\x20":
        raise ValueError("Not a CIDv1 of a raw or dag-pb block hashed with sha2-256.")
    if cid_string(binary) != text:
        raise ValueError("Not the canonical spelling of this CID.")
    return binary


@dataclass(frozen=True)
class Node:
    """A DAG root: its CID, the bytes of its whole DAG (what a parent link's Tsize holds) and
    the bytes of file content under it."""

    cid: bytes
    dag_size: int
    content_size: int

    @property
    def cid_str(self) -> str:
        return cid_string(self.cid)


def _link(node: Node, name: str) -> bytes:
    return (
        _pb_bytes_field(1, node.cid)
        + _pb_bytes_field(2, name.encode())
        + _pb_varint_field(3, node.dag_size)
    )


def _dag_pb_block(links: list[tuple[str, Node]], unixfs_data: bytes) -> bytes:
    # dag-pb's canonical order: every link (field 2) before the data (field 1).
    encoded_links = b"".join(_pb_bytes_field(2, _link(node, name)) for name, node in links)
    return encoded_links + _pb_bytes_field(1, unixfs_data)


def _file_parent(children: list[Node]) -> Node:
    total = sum(child.content_size for child in children)
    data = _pb_varint_field(1, _UNIXFS_FILE) + _pb_varint_field(3, total)
    data += b"".join(_pb_varint_field(4, child.content_size) for child in children)
    block = _dag_pb_block([("", child) for child in children], data)
    return Node(
        cid=cid_bytes(CODEC_DAG_PB, block),
        dag_size=len(block) + sum(child.dag_size for child in children),
        content_size=total,
    )


def file_node(content: bytes) -> Node:
    chunks = [content[i : i + CHUNK_SIZE] for i in range(0, len(content), CHUNK_SIZE)] or [b""]
    level = [Node(cid_bytes(CODEC_RAW, chunk), len(chunk), len(chunk)) for chunk in chunks]
    while len(level) > 1:
        level = [
            _file_parent(level[i : i + MAX_LINKS_PER_NODE])
            for i in range(0, len(level), MAX_LINKS_PER_NODE)
        ]
    return level[0]


def file_cid(content: bytes) -> str:
    return file_node(content).cid_str


def directory_node(entries: Mapping[str, Node]) -> Node:
    """A flat UnixFS directory of the given children (name -> root node)."""
    for name in entries:
        if not name or "/" in name or name in (".", ".."):
            raise ValueError(f"Not a valid directory entry name: {name!r}")
    links = sorted(entries.items(), key=lambda item: item[0].encode())
    if sum(len(name.encode()) + len(node.cid) for name, node in links) >= DIRECTORY_SHARD_THRESHOLD:
        raise ValueError("Directory too large: kubo would shard it (HAMT), which is not built.")
    block = _dag_pb_block(links, _pb_varint_field(1, _UNIXFS_DIRECTORY))
    return Node(
        cid=cid_bytes(CODEC_DAG_PB, block),
        dag_size=len(block) + sum(node.dag_size for _, node in links),
        content_size=sum(node.content_size for _, node in links),
    )
