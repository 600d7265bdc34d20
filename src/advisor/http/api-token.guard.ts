import { timingSafeEqual } from 'node:crypto';
import {
  ForbiddenException,
  Inject,
  Injectable,
  UnauthorizedException,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';

export const API_TOKEN = Symbol('API_TOKEN');

/**
 * Anything that changes state needs `Authorization: Bearer <SPINWISE_API_TOKEN>`. Without a
 * configured token those endpoints are off: a read-only advisor is the safe default.
 */
@Injectable()
export class ApiTokenGuard implements CanActivate {
  constructor(@Inject(API_TOKEN) private readonly token: string | undefined) {}

  canActivate(context: ExecutionContext): boolean {
    if (!this.token) throw new ForbiddenException('state-changing endpoints are off: set SPINWISE_API_TOKEN');
    const header = context.switchToHttp().getRequest<{ headers: Record<string, string | undefined> }>()
      .headers.authorization;
    const given = Buffer.from(/^Bearer (.+)$/.exec(header ?? '')?.[1] ?? '');
    const expected = Buffer.from(this.token);
    if (given.length !== expected.length || !timingSafeEqual(given, expected))
      throw new UnauthorizedException('a bearer token (SPINWISE_API_TOKEN) is required');
    return true;
  }
}
