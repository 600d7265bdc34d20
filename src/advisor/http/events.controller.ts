import { Controller, Inject, Sse, type MessageEvent } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { Observable } from 'rxjs';
import type { AdvisorRuntime } from '../advisor-runtime';
import { ADVISOR_RUNTIME } from './runtime-token';

/** Live updates for the dashboard: analyses, alerts and plans as they happen (Server-Sent Events). */
@ApiTags('advisor')
@Controller('api')
export class EventsController {
  constructor(@Inject(ADVISOR_RUNTIME) private readonly runtime: AdvisorRuntime) {}

  @Sse('events')
  events(): Observable<MessageEvent> {
    return new Observable<MessageEvent>((subscriber) =>
      this.runtime.live.subscribe((event) => subscriber.next({ type: event.type, data: event })),
    );
  }
}
