// api: GET the collector's JSON API, with the read token when one was given.
// The token lives in sessionStorage: it is kept for this tab's session and
// sent only to this origin, as "Authorization: Bearer".

const KEY = 'vantage.read_token';

export class AuthError extends Error {}

export function token() {
	try {
		return sessionStorage.getItem(KEY);
	} catch {
		return null;
	}
}

export function setToken(t) {
	try {
		if (t)
			sessionStorage.setItem(KEY, t);
		else
			sessionStorage.removeItem(KEY);
	} catch {
		/* storage disabled: the token lasts until the page reloads */
	}
	memo = t || null;
}
let memo = null;

export async function get(path) {
	const t = token() || memo;
	const headers = { Accept: 'application/json' };
	if (t)
		headers.Authorization = `Bearer ${t}`;
	let r;
	try {
		r = await fetch(path, { headers, cache: 'no-store', credentials: 'omit' });
	} catch (e) {
		throw new Error(`cannot reach the collector (${e.message})`);
	}
	if (r.status === 401)
		throw new AuthError(t ? 'the collector refused this token' : '');
	let body = null;
	try {
		body = await r.json();
	} catch {
		/* not JSON */
	}
	if (!r.ok)
		throw new Error(`${path.split('?')[0]}: ${r.status}${body && body.error ?
		    ` ${body.error}` : ''}`);
	return body;
}

// Several GETs at once: an object of promises -> an object of answers.
export async function getAll(paths) {
	const keys = Object.keys(paths);
	const vals = await Promise.all(keys.map(k => get(paths[k])));
	return Object.fromEntries(keys.map((k, i) => [k, vals[i]]));
}

export function q(path, params) {
	const u = new URLSearchParams();
	for (const [k, v] of Object.entries(params))
		if (v !== undefined && v !== null && v !== '')
			u.set(k, v);
	const s = u.toString();
	return s ? `${path}?${s}` : path;
}
