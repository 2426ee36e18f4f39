// main: the dashboard's router and refresh loop. Views (overview, check,
// slo, service) export mount(main, params) -> { update(params), destroy(),
// restyle() }; update fetches and redraws, and runs again every refresh
// period (?refresh=SECONDS, default 10) while the tab is visible. Links are
// real <a href> (nav.js) and navigate without a reload.
import { AuthError, setToken, token } from './api.js';
import { h, swap } from './dom.js';
import { time } from './fmt.js';
import { navigate, setHooks } from './nav.js';
import * as overview from './overview.js';

// The overview comes with the first load; the other pages (and uPlot, which
// they use) load when first opened.
const PAGES = {
	overview: () => overview,
	check: () => import('./check.js'),
	slo: () => import('./slo.js'),
	service: () => import('./service.js'),
};
const REFRESH_DEFAULT = 10;	// seconds

const main = document.getElementById('main');
const status = document.getElementById('refresh');
let view = null;	// { page, key, inst }
let timer = null;
let generation = 0;	// bumps on every navigation: late answers are dropped

function refreshSeconds() {
	const v = Number(new URLSearchParams(location.search).get('refresh'));
	return Number.isFinite(v) && v >= 1 ? v : REFRESH_DEFAULT;
}

function params() {
	return Object.fromEntries(new URLSearchParams(location.search));
}

async function route() {
	const p = params();
	const page = PAGES[p.page] ? p.page : 'overview';
	const gen = ++generation;
	let mod;

	clearTimeout(timer);
	try {
		mod = await PAGES[page]();
	} catch (e) {
		swap(main, h('p', { class: 'error' }, `Cannot load this page: ${e.message}`));
		return;
	}
	if (gen !== generation)
		return;
	const key = mod.key(p);
	if (!view || view.page !== page || view.key !== key) {
		if (view && view.inst.destroy)
			view.inst.destroy();
		main.dataset.page = page;
		delete main.dataset.updated;
		swap(main, h('p', { class: 'loading' }, 'Loading…'));
		view = { page, key, inst: mod.mount(main, p) };
		window.scrollTo(0, 0);
	} else if (view.inst.params) {
		view.inst.params(p);	// same page, other options (range, filter)
	}
	refresh();
}

let updates = 0;
let running = null;	// the generation whose refresh is in flight
async function refresh() {
	const gen = generation;
	if (running === gen)
		return;	// one at a time; it schedules the next
	clearTimeout(timer);
	if (document.hidden)
		return;	// visibilitychange refreshes when the tab shows again
	running = gen;
	try {
		await view.inst.update(params());
		if (gen !== generation)
			return;
		updates++;
		main.dataset.updated = String(updates);
		status.className = 'refresh';
		swap(status, `updated ${time(Date.now())} · every ${refreshSeconds()} s`);
	} catch (e) {
		if (gen !== generation)
			return;
		if (e instanceof AuthError) {
			askToken(e.message);
			return;
		}
		status.className = 'refresh stale';
		swap(status, h('span', { class: 'icon s-warn', 'aria-hidden': 'true' }, '!'),
		    ` refresh failed: ${e.message} · retrying`);
		console.warn('vantage: refresh failed:', e);
	} finally {
		if (running === gen)
			running = null;
	}
	if (gen === generation)
		timer = setTimeout(refresh, refreshSeconds() * 1000);
}

// The collector has a read_token: ask for it, keep it for the session.
function askToken(problem) {
	const input = h('input', { type: 'password', id: 'token', name: 'token',
	    autocomplete: 'current-password', required: true, autofocus: true });
	const form = h('form', { class: 'token card', id: 'token-form',
	    onsubmit: (e) => {
		e.preventDefault();
		setToken(input.value.trim());
		view = null;
		route();
	    } },
	    h('h1', null, 'Read token needed'),
	    h('p', null, 'This collector protects its API with a read token ',
		h('code', null, 'read_token'), '. It is kept for this browser tab ',
		'only (session storage) and sent as ', h('code', null, 'Authorization: Bearer'),
		'.'),
	    problem ? h('p', { class: 'error', role: 'alert' }, h('span', {
		class: 'icon s-fail', 'aria-hidden': 'true' }, '✗'), ` ${problem}`) : null,
	    h('label', { for: 'token' }, 'Token'), input,
	    h('button', { type: 'submit' }, 'Open the dashboard'));
	if (token())
		setToken(null);	// refused: ask again
	main.dataset.page = 'token';
	swap(main, form);
	swap(status, '');
	input.focus();
}

document.addEventListener('click', (e) => {
	const a = e.target.closest && e.target.closest('a[href]');
	if (!a || a.target || a.hasAttribute('download') || e.defaultPrevented ||
	    e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey)
		return;
	const u = new URL(a.href, location.href);
	if (u.origin !== location.origin || u.pathname !== '/')
		return;
	e.preventDefault();
	if (u.search === location.search && !u.hash)
		return;
	navigate(u.pathname + u.search);
});
window.addEventListener('popstate', route);
document.addEventListener('visibilitychange', () => {
	if (!document.hidden && view)
		refresh();
});
// light/dark changed: charts read their colours when drawn
matchMedia('(prefers-color-scheme: dark)').addEventListener('change', () => {
	if (view && view.inst.restyle)
		view.inst.restyle();
});
setHooks({ route, refresh: () => refresh() });
route();
