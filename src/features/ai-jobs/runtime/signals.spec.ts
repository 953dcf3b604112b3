import { getEventListeners } from 'node:events';
import { abortableSleep, linkSignals } from './signals.js';

describe('ai-jobs signals', () => {
  it('linkSignals aborts with the reason of the first source that aborts', () => {
    const a = new AbortController();
    const b = new AbortController();
    const linked = linkSignals(a.signal, b.signal);
    b.abort(new Error('b went'));
    expect(linked.signal.aborted).toBe(true);
    expect((linked.signal.reason as Error).message).toBe('b went');
  });

  it('is aborted at once when a source already is, and leaves no listener behind after dispose', () => {
    const live = new AbortController();
    const dead = new AbortController();
    dead.abort('done');
    expect(linkSignals(live.signal, dead.signal).signal.reason).toBe('done');
    expect(getEventListeners(live.signal, 'abort')).toHaveLength(0);

    const linked = linkSignals(live.signal);
    expect(getEventListeners(live.signal, 'abort')).toHaveLength(1);
    linked.dispose();
    expect(getEventListeners(live.signal, 'abort')).toHaveLength(0);
  });

  it('abortableSleep resolves after its time and detaches, or rejects as soon as the signal aborts', async () => {
    const ctl = new AbortController();
    await abortableSleep(5, ctl.signal);
    expect(getEventListeners(ctl.signal, 'abort')).toHaveLength(0);
    const started = Date.now();
    const sleeping = abortableSleep(10_000, ctl.signal);
    ctl.abort(new Error('stop'));
    await expect(sleeping).rejects.toThrow('stop');
    expect(Date.now() - started).toBeLessThan(1000);
  });
});
