"""One canonical form per person, and the directory platform.yaml declares (govhub.core.identity)."""

from __future__ import annotations

import pytest

from govhub.config import load_config
from govhub.core.identity import Directory, IdentityError, Person, canonical, skeleton
from tests.config.test_config import BASE, TEAM, _problems
from tests.helpers import EXAMPLE_CONFIG


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("Erin@ACME.example", "erin@acme.example"),
        ("\uff45\uff52\uff49\uff4e@acme.example", "erin@acme.example"),  # fullwidth letters fold (NFKC)
        ("ERIN", "erin"),
        ("stra\u00dfe", None),  # casefold turns ß into ss, still ASCII: accepted as strasse
    ],
)
def test_case_and_compatibility_forms_fold_to_one_identity(raw: str, expected: str | None) -> None:
    assert canonical(raw) == (expected or "strasse")


@pytest.mark.parametrize(
    "raw, why",
    [
        (" erin@acme.example", "whitespace"),
        ("erin @acme.example", "whitespace"),
        ("erin\u200b@acme.example", "U+200B"),  # zero-width space
        ("\u0435rin@acme.example", "U+0435"),  # Cyrillic e
        ("a" * 64, "truncates session names at 64"),
        ("", "empty"),
    ],
)
def test_what_cannot_be_canonical_is_refused(raw: str, why: str) -> None:
    with pytest.raises(IdentityError, match=why.replace("+", r"\+")):
        canonical(raw)


def test_aliases_resolve_to_one_person_and_a_name_may_not_denote_two() -> None:
    d = Directory.build([Person("erin@acme.example", ("erin", "E.Smith@acme.example"), approver=True)])
    assert d.same("ERIN", "e.smith@acme.example") and d.person_id("Erin") == "erin@acme.example"
    assert not d.same("erin", "frank")
    with pytest.raises(IdentityError, match="names both"):
        Directory.build([Person("erin@acme.example", ("pat",)), Person("pat@acme.example", ("pat",))])


def test_lookalike_skeletons() -> None:
    assert skeleton("modern@acme.example") == skeleton("rnodern@acme.example")
    assert skeleton("bill@acme.example") == skeleton("bi1l@acme.example") == skeleton("biII@acme.example")
    assert skeleton("erin@acme.example") != skeleton("frank@acme.example")


def test_the_example_config_declares_approvers_admins_and_members() -> None:
    d = load_config(EXAMPLE_CONFIG).directory
    erin, frank = d.resolve("erin"), d.resolve("frank@acme.example")
    assert erin and erin.approver and not erin.teams
    assert frank and frank.approver and frank.teams == ("fraud",)
    assert d.resolve("nobody@acme.example") is None


def test_config_refuses_shared_names_lookalikes_and_non_canonical_ids() -> None:
    text = (
        BASE.replace("teams:\n", "")
        + """governance:
  approvers:
    - {id: erin@acme.example, aliases: [pat]}
    - {id: bill@acme.example}
  platform_admins:
    - {id: pat@acme.example, aliases: [pat]}
    - {id: "bi1l@acme.example"}
teams:
"""
        + TEAM.format(name="fraud", account='"333333333333"', extra=', members: [{id: "\u0435ve@acme.example"}]')
    )
    problems = _problems(text)
    assert "is also a name of erin@acme.example" in problems["governance.platform_admins[0].aliases[0]"][0]
    assert "differ only in look-alike characters" in problems["governance.platform_admins[1].id"][0]
    assert "U+0435" in problems["teams[0].members[0].id"][0]
