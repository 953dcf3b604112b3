export interface SseEvent {
  event?: string;
  id?: string;
  data: any;
}

export interface SseClient {
  status: number;
  events: SseEvent[];
  /** Resolves when the server ends the stream. */
  ended: Promise<void>;
  close(): void;
}

/** A minimal server-sent-events client over fetch (Node 20 has no EventSource); comments are skipped. */
export async function openSse(url: string, headers: Record<string, string>): Promise<SseClient> {
  const ctl = new AbortController();
  const res = await fetch(url, { headers: { ...headers, accept: 'text/event-stream' }, signal: ctl.signal });
  const events: SseEvent[] = [];
  const ended = (async () => {
    if (!res.body) return;
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(chunk, { stream: true });
        let cut: number;
        while ((cut = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, cut);
          buffer = buffer.slice(cut + 2);
          const e: SseEvent = { data: undefined };
          const data: string[] = [];
          for (const line of block.split('\n')) {
            if (line.startsWith(':')) continue;
            const [field, ...rest] = line.split(':');
            const value = rest.join(':').replace(/^ /, '');
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
  return { status: res.status, events, ended, close: () => ctl.abort() };
}
