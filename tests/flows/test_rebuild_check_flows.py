"""`chain_rebuild_check` after the real flows: the state the background passes built agrees
with the chain's logs replayed from scratch, and a tampered drawing is reported."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from chain.indexer import indexer_process_once
from tests.flows.conftest import Fan
from tests.flows.test_custody import give_custodial_packs, open_custodial
from trackpacks.models import Batch, Opening, RevealedSong, Song

pytestmark = [pytest.mark.chain, pytest.mark.django_db]


def rebuild_check() -> tuple[bool, str]:
    out = StringIO()
    try:
        call_command("chain_rebuild_check", stdout=out)
    except CommandError as exc:
        return False, out.getvalue() + str(exc)
    return True, out.getvalue()


def test_rebuild_check_agrees_after_mint_and_open_and_reports_a_tampered_draw(
    fan: Fan, catalog: Batch
) -> None:
    first, _second = give_custodial_packs(fan, catalog, 2)
    body = open_custodial(fan, first)
    assert body["status"] == "opened", body
    indexer_process_once()
    ok, output = rebuild_check()
    assert ok, output
    assert "0 difference(s)" in output

    opening = Opening.objects.get(pk=body["opening_id"])
    shown = set(opening.revealed.values_list("song__token_id", flat=True))
    other = Song.objects.exclude(token_id__in=shown).order_by("token_id").first()
    RevealedSong.objects.filter(opening=opening, position=0).update(song=other)
    ok, output = rebuild_check()
    assert not ok
    assert f"opening {opening.request_id}: chain drew" in output
    assert "1 difference(s)" in output
