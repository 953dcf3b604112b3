import fc from 'fast-check';
import {
  canMove,
  isOpen,
  PAYMENT_STATUSES,
  statusesBefore,
  statusOfIntent,
  type PaymentStatus,
} from '../../src/features/payments/payment-status.js';

const FINAL: PaymentStatus[] = ['succeeded', 'canceled', 'refunded'];
const status = fc.constantFrom(...PAYMENT_STATUSES);

describe('the payment state machine', () => {
  it('never leaves a final state, except succeeded becoming refunded', () => {
    for (const from of FINAL) {
      for (const to of PAYMENT_STATUSES) expect(canMove(from, to)).toBe(from === 'succeeded' && to === 'refunded');
    }
  });

  it('lets a failed payment still succeed or be canceled, and nothing else', () => {
    expect(PAYMENT_STATUSES.filter((to) => canMove('failed', to))).toEqual(['canceled', 'succeeded']);
  });

  it('never moves back into an open state once out of them', () => {
    fc.assert(fc.property(status, status, (from, to) => !(canMove(from, to) && !isOpen(from) && isOpen(to))));
  });

  it('reaches refunded only through succeeded', () => {
    expect(statusesBefore('refunded')).toEqual(['succeeded']);
  });

  it('applies any sequence of reports without ever undoing a final state', () => {
    fc.assert(
      fc.property(fc.array(status, { maxLength: 30 }), (reports) => {
        let current: PaymentStatus = 'processing';
        let reachedFinal: PaymentStatus | undefined;
        for (const next of reports) {
          if (canMove(current, next)) current = next;
          if (reachedFinal && reachedFinal !== 'succeeded' && current !== reachedFinal) return false;
          if (FINAL.includes(current)) reachedFinal ??= current;
          if (reachedFinal === 'succeeded' && !['succeeded', 'refunded'].includes(current)) return false;
        }
        return true;
      }),
    );
  });

  it.each([
    [{ status: 'succeeded' }, 'succeeded'],
    [{ status: 'canceled' }, 'canceled'],
    [{ status: 'requires_payment_method' }, 'requires_payment_method'],
    [{ status: 'requires_payment_method', lastError: { code: 'card_declined' } }, 'failed'],
    [{ status: 'processing' }, 'processing'],
    [{ status: 'requires_action' }, 'requires_action'],
    [{ status: 'some_future_status' }, 'processing'],
  ])('reads the intent %o as %s', (intent, expected) => {
    expect(statusOfIntent(intent)).toBe(expected);
  });
});
