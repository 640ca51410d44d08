"""The local pin store: content kept under IPFS_STORE_DIR keyed by CID.

It is what the read-only gateway serves when no pinning service is configured, and where the
pinning service's uploads read their bytes from. Every write recomputes the CID from the bytes,
so nothing can be stored under a CID it does not hash to. Writes are atomic (a temporary file,
then a rename), so a reader never sees half a file and rewriting the same CID is harmless.
"""

import json
import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

from ipfs.unixfs import Node, cid_parse, directory_node, file_node


@dataclass(frozen=True)
class DirectoryEntry:
    name: str
    cid: str
    size: int  # content bytes


@dataclass(frozen=True)
class Resolved:
    """What a gateway path names: a file (its path on disk) or a directory (its entries)."""

    cid: str
    file: Path | None = None
    entries: tuple[DirectoryEntry, ...] = ()

    @property
    def is_directory(self) -> bool:
        return self.file is None


class LocalPinStore:
    def __init__(self, root: Path) -> None:
        self.root = root

    def _file_path(self, cid: str) -> Path:
        return self.root / "files" / cid

    def _directory_path(self, cid: str) -> Path:
        return self.root / "directories" / f"{cid}.json"

    def _write(self, path: Path, content: bytes) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".incoming-")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(content)
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    def put_file(self, content: bytes) -> Node:
        node = file_node(content)
        path = self._file_path(node.cid_str)
        if not self.verify(node.cid_str):
            self._write(path, content)
        return node

    def put_directory(self, files: Mapping[str, bytes]) -> Node:
        """Stores each file and a flat directory of them (name -> content)."""
        children = {name: self.put_file(content) for name, content in files.items()}
        node = directory_node(children)
        manifest = {
            name: {"cid": child.cid_str, "size": child.content_size}
            for name, child in sorted(children.items())
        }
        path = self._directory_path(node.cid_str)
        if not path.exists():
            self._write(path, json.dumps(manifest, sort_keys=True).encode())
        return node

    def has(self, cid: str) -> bool:
        return self._file_path(cid).exists() or self._directory_path(cid).exists()

    def read_file(self, cid: str) -> bytes | None:
        """The file's bytes, checked against the CID (None if absent or not matching)."""
        path = self._file_path(cid)
        if not path.exists():
            return None
        content = path.read_bytes()
        return content if file_node(content).cid_str == cid else None

    def file_size(self, cid: str) -> int:
        return self._file_path(cid).stat().st_size

    def verify(self, cid: str) -> bool:
        """Whether the store holds content that really hashes to `cid`."""
        if self._file_path(cid).exists():
            return self.read_file(cid) is not None
        entries = self.directory_entries(cid)
        if entries is None:
            return False
        children = {}
        for entry in entries:
            content = self.read_file(entry.cid)
            if content is None:
                return False
            children[entry.name] = file_node(content)
        return directory_node(children).cid_str == cid

    def directory_entries(self, cid: str) -> tuple[DirectoryEntry, ...] | None:
        path = self._directory_path(cid)
        if not path.exists():
            return None
        manifest = json.loads(path.read_text())
        return tuple(
            DirectoryEntry(name=name, cid=entry["cid"], size=entry["size"])
            for name, entry in sorted(manifest.items())
        )

    def resolve(self, cid: str, path: str = "") -> Resolved | None:
        """`cid` then `path` (names separated by '/'), as a gateway's `/ipfs/{cid}/{path}`.
        None for an invalid CID, unknown content or a name that is not there."""
        try:
            cid_parse(cid)
        except ValueError:
            return None
        for name in [part for part in path.split("/") if part]:
            entries = self.directory_entries(cid)
            match = next((entry for entry in entries or () if entry.name == name), None)
            if match is None:
                return None
            cid = match.cid
        file_path = self._file_path(cid)
        if file_path.exists():
            return Resolved(cid=cid, file=file_path)
        entries = self.directory_entries(cid)
        return None if entries is None else Resolved(cid=cid, entries=entries)


def local_pin_store() -> LocalPinStore:
    return LocalPinStore(Path(settings.IPFS_STORE_DIR))
