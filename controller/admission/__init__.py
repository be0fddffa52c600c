"""`ontap-admission`: Gardener's validating webhook for Shoots with an `ontap` extension (garden side).

Gardener extensions ship admission as a separate component (`admission-<type>`) that validates the
garden's Shoots before gardenlet hands them to a seed; its validators run in Gardener's webhook handler
(extensions/pkg/webhook/handler.go), which answers `admission.Denied(err)` for a validation error. This
one refuses an invalid `ontap` providerConfig with the controller's own messages (one parser:
`controller.provider_config`) and the changes the controller cannot carry out (`controller.admission.rules`).
"""
