{{/* Names ----------------------------------------------------------------------------------- */}}

{{/* The chart name (nameOverride wins). */}}
{{- define "kubetune.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Object-name prefix: fullnameOverride, else the release name (+ "-kubetune" unless it holds it). */}}
{{- define "kubetune.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 40 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 40 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 40 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "kubetune.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Labels: Helm's recommended app.kubernetes.io/* set. Call with the root context. */}}
{{- define "kubetune.labels" -}}
helm.sh/chart: {{ include "kubetune.chart" . }}
{{ include "kubetune.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: kubetune
{{- end -}}

{{- define "kubetune.selectorLabels" -}}
app.kubernetes.io/name: {{ include "kubetune.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{/* Labels + component: (dict "root" $ "component" "minio") */}}
{{- define "kubetune.componentLabels" -}}
{{ include "kubetune.labels" .root }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "kubetune.componentSelectorLabels" -}}
{{ include "kubetune.selectorLabels" .root }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "kubetune.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "kubetune.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/* Images ---------------------------------------------------------------------------------- */}}

{{/* (dict "root" $ "image" .Values.images.trainer) -> registry/repository:tag */}}
{{- define "kubetune.image" -}}
{{- $tag := default .root.Chart.AppVersion .image.tag -}}
{{- printf "%s/%s:%s" (trimSuffix "/" .root.Values.images.registry) .image.repository $tag -}}
{{- end -}}

{{- define "kubetune.trainerImage" -}}
{{- include "kubetune.image" (dict "root" . "image" .Values.images.trainer) -}}
{{- end -}}

{{- define "kubetune.pipelineImage" -}}
{{- include "kubetune.image" (dict "root" . "image" .Values.images.pipeline) -}}
{{- end -}}

{{/* Storage --------------------------------------------------------------------------------- */}}

{{- define "kubetune.datasetsClaim" -}}
{{- default (printf "%s-datasets" (include "kubetune.fullname" .)) .Values.storage.datasets.existingClaim -}}
{{- end -}}

{{- define "kubetune.modelsClaim" -}}
{{- default (printf "%s-models" (include "kubetune.fullname" .)) .Values.storage.models.existingClaim -}}
{{- end -}}

{{- define "kubetune.minioName" -}}
{{- printf "%s-minio" (include "kubetune.fullname" .) -}}
{{- end -}}

{{/* The S3 endpoint host:port: the bundled MinIO's Service, else storage.endpoint ("" = none). */}}
{{- define "kubetune.s3Endpoint" -}}
{{- if .Values.minio.enabled -}}
{{- printf "%s.%s.svc:9000" (include "kubetune.minioName" .) .Release.Namespace -}}
{{- else -}}
{{- .Values.storage.endpoint -}}
{{- end -}}
{{- end -}}

{{- define "kubetune.s3Scheme" -}}
{{- if and .Values.storage.secure (not .Values.minio.enabled) }}https{{ else }}http{{ end -}}
{{- end -}}

{{/* Whether the chart creates the S3 Secret (bundled MinIO, or credentials given as values). */}}
{{- define "kubetune.createS3Secret" -}}
{{- if and (not .Values.storage.existingSecret) (or .Values.minio.enabled .Values.storage.accessKey) -}}true{{- end -}}
{{- end -}}

{{- define "kubetune.s3SecretName" -}}
{{- default (printf "%s-s3" (include "kubetune.fullname" .)) .Values.storage.existingSecret -}}
{{- end -}}

{{/* Keys in that Secret: the chart's own Secret always uses the AWS_* names. */}}
{{- define "kubetune.s3AccessKeyKey" -}}
{{- if .Values.storage.existingSecret }}{{ .Values.storage.accessKeyKey }}{{ else }}AWS_ACCESS_KEY_ID{{ end -}}
{{- end -}}

{{- define "kubetune.s3SecretKeyKey" -}}
{{- if .Values.storage.existingSecret }}{{ .Values.storage.secretKeyKey }}{{ else }}AWS_SECRET_ACCESS_KEY{{ end -}}
{{- end -}}

{{/* Whether any S3 store is configured at all. */}}
{{- define "kubetune.s3Configured" -}}
{{- if include "kubetune.s3Endpoint" . }}{{ if or .Values.storage.existingSecret (include "kubetune.createS3Secret" .) }}true{{ end }}{{ end -}}
{{- end -}}

{{/* Pod/container security ------------------------------------------------------------------- */}}

{{- define "kubetune.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: 10001
runAsGroup: 10001
fsGroup: 10001
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{- define "kubetune.containerSecurityContext" -}}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
capabilities:
  drop: [ALL]
{{- end -}}

{{- define "kubetune.imagePullSecrets" -}}
{{- with .Values.images.pullSecrets }}
imagePullSecrets:
{{- range . }}
  - name: {{ . }}
{{- end }}
{{- end }}
{{- end -}}

{{/* Experiment templates ---------------------------------------------------------------------

kubetune.experiment renders files/experiments/<name>.yaml (a copy of manifests/experiments/,
kept identical by tests/deploy) for this release: namespace, images, GPU count and resources,
nodeSelector, tolerations, PVC names, dataset folder, S3 endpoint and Secret. Call with
(dict "root" $ "name" "vit"). */}}
{{- define "kubetune.experiment" -}}
{{- $root := .root -}}
{{- $v := $root.Values -}}
{{- $text := $root.Files.Get (printf "files/experiments/%s.yaml" .name) -}}
{{- if not $text -}}
{{- fail (printf "experimentTemplates.include: no template %q in files/experiments/" .name) -}}
{{- end -}}
{{- $ds := $v.experimentTemplates.dataset -}}
{{- $text = $text | replace "/datasets/digits" (printf "/datasets/%s" $ds) -}}
{{- $text = $text | replace "src/kubetune/datasets/digits" (printf "src/%s/datasets/%s" $v.storage.bucket $ds) -}}
{{- $exp := fromYaml $text -}}
{{- if hasKey $exp "Error" -}}
{{- fail (printf "files/experiments/%s.yaml: %s" .name $exp.Error) -}}
{{- end -}}
{{- $_ := set $exp.metadata "namespace" $root.Release.Namespace -}}
{{- $labels := default (dict) $exp.metadata.labels -}}
{{- $_ := set $labels "app.kubernetes.io/instance" $root.Release.Name -}}
{{- $_ := set $exp.metadata "labels" $labels -}}
{{- $trialSpec := $exp.spec.trialTemplate.trialSpec -}}
{{- $ddp := eq $trialSpec.kind "PyTorchJob" -}}
{{- $gpus := ternary $v.gpu.ddpCount $v.gpu.count $ddp | int -}}
{{- $res := ternary $v.trial.ddpResources $v.trial.resources $ddp -}}
{{- $pods := list -}}
{{- if eq $trialSpec.kind "Job" -}}
{{- $pods = append $pods $trialSpec.spec.template.spec -}}
{{- else if $ddp -}}
{{- $_ := set $trialSpec.spec "nprocPerNode" (toString $gpus) -}}
{{- range $replica := $trialSpec.spec.pytorchReplicaSpecs -}}
{{- $pods = append $pods $replica.template.spec -}}
{{- end -}}
{{- end -}}
{{- range $pod := $pods -}}
{{- if $v.gpu.nodeSelector -}}{{- $_ := set $pod "nodeSelector" $v.gpu.nodeSelector -}}{{- end -}}
{{- $_ := set $pod "tolerations" $v.gpu.tolerations -}}
{{- if $v.images.pullSecrets -}}
{{- $secrets := list -}}
{{- range $v.images.pullSecrets }}{{ $secrets = append $secrets (dict "name" .) }}{{ end -}}
{{- $_ := set $pod "imagePullSecrets" $secrets -}}
{{- end -}}
{{- range $c := $pod.containers -}}
{{- if hasPrefix "ghcr.io/kubetune/kubetune-trainer" $c.image -}}
{{- $_ := set $c "image" (include "kubetune.trainerImage" $root) -}}
{{- $_ := set $c "imagePullPolicy" $v.images.pullPolicy -}}
{{- $requests := deepCopy (default (dict) $res.requests) -}}
{{- $limits := deepCopy (default (dict) $res.limits) -}}
{{- if gt $gpus 0 -}}
{{- $_ := set $requests $v.gpu.resourceName $gpus -}}
{{- $_ := set $limits $v.gpu.resourceName $gpus -}}
{{- end -}}
{{- $_ := set $c "resources" (dict "requests" $requests "limits" $limits) -}}
{{- $args := list -}}
{{- range $a := $c.args -}}
{{- $args = append $args (regexReplaceAll "^--nproc-per-node=[0-9]+$" $a (printf "--nproc-per-node=%d" $gpus)) -}}
{{- end -}}
{{- $_ := set $c "args" $args -}}
{{- end -}}
{{- end -}}
{{- range $c := default (list) $pod.initContainers -}}
{{- if eq $c.name "fetch-dataset" -}}
{{- $_ := set $c "image" $v.minio.mcImage -}}
{{- $secret := include "kubetune.s3SecretName" $root -}}
{{- $env := list
      (dict "name" "AWS_ACCESS_KEY_ID" "valueFrom" (dict "secretKeyRef" (dict "name" $secret "key" (include "kubetune.s3AccessKeyKey" $root))))
      (dict "name" "AWS_SECRET_ACCESS_KEY" "valueFrom" (dict "secretKeyRef" (dict "name" $secret "key" (include "kubetune.s3SecretKeyKey" $root))))
      (dict "name" "MC_HOST_src" "value" (printf "%s://$(AWS_ACCESS_KEY_ID):$(AWS_SECRET_ACCESS_KEY)@%s" (include "kubetune.s3Scheme" $root) (default "S3-ENDPOINT-NOT-SET:9000" (include "kubetune.s3Endpoint" $root))))
      (dict "name" "MC_CONFIG_DIR" "value" "/tmp/.mc") -}}
{{- $_ := set $c "env" $env -}}
{{- end -}}
{{- end -}}
{{- range $vol := $pod.volumes -}}
{{- if $vol.persistentVolumeClaim -}}
{{- if eq $vol.persistentVolumeClaim.claimName "kubetune-datasets" -}}
{{- $_ := set $vol.persistentVolumeClaim "claimName" (include "kubetune.datasetsClaim" $root) -}}
{{- else if eq $vol.persistentVolumeClaim.claimName "kubetune-models" -}}
{{- $_ := set $vol.persistentVolumeClaim "claimName" (include "kubetune.modelsClaim" $root) -}}
{{- end -}}
{{- end -}}
{{- if and (eq $vol.name "dshm") $vol.emptyDir -}}
{{- $_ := set $vol.emptyDir "sizeLimit" $v.trial.shmSize -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- toYaml $exp -}}
{{- end -}}
