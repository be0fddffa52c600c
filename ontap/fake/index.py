"""Lookups by the fields the controller filters on, so that a login or a filtered collection read costs
the same on a cluster with 10,000 SVMs as on one with ten.

The index follows the state record by record: the code that adds, removes or changes an indexed
record in place says so (`FakeState.changed`), and the index brings those entries up to date when it
is next asked. A test that changes records directly does so under `FakeOntapServer.lock`, which makes
it start over (`FakeState.touch`), and so does a family whose size no longer matches. It only narrows:
the records it names still go through the full filter (`ontap.fake.query`); what it must never do is
miss a record, and `tests/fake/test_index.py` checks it against a full scan after every kind of write.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from typing import Any

from ontap.fake.listeners import management_lif
from ontap.fake.query import values_at
from ontap.fake.store import FakeState, Record

# The families and the dotted fields they are looked up by (the filters `ontap.provisioning.reads` sends
# and an account's name for a login).
INDEXED_FIELDS: dict[str, tuple[str, ...]] = {
    "svms": ("name", "uuid"),
    "interfaces": ("svm.uuid", "svm.name"),
    "accounts": ("name", "owner.uuid", "owner.name"),
}
# A filter value with any of these is not a plain "equals" (ONTAP's `|`, `*`, `!`, `<`, `>` operators).
_OPERATOR_CHARACTERS = frozenset("|*!<>")


def _folded(value: Any) -> str:
    # As `ontap.fake.query` compares: booleans as true/false, everything as text, case ignored.
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value).lower()


class StateIndex:
    """Record keys by (family, field, lower-cased value), and the management LIFs by address."""

    def __init__(self, state: FakeState) -> None:
        self._keys: dict[tuple[str, str], dict[str, set[str]]] = {
            (family, dotted): {} for family, fields in INDEXED_FIELDS.items() for dotted in fields
        }
        self._entries: dict[str, dict[str, list[tuple[str, str]]]] = {family: {} for family in INDEXED_FIELDS}
        self._lif_addresses: dict[str, str] = {}  # interface key -> its management address
        self.management_lifs: dict[str, str] = {}  # address -> owning SVM uuid
        self._addresses: frozenset[str] | None = None
        for family in INDEXED_FIELDS:
            for key, record in state.family(family).items():
                self._add(family, key, record)

    def keys(self, family: str, dotted: str, value: str) -> Collection[str]:
        """Keys of the records whose `dotted` field equals `value` (case ignored)."""
        return self._keys[(family, dotted)].get(value.lower(), ())

    @property
    def management_addresses(self) -> frozenset[str]:
        """The management LIF addresses (the same object until one comes or goes)."""
        if self._addresses is None:
            self._addresses = frozenset(self.management_lifs)
        return self._addresses

    def follow(self, state: FakeState, family: str, key: str) -> None:
        """Bring one record's entries up to date (added, removed or changed)."""
        self._remove(family, key)
        record = state.family(family).get(key)
        if record is not None:
            self._add(family, key, record)

    def fits(self, state: FakeState) -> bool:
        """Whether it holds as many records of each family as the state does."""
        return all(len(self._entries[family]) == len(state.family(family)) for family in INDEXED_FIELDS)

    def _add(self, family: str, key: str, record: Record) -> None:
        fields = INDEXED_FIELDS[family]
        entries = [(dotted, _folded(value)) for dotted in fields for value in values_at(record, dotted)]
        for dotted, value in entries:
            self._keys[(family, dotted)].setdefault(value, set()).add(key)
        self._entries[family][key] = entries
        lif = management_lif(record) if family == "interfaces" else None
        if lif is not None:
            self._lif_addresses[key] = lif[0]
            self.management_lifs[lif[0]] = lif[1]
            self._addresses = None

    def _remove(self, family: str, key: str) -> None:
        for dotted, value in self._entries[family].pop(key, ()):
            keys = self._keys[(family, dotted)].get(value)
            if keys is not None:
                keys.discard(key)
                if not keys:
                    del self._keys[(family, dotted)][value]
        address = self._lif_addresses.pop(key, None) if family == "interfaces" else None
        if address is not None:
            self.management_lifs.pop(address, None)
            self._addresses = None


def index_of(state: FakeState) -> StateIndex:
    """The index of `state` as it is now (call with the fake's lock held)."""
    index = state.index_cache
    if isinstance(index, StateIndex):
        for family, key in state.changes:
            if family in INDEXED_FIELDS:
                index.follow(state, family, key)
        state.changes.clear()
        if index.fits(state):
            return index
    state.changes.clear()
    index = StateIndex(state)
    state.index_cache = index
    return index


def _plain(expression: str) -> bool:
    return (
        bool(expression)
        and expression.lower() not in ("null", "!null")
        and not (_OPERATOR_CHARACTERS & set(expression))
    )


def candidates(state: FakeState, family: str, filters: Mapping[str, str]) -> Iterable[Record]:
    """The records of `family` that may pass `filters`: those the narrowest indexed plain-equality
    filter names, or all of them when no filter is indexed (the caller still applies every filter)."""
    records = state.family(family)
    narrowest: Collection[str] | None = None
    for dotted in INDEXED_FIELDS.get(family, ()):
        expression = filters.get(dotted)
        if expression is not None and _plain(expression):
            keys = index_of(state).keys(family, dotted, expression)
            if narrowest is None or len(keys) < len(narrowest):
                narrowest = keys
    if narrowest is None:
        return records.values()
    return [records[key] for key in narrowest if key in records]


def accounts_named(state: FakeState, name: str) -> list[Record]:
    """The accounts called exactly `name` (a login's user name)."""
    records = state.accounts
    keys = index_of(state).keys("accounts", "name", name)
    return [records[key] for key in keys if key in records and records[key].get("name") == name]
