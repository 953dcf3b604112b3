/**
 * Stripe's request encoding: application/x-www-form-urlencoded with bracketed keys
 * (`metadata[order]=1`, `automatic_payment_methods[enabled]=true`). Arrays come back as objects keyed
 * by index, which is all the fake needs.
 */
export function parseStripeForm(encoded: string): Record<string, any> {
  const out: Record<string, any> = {};
  for (const [key, value] of new URLSearchParams(encoded)) {
    const path = key.replace(/\]/g, '').split('[');
    let node = out;
    path.forEach((part, i) => {
      if (i === path.length - 1) node[part] = value;
      else node = node[part] ??= {};
    });
  }
  return out;
}

/** A stable text form of parameters, to compare a reused idempotency key's request with the first one. */
export function canonical(params: Record<string, any>): string {
  const sort = (v: any): any =>
    v && typeof v === 'object'
      ? Object.fromEntries(
          Object.keys(v)
            .sort()
            .map((k) => [k, sort(v[k])]),
        )
      : v;
  return JSON.stringify(sort(params));
}
