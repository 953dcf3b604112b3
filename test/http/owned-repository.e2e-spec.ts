import type { RunningApp } from '../support/in-process-app.js';
import { NotesRepository } from './fixtures/notes.repository.js';
import { bootNotesApp } from './http-app.js';

describe('OwnedRepository', () => {
  let app: RunningApp;
  let repo: NotesRepository;
  const alice = { id: 'alice' };
  const bob = { id: 'bob' };
  beforeAll(async () => {
    app = await bootNotesApp('http_owned');
    repo = app.app.get(NotesRepository);
  });
  afterAll(async () => app?.close());

  it('cannot be queried without an owner, nor with an ownerId in the filter (compile time)', () => {
    // Never called: the assertions are the @ts-expect-error lines, checked by `tsc --noEmit`.
    const unscoped = (r: NotesRepository) => {
      // @ts-expect-error the owner comes first and is required
      void r.find({ title: 'x' });
      // @ts-expect-error a filter cannot name ownerId
      void r.find(alice, { ownerId: 'bob' });
      // @ts-expect-error new documents get their ownerId from the owner argument only
      void r.create(alice, { ownerId: 'bob', title: 'x', tags: [] });
      // @ts-expect-error findById needs the owner too
      void r.findById('0123456789abcdef01234567');
    };
    expect(typeof unscoped).toBe('function');
  });

  it('scopes every operation to the owner at run time', async () => {
    const note = await repo.create(alice, { title: 'private', tags: [] });
    expect(note.ownerId).toBe('alice');
    const id = note._id.toHexString();

    expect(await repo.findById(bob, id)).toBeNull();
    expect(await repo.find(bob)).toEqual([]);
    expect(await repo.count(bob)).toBe(0);
    expect(await repo.updateById(bob, id, { $set: { title: 'stolen' } })).toBeNull();
    expect(await repo.deleteById(bob, id)).toBe(false);
    // Even a filter smuggled past the types cannot widen the scope.
    expect(await repo.find(bob, { ownerId: 'alice' } as never)).toEqual([]);
    expect(
      await repo.find(bob, {
        $or: [{ ownerId: 'alice' }, { title: 'private' }],
      } as never),
    ).toEqual([]);

    expect((await repo.findById(alice, id))?.title).toBe('private');
    expect((await repo.updateById(alice, id, { $set: { title: 'renamed' } }))?.title).toBe('renamed');
    await expect(repo.updateById(alice, id, { $set: { ownerId: 'bob' } } as never)).rejects.toThrow(/ownerId/);
    expect(await repo.deleteById(alice, id)).toBe(true);
  });

  it('treats malformed ids as absent and refuses an empty owner', async () => {
    expect(await repo.findById(alice, 'nope')).toBeNull();
    await expect(repo.find({ id: '' })).rejects.toThrow(/owner id is required/);
  });
});
