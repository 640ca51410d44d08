"""The local pin store and the read-only gateway that serves it at /ipfs/{cid}[/{path}]."""

import json
from pathlib import Path

import pytest
from django.test import Client

from ipfs.store import local_pin_store
from ipfs.unixfs import file_cid

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
SVG = b'<svg xmlns="http://www.w3.org/2000/svg" width="1" height="1"/>'


@pytest.fixture
def client() -> Client:
    return Client()


def test_a_stored_file_is_served_under_its_cid_with_immutable_caching(client: Client) -> None:
    node = local_pin_store().put_file(PNG)

    response = client.get(f"/ipfs/{node.cid_str}")

    assert response.status_code == 200
    assert response.getvalue() == PNG
    assert response["Content-Type"] == "image/png"
    assert "immutable" in response["Cache-Control"]
    assert response["ETag"] == f'"{node.cid_str}"'
    assert response["X-Content-Type-Options"] == "nosniff"


def test_a_directory_serves_its_files_by_name_and_lists_itself(client: Client) -> None:
    token = f"{5:064x}.json"
    document = json.dumps({"name": "Echo"}).encode()
    directory = local_pin_store().put_directory({token: document, "cover.png": PNG})

    file_response = client.get(f"/ipfs/{directory.cid_str}/{token}")
    listing = client.get(f"/ipfs/{directory.cid_str}/")

    assert file_response.status_code == 200
    assert file_response.getvalue() == document
    assert file_response["Content-Type"] == "application/json"
    assert file_response["X-Ipfs-Roots"] == file_cid(document)
    assert listing.json() == {
        "cid": directory.cid_str,
        "entries": [
            {"name": token, "cid": file_cid(document), "size": len(document)},
            {"name": "cover.png", "cid": file_cid(PNG), "size": len(PNG)},
        ],
    }


def test_an_svg_is_served_sandboxed(client: Client) -> None:
    node = local_pin_store().put_file(SVG)

    response = client.get(f"/ipfs/{node.cid_str}")

    assert response["Content-Type"] == "image/svg+xml"
    assert "sandbox" in response["Content-Security-Policy"]
    assert "default-src 'none'" in response["Content-Security-Policy"]


def test_if_none_match_gets_304(client: Client) -> None:
    node = local_pin_store().put_file(PNG)

    response = client.get(f"/ipfs/{node.cid_str}", HTTP_IF_NONE_MATCH=f'"{node.cid_str}"')

    assert response.status_code == 304


@pytest.mark.parametrize(
    "path",
    [
        f"/ipfs/{file_cid(b'never stored')}",  # a valid CID nobody pinned
        "/ipfs/not-a-cid",
        "/ipfs/QmYwAPJzv5CZsnA625s3Xf2nemtYgPpHdWEz79ojWnPbdG",  # CIDv0: not ours
        f"/ipfs/{file_cid(b'never stored').upper()}",
        "/ipfs/..%2F..%2Fdb.sqlite3",
    ],
)
def test_unknown_or_malformed_cids_are_404_json(client: Client, path: str) -> None:
    response = client.get(path)

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_names_outside_the_directory_are_404(client: Client) -> None:
    directory = local_pin_store().put_directory({"a.json": b"{}"})

    for name in ["b.json", "a.json/x", "../a.json", "%2e%2e/a.json"]:
        assert client.get(f"/ipfs/{directory.cid_str}/{name}").status_code == 404
    # A file CID has no names below it.
    assert client.get(f"/ipfs/{file_cid(b'{}')}/a.json").status_code == 404


def test_the_gateway_is_read_only(client: Client) -> None:
    node = local_pin_store().put_file(PNG)

    for method in (client.post, client.put, client.delete):
        assert method(f"/ipfs/{node.cid_str}").status_code == 405


def test_the_gateway_is_off_when_pinata_pins(client: Client, settings: object) -> None:
    settings.IPFS_GATEWAY_ENABLED = False  # type: ignore[attr-defined]
    node = local_pin_store().put_file(PNG)

    assert client.get(f"/ipfs/{node.cid_str}").status_code == 404


def test_the_store_writes_each_cid_once_and_atomically(settings: object) -> None:
    store = local_pin_store()
    first = store.put_file(PNG)
    second = store.put_file(PNG)

    assert first == second
    files = list(Path(store.root).rglob("*"))
    assert [p.name for p in files if p.is_file()] == [first.cid_str]
    assert store.read_file(first.cid_str) == PNG


def test_a_file_tampered_with_on_disk_is_not_trusted_as_pinned() -> None:
    store = local_pin_store()
    node = store.put_file(PNG)
    (store.root / "files" / node.cid_str).write_bytes(b"evil")

    assert store.verify(node.cid_str) is False
    assert store.read_file(node.cid_str) is None
    store.put_file(PNG)  # pinning it again repairs it
    assert store.verify(node.cid_str) is True


def test_a_directory_verifies_only_with_all_its_files_intact() -> None:
    store = local_pin_store()
    directory = store.put_directory({"a.json": b"{}", "b.png": PNG})
    assert store.verify(directory.cid_str) is True

    (store.root / "files" / file_cid(PNG)).unlink()

    assert store.verify(directory.cid_str) is False
