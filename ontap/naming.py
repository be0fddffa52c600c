"""Names of the ONTAP objects the extension owns, and the marker that says an SVM is ours."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

SVM_NAME_MAX = 47
# A MetroCluster "sync-source" SVM may have at most 41 characters (ONTAP error 13434911, Trident's
# svm_create_responses.go); project SVM names stay within it so that they work on MetroCluster too.
SVM_NAME_MAX_METROCLUSTER = 41
# The partner of a MetroCluster SVM on the other site (metal-stack's extension, pkg/trident/svm.go).
METROCLUSTER_SUFFIX = "-mc"
ACCOUNT_NAME_MIN = 3
ACCOUNT_NAME_MAX = 64
MANAGEMENT_LIF = "mgmt"
DATA_LIF_PREFIX = "data"
MANAGED_BY = "gardener-extension-ontap"

_SVM_CHARSET = re.compile(r"[A-Za-z0-9_.-]*")
_ACCOUNT_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]")
_HASH_LEN = 10


class InvalidName(ValueError):
    """A name breaks one of ONTAP's naming rules; the message says which."""


def svm_name(project_id: str) -> str:
    """The project's SVM name, as the Go extension names it: `p` + project id without dashes."""
    name = "p" + project_id.strip().replace("-", "")
    validate_svm_name(name)
    if len(name) > SVM_NAME_MAX_METROCLUSTER:
        raise InvalidName(
            f"SVM name {name!r} is {len(name)} characters long; on MetroCluster ONTAP allows at most "
            f"{SVM_NAME_MAX_METROCLUSTER}"
        )
    return name


def metrocluster_partner(name: str) -> str:
    """The name of the SVM's MetroCluster partner on the other site."""
    return name + METROCLUSTER_SUFFIX


def validate_svm_name(name: str) -> None:
    """Raise `InvalidName` saying which ONTAP rule `name` breaks."""
    if not name:
        raise InvalidName("SVM name is empty")
    if len(name) > SVM_NAME_MAX:
        raise InvalidName(
            f"SVM name {name!r} is {len(name)} characters long; ONTAP allows at most {SVM_NAME_MAX}"
        )
    if not (name[0].isascii() and (name[0].isalpha() or name[0] == "_")):
        raise InvalidName(f"SVM name {name!r} must start with a letter or an underscore")
    if not _SVM_CHARSET.fullmatch(name):
        bad = sorted({c for c in name if not _SVM_CHARSET.fullmatch(c)})
        raise InvalidName(f"SVM name {name!r} may only contain letters, digits, '_', '.', '-' (found {bad})")
    if name.lower() == "all":
        raise InvalidName("SVM name 'all' is reserved by ONTAP")


def account_name(technical_id: str) -> str:
    """A stable ONTAP user name for the shoot whose seed namespace is `shoot--<project>--<shoot>`.

    The `shoot--` prefix is dropped; characters ONTAP may reject become `-`; a name longer than
    64 characters keeps its start and gets a hash of the whole id, so it stays unique and stable.
    """
    base = technical_id.strip()
    base = base.removeprefix("shoot--")
    if not base:
        raise InvalidName(f"cannot derive an account name from {technical_id!r}: nothing after 'shoot--'")
    base = _ACCOUNT_UNSAFE.sub("-", base)
    if not base[0].isalpha():
        base = "s" + base
    if len(base) > ACCOUNT_NAME_MAX:
        digest = hashlib.sha256(technical_id.encode()).hexdigest()[:_HASH_LEN]
        base = f"{base[: ACCOUNT_NAME_MAX - _HASH_LEN - 1].rstrip('-.')}-{digest}"
    if len(base) < ACCOUNT_NAME_MIN:
        base = base + "-" + hashlib.sha256(technical_id.encode()).hexdigest()[:ACCOUNT_NAME_MIN]
    return base


def data_lif_names(count: int) -> list[str]:
    """`data1` .. `dataN`."""
    if count < 0:
        raise ValueError("count must be >= 0")
    return [f"{DATA_LIF_PREFIX}{i}" for i in range(1, count + 1)]


def lif_names(data_count: int) -> list[str]:
    """All LIF names of an SVM with `data_count` data LIFs: the data LIFs, then the management LIF."""
    return [*data_lif_names(data_count), MANAGEMENT_LIF]


# The `adopted-from=` value of an SVM taken over from metal-stack's Go extension.
ADOPTED_FROM_GO_EXTENSION = "go-extension"


@dataclass(frozen=True)
class OwnershipMarker:
    """What the SVM comment says about who manages the SVM (and whom it was adopted from, if anyone)."""

    managed_by: str
    project_id: str | None
    adopted_from: str | None = None


def ownership_comment(project_id: str, *, adopted_from: str | None = None) -> str:
    """The SVM comment that marks the SVM as managed by this extension for `project_id`.

    An adopted SVM also says from whom (`adopted-from=`), so every later pass knows that the LIFs
    and accounts under the other extension's names are this SVM's own.
    """
    comment = f"managed-by={MANAGED_BY};project={project_id}"
    return f"{comment};adopted-from={adopted_from}" if adopted_from else comment


def parse_ownership(comment: str | None) -> OwnershipMarker | None:
    """The marker in an SVM comment, None when the comment carries no `managed-by=`."""
    if not comment:
        return None
    fields: dict[str, str] = {}
    for part in comment.split(";"):
        key, sep, value = part.partition("=")
        if sep:
            fields[key.strip()] = value.strip()
    managed_by = fields.get("managed-by")
    if not managed_by:
        return None
    return OwnershipMarker(
        managed_by=managed_by,
        project_id=fields.get("project") or None,
        adopted_from=fields.get("adopted-from") or None,
    )


def is_ours(comment: str | None, project_id: str | None = None) -> bool:
    """True when the comment marks the SVM as ours (and, if given, for that project)."""
    marker = parse_ownership(comment)
    if marker is None or marker.managed_by != MANAGED_BY:
        return False
    return project_id is None or marker.project_id == project_id
