/** The wire contract: topics, schemas, inferred types and validating codecs. */
import { alertMessage } from './alert';
import { nodeAnalysis } from './analysis';
import { Codec } from './codec';
import { deadLetter } from './dead-letter';
import { nodeFindings } from './findings';
import { nodeInventory } from './inventory';
import { recommendationMessage } from './recommendation';
import { nodeSample } from './sample';

export * from './topics';
export * from './primitives';
export * from './sample';
export * from './inventory';
export * from './analysis';
export * from './recommendation';
export * from './dead-letter';
export * from './alert';
export * from './findings';
export * from './codec';
export * from './validation-error';

export const codecs = {
  sample: new Codec('sample (spinwise.samples.v1)', nodeSample),
  inventory: new Codec('inventory (spinwise.inventory.v1)', nodeInventory),
  analysis: new Codec('analysis (spinwise.analyses.v1)', nodeAnalysis),
  recommendation: new Codec('recommendation (spinwise.recommendations.v1)', recommendationMessage),
  deadLetter: new Codec('dead letter (spinwise.deadletter.v1)', deadLetter),
  alert: new Codec('alert (spinwise.alerts.v1)', alertMessage),
  findings: new Codec('findings (spinwise.findings.v1)', nodeFindings),
};
