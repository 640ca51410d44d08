from typing import Any

import pytest

from tests.flows.conftest import catalog  # noqa: F401  (a batch registered on anvil)
from tests.payments.stripe_fixtures import WEBHOOK_SECRET, localstripe, stripe_local  # noqa: F401


@pytest.fixture(autouse=True)
def _webhook_secret(settings: Any) -> None:
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
