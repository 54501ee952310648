import type { CompanySummary, SimulatorState } from './simulator.ts';
import type { LabelView } from './store.ts';

const LABELS_SHOWN = 500;

/**
 * `/__sim`: what a person opens in a browser. Every company with its faults and call counters, and,
 * for the store picked (`?company=&store=`), each label as a card with the page it shows and the
 * linked article's fields. Server-rendered, no script; it reloads itself every 5 s.
 */
export function renderInspectorPage(state: SimulatorState, query: URLSearchParams): string {
  const companies = state.control.companies();
  const picked = pickStore(companies, query);
  const body = [
    '<h1>AIMS simulator</h1>',
    '<p class="muted">A stand-in for SoluM AIMS, for development and tests. This page reloads every 5 s. ' +
      'JSON: <code>GET /__sim/companies</code>, <code>GET /__sim/labels?company=…&amp;store=…</code>, ' +
      '<code>GET /__sim/calls?company=…</code>; faults: <code>POST /__sim/faults</code>.</p>',
    companies.length === 0
      ? '<p>No company yet. Provision one with <code>POST /__sim/companies {"code", "users", "stores"}</code>.</p>'
      : companies.map((company) => companySection(state, company, picked)).join('\n'),
    picked
      ? labelSection(picked.company, picked.store, state.control.labels(picked.company, picked.store))
      : '',
  ].join('\n');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="refresh" content="5">
<title>AIMS simulator</title>
<style>
body { font: 14px/1.45 system-ui, sans-serif; margin: 1.5rem; color: #1d2330; background: #f6f7f9; }
h1 { margin: 0 0 .25rem; } h2 { margin: 1.5rem 0 .5rem; } section h2 { margin-top: 0; } .muted { color: #5b6475; }
section { background: #fff; border: 1px solid #dde1e8; border-radius: 8px; padding: .75rem 1rem; margin: 1rem 0; }
table { border-collapse: collapse; margin: .5rem 0; } td, th { padding: .2rem .6rem; border-bottom: 1px solid #eceef2; text-align: left; }
.fault { color: #a3210f; font-weight: 600; }
.labels { display: grid; grid-template-columns: repeat(auto-fill, minmax(240px, 1fr)); gap: .75rem; }
.label { background: #fff; border: 2px solid #2d3340; border-radius: 6px; padding: .6rem .75rem; }
.label header { display: flex; justify-content: space-between; font-family: ui-monospace, monospace; }
.page { background: #2d3340; color: #fff; border-radius: 4px; padding: 0 .4rem; }
.label dl { display: grid; grid-template-columns: auto 1fr; gap: 0 .5rem; margin: .4rem 0 0; }
.label dt { color: #5b6475; } .label dd { margin: 0; overflow-wrap: anywhere; }
.empty { color: #5b6475; font-style: italic; }
</style>
</head>
<body>
${body}
</body>
</html>`;
}

function pickStore(
  companies: CompanySummary[],
  query: URLSearchParams,
): { company: string; store: string } | undefined {
  const company = companies.find((c) => c.code === query.get('company')) ?? companies[0];
  const store = company?.stores.find((s) => s.code === query.get('store')) ?? company?.stores[0];
  return company && store ? { company: company.code, store: store.code } : undefined;
}

function companySection(
  state: SimulatorState,
  company: CompanySummary,
  picked: { company: string; store: string } | undefined,
): string {
  const faults = Object.entries(company.faults).filter(
    ([key, value]) =>
      value !== 0 && value !== false && key !== 'retryAfterSeconds' && key !== 'serverErrorStatus',
  );
  const calls = state.control.calls(company.code);
  const stores = company.stores
    .map((store) => {
      const current = picked?.company === company.code && picked.store === store.code;
      const link = `?company=${encodeURIComponent(company.code)}&amp;store=${encodeURIComponent(store.code)}`;
      return `<li><a href="${link}">${current ? '<strong>' : ''}${escapeHtml(store.code)}${current ? '</strong>' : ''}</a> — ${store.articles} articles, ${store.labels} labels</li>`;
    })
    .join('');
  const callRows = Object.entries(calls.byEndpoint)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(
      ([endpoint, counters]) =>
        `<tr><td><code>${escapeHtml(endpoint)}</code></td><td>${counters.calls}</td><td>${Object.entries(
          counters.statuses,
        )
          .map(([status, count]) => `${escapeHtml(status)}: ${count}`)
          .join(', ')}</td></tr>`,
    )
    .join('');
  return `<section>
<h2>Company ${escapeHtml(company.code)} <small class="muted">cluster /${company.cluster === 'c1' ? 'c1/common' : 'common'}</small></h2>
<p>Users: ${company.usernames.map(escapeHtml).join(', ') || '<span class="empty">none</span>'} · access tokens live ${company.tokenLifetimeSeconds} s</p>
<p>Faults: ${faults.length === 0 ? 'none' : faults.map(([key, value]) => `<span class="fault">${escapeHtml(key)}=${escapeHtml(String(value))}</span>`).join(' ')}</p>
<ul>${stores || '<li class="empty">no stores</li>'}</ul>
${callRows ? `<table><tr><th>Endpoint</th><th>Calls</th><th>By status</th></tr>${callRows}</table>` : '<p class="empty">No calls yet.</p>'}
</section>`;
}

function labelSection(company: string, store: string, labels: LabelView[]): string {
  const cards = labels.slice(0, LABELS_SHOWN).map((label) => {
    const articles =
      label.articles.length === 0
        ? '<p class="empty">No article linked</p>'
        : label.articles
            .map((article) =>
              article.found
                ? `<dl><dt>article</dt><dd>${escapeHtml(article.articleId)}</dd><dt>name</dt><dd>${escapeHtml(article.articleName)}</dd>${Object.entries(
                    article.data,
                  )
                    .map(([key, value]) => `<dt>${escapeHtml(key)}</dt><dd>${escapeHtml(String(value))}</dd>`)
                    .join('')}</dl>`
                : `<p class="empty">Article ${escapeHtml(article.articleId)} was deleted</p>`,
            )
            .join('');
    return `<div class="label"><header><span>${escapeHtml(label.labelCode)}</span><span class="page">page ${label.page}</span></header>
${label.templateName ? `<div class="muted">${escapeHtml(label.templateName)}</div>` : ''}${articles}</div>`;
  });
  const more =
    labels.length > LABELS_SHOWN
      ? `<p class="muted">Showing ${LABELS_SHOWN} of ${labels.length} labels.</p>`
      : '';
  return `<h2>Labels of ${escapeHtml(company)} / ${escapeHtml(store)}</h2>
${labels.length === 0 ? '<p class="empty">No label linked in this store yet.</p>' : `<div class="labels">${cards.join('\n')}</div>${more}`}`;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}
