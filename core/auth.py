from rest_framework.exceptions import NotAuthenticated
from rest_framework.request import Request

from accounts.models import User


def request_user(request: Request) -> User:
    """The authenticated user of a view guarded by IsAuthenticated, typed as our User."""
    user = request.user
    if not isinstance(user, User):
        raise NotAuthenticated()
    return user
