import type { RunningApp } from '../support/in-process-app.js';
import { bootMessagingApp } from './support/messaging-app.js';

describe('messaging: the OpenAPI document', () => {
  let app: RunningApp;
  beforeAll(async () => {
    app = await bootMessagingApp('msg_openapi');
  });
  afterAll(() => app?.close());

  it('documents every route with its DTOs and problem answers', async () => {
    const doc = (await (await fetch(`${app.url}/docs/json`)).json()) as any;
    const op = (path: string, method: string) => doc.paths[`/v1/conversations${path}`]?.[method];
    const routes: Array<[string, string, string, string[]]> = [
      ['', 'post', 'ConversationDto', ['400', '401']],
      ['', 'get', 'ConversationPageDto', ['400', '401']],
      ['/{id}', 'get', 'ConversationDto', ['400', '401', '404']],
      ['/{id}/messages', 'post', 'MessageDto', ['400', '401', '404', '409', '422']],
      ['/{id}/messages', 'get', 'MessagePageDto', ['400', '401', '404']],
      ['/{id}/read', 'post', 'ReadStateDto', ['400', '401', '404', '422']],
    ];
    for (const [path, method, dto, problems] of routes) {
      const o = op(path, method);
      expect(o, `${method} ${path}`).toBeDefined();
      expect(o.summary).toBeTruthy();
      const ok = o.responses[method === 'post' && path !== '/{id}/read' ? '201' : '200'];
      expect(ok.content['application/json'].schema.$ref).toBe(`#/components/schemas/${dto}`);
      for (const status of problems)
        expect(o.responses[status]?.$ref, `${method} ${path} ${status}`).toBe(
          `#/components/responses/Problem${status}`,
        );
    }
    const stream = op('/{id}/stream', 'get');
    expect(Object.keys(stream.responses['200'].content)).toEqual(['text/event-stream']);
    expect(stream.parameters.map((p: { name: string }) => p.name)).toEqual(
      expect.arrayContaining(['id', 'after', 'Last-Event-ID']),
    );
    expect(stream.responses['404'].$ref).toBe('#/components/responses/Problem404');
    for (const name of [
      'CreateConversationDto',
      'PostMessageDto',
      'MarkReadDto',
      'MessageDto',
      'ConversationDto',
      'ReadStateDto',
      'LastMessageDto',
      'NotificationSourceDto',
    ]) {
      expect(doc.components.schemas[name], name).toBeDefined();
    }
    expect(doc.components.schemas.PostMessageDto.required).toEqual(['body', 'clientMessageId']);
  });
});
