"""One shared scenario: an operator who may run tools, a viewer who may not,
an admin (staff) who sees everything, and the inventory demo data."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.models import Group, User

from apps.accounts.roles import roles_ensure


@dataclass
class Scenario:
    operator: User
    viewer: User
    admin: User
    other_operator: User


def scenario_create(*, with_inventory: bool = True) -> Scenario:
    roles_ensure()

    def make(username: str, role: str, **extra: bool) -> User:
        user = User.objects.create_user(username=username, password=f"{username}-pass", **extra)
        user.groups.add(Group.objects.get(name=role))
        return user

    scenario = Scenario(
        operator=make("alice", "operator"),
        viewer=make("victor", "viewer"),
        admin=make("ada", "admin", is_staff=True, is_superuser=True),
        other_operator=make("bob", "operator"),
    )
    if with_inventory:
        from apps.inventory.demo import seed_inventory

        seed_inventory()
    return scenario
