import pytest
from django.core.management import CommandError, call_command
from django.db.models import F

from chain.indexer import indexer_process_once
from chain.models import ChainEvent, TokenBalance
from tests.chain.conftest import ChainHelper
from tests.chain.test_faults import settle_crypto_order
from trackpacks.models import Pack

pytestmark = [pytest.mark.chain, pytest.mark.django_db]


def rebuild_check(capsys: pytest.CaptureFixture[str]) -> tuple[bool, str]:
    try:
        call_command("chain_rebuild_check")
    except CommandError as exc:
        return False, capsys.readouterr().out + str(exc)
    return True, capsys.readouterr().out


def test_rebuild_check_agrees_with_a_consistent_database_and_lists_each_difference(
    chainh: ChainHelper, capsys: pytest.CaptureFixture[str]
) -> None:
    order, _ = settle_crypto_order(chainh)
    chainh.mine(2)
    indexer_process_once()
    ok, output = rebuild_check(capsys)
    assert ok, output
    assert "0 difference(s)" in output

    buyer = chainh.account(4)
    TokenBalance.objects.filter(address=buyer).update(balance=F("balance") + 1)
    Pack.objects.filter(order=order).delete()
    ChainEvent.objects.create(
        chain_id=31337,
        tx_hash="0x" + "ee" * 32,
        log_index=0,
        block_number=1,
        block_hash="0x" + "ee" * 32,
        contract_address=chainh.contract.address,
        event_name="PacksMinted",
        args={},
    )
    ok, output = rebuild_check(capsys)
    assert not ok
    assert f"balance of {buyer}" in output
    assert f"order {order.pk} (fulfilled): chain pays for 1 pack(s), database issued 0" in output
    assert f"held by {buyer}: chain 1, database 0" in output
    assert "indexed but not on chain (orphan)" in output
    assert "4 difference(s)" in output
