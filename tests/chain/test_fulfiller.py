from typing import Any

import pytest

from chain.fulfiller import FulfillerUnavailable, fulfiller_process_once
from chain.indexer import indexer_process_once
from chain.models import ChainEvent, VrfRequest
from tests.chain.conftest import ChainHelper
from tests.chain.test_indexer import BATCH, PACK_ID_OFFSET, custodial, mint, setup_batch

pytestmark = [pytest.mark.chain, pytest.mark.django_db]


def test_fulfiller_refuses_other_chains(settings: Any) -> None:
    settings.CHAIN_ID = 80002
    with pytest.raises(FulfillerUnavailable, match="31337"):
        fulfiller_process_once()


def test_fulfiller_opens_a_pack_with_five_songs(chainh: ChainHelper) -> None:
    setup_batch(chainh)
    holder = custodial(chainh, 5)
    mint(chainh, 5, 1, 42)
    chainh.send("operator", "openPackFor", 5, BATCH, b"\x01" * 32)
    assert fulfiller_process_once() == 1
    assert fulfiller_process_once() == 0  # remembered as fulfilled
    assert VrfRequest.objects.get().fulfilled_tx_hash

    indexer_process_once()
    opened = ChainEvent.objects.get(event_name="PackOpened")
    requested = ChainEvent.objects.get(event_name="PackOpenRequested")
    assert opened.args["requestId"] == requested.args["requestId"]
    songs = [int(s) for s in opened.args["songIds"]]
    assert len(songs) == 5
    assert all(1 <= s <= 6 for s in songs)
    contract = chainh.contract.functions
    assert contract.balanceOf(holder, PACK_ID_OFFSET + BATCH).call() == 0
    assert sum(contract.balanceOf(holder, s).call() for s in set(songs)) == 5
