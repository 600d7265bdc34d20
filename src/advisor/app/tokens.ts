/** Nest provider tokens of what the advisor is given that has no class of its own (an interface, or nothing). */
export const MESSAGE_BUS = Symbol('MESSAGE_BUS');
export const TIME_SERIES_STORE = Symbol('TIME_SERIES_STORE');
/** A `ClusterGateway`, or null outside a cluster. */
export const CLUSTER_GATEWAY = Symbol('CLUSTER_GATEWAY');
/** A `SlackAlerter`, or null without a webhook. */
export const SLACK_ALERTER = Symbol('SLACK_ALERTER');
export const ADVISOR_CONFIG = Symbol('ADVISOR_CONFIG');
/** The advisor's settings (`AdvisorRuntimeOptions`), resolved once. */
export const ADVISOR_SETTINGS = Symbol('ADVISOR_SETTINGS');
/** `ResultSink[]`: every consumer of the advisor's results besides Kafka. */
export const RESULT_SINKS = Symbol('RESULT_SINKS');
