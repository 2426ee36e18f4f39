/* store_texts: the text dictionary. Error messages, URLs, addresses and a
 * record's other fields repeat from run to run; each is stored once and
 * results keep its id. The writer caches what it looked up (bounded). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_int.h"
#include "xmalloc.h"

#define TEXT_CACHE_MAX	65536	/* entries; the cache starts over when full */

static const char sql_text_find[] =
    "SELECT id, used, value FROM texts WHERE hash = ?1";
static const char sql_text_add[] =
    "INSERT INTO texts (hash, used, value) VALUES (?1, ?2, ?3)";
static const char sql_text_used[] =
    "UPDATE texts SET used = ?2 WHERE id = ?1 AND used < ?2";
static const char sql_text_get[] = "SELECT value FROM texts WHERE id = ?1";

static uint64_t
text_hash(const char *s, size_t len)
{
	uint64_t h = 1469598103934665603ULL;

	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)s[i]) * 1099511628211ULL;
	/* SQLite integers are signed: keep the top bit clear */
	return h >> 1;
}

void
text_cache_flush(struct store *st)
{
	struct text_cache *tc = &st->texts;

	for (size_t i = 0; i < tc->cap; i++)
		free(tc->e[i].value);
	if (tc->e)
		memset(tc->e, 0, tc->cap * sizeof(*tc->e));
	tc->n = 0;
}

void
text_cache_free(struct store *st)
{
	text_cache_flush(st);
	free(st->texts.e);
	memset(&st->texts, 0, sizeof(st->texts));
}

static struct text_entry *
cache_find(struct text_cache *tc, const char *v, size_t len, uint64_t h)
{
	if (tc->cap == 0)
		return NULL;
	for (size_t i = h & (tc->cap - 1); tc->e[i].value; i = (i + 1) & (tc->cap - 1))
		if (tc->e[i].hash == h && tc->e[i].len == len &&
		    memcmp(tc->e[i].value, v, len) == 0)
			return &tc->e[i];
	return NULL;
}

static void
cache_put(struct store *st, const char *v, size_t len, uint64_t h, int64_t id,
    int64_t used)
{
	struct text_cache *tc = &st->texts;
	size_t i;

	if (tc->cap == 0) {
		tc->cap = 2 * TEXT_CACHE_MAX;
		tc->e = xcalloc(tc->cap, sizeof(*tc->e));
	}
	if (tc->n >= TEXT_CACHE_MAX)
		text_cache_flush(st);
	for (i = h & (tc->cap - 1); tc->e[i].value; i = (i + 1) & (tc->cap - 1))
		;
	tc->e[i].value = xmalloc(len + 1);
	memcpy(tc->e[i].value, v, len);
	tc->e[i].value[len] = '\0';
	tc->e[i].len = len;
	tc->e[i].hash = h;
	tc->e[i].id = id;
	tc->e[i].used = used;
	tc->n++;
}

int
text_id(struct store *st, const char *value, size_t len, int64_t day,
    int64_t *id, char *err, size_t errlen)
{
	uint64_t h = text_hash(value, len);
	struct text_entry *e = cache_find(&st->texts, value, len, h);
	sqlite3_stmt *s;
	int64_t used = -1;
	int rc;

	*id = 0;
	if (e != NULL) {
		*id = e->id;
		used = e->used;
	} else {
		if ((s = conn_stmt(&st->w, sql_text_find, err, errlen)) == NULL)
			return -1;
		sqlite3_bind_int64(s, 1, (int64_t)h);
		while ((rc = sqlite3_step(s)) == SQLITE_ROW)
			if ((size_t)sqlite3_column_bytes(s, 2) == len && (len == 0 ||
			    memcmp(sqlite3_column_blob(s, 2), value, len) == 0)) {
				*id = sqlite3_column_int64(s, 0);
				used = sqlite3_column_int64(s, 1);
				break;
			}
		sqlite3_reset(s);
		if (rc != SQLITE_ROW && rc != SQLITE_DONE)
			return conn_fail(&st->w, rc, "texts", err, errlen);
		if (*id == 0) {
			if ((s = conn_stmt(&st->w, sql_text_add, err, errlen)) == NULL)
				return -1;
			sqlite3_bind_int64(s, 1, (int64_t)h);
			sqlite3_bind_int64(s, 2, day);
			sqlite3_bind_text(s, 3, value, (int)len, SQLITE_STATIC);
			if ((rc = stmt_done(s)) != SQLITE_DONE)
				return conn_fail(&st->w, rc, "texts", err, errlen);
			*id = sqlite3_last_insert_rowid(st->w.db);
			used = day;
		}
		cache_put(st, value, len, h, *id, used);
		e = cache_find(&st->texts, value, len, h);
	}
	if (used < day) {
		/* retention keeps a text as long as a result refers to it */
		if ((s = conn_stmt(&st->w, sql_text_used, err, errlen)) == NULL)
			return -1;
		sqlite3_bind_int64(s, 1, *id);
		sqlite3_bind_int64(s, 2, day);
		if ((rc = stmt_done(s)) != SQLITE_DONE)
			return conn_fail(&st->w, rc, "texts", err, errlen);
		if (e)
			e->used = day;
	}
	return 0;
}

char *
text_value(struct store_conn *c, int64_t id, size_t *len, char *err,
    size_t errlen)
{
	sqlite3_stmt *s = conn_stmt(c, sql_text_get, err, errlen);
	char *v = NULL;
	int rc;

	if (s == NULL)
		return NULL;
	sqlite3_bind_int64(s, 1, id);
	if ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		*len = (size_t)sqlite3_column_bytes(s, 0);
		v = xmalloc(*len + 1);
		if (*len > 0)
			memcpy(v, sqlite3_column_blob(s, 0), *len);
		v[*len] = '\0';
	} else if (rc == SQLITE_DONE)
		snprintf(err, errlen, "texts: no text %lld", (long long)id);
	else
		conn_fail(c, rc, "texts", err, errlen);
	sqlite3_reset(s);
	return v;
}
