import { BadRequestException, HttpException, NotFoundException } from '@nestjs/common';
import { ThrottlerException } from '@nestjs/throttler';
import { MongoNetworkError, MongoNotConnectedError, MongoServerError, MongoServerSelectionError } from 'mongodb';
import mongoose from 'mongoose';
import { ProblemException } from '../../src/platform/http/index.js';
import { toProblem } from '../../src/platform/http/problem/to-problem.js';

describe('toProblem', () => {
  it.each([
    [
      'server selection',
      new MongoServerSelectionError('connect ECONNREFUSED 10.0.0.5:27017', {
        error: undefined,
      } as never),
    ],
    ['network', new MongoNetworkError('connection 4 to 10.0.0.5:27017 closed')],
    ['not connected', new MongoNotConnectedError('Client must be connected before running operations')],
    [
      'pool cleared',
      Object.assign(new Error('Connection pool for db:27017 was cleared'), {
        name: 'MongoPoolClearedError',
      }),
    ],
    ['mongoose buffering', new mongoose.Error('Operation `notes.find()` buffering timed out after 10000ms')],
    [
      'wrapped in a cause',
      new Error('repository failed', {
        cause: new MongoNetworkError('socket hang up'),
      }),
    ],
  ])('maps Mongo unavailability (%s) to 503 with Retry-After', (_name, err) => {
    const mapped = toProblem(err);
    expect(mapped.problem.status).toBe(503);
    expect(mapped.headers['Retry-After']).toBeDefined();
    expect(mapped.unexpected).toBe(false);
    expect(JSON.stringify(mapped.problem)).not.toMatch(/10\.0\.0\.5|ECONNREFUSED|buffering|notes/);
  });

  it('maps duplicate keys to 409 naming the fields', () => {
    const err = Object.assign(
      new MongoServerError({
        message: 'E11000 duplicate key error collection: keel.users index: email_1',
        code: 11000,
      }),
      {
        keyValue: { email: 'a@b.c' },
      },
    );
    const { problem } = toProblem(err);
    expect(problem).toMatchObject({
      status: 409,
      errors: [{ field: 'email', message: 'is already taken' }],
    });
    expect(JSON.stringify(problem)).not.toMatch(/E11000|a@b\.c|keel\.users/);
  });

  it('maps Mongoose cast and validation errors to 400', () => {
    const cast = new mongoose.Error.CastError('ObjectId', 'zzz', '_id');
    expect(toProblem(cast).problem).toMatchObject({
      status: 400,
      errors: [{ field: '_id' }],
    });
    const validation = new mongoose.Error.ValidationError();
    validation.addError(
      'title',
      new mongoose.Error.ValidatorError({
        path: 'title',
        message: 'Path `title` is required.',
      }),
    );
    expect(toProblem(validation).problem).toMatchObject({
      status: 400,
      errors: [{ field: 'title', message: 'is invalid' }],
    });
  });

  it('keeps ProblemException fields and headers', () => {
    const { problem, headers } = toProblem(ProblemException.notConfigured('STRIPE_SECRET_KEY'));
    expect(problem).toMatchObject({
      status: 503,
      type: 'urn:keel:problem:not-configured',
    });
    expect(problem.detail).toContain('STRIPE_SECRET_KEY');
    expect(headers).toEqual({});
  });

  it('maps Nest and throttler exceptions by status', () => {
    expect(toProblem(new NotFoundException('Cannot GET /x?token=1')).problem.detail).toBe('No route matches GET /x.');
    expect(toProblem(new BadRequestException(['a must be a string'])).problem.errors).toHaveLength(1);
    expect(toProblem(new ThrottlerException()).problem).toMatchObject({
      status: 429,
      type: 'urn:keel:problem:rate-limited',
    });
    const internal = toProblem(new HttpException('db password is hunter2', 502));
    expect(internal.problem.detail).not.toContain('hunter2');
  });

  it('answers anything else with a generic 500 marked unexpected', () => {
    const mapped = toProblem(
      new TypeError("Cannot read properties of undefined (reading 'id') at /srv/app/dist/x.js:1"),
    );
    expect(mapped).toMatchObject({
      unexpected: true,
      problem: { status: 500, type: 'urn:keel:problem:internal' },
    });
    expect(JSON.stringify(mapped.problem)).not.toMatch(/Cannot read|dist/);
    expect(toProblem(undefined).problem.status).toBe(500);
    expect(toProblem('a string').problem.status).toBe(500);
  });
});
