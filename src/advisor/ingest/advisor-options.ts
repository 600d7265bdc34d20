import { hostname } from 'node:os';
import type { Log } from '../../adapters/log/log';

export interface AdvisorOptions {
  /** The rolling window per node (default 5 minutes). */
  windowMs?: number;
  /**
   * Each node is analysed once per epoch of this length in the samples' own time (default 60 s):
   * when its first sample of the next epoch arrives, or after `idleMs` without samples.
   */
  analysisIntervalMs?: number;
  /**
   * Each node's epochs start at an offset of their own within the interval (from its name), so
   * that a fleet's windows close spread over the minute and its model work arrives evenly, not
   * all in the seconds after each minute's turn (default: aligned, every node at :00).
   */
  spreadEpochs?: boolean;
  /** Wall time without samples after which a node's open epoch is analysed (default 2 epochs). */
  idleMs?: number;
  /** Analyses in a row over (under) a threshold before an alert is raised (cleared); default 2 and 2. */
  raiseAfter?: number;
  clearAfter?: number;
  groupId?: string;
  /** Where a new consumer group starts: the oldest sample kept (default), or only new ones. */
  fromBeginning?: boolean;
  /** Worker threads that analyse (default: one per core but one, at least one). */
  analysisWorkers?: number;
  log?: Log;
  /** This replica's name on what it publishes (default: the host name, a pod's name in Kubernetes). */
  replica?: string;
  /**
   * Samples older than this (default 24 h, the samples topic's retention) or ahead of this
   * replica's clock by more than `maxClockSkewMs` (default 2 min) are dead-lettered: one forged
   * timestamp must not hold a node's window in the future.
   */
  maxSampleAgeMs?: number;
  maxClockSkewMs?: number;
  /** A seq this far from the node's newest (default 100,000: 11 days of 10 s samples) starts a new series. */
  maxSeqJump?: number;
  /** How long a node's samples wait for its inventory before they are dead-lettered (default 60 s). */
  inventoryWaitMs?: number;
  /** Most nodes tracked at once, waiting ones included (default 20,000); beyond, samples are dead-lettered. */
  maxNodes?: number;
  /** A node silent this long, with nothing left to analyse, is forgotten (default 1 h). */
  evictIdleMs?: number;
  /** Most distinct store series one node writes in a day (default 20,000); beyond, new ones are not written. */
  maxSeriesPerNode?: number;
}

/** The core's options with every default filled in: what the core and its parts read. */
export type ResolvedAdvisorOptions = Required<Omit<AdvisorOptions, 'log' | 'analysisWorkers'>> & {
  log: Log;
  /** Unset: AnalysisRunner's own default (one worker per core but one). */
  analysisWorkers?: number;
};

/** Every default of the core's options, in one place. */
export function resolveAdvisorOptions(options: AdvisorOptions): ResolvedAdvisorOptions {
  const analysisIntervalMs = options.analysisIntervalMs ?? 60_000;
  return {
    windowMs: options.windowMs ?? 300_000,
    analysisIntervalMs,
    spreadEpochs: options.spreadEpochs ?? false,
    idleMs: options.idleMs ?? 2 * analysisIntervalMs,
    raiseAfter: options.raiseAfter ?? 2,
    clearAfter: options.clearAfter ?? 2,
    groupId: options.groupId ?? 'spinwise-advisor',
    fromBeginning: options.fromBeginning ?? true,
    analysisWorkers: options.analysisWorkers,
    log: options.log ?? (() => undefined),
    replica: options.replica ?? hostname(),
    maxSampleAgeMs: options.maxSampleAgeMs ?? 86_400_000,
    maxClockSkewMs: options.maxClockSkewMs ?? 120_000,
    maxSeqJump: options.maxSeqJump ?? 100_000,
    inventoryWaitMs: options.inventoryWaitMs ?? 60_000,
    maxNodes: options.maxNodes ?? 20_000,
    evictIdleMs: options.evictIdleMs ?? 3_600_000,
    maxSeriesPerNode: options.maxSeriesPerNode ?? 20_000,
  };
}

/** Counters exported on /metrics. */
export interface AdvisorMetrics {
  /** Windows being modelled right now. */
  analysesInFlight: number;
  /** Messages of spinwise.samples.v1 handled, valid or not. */
  messagesHandled: number;
  samplesIngested: number;
  inventoriesIngested: number;
  duplicates: number;
  deadLettered: number;
  windowsAnalysed: number;
  /** Windows taken into one still waiting for the models (the node's next prediction covers both). */
  windowsCoalesced: number;
  /** Broker append time to handling of the newest sample. */
  ingestLagMs: number;
  /** Resume marks that did not fit a commit's metadata (their windows may be analysed again after a handover). */
  resumeMarksDropped: number;
  alertsRaised: number;
  storeWriteFailures: number;
  /** Valid samples refused: timestamp out of bounds, no inventory in time, or the node cap. */
  refusedClock: number;
  refusedNoInventory: number;
  refusedNodeCap: number;
  /** Points not written: their node reached its series cap. */
  pointsRefusedSeriesCap: number;
  seriesRestarts: number;
  nodesEvicted: number;
}

export function newAdvisorMetrics(): AdvisorMetrics {
  return {
    analysesInFlight: 0,
    messagesHandled: 0,
    samplesIngested: 0,
    inventoriesIngested: 0,
    duplicates: 0,
    deadLettered: 0,
    windowsAnalysed: 0,
    ingestLagMs: 0,
    resumeMarksDropped: 0,
    alertsRaised: 0,
    storeWriteFailures: 0,
    windowsCoalesced: 0,
    refusedClock: 0,
    refusedNoInventory: 0,
    refusedNodeCap: 0,
    pointsRefusedSeriesCap: 0,
    seriesRestarts: 0,
    nodesEvicted: 0,
  };
}
