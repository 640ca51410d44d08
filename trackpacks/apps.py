from django.apps import AppConfig


class TrackpacksConfig(AppConfig):
    name = "trackpacks"
