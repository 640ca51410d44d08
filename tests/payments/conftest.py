from typing import Any

import pytest

from tests.payments.stripe_fixtures import WEBHOOK_SECRET, localstripe, stripe_local  # noqa: F401


@pytest.fixture(autouse=True)
def _webhook_secret(settings: Any) -> None:
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
