import fs from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';

/**
 * deploy/kubernetes, checked offline: every object against the Kubernetes API's own JSON schema
 * (the kubernetes-models package bundles them), and against the service itself: probes on the
 * routes it serves, selectors that select, secrets only from Secret objects, and only settings the
 * configuration knows.
 */
const DIR = path.join(__dirname, '..', '..', 'deploy', 'kubernetes');

type Obj = { apiVersion: string; kind: string; metadata: { name: string; labels?: Record<string, string> }; spec?: Record<string, unknown>; data?: Record<string, string>; stringData?: Record<string, string> };

function objects(): Array<{ file: string; obj: Obj }> {
  return fs
    .readdirSync(DIR)
    .filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml')
    .flatMap((file) =>
      parseAllDocuments(fs.readFileSync(path.join(DIR, file), 'utf8'))
        .map((d) => d.toJS() as Obj)
        .filter(Boolean)
        .map((obj) => ({ file, obj })),
    );
}

/** The kubernetes-models class for an object: apps/v1 Deployment -> kubernetes-models/apps/v1/Deployment. */
function modelFor(obj: Obj): { new (data: unknown): { validate(): void } } {
  const group = obj.apiVersion.includes('/') ? obj.apiVersion : `${obj.apiVersion}`;
  const mod = require(`kubernetes-models/${group}/${obj.kind}`) as Record<string, { new (data: unknown): { validate(): void } }>;
  return mod[obj.kind];
}

const all = objects();
const byKind = (kind: string) => all.filter((o) => o.obj.kind === kind).map((o) => o.obj);
type Container = { name: string; image: string; command?: string[]; envFrom?: Array<{ configMapRef?: { name: string }; secretRef?: { name: string } }>; env?: Array<{ name: string; value?: string }>; readinessProbe?: { httpGet?: { path: string } }; livenessProbe?: { httpGet?: { path: string }; exec?: { command: string[] } }; resources?: { limits?: { memory?: string } } };
const podSpec = (o: Obj) => (o.spec as { template: { metadata: { labels: Record<string, string> }; spec: { containers: Container[] } } }).template;

test('every object is valid against the Kubernetes API schema', () => {
  expect(all.length).toBeGreaterThanOrEqual(9);
  for (const { file, obj } of all) {
    const Model = modelFor(obj);
    expect(() => new Model(obj).validate()).not.toThrow();
    expect({ file, name: obj.metadata.name }).toEqual({ file, name: expect.stringMatching(/^[a-z0-9-]+$/) });
  }
});

test('the validation does fail on a broken object', () => {
  const deployment = structuredClone(byKind('Deployment')[0]);
  (podSpec(deployment).spec.containers[0] as unknown as { ports: unknown }).ports = [{ containerPort: 'http' }];
  expect(() => new (modelFor(deployment))(deployment).validate()).toThrow(/containerPort/);
});

test('the service is probed on the routes it serves, and the worker by its health check', () => {
  const service = byKind('Deployment').find((d) => d.metadata.labels?.['app.kubernetes.io/component'] === 'service')!;
  const worker = byKind('Deployment').find((d) => d.metadata.labels?.['app.kubernetes.io/component'] === 'worker')!;
  const [s] = podSpec(service).spec.containers;
  expect(s.readinessProbe?.httpGet?.path).toBe('/readyz');
  expect(s.livenessProbe?.httpGet?.path).toBe('/healthz');
  expect(s.command).toEqual(['node', expect.stringMatching(/^--max-old-space-size=\d+$/), 'dist/app/main.js']);
  // The heap cap leaves room under the container's limit for what is not heap (buffers, code, stacks).
  const heapMiB = Number(/=(\d+)/.exec(s.command![1])![1]);
  const limitMiB = Number(/^(\d+)Mi$/.exec(String(s.resources?.limits?.memory))![1]);
  expect(heapMiB).toBeLessThanOrEqual(limitMiB * 0.75);
  const [w] = podSpec(worker).spec.containers;
  expect(w.command).toEqual(['node', 'dist/app/worker.js']);
  expect(w.livenessProbe?.exec?.command).toEqual(['node', 'dist/app/worker.js', '--healthcheck']);
  // The entry points the manifests run are the ones the build makes.
  for (const entry of ['app/main.ts', 'app/worker.ts', 'src/db/migrate-cli.ts']) expect(fs.existsSync(path.join(__dirname, '..', '..', entry))).toBe(true);
  const job = byKind('Job')[0];
  expect(podSpec(job).spec.containers[0].command).toEqual(['node', 'dist/src/db/migrate-cli.js', 'up']);
  // One image for all three.
  expect(new Set([s.image, w.image, podSpec(job).spec.containers[0].image]).size).toBe(1);
});

test('selectors select: the Service, the autoscaler and the disruption budgets reach their pods', () => {
  const deployments = byKind('Deployment');
  const matches = (selector: Record<string, string>) => deployments.filter((d) => Object.entries(selector).every(([k, v]) => podSpec(d).metadata.labels[k] === v));
  for (const svc of byKind('Service')) expect(matches((svc.spec as { selector: Record<string, string> }).selector)).toHaveLength(1);
  for (const pdb of byKind('PodDisruptionBudget')) expect(matches((pdb.spec as { selector: { matchLabels: Record<string, string> } }).selector.matchLabels)).toHaveLength(1);
  for (const d of deployments) expect(matches((d.spec as { selector: { matchLabels: Record<string, string> } }).selector.matchLabels)).toEqual([d]);
  const [hpa] = byKind('HorizontalPodAutoscaler');
  const target = (hpa.spec as { scaleTargetRef: { kind: string; name: string } }).scaleTargetRef;
  expect(deployments.find((d) => d.metadata.name === target.name)?.metadata.labels?.['app.kubernetes.io/component']).toBe('service');
});

test('secrets come only from the Secret, and every setting named is one the configuration knows', () => {
  const config = fs.readFileSync(path.join(__dirname, '..', '..', 'src', 'config', 'index.ts'), 'utf8');
  const known = new Set([...config.matchAll(/^\s{2}([A-Z][A-Z0-9_]+):/gm)].map((m) => m[1]));
  expect(known.size).toBeGreaterThan(20);
  const [configMap] = byKind('ConfigMap');
  const [secret] = byKind('Secret');
  const named = [...Object.keys(configMap.data ?? {}), ...Object.keys(secret.stringData ?? {}), ...byKind('Deployment').flatMap((d) => podSpec(d).spec.containers.flatMap((c) => (c.env ?? []).map((e) => e.name)))];
  // WORKER_HEARTBEAT_FILE is read by the worker itself, before the configuration.
  expect(named.filter((n) => !known.has(n) && n !== 'WORKER_HEARTBEAT_FILE')).toEqual([]);
  const secretLike = /TOKEN|SECRET|PASSWORD|DATABASE_URL|REDIS_URL|AUTH/;
  expect(Object.keys(configMap.data ?? {}).filter((k) => secretLike.test(k))).toEqual([]);
  for (const d of [...byKind('Deployment'), ...byKind('Job')]) {
    for (const c of podSpec(d).spec.containers) {
      expect((c.env ?? []).filter((e) => secretLike.test(e.name) && e.value !== undefined)).toEqual([]);
      expect(c.envFrom?.some((e) => e.secretRef?.name === secret.metadata.name)).toBe(true);
    }
  }
});
