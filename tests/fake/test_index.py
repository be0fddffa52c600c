"""Lookups by field: the same answers as a full scan, and changes seen on the next request."""

from __future__ import annotations

from typing import Any

import requests
from hypothesis import given, settings
from hypothesis import strategies as st
from netapp_ontap import HostConnection

from ontap.fake import query
from ontap.fake.index import StateIndex, accounts_named, candidates, index_of
from ontap.fake.store import FakeState, account_key
from ontap.fake.testing import FakeOntapServer
from tests.fake.builders import create_account, create_lif, create_mgmt_lif, create_svm

NAMES = ["alpha", "Alpha", "beta", "gamma", "delta"]


def state_with_svms(count: int) -> FakeState:
    state = FakeState.seeded("admin", "pw")
    for number in range(count):
        uuid = f"uuid-{number:04d}"
        name = NAMES[number % len(NAMES)] + ("" if number < len(NAMES) else str(number))
        state.svms[uuid] = {"uuid": uuid, "name": name}
        state.interfaces[f"lif-{number}"] = {
            "uuid": f"lif-{number}",
            "name": "mgmt",
            "svm": {"uuid": uuid, "name": name},
            "ip": {"address": f"127.9.{number // 250}.{number % 250 + 1}"},
            "service_policy": {"name": "default-management"},
        }
        state.accounts[account_key(uuid, "vsadmin")] = {
            "name": "vsadmin",
            "owner": {"uuid": uuid, "name": name},
        }
    return state


FILTER_VALUES = st.sampled_from(
    ["alpha", "ALPHA", "beta", "gamma7", "nope", "alpha|beta", "*ta", "!alpha", "null", "!null", ">b", ""]
)

UUID_VALUES = st.sampled_from(["uuid-0001", "UUID-0002", "none", "uuid-000*", "!uuid-0001"])


@settings(max_examples=60, deadline=None)
@given(
    name=FILTER_VALUES, uuid=st.sampled_from(["uuid-0001", "UUID-0002", "none", "uuid-000*", "!uuid-0001"])
)
def test_candidates_pass_the_same_records_as_a_full_scan(name: str, uuid: str) -> None:
    state = state_with_svms(40)
    for family, filters in (
        ("svms", {"name": name}),
        ("svms", {"uuid": uuid, "name": name}),
        ("interfaces", {"svm.uuid": uuid}),
        ("interfaces", {"svm.name": name}),
        ("accounts", {"owner.uuid": uuid, "name": "vsadmin"}),
    ):
        everything = [r for r in state.family(family).values() if query.matches(r, filters)]
        narrowed = [r for r in candidates(state, family, filters) if query.matches(r, filters)]
        assert sorted(map(id, narrowed)) == sorted(map(id, everything)), (family, filters)


def test_a_plain_filter_is_answered_from_the_records_it_names_only() -> None:
    state = state_with_svms(2000)
    assert [r["uuid"] for r in candidates(state, "svms", {"name": "beta7"})] == ["uuid-0007"]
    assert [r["uuid"] for r in candidates(state, "interfaces", {"svm.uuid": "uuid-1999"})] == ["lif-1999"]
    assert len(list(candidates(state, "svms", {"name": "*a"}))) == 2000  # an operator: every record


def test_changes_are_seen_once_the_state_is_touched_or_a_family_changes_size() -> None:
    state = state_with_svms(10)
    first = index_of(state)
    assert index_of(state) is first
    state.svms["uuid-0003"]["name"] = "renamed"
    state.touch()
    assert [r["uuid"] for r in candidates(state, "svms", {"name": "renamed"})] == ["uuid-0003"]
    state.svms["new"] = {"uuid": "new", "name": "fresh"}  # no touch: the size changed
    assert [r["uuid"] for r in candidates(state, "svms", {"name": "fresh"})] == ["new"]
    del state.accounts[account_key("uuid-0004", "vsadmin")]
    assert len(accounts_named(state, "vsadmin")) == 9
    assert index_of(state).management_lifs["127.9.0.4"] == "uuid-0003"


def test_accounts_named_is_exact_about_case() -> None:
    state = state_with_svms(3)
    state.accounts["x/VSADMIN"] = {"name": "VSADMIN", "owner": {"uuid": "x"}}
    assert {a["name"] for a in accounts_named(state, "vsadmin")} == {"vsadmin"}
    assert [a["name"] for a in accounts_named(state, "VSADMIN")] == ["VSADMIN"]


def _admin(server: FakeOntapServer, method: str, path: str, **kwargs: Any) -> Any:
    response = requests.request(
        method, f"{server.url}{path}", auth=(server.admin_user, server.admin_password), timeout=10, **kwargs
    )
    response.raise_for_status()
    return response.json() if response.content else None


def _names(server: FakeOntapServer, name: str) -> list[str]:
    answer = _admin(server, "GET", "/api/svm/svms", params={"name": name})
    return [r["name"] for r in answer["records"]]


def _lookups(index: StateIndex) -> tuple[Any, ...]:
    keys = {name: {v: k for v, k in by_value.items() if k} for name, by_value in index._keys.items()}
    return keys, index.management_lifs, index.management_addresses


def _rename(server: FakeOntapServer, uuid: str, name: str) -> None:
    _admin(server, "PATCH", f"/api/svm/svms/{uuid}", params={"return_timeout": "30"}, json={"name": name})


def test_after_every_kind_of_write_the_index_is_what_a_fresh_one_would_be(
    fake_ontap: FakeOntapServer, fake_ontap_admin: HostConnection
) -> None:
    followed: list[StateIndex] = []

    def check() -> None:
        _admin(fake_ontap, "GET", "/api/cluster")  # every request brings the index up to date
        with fake_ontap.fake.lock:
            state = fake_ontap.fake.state
            assert not state.changes
            assert isinstance(state.index_cache, StateIndex)
            assert _lookups(state.index_cache) == _lookups(StateIndex(state))
            followed.append(state.index_cache)
            assert followed[-1] is followed[0], "the writes were followed, not worked out again"

    kept, gone = create_svm(fake_ontap_admin, "svm_kept"), create_svm(fake_ontap_admin, "svm_gone")
    check()
    mgmt = create_mgmt_lif(fake_ontap_admin, kept, "127.0.0.61")
    data = create_lif(fake_ontap_admin, kept, "data1", "10.0.0.61")
    create_lif(fake_ontap_admin, gone, "data1", "10.0.0.62")
    create_account(fake_ontap_admin, kept, "vsadmin")
    create_account(fake_ontap_admin, gone, "vsadmin")
    check()
    _rename(fake_ontap, kept.uuid, "svm_renamed")
    check()
    _admin(fake_ontap, "PATCH", f"/api/network/ip/interfaces/{mgmt.uuid}", json={"enabled": False})
    check()
    _admin(fake_ontap, "PATCH", f"/api/network/ip/interfaces/{mgmt.uuid}", json={"enabled": True})
    _admin(
        fake_ontap, "PATCH", f"/api/network/ip/interfaces/{mgmt.uuid}", json={"ip": {"address": "127.0.0.62"}}
    )
    check()
    _admin(fake_ontap, "DELETE", f"/api/network/ip/interfaces/{data.uuid}")
    _admin(fake_ontap, "DELETE", f"/api/security/accounts/{kept.uuid}/vsadmin")
    check()
    _admin(fake_ontap, "DELETE", f"/api/svm/svms/{gone.uuid}", params={"return_timeout": "30"})
    check()
    with fake_ontap.fake.lock:
        assert fake_ontap.fake.state.index_cache is not None
        index = fake_ontap.fake.state.index_cache
        assert index.management_lifs == {"127.0.0.62": kept.uuid}
        assert [r["name"] for r in candidates(fake_ontap.fake.state, "svms", {"name": "svm_renamed"})] == [
            "svm_renamed"
        ]


def test_a_rename_through_the_api_or_in_place_is_seen_by_the_next_filtered_read(
    fake_ontap: FakeOntapServer, fake_ontap_admin: HostConnection
) -> None:
    svm = create_svm(fake_ontap_admin, "svm_index")
    assert _names(fake_ontap, "svm_index") == ["svm_index"]
    _rename(fake_ontap, svm.uuid, "svm_index2")
    assert _names(fake_ontap, "svm_index") == []
    assert _names(fake_ontap, "svm_index2") == ["svm_index2"]
    with fake_ontap.lock:
        fake_ontap.state.svms[svm.uuid]["name"] = "svm_index3"
    assert _names(fake_ontap, "svm_index2") == []
    assert _names(fake_ontap, "svm_index3") == ["svm_index3"]
