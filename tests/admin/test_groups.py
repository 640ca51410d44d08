from django.contrib.auth.models import Group
from django.core.management import call_command

from console.groups import LABEL_MANAGER, STAFF_GROUPS, SUPPORT


def _perms(name: str) -> set[str]:
    group = Group.objects.get(name=name)
    return {f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.all()}


def test_groups_exist_after_migrate_with_exactly_their_permissions(db: None) -> None:
    for name, permissions in STAFF_GROUPS.items():
        assert _perms(name) == set(permissions)


def test_support_cannot_control_sales_nor_the_chain_and_managers_cannot_refund(db: None) -> None:
    support = _perms(SUPPORT)
    assert not support & {
        "trackpacks.control_sale",
        "chain.operate_contract",
        "trackpacks.add_batch",
    }
    manager = _perms(LABEL_MANAGER)
    assert not manager & {"payments.refund_order", "payments.resolve_review"}


def test_sync_takes_back_a_permission_granted_by_hand(db: None) -> None:
    from django.contrib.auth.models import Permission

    group = Group.objects.get(name=SUPPORT)
    group.permissions.add(Permission.objects.get(codename="control_sale"))
    call_command("staff_groups_sync", stdout=None)
    assert "trackpacks.control_sale" not in _perms(SUPPORT)
