/** Where the agent's messages go: Kafka (through the disk spool) or stdout. */
export interface OutgoingRecord {
  topic: string;
  key: string;
  value: string;
}

export interface Sink {
  /** Accepts records without waiting for the destination. */
  write(records: OutgoingRecord[]): void;
  /** Resolves when everything accepted so far reached the destination (or could not, for now). */
  flush(): Promise<void>;
  close(): Promise<void>;
  /** Wall time the destination last took records (null: never yet); the agent's health reports it. */
  readonly lastDeliveredMs: number | null;
}
