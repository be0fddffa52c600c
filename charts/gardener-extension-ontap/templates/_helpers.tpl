{{/* Names, labels and the rendered controller configuration. */}}

{{- define "ontap.name" -}}
gardener-extension-ontap
{{- end -}}

{{- define "ontap.labels" -}}
app.kubernetes.io/name: {{ include "ontap.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- end -}}

{{- define "ontap.selectorLabels" -}}
app.kubernetes.io/name: {{ include "ontap.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "ontap.serviceAccountName" -}}
{{- default (include "ontap.name" .) .Values.serviceAccount.name -}}
{{- end -}}

{{- define "ontap.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}

{{/* The Secret holding one cluster's username/password: the referenced one, or the one this chart creates. */}}
{{- define "ontap.credentialsSecretName" -}}
{{- $cluster := .cluster -}}
{{- if $cluster.credentialsSecret -}}
{{- $cluster.credentialsSecret -}}
{{- else if and $cluster.credentials $cluster.credentials.password -}}
{{- printf "%s-%s-credentials" (include "ontap.name" .root) $cluster.name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- fail (printf "ontap.clusters[%s]: set credentialsSecret (an existing Secret with keys username and password) or credentials.username/password at install time" $cluster.name) -}}
{{- end -}}
{{- end -}}

{{- define "ontap.caSecretName" -}}
{{- if .Values.ontap.caBundleSecret -}}
{{- .Values.ontap.caBundleSecret -}}
{{- else if .Values.ontap.caBundle -}}
{{- printf "%s-ca-bundle" (include "ontap.name" .) -}}
{{- end -}}
{{- end -}}

{{/* Mount points inside the pod. */}}
{{- define "ontap.configDir" -}}/etc/ontap-extension{{- end -}}
{{- define "ontap.credentialsDir" -}}/etc/ontap-extension/credentials{{- end -}}
{{- define "ontap.caDir" -}}/etc/ontap-extension/ca{{- end -}}
{{- define "ontap.tridentDir" -}}/etc/ontap-extension/trident{{- end -}}
{{- define "ontap.webhookDir" -}}/etc/ontap-extension/webhook-tls{{- end -}}

{{/* The controller configuration file (see values.yaml `config`): values.config plus what the chart owns. */}}
{{- define "ontap.config" -}}
{{- if not .Values.ontap.clusters -}}
{{- fail "ontap.clusters: configure at least one ONTAP cluster" -}}
{{- end -}}
{{- $root := . -}}
{{- $config := deepCopy .Values.config -}}
{{- $clusters := list -}}
{{- range .Values.ontap.clusters -}}
{{- if not .name -}}{{- fail "ontap.clusters[]: every cluster needs a name" -}}{{- end -}}
{{- if not .endpoint -}}{{- fail (printf "ontap.clusters[%s]: endpoint (https://host[:port]) is required" .name) -}}{{- end -}}
{{- $_ := include "ontap.credentialsSecretName" (dict "root" $root "cluster" .) -}}
{{- $entry := dict "name" .name "endpoint" .endpoint -}}
{{- $_ = set $entry "usernameFile" (printf "%s/%s/username" (include "ontap.credentialsDir" $root) .name) -}}
{{- $_ = set $entry "passwordFile" (printf "%s/%s/password" (include "ontap.credentialsDir" $root) .name) -}}
{{- $_ = set $entry "insecure" (default false .insecure) -}}
{{- if .maxInFlight -}}{{- $_ = set $entry "maxInFlight" .maxInFlight -}}{{- end -}}
{{- if and (include "ontap.caSecretName" $root) (not .insecure) -}}
{{- $_ = set $entry "caBundleFile" (printf "%s/ca.crt" (include "ontap.caDir" $root)) -}}
{{- end -}}
{{- $clusters = append $clusters $entry -}}
{{- end -}}
{{- $_ := set $config "ontapClusters" $clusters -}}
{{- $leader := dict "enabled" .Values.leaderElection.enabled "namespace" .Release.Namespace "leaseName" .Values.leaderElection.leaseName -}}
{{- $_ = set $config "leaderElection" (merge $leader (default (dict) .Values.config.leaderElection)) -}}
{{- $heartbeat := deepCopy (default (dict) .Values.config.heartbeat) -}}
{{- $_ = set $heartbeat "namespace" .Release.Namespace -}}
{{- $_ = set $config "heartbeat" $heartbeat -}}
{{- $_ = set $config "healthPort" (int .Values.ports.health) -}}
{{- $_ = set $config "metricsPort" (int .Values.ports.metrics) -}}
{{- if .Values.shootWebhook.enabled -}}
{{- if not .Values.shootWebhook.tlsSecret -}}{{- fail "shootWebhook.tlsSecret: name the Secret with tls.crt, tls.key and ca.crt" -}}{{- end -}}
{{- $dir := include "ontap.webhookDir" . -}}
{{- $url := printf "https://%s.%s:%d" (include "ontap.name" .) .Release.Namespace (int .Values.shootWebhook.servicePort) -}}
{{- $_ = set $config "shootWebhook" (dict "port" (int .Values.ports.webhook) "certFile" (printf "%s/tls.crt" $dir) "keyFile" (printf "%s/tls.key" $dir) "caFile" (printf "%s/ca.crt" $dir) "url" $url "failurePolicy" .Values.shootWebhook.failurePolicy) -}}
{{- end -}}
{{- if .Values.images -}}
{{- $_ = set $config "images" .Values.images -}}
{{- end -}}
{{- if .Values.trident.operatorBundle -}}
{{- $trident := deepCopy (default (dict) .Values.config.trident) -}}
{{- $_ = set $trident "operatorBundleFile" (printf "%s/bundle.yaml" (include "ontap.tridentDir" .)) -}}
{{- $_ = set $config "trident" $trident -}}
{{- end -}}
{{- toYaml $config -}}
{{- end -}}
