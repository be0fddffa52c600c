"""The shoot webhook: prepares Trident's node plugin for NVMe/TCP in the shoots (docs/shoot-resources.md).

`mutation` decides (pure), `json_patch` expresses the decision as an RFC 6902 patch, `admission` answers
`admission.k8s.io/v1` AdmissionReviews and `server` is the HTTPS listener the shoots' kube-apiservers call.
The shoot's MutatingWebhookConfiguration is rendered with the other shoot objects
(controller/shoot_resources/webhook_configuration.py).
"""
