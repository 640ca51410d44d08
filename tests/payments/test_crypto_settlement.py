"""Crypto settlement from `PacksPurchased` events: only the order's linked wallet settles it.

Adversary: a stranger copies an order's public reference into their own `buyPacks` (to get
the order flagged, settled with the wrong holder, or undone by a reorg of their own tx)."""

import logging
from dataclasses import replace

import pytest

from payments.models import OrderStatus
from payments.services import CryptoPurchase, order_settle_crypto, order_unsettle_crypto
from tests.factories import make_batch, make_order, make_user

pytestmark = pytest.mark.django_db

FAN_WALLET = "0x" + "a1" * 20
STRANGER = "0x" + "b2" * 20


def purchase(
    order_ref: str, batch_id: int, *, buyer: str, tx: str, quantity: int = 1
) -> CryptoPurchase:
    return CryptoPurchase(
        order_ref=order_ref,
        buyer=buyer,
        batch_id=batch_id,
        quantity=quantity,
        paid_wei=10**16 * quantity,
        tx_hash=tx,
    )


def test_a_strangers_purchase_is_ignored_and_the_owners_settles(
    caplog: pytest.LogCaptureFixture,
) -> None:
    batch = make_batch()
    order = make_order(user=make_user(), batch=batch, payer_address=FAN_WALLET)
    stranger = purchase(order.order_ref, batch.pk, buyer=STRANGER, tx="0x" + "01" * 32)
    with caplog.at_level(logging.WARNING, logger="payments.services"):
        assert order_settle_crypto(purchase=stranger) is None
    assert "ignored" in caplog.text
    order.refresh_from_db()
    assert (order.status, order.status_reason, order.tx_hash) == (OrderStatus.PENDING, "", "")
    assert not order.packs.exists()

    # The same wallet in another letter case is still the linked wallet.
    mine = replace(stranger, buyer="0x" + FAN_WALLET[2:].upper(), tx_hash="0x" + "02" * 32)
    settled = order_settle_crypto(purchase=mine)
    assert settled is not None
    assert settled.status == OrderStatus.FULFILLED
    assert order.packs.get().holder_address.lower() == FAN_WALLET

    # Paying twice (buyer references are not stored on chain) settles once and alerts.
    with caplog.at_level(logging.ERROR, logger="payments.services"):
        order_settle_crypto(purchase=replace(mine, tx_hash="0x" + "04" * 32))
    assert "paid again" in caplog.text
    assert order.packs.count() == 1

    # A reorg that drops the stranger's transaction does not undo the owner's settlement.
    order_unsettle_crypto(order_ref=order.order_ref, tx_hash=stranger.tx_hash)
    order.refresh_from_db()
    assert order.status == OrderStatus.FULFILLED
    order_unsettle_crypto(order_ref=order.order_ref, tx_hash=mine.tx_hash)
    order.refresh_from_db()
    assert order.status == OrderStatus.PENDING
    assert not order.packs.exists()


def test_a_buyPacks_naming_a_card_order_is_ignored() -> None:
    batch = make_batch()
    order = make_order(user=make_user(), batch=batch, method="card", payer_address="")
    copied = purchase(order.order_ref, batch.pk, buyer=STRANGER, tx="0x" + "03" * 32)
    assert order_settle_crypto(purchase=copied) is None
    order.refresh_from_db()
    assert order.status == OrderStatus.PENDING
