import {
  AI_JOB_COMPLETED,
  AI_JOB_FAILED,
  type AiJobCompletedPayload,
  type AiJobFailedPayload,
} from '../../ai-jobs/ai-jobs.events.js';
import { CryptoEvents, type CryptoDepositConfirmedPayload } from '../../crypto/crypto.events.js';
import {
  PaymentsEvents,
  type PaymentFailedPayload,
  type PaymentRefundedPayload,
  type PaymentSucceededPayload,
} from '../../payments/payments.events.js';

/** The events that notify their owner, in the app and on Discord. */
export const NOTIFYING_EVENTS = [
  PaymentsEvents.succeeded,
  PaymentsEvents.failed,
  PaymentsEvents.refunded,
  AI_JOB_COMPLETED,
  AI_JOB_FAILED,
  CryptoEvents.confirmed,
] as const;

export interface NotificationText {
  title: string;
  /** One line, without user content: what Discord gets. */
  summary: string;
  /** For the owner only (in the app): e.g. the start of an AI job's result. */
  detail?: string;
}

const DETAIL_CHARS = 300;

/** Minor units (cents) in the currency's own decimals, e.g. 1234 USD → $12.34, 500 JPY → ¥500. */
export function money(minor: number, currency: string): string {
  const code = currency.toUpperCase();
  try {
    const format = new Intl.NumberFormat('en-US', { style: 'currency', currency: code });
    return format.format(minor / 10 ** (format.resolvedOptions().maximumFractionDigits ?? 2));
  } catch {
    return `${minor} ${code} (minor units)`;
  }
}

/** Base units (a decimal string) in whole units: 1500000 with 6 decimals → 1.5. */
export function units(base: string, decimals: number): string {
  const digits = BigInt(base)
    .toString()
    .padStart(decimals + 1, '0');
  const fraction = digits.slice(digits.length - decimals).replace(/0+$/, '');
  const whole = digits.slice(0, digits.length - decimals);
  return fraction ? `${whole}.${fraction}` : whole;
}

const DECIMALS: Record<string, number> = { ETH: 18, USDC: 6 };

export function describe(type: string, payload: unknown): NotificationText {
  switch (type) {
    case PaymentsEvents.succeeded: {
      const p = payload as PaymentSucceededPayload;
      return {
        title: 'Payment succeeded',
        summary: `Payment ${p.paymentId} of ${money(p.amount, p.currency)} succeeded.`,
      };
    }
    case PaymentsEvents.failed: {
      const p = payload as PaymentFailedPayload;
      const why = p.message ?? p.reason;
      const verb = p.status === 'canceled' ? 'was canceled' : 'failed';
      return {
        title: `Payment ${p.status === 'canceled' ? 'canceled' : 'failed'}`,
        summary: `Payment ${p.paymentId} of ${money(p.amount, p.currency)} ${verb}${why ? `: ${why}` : '.'}`,
      };
    }
    case PaymentsEvents.refunded: {
      const p = payload as PaymentRefundedPayload;
      const full = p.fullyRefunded ? ' It is now fully refunded.' : '';
      return {
        title: 'Payment refunded',
        summary: `${money(p.amount, p.currency)} of payment ${p.paymentId} was refunded.${full}`,
      };
    }
    case AI_JOB_COMPLETED: {
      const p = payload as AiJobCompletedPayload;
      const text = p.result?.text ?? '';
      return {
        title: 'AI job completed',
        summary: `AI job ${p.jobId} (${p.task}) completed.`,
        detail: text.length > DETAIL_CHARS ? `${text.slice(0, DETAIL_CHARS)}…` : text || undefined,
      };
    }
    case AI_JOB_FAILED: {
      const p = payload as AiJobFailedPayload;
      return {
        title: 'AI job failed',
        summary: `AI job ${p.jobId} (${p.task}) failed: ${p.error?.message ?? 'unknown error'}`,
      };
    }
    case CryptoEvents.confirmed: {
      const p = payload as CryptoDepositConfirmedPayload;
      const decimals = DECIMALS[p.asset] ?? 18;
      const excess =
        p.excess && p.excess !== '0' ? ` ${units(p.excess, decimals)} ${p.asset} more than asked was received.` : '';
      return {
        title: 'Deposit confirmed',
        summary: `Deposit ${p.depositId} of ${units(p.received, decimals)} ${p.asset} (${p.fiatAmount} ${p.fiatCurrency}) is confirmed.${excess}`,
      };
    }
    default:
      return { title: 'Notification', summary: type };
  }
}

/** The body of the in-app system message. */
export function inAppBody(text: NotificationText): string {
  return [`${text.title}: ${text.summary}`, text.detail].filter(Boolean).join('\n\n');
}
