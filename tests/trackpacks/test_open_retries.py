"""`PackOpenRetried` as the indexer applies it, and its undo when a reorg takes it back."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.factories import make_batch, make_pack, make_user
from trackpacks.models import Opening, PackStatus
from trackpacks.services import (
    pack_open_fulfilled,
    pack_open_retried,
    pack_open_retry_reverted,
)

pytestmark = pytest.mark.django_db


def test_retry_moves_the_opening_and_a_reorg_moves_it_back() -> None:
    batch = make_batch(songs=6)
    pack = make_pack(owner=make_user(), batch=batch, status=PackStatus.OPENING)
    asked = timezone.now() - timedelta(days=2)
    opening = Opening.objects.create(pack=pack, request_id=5, requested_at=asked)

    pack_open_retried(old_request_id=5, new_request_id=9, tx_hash="0x" + "aa" * 32)
    opening.refresh_from_db()
    assert int(opening.request_id) == 9
    assert opening.requested_at is not None
    assert opening.requested_at > asked
    assert opening.retries[0]["old_request_id"] == "5"

    # The voided request's late fulfilment finds no opening: nothing is revealed.
    song_ids = list(batch.pool.values_list("song__token_id", flat=True))[:5]
    pack_open_fulfilled(request_id=5, song_token_ids=song_ids, random_word=1, tx_hash="0x01")
    opening.refresh_from_db()
    assert opening.revealed_at is None
    assert not opening.revealed.exists()

    pack_open_retry_reverted(old_request_id=5, new_request_id=9)
    opening.refresh_from_db()
    assert (int(opening.request_id), opening.retries) == (5, [])
    assert opening.requested_at == asked


def test_a_retry_of_an_unknown_request_changes_nothing() -> None:
    pack_open_retried(old_request_id=77, new_request_id=78, tx_hash="0x" + "bb" * 32)
    assert not Opening.objects.exists()
