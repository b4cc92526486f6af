// charts/corepod rendered by the built Helm 4 and Helm 3 (no cluster): generated files are current,
// the values schema is strict, every option renders what it says, and the output is deterministic.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { parse } from 'yaml';
import { OperatorMetrics } from '../operator/runtime/metrics.js';
import { CHART, HELMS, kindsOf, only, render, renderText, runHelm, type Json } from './chart-render.js';
import { CRD_SOURCE, CRD_TEMPLATE, currentCrdTemplate, repoRoot } from './crd-template.js';
import { STATIC_MANIFEST, staticManifest } from './static-manifest.js';
import { PROMETHEUS_RULE, RULE_FILE, prometheusRules } from './prometheus-rules.js';
import { HEALTH_PORT_NAME } from '../operator/desired/deployment.js';
import { LABEL, MANAGED_BY } from '../operator/desired/names.js';
import { README, readmeWithTable, readSchema, readValues, valueRows, valuesTable, type SchemaNode } from './values-table.js';
import { helmPath } from '../e2e/cluster/cluster.js';

const read = (path: string) => readFileSync(`${repoRoot}${path}`, 'utf8');
const crdFile = () => parse(read(CRD_SOURCE)) as Json;
const argsOf = (objects: Json[]) => only(objects, 'Deployment').spec.template.spec.containers[0].args as string[];

describe('generated files', () => {
  test('the CRD template is what `make crds` generates from crds/corepod.yaml', () => {
    assert.equal(read(CRD_TEMPLATE), currentCrdTemplate(), `${CRD_TEMPLATE} drifted from ${CRD_SOURCE}: run \`make crds\``);
  });

  test("the README's values table is generated from the current schema and values", () => {
    const readme = read(README);
    assert.equal(readme, readmeWithTable(readme, valuesTable(readSchema(), readValues())), `${README} is stale: run \`make chart\``);
  });

  test('operator/deploy/operator.yaml is the chart rendered by Helm 4', () => {
    assert.equal(read(STATIC_MANIFEST), staticManifest(helmPath('v4')), `${STATIC_MANIFEST} is stale: run \`make chart\``);
  });

  test("deploy/prometheus/ holds the chart's alert rules rendered by Helm 4", () => {
    const rules = prometheusRules(helmPath('v4'));
    assert.equal(read(PROMETHEUS_RULE), rules.prometheusRule, `${PROMETHEUS_RULE} is stale: run \`make chart\``);
    assert.equal(read(RULE_FILE), rules.ruleFile, `${RULE_FILE} is stale: run \`make chart\``);
  });
});

describe('values.schema.json', () => {
  test('describes every value of values.yaml, and names no value values.yaml lacks', () => {
    const rows = valueRows(readSchema(), readValues());
    assert.deepEqual(
      rows.filter((r) => !r.description).map((r) => r.key),
      [],
      'values without a description',
    );
    assert.deepEqual(
      rows.filter((r) => r.defaultValue === undefined).map((r) => r.key),
      [],
      'schema keys without a default in values.yaml',
    );
    const leaves = (value: unknown, schema: SchemaNode | undefined, prefix: string): string[] =>
      Object.entries(value as Record<string, unknown>).flatMap(([k, v]) => {
        const node = schema?.properties?.[k];
        const key = prefix ? `${prefix}.${k}` : k;
        if (!node) return [key];
        return node.properties && node.additionalProperties === false && v && typeof v === 'object' ? leaves(v, node, key) : [];
      });
    assert.deepEqual(leaves(readValues(), readSchema(), ''), [], 'values.yaml keys the schema does not name');
  });

  test('closes every object it declares, except global', () => {
    const open: string[] = [];
    const walk = (node: SchemaNode, key: string) => {
      if (node.properties) {
        if (node.additionalProperties !== false) open.push(key || '(root)');
        for (const [k, child] of Object.entries(node.properties)) walk(child, key ? `${key}.${k}` : k);
      }
    };
    walk(readSchema(), '');
    assert.deepEqual(open, []);
    assert.equal(readSchema().properties?.global?.additionalProperties, undefined, 'global stays open for parent charts');
  });
});

for (const major of HELMS) {
  describe(`Helm ${major}`, () => {
    test('lint --strict passes with the defaults and with every option on', async () => {
      for (const args of [
        [],
        [
          '--set',
          'monitoring.serviceMonitor.enabled=true,monitoring.prometheusRule.enabled=true,networkPolicy.enabled=true,podDisruptionBudget.enabled=true',
          '--set',
          'watchNamespaces={a,b}',
        ],
      ]) {
        const result = await runHelm(major, ['lint', '--strict', CHART, ...args]);
        assert.equal(result.code, 0, `${result.stdout}${result.stderr}`);
        assert.match(result.stdout, /1 chart\(s\) linted, 0 chart\(s\) failed/);
      }
    });

    test('renders the same bytes on every run (no lookup, no randomness, no cluster capabilities)', async () => {
      const args = ['--set', 'monitoring.podMonitor.enabled=true,monitoring.prometheusRule.enabled=true,networkPolicy.enabled=true,podDisruptionBudget.enabled=true'];
      const first = await renderText(major, args);
      assert.equal(await renderText(major, args), first);
      assert.equal(await renderText(major, [...args, '--kube-version', '1.30.0', '--api-versions', 'monitoring.coreos.com/v1']), first, 'what the cluster offers changes nothing');
      for (const file of readdirSync(`${CHART}/templates`, { recursive: true })
        .map(String)
        .filter((f) => /\.(yaml|tpl|txt)$/.test(f))) {
        const text = readFileSync(`${CHART}/templates/${file}`, 'utf8');
        assert.doesNotMatch(
          text,
          /\{\{[^}]*\b(lookup|now|rand\w*|uuidv4|genCA|genPrivateKey|genSelfSignedCert)\b|\.Capabilities/,
          `${file} reads the cluster, the clock or randomness`,
        );
      }
    });

    test('defaults: the CRD with keep, 2 leader-elected replicas, restricted pods, the ClusterRole, a metrics Service, a test pod', async () => {
      const objects = await render(major);
      assert.deepEqual(kindsOf(objects), [
        'ClusterRole',
        'ClusterRoleBinding',
        'CustomResourceDefinition',
        'Deployment',
        'Pod',
        'Role',
        'Role',
        'RoleBinding',
        'RoleBinding',
        'Service',
        'ServiceAccount',
        'ServiceAccount',
      ]);
      const deployment = only(objects, 'Deployment');
      assert.equal(deployment.metadata.name, 'corepod-operator');
      assert.equal(deployment.spec.replicas, 2);
      const pod = deployment.spec.template.spec;
      const container = pod.containers[0];
      assert.equal(container.image, 'localhost/corepod/operator:dev');
      assert.ok(argsOf(objects).includes('--leader-elect'));
      assert.ok(argsOf(objects).includes('--leader-election-id=corepod-operator'));
      assert.ok(argsOf(objects).includes('--sidecar-image=localhost/corepod/sidecar:dev'));
      assert.ok(!argsOf(objects).some((a) => a.startsWith('--watch-namespaces')));
      assert.deepEqual(pod.securityContext, { runAsNonRoot: true, runAsUser: 65532, runAsGroup: 65532, seccompProfile: { type: 'RuntimeDefault' } });
      assert.deepEqual(container.securityContext, { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
      assert.deepEqual(container.resources, { requests: { cpu: '50m', memory: '64Mi' }, limits: { memory: '256Mi' } });
      assert.equal(container.livenessProbe.httpGet.path, '/healthz');
      assert.equal(container.readinessProbe.httpGet.path, '/readyz');
      const service = only(objects, 'Service');
      assert.deepEqual(service.spec.selector, deployment.spec.selector.matchLabels);
      const testPod = only(objects, 'Pod');
      assert.equal(testPod.metadata.annotations['helm.sh/hook'], 'test');
      assert.notEqual(testPod.metadata.labels['app.kubernetes.io/name'], deployment.spec.selector.matchLabels['app.kubernetes.io/name'], 'the Service never selects the test pod');
      assert.equal(testPod.spec.containers[0].image, container.image, 'the test runs the operator image');
    });

    test('the CRD is crds/corepod.yaml plus the release labels and, by default, resource-policy keep', async () => {
      const crd = only(await render(major), 'CustomResourceDefinition');
      const source = crdFile();
      assert.deepEqual(crd.spec, source.spec);
      assert.equal(crd.metadata.name, source.metadata.name);
      assert.deepEqual({ ...crd.metadata.labels, ...source.metadata.labels }, crd.metadata.labels, "the file's own labels stay");
      assert.equal(crd.metadata.labels['app.kubernetes.io/managed-by'], 'Helm');
      assert.equal(crd.metadata.annotations['helm.sh/resource-policy'], 'keep');
    });

    test('crds.keep=false drops the keep policy; crds.enabled=false drops the CRD', async () => {
      const unkept = only(await render(major, ['--set', 'crds.keep=false']), 'CustomResourceDefinition');
      assert.equal(unkept.metadata.annotations?.['helm.sh/resource-policy'], undefined);
      const annotated = only(await render(major, ['--set', 'crds.keep=false', '--set-string', 'crds.annotations.team=platform']), 'CustomResourceDefinition');
      assert.deepEqual(annotated.metadata.annotations, { team: 'platform' });
      assert.ok(!kindsOf(await render(major, ['--set', 'crds.enabled=false'])).includes('CustomResourceDefinition'));
    });

    test('watchNamespaces: a Role and RoleBinding in each with the ClusterRole rules, no cluster-wide grant', async () => {
      const clusterWide = await render(major);
      const objects = await render(major, ['--set', 'watchNamespaces={team-a,team-b}']);
      assert.ok(!kindsOf(objects).includes('ClusterRole') && !kindsOf(objects).includes('ClusterRoleBinding'));
      const roles = objects.filter((o) => o.kind === 'Role' && o.metadata.name === 'corepod-operator');
      assert.deepEqual(
        roles.map((r) => r.metadata.namespace),
        ['team-a', 'team-b'],
      );
      for (const role of roles) assert.deepEqual(role.rules, only(clusterWide, 'ClusterRole').rules);
      const bindings = objects.filter((o) => o.kind === 'RoleBinding' && o.metadata.name === 'corepod-operator');
      assert.deepEqual(
        bindings.map((b) => [b.metadata.namespace, b.subjects[0].namespace, b.roleRef.kind]),
        [
          ['team-a', 'corepod-system', 'Role'],
          ['team-b', 'corepod-system', 'Role'],
        ],
      );
      assert.ok(argsOf(objects).includes('--watch-namespaces=team-a,team-b'));
      assert.equal(only(objects, 'Pod').metadata.namespace, 'team-a', 'the test CorePod goes where the operator looks');
      assert.equal(only(objects, 'Role', 'corepod-operator-leader-election').metadata.namespace, 'corepod-system');
    });

    test('monitoring: nothing by default, a ServiceMonitor or a PodMonitor on request, never both', async () => {
      const none = kindsOf(await render(major));
      for (const kind of ['ServiceMonitor', 'PodMonitor', 'PrometheusRule']) assert.ok(!none.includes(kind), kind);
      const withSm = await render(major, ['--set', 'monitoring.serviceMonitor.enabled=true', '--set-string', 'monitoring.serviceMonitor.labels.release=prom']);
      const sm = only(withSm, 'ServiceMonitor');
      assert.deepEqual(sm.spec.selector.matchLabels, only(withSm, 'Service').spec.selector);
      assert.equal(sm.spec.endpoints[0].port, 'metrics');
      assert.equal(sm.metadata.labels.release, 'prom');
      const withPm = await render(major, ['--set', 'monitoring.podMonitor.enabled=true']);
      assert.deepEqual(only(withPm, 'PodMonitor').spec.selector.matchLabels, only(withPm, 'Deployment').spec.selector.matchLabels);
      assert.ok(!kindsOf(withPm).includes('ServiceMonitor'));
      const both = await runHelm(major, ['template', 'corepod', CHART, '--set', 'monitoring.serviceMonitor.enabled=true,monitoring.podMonitor.enabled=true']);
      assert.notEqual(both.code, 0);
      assert.match(both.stderr, /monitoring\.serviceMonitor\.enabled and monitoring\.podMonitor\.enabled are both true/);
    });

    test('the PrometheusRule alerts on metrics the operator exports', async () => {
      const rule = only(await render(major, ['--set', 'monitoring.prometheusRule.enabled=true']), 'PrometheusRule');
      const rules = rule.spec.groups[0].rules as Json[];
      assert.deepEqual(
        rules.map((r) => r.alert),
        ['CorePodOperatorDown', 'CorePodOperatorNoLeader', 'CorePodOperatorReconcileErrors', 'CorePodOperatorQueueBacklog'],
      );
      const exported = new Set((await new OperatorMetrics().registry.getMetricsAsJSON()).map((m) => m.name));
      for (const r of rules) {
        const names = [...String(r.expr).matchAll(/\b([a-z_]+)\{/g)].map((m) => m[1]!);
        assert.ok(names.length > 0, r.alert);
        for (const name of names) assert.ok(exported.has(name), `${r.alert} uses ${name}, which the operator does not export`);
        assert.ok(r.labels.severity && r.annotations.summary, r.alert);
      }
      assert.match(JSON.stringify(rules), /\{\{ \$value \| humanizePercentage \}\}/, 'Prometheus templates reach the rule unexpanded');
    });

    test('the program alerts: a second group, on by default, off with programAlerts=false', async () => {
      const rule = only(await render(major, ['--set', 'monitoring.prometheusRule.enabled=true']), 'PrometheusRule');
      const programs = rule.spec.groups[1];
      assert.equal(programs.name, 'corepod-programs');
      assert.deepEqual(
        (programs.rules as Json[]).map((r) => r.alert),
        ['CorePodProgramRestartLoop', 'CorePodProgramFatal', 'CorePodProgramDown', 'CorePodContainerMemoryCritical'],
      );
      assert.match(JSON.stringify(programs.rules), /\{\{ \$labels\.program \}\}/, 'Prometheus templates reach the rule unexpanded');
      for (const r of programs.rules as Json[]) assert.equal(r.annotations.runbook_url, `docs/alerts.md#${String(r.alert).toLowerCase()}`);
      const off = only(await render(major, ['--set', 'monitoring.prometheusRule.enabled=true,monitoring.prometheusRule.programAlerts=false']), 'PrometheusRule');
      assert.deepEqual(
        (off.spec.groups as Json[]).map((g) => g.name),
        ['corepod-operator'],
      );
    });

    test('corePodMonitor: a PodMonitor of the CorePod pods of every namespace, on their health port', async () => {
      assert.ok(!kindsOf(await render(major)).includes('PodMonitor'));
      const monitor = only(await render(major, ['--set', 'monitoring.corePodMonitor.enabled=true']), 'PodMonitor');
      assert.deepEqual(monitor.spec.selector.matchLabels, { [LABEL.managedBy]: MANAGED_BY, [LABEL.component]: 'workload' });
      assert.deepEqual(monitor.spec.namespaceSelector, { any: true });
      assert.equal(monitor.spec.podMetricsEndpoints[0].port, HEALTH_PORT_NAME);
      assert.equal(monitor.spec.podMetricsEndpoints[0].path, '/metrics');
    });

    test('networkPolicy: ingress to metrics and health only, egress to the apiserver ports and DNS', async () => {
      const objects = await render(major, ['--set', 'networkPolicy.enabled=true']);
      const policy = only(objects, 'NetworkPolicy');
      assert.deepEqual(policy.spec.podSelector.matchLabels, only(objects, 'Deployment').spec.selector.matchLabels);
      assert.deepEqual(
        policy.spec.ingress[0].ports.map((p: Json) => p.port),
        ['metrics', 'health'],
      );
      assert.deepEqual(
        policy.spec.egress.flatMap((e: Json) => e.ports.map((p: Json) => `${p.port}/${p.protocol}`)),
        ['443/TCP', '6443/TCP', '53/UDP', '53/TCP'],
      );
      assert.ok(!kindsOf(await render(major)).includes('NetworkPolicy'));
    });

    test('podDisruptionBudget: minAvailable below replicas, refused otherwise', async () => {
      const objects = await render(major, ['--set', 'podDisruptionBudget.enabled=true']);
      const pdb = only(objects, 'PodDisruptionBudget');
      assert.equal(pdb.spec.minAvailable, 1);
      assert.deepEqual(pdb.spec.selector.matchLabels, only(objects, 'Deployment').spec.selector.matchLabels);
      const blocked = await runHelm(major, ['template', 'corepod', CHART, '--set', 'podDisruptionBudget.enabled=true,replicaCount=1']);
      assert.notEqual(blocked.code, 0);
      assert.match(blocked.stderr, /podDisruptionBudget\.minAvailable \(1\) must be below replicaCount \(1\)/);
    });

    test('value combinations the schema cannot express are refused with the reason', async () => {
      for (const [set, reason] of [
        ['leaderElection.retryPeriodSeconds=10', /retryPeriodSeconds must be below leaderElection.renewDeadlineSeconds/],
        ['leaderElection.renewDeadlineSeconds=20', /renewDeadlineSeconds must be below leaderElection.leaseDurationSeconds/],
        ['monitoring.serviceMonitor.enabled=true,metrics.service.enabled=false', /serviceMonitor.enabled needs metrics.service.enabled/],
        ['serviceAccount.create=false', /serviceAccount.name is required/],
      ] as const) {
        const result = await runHelm(major, ['template', 'corepod', CHART, '--set', set]);
        assert.notEqual(result.code, 0, `${set} was accepted`);
        assert.match(result.stderr, reason);
      }
      const ownAccount = only(await render(major, ['--set', 'serviceAccount.create=false,serviceAccount.name=ops']), 'Deployment');
      assert.equal(ownAccount.spec.template.spec.serviceAccountName, 'ops');
    });

    test('images: repository, tag, digest and pull policy of the operator and the sidecar-init', async () => {
      const digest = `sha256:${'a'.repeat(64)}`;
      const objects = await render(major, [
        '--set-string',
        `image.repository=registry.example/op,image.tag=1.2.3,image.digest=${digest},image.pullPolicy=Always`,
        '--set-string',
        'sidecarInit.image.repository=registry.example/sidecar,sidecarInit.image.tag=1.2.3,sidecarInit.image.pullPolicy=Never',
      ]);
      const container = only(objects, 'Deployment').spec.template.spec.containers[0];
      assert.equal(container.image, `registry.example/op:1.2.3@${digest}`);
      assert.equal(container.imagePullPolicy, 'Always');
      assert.ok(argsOf(objects).includes('--sidecar-image=registry.example/sidecar:1.2.3'));
      assert.ok(argsOf(objects).includes('--sidecar-image-pull-policy=Never'));
      assert.ok(argsOf(objects).includes('--runtime-delivery=auto'), 'auto by default');
      assert.ok(argsOf(await render(major, ['--set', 'sidecarInit.runtimeDelivery=copy'])).includes('--runtime-delivery=copy'));
    });

    test('a wrong type or an unknown key is refused, naming the key; global takes anything', async () => {
      const refused = async (args: string[], key: RegExp) => {
        const result = await runHelm(major, ['template', 'corepod', CHART, ...args]);
        assert.notEqual(result.code, 0, `${args.join(' ')} was accepted`);
        assert.match(result.stderr, key);
      };
      await refused(['--set', 'replicaCount=two'], /replicaCount/);
      await refused(['--set', 'crds.keep=maybe'], /crds[./]keep/);
      await refused(['--set', 'replicas=3'], /replicas/);
      await refused(['--set', 'image.tagg=1'], /tagg/);
      await refused(['--set', 'monitoring.serviceMonitor.interval=often'], /interval/);
      await refused(['--set-string', 'sidecarInit.image.pullPolicy=Sometimes'], /pullPolicy/);
      await refused(['--set-string', 'sidecarInit.runtimeDelivery=volume'], /runtimeDelivery/);
      await refused(['--set', 'watchNamespaces={Team_A}'], /watchNamespaces/);
      assert.equal(only(await render(major, ['--set', 'global.imageRegistry=x,global.anything.nested=1']), 'Deployment').spec.replicas, 2);
    });

    test('names follow the release; fullnameOverride and nameOverride apply', async () => {
      assert.equal(only(await render(major, [], 'corepod-blue', 'ops'), 'Deployment').metadata.name, 'corepod-blue-operator');
      assert.equal(only(await render(major, [], 'blue', 'ops'), 'ClusterRole').metadata.name, 'blue-corepod-operator');
      assert.equal(only(await render(major, ['--set', 'fullnameOverride=cp'], 'blue', 'ops'), 'Deployment').metadata.name, 'cp-operator');
      const long = only(await render(major, [], 'x'.repeat(53), 'ops'), 'Deployment').metadata.name as string;
      assert.ok(long.length <= 63 && long.endsWith('-operator'), long);
    });
  });
}

test('Helm 4 and Helm 3 render the same objects', async () => {
  const args = ['--set', 'monitoring.serviceMonitor.enabled=true,monitoring.prometheusRule.enabled=true,networkPolicy.enabled=true,podDisruptionBudget.enabled=true'];
  const [v4, v3] = await Promise.all(HELMS.map((major) => render(major, args)));
  assert.deepEqual(v3, v4);
});
