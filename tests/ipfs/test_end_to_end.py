"""Upload -> freeze -> `uri(id)` on chain -> the gateway serves the metadata -> its image bytes
hash to their CID. Over HTTP (the admin, then the gateway), against anvil with the real
contract and outbox."""

import json
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from chain.client import trackpacks_contract
from chain.models import ChainTransaction
from ipfs.unixfs import file_cid
from tests.factories import make_user
from tests.flows.conftest import run_background
from trackpacks.demo_media import cover_png, tone_wav
from trackpacks.freeze import _contract_has
from trackpacks.models import PACK_ID_OFFSET, Rarity
from trackpacks.services import PoolItem, batch_create, song_create

pytestmark = [pytest.mark.chain, pytest.mark.django_db]


def _resolve(gateway: Client, uri: str) -> bytes:
    assert uri.startswith("ipfs://"), uri
    response = gateway.get("/ipfs/" + uri.removeprefix("ipfs://"))
    assert response.status_code == 200, uri
    return response.getvalue()


def test_uploaded_media_is_what_the_on_chain_uri_resolves_to(chain: dict[str, Any]) -> None:
    if not _contract_has("setTokenURIs"):
        pytest.skip("The deployed contract has no setTokenURIs yet (contract v2).")
    songs = [
        song_create(
            token_id=token_id,
            title=f"Track {token_id}",
            artist="Sela",
            rarity=Rarity.COMMON,
            image_url="",
            audio_url="",
        )
        for token_id in range(1, 6)
    ]
    batch = batch_create(
        name="Drop",
        price_cents=500,
        price_wei=10**16,
        supply=10,
        pool=[PoolItem(song=song) for song in songs],
    )
    admin = Client()
    admin.force_login(make_user(is_staff=True, is_superuser=True))
    for song in songs:
        uploaded = admin.post(
            f"/admin/trackpacks/song/{song.pk}/change/",
            {
                "title": song.title,
                "artist": song.artist,
                "description": "",
                "image_url": "",
                "audio_url": "",
                "image_upload": SimpleUploadedFile("cover.png", cover_png(song.token_id)),
                "audio_upload": SimpleUploadedFile("tone.wav", tone_wav(song.token_id)),
            },
        )
        assert uploaded.status_code == 302, uploaded.content

    admin.post(
        "/admin/trackpacks/batch/",
        {"action": "freeze_on_ipfs", "_selected_action": [batch.pk]},
    )
    batch.refresh_from_db()
    assert batch.frozen_at is not None
    run_background()

    tx = ChainTransaction.objects.get(reference=f"batch:{batch.pk}:token-uris")
    assert tx.status == ChainTransaction.Status.CONFIRMED
    contract = trackpacks_contract()
    gateway = Client()
    base_uri = f"ipfs://{batch.metadata_cid}/"
    for token_id in (songs[2].token_id, PACK_ID_OFFSET + batch.pk):
        template = contract.functions.uri(token_id).call()
        assert template == f"{base_uri}{{id}}.json"
        document = json.loads(_resolve(gateway, template.replace("{id}", f"{token_id:064x}")))
        image = _resolve(gateway, document["image"])
        assert file_cid(image) == document["image"].removeprefix("ipfs://")
    assert image != cover_png(songs[2].token_id)  # the last one read is the pack's image
    song_document = json.loads(_resolve(gateway, f"{base_uri}{songs[2].token_id:064x}.json"))
    assert _resolve(gateway, song_document["image"]) == cover_png(songs[2].token_id)
    assert _resolve(gateway, song_document["animation_url"]) == tone_wav(songs[2].token_id)
    collection = json.loads(_resolve(gateway, contract.functions.contractURI().call()))
    assert collection["name"] == "TrackPacks"


def test_seed_demo_freezes_the_demo_catalog_and_every_uri_resolves(chain: dict[str, Any]) -> None:
    from django.core.management import call_command

    from trackpacks.models import Batch

    call_command("seed_demo")

    gateway = Client()
    batches = list(Batch.objects.order_by("pk"))
    assert len(batches) == 2
    for batch in batches:
        assert batch.frozen_at is not None
        listing = gateway.get(f"/ipfs/{batch.metadata_cid}/").json()
        assert len(listing["entries"]) == batch.pool.count() + 1
        for entry in listing["entries"]:
            document = json.loads(_resolve(gateway, f"ipfs://{batch.metadata_cid}/{entry['name']}"))
            for key in ("image", "animation_url"):
                if key in document:
                    content = _resolve(gateway, document[key])
                    assert file_cid(content) == document[key].removeprefix("ipfs://")
    call_command("seed_demo")  # a second run changes nothing
    assert [b.metadata_cid for b in Batch.objects.order_by("pk")] == [
        b.metadata_cid for b in batches
    ]
