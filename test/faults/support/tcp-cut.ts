import net from 'node:net';
import type { AddressInfo } from 'node:net';

/**
 * A TCP relay in front of a server (here: MongoDB) that the test can cut: `cut()` resets every open
 * connection and refuses new ones (accepted, then reset at once) until `heal()`. The server itself keeps
 * running with its data, so what was committed before the cut can be checked afterwards.
 */
export class TcpCut {
  private readonly open = new Set<net.Socket>();
  private severed = false;
  cuts = 0;

  private constructor(
    private readonly server: net.Server,
    readonly port: number,
  ) {}

  static async start(targetPort: number, targetHost = '127.0.0.1'): Promise<TcpCut> {
    let relay: TcpCut | undefined;
    const server = net.createServer((client) => {
      if (relay!.severed) {
        client.resetAndDestroy();
        return;
      }
      const upstream = net.connect(targetPort, targetHost);
      const pair = [client, upstream];
      for (const s of pair) {
        relay!.open.add(s);
        s.on('error', () => undefined);
        s.on('close', () => {
          relay!.open.delete(s);
          for (const other of pair) if (other !== s && !other.destroyed) other.destroy();
        });
      }
      client.pipe(upstream);
      upstream.pipe(client);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    relay = new TcpCut(server, (server.address() as AddressInfo).port);
    return relay;
  }

  /** `mongodb://` URI of the relay for a server whose URI is `uri` (same options, other port). */
  mongoUri(uri: string): string {
    return uri.replace(/:(\d+)\//, `:${this.port}/`);
  }

  cut(): void {
    this.severed = true;
    this.cuts++;
    for (const s of this.open) s.resetAndDestroy();
  }

  heal(): void {
    this.severed = false;
  }

  async stop(): Promise<void> {
    this.cut();
    await new Promise((r) => this.server.close(r));
  }
}
