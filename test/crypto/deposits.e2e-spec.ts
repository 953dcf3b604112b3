import { ObjectId } from 'mongodb';
import { createWalletClient, http, parseEther, parseUnits } from 'viem';
import { hardhat } from 'viem/chains';
import { bootCrypto, type CryptoHarness } from './support/crypto-app.js';

/**
 * Deposits against a real EVM node (Hardhat) with a real ERC-20 (TestUSDC, compiled and deployed in the
 * setup): addresses from the xpub, detection of ETH and token transfers, confirmations, under- and
 * over-payment, and a reorganisation that undoes a detection. The follower pass is called directly here;
 * test/crypto/replicas.e2e-spec.ts shows the cron driving it.
 */
describe('crypto deposits on a local EVM node', () => {
  let h: CryptoHarness;
  beforeAll(async () => (h = await bootCrypto('crypto_deposits')), 120_000);
  afterAll(async () => h?.close());

  const indexOf = async (id: string) =>
    (await h.db.collection('crypto_deposits').findOne({ _id: new ObjectId(id) }))!.index as number;

  it('gives each deposit a fresh address derived from the xpub, which the seed holder can spend from', async () => {
    const a = await h.openDeposit('alice', 'ETH', '10.00');
    const b = await h.openDeposit('alice', 'ETH', '10.00');
    expect(a).toMatchObject({
      asset: 'ETH',
      status: 'awaiting_payment',
      received: '0',
      confirmations: 0,
      transfers: [],
    });
    expect(a.address).not.toBe(b.address);
    const [ia, ib] = [await indexOf(a.id), await indexOf(b.id)];
    expect(ib).not.toBe(ia);
    expect(h.wallet.signer(ia).address).toBe(a.address);
    expect(h.wallet.signer(ib).address).toBe(b.address);

    // Only the seed's holder can move what is paid in: sign with the derived key and send it on.
    await h.chain.sendEth(a.address, parseEther('1'));
    const signer = createWalletClient({ account: h.wallet.signer(ia), chain: hardhat, transport: http(h.chain.url) });
    const hash = await signer.sendTransaction({ to: h.chain.accounts[4]!, value: parseEther('0.5') });
    expect((await h.chain.client.waitForTransactionReceipt({ hash })).status).toBe('success');
  });

  it('detects an exact ETH payment, counts its confirmations and confirms it at CRYPTO_CONFIRMATIONS (3)', async () => {
    const d = await h.openDeposit('bob', 'ETH', '100.00');
    const sent = await h.chain.sendEth(d.address, parseEther(d.amount));
    await h.follow();
    expect(await h.deposit('bob', d.id)).toMatchObject({
      status: 'detected',
      received: d.amount,
      payment: 'exact',
      confirmations: 1,
      requiredConfirmations: 3,
      transfers: [
        {
          txHash: sent.hash,
          logIndex: -1,
          blockNumber: sent.blockNumber,
          amount: d.amount,
          confirmations: 1,
          late: false,
        },
      ],
    });

    await h.chain.node.mine(1);
    await h.follow();
    expect(await h.deposit('bob', d.id)).toMatchObject({ status: 'detected', confirmations: 2 });

    await h.chain.node.mine(1);
    await h.follow();
    const confirmed = await h.deposit('bob', d.id);
    expect(confirmed).toMatchObject({ status: 'confirmed', confirmations: 3, payment: 'exact' });
    expect(Date.parse(confirmed.confirmedAt)).toBeGreaterThan(0);

    const [detected] = await h.events({ type: 'crypto.deposit.detected', aggregateId: d.id });
    expect(detected!.payload).toMatchObject({
      depositId: d.id,
      ownerId: 'bob',
      asset: 'ETH',
      address: d.address,
      amount: parseEther(d.amount).toString(),
      received: parseEther(d.amount).toString(),
      payment: 'exact',
      status: 'detected',
      transfer: {
        txHash: sent.hash,
        logIndex: -1,
        amount: parseEther(d.amount).toString(),
        blockNumber: sent.blockNumber,
      },
    });
    const [done] = await h.events({ type: 'crypto.deposit.confirmed', aggregateId: d.id });
    expect(done!.payload).toMatchObject({ status: 'confirmed', confirmations: 3, excess: '0', txHashes: [sent.hash] });
    // More blocks change nothing: confirmed is final and announced once.
    await h.chain.node.mine(2);
    await h.follow();
    expect((await h.deposit('bob', d.id)).status).toBe('confirmed');
    expect(await h.db.collection('test_crypto_events').countDocuments({ aggregateId: d.id })).toBe(2);
  });

  it('follows a USDC deposit through underpayment, a top-up that overpays, and confirmation; other assets do not count', async () => {
    const d = await h.openDeposit('carol', 'USDC', '50.00');
    expect(d.tokenAddress.toLowerCase()).toBe(h.chain.usdc.toLowerCase());
    const units = parseUnits(d.amount, 6);
    await h.chain.sendEth(d.address, 10n ** 18n); // ETH to a USDC deposit: not what was asked
    const first = await h.chain.sendUsdc(d.address, units / 2n);
    await h.follow();
    expect(await h.deposit('carol', d.id)).toMatchObject({
      status: 'underpaid',
      payment: 'under',
      received: fmt(units / 2n),
      transfers: [{ txHash: first.hash }],
    });
    const [under] = await h.events({ type: 'crypto.deposit.detected', aggregateId: d.id });
    expect(under!.payload).toMatchObject({
      payment: 'under',
      status: 'underpaid',
      transfer: { amount: (units / 2n).toString() },
    });
    expect(under!.payload.transfer.logIndex).toBeGreaterThanOrEqual(0);

    const topUp = units - units / 2n + 1_000_000n; // one USDC too much
    const second = await h.chain.sendUsdc(d.address, topUp, h.chain.accounts[2]);
    await h.follow();
    expect(await h.deposit('carol', d.id)).toMatchObject({
      status: 'detected',
      payment: 'over',
      received: fmt(units + 1_000_000n),
      confirmations: 1,
    });

    await h.chain.node.mine(2);
    await h.follow();
    expect(await h.deposit('carol', d.id)).toMatchObject({ status: 'confirmed', payment: 'over', confirmations: 3 });
    const [done] = await h.events({ type: 'crypto.deposit.confirmed', aggregateId: d.id });
    expect(done!.payload).toMatchObject({
      excess: '1000000',
      received: (units + 1_000_000n).toString(),
      txHashes: [first.hash, second.hash],
    });
    expect(await h.chain.usdcBalance(d.address)).toBe(units + 1_000_000n);
  });

  it('undoes a detection when a reorganisation (evm_snapshot/evm_revert) removes its block, then detects the re-sent payment', async () => {
    const d = await h.openDeposit('dave', 'ETH', '20.00');
    const snapshot = await h.chain.node.snapshot();
    const sent = await h.chain.sendEth(d.address, parseEther(d.amount));
    await h.chain.node.mine(1);
    await h.follow();
    expect(await h.deposit('dave', d.id)).toMatchObject({ status: 'detected', confirmations: 2 });

    // The fork: the payment's block and the one after leave the chain; a longer chain without it replaces them.
    await h.chain.node.revert(snapshot);
    await h.chain.node.mine(4);
    await h.follow();
    expect(await h.deposit('dave', d.id)).toMatchObject({
      status: 'awaiting_payment',
      received: '0',
      payment: 'none',
      confirmations: 0,
      transfers: [],
    });
    const [rolledBack] = await h.events({ type: 'crypto.deposit.rolledBack', aggregateId: d.id });
    expect(rolledBack!.payload).toMatchObject({
      status: 'awaiting_payment',
      received: '0',
      removedTxHashes: [sent.hash],
    });

    const again = await h.chain.sendEth(d.address, parseEther(d.amount));
    await h.follow();
    expect(await h.deposit('dave', d.id)).toMatchObject({
      status: 'detected',
      transfers: [{ txHash: again.hash, blockNumber: again.blockNumber }],
    });
    await h.chain.node.mine(2);
    await h.follow();
    expect(await h.deposit('dave', d.id)).toMatchObject({ status: 'confirmed' });
    expect(await h.events({ type: 'crypto.deposit.detected', aggregateId: d.id }, 2)).toHaveLength(2);
    expect(await h.events({ type: 'crypto.deposit.confirmed', aggregateId: d.id })).toHaveLength(1);
  });
});

const fmt = (units: bigint) => {
  const s = units.toString().padStart(7, '0');
  return `${s.slice(0, -6)}.${s.slice(-6)}`.replace(/\.?0+$/, '');
};
