from accounts.models import User, normalize_email


def user_get_by_email(*, email: str) -> User | None:
    return User.objects.filter(email=normalize_email(email), is_active=True).first()


def user_get_by_wallet_address(*, address: str) -> User | None:
    """The account a (checksummed) wallet address is linked to, if any."""
    return User.objects.filter(wallet_address=address).first()
