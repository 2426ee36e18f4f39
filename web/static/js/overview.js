// overview: what is broken, where, and how much budget is left. Open
// incidents and silent agents on top, the SLO cards (least budget first),
// then the status matrix: checks (rows, by service and layer) x regions.
import { AuthError, get, q } from './api.js';
import { h, icon, swap } from './dom.js';
import * as fmt from './fmt.js';
import { link, replaceParams } from './nav.js';

const RECENT = 20;	// results in each cell's strip
const CACHE_WINDOW = '1h';	// the front doors' cache-hit ratio is over this

export function key() {
	return 'overview';
}

// An optional part of the page: its error is shown in place, not fatal.
async function soft(p) {
	try {
		return await p;
	} catch (e) {
		if (e instanceof AuthError)
			throw e;
		return { error: e.message };
	}
}

// When a cell's newest result counts as stale: three intervals and some
// slack for shipping, or ten minutes when the interval is not known.
function staleAfter(check) {
	return check.interval_ms ? Math.max(3 * check.interval_ms, 30e3) + 15e3 : 600e3;
}

// An agent is silent when it has not sent a batch for this long (agents
// send one about every second while results come in).
function silentAfter(matrix) {
	let longest = 0;
	for (const c of matrix.checks || [])
		longest = Math.max(longest, c.interval_ms || 0);
	return Math.max(120e3, 3 * longest);
}

export function mount(main, params) {
	let data = null;
	const opts = { q: params.q || '', problems: params.problems === '1' };

	const filter = h('input', { type: 'search', id: 'filter', placeholder: 'Filter checks',
	    'aria-label': 'Filter checks by name, service, layer or provider', value: opts.q,
	    oninput: () => {
		opts.q = filter.value;
		replaceParams({ q: opts.q });
		if (data)
			drawMatrix();
	    } });
	const problems = h('input', { type: 'checkbox', id: 'problems', checked: opts.problems,
	    onchange: () => {
		opts.problems = problems.checked;
		replaceParams({ problems: opts.problems ? '1' : '' });
		if (data)
			drawMatrix();
	    } });
	const summary = h('section', { id: 'summary', class: 'summary', 'aria-live': 'polite' });
	const alerts = h('section', { id: 'alerts' });
	const slos = h('section', { id: 'slos', 'aria-labelledby': 'slos-h' });
	// the matrix box and a section per service stay across refreshes (only
	// their contents change), so the sizes the browser remembers for
	// off-screen services hold and the page does not jump under the reader
	const matrixBox = h('div', { id: 'matrix', class: 'matrix-box' });
	const sections = new Map();
	const matrixSection = h('section', { id: 'matrix-section', 'aria-labelledby': 'matrix-h' },
	    h('div', { class: 'section-head' },
		h('h2', { id: 'matrix-h' }, 'Checks by region'),
		h('div', { class: 'controls' }, filter,
		    h('label', { class: 'toggle' }, problems, ' only problems'))),
	    matrixBox);
	swap(main, h('h1', { class: 'visually-hidden' }, 'Overview'), summary, alerts,
	    slos, matrixSection);

	function drawMatrix() {
		matrixTable(matrixBox, sections, data.matrix, opts, cacheByCheck(data.cache));
	}

	return {
		async update() {
			const [matrix, slosAns, incidents, agents, cache] = await Promise.all([
				get(q('/api/v1/matrix', { n: RECENT })),
				soft(get('/api/v1/slos')),
				soft(get('/api/v1/incidents?since=1h')),
				soft(get('/api/v1/agents')),
				// one small answer: a row per front-door check
				soft(get(q('/api/v1/cache', { by: 'check', layer: 'front_door',
				    from: CACHE_WINDOW }))),
			]);
			data = { matrix, slos: slosAns, incidents, agents, cache };
			swap(summary, summaryView(data));
			swap(alerts, incidentsView(incidents), silentView(agents, matrix));
			swap(slos, h('h2', { id: 'slos-h' }, 'Service level objectives'),
			    sloCards(slosAns));
			drawMatrix();
			// for bench/dashboard.js: the first matrix built, and the
			// frame that shows it
			if (!performance.getEntriesByName('vantage:matrix').length) {
				performance.mark('vantage:matrix');
				requestAnimationFrame(() => setTimeout(() =>
				    performance.mark('vantage:matrix-painted')));
			}
		},
	};
}

// ---- summary line

function cellStates(matrix) {
	const checks = matrix.checks, byKey = new Map();
	const F = fieldIndex(matrix);
	for (const c of matrix.cells) {
		const chk = checks[c[F.check]];
		const state = cellState(c, F);
		const stale = c[F.age_ms] > staleAfter(chk);
		byKey.set(`${c[F.check]}/${c[F.region]}`, { state, stale, cell: c });
	}
	return byKey;
}

// ok, fail, or inconclusive (failed while the agent's own network was down)
function cellState(c, F) {
	return c[F.ok] ? 'ok' : c[F.inconclusive] ? 'inconclusive' : 'fail';
}

function fieldIndex(matrix) {
	return Object.fromEntries(matrix.fields.map((f, i) => [f, i]));
}

function summaryView(d) {
	const m = d.matrix, F = fieldIndex(m);
	const failing = m.cells.filter(c => cellState(c, F) === 'fail');
	const checks = new Set(failing.map(c => c[F.check]));
	const regions = new Set(failing.map(c => c[F.region]));
	const stale = [...cellStates(m).values()].filter(s => s.stale).length;
	const open = (d.incidents.incidents || []).filter(i => i.status === 'open').length;
	const slos = d.slos.slos || [];
	const firing = slos.filter(s => (s.alerts || []).some(a => a.firing)).length;
	const spent = slos.filter(s => s.budget_remaining !== null && s.budget_remaining < 0).length;
	const bad = failing.length > 0;
	const parts = [];
	parts.push(h('p', { class: `headline ${bad ? 's-fail' : 's-ok'}` },
	    icon(bad ? 'fail' : 'ok', bad ? 'failing' : 'all passing'), ' ',
	    bad ? `${fmt.count(checks.size, 'check')} failing in ${fmt.count(regions.size, 'region')}` :
		m.cells.length ? `All ${fmt.count(m.checks.length, 'check')} passing in ${fmt.count(m.regions.length, 'region')}` :
		    'No results yet'));
	const facts = [
		[open, 'open incident', 'fail'],
		[firing, 'SLO burning fast enough to alert', 'fail', 'SLOs burning fast enough to alert'],
		[spent, 'SLO over budget', 'fail', 'SLOs over budget'],
		[stale, 'stale cell', 'stale'],
	];
	const list = h('ul', { class: 'facts' });
	for (const [n, one, st, many] of facts)
		if (n > 0)
			list.append(h('li', { class: `s-${st}` }, icon(st, one), ` ${fmt.count(n, one, many)}`));
	parts.push(list);
	return parts;
}

// ---- incidents and silent agents

function incidentsView(ans) {
	if (ans.error)
		return h('p', { class: 'error' }, `Incidents: ${ans.error}`);
	const open = (ans.incidents || []).filter(i => i.status === 'open');
	if (open.length === 0)
		return null;
	return h('div', { class: 'panel alert-panel', id: 'incidents' },
	    h('h2', null, `Open incidents (${open.length})`),
	    h('ul', { class: 'incidents' }, open.map(incidentItem)));
}

// One open incident: its title, then what it says now, each part on its
// own line: the cause, one line per region (the cause's evidence), the
// summary (its own lines kept: white-space: pre-line).
function incidentItem(i) {
	const detail = i.regions_detail || [];
	return h('li', { dataset: { incident: i.id } },
	    h('span', { class: `badge sev-${i.severity === 'page' ? 'page' : 'ticket'}` },
		(i.severity || 'alert').toUpperCase()), ' ',
	    i.slo ? h('a', { href: link({ page: 'slo', slo: i.slo }) }, i.title || i.slo) :
		i.check ? h('a', { href: link({ page: 'check', check: i.check }) }, i.title || i.check) :
		    h('strong', null, i.title || i.rule || i.id),
	    h('span', { class: 'muted' }, ` · for ${fmt.age(i.duration_ms)}`,
		i.regions && i.regions.length ? ` · ${i.regions.join(', ')}` : ''),
	    i.cause ? h('div', { class: 'cause' }, i.cause) : null,
	    detail.length ? h('ul', { class: 'cause-regions' },
		detail.map(line => h('li', null, line))) : null,
	    i.summary ? h('div', { class: 'incident-summary muted' }, i.summary) : null);
}

function silentView(ans, matrix) {
	if (ans.error)
		return h('p', { class: 'error' }, `Agents: ${ans.error}`);
	const limit = silentAfter(matrix);
	const silent = (ans.agents || []).filter(a => a.last_seen_age_ms === null ||
	    a.last_seen_age_ms > limit);
	if (silent.length === 0)
		return null;
	return h('div', { class: 'panel warn-panel', id: 'silent-agents' },
	    h('h2', null, `Silent agents (${silent.length})`),
	    h('ul', null, silent.map(a => h('li', { dataset: { agent: a.id } },
		icon('stale', 'silent'), ' ', h('strong', null, a.id),
		a.region ? ` (${a.region})` : '',
		a.last_seen_age_ms === null ? ' has never sent a result' :
		    ` last sent results ${fmt.age(a.last_seen_age_ms)} ago`,
		a.outbox_depth ? ` · ${a.outbox_depth} results waiting in its outbox` : ''))));
}

// ---- SLO cards

// A burn rate against its alert threshold: a bar up to twice the
// threshold, the threshold marked at the middle, the number in text.
export function burnMeter(rate, factor, label) {
	const share = rate === null || rate === undefined ? 0 : Math.min(rate / (2 * factor), 1);
	const over = rate !== null && rate > factor;
	return h('span', { class: `meter burn${over ? ' over' : ''}`, role: 'img',
	    'aria-label': `${label} burn rate ${fmt.burn(rate)}, threshold ${factor}×` },
	    h('span', { class: 'fill', style: { width: `${(share * 100).toFixed(1)}%` } }),
	    h('span', { class: 'mark', title: `threshold ${factor}×` }));
}

export function budgetBar(v) {
	const share = v === null ? 0 : Math.max(0, Math.min(1, v));
	const st = v === null ? 'none' : v < 0 ? 'fail' : v < 0.25 ? 'warn' : 'ok';
	return h('span', { class: `meter budget m-${st}${v !== null && v < 0 ? ' overspent' : ''}`, role: 'img',
	    'aria-label': `error budget left ${fmt.budget(v)}` },
	    h('span', { class: 'fill', style: { width: `${(share * 100).toFixed(1)}%` } }));
}

function sloCards(ans) {
	if (ans.error)
		return h('p', { class: 'error' }, `SLOs: ${ans.error}`);
	const list = (ans.slos || []).slice();
	if (list.length === 0)
		return h('p', { class: 'muted' }, 'No SLOs configured (slos[] in the collector config).');
	// least budget first; no data last
	list.sort((a, b) => (a.budget_remaining ?? Infinity) - (b.budget_remaining ?? Infinity) ||
	    a.name.localeCompare(b.name));
	return h('div', { class: 'cards', dataset: { evaluatedAt: ans.evaluated_at } },
	    list.map(sloCard));
}

function sloCard(s) {
	if (s.error)
		return h('article', { class: 'card slo', dataset: { slo: s.name } },
		    h('h3', null, s.name), h('p', { class: 'error' }, s.error));
	const firing = (s.alerts || []).filter(a => a.firing);
	const st = s.budget_remaining === null ? 'none' : s.budget_remaining < 0 || firing.length ? 'fail' :
	    s.budget_remaining < 0.25 ? 'warn' : 'ok';
	return h('article', { class: `card slo c-${st}`, dataset: { slo: s.name,
	    availability: s.availability ?? '', budget: s.budget_remaining ?? '' } },
	    h('h3', null, icon(st === 'warn' ? 'warn' : st, st), ' ',
		h('a', { href: link({ page: 'slo', slo: s.name }) }, s.name)),
	    h('p', { class: 'muted small' }, `${s.sli === 'latency' ? `latency ≤ ${fmt.ms(s.threshold_ms)}` :
		'availability'} · objective ${fmt.objective(s.objective)} over ${s.window}`),
	    h('dl', { class: 'nums' },
		h('div', null, h('dt', null, 'availability'),
		    h('dd', { class: 'availability' }, fmt.pct(s.availability))),
		h('div', null, h('dt', null, 'budget left'),
		    h('dd', { class: 'budget' }, fmt.budget(s.budget_remaining)))),
	    budgetBar(s.budget_remaining),
	    h('table', { class: 'burns' },
		h('thead', null, h('tr', null, h('th', { scope: 'col' }, 'alert'),
		    h('th', { scope: 'col' }, 'burn long · short'),
		    h('th', { scope: 'col' }, 'to trigger'))),
		h('tbody', null, (s.alerts || []).map(a => h('tr', { class: a.firing ? 'firing' : '' },
		    h('th', { scope: 'row' }, `${a.severity} ${a.long}/${a.short}`,
			h('span', { class: 'muted' }, `threshold ${a.factor}×`)),
		    h('td', null, burnMeter(a.burn_long, a.factor, a.long), ' ',
			burnMeter(a.burn_short, a.factor, a.short), ' ',
			h('span', { class: 'num' }, `${fmt.burn(a.burn_long)} · ${fmt.burn(a.burn_short)}`)),
		    h('td', { class: 'num' }, a.firing ? h('strong', { class: 's-fail' }, icon('fail', 'firing'), ' firing') :
			a.failures_to_trigger === null ? 'never' :
			    fmt.count(a.failures_to_trigger, 'failure')))))));
}

// ---- the matrix

// check name -> its /api/v1/cache row (front-door checks only); null when
// the answer failed (the rows then show nothing about the cache).
function cacheByCheck(ans) {
	if (!ans || ans.error)
		return null;
	const m = new Map((ans.rows || []).map(r => [r.check, r]));
	m.from = ans.from;
	m.to = ans.to;
	return m;
}

// A front-door row's cache-hit ratio, in words (never colour only).
function cacheMeta(chk, cache) {
	if (!cache || chk.layer !== 'front_door')
		return null;
	const r = cache.get(chk.name), v = r ? r.hit_ratio : null;
	return h('span', { class: 'meta cache', dataset: { hitRatio: v ?? '', hits: r ? r.hits : 0,
	    lookups: r ? r.lookups : 0, from: cache.from, to: cache.to },
	    title: r && v !== null ? `${r.hits} of ${r.lookups} answers with a cache status came ` +
		`from the cache (last ${CACHE_WINDOW})` : `no answer had a cache status (last ${CACHE_WINDOW})` },
	    `cache hit ${v === null ? 'no data' : fmt.pct(v, 1)}`);
}

function matches(check, text) {
	if (!text)
		return true;
	const t = text.toLowerCase();
	return [check.name, check.service, check.layer, check.provider, check.kind]
	    .some(v => v && v.toLowerCase().includes(t));
}

// The strip of recent outcomes, oldest left: runs of equal outcomes, a
// failure drawn taller and in another colour, the counts in the title.
const kind = ch => (ch === '+' ? 'ok' : ch === '?' ? 'inc' : 'fail');
function strip(recent) {
	const el = h('span', { class: 'strip', 'aria-hidden': 'true' });
	for (let i = 0; i < recent.length;) {
		let j = i;
		while (j < recent.length && kind(recent[j]) === kind(recent[i]))
			j++;
		el.append(h('span', { class: `run ${kind(recent[i])}`,
		    style: { '--n': String(j - i) } }));
		i = j;
	}
	return el;
}

function stripText(recent) {
	if (!recent)
		return 'no recent results';
	const n = { passed: 0 };
	for (const ch of recent) {
		const o = fmt.OUTCOMES[ch] || 'failed';	// '?': inconclusive
		n[o] = (n[o] || 0) + 1;
	}
	const fails = Object.entries(n).filter(([k]) => k !== 'passed').map(([k, v]) => `${k} ×${v}`);
	return `last ${recent.length}: ${n.passed} passed${fails.length ? `, failed: ${fails.join(', ')}` : ''}`;
}

// One table per service (so off-screen services skip layout: see
// .svc in app.css), all with the same columns: checks by layer x regions.
// Fills box with the sections, reusing those of sections (service -> element).
function matrixTable(box, sections, m, opts, cache) {
	const F = fieldIndex(m);
	const cells = new Map();
	for (const c of m.cells)
		cells.set(c[F.check] * m.regions.length + c[F.region], c);
	const ncols = m.regions.length + 1;
	const order = [];
	box.style.setProperty('--cols', String(m.regions.length));
	let body = null, service, layer, shown = 0;
	m.checks.forEach((chk, ci) => {
		if (!matches(chk, opts.q))
			return;
		const row = m.regions.map((r, ri) => cells.get(ci * m.regions.length + ri));
		if (opts.problems && !row.some(c => c && (cellState(c, F) !== 'ok' ||
		    c[F.age_ms] > staleAfter(chk))))
			return;
		shown++;
		if (!body || chk.service !== service) {
			service = chk.service;
			layer = undefined;
			body = h('tbody');
			const key = service ?? '';
			let sec = sections.get(key);
			if (!sec) {
				sec = h('section', { class: 'svc', dataset: { service: key } });
				sections.set(key, sec);
			}
			order.push(sec);
			swap(sec, h('h3', null, service ? ['service ', h('strong', null, service), ' · ',
				h('a', { href: link({ page: 'service', service }) }, 'layer view')] :
				'no service'),
			    h('div', { class: 'table-wrap' }, h('table', { class: 'matrix' },
				h('colgroup', null, h('col', { class: 'c-check' }),
				    m.regions.map(() => h('col', { class: 'c-region' }))),
				h('thead', null, h('tr', null, h('th', { scope: 'col' }, 'Check'),
				    m.regions.map(r => h('th', { scope: 'col' }, r || '(no region)')))),
				body)));
		}
		if (chk.layer !== layer) {
			layer = chk.layer;
			body.append(h('tr', { class: 'layer' }, h('th', { colspan: ncols, scope: 'colgroup' },
			    fmt.layerName(layer))));
		}
		const href = link({ page: 'check', check: chk.name });
		body.append(h('tr', null,
		    h('th', { scope: 'row' }, h('a', { href }, chk.name),
			h('span', { class: 'meta' }, [chk.kind, chk.provider].filter(Boolean).join(' · ')),
			cacheMeta(chk, cache)),
		    row.map((c, ri) => matrixCell(m, F, chk, m.regions[ri], c, href))));
	});
	for (const [k, sec] of sections)
		if (!order.includes(sec))
			sections.delete(k);
	if (shown === 0) {
		swap(box, h('p', { class: 'muted' }, m.checks.length ? 'No check matches the filter.' :
		    'No checks yet: define checks[] in the collector config, or start agents.'));
		return;
	}
	// move nodes only when the list of services changed
	const kids = box.children;
	if (kids.length !== order.length || order.some((sec, i) => kids[i] !== sec))
		box.replaceChildren(...order);
}

// A cell: icon and age (and the strip) in sight, the whole story in the
// link's accessible name and tooltip.
function matrixCell(m, F, chk, region, c, href) {
	if (!c)
		return h('td', { class: 'cell s-none', dataset: { cell: '', check: chk.name, region,
		    state: 'none' }, title: `${chk.name} in ${region}: no results`,
		    'aria-label': 'no results' }, icon('none', 'no results'));
	const ok = c[F.ok], ageMs = c[F.age_ms], stale = ageMs > staleAfter(chk);
	const state = cellState(c, F);
	const what = ok ? 'passed' : `failed (${c[F.error_class] || 'error'}${c[F.status] ? ` ${c[F.status]}` : ''})` +
	    (state === 'inconclusive' ? ', inconclusive: the agent\'s own network was down' : '');
	const title = [`${chk.name} in ${region}: ${what} ${fmt.age(ageMs)} ago` +
	    `${stale ? ' (stale)' : ''} by ${m.agents[c[F.agent]]}`,
	    ok ? `total ${fmt.ms(c[F.total_ms])}` : c[F.error] || '',
	    stripText(c[F.recent])].filter(Boolean).join('\n');
	return h('td', { class: `cell s-${state}${stale ? ' stale' : ''}`,
	    dataset: { cell: '', check: chk.name, region, state, stale: stale ? '1' : null } },
	    h('a', { href, title, 'aria-label': title },
		icon(stale ? 'stale' : state, stale ? 'stale' : state),
		h('span', { class: 'age' }, fmt.age(ageMs)),
		strip(c[F.recent] || '')));
}
