import { assess, type AssessInput } from '../../src/features/crypto/deposit-state.js';

const deadline = new Date('2026-01-01T00:10:00Z');
const before = new Date('2026-01-01T00:09:00Z');
const after = new Date('2026-01-01T00:11:00Z');
const deposit = (
  transfers: AssessInput['transfers'],
  status: AssessInput['status'] = 'awaiting_payment',
): AssessInput => ({
  status,
  amount: 100n,
  expiresAt: deadline,
  transfers,
});
const t = (amount: bigint, blockNumber: number, late = false) => ({ amount, blockNumber, late });

describe('deposit state', () => {
  it('waits, is underpaid, then detected with the completing transfer’s confirmations, then confirmed', () => {
    expect(assess(deposit([]), { tip: 10, required: 3, settledAt: before })).toEqual({
      status: 'awaiting_payment',
      received: 0n,
      payment: 'none',
      confirmations: 0,
    });
    expect(assess(deposit([t(40n, 10)]), { tip: 11, required: 3 })).toMatchObject({
      status: 'underpaid',
      payment: 'under',
      confirmations: 2,
    });
    expect(assess(deposit([t(40n, 10), t(60n, 12)]), { tip: 13, required: 3 })).toMatchObject({
      status: 'detected',
      payment: 'exact',
      confirmations: 2,
    });
    expect(assess(deposit([t(40n, 10), t(60n, 12)]), { tip: 14, required: 3 })).toMatchObject({
      status: 'confirmed',
      confirmations: 3,
    });
  });

  it('does not let a later overpaying transfer delay the confirmation of a complete payment', () => {
    const a = assess(deposit([t(100n, 10), t(5n, 20)]), { tip: 20, required: 3 });
    expect(a).toMatchObject({ status: 'confirmed', payment: 'over', received: 105n, confirmations: 11 });
  });

  it('expires only once the settled part of the chain is past the deadline, and never counts late transfers', () => {
    expect(assess(deposit([t(50n, 10)]), { tip: 30, required: 3, settledAt: before })).toMatchObject({
      status: 'underpaid',
    });
    expect(assess(deposit([t(50n, 10)]), { tip: 30, required: 3, settledAt: after })).toMatchObject({
      status: 'expired',
      received: 50n,
      payment: 'under',
    });
    expect(assess(deposit([t(100n, 29, true)]), { tip: 30, required: 3, settledAt: before })).toMatchObject({
      status: 'awaiting_payment',
      received: 0n,
    });
    // Paid in full before the deadline: confirms even though the deadline has long passed.
    expect(assess(deposit([t(100n, 10)]), { tip: 30, required: 3, settledAt: after })).toMatchObject({
      status: 'confirmed',
    });
  });

  it('keeps final statuses whatever the chain says', () => {
    expect(assess(deposit([], 'confirmed'), { tip: 5, required: 3, settledAt: after }).status).toBe('confirmed');
    expect(assess(deposit([t(100n, 1)], 'expired'), { tip: 50, required: 3 }).status).toBe('expired');
  });
});
