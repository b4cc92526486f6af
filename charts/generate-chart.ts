// `make crds` / `make chart`: writes the chart's generated files.
//   node dist/charts/generate-chart.js crd                the CRD template, from crds/corepod.yaml
//   node dist/charts/generate-chart.js readme             the values table of the chart's README
//   node dist/charts/generate-chart.js manifest HELM      operator/deploy/operator.yaml, rendered by HELM
//   node dist/charts/generate-chart.js rules HELM         deploy/prometheus/: the alert rules, rendered by HELM
import { readFileSync, writeFileSync } from 'node:fs';
import { CRD_TEMPLATE, currentCrdTemplate, repoRoot } from './crd-template.js';
import { README, readmeWithTable, readSchema, readValues, valuesTable } from './values-table.js';
import { STATIC_MANIFEST, staticManifest } from './static-manifest.js';
import { PROMETHEUS_RULE, RULE_FILE, prometheusRules } from './prometheus-rules.js';

const [what, helm] = process.argv.slice(2);
const write = (path: string, text: string) => writeFileSync(`${repoRoot}${path}`, text);
if (what === 'crd') write(CRD_TEMPLATE, currentCrdTemplate());
else if (what === 'readme') write(README, readmeWithTable(readFileSync(`${repoRoot}${README}`, 'utf8'), valuesTable(readSchema(), readValues())));
else if (what === 'manifest' && helm) write(STATIC_MANIFEST, staticManifest(helm));
else if (what === 'rules' && helm) {
  const rules = prometheusRules(helm);
  write(PROMETHEUS_RULE, rules.prometheusRule);
  write(RULE_FILE, rules.ruleFile);
} else {
  process.stderr.write('usage: generate-chart.js crd | readme | manifest HELM | rules HELM\n');
  process.exit(2);
}
