"""infra/azure/roles.py against the vendored rows of Microsoft's built-in roles table."""

from __future__ import annotations

import re

from infra.azure import roles
from tests.helpers import ROOT

TABLE = ROOT / "tests" / "fixtures" / "azure-roles" / "builtin-roles.md"


def test_every_role_id_is_the_one_microsoft_publishes() -> None:
    rows = dict(re.findall(r"^\| ([^|]+?) \| ([0-9a-f-]{36}) \|$", TABLE.read_text(), re.M))
    assert rows == roles.BUILTIN_ROLE_IDS


def test_the_delegation_condition_names_the_roles_for_both_writes_and_deletes() -> None:
    condition = roles.delegation_condition(["b", "a"])
    assert condition.count("{a, b}") == 2
    assert "roleAssignments/write" in condition and "roleAssignments/delete" in condition
    assert condition.startswith("((!(ActionMatches{'Microsoft.Authorization/roleAssignments/write'}))")
