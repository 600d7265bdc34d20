import assert from 'node:assert/strict';
import { it } from 'node:test';
import { spinAlertMessage } from '../../src/adapters/slack/spin-alert-message';
import { slackReceiver } from '../support/slack-receiver';
import { startFastDemo } from '../support/fast-demo';
import { waitFor } from '../support/wait';

it('spinwise demo with a Slack webhook: the spinning node is posted once per finding kind, exactly as built, with a link to its page', async () => {
  const slack = await slackReceiver();
  const demo = await startFastDemo({ slackWebhookUrl: slack.url });
  try {
    await waitFor('a Slack message for demo-paper-1', () => slack.bodies.length > 0, 60_000);
    await demo.slack!.flush();
    const alert = demo.fleet
      .alerts()
      .find((a) => a.node === 'demo-paper-1' && a.finding.kind === 'ple-rate')!;
    assert.ok(alert, 'the advisor raised a PLE-rate alert');
    const expected = spinAlertMessage({ ...alert, dashboardUrl: `${demo.url}/#/nodes/demo-paper-1` });
    assert.deepEqual(
      slack.bodies.find((b) => (b as { text: string }).text === expected.text),
      expected,
      'the webhook received exactly the Block Kit message',
    );
    assert.equal(expected.text, 'spinwise: excessive vCPU spinning on demo-paper-1 (critical, ple-rate)');
    assert.match(
      JSON.stringify(expected.blocks),
      /"url":"http:\/\/127\.0\.0\.1:\d+\/#\/nodes\/demo-paper-1"/,
    );
    assert.match(JSON.stringify(expected.blocks), /\*VMs\*\\nvm-\d, vm-\d, vm-\d, vm-\d/);
    // Per node and kind, once: no second ple-rate message for the node while it stays raised.
    const texts = slack.bodies.map((b) => (b as { text: string }).text);
    assert.equal(texts.filter((t) => t === expected.text).length, 1);
    assert.ok(!texts.some((t) => t.includes('demo-undercommitted-3')));
    assert.equal(demo.slack!.counters.failed, 0);
  } finally {
    await demo.stop();
    slack.server.close();
  }
});
