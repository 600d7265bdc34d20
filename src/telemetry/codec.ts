import type { ZodType, ZodTypeDef } from 'zod';
import { describeIssue, ValidationError } from './validation-error';

/**
 * Encodes and decodes one message type. Encoding validates too, so nothing invalid is ever sent;
 * the output is the schema's canonical key order, so decode → encode is byte-identical.
 */
export class Codec<T> {
  constructor(
    readonly subject: string,
    private readonly schema: ZodType<T, ZodTypeDef, unknown>,
  ) {}

  /** Validates a parsed value, returning it in canonical form. */
  validate(input: unknown): T {
    const result = this.schema.safeParse(input);
    if (result.success) return result.data;
    throw new ValidationError(
      this.subject,
      result.error.issues.map((issue) => describeIssue(issue, input)),
    );
  }

  encode(message: T): Buffer {
    return Buffer.from(JSON.stringify(this.validate(message)), 'utf8');
  }

  decode(bytes: Buffer | string): T {
    const text = typeof bytes === 'string' ? bytes : bytes.toString('utf8');
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (err) {
      throw new ValidationError(this.subject, [`(root): not JSON (${(err as Error).message})`]);
    }
    return this.validate(parsed);
  }
}
