import type { Finding, Recommendation } from '../../telemetry';

/** A node or VM entering or leaving excessive spinning, after the advisor's hysteresis. */
export interface SpinAlert {
  node: string;
  transition: 'raised' | 'cleared';
  finding: Finding;
  /** The VMs concerned (the finding's own VM first when it names one). */
  vms: string[];
  topRecommendation?: Recommendation;
  /** Link to the node's dashboard page. */
  dashboardUrl: string;
}

export interface SlackMessage {
  text: string;
  blocks: object[];
}

const percent = (fraction: number) => `${fraction >= 0 ? '+' : '−'}${Math.abs(Math.round(fraction * 100))} %`;

/** The Block Kit message: what, where, the key number against its threshold, the top recommendation, a link. */
export function spinAlertMessage(alert: SpinAlert): SlackMessage {
  const { node, finding } = alert;
  const vmList = alert.vms.length > 0 ? alert.vms.join(', ') : 'all VMs on the node';
  const link = {
    type: 'actions',
    elements: [
      { type: 'button', text: { type: 'plain_text', text: `Open ${node}` }, url: alert.dashboardUrl },
    ],
  };
  if (alert.transition === 'cleared') {
    return {
      text: `spinwise: vCPU spinning on ${node} is back to normal (${finding.kind})`,
      blocks: [
        {
          type: 'section',
          text: {
            type: 'mrkdwn',
            text: `:white_check_mark: *${node}*: ${finding.kind} is back under ${finding.threshold} for ${vmList}.`,
          },
        },
        link,
      ],
    };
  }
  const blocks: object[] = [
    { type: 'header', text: { type: 'plain_text', text: `Excessive vCPU spinning on ${node}` } },
    {
      type: 'section',
      fields: [
        { type: 'mrkdwn', text: `*Severity*\n${finding.severity}` },
        { type: 'mrkdwn', text: `*Finding*\n${finding.kind}` },
        { type: 'mrkdwn', text: `*VMs*\n${vmList}` },
        { type: 'mrkdwn', text: `*Measured*\n${finding.value} (threshold ${finding.threshold})` },
      ],
    },
    { type: 'section', text: { type: 'mrkdwn', text: finding.message } },
  ];
  const rec = alert.topRecommendation;
  if (rec) {
    const p = rec.predicted;
    // The cheapest action first (the advisor orders by gain per disruption): what it disrupts, and how on KubeVirt.
    const kubevirt = rec.apply?.find((a) => a.on === 'kubevirt');
    blocks.push({
      type: 'section',
      text: {
        type: 'mrkdwn',
        text: `*Recommended (${rec.kind}${rec.disruption ? `, disrupts: ${rec.disruption}` : ''})*: ${rec.summary}\nPredicted: PLE exits ${percent(p.pleExits.change)} ± ${Math.round(p.pleExits.ci95 * 100)}, useful guest time ${percent(p.usefulNs.change)} ± ${Math.round(p.usefulNs.ci95 * 100)}${kubevirt ? `\nKubeVirt: ${kubevirt.how}` : ''}`,
      },
    });
  }
  blocks.push(link);
  return {
    text: `spinwise: excessive vCPU spinning on ${node} (${finding.severity}, ${finding.kind})`,
    blocks,
  };
}
