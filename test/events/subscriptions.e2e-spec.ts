import { Injectable, Module, type DynamicModule } from '@nestjs/common';
import { EventWorkers, OnEvent, Subscriber, SubscriberRegistry } from '../../src/platform/events/index.js';
import { bootInProcess } from '../support/in-process-app.js';

@Subscriber('test.twice')
@Injectable()
class TwiceSubscriber {
  @OnEvent('test.thing.happened')
  a() {}

  @OnEvent('test.thing.happened')
  b() {}
}

@Subscriber('test.empty')
@Injectable()
class EmptySubscriber {}

@Injectable()
class Undeclared {
  @OnEvent('test.thing.happened')
  handle() {}
}

@Subscriber('test.declares', {
  events: ['test.thing.happened', 'test.thing.vanished'],
})
@Injectable()
class DeclaringSubscriber {
  @OnEvent('test.thing.happened')
  handle() {}
}

const featureOf =
  (...providers: Array<new (...args: never[]) => unknown>) =>
  (): DynamicModule => {
    @Module({ providers })
    class BadFeature {}
    return { module: BadFeature };
  };

describe('subscription checks at startup', () => {
  it('fail naming a type subscribed twice, a subscriber without handlers, a handler outside a subscriber, and a declared type without handler', async () => {
    const err = await bootInProcess('events_subs', {}, [
      featureOf(TwiceSubscriber, EmptySubscriber, Undeclared, DeclaringSubscriber),
    ]).then(
      async (app) => {
        await app.close();
        return undefined;
      },
      (e: Error) => e,
    );
    expect(err?.name).toBe('BootError');
    const msg = err!.message;
    expect(msg).toContain(
      "subscriber 'test.twice' subscribes to 'test.thing.happened' twice (TwiceSubscriber.a and TwiceSubscriber.b)",
    );
    expect(msg).toContain("subscriber 'test.empty' (EmptySubscriber) has no @OnEvent handlers");
    expect(msg).toContain("Undeclared.handle has @OnEvent('test.thing.happened') but Undeclared is not a @Subscriber");
    expect(msg).toContain(
      "subscriber 'test.declares' declares 'test.thing.vanished' but has no @OnEvent('test.thing.vanished') handler",
    );
  });

  it('give each subscriber its own worker, with its concurrency from the config', async () => {
    @Subscriber('test.fast')
    @Injectable()
    class Fast {
      @OnEvent('test.thing.happened')
      handle() {}
    }
    @Subscriber('test.slow')
    @Injectable()
    class Slow {
      @OnEvent('test.thing.happened')
      handle() {}
    }
    const app = await bootInProcess(
      'events_conc',
      {
        EVENTS_CONCURRENCY: '3',
        EVENTS_CONCURRENCY_OVERRIDES: '{"test.fast":7}',
      },
      [featureOf(Fast, Slow)],
    );
    try {
      const workers = app.app.get(EventWorkers).list();
      expect(Object.fromEntries(workers.map((w) => [w.name, w.concurrency]))).toEqual({
        'events.{test.fast}': 7,
        'events.{test.slow}': 3,
      });
      expect(app.app.get(SubscriberRegistry).subscribersOf('test.thing.happened')).toEqual(['test.fast', 'test.slow']);
    } finally {
      await app.close();
    }
  });

  it('fail on a concurrency override for an unknown subscriber', async () => {
    const err = await bootInProcess('events_subs2', { EVENTS_CONCURRENCY_OVERRIDES: '{"nobody.here":3}' }, []).then(
      async (app) => {
        await app.close();
        return undefined;
      },
      (e: Error) => e,
    );
    expect(err?.message).toContain("EVENTS_CONCURRENCY_OVERRIDES names 'nobody.here', which is not a subscriber");
  });
});
