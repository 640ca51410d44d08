"""Staff users of each group, logged in to the admin with Django's test client."""

from typing import Any

import pytest
from django.contrib.auth.models import Group
from django.test import Client

from accounts.models import User
from console.groups import LABEL_MANAGER, SUPPORT
from tests.conftest import PASSWORD
from tests.flows.conftest import catalog, fan  # noqa: F401  (fixtures)
from tests.flows.test_card_purchase import stripe_delivers  # noqa: F401
from tests.payments.stripe_fixtures import localstripe, stripe_local  # noqa: F401


def staff(email: str, group: str | None) -> User:
    user = User.objects.create_user(email, PASSWORD, is_staff=True)
    if group:
        user.groups.add(Group.objects.get(name=group))
    return user


def logged_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def label_manager(db: None) -> Client:
    return logged_in(staff("label@example.com", LABEL_MANAGER))


@pytest.fixture
def support(db: None) -> Client:
    return logged_in(staff("support@example.com", SUPPORT))


@pytest.fixture
def support_user(db: None) -> User:
    return staff("helper@example.com", SUPPORT)


def run_action(client: Client, url: str, action: str, ids: list[int], **extra: Any) -> Any:
    return client.post(url, {"action": action, "_selected_action": ids, **extra}, follow=True)


def messages_of(response: Any) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []
