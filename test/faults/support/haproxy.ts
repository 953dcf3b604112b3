import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CHECK, HAPROXY } from '../../ops/support/haproxy.js';

export { CHECK, HAPROXY };

/**
 * HAProxy from Debian in front of keel API replicas, as in test/ops (health checks on /health/ready,
 * servers declared up front by port, so starting a replica needs no reload), plus layer-7 retries:
 * a request whose connection failed or that got no answer (a replica killed mid-request) is sent again
 * to another replica, but a POST only when it carries an Idempotency-Key (keel then replays, or answers
 * 409 while the first attempt still holds the key). A POST without a key is never sent twice.
 */
export class FaultsLb {
  private constructor(
    private readonly proc: ChildProcess,
    private readonly dir: string,
    readonly url: string,
    private readonly out: () => string,
  ) {}

  static async start(port: number, servers: Array<{ name: string; port: number }>): Promise<FaultsLb> {
    const dir = mkdtempSync(join(tmpdir(), 'keel-faults-lb-'));
    const cfg = join(dir, 'haproxy.cfg');
    writeFileSync(
      cfg,
      [
        'global',
        '  maxconn 2000',
        'defaults',
        '  mode http',
        '  timeout connect 2s',
        '  timeout client 60s',
        '  timeout server 30s',
        '  timeout http-keep-alive 10s',
        `  timeout check ${CHECK.timeout}`,
        '  retries 3',
        '  option redispatch 1',
        '  retry-on conn-failure empty-response response-timeout',
        'frontend fe',
        `  bind 127.0.0.1:${port}`,
        '  default_backend keel',
        'backend keel',
        '  balance roundrobin',
        // Sending a POST twice is only safe when keel can recognise the second one.
        '  http-request disable-l7-retry if METH_POST !{ req.hdr(idempotency-key) -m found }',
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
    const proc = spawn(HAPROXY, ['-db', '-f', cfg], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    proc.stdout!.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-100_000)));
    proc.stderr!.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-100_000)));
    const lb = new FaultsLb(proc, dir, `http://127.0.0.1:${port}`, () => out);
    const deadline = Date.now() + 5000;
    for (;;) {
      if (proc.exitCode !== null) throw new Error(`haproxy exited with ${proc.exitCode}:\n${out}`);
      if (
        await fetch(`${lb.url}/health/live`).then(
          () => true,
          () => false,
        )
      )
        return lb;
      if (Date.now() > deadline) throw new Error(`haproxy did not listen on ${port}:\n${out}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  output(): string {
    return this.out();
  }

  async stop(): Promise<void> {
    if (this.proc.exitCode === null && this.proc.signalCode === null) {
      const exited = new Promise((r) => this.proc.once('exit', r));
      this.proc.kill('SIGTERM');
      await exited;
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}
