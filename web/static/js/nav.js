// nav: links between pages and changes of the URL. The URL holds the page
// and its parameters (/?page=check&check=NAME&range=24h): every view is a
// deep link. main.js registers the router.

let hooks = { route: () => {}, refresh: () => {} };
export function setHooks(h) {
	hooks = h;
}

// A link to a page: link({page: 'check', check: 'x', range: '24h'}). Keeps
// the refresh period of the current URL.
export function link(params) {
	const u = new URLSearchParams();
	const cur = new URLSearchParams(location.search);
	for (const [k, v] of Object.entries(params))
		if (v !== undefined && v !== null && v !== '' &&
		    !(k === 'page' && v === 'overview'))
			u.set(k, v);
	if (cur.has('refresh'))
		u.set('refresh', cur.get('refresh'));
	const s = u.toString();
	return s ? `/?${s}` : '/';
}

// Change parameters of the current URL without a history entry (filters).
export function replaceParams(changes) {
	const u = new URLSearchParams(location.search);
	for (const [k, v] of Object.entries(changes)) {
		if (v === undefined || v === null || v === '' || v === false)
			u.delete(k);
		else
			u.set(k, v);
	}
	const s = u.toString();
	history.replaceState(null, '', s ? `/?${s}` : '/');
}

export function navigate(href) {
	history.pushState(null, '', href);
	hooks.route();
}

// Fetch and draw the current view now (after a change of its options).
export function refreshNow() {
	hooks.refresh();
}
