// The three providers of the workflow, called the same way by both architectures: a payment provider
// (charge), an AI provider (chat completion) and a notification webhook. BENCH_PROVIDERS_URL points at
// the local fake in bench/workflow/driver.ts, which answers each after a fixed latency.
import { Injectable } from '@nestjs/common';

export interface OrderInput {
  orderId: string;
  ref: string;
  amount: number;
  currency: string;
  note: string;
}

export interface Charge {
  id: string;
  status: string;
}

export interface Analysis {
  summary: string;
  tokens: number;
}

@Injectable()
export class WorkflowProviders {
  private readonly base = process.env.BENCH_PROVIDERS_URL ?? '';

  private async post<T>(path: string, body: unknown, idempotencyKey: string): Promise<T> {
    if (!this.base) throw new Error('BENCH_PROVIDERS_URL is not set');
    const res = await fetch(`${this.base}${path}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'idempotency-key': idempotencyKey,
      },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(10_000),
    });
    if (!res.ok) throw new Error(`${path} answered ${res.status}`);
    return res.status === 204 ? (undefined as T) : ((await res.json()) as T);
  }

  async charge(o: OrderInput, key: string): Promise<Charge> {
    const r = await this.post<{ id: string; status: string }>(
      '/v1/charges',
      {
        amount: o.amount,
        currency: o.currency,
        metadata: { orderId: o.orderId },
      },
      key,
    );
    return { id: r.id, status: r.status };
  }

  async analyse(o: OrderInput, key: string): Promise<Analysis> {
    const r = await this.post<{
      choices: Array<{ message: { content: string } }>;
      usage: { total_tokens: number };
    }>(
      '/v1/chat/completions',
      {
        model: 'bench',
        messages: [
          { role: 'system', content: 'Summarise the order note in one line.' },
          { role: 'user', content: o.note },
        ],
      },
      key,
    );
    return {
      summary: r.choices[0]?.message.content ?? '',
      tokens: r.usage.total_tokens,
    };
  }

  /** The last side effect: the fake records when it has delivered the notification for `ref`. */
  async notify(o: OrderInput, summary: string, key: string): Promise<void> {
    await this.post<void>(
      '/api/webhooks/bench/token',
      { content: `Order ${o.orderId} paid: ${summary}`, ref: o.ref },
      key,
    );
  }
}
