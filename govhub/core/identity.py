"""Who is who: one canonical form for a person's identity, and the directory platform.yaml declares.

Separation of duties compares people, so it must not be fooled by a second spelling of one name.
Identities come from authentication (on AWS: the role session name, which the identity provider sets,
and ``sts:SourceIdentity``); this module turns such a raw name into the one canonical form that every
comparison uses, and refuses what cannot be made canonical:

- case and compatibility forms fold away (Unicode NFKC, then casefold): ``Erin@ACME.example`` and
  ``ｅｒｉｎ@acme.example`` are the same person;
- whitespace anywhere, and any character outside ``a-z 0-9 . _ @ + = , -`` after folding, is refused:
  a Cyrillic ``е`` that looks like a Latin ``e`` is not mapped to it, it is an error;
- 64 characters or more are refused: STS truncates role session names at 64, so such a name may be
  the prefix of two people's names;
- aliases declared in platform.yaml resolve to the person's one id, so ``erin`` and
  ``erin@acme.example`` are one approver, not two.

:func:`skeleton` folds the ASCII look-alikes (``l``/``1``/``I``, ``0``/``O``, ``rn``/``m``, ``vv``/``w``)
and separators, so that the config check can refuse two different people whose names a reviewer could
confuse. Standard library only.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

MAX_LENGTH = 63
"""STS keeps at most 64 characters of a role session name; 64 or more may be a truncation."""
_ALLOWED = re.compile(r"^[a-z0-9._@+=,-]+$")
_LOOKALIKES = (("rn", "m"), ("vv", "w"), ("cl", "d"), ("1", "l"), ("i", "l"), ("|", "l"), ("0", "o"))


class IdentityError(ValueError):
    """A name that cannot be made canonical: the message says why and what to use instead."""


def canonical(raw: str) -> str:
    """The one form of a person's identity, or :class:`IdentityError`."""
    if not isinstance(raw, str) or not raw:
        raise IdentityError("the identity is empty; the identity provider must set the user's name")
    if any(ch.isspace() for ch in raw):
        raise IdentityError(
            f"identity {raw!r} contains whitespace; identities are single tokens such as e-mail addresses"
        )
    folded = unicodedata.normalize("NFKC", raw).casefold()
    folded = unicodedata.normalize("NFKC", folded)
    if len(folded) > MAX_LENGTH:
        raise IdentityError(
            f"identity {raw[:20]!r}... has {len(folded)} characters; STS truncates session names at 64, so "
            f"identities of more than {MAX_LENGTH} characters cannot be told apart: use a shorter id"
        )
    if not _ALLOWED.match(folded):
        odd = sorted({ch for ch in folded if not _ALLOWED.match(ch)})
        shown = ", ".join(f"{ch!r} (U+{ord(ch):04X})" for ch in odd[:5])
        raise IdentityError(
            f"identity {raw!r} contains {shown}: only a-z, 0-9 and . _ @ + = , - are accepted, so that "
            "look-alike characters cannot pass for another person"
        )
    return folded


def skeleton(name: str) -> str:
    """A confusability key: two names with one skeleton could be read as each other."""
    s = canonical(name)
    local = re.sub(r"[._+=,-]", "", s)
    for seq, to in _LOOKALIKES:
        local = local.replace(seq, to)
    return local


@dataclass(frozen=True)
class Person:
    """One person the hub knows: the canonical id, its aliases, and what they may do."""

    id: str
    aliases: tuple[str, ...] = ()
    approver: bool = False
    platform_admin: bool = False
    teams: tuple[str, ...] = ()

    def names(self) -> tuple[str, ...]:
        return (self.id, *self.aliases)


@dataclass(frozen=True)
class Directory:
    """Every person platform.yaml declares, looked up by any canonical spelling of any of their names."""

    people: tuple[Person, ...] = ()
    _by_name: Mapping[str, Person] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def build(cls, people: Iterable[Person]) -> Directory:
        merged: dict[str, Person] = {}
        for p in people:
            pid = canonical(p.id)
            have = merged.get(pid)
            aliases = tuple(dict.fromkeys(canonical(a) for a in (*(have.aliases if have else ()), *p.aliases)))
            merged[pid] = Person(
                id=pid,
                aliases=tuple(a for a in aliases if a != pid),
                approver=p.approver or bool(have and have.approver),
                platform_admin=p.platform_admin or bool(have and have.platform_admin),
                teams=tuple(dict.fromkeys((*(have.teams if have else ()), *p.teams))),
            )
        by_name: dict[str, Person] = {}
        for person in merged.values():
            for name in person.names():
                other = by_name.get(name)
                if other is not None and other.id != person.id:
                    raise IdentityError(
                        f"{name!r} names both {other.id} and {person.id}; give each person their own names"
                    )
                by_name[name] = person
        return cls(people=tuple(merged.values()), _by_name=by_name)

    def resolve(self, raw: str) -> Person | None:
        """The person behind a raw name (None: nobody the platform declares). Raises IdentityError for a
        name that cannot be canonical."""
        return self._by_name.get(canonical(raw))

    def same(self, a: str, b: str) -> bool:
        """Do two raw names denote one person (by canonical form, or through declared aliases)?"""
        return self.person_id(a) == self.person_id(b)

    def person_id(self, raw: str) -> str:
        """The person's one id, or the canonical form of a name nobody declares."""
        person = self.resolve(raw)
        return person.id if person else canonical(raw)


def confusable_pairs(names: Mapping[str, str]) -> list[tuple[str, str]]:
    """Pairs of names of different people (name -> person id) that share a skeleton."""
    seen: dict[str, tuple[str, str]] = {}
    out = []
    for name, pid in names.items():
        try:
            key = skeleton(name)
        except IdentityError:
            continue
        other = seen.get(key)
        if other is not None and other[1] != pid:
            out.append((other[0], name))
        else:
            seen.setdefault(key, (name, pid))
    return out
