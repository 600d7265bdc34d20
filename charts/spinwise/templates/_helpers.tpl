{{- define "spinwise.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "spinwise.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := include "spinwise.name" . -}}
{{- if contains $name .Release.Name -}}{{ .Release.Name | trunc 63 | trimSuffix "-" }}{{- else -}}{{ printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}{{- end -}}
{{- end -}}
{{- end -}}

{{- define "spinwise.labels" -}}
app.kubernetes.io/name: {{ include "spinwise.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{- define "spinwise.selector" -}}
app.kubernetes.io/name: {{ include "spinwise.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "spinwise.image" -}}
{{- $registry := .Values.global.imageRegistry | default .Values.image.registry -}}
{{- $repository := ternary (printf "%s/%s" $registry .Values.image.repository) .Values.image.repository (ne $registry "") -}}
{{- if .Values.image.digest -}}
{{ $repository }}@{{ .Values.image.digest }}
{{- else -}}
{{ $repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end -}}
{{- end -}}

{{/* Whether the OpenShift SCC is rendered: asked for, or auto on a cluster that serves it. */}}
{{- define "spinwise.scc" -}}
{{- if eq (toString .Values.openshift.scc) "auto" -}}
{{- if .Capabilities.APIVersions.Has "security.openshift.io/v1" }}true{{ end -}}
{{- else if eq (toString .Values.openshift.scc) "true" -}}true{{- end -}}
{{- end -}}

{{- define "spinwise.advisorServiceAccount" -}}
{{- default (printf "%s-advisor" (include "spinwise.fullname" .)) .Values.serviceAccount.name -}}
{{- end -}}

{{/* A pod template's annotation that changes whenever the configuration does, so pods roll. */}}
{{- define "spinwise.configChecksum" -}}
checksum/config: {{ include (print .Template.BasePath "/configmap.yaml") . | sha256sum }}
{{- end -}}

{{/*
Environment of the agent or the advisor (dict root, component): where Kafka is, and how it
authenticates — SASL from kafka.sasl.existingSecret (or the component's own Secret, so agents and
advisors are different principals), or a client certificate from the component's Secret.
*/}}
{{- define "spinwise.kafkaEnv" -}}
{{- $component := .component -}}
{{- with .root -}}
- name: SPINWISE_KAFKA_BROKERS
  valueFrom: { configMapKeyRef: { name: {{ include "spinwise.fullname" . }}, key: kafka-brokers } }
- name: SPINWISE_KAFKA_REPLICATION_FACTOR
  valueFrom: { configMapKeyRef: { name: {{ include "spinwise.fullname" . }}, key: kafka-replication-factor } }
{{- if .Values.kafka.tls }}
- name: SPINWISE_KAFKA_TLS
  value: "true"
{{- end }}
{{- with .Values.kafka.caFile }}
- name: SPINWISE_KAFKA_CA_FILE
  value: {{ . | quote }}
{{- end }}
{{- if .Values.kafka.sasl.mechanism }}
- name: SPINWISE_KAFKA_SASL_MECHANISM
  value: {{ .Values.kafka.sasl.mechanism | quote }}
{{- $secret := (get .Values.kafka.sasl (printf "%sSecret" $component)) | default .Values.kafka.sasl.existingSecret }}
- name: SPINWISE_KAFKA_USERNAME
  valueFrom: { secretKeyRef: { name: {{ required "kafka.sasl.existingSecret is required with a SASL mechanism" $secret }}, key: username } }
- name: SPINWISE_KAFKA_PASSWORD
  valueFrom: { secretKeyRef: { name: {{ $secret }}, key: password } }
{{- end }}
{{- if get .Values.kafka.clientCert (printf "%sSecret" $component) }}
- name: SPINWISE_KAFKA_CERT_FILE
  value: /etc/spinwise/kafka-client/{{ .Values.kafka.clientCert.certKey }}
- name: SPINWISE_KAFKA_KEY_FILE
  value: /etc/spinwise/kafka-client/{{ .Values.kafka.clientCert.keyKey }}
{{- end }}
{{- end -}}
{{- end -}}

{{/* The component's client certificate Secret as a volume (dict root, component), if it has one. */}}
{{- define "spinwise.kafkaClientCertVolume" -}}
{{- with get .root.Values.kafka.clientCert (printf "%sSecret" .component) }}
- name: kafka-client-cert
  secret: { secretName: {{ . }}, defaultMode: 0400 }
{{- end }}
{{- end -}}

{{- define "spinwise.kafkaClientCertMount" -}}
{{- if get .root.Values.kafka.clientCert (printf "%sSecret" .component) }}
- { name: kafka-client-cert, mountPath: /etc/spinwise/kafka-client, readOnly: true }
{{- end }}
{{- end -}}
