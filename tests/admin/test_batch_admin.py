"""Batches in the admin: every write through the services, their refusals shown in the form,
sale control only for the label manager; the sale window enforced by the API."""

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from chain.models import ChainTransaction
from tests.admin.conftest import messages_of, run_action
from tests.factories import make_batch, make_song, make_user
from trackpacks.models import Batch

pytestmark = pytest.mark.chain
ADD_URL = "/admin/trackpacks/batch/add/"
LIST_URL = "/admin/trackpacks/batch/"


def batch_form(songs: list[Any], **overrides: Any) -> dict[str, Any]:
    return {
        "name": "Spring drop",
        "description": "",
        "price_cents": 500,
        "currency": "usd",
        "price_wei": str(10**16),
        "supply": 50,
        "sale_open": "on",
        "sale_starts_at_0": "",
        "sale_starts_at_1": "",
        "sale_ends_at_0": "",
        "sale_ends_at_1": "",
        "pool": [s.pk for s in songs],
        "weights": "",
        **overrides,
    }


def test_label_manager_creates_a_batch_through_batch_create(chain: Any, label_manager: Any) -> None:
    songs = [make_song() for _ in range(6)]
    weights = f"{songs[0].token_id}=7"
    response = label_manager.post(ADD_URL, batch_form(songs, weights=weights), follow=True)
    assert response.status_code == 200
    batch = Batch.objects.get(name="Spring drop")
    assert batch.available == batch.supply == 50
    assert batch.pool.get(song=songs[0]).weight == 7
    create = ChainTransaction.objects.get(reference=f"batch:{batch.pk}:create")
    assert create.function == "createBatch"


def test_service_refusals_show_in_the_form_and_write_nothing(
    chain: Any, label_manager: Any
) -> None:
    songs = [make_song() for _ in range(65)]  # more than a pool may hold
    response = label_manager.post(ADD_URL, batch_form(songs))
    assert response.status_code == 200
    assert "A batch pool holds 5 to 64 songs." in response.content.decode()
    assert not Batch.objects.exists()
    assert not ChainTransaction.objects.filter(function="createBatch").exists()

    late = timezone.now()
    window = batch_form(
        songs[:6],
        sale_starts_at_0=late.date().isoformat(),
        sale_starts_at_1="12:00:00",
        sale_ends_at_0=late.date().isoformat(),
        sale_ends_at_1="11:00:00",
    )
    response = label_manager.post(ADD_URL, window)
    assert "The sale must end after it starts." in response.content.decode()
    assert not Batch.objects.exists()


def test_support_cannot_add_batches(chain: Any, support: Any) -> None:
    songs = [make_song() for _ in range(6)]
    assert support.post(ADD_URL, batch_form(songs)).status_code == 403
    assert not Batch.objects.exists()


def test_closing_a_sale_in_the_admin_queues_it_for_the_chain(
    chain: Any, label_manager: Any
) -> None:
    batch = make_batch()
    response = run_action(label_manager, LIST_URL, "close_sale_now", [batch.pk])
    assert "Sales closed: 1." in messages_of(response)
    batch.refresh_from_db()
    assert batch.sale_open is False
    sale_tx = ChainTransaction.objects.get(reference__startswith=f"batch:{batch.pk}:sale:")
    assert (sale_tx.function, sale_tx.args) == ("setSaleWindow", [batch.pk, 0, 0])


def test_support_cannot_close_a_sale(chain: Any, support: Any) -> None:
    batch = make_batch()
    run_action(support, LIST_URL, "close_sale_now", [batch.pk])
    batch.refresh_from_db()
    assert batch.sale_open is True
    assert not ChainTransaction.objects.exists()


def test_repricing_after_an_order_is_refused_in_the_form(chain: Any, label_manager: Any) -> None:
    from tests.factories import make_order

    batch = make_batch(sale_open=False)
    make_order(user=make_user(), batch=batch)
    url = f"/admin/trackpacks/batch/{batch.pk}/change/"
    form = {
        "name": batch.name,
        "description": "",
        "sale_starts_at_0": "",
        "sale_starts_at_1": "",
        "sale_ends_at_0": "",
        "sale_ends_at_1": "",
        "price_cents": 900,
        "price_wei": str(batch.price_wei),
    }
    response = label_manager.post(url, form)
    assert "Packs of this batch were already ordered." in response.content.decode()
    batch.refresh_from_db()
    assert batch.price_cents == 500
    assert not ChainTransaction.objects.filter(function="setBatchPrice").exists()


def test_repricing_before_the_sale_reaches_the_chain(chain: Any, label_manager: Any) -> None:
    batch = make_batch(sale_open=False)
    url = f"/admin/trackpacks/batch/{batch.pk}/change/"
    form = {
        "name": batch.name,
        "description": "",
        "sale_starts_at_0": "",
        "sale_starts_at_1": "",
        "sale_ends_at_0": "",
        "sale_ends_at_1": "",
        "price_cents": 900,
        "price_wei": str(2 * 10**16),
    }
    response = label_manager.post(url, form, follow=True)
    assert response.status_code == 200
    batch.refresh_from_db()
    assert (batch.price_cents, int(batch.price_wei)) == (900, 2 * 10**16)
    price_tx = ChainTransaction.objects.get(function="setBatchPrice")
    assert price_tx.args == [batch.pk, 2 * 10**16]


@pytest.mark.parametrize(
    ("starts", "ends"),
    [(timedelta(hours=1), None), (timedelta(hours=-2), timedelta(hours=-1))],
    ids=["not yet", "over"],
)
def test_the_api_refuses_orders_outside_the_window(
    auth_api: Any, starts: timedelta, ends: timedelta | None
) -> None:
    now = timezone.now()
    batch = make_batch(sale_starts_at=now + starts, sale_ends_at=ends and now + ends)
    response = auth_api.post(
        "/api/v1/orders/",
        {"batch": batch.pk, "quantity": 1, "method": "card"},
        HTTP_IDEMPOTENCY_KEY="window-test-1",
    )
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "batch_not_on_sale"
    batch.refresh_from_db()
    assert batch.available == batch.supply


def test_song_edits_go_through_song_update_and_a_frozen_song_refuses(
    label_manager: Any, support: Any
) -> None:
    song = make_song(title="Old")
    url = f"/admin/trackpacks/song/{song.pk}/change/"
    form = {
        "title": "New",
        "artist": song.artist,
        "description": "",
        "image_url": song.image_url,
        "audio_url": song.audio_url,
    }
    assert support.post(url, form).status_code == 403
    label_manager.post(url, form, follow=True)
    song.refresh_from_db()
    assert song.title == "New"

    batch = make_batch()
    type(song).objects.filter(pk=song.pk).update(frozen_by=batch)
    response = label_manager.post(url, {**form, "title": "Newer"})
    assert "frozen on IPFS" in response.content.decode()
    song.refresh_from_db()
    assert song.title == "New"
