{{- define "spinwise.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}{{ .Release.Name | trunc 63 | trimSuffix "-" }}{{- else -}}{{ printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" }}{{- end -}}
{{- end -}}

{{- define "spinwise.labels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "spinwise.selector" -}}
app.kubernetes.io/name: {{ .root.Chart.Name }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "spinwise.image" -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end -}}

{{/* Environment shared by agent and advisor: where Kafka is, and how to authenticate to it. */}}
{{- define "spinwise.kafkaEnv" -}}
- name: SPINWISE_KAFKA_BROKERS
  valueFrom: { configMapKeyRef: { name: {{ include "spinwise.fullname" . }}, key: kafka-brokers } }
{{- if .Values.kafka.tls }}
- name: SPINWISE_KAFKA_TLS
  value: "true"
{{- end }}
{{- if .Values.kafka.sasl.mechanism }}
- name: SPINWISE_KAFKA_SASL_MECHANISM
  value: {{ .Values.kafka.sasl.mechanism | quote }}
- name: SPINWISE_KAFKA_USERNAME
  valueFrom: { secretKeyRef: { name: {{ required "kafka.sasl.existingSecret is required with a SASL mechanism" .Values.kafka.sasl.existingSecret }}, key: username } }
- name: SPINWISE_KAFKA_PASSWORD
  valueFrom: { secretKeyRef: { name: {{ .Values.kafka.sasl.existingSecret }}, key: password } }
{{- end }}
{{- end -}}
