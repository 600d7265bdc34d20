import type { AgentHealth } from './api.js';
import { age, bytes, count, esc, time } from './format.js';

/** A node's agent: how fresh its data is, its gaps, what it cannot measure and why. */
export function agentHealthSection(a: AgentHealth): string {
  return `<section id="agent-health" class="${a.stale ? 'is-stale' : ''}">
    <p>${a.stale ? '<span class="stale">stale</span> ' : ''}last sample ${age(a.lastSampleAgeMs)} ago${a.lastSampleMs !== null ? ` (${time(a.lastSampleMs)}, every ${age(a.intervalMs ?? 0)})` : ''} ·
      ${count(a.gaps)} gaps in the window · spool ${bytes(a.spoolBytes)} · ${count(a.droppedSamples)} samples dropped by the agent</p>
    ${
      a.missing.length
        ? `<table id="missing-signals"><tr><th>signal the node cannot give</th><th>why</th></tr>${a.missing
            .map((m) => `<tr><td>${esc(m.signal)}</td><td>${esc(m.reason)}</td></tr>`)
            .join('')}</table>`
        : '<p class="muted" id="no-missing-signals">every signal is measured</p>'
    }</section>`;
}
