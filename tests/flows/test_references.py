"""Order references on anvil: nothing a third party sends can block or settle our orders.

Adversary: a stranger who reads an order's reference (crypto references are in the wallet call;
card references in logs or support mails) and spends it first in their own `buyPacks`."""

from typing import Any

import pytest
from django.db import transaction

from chain.client import trackpacks_contract
from chain.models import ChainTransaction
from chain.outbox import chain_tx_enqueue
from payments.models import OrderStatus, PaymentMethod
from tests.factories import make_order
from tests.flows.conftest import Fan, anvil_account, run_background, send_from
from trackpacks.models import Batch, Custody

pytestmark = [pytest.mark.chain, pytest.mark.django_db]


def stranger_buys_with(ref: str, batch: Batch) -> None:
    contract = trackpacks_contract()
    data = contract.encode_abi("buyPacks", args=[batch.pk, 1, ref])
    send_from(anvil_account(7), to=contract.address, data=data, value=10**16)


def test_a_copied_card_reference_cannot_block_the_mint(fan: Fan, catalog: Batch) -> None:
    order = make_order(
        user=fan.user, batch=catalog, method=PaymentMethod.CARD, status=OrderStatus.PAID
    )
    stranger_buys_with(order.order_ref, catalog)  # card refs live in their own space
    with transaction.atomic():
        chain_tx_enqueue(
            sender_role="minter",
            function="mintPacks",
            args=[fan.user.pk, catalog.pk, 1, order.order_ref],
            reference=f"order:{order.pk}:mint",
        )
    run_background()
    assert ChainTransaction.objects.get(function="mintPacks").status == "confirmed"
    order.refresh_from_db()
    assert order.status == OrderStatus.FULFILLED
    [pack] = order.packs.all()
    assert (pack.custody, pack.holder_address) == (Custody.CUSTODIAL, fan.user.custodial_address)
    contract = trackpacks_contract().functions
    assert contract.cardRefUsed(order.order_ref).call()
    assert contract.balanceOf(anvil_account(7).address, catalog.pack_token_id).call() == 1


def test_a_front_run_crypto_reference_leaves_the_order_payable(
    fan: Fan, catalog: Batch, api: Any
) -> None:
    order = make_order(user=fan.user, batch=catalog, payer_address=fan.wallet.address)
    stranger_buys_with(order.order_ref, catalog)
    run_background()
    order.refresh_from_db()
    assert (order.status, order.status_reason) == (OrderStatus.PENDING, "")
    contract = trackpacks_contract()
    data = contract.encode_abi("buyPacks", args=[catalog.pk, 1, order.order_ref])
    send_from(fan.wallet, to=contract.address, data=data, value=10**16)
    run_background()
    order.refresh_from_db()
    assert order.status == OrderStatus.FULFILLED
    assert order.packs.get().holder_address == fan.wallet.address
