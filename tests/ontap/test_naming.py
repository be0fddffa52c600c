"""ONTAP naming rules for SVMs, accounts and LIFs, and the SVM ownership marker."""

from __future__ import annotations

import re
import string

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ontap import naming
from ontap.naming import InvalidName


def test_svm_name_matches_the_go_extension() -> None:
    assert naming.svm_name("0b1c3a2e-6f7d-4c1b-9d1e-2f3a4b5c6d7e") == "p0b1c3a2e6f7d4c1b9d1e2f3a4b5c6d7e"


@pytest.mark.parametrize(
    ("name", "rule"),
    [
        ("", "empty"),
        ("p" + "a" * 47, "at most 47"),
        ("1abc", "start with a letter"),
        ("-abc", "start with a letter"),
        ("ab c", "may only contain"),
        ("ab/c", "may only contain"),
        ("all", "reserved"),
    ],
)
def test_invalid_svm_names_say_which_rule(name: str, rule: str) -> None:
    with pytest.raises(InvalidName, match=rule):
        naming.validate_svm_name(name)


def test_svm_name_rejects_too_long_project_ids() -> None:
    with pytest.raises(InvalidName, match="at most 47"):
        naming.svm_name("x" * 47)


def test_svm_name_fits_a_metrocluster_sync_source() -> None:
    # ONTAP 13434911: at most 41 characters for a "sync-source" SVM (Trident's svm_create_responses.go).
    assert len(naming.svm_name("x" * 40)) == 41
    with pytest.raises(InvalidName, match="on MetroCluster ONTAP allows at most 41"):
        naming.svm_name("x" * 41)
    assert naming.metrocluster_partner("p1234") == "p1234-mc"


@given(st.text(alphabet=string.ascii_letters + string.digits + "-", min_size=1, max_size=60))
def test_svm_name_is_valid_or_refused(project_id: str) -> None:
    try:
        name = naming.svm_name(project_id)
    except InvalidName:
        assert len(project_id.replace("-", "")) + 1 > naming.SVM_NAME_MAX_METROCLUSTER
        return
    assert re.fullmatch(r"p[A-Za-z0-9]*", name)
    assert len(name) <= naming.SVM_NAME_MAX_METROCLUSTER


def test_account_name_drops_the_shoot_prefix() -> None:
    assert naming.account_name("shoot--dev--my-shoot") == "dev--my-shoot"


_technical_ids = st.builds(
    lambda project, shoot: f"shoot--{project}--{shoot}",
    st.from_regex(r"[a-z][a-z0-9-]{0,20}", fullmatch=True),
    st.from_regex(r"[a-z][a-z0-9-]{0,70}", fullmatch=True),
)


@given(_technical_ids)
def test_account_names_are_valid_and_stable(technical_id: str) -> None:
    name = naming.account_name(technical_id)
    assert naming.ACCOUNT_NAME_MIN <= len(name) <= naming.ACCOUNT_NAME_MAX
    assert re.fullmatch(r"[A-Za-z][A-Za-z0-9_.-]*", name)
    assert naming.account_name(technical_id) == name


@given(_technical_ids, _technical_ids)
def test_distinct_shoots_get_distinct_account_names(a: str, b: str) -> None:
    if a != b:
        assert naming.account_name(a) != naming.account_name(b)


def test_long_account_names_get_a_hash_suffix() -> None:
    long_id = "shoot--project--" + "s" * 80
    name = naming.account_name(long_id)
    assert len(name) == naming.ACCOUNT_NAME_MAX
    assert re.fullmatch(r".*-[0-9a-f]{10}", name)
    assert naming.account_name(long_id + "x") != name


def test_account_name_refuses_an_empty_id() -> None:
    with pytest.raises(InvalidName):
        naming.account_name("shoot--")


def test_lif_names() -> None:
    assert naming.lif_names(3) == ["data1", "data2", "data3", "mgmt"]
    assert naming.data_lif_names(0) == []


def test_ownership_marker_round_trips() -> None:
    comment = naming.ownership_comment("abc-123")
    marker = naming.parse_ownership(comment)
    assert marker == naming.OwnershipMarker(managed_by=naming.MANAGED_BY, project_id="abc-123")
    assert naming.is_ours(comment)
    assert naming.is_ours(comment, "abc-123")
    assert not naming.is_ours(comment, "other")


@pytest.mark.parametrize(
    "comment", [None, "", "created by hand", "managed-by=someone-else;project=x", "project=x"]
)
def test_foreign_comments_are_not_ours(comment: str | None) -> None:
    assert not naming.is_ours(comment)
