from django.apps import AppConfig


class IpfsConfig(AppConfig):
    name = "ipfs"
    verbose_name = "IPFS"
