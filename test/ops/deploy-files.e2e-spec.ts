import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { load, loadAll, YAML11_SCHEMA } from 'js-yaml';
import { knownVariables } from '../../src/config/load-config.js';
import { projectRoot } from '../support/child-app.js';
import { bootInProcess, type RunningApp } from '../support/in-process-app.js';
import { HAPROXY } from './support/haproxy.js';
import { scrape } from './support/prom-text.js';

// Everything a container engine would run, checked without one: structure, tool validation, and the
// metric names the dashboards and alerts query against what keel really exports.
const docker = join(projectRoot, 'docker');
const k8s = join(projectRoot, 'deploy', 'k8s');
const read = (path: string) => readFileSync(path, 'utf8');
const yaml = (path: string) => load(read(path), { schema: YAML11_SCHEMA }) as any; // YAML 1.1: compose's `<<` merge keys
const PROMTOOL = 'promtool';
const SHUTDOWN_TIMEOUT_MS = 25_000;

/** Metric names a PromQL expression reads (keel's own, Node's and Prometheus's `up`). */
function metricsIn(expr: string): string[] {
  return [...expr.matchAll(/\b((?:keel|http|nodejs|process)_[a-zA-Z0-9_]+|up)\b(?!\s*\()/g)].map((m) => m[1]!);
}

/** A histogram's series (`x_bucket`, `x_sum`, `x_count`) belong to the family `x`. */
function family(name: string, families: Map<string, string>): string | undefined {
  if (families.has(name)) return name;
  const base = name.replace(/_(bucket|sum|count)$/, '');
  return families.get(base) === 'histogram' || families.get(base) === 'summary' ? base : undefined;
}

describe('docker/: Dockerfile and compose', () => {
  it('builds a multi-stage, non-root image with production dependencies only and a HEALTHCHECK', () => {
    const file = read(join(docker, 'Dockerfile'));
    const stages = [...file.matchAll(/^FROM\s+\S+\s+AS\s+(\w+)/gim)].map((m) => m[1]);
    expect(stages.length).toBeGreaterThanOrEqual(2);
    const runtime = file.slice(file.lastIndexOf('\nFROM '));
    expect(runtime).toMatch(/^USER\s+(node|\d+)/m);
    expect(runtime).not.toMatch(/^USER\s+root/m);
    expect(file).toMatch(/npm ci --omit=dev/);
    expect(runtime).not.toMatch(/COPY --from=build\s+\S*\s*\/app\/node_modules/); // dev dependencies stay in the build stage
    expect(runtime).toMatch(/^HEALTHCHECK .*\n?.*\/health\/live/m);
    expect(runtime).toMatch(/^CMD \["node", "dist\/main\.js"\]/m); // exec form: node gets SIGTERM
  });

  it('copies into the build stage everything `nest build` reads', () => {
    const file = read(join(docker, 'Dockerfile'));
    const build = file.slice(0, file.indexOf('\nFROM ', file.indexOf('AS build')));
    const copied = [...build.matchAll(/^COPY\s+(?!--from)(.+?)\s+\S+$/gm)].flatMap((m) => m[1]!.split(/\s+/));
    const nestCli = JSON.parse(read(join(docker, '..', 'nest-cli.json'))) as {
      collection?: string;
      sourceRoot: string;
    };
    const needed = ['nest-cli.json', 'tsconfig.json', 'tsconfig.build.json', nestCli.sourceRoot];
    // a collection given as "<pkg>/../../<dir>/collection.json" resolves to the repo's own <dir>
    const local = /^[^./][^/]*\/\.\.\/\.\.\/([^/]+)\//.exec(nestCli.collection ?? '')?.[1];
    if (local) needed.push(local);
    for (const path of needed) expect(copied, `${path} is not copied into the build stage`).toContain(path);
  });

  const compose = yaml(join(docker, 'compose.yaml'));
  const services = compose.services as Record<string, any>;

  it('has a MongoDB replica set that initiates itself and Redis with AOF and noeviction', () => {
    const mongos = ['mongo1', 'mongo2', 'mongo3'];
    for (const m of mongos) expect(services[m].command.join(' ')).toMatch(/--replSet rs0/);
    const init = services['mongo-init'];
    for (const m of mongos) expect(init.depends_on[m].condition).toBe('service_healthy');
    const script = read(join(docker, 'mongo', 'init-replica-set.js'));
    expect(script).toContain('rs.initiate');
    for (const m of mongos) expect(script).toContain(`${m}:27017`);
    const redis = services.redis.command.join(' ');
    expect(redis).toMatch(/--appendonly yes/);
    expect(redis).toMatch(/--maxmemory-policy noeviction/);
  });

  it('runs api ×2 and worker ×2 from one image, with a grace period above the drain bound', () => {
    const { api, worker } = services;
    expect(api.image).toBe(worker.image);
    expect(api.build).toEqual(worker.build);
    expect(api.build.dockerfile).toBe('docker/Dockerfile');
    expect([api.deploy.replicas, worker.deploy.replicas]).toEqual([2, 2]);
    expect([api.environment.APP_ROLE, worker.environment.APP_ROLE]).toEqual(['api', 'worker']);
    for (const s of [api, worker]) {
      expect(s.environment.MONGO_URL).toMatch(/replicaSet=rs0/);
      expect(Number(s.environment.SHUTDOWN_TIMEOUT_MS)).toBeLessThan(parseInt(s.stop_grace_period, 10) * 1000);
      expect(Number(s.environment.DRAIN_DELAY_MS)).toBeLessThan(Number(s.environment.SHUTDOWN_TIMEOUT_MS));
      expect(s.depends_on['mongo-init'].condition).toBe('service_completed_successfully');
      const known = new Set(knownVariables());
      for (const name of Object.keys(s.environment))
        expect(known.has(name), `${name} is not a keel variable`).toBe(true);
    }
  });

  it('puts HAProxy in front of the api, health-checking /health/ready (and HAProxy accepts its config)', () => {
    const cfgPath = join(docker, 'haproxy', 'haproxy.cfg');
    const cfg = read(cfgPath);
    expect(services.lb.volumes.join(' ')).toContain('./haproxy/haproxy.cfg:');
    expect(cfg).toMatch(/http-check send meth GET uri \/health\/ready/);
    expect(cfg).toMatch(/server-template api \d+ api:3000 check/);
    expect(cfg).toMatch(/deny.* if \{ path_beg \/metrics \}/);
    const inter = Number(/default-server inter (\d+)s/.exec(cfg)?.[1]);
    const fall = Number(/ fall (\d+)/.exec(cfg)?.[1]);
    expect(inter * (fall + 1) * 1000).toBeLessThan(Number(services.api.environment.DRAIN_DELAY_MS));
    expect(existsSync(HAPROXY), `${HAPROXY} is missing: apt-get install -y haproxy`).toBe(true);
    const check = spawnSync(HAPROXY, ['-c', '-f', cfgPath], { encoding: 'utf8' });
    expect(check.status, check.stdout + check.stderr).toBe(0);
  });

  it('mounts the Prometheus config and rules, and the Grafana provisioning and dashboard', () => {
    const prom = services.prometheus.volumes.join(' ');
    expect(prom).toContain('./prometheus/prometheus.yml:/etc/prometheus/prometheus.yml');
    expect(prom).toContain('./prometheus/alerts.yml:/etc/prometheus/alerts.yml');
    const grafana = services.grafana.volumes.join(' ');
    expect(grafana).toContain('./grafana/provisioning:/etc/grafana/provisioning');
    expect(grafana).toContain('./grafana/dashboards:/var/lib/grafana/dashboards');
    const provider = yaml(join(docker, 'grafana', 'provisioning', 'dashboards', 'keel.yml'));
    expect(provider.providers[0].options.path).toBe('/var/lib/grafana/dashboards');
    const datasource = yaml(join(docker, 'grafana', 'provisioning', 'datasources', 'prometheus.yml')).datasources[0];
    expect(datasource).toMatchObject({ type: 'prometheus', uid: 'prometheus', url: 'http://prometheus:9090' });
  });
});

describe('docker/prometheus: config, alert rules and their unit tests (promtool)', () => {
  const hasPromtool = spawnSync(PROMTOOL, ['--version']).status === 0;
  const promtool = (...args: string[]) =>
    spawnSync(PROMTOOL, args, { cwd: join(docker, 'prometheus'), encoding: 'utf8' });

  it('has promtool from Debian (.ci/run installs the prometheus package)', () => {
    expect(hasPromtool, 'promtool is missing: apt-get install -y prometheus').toBe(true);
  });

  it('scrapes every api and worker replica directly', () => {
    const cfg = yaml(join(docker, 'prometheus', 'prometheus.yml'));
    const jobs = Object.fromEntries(cfg.scrape_configs.map((j: any) => [j.job_name, j]));
    expect(jobs['keel-api'].dns_sd_configs[0]).toMatchObject({ names: ['api'], type: 'A', port: 3000 });
    expect(jobs['keel-worker'].dns_sd_configs[0]).toMatchObject({ names: ['worker'], type: 'A', port: 3000 });
    expect(cfg.rule_files).toContain('alerts.yml');
  });

  it('passes promtool check config, check rules and the rule unit tests', () => {
    for (const args of [
      ['check', 'config', 'prometheus.yml'],
      ['check', 'rules', 'alerts.yml'],
      ['test', 'rules', 'alerts.test.yml'],
    ]) {
      const r = promtool(...args);
      expect(r.status, `promtool ${args.join(' ')}:\n${r.stdout}${r.stderr}`).toBe(0);
    }
  });

  it('alerts on dead letters, outbox lag, queue wait p95, 5xx rate and a cron out of its window', () => {
    const rules = yaml(join(docker, 'prometheus', 'alerts.yml')).groups.flatMap((g: any) => g.rules);
    const byName = Object.fromEntries(rules.map((r: any) => [r.alert, r.expr as string]));
    expect(byName.KeelDeadLetters).toContain('keel_dead_letters');
    expect(byName.KeelOutboxLag).toContain('keel_outbox_lag_seconds');
    expect(byName.KeelQueueWaitP95High).toMatch(/histogram_quantile\(0\.95.*keel_job_wait_seconds_bucket/);
    expect(byName.KeelHttp5xxRate).toMatch(/status_code=~"5\.\."/);
    expect(byName.KeelCronNotRunInWindow).toMatch(
      /keel_cron_last_success_timestamp_seconds[\s\S]*keel_cron_interval_seconds/,
    );
  });
});

describe('deploy/k8s: Deployments, probes, grace period, HPA, PodDisruptionBudget', () => {
  const docs = readdirSync(k8s)
    .filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml')
    .flatMap((f) => loadAll(read(join(k8s, f))) as any[]);
  const of = (kind: string) => docs.filter((d) => d.kind === kind);
  const config = of('ConfigMap')[0].data as Record<string, string>;

  it('lists every manifest in the kustomization', () => {
    const listed = (load(read(join(k8s, 'kustomization.yaml'))) as any).resources as string[];
    expect(listed.sort()).toEqual(
      readdirSync(k8s)
        .filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml')
        .sort(),
    );
  });

  for (const role of ['api', 'worker']) {
    it(`runs the ${role} role with liveness on /health/live, readiness on /health/ready and a grace period above the drain bound`, () => {
      const d = of('Deployment').find((x) => x.metadata.name === `keel-${role}`);
      expect(d).toBeDefined();
      const pod = d.spec.template.spec;
      const c = pod.containers[0];
      expect(c.env.find((e: any) => e.name === 'APP_ROLE').value).toBe(role);
      expect(c.livenessProbe.httpGet.path).toBe('/health/live');
      expect(c.readinessProbe.httpGet.path).toBe('/health/ready');
      expect(Number(config.SHUTDOWN_TIMEOUT_MS)).toBeLessThan(pod.terminationGracePeriodSeconds * 1000);
      expect(Number(config.EVENTS_DRAIN_TIMEOUT_MS)).toBeLessThan(Number(config.SHUTDOWN_TIMEOUT_MS));
      expect(pod.securityContext.runAsNonRoot).toBe(true);
      const known = new Set(knownVariables());
      for (const name of [...Object.keys(config), ...c.env.map((e: any) => e.name)])
        expect(known.has(name), name).toBe(true);
      const hpa = of('HorizontalPodAutoscaler').find((h) => h.spec.scaleTargetRef.name === `keel-${role}`);
      expect(hpa.spec.minReplicas).toBeGreaterThanOrEqual(2);
      const pdb = of('PodDisruptionBudget').find((p) => p.metadata.name === `keel-${role}`);
      expect(d.spec.selector.matchLabels).toEqual(pdb.spec.selector.matchLabels);
      expect(d.spec.template.metadata.labels).toMatchObject(pdb.spec.selector.matchLabels);
    });
  }

  it('keeps the drain delay of the api longer than a readiness probe period', () => {
    const api = of('Deployment').find((x) => x.metadata.name === 'keel-api');
    const probe = api.spec.template.spec.containers[0].readinessProbe;
    expect(probe.periodSeconds * probe.failureThreshold * 1000).toBeLessThan(Number(config.DRAIN_DELAY_MS));
    expect(Number(config.SHUTDOWN_TIMEOUT_MS)).toBe(SHUTDOWN_TIMEOUT_MS);
  });
});

describe('dashboards and alerts query only metrics keel really exports', () => {
  let app: RunningApp;
  let families: Map<string, string>;
  beforeAll(async () => {
    app = await bootInProcess('ops_deploy_files', { APP_ROLE: 'all' });
    // The cluster-wide families appear once this (only) replica holds the exporter lock.
    const deadline = Date.now() + 10_000;
    let e = await scrape(app.url);
    while (!e.families.has('keel_queue_jobs') && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 200));
      e = await scrape(app.url);
    }
    families = e.families;
  });
  afterAll(() => app?.close());

  it('exports every family the dashboard and the rules use', () => {
    const dashboard = JSON.parse(read(join(docker, 'grafana', 'dashboards', 'keel.json')));
    const exprs: string[] = dashboard.panels.flatMap((p: any) => (p.targets ?? []).map((t: any) => t.expr as string));
    expect(exprs.length).toBeGreaterThan(10);
    const rules = yaml(join(docker, 'prometheus', 'alerts.yml')).groups.flatMap((g: any) =>
      g.rules.map((r: any) => r.expr as string),
    );
    const used = new Set([...exprs, ...rules].flatMap(metricsIn));
    used.delete('up'); // Prometheus's own
    const missing = [...used].filter((m) => !family(m, families));
    expect(missing, `not exported by keel: ${missing.join(', ')}`).toEqual([]);
    for (const m of [
      'keel_queue_jobs',
      'keel_job_wait_seconds',
      'keel_job_run_seconds',
      'keel_outbox_lag_seconds',
      'keel_dead_letters',
      'keel_cron_runs_total',
      'keel_cron_takeovers_total',
      'keel_cron_lock_contention_total',
      'http_request_duration_seconds',
      'nodejs_eventloop_lag_p99_seconds',
      'process_resident_memory_bytes',
    ]) {
      expect(
        [...used].some((u) => family(u, families) === m),
        `the dashboard or rules never show ${m}`,
      ).toBe(true);
    }
  });

  it('uses the provisioned datasource in every panel', () => {
    const dashboard = JSON.parse(read(join(docker, 'grafana', 'dashboards', 'keel.json')));
    for (const p of dashboard.panels.filter((x: any) => x.type !== 'row'))
      expect(p.datasource?.uid, p.title).toBe('prometheus');
  });
});
