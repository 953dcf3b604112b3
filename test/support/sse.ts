export interface SseEvent {
  event?: string;
  id?: string;
  data: any;
  /** When the client parsed it (ms since the epoch, sub-ms precision). */
  at: number;
}

export interface SseClient {
  status: number;
  headers: Headers;
  /** The body of a refused request (problem+json). */
  problem?: any;
  events: SseEvent[];
  messages(): SseEvent[];
  /** Resolves when the server ends the stream (or the client closes it). */
  ended: Promise<void>;
  close(): void;
}

/** A server-sent-events client over fetch (Node 20 has no EventSource): fields per the spec, comments skipped. */
export async function openSse(url: string, headers: Record<string, string>): Promise<SseClient> {
  const ctl = new AbortController();
  const res = await fetch(url, { headers: { ...headers, accept: 'text/event-stream' }, signal: ctl.signal });
  const events: SseEvent[] = [];
  const base = {
    status: res.status,
    headers: res.headers,
    events,
    messages: () => events.filter((e) => e.event === 'message'),
    close: () => ctl.abort(),
  };
  if (!res.ok) return { ...base, problem: await res.json().catch(() => undefined), ended: Promise.resolve() };
  const ended = (async () => {
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(chunk, { stream: true });
        let cut: number;
        while ((cut = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, cut);
          buffer = buffer.slice(cut + 2);
          const e: SseEvent = { data: undefined, at: performance.timeOrigin + performance.now() };
          const data: string[] = [];
          for (const line of block.split('\n')) {
            if (line === '' || line.startsWith(':')) continue;
            const colon = line.indexOf(':');
            const field = colon < 0 ? line : line.slice(0, colon);
            const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
            if (field === 'event') e.event = value;
            else if (field === 'id') e.id = value;
            else if (field === 'data') data.push(value);
          }
          if (data.length === 0) continue;
          const text = data.join('\n');
          try {
            e.data = JSON.parse(text);
          } catch {
            e.data = text;
          }
          events.push(e);
        }
      }
    } catch (err) {
      if ((err as Error).name !== 'AbortError') throw err;
    }
  })();
  return { ...base, ended };
}
