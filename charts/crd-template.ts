// charts/corepod/templates/crd-corepods.yaml, generated from the one CRD the repository has
// (crds/corepod.yaml, itself generated from the zod schema): the same spec, gated by crds.enabled,
// with the release's labels and, under crds.keep, helm.sh/resource-policy: keep.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
export const CRD_SOURCE = 'crds/corepod.yaml';
export const CRD_TEMPLATE = 'charts/corepod/templates/crd-corepods.yaml';

/** Template text from the CRD's YAML text (its metadata block is rewritten; spec is copied verbatim). */
export function crdTemplate(crdYaml: string): string {
  const lines = crdYaml.split('\n').filter((line) => !line.startsWith('#'));
  const metadataAt = lines.indexOf('metadata:');
  const specAt = lines.indexOf('spec:');
  if (metadataAt < 0 || specAt < metadataAt) throw new Error(`${CRD_SOURCE}: expected a top-level metadata: block before spec:`);
  const metadata = lines.slice(metadataAt + 1, specAt);
  const labelsAt = metadata.indexOf('  labels:');
  const labelEnd = labelsAt < 0 ? -1 : metadata.findIndex((line, i) => i > labelsAt && !line.startsWith('    '));
  const ownLabels = labelsAt < 0 ? [] : metadata.slice(labelsAt + 1, labelEnd < 0 ? undefined : labelEnd);
  const rest = labelsAt < 0 ? metadata : [...metadata.slice(0, labelsAt), ...(labelEnd < 0 ? [] : metadata.slice(labelEnd))];
  if (rest.some((line) => !line.startsWith('  name: ')) || rest.length !== 1) {
    throw new Error(`${CRD_SOURCE}: metadata may hold only name and labels (got ${rest.join(' | ')})`);
  }
  // Helm would evaluate {{ in descriptions or CEL messages: print them literally.
  const literal = (text: string) => text.replaceAll('{{', '{{ "{{" }}');
  return `${[
    '{{- if .Values.crds.enabled }}',
    `# Generated from ${CRD_SOURCE} by \`make crds\` (charts/crd-template.ts). Do not edit.`,
    ...lines.slice(0, metadataAt),
    'metadata:',
    rest[0],
    '  labels:',
    ...ownLabels,
    '    {{- include "corepod.releaseLabels" . | nindent 4 }}',
    '  {{- if or .Values.crds.keep .Values.crds.annotations }}',
    '  annotations:',
    '    {{- if .Values.crds.keep }}',
    '    # `helm uninstall` leaves the CRD, so every CorePod and its pods keep running.',
    '    helm.sh/resource-policy: keep',
    '    {{- end }}',
    '    {{- with .Values.crds.annotations }}',
    '    {{- toYaml . | nindent 4 }}',
    '    {{- end }}',
    '  {{- end }}',
    ...lines.slice(specAt).map(literal),
  ]
    .join('\n')
    .trimEnd()}\n{{- end }}\n`;
}

export function currentCrdTemplate(): string {
  return crdTemplate(readFileSync(`${repoRoot}${CRD_SOURCE}`, 'utf8'));
}
