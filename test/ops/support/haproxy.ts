import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const HAPROXY = '/usr/sbin/haproxy';

/** Health-check cadence: a replica is out after `fall` failed checks `inter` ms apart. */
export const CHECK = { inter: 500, fall: 2, rise: 2, timeout: 3000 };

/**
 * HAProxy from Debian in front of keel replicas, checking /health/ready like the compose file's load
 * balancer. Servers are declared up front by port; one that is not listening yet is simply down until
 * it starts, so "start a new replica" needs no reload.
 */
export class HaProxy {
  private constructor(
    private readonly proc: ChildProcess,
    private readonly dir: string,
    readonly url: string,
    private readonly out: () => string,
  ) {}

  static async start(port: number, servers: Array<{ name: string; port: number }>): Promise<HaProxy> {
    const dir = mkdtempSync(join(tmpdir(), 'keel-haproxy-'));
    const cfg = join(dir, 'haproxy.cfg');
    writeFileSync(
      cfg,
      [
        'global',
        '  maxconn 1000',
        'defaults',
        '  mode http',
        '  timeout connect 2s',
        '  timeout client 30s',
        '  timeout server 30s',
        '  timeout http-keep-alive 10s',
        `  timeout check ${CHECK.timeout}`,
        // A replica that closes a pooled connection just as a request is sent on it is retried elsewhere.
        '  retries 3',
        '  option redispatch',
        '  retry-on conn-failure empty-response response-timeout',
        'frontend fe',
        `  bind 127.0.0.1:${port}`,
        '  default_backend keel',
        'backend keel',
        '  balance roundrobin',
        '  option httpchk',
        '  http-check send meth GET uri /health/ready',
        '  http-check expect status 200',
        `  default-server inter ${CHECK.inter} fastinter ${CHECK.inter} downinter ${CHECK.inter} fall ${CHECK.fall} rise ${CHECK.rise}`,
        ...servers.map((s) => `  server ${s.name} 127.0.0.1:${s.port} check`),
        '',
      ].join('\n'),
    );
    const check = spawnSync(HAPROXY, ['-c', '-f', cfg], { encoding: 'utf8' });
    if (check.status !== 0) throw new Error(`haproxy rejected its configuration:\n${check.stdout}${check.stderr}`);
    const proc = spawn(HAPROXY, ['-db', '-f', cfg], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    proc.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    const lb = new HaProxy(proc, dir, `http://127.0.0.1:${port}`, () => out);
    const deadline = Date.now() + 5000;
    for (;;) {
      if (proc.exitCode !== null) throw new Error(`haproxy exited with ${proc.exitCode}:\n${out}`);
      const up = await fetch(lb.url).then(
        () => true,
        () => false,
      );
      if (up) return lb;
      if (Date.now() > deadline) throw new Error(`haproxy did not listen on ${port}:\n${out}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  output(): string {
    return this.out();
  }

  async stop(): Promise<void> {
    if (this.proc.exitCode === null) {
      const exited = new Promise((r) => this.proc.once('exit', r));
      this.proc.kill('SIGTERM');
      await exited;
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}
