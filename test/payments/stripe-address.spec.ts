import { apiAddress } from '../../src/features/payments/stripe/stripe.gateway.js';

describe('STRIPE_API_BASE', () => {
  it.each([
    [undefined, {}],
    ['http://127.0.0.1:12111', { host: '127.0.0.1', port: '12111', protocol: 'http' }],
    ['http://stripe-mock', { host: 'stripe-mock', port: 80, protocol: 'http' }],
    ['https://api.stripe.com', { host: 'api.stripe.com', port: 443, protocol: 'https' }],
    ['https://api.stripe.com/', { host: 'api.stripe.com', port: 443, protocol: 'https' }],
  ])('%s is sent to %o', (base, expected) => {
    expect(apiAddress(base)).toEqual(expected);
  });

  it('refuses a base with a path, which the SDK would drop', () => {
    expect(() => apiAddress('https://proxy.example/stripe')).toThrow(/without a path/);
  });
});
