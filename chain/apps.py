from django.apps import AppConfig


class ChainConfig(AppConfig):
    name = "chain"

    def ready(self) -> None:
        from chain import balances  # noqa: F401  (registers the balance appliers)
