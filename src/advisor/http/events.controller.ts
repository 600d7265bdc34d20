import { Controller, Sse, type MessageEvent } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { Observable } from 'rxjs';
import { LiveEvents } from '../outputs/live-events';

/** Live updates for the dashboard: analyses, alerts and plans as they happen (Server-Sent Events). */
@ApiTags('advisor')
@Controller('api')
export class EventsController {
  constructor(private readonly live: LiveEvents) {}

  @Sse('events')
  events(): Observable<MessageEvent> {
    return new Observable<MessageEvent>((subscriber) =>
      this.live.subscribe((event) => subscriber.next({ type: event.type, data: event })),
    );
  }
}
