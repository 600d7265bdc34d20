import type { SlackAlerter } from '../../adapters/slack/slack-alerter';
import type { AlertEvent } from '../http/api-types';
import type { ResultSink } from './result-sink';

/** Alerts to Slack, each with a link to its node on the dashboard. */
export class SlackSink implements ResultSink {
  constructor(
    readonly slack: SlackAlerter,
    /** The dashboard's address (default: where the server listens, known once it does). */
    public publicUrl = '',
  ) {}

  alert(alert: AlertEvent): void {
    this.slack.notify({
      ...alert,
      dashboardUrl: `${this.publicUrl}/#/nodes/${encodeURIComponent(alert.node)}`,
    });
  }
}
