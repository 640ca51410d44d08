"""Staff groups and exactly the permissions their work needs (least privilege).

Synced after every `migrate` and by `manage.py staff_groups_sync`: a group's permissions are
set to this list, so a permission granted by hand in the admin is taken back on the next sync.
Superusers are outside the groups and can do everything."""

from django.contrib.auth.models import Group, Permission
from django.db import transaction
from django.db.models import Q

LABEL_MANAGER = "Label manager"
SUPPORT = "Support"

STAFF_GROUPS: dict[str, list[str]] = {
    # Runs drops: catalog, batches and their sales, the contract, the outbox, the numbers.
    LABEL_MANAGER: [
        "trackpacks.view_song",
        "trackpacks.add_song",
        "trackpacks.change_song",
        "trackpacks.view_batch",
        "trackpacks.add_batch",
        "trackpacks.change_batch",
        "trackpacks.control_sale",
        "trackpacks.view_poolentry",
        "trackpacks.view_pack",
        "trackpacks.view_opening",
        "payments.view_order",
        "payments.view_orderevent",
        "payments.view_dashboard",
        "payments.export_sales",
        "chain.view_chaintransaction",
        "chain.retry_chaintransaction",
        "chain.cancel_chaintransaction",
        "chain.operate_contract",
        "chain.view_chainevent",
        "chain.view_indexercursor",
        "ipfs.view_ipfsobject",
        "ipfs.change_ipfsobject",
    ],
    # Helps fans: orders and what they bought; refunds, reviews, reservations. No catalog writes.
    SUPPORT: [
        "accounts.view_user",
        "trackpacks.view_song",
        "trackpacks.view_batch",
        "trackpacks.view_pack",
        "trackpacks.view_opening",
        "trackpacks.view_withdrawal",
        "payments.view_order",
        "payments.view_orderevent",
        "payments.view_stripeevent",
        "payments.refund_order",
        "payments.resolve_review",
        "payments.cancel_reservation",
        "payments.view_dashboard",
        "chain.view_chaintransaction",
    ],
}


def _permissions(names: list[str], *, using: str) -> list[Permission]:
    query = Q()
    for name in names:
        app_label, codename = name.split(".", 1)
        query |= Q(content_type__app_label=app_label, codename=codename)
    found = list(Permission.objects.using(using).filter(query))
    missing = set(names) - {f"{p.content_type.app_label}.{p.codename}" for p in found}
    if missing:
        raise LookupError(f"Unknown permissions for staff groups: {sorted(missing)}")
    return found


@transaction.atomic
def staff_groups_sync(*, using: str = "default") -> None:
    for name, permission_names in STAFF_GROUPS.items():
        group, _ = Group.objects.using(using).get_or_create(name=name)
        group.permissions.set(_permissions(permission_names, using=using))
