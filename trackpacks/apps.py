from django.apps import AppConfig


class TrackpacksConfig(AppConfig):
    name = "trackpacks"

    def ready(self) -> None:
        from trackpacks import handlers  # noqa: F401  (registers chain event handlers)
