"""The content secrets of the shoot's ManagedResources: immutable, named by their content's hash, so
content that does not match its name is replaced, never edited; and every Kubernetes call of the
shoot-resources step, turned into a `StepError` naming object and API when refused."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any, TypeVar

from kubernetes_asyncio.client.exceptions import ApiException

from controller.errorcodes import ErrorCode
from controller.kube import secrets as secrets_io
from controller.kube.secrets import ObservedContentSecret, SecretConflict, delete_secret
from controller.shoot_resources.managed_resource import DesiredManagedResource
from controller.shoot_resources.plan import ManagedResourcePlan
from controller.steps.base import StepError
from controller.steps.context import StepContext, step_error_from_kube

T = TypeVar("T")
STEP = "shoot-resources"
CONDITION = "ShootResourcesReady"


def step_error(reason: str, message: str, **kwargs: Any) -> StepError:
    """A failure of the shoot-resources step (retryable unless `codes` says otherwise)."""
    kwargs.setdefault("codes", (ErrorCode.RETRYABLE_INFRA_DEPENDENCIES,))
    return StepError(STEP, CONDITION, reason=reason, message=message, **kwargs)


async def kube_call(awaitable: Awaitable[T], *, object_ref: str, api: str, doing: str) -> T:
    """Run one Kubernetes request; a refusal becomes a `StepError` naming object, API and error."""
    try:
        return await awaitable
    except ApiException as exc:
        raise step_error_from_kube(
            STEP, CONDITION, exc, reason="KubernetesApiError", object_ref=object_ref, api=api, doing=doing
        ) from None


async def apply_content_secret(
    ctx: StepContext, desired: DesiredManagedResource, plan: ManagedResourcePlan
) -> list[str]:
    """Create, replace or label the ManagedResource's content secret as `plan` says."""
    namespace = ctx.namespace
    secret_ref = f"Secret {namespace}/{plan.secret_name}"
    secret_api = f"{secrets_io.SECRET_API}/{plan.secret_name}"
    done: list[str] = []
    if plan.recreate_secret:
        # The secret is immutable and named by its content hash: content that does not match is replaced.
        await kube_call(
            delete_secret(ctx.api_client, namespace, plan.secret_name),
            object_ref=secret_ref,
            api=f"DELETE {secret_api}",
            doing="deleting the altered content secret",
        )
    if plan.create_secret or plan.recreate_secret:
        try:
            await kube_call(
                secrets_io.create_content_secret(
                    ctx.api_client, namespace, plan.secret_name, desired.data, desired.secret_labels()
                ),
                object_ref=secret_ref,
                api=f"POST {secrets_io.SECRET_API}",
                doing="creating",
            )
            done.append(f"created {secret_ref}")
        except SecretConflict:
            done.extend(await adopt_content_secret(ctx, desired, secret_ref, secret_api))
    elif plan.secret_labels:
        await kube_call(
            secrets_io.patch_secret_labels(ctx.api_client, namespace, plan.secret_name, plan.secret_labels),
            object_ref=secret_ref,
            api=f"PATCH {secret_api}",
            doing="labelling",
        )
        done.append(f"labelled {secret_ref}")
    return done


async def adopt_content_secret(
    ctx: StepContext, desired: DesiredManagedResource, secret_ref: str, secret_api: str
) -> list[str]:
    """The content secret exists but was not listed (labels removed): check its content, label it."""
    current = await kube_call(
        secrets_io.get_content_secret(ctx.api_client, ctx.namespace, desired.secret_name),
        object_ref=secret_ref,
        api=f"GET {secret_api}",
        doing="reading",
    )
    if current is None or current.deleting:
        raise step_error(
            "ContentSecretConflict",
            f"{secret_ref}: vanished or is being deleted while created; the next pass decides again",
            object_ref=secret_ref,
            api=f"POST {secrets_io.SECRET_API}",
            retry_after=1.0,
        )
    if current.data != desired.data:
        # Named by our content hash but holding other content: derived data, so it is replaced.
        await kube_call(
            delete_secret(ctx.api_client, ctx.namespace, current.name),
            object_ref=secret_ref,
            api=f"DELETE {secret_api}",
            doing="deleting the altered content secret",
        )
        await kube_call(
            secrets_io.create_content_secret(
                ctx.api_client, ctx.namespace, current.name, desired.data, desired.secret_labels()
            ),
            object_ref=secret_ref,
            api=f"POST {secrets_io.SECRET_API}",
            doing="creating",
        )
        return [f"replaced {secret_ref}, whose content did not match its hash"]
    missing = {k: v for k, v in desired.secret_labels().items() if current.labels.get(k) != v}
    if not missing:
        return []
    await kube_call(
        secrets_io.patch_secret_labels(ctx.api_client, ctx.namespace, current.name, missing),
        object_ref=secret_ref,
        api=f"PATCH {secret_api}",
        doing="labelling",
    )
    return [f"labelled {secret_ref}"]


async def delete_content_secrets(ctx: StepContext, secrets: list[ObservedContentSecret]) -> list[str]:
    done = []
    for secret in secrets:
        if await kube_call(
            delete_secret(ctx.api_client, ctx.namespace, secret.name),
            object_ref=secret.ref,
            api=f"DELETE {secrets_io.SECRET_API}/{secret.name}",
            doing="deleting",
        ):
            done.append(f"deleted {secret.ref}")
    return done
