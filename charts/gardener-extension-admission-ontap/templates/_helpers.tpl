{{/* Names and labels of the admission webhook. */}}

{{- define "admission.name" -}}
gardener-extension-admission-ontap
{{- end -}}

{{- define "admission.labels" -}}
app.kubernetes.io/name: {{ include "admission.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{- define "admission.selectorLabels" -}}
app.kubernetes.io/name: {{ include "admission.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "admission.tlsSecretName" -}}
{{- default (printf "%s-tls" (include "admission.name" .)) .Values.webhookConfig.tlsSecretName -}}
{{- end -}}
