"""The shoot resources: Trident's credentials, backend and StorageClasses (and optionally its operator) reach
the shoot through ManagedResources in the seed namespace.

Observe (one LIST of our ManagedResources, one LIST of their content secrets) -> decide
(`plan_managed_resource`, pure) -> act (only the writes the plan names). Credentials are deployed only once
the seed-secret step of the same pass has confirmed on ONTAP that they work.
"""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any, TypeVar

from controller.adoption.plan import go_backend_names, go_credentials_secret_name
from controller.errorcodes import ErrorCode
from controller.kube import managed_resources as mr_api
from controller.kube import secrets as secrets_io
from controller.kube.managed_resources import (
    ManagedResourceConflict,
    ObservedManagedResource,
)
from controller.kube.secrets import ObservedContentSecret, delete_secret
from controller.shoot_access.names import ACCESS_SECRET
from controller.shoot_access.secret import plan_access_secret
from controller.shoot_health.observe import ManagedResourcesSeen
from controller.shoot_resources import names
from controller.shoot_resources.firewall import firewall_wanted
from controller.shoot_resources.managed_resource import DesiredManagedResource
from controller.shoot_resources.plan import (
    ManagedResourcePlan,
    Retirement,
    managed_resource_patch,
    next_deletion,
    orphaned_secrets,
    plan_managed_resource,
    plan_retirement,
)
from controller.shoot_resources.render import RenderedShootResources, render_shoot_resources
from controller.shoot_resources.trident import trident_inputs
from controller.steps import go_adoption
from controller.steps.base import ConditionStatus, StepError, StepOutcome
from controller.steps.content_secrets import (
    apply_content_secret,
    delete_content_secrets,
    kube_call,
    step_error,
)
from controller.steps.context import StepContext

T = TypeVar("T")


# Every object we own carries this label key; its value names the ManagedResource.
OWNED_SELECTOR = names.MANAGED_RESOURCE_LABEL
# How soon to look again while the resource manager is still deleting a ManagedResource.
DELETION_POLL_SECONDS = 5.0


class ShootResourcesStep:
    """Trident's objects in the shoot, as ManagedResources that always reference their current content."""

    name = "shoot-resources"
    condition_type = "ShootResourcesReady"

    def _error(self, reason: str, message: str, **kwargs: Any) -> StepError:
        return step_error(reason, message, **kwargs)

    async def _call(self, awaitable: Awaitable[T], *, object_ref: str, api: str, doing: str) -> T:
        return await kube_call(awaitable, object_ref=object_ref, api=api, doing=doing)

    def _render(self, ctx: StepContext) -> RenderedShootResources:
        credentials = ctx.state.seed_credentials
        svm = ctx.state.svm
        missing = []
        if svm is None:
            missing.append("the SVM was not observed in this pass (SvmReady)")
        if credentials is None:
            missing.append(
                "the seed secret's credentials were not confirmed on ONTAP in this pass (SeedSecretReady)"
            )
        if missing or svm is None or credentials is None:
            raise self._error(
                "WaitingForPrerequisites",
                "Trident's credentials are deployed only once verified: " + "; ".join(missing),
            )
        if ctx.provider_config is None:
            raise self._error(
                "WaitingForProviderConfig",
                "spec.providerConfig is missing: the management LIF for Trident's backend is unknown",
                codes=(ErrorCode.CONFIGURATION_PROBLEM,),
            )
        inputs = trident_inputs(
            svm.name,
            ctx.provider_config,
            credentials,
            ctx.config.trident,
            go_backend=go_backend_names(svm.comment, ctx.shoot.project_id),
            go_credentials_secret=go_credentials_secret_name(
                svm.comment, ctx.shoot.project_id, ctx.shoot.technical_id
            ),
        )
        return render_shoot_resources(
            inputs,
            ctx.config.trident.operator_bundle_file,
            technical_id=ctx.shoot.technical_id,
            shoot_webhook=ctx.config.shoot_webhook,
            firewall=firewall_wanted(ctx.config.firewall.policy, ctx.shoot.provider_type),
        )

    async def _observe(
        self, ctx: StepContext
    ) -> tuple[dict[str, ObservedManagedResource], list[ObservedContentSecret]]:
        managed = await self._call(
            mr_api.list_managed_resources(ctx.api_client, ctx.namespace, OWNED_SELECTOR),
            object_ref=f"ManagedResources in {ctx.namespace}",
            api=f"GET {mr_api.MR_API}",
            doing="listing",
        )
        secrets = await self._call(
            secrets_io.list_content_secrets(ctx.api_client, ctx.namespace, OWNED_SELECTOR),
            object_ref=f"ManagedResource secrets in {ctx.namespace}",
            api=f"GET {secrets_io.SECRET_API}",
            doing="listing",
        )
        return managed, secrets

    async def reconcile(self, ctx: StepContext) -> StepOutcome:
        rendered = self._render(ctx)
        managed, secrets = await self._observe(ctx)
        seen = ManagedResourcesSeen(
            ctx.namespace,
            managed,
            desired=tuple(d.name for d in rendered.managed_resources),
            retired=tuple(rendered.retired),
            access_data=next((dict(s.data) for s in secrets if s.name == ACCESS_SECRET), None),
        )
        ctx.state.managed_resources = seen  # the health check reads the resource manager's conditions here
        log = ctx.bind_log(step=self.name)
        actions: list[str] = []
        drift: list[str] = []
        blocked: list[tuple[str, str]] = []
        # Adoption on: the Go extension's ManagedResources keep their objects and go first, so the resource
        # manager never applies theirs and ours to the same objects (controller.adoption).
        actions.extend(await go_adoption.hand_over(ctx, self.name, self.condition_type))
        for desired in rendered.managed_resources:
            plan = plan_managed_resource(desired, managed.get(desired.name), secrets)
            if plan.blocked:
                blocked.append((desired.name, plan.blocked))
                continue
            if plan.is_empty:
                continue
            if plan.create_managed_resource or plan.managed_resource_patch:
                seen.written.add(desired.name)
            done = await self._apply(ctx, desired, plan, managed.get(desired.name))
            actions.extend(done)
            drift.extend(plan.drift)
        actions.extend(await self._ensure_shoot_access(ctx, secrets))
        actions.extend(await self._retire(ctx, plan_retirement(rendered.retired, managed, secrets)))
        if actions:
            log.info("shoot resources updated", actions=actions, drift=drift)
            await ctx.events.normal("ShootResourcesUpdated", "; ".join(actions))
        if blocked:
            # The others were brought up to date; these wait until the resource manager lets them go.
            raise self._error(
                "ManagedResourceTerminating",
                "; ".join(reason for _, reason in blocked),
                object_ref=", ".join(f"ManagedResource {ctx.namespace}/{name}" for name, _ in blocked),
                retry_after=DELETION_POLL_SECONDS,
            )
        if rendered.node_prep_error is not None:
            raise self._error(
                "ShootWebhookCaInvalid",
                f"{rendered.node_prep_error}; the ManagedResource {names.SHOOT_WEBHOOKS_MR} is left as it is",
                codes=(ErrorCode.RETRYABLE_CONFIGURATION_PROBLEM,),
                object_ref=str(ctx.config.shoot_webhook.ca_file if ctx.config.shoot_webhook else ""),
            )
        if rendered.operator_error is not None:
            raise self._error(
                "OperatorBundleInvalid",
                f"{rendered.operator_error}; the ManagedResource {names.OPERATOR_MR} is left as it is",
                codes=(ErrorCode.RETRYABLE_CONFIGURATION_PROBLEM,),
                object_ref=str(rendered.operator_bundle_file),
            )
        return StepOutcome(
            step=self.name,
            condition_type=self.condition_type,
            status=ConditionStatus.TRUE,
            reason="ShootResourcesDeployed",
            message=self._message(rendered, managed),
            changed=bool(actions),
            actions=tuple(actions),
            drift=tuple(drift),
        )

    def _message(self, rendered: RenderedShootResources, managed: dict[str, ObservedManagedResource]) -> str:
        parts = [f"{d.name}: {d.summary}" for d in rendered.managed_resources]
        message = "ManagedResources reference their current content: " + "; ".join(parts)
        if not rendered.operator_configured:
            message += (
                ". No Trident operator bundle is configured (trident.operatorBundleFile), so "
                f"{names.OPERATOR_MR} is not deployed: Trident must be installed in the shoot by other means"
            )
            if names.OPERATOR_MR in managed:
                message += f"; the existing {names.OPERATOR_MR} is left in place"
        message += f". Node preparation: {rendered.node_prep}; firewall: {rendered.firewall}"
        not_applied = [
            f"{name}: {observed.applied.reason} {observed.applied.message}".strip()
            for name, observed in sorted(managed.items())
            if observed.applied is not None and observed.applied.status == "False"
        ]
        if not_applied:
            message += ". The resource manager reports not applied: " + "; ".join(not_applied)
        return message

    async def _ensure_shoot_access(self, ctx: StepContext, secrets: list[ObservedContentSecret]) -> list[str]:
        """The shoot-access Secret the resource manager's token requestor fills (seen in the LIST above)."""
        plan = plan_access_secret(ACCESS_SECRET, secrets)
        if plan.is_empty:
            return []
        ref = f"Secret {ctx.namespace}/{plan.name}"
        if plan.create:
            try:
                await self._call(
                    secrets_io.create_secret(
                        ctx.api_client,
                        ctx.namespace,
                        plan.name,
                        {},
                        labels=plan.labels,
                        annotations=plan.annotations,
                    ),
                    object_ref=ref,
                    api=f"POST {secrets_io.SECRET_API}",
                    doing="creating the shoot-access secret",
                )
                if ctx.state.managed_resources is not None:
                    ctx.state.managed_resources.access_data = {}  # as created: no token yet
                return [f"created {ref} (shoot access for the health check)"]
            except secrets_io.SecretConflict:
                pass  # it exists without our label (so the LIST missed it): label it, its data stays
        await self._call(
            secrets_io.patch_secret_metadata(
                ctx.api_client, ctx.namespace, plan.name, plan.labels, plan.annotations
            ),
            object_ref=ref,
            api=f"PATCH {secrets_io.SECRET_API}/{plan.name}",
            doing="repairing the labels of the shoot-access secret",
        )
        return [f"repaired the labels and annotations of {ref}"]

    async def _retire(self, ctx: StepContext, retirement: Retirement) -> list[str]:
        """Delete ManagedResources the shoot no longer needs (their objects leave the shoot), then secrets."""
        done: list[str] = []
        for name in retirement.delete:
            if await self._call(
                mr_api.delete_managed_resource(ctx.api_client, ctx.namespace, name),
                object_ref=f"ManagedResource {ctx.namespace}/{name}",
                api=f"DELETE {mr_api.MR_API}/{name}",
                doing="deleting the no longer needed",
            ):
                done.append(f"deleted ManagedResource {ctx.namespace}/{name} (no longer needed)")
        done.extend(await delete_content_secrets(ctx, list(retirement.delete_secrets)))
        return done

    async def _apply(
        self,
        ctx: StepContext,
        desired: DesiredManagedResource,
        plan: ManagedResourcePlan,
        observed: ObservedManagedResource | None,
    ) -> list[str]:
        """Carry out one plan: content secret first, then the ManagedResource, then superseded secrets."""
        namespace = ctx.namespace
        mr_ref = f"ManagedResource {namespace}/{desired.name}"
        done = await apply_content_secret(ctx, desired, plan)
        patch = plan.managed_resource_patch
        if plan.create_managed_resource:
            try:
                await self._call(
                    mr_api.create_managed_resource(ctx.api_client, desired.body(namespace)),
                    object_ref=mr_ref,
                    api=f"POST {mr_api.MR_API}",
                    doing="creating",
                )
                done.append(f"created {mr_ref}")
            except ManagedResourceConflict:
                # It exists without our label: read it and bring it to the desired state.
                observed = await self._call(
                    mr_api.get_managed_resource(ctx.api_client, namespace, desired.name),
                    object_ref=mr_ref,
                    api=f"GET {mr_api.MR_API}/{desired.name}",
                    doing="reading",
                )
                if observed is None:
                    raise self._error(
                        "ManagedResourceConflict",
                        f"{mr_ref}: appeared and vanished while being created; the next pass retries",
                        object_ref=mr_ref,
                        retry_after=1.0,
                    ) from None
                if observed.deleting:
                    raise self._error(
                        "ManagedResourceTerminating",
                        f"{mr_ref} is being deleted; it is created again once gone",
                        object_ref=mr_ref,
                        retry_after=DELETION_POLL_SECONDS,
                    ) from None
                patch = managed_resource_patch(desired, observed)
        if observed is not None and patch:
            await self._call(
                mr_api.patch_managed_resource(ctx.api_client, observed, patch),
                object_ref=mr_ref,
                api=f"PATCH {mr_api.MR_API}/{desired.name}",
                doing="updating",
            )
            if "secretRefs" in patch.get("spec", {}):
                done.append(f"pointed {mr_ref} at {plan.secret_name}")
            else:
                done.append(f"repaired the spec and labels of {mr_ref}")
        for stale in plan.delete_secrets:
            if await self._call(
                delete_secret(ctx.api_client, namespace, stale),
                object_ref=f"Secret {namespace}/{stale}",
                api=f"DELETE {secrets_io.SECRET_API}/{stale}",
                doing="deleting the superseded content secret",
            ):
                done.append(f"deleted superseded Secret {namespace}/{stale}")
        return done

    async def delete(self, ctx: StepContext) -> StepOutcome:
        """Delete backend and credentials ManagedResources, then the operator's, then their content secrets.

        Never waits in-process: while the resource manager still holds a ManagedResource (its finalizer), the
        step reports which one and is retried. With force deletion nothing is waited for.
        """
        force = bool(ctx.state.force_delete)
        actions: list[str] = []
        terminating: dict[str, ObservedManagedResource] = {}
        managed, secrets = await self._observe(ctx)
        while (step := next_deletion(managed)) is not None:
            for name in step.delete:
                if await self._call(
                    mr_api.delete_managed_resource(ctx.api_client, ctx.namespace, name),
                    object_ref=f"ManagedResource {ctx.namespace}/{name}",
                    api=f"DELETE {mr_api.MR_API}/{name}",
                    doing="deleting",
                ):
                    actions.append(f"deleted ManagedResource {ctx.namespace}/{name}")
            remaining = await self._observe_names(ctx, step.waiting_for)
            terminating.update(remaining)
            if remaining and not force:
                break
            managed = {k: v for k, v in managed.items() if k not in step.waiting_for}
        # Content secrets go once their ManagedResource is gone (also those a previous pass left behind).
        actions.extend(await delete_content_secrets(ctx, orphaned_secrets(secrets, set(terminating))))
        if terminating and not force:
            if actions:
                await ctx.events.normal("ShootResourcesDeleting", "; ".join(actions))
            raise self._waiting_for(terminating, "delete the shoot objects of")
        if actions:
            ctx.bind_log(step=self.name).info("shoot resources deleted", actions=actions)
            await ctx.events.normal("ShootResourcesDeleted", "; ".join(actions))
        message = "the ManagedResources of the shoot and their secrets are gone"
        if terminating:
            message = "deletion requested without waiting (force deletion); still terminating: " + ", ".join(
                mr.ref for mr in terminating.values()
            )
        return StepOutcome(
            step=self.name,
            condition_type=self.condition_type,
            status=ConditionStatus.TRUE,
            reason="Deleted",
            message=message,
            changed=bool(actions),
            actions=tuple(actions),
        )

    def _waiting_for(self, remaining: dict[str, ObservedManagedResource], doing: str) -> StepError:
        held = "; ".join(
            f"{mr.ref} (finalizers: {', '.join(mr.finalizers) or 'none'})" for mr in remaining.values()
        )
        return self._error(
            "WaitingForResourceManager",
            f"waiting for the resource manager to {doing} {held}",
            object_ref=", ".join(mr.ref for mr in remaining.values()),
            retry_after=DELETION_POLL_SECONDS,
        )

    async def _observe_names(
        self, ctx: StepContext, wanted: tuple[str, ...]
    ) -> dict[str, ObservedManagedResource]:
        managed = await self._call(
            mr_api.list_managed_resources(ctx.api_client, ctx.namespace, OWNED_SELECTOR),
            object_ref=f"ManagedResources in {ctx.namespace}",
            api=f"GET {mr_api.MR_API}",
            doing="listing",
        )
        return {name: managed[name] for name in wanted if name in managed}

    async def migrate(self, ctx: StepContext) -> StepOutcome:
        """Gardener's migrate: keep the shoot's objects (`keepObjects: true`), then remove our seed ones."""
        managed, secrets = await self._observe(ctx)
        actions: list[str] = []
        for observed in managed.values():
            updated = await self._call(
                mr_api.set_keep_objects(ctx.api_client, observed, True),
                object_ref=observed.ref,
                api=f"PATCH {mr_api.MR_API}/{observed.name}",
                doing="setting keepObjects",
            )
            if updated is not observed:
                actions.append(f"set keepObjects on {observed.ref}")
        for observed in managed.values():
            if not observed.deleting and await self._call(
                mr_api.delete_managed_resource(ctx.api_client, ctx.namespace, observed.name),
                object_ref=observed.ref,
                api=f"DELETE {mr_api.MR_API}/{observed.name}",
                doing="deleting",
            ):
                actions.append(f"deleted {observed.ref} (objects kept in the shoot)")
        remaining = await self._observe_names(ctx, tuple(managed))
        actions.extend(await delete_content_secrets(ctx, orphaned_secrets(secrets, set(remaining))))
        if remaining:
            raise self._waiting_for(remaining, "release")
        if actions:
            ctx.bind_log(step=self.name).info("shoot resources released for migration", actions=actions)
        return StepOutcome(
            step=self.name,
            condition_type=self.condition_type,
            status=ConditionStatus.TRUE,
            reason="Migrated",
            message="the ManagedResources were removed from this seed; their objects stay in the shoot",
            changed=bool(actions),
            actions=tuple(actions),
        )
