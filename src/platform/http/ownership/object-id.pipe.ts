import { Injectable, type ArgumentMetadata, type PipeTransform } from '@nestjs/common';
import { isValidObjectId, Types } from 'mongoose';
import { ProblemException } from '../problem/problem.js';

/** `@Param('id', ParseObjectIdPipe) id: string`: a malformed id answers 400 naming the parameter. */
@Injectable()
export class ParseObjectIdPipe implements PipeTransform<unknown, string> {
  transform(value: unknown, metadata: ArgumentMetadata): string {
    if (typeof value === 'string' && /^[0-9a-f]{24}$/i.test(value) && isValidObjectId(value)) {
      return new Types.ObjectId(value).toHexString();
    }
    throw ProblemException.validation([
      {
        field: metadata.data ?? 'id',
        message: 'must be a 24-character hexadecimal ObjectId',
      },
    ]);
  }
}
