// SPDX-License-Identifier: GPL-2.0-only
/*
 * A record as one structured journal entry. Its fields come from the
 * printer `tsmon ring --json` uses, run in field mode: every JSON key of
 * the record becomes TSMON_<KEY>, so the journal, the NDJSON and the text
 * output describe each type from the same table (print.c), and a type
 * added there reaches the journal unchanged. MESSAGE is the text line.
 */
#define SD_JOURNAL_SUPPRESS_LOCATION

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <syslog.h>
#include <unistd.h>
#include <systemd/sd-journal.h>

#include "cli.h"
#include "journal.h"
#include "print.h"

/*
 * How urgent each type is. A step or leap moves CLOCK_REALTIME under
 * running programs and losing sync leaves it undisciplined: warnings. So
 * is a VM disruption: after a migration or a snapshot restore the clock
 * may be off by any amount until the next sync update.
 * Records that were lost hide such events: an error. Routine NTP and PHC
 * traffic is informational, and per-pulse PHC events are debug.
 */
static const struct {
	uint32_t type;
	int priority;
} priorities[] = {
	{ TSMON_EVENT_CLOCK_STEP,		LOG_WARNING },
	{ TSMON_EVENT_LEAP_ARMED,		LOG_NOTICE },
	{ TSMON_EVENT_LEAP_DISARMED,		LOG_NOTICE },
	{ TSMON_EVENT_LEAP_APPLIED,		LOG_WARNING },
	{ TSMON_EVENT_TAI_CHANGE,		LOG_NOTICE },
	{ TSMON_EVENT_CLOCKSOURCE_CHANGE,	LOG_WARNING },
	{ TSMON_EVENT_RESUME,			LOG_NOTICE },
	{ TSMON_EVENT_LOST,			LOG_ERR },
	{ TSMON_EVENT_NTP_SYNC,			LOG_NOTICE },
	{ TSMON_EVENT_NTP_UNSYNC,		LOG_WARNING },
	{ TSMON_EVENT_NTP_MODE,			LOG_INFO },
	{ TSMON_EVENT_NTP_STATE,		LOG_INFO },
	{ TSMON_EVENT_PHC_STEP,			LOG_NOTICE },
	{ TSMON_EVENT_PHC_FREQ,			LOG_INFO },
	{ TSMON_EVENT_PHC_PHASE,		LOG_INFO },
	{ TSMON_EVENT_PHC_EXTTS,		LOG_DEBUG },
	{ TSMON_EVENT_PHC_PPS,			LOG_DEBUG },
	{ TSMON_EVENT_PHC_ADD,			LOG_NOTICE },
	{ TSMON_EVENT_PHC_REMOVE,		LOG_NOTICE },
	{ TSMON_EVENT_VM_DISRUPTION,		LOG_WARNING },
};

/* A type newer than this tool: worth seeing, not worth waking anyone. */
#define PRIORITY_UNKNOWN	LOG_INFO

/*
 * Where the journal names a field differently from the JSON key, or
 * leaves it out (field NULL): a lost marker carries no time, and its
 * count is what was lost.
 */
static const struct {
	uint32_t type;
	const char *key;
	const char *field;
} renames[] = {
	{ TSMON_EVENT_LOST,	"count",	"TSMON_LOST" },
	{ TSMON_EVENT_LOST,	"mono_ns",	NULL },
	{ TSMON_EVENT_LOST,	"real_ns",	NULL },
};

/*
 * journald's native socket. libsystemd drops an entry without an error
 * when it is missing (for programs that may run without journald); asked
 * to log to the journal, tsmon must not lose entries unnoticed.
 */
#define JOURNAL_SOCKET	"/run/systemd/journal/socket"

/* Room for the fixed fields and every key a record type can have. */
#define MAX_FIELDS	32
#define FIELD_LEN	(JSON_ARRAY_LEN + 64)

struct entry {
	const struct tsmon_record *rec;
	struct iovec iov[MAX_FIELDS];
	char text[MAX_FIELDS][FIELD_LEN];
	size_t n;
	char *message;		/* "MESSAGE=..." from open_memstream() */
};

static int priority_of(uint32_t type)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(priorities); i++)
		if (priorities[i].type == type)
			return priorities[i].priority;
	return PRIORITY_UNKNOWN;
}

static void add_field(struct entry *e, const char *name, const char *value)
{
	char *t;
	int len;

	if (e->n >= MAX_FIELDS)
		return;
	t = e->text[e->n];
	len = snprintf(t, FIELD_LEN, "%s=%s", name, value);
	if (len < 0)
		return;
	e->iov[e->n].iov_base = t;
	e->iov[e->n].iov_len = (size_t)len < FIELD_LEN ? (size_t)len :
			       FIELD_LEN - 1;
	e->n++;
}

/* json_field_fn: key "delta_ns" becomes TSMON_DELTA_NS. */
static void record_field(void *ctx, const char *key, const char *value)
{
	struct entry *e = ctx;
	char name[64];
	size_t i;

	for (i = 0; i < ARRAY_SIZE(renames); i++) {
		if (renames[i].type != e->rec->type ||
		    strcmp(renames[i].key, key))
			continue;
		if (renames[i].field)
			add_field(e, renames[i].field, value);
		return;
	}
	snprintf(name, sizeof(name), "TSMON_%s", key);
	for (i = 0; name[i]; i++)
		name[i] = (char)toupper((unsigned char)name[i]);
	add_field(e, name, value);
}

/*
 * MESSAGE: the line `tsmon events` prints, less its column padding in
 * front and its newline.
 */
static int add_message(struct entry *e)
{
	struct out o = { .f = NULL };
	size_t size = 0, len, skip;
	char *buf = NULL;

	o.f = open_memstream(&buf, &size);
	if (!o.f)
		return -errno;
	fputs("MESSAGE=", o.f);
	print_record(&o, e->rec);
	if (fclose(o.f)) {
		free(buf);
		return -ENOMEM;
	}
	len = strlen(buf);
	if (len && buf[len - 1] == '\n')
		buf[--len] = '\0';
	skip = strspn(buf + 8, " ");
	memmove(buf + 8, buf + 8 + skip, len - 8 - skip + 1);
	e->message = buf;
	e->iov[e->n].iov_base = buf;
	e->iov[e->n].iov_len = strlen(buf);
	e->n++;
	return 0;
}

int journal_log(struct journal *jl, const struct tsmon_record *rec)
{
	struct entry *e;
	struct json j;
	char prio[4];
	int ret;

	e = calloc(1, sizeof(*e));
	if (!e)
		return -ENOMEM;
	e->rec = rec;
	ret = add_message(e);
	if (!ret) {
		snprintf(prio, sizeof(prio), "%d", priority_of(rec->type));
		add_field(e, "PRIORITY", prio);
		add_field(e, "SYSLOG_IDENTIFIER", "tsmon");
		json_init_fields(&j, record_field, e);
		print_record(&(struct out){ .j = &j }, rec);
		if (access(JOURNAL_SOCKET, F_OK))
			ret = -errno;
		else
			ret = sd_journal_sendv(e->iov, (int)e->n);
	}
	free(e->message);
	free(e);

	if (!ret) {
		jl->sent++;
		jl->failing = 0;
		return 0;
	}
	if (!jl->failed)
		fprintf(stderr, "tsmon events: cannot log to the journal: "
			"%s\n", strerror(-ret));
	jl->failed++;
	if (++jl->failing < JOURNAL_MAX_FAILURES)
		return 0;
	fprintf(stderr, "tsmon events: giving up after %u entries in a row "
		"could not be logged\n", jl->failing);
	return -EIO;
}

int journal_finish(const struct journal *jl)
{
	if (!jl->failed)
		return EXIT_OK;
	fprintf(stderr, "tsmon events: %llu of %llu entries could not be "
		"logged to the journal\n", (unsigned long long)jl->failed,
		(unsigned long long)(jl->failed + jl->sent));
	return EXIT_ERROR;
}
