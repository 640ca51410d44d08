"""The IPFS part of /api/v1/health/: pin counts by status. A failed pin needs an operator
(freeze again, or "Pin again" in the admin) but does not make the API unhealthy: `ok` stays
true so a load balancer never takes the API out of rotation for it."""

from typing import Any

from django.conf import settings
from django.db.models import Count

from ipfs.models import IpfsObject, PinStatus

FAILED_LISTED = 10


def check_ipfs() -> tuple[bool, dict[str, Any]]:
    try:
        counts = dict(
            IpfsObject.objects.values_list("pin_status").annotate(n=Count("id")).order_by()
        )
        failed = list(
            IpfsObject.objects.filter(pin_status=PinStatus.FAILED).values_list("cid", flat=True)[
                :FAILED_LISTED
            ]
        )
    except Exception as exc:  # database down: reported by the database check
        return True, {"error": type(exc).__name__}
    return True, {
        "provider": "pinata" if settings.PINATA_API_JWT else "local",
        "gateway": bool(settings.IPFS_GATEWAY_ENABLED),
        **{status: counts.get(status, 0) for status in PinStatus.values},
        "failed_cids": failed,
    }
