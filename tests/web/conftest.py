# The flow tests' catalog on anvil and the session's localstripe, for the browser journey.
from tests.flows.conftest import catalog  # noqa: F401
from tests.payments.stripe_fixtures import localstripe, stripe_local  # noqa: F401
