import * as otherLoad from './other-load';
import type { Host, LoadOps } from './ports';
import type { Thread } from './thread';

/** The port of threads that are not vCPUs (host load, QEMU's own threads). */
export class LoadLayer implements LoadOps {
  constructor(private readonly h: Host) {}

  pauseLoad(t: Thread): void {
    otherLoad.pauseLoad(this.h, t);
  }

  resumeLoad(t: Thread): void {
    otherLoad.resumeLoad(this.h, t);
  }
}
