import { BadRequestException, type PipeTransform } from '@nestjs/common';
import type { ZodType, ZodTypeDef } from 'zod';

/**
 * Validates one request parameter with a zod schema (declared once, next to the route): a bad
 * value is a 400 that names the parameter, what it got and what it expects.
 */
export class ZodPipe<T> implements PipeTransform<unknown, T> {
  constructor(
    private readonly field: string,
    private readonly schema: ZodType<T, ZodTypeDef, unknown>,
  ) {}

  transform(value: unknown): T {
    const result = this.schema.safeParse(value);
    if (result.success) return result.data;
    const why = result.error.issues.map((i) => i.message).join('; ');
    throw new BadRequestException(`${this.field}: ${why}, got ${JSON.stringify(value)}`);
  }
}
