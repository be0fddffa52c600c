"""The pure decision functions of the provisioning primitives, over every observed state."""

from __future__ import annotations

from ipaddress import IPv4Address

import pytest
from pydantic import SecretStr

from ontap.errors import OntapError, OntapPlacementConflict
from ontap.models import AccountInfo, IpInterfaceInfo, SvmInfo
from ontap.naming import ownership_comment
from ontap.provisioning.account import AccountPlan, DesiredAccount, LoginResult, LoginStatus, decide_account
from ontap.provisioning.deletion import our_lifs
from ontap.provisioning.lifs import DesiredLifs, LifFix, decide_lifs, desired_specs, place_lifs
from ontap.provisioning.observe import Observation, pending_work
from ontap.provisioning.placement import Placement, decide_existing, decide_new
from ontap.provisioning.svm import DesiredSvm, SvmAction, decide_svm

PROJECT = "0b1c3a2e-6f7d"
DESIRED_SVM = DesiredSvm(name="p0b1c3a2e6f7d", project_id=PROJECT, aggregates=("aggr1", "aggr2"))


def svm(**changes: object) -> SvmInfo:
    base: dict[str, object] = {
        "uuid": "u1",
        "name": "p0b1c3a2e6f7d",
        "state": "running",
        "comment": ownership_comment(PROJECT),
        "aggregates": ("aggr1", "aggr2"),
        "nvme_allowed": True,
        "nvme_enabled": True,
    }
    base.update(changes)
    return SvmInfo.model_validate(base)


class TestDecideSvm:
    def test_absent_svm_is_created(self) -> None:
        assert decide_svm(None, DESIRED_SVM).action is SvmAction.CREATE
        plan = decide_svm(None, DesiredSvm(name="p1", project_id="1"))
        assert plan.need_aggregate_list

    def test_steady_state_needs_nothing(self) -> None:
        assert decide_svm(svm(), DESIRED_SVM).action is SvmAction.NOTHING

    @pytest.mark.parametrize("comment", ["", "made by hand", "managed-by=other;project=" + PROJECT])
    def test_svm_without_our_marker_is_a_conflict(self, comment: str) -> None:
        plan = decide_svm(svm(comment=comment), DESIRED_SVM)
        assert plan.action is SvmAction.CONFLICT
        assert "not touched" in plan.reason

    def test_svm_of_another_project_is_a_conflict(self) -> None:
        plan = decide_svm(svm(comment=ownership_comment("other")), DESIRED_SVM)
        assert plan.action is SvmAction.CONFLICT
        assert "other" in plan.reason

    @pytest.mark.parametrize("state", ["initializing", "starting", "deleting", "stopping"])
    def test_unsettled_svm_waits(self, state: str) -> None:
        assert decide_svm(svm(state=state), DESIRED_SVM).action is SvmAction.WAIT

    def test_stopped_svm_is_reported_not_started(self) -> None:
        plan = decide_svm(svm(state="stopped"), DESIRED_SVM)
        assert plan.action is SvmAction.NOTHING
        assert any("stopped" in d for d in plan.drift)

    @pytest.mark.parametrize(
        ("state", "said"), [("stopped", "stopped"), (None, "in no reported state"), ("x", "x")]
    )
    def test_an_svm_not_running_is_left_alone_and_not_ready(self, state: str | None, said: str) -> None:
        observed = svm(state=state, nvme_allowed=False, nvme_enabled=False, aggregates=())
        plan = decide_svm(observed, DESIRED_SVM)
        assert plan.action is SvmAction.NOTHING  # no fixes written to an SVM that is not running
        assert plan.drift == (f"SVM {observed.name} is {said}, not running (left alone)",)
        assert not observed.is_running and observed.is_settled

    def test_missing_aggregates_are_added_never_removed(self) -> None:
        plan = decide_svm(svm(aggregates=("aggr1", "aggr9")), DESIRED_SVM)
        assert plan.action is SvmAction.FIX
        assert plan.add_aggregates == ("aggr2",)

    def test_all_aggregates_wanted_and_none_assigned(self) -> None:
        desired = DesiredSvm(name=DESIRED_SVM.name, project_id=PROJECT)
        assert decide_svm(svm(aggregates=()), desired).need_aggregate_list
        assert decide_svm(svm(aggregates=("aggr1",)), desired).action is SvmAction.NOTHING

    @pytest.mark.parametrize(
        ("allowed", "enabled", "expect_allow", "expect_enable"),
        [
            (True, False, False, True),
            (False, False, True, True),
            (None, None, False, True),
            (True, True, False, False),
        ],
    )
    def test_nvme(
        self, allowed: bool | None, enabled: bool | None, expect_allow: bool, expect_enable: bool
    ) -> None:
        plan = decide_svm(svm(nvme_allowed=allowed, nvme_enabled=enabled), DESIRED_SVM)
        assert (plan.allow_nvme, plan.enable_nvme) == (expect_allow, expect_enable)

    def test_nvme_not_wanted_is_left_alone(self) -> None:
        desired = DesiredSvm(name=DESIRED_SVM.name, project_id=PROJECT, aggregates=("aggr1",), nvme=False)
        assert decide_svm(svm(nvme_enabled=False), desired).action is SvmAction.NOTHING


DESIRED_LIFS = DesiredLifs(
    data_ips=(IPv4Address("127.0.0.11"), IPv4Address("127.0.0.12")), management_ip="127.0.0.10"
)


def lif(name: str, ip: str, policy: str, **changes: object) -> IpInterfaceInfo:
    base: dict[str, object] = {
        "uuid": f"uuid-{name}",
        "name": name,
        "ip": ip,
        "prefix_length": 24,
        "service_policy": policy,
        "enabled": True,
    }
    base.update(changes)
    return IpInterfaceInfo.model_validate(base)


def complete_lifs() -> list[IpInterfaceInfo]:
    return [
        lif("data1", "127.0.0.11", "default-data-nvme-tcp"),
        lif("data2", "127.0.0.12", "default-data-nvme-tcp"),
        lif("mgmt", "127.0.0.10", "default-management"),
    ]


class TestDecideLifs:
    def test_desired_specs(self) -> None:
        specs = desired_specs(DESIRED_LIFS)
        assert [(s.name, str(s.ip), s.service_policy) for s in specs] == [
            ("data1", "127.0.0.11", "default-data-nvme-tcp"),
            ("data2", "127.0.0.12", "default-data-nvme-tcp"),
            ("mgmt", "127.0.0.10", "default-management"),
        ]

    def test_nothing_exists(self) -> None:
        plan = decide_lifs(DESIRED_LIFS, [])
        assert [s.name for s in plan.missing] == ["data1", "data2", "mgmt"]
        assert not plan.fixes and not plan.drift

    def test_steady_state(self) -> None:
        plan = decide_lifs(DESIRED_LIFS, complete_lifs())
        assert plan.nothing_to_do and not plan.drift

    def test_one_missing(self) -> None:
        plan = decide_lifs(DESIRED_LIFS, complete_lifs()[1:])
        assert [s.name for s in plan.missing] == ["data1"]

    def test_wrong_ip_is_reported_not_fixed(self) -> None:
        lifs = complete_lifs()
        lifs[0] = lif("data1", "127.0.0.99", "default-data-nvme-tcp")
        plan = decide_lifs(DESIRED_LIFS, lifs)
        assert plan.nothing_to_do
        assert plan.drift == ("LIF data1 has IP 127.0.0.99, desired 127.0.0.11 (left alone)",)

    def test_ip_held_by_another_name_is_reported(self) -> None:
        lifs = [*complete_lifs()[1:], lif("custom", "127.0.0.11", "default-data-nvme-tcp")]
        plan = decide_lifs(DESIRED_LIFS, lifs)
        assert not plan.missing
        assert plan.drift == ("IP 127.0.0.11 wanted for LIF data1 is held by LIF custom (left alone)",)

    def test_foreign_lifs_are_left_alone(self) -> None:
        plan = decide_lifs(DESIRED_LIFS, [*complete_lifs(), lif("nfs1", "127.0.0.50", "default-data-files")])
        assert plan.nothing_to_do
        assert plan.drift == ("LIF nfs1 (127.0.0.50) is not managed by this extension (left alone)",)

    def test_policy_and_enabled_drift_is_fixed_in_place(self) -> None:
        lifs = complete_lifs()
        lifs[1] = lif("data2", "127.0.0.12", "default-data-files", enabled=False)
        plan = decide_lifs(DESIRED_LIFS, lifs)
        assert plan.fixes == (
            LifFix("data2", "uuid-data2", service_policy="default-data-nvme-tcp", enable=True),
        )

    def test_placement_round_robin_and_management_on_first_node(self) -> None:
        creates = place_lifs(desired_specs(DESIRED_LIFS), ["n2", "n1"], bgp=False, netmask_bits=24)
        assert [(c.spec.name, c.home_node, c.prefix_length, c.vip) for c in creates] == [
            ("data1", "n1", 24, False),
            ("data2", "n2", 24, False),
            ("mgmt", "n1", 24, False),
        ]

    def test_placement_is_stable_for_a_single_missing_lif(self) -> None:
        missing = decide_lifs(DESIRED_LIFS, complete_lifs()[:1] + complete_lifs()[2:]).missing
        assert [c.home_node for c in place_lifs(missing, ["n1", "n2"], False, 24)] == ["n2"]

    def test_bgp_means_32_and_vip(self) -> None:
        creates = place_lifs(desired_specs(DESIRED_LIFS), ["n1"], bgp=True, netmask_bits=24)
        assert {(c.prefix_length, c.vip) for c in creates} == {(32, True)}

    def test_no_node_up_is_an_error(self) -> None:
        with pytest.raises(OntapError, match="no cluster node is up"):
            place_lifs(desired_specs(DESIRED_LIFS), [], bgp=False, netmask_bits=24)

    def test_desired_ips_must_differ(self) -> None:
        with pytest.raises(ValueError, match="different"):
            DesiredLifs(data_ips=(IPv4Address("127.0.0.1"),), management_ip="127.0.0.1")

    def test_our_lifs_for_deletion(self) -> None:
        lifs = [*complete_lifs(), lif("nfs1", "127.0.0.50", "x"), lif("data1x", "127.0.0.51", "x")]
        assert [i.name for i in our_lifs(lifs)] == ["data1", "data2", "mgmt"]


DESIRED_ACCOUNT = DesiredAccount(name="dev--shoot", password=SecretStr("Secret-12345"))


def account(**changes: object) -> AccountInfo:
    base: dict[str, object] = {
        "name": "dev--shoot",
        "owner_uuid": "u1",
        "role": "vsadmin",
        "locked": False,
        "applications": ("http", "ontapi"),
    }
    base.update(changes)
    return AccountInfo.model_validate(base)


class TestDecideAccount:
    def test_absent(self) -> None:
        assert decide_account(None, DESIRED_ACCOUNT) == AccountPlan(create=True)

    def test_steady_state(self) -> None:
        assert decide_account(account(), DESIRED_ACCOUNT).nothing_to_do

    def test_wrong_role_locked_and_missing_application(self) -> None:
        plan = decide_account(
            account(role="vsadmin-readonly", locked=True, applications=("http",)), DESIRED_ACCOUNT
        )
        assert plan == AccountPlan(set_role="vsadmin", unlock=True, add_applications=("ontapi",))


class TestPlacementDecisions:
    def test_found_on_one(self) -> None:
        found = {"a": None, "b": svm()}
        assert decide_existing("p1", found) == Placement(cluster="b", svm=svm())

    def test_found_nowhere(self) -> None:
        assert decide_existing("p1", {"a": None, "b": None}) is None

    def test_found_on_two_is_a_conflict(self) -> None:
        with pytest.raises(OntapPlacementConflict, match="a, b"):
            decide_existing("p1", {"a": svm(), "b": svm()})

    def test_fewest_volumes_and_deterministic_ties(self) -> None:
        assert decide_new({"a": 10, "b": 3, "c": 7}) == "b"
        assert decide_new({"b": 3, "a": 3}) == "a"

    def test_no_clusters(self) -> None:
        with pytest.raises(OntapError):
            decide_new({})


class TestPendingWork:
    def observation(self, **changes: object) -> Observation:
        base: dict[str, object] = {
            "cluster": "c1",
            "svm_name": DESIRED_SVM.name,
            "account_name": "dev--shoot",
            "svm": svm(),
            "interfaces": tuple(complete_lifs()),
            "login": LoginResult(LoginStatus.OK, account=account()),
        }
        base.update(changes)
        return Observation(**base)  # type: ignore[arg-type]

    def test_steady_state_has_no_work(self) -> None:
        assert pending_work(self.observation(), DESIRED_SVM, DESIRED_LIFS) == []

    def test_each_gap_is_named(self) -> None:
        obs = self.observation(interfaces=tuple(complete_lifs()[1:]), login=LoginResult(LoginStatus.REJECTED))
        assert pending_work(obs, DESIRED_SVM, DESIRED_LIFS) == [
            "lifs: create data1",
            "account: login rejected",
        ]

    def test_missing_svm(self) -> None:
        obs = self.observation(svm=None, interfaces=None, login=None)
        assert pending_work(obs, DESIRED_SVM, DESIRED_LIFS) == [
            "svm: create",
            "lifs: not observed",
            "account: login not tried",
        ]
