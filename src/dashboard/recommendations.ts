import type { Change, Effect, Recommendation } from './api.js';
import { change, changeCell, esc, link } from './format.js';

/** Said when a move worsens one node: why the planner still proposes it. */
function whyStillWorthIt(r: Recommendation): string {
  const worse = (r.effects ?? []).filter(
    (e) => e.spinNs.change > e.spinNs.ci95 || e.usefulNs.change < -e.usefulNs.ci95,
  );
  if (worse.length === 0 || !r.predicted.spinNs) return '';
  return `<p class="why">${worse.map((e) => esc(e.node)).join(' and ')} gets worse, but the planner’s objective — spin time across both nodes — changes by ${change(r.predicted.spinNs)}: the VM spins less where it goes than it costs there.</p>`;
}

function effectsTable(effects: Effect[]): string {
  return `<table class="effects"><tr><th>node</th><th>spin time</th><th>PLE exits</th><th>useful time</th></tr>${effects
    .map(
      (e) =>
        `<tr><td><a href="${link.node(e.node)}">${esc(e.node)}</a></td>${changeCell(e.spinNs, true)}${changeCell(e.pleExits, true)}${changeCell(e.usefulNs, false)}</tr>`,
    )
    .join('')}</table>`;
}

export const RECS_HEAD =
  '<tr><th>node</th><th>kind</th><th>what (open for how and evidence)</th><th>disrupts</th><th title="the objective">spin time</th><th>PLE exits</th><th>useful time</th><th>confidence</th></tr>';

/** How to apply it, one line per platform (KubeVirt first, as the advisor lists it). */
function applyList(r: Recommendation): string {
  if (!r.apply?.length) return '';
  return `<dl class="apply">${r.apply.map((a) => `<dt>${esc(a.on)}</dt><dd>${esc(a.how)}</dd>`).join('')}</dl>`;
}

/**
 * Recommendations with the objective (spin time) first, then PLE exits and useful time; a move
 * shows its effect on both nodes it touches.
 */
export function recommendationRows(recs: Recommendation[]): string {
  return recs
    .map((r) => {
      const spin: Change | undefined = r.predicted.spinNs;
      return `<tr class="recommendation" data-node="${esc(r.node)}" data-kind="${esc(r.kind)}">
        <td><a href="${link.node(r.node)}">${esc(r.node)}</a>${r.toNode ? ` → <a href="${link.node(r.toNode)}">${esc(r.toNode)}</a>` : ''}</td><td>${esc(r.kind)}</td>
        <td><details><summary>${esc(r.summary)}</summary>${applyList(r)}${r.effects?.length ? effectsTable(r.effects) + whyStillWorthIt(r) : ''}<ul>${r.evidence
          .map((e) => `<li>${esc(e)}</li>`)
          .join('')}</ul>${
          r.brokenAssumptions.length
            ? `<p class="muted">breaks: ${r.brokenAssumptions.map(esc).join('; ')}</p>`
            : ''
        }</details></td><td class="disruption">${esc(r.disruption ?? '–')}</td>
        ${changeCell(spin, true)}${changeCell(r.predicted.pleExits, true)}${changeCell(r.predicted.usefulNs, false)}
        <td class="num">${r.confidence.toFixed(2)}</td></tr>`;
    })
    .join('');
}

/**
 * Best first: the advisor's gain per disruption (cheapest action first), then the largest predicted
 * cut in spin time (PLE exits where spin is not predicted).
 */
export function byGain(a: Recommendation, b: Recommendation): number {
  const key = (r: Recommendation) => r.predicted.spinNs?.change ?? r.predicted.pleExits.change;
  return (b.priority ?? 0) - (a.priority ?? 0) || key(a) - key(b);
}
