// SPDX-License-Identifier: GPL-2.0-only
/*
 * tsmon status: the health block, decoded. Each section below prints one
 * topic in both formats, so text and JSON list the same facts in the same
 * order.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <string.h>
#include <sys/timex.h>
#include <time.h>

#include "cli.h"
#include "fmt.h"
#include "print.h"

#define LABEL_WIDTH	16

struct status {
	struct tsmon_info info;
	struct tsmon_health h;
	uint64_t head;
	uint64_t now_real;	/* CLOCK_REALTIME when the block was read */
	uint64_t now_mono;	/* CLOCK_MONOTONIC likewise */
};

struct bit_name {
	uint32_t bit;
	const char *name;
};

static const struct bit_name hook_names[] = {
	{ TSMON_HOOK_TIMEKEEPER,	"timekeeper" },
	{ TSMON_HOOK_ADJTIMEX,		"adjtimex" },
	{ TSMON_HOOK_SETTIME,		"settime" },
};

/* Names without the STA_ prefix, in bit order. */
static const struct bit_name sta_names[] = {
	{ STA_PLL,		"PLL" },
	{ STA_PPSFREQ,		"PPSFREQ" },
	{ STA_PPSTIME,		"PPSTIME" },
	{ STA_FLL,		"FLL" },
	{ STA_INS,		"INS" },
	{ STA_DEL,		"DEL" },
	{ STA_UNSYNC,		"UNSYNC" },
	{ STA_FREQHOLD,		"FREQHOLD" },
	{ STA_PPSSIGNAL,	"PPSSIGNAL" },
	{ STA_PPSJITTER,	"PPSJITTER" },
	{ STA_PPSWANDER,	"PPSWANDER" },
	{ STA_PPSERROR,		"PPSERROR" },
	{ STA_CLOCKERR,		"CLOCKERR" },
	{ STA_NANO,		"NANO" },
	{ STA_MODE,		"MODE" },
	{ STA_CLK,		"CLK" },
};

static const char *const leap_states[] = {
	[TSMON_LEAP_NONE]		= "none",
	[TSMON_LEAP_INSERT_PENDING]	= "insert_pending",
	[TSMON_LEAP_DELETE_PENDING]	= "delete_pending",
};

__attribute__((format(printf, 3, 4)))
static void line(const struct out *o, const char *label, const char *fmt, ...)
{
	va_list ap;

	fprintf(o->f, "%-*s", LABEL_WIDTH, label);
	va_start(ap, fmt);
	vfprintf(o->f, fmt, ap);
	va_end(ap);
	fputc('\n', o->f);
}

/*
 * " (3h 2m ago)" for a CLOCK_MONOTONIC instant, or nothing if it lies in
 * the future: then it was not taken during this boot (a region file), and
 * no elapsed time can be told.
 */
static const char *ago(char *buf, size_t len, const struct status *s,
		       uint64_t mono_ns)
{
	char span[FMT_LEN];

	if (mono_ns > s->now_mono)
		buf[0] = '\0';
	else
		snprintf(buf, len, " (%s ago)",
			 fmt_span(span, sizeof(span), s->now_mono - mono_ns));
	return buf;
}

/*
 * Text: the names of the set bits separated by spaces, "bitN" for bits
 * without a name, `none` when empty. JSON: the same names as an array.
 */
static void print_bits(const struct out *o, const char *key, uint32_t v,
		       const struct bit_name *names, size_t n)
{
	char unknown[16];
	uint32_t rest = v;
	bool first = true;
	size_t i;
	int bit;

	if (o->j)
		json_array_begin(o->j, key);
	for (i = 0; i < n; i++) {
		if (!(v & names[i].bit))
			continue;
		rest &= ~names[i].bit;
		if (o->j)
			json_string(o->j, NULL, names[i].name);
		else
			fprintf(o->f, "%s%s", first ? "" : " ", names[i].name);
		first = false;
	}
	for (bit = 0; bit < 32; bit++) {
		if (!(rest & (1U << bit)))
			continue;
		snprintf(unknown, sizeof(unknown), "bit%d", bit);
		if (o->j)
			json_string(o->j, NULL, unknown);
		else
			fprintf(o->f, "%s%s", first ? "" : " ", unknown);
		first = false;
	}
	if (o->j)
		json_array_end(o->j);
	else if (first)
		fputs("none", o->f);
}

static void show_instance(const struct out *o, const struct status *s)
{
	char t[FMT_LEN], a[FMT_LEN];

	if (o->j) {
		json_u64(o->j, "abi_version", s->info.abi_version);
		json_u64(o->j, "instance_id", s->info.instance_id);
		json_u64(o->j, "load_real_ns", s->info.load_real_ns);
		json_u64(o->j, "load_mono_ns", s->info.load_mono_ns);
		return;
	}
	line(o, "instance", "0x%016" PRIx64 " (abi %" PRIu32 ")",
	     s->info.instance_id, s->info.abi_version);
	line(o, "loaded at", "%s%s",
	     fmt_utc(t, sizeof(t), s->info.load_real_ns),
	     ago(a, sizeof(a), s, s->info.load_mono_ns));
}

static void show_ring(const struct out *o, const struct status *s)
{
	if (o->j) {
		json_u64(o->j, "ring_entries", s->info.ring_entries);
		json_u64(o->j, "record_size", s->info.record_size);
		json_u64(o->j, "head", s->head);
		return;
	}
	line(o, "ring", "%" PRIu32 " entries of %" PRIu32 " bytes, head %"
	     PRIu64, s->info.ring_entries, s->info.record_size, s->head);
}

static void show_hooks(const struct out *o, const struct status *s)
{
	uint32_t missing = 0;
	size_t i;

	if (!o->j)
		fprintf(o->f, "%-*s", LABEL_WIDTH, "hooks");
	print_bits(o, "hooks", s->h.hooks, hook_names, ARRAY_SIZE(hook_names));
	if (o->j)
		return;
	for (i = 0; i < ARRAY_SIZE(hook_names); i++)
		if (!(s->h.hooks & hook_names[i].bit))
			missing |= hook_names[i].bit;
	if (missing) {
		fputs(" (not attached: ", o->f);
		print_bits(o, NULL, missing, hook_names,
			   ARRAY_SIZE(hook_names));
		fputc(')', o->f);
	}
	fputc('\n', o->f);
}

static void show_clock(const struct out *o, const struct status *s)
{
	char cs[NAME_LEN];
	int32_t tai = (int32_t)s->h.tai_offset;

	name_copy(cs, s->h.clocksource, sizeof(s->h.clocksource), !o->j);
	if (o->j) {
		if (cs[0])
			json_string(o->j, "clocksource", cs);
		else
			json_null(o->j, "clocksource");
		json_s64(o->j, "tai_offset", tai);
		return;
	}
	line(o, "clocksource", "%s", cs[0] ? cs : "unknown");
	line(o, "tai offset", "%" PRId32 " s", tai);
}

static void show_leap(const struct out *o, const struct status *s)
{
	uint32_t state = s->h.leap_state;
	uint64_t at = s->h.leap_real_ns;
	char t[FMT_LEN], span[FMT_LEN];
	const char *what;

	if (o->j) {
		json_string(o->j, "leap_state",
			    state < ARRAY_SIZE(leap_states) ?
			    leap_states[state] : "unknown");
		json_u64(o->j, "leap_real_ns", at);
		return;
	}
	switch (state) {
	case TSMON_LEAP_NONE:
		line(o, "leap second", "none");
		return;
	case TSMON_LEAP_INSERT_PENDING:
		what = "insertion";
		fmt_leap(t, sizeof(t), at, TSMON_LEAP_INSERT);
		break;
	case TSMON_LEAP_DELETE_PENDING:
		what = "deletion";
		fmt_leap(t, sizeof(t), at, TSMON_LEAP_DELETE);
		break;
	default:
		line(o, "leap second", "unknown state %" PRIu32, state);
		return;
	}
	if (at >= s->now_real)
		line(o, "leap second", "%s pending at %s (in %s)", what, t,
		     fmt_span(span, sizeof(span), at - s->now_real));
	else
		line(o, "leap second", "%s pending at %s (%s ago)", what, t,
		     fmt_span(span, sizeof(span), s->now_real - at));
}

static void show_ntp(const struct out *o, const struct status *s)
{
	uint32_t st = s->h.ntp_status;

	if (!(s->h.hooks & TSMON_HOOK_ADJTIMEX)) {
		if (o->j) {
			json_null(o->j, "ntp_status");
			json_null(o->j, "ntp_status_flags");
		} else {
			line(o, "ntp status",
			     "unknown (adjtimex hook not attached)");
		}
		return;
	}
	if (o->j) {
		json_u64(o->j, "ntp_status", st);
	} else {
		fprintf(o->f, "%-*s0x%04" PRIx32 " ", LABEL_WIDTH,
			"ntp status", st);
	}
	print_bits(o, "ntp_status_flags", st, sta_names, ARRAY_SIZE(sta_names));
	if (!o->j)
		fputc('\n', o->f);
}

static void show_last_step(const struct out *o, const struct status *s)
{
	const struct tsmon_health *h = &s->h;
	int64_t delta = (int64_t)h->last_step_delta_ns;
	char t[FMT_LEN], a[FMT_LEN], d[FMT_LEN];

	if (!h->last_step_seq) {
		if (o->j)
			json_null(o->j, "last_step");
		else
			line(o, "last step", "none");
		return;
	}
	if (o->j) {
		json_object_begin(o->j, "last_step");
		json_u64(o->j, "seq", h->last_step_seq);
		json_u64(o->j, "mono_ns", h->last_step_mono_ns);
		json_u64(o->j, "real_ns", h->last_step_real_ns);
		json_s64(o->j, "delta_ns", delta);
		json_string(o->j, "reason",
			    step_reason_name(h->last_step_reason));
		json_object_end(o->j);
		return;
	}
	line(o, "last step", "%s%s, seq %" PRIu64,
	     fmt_utc(t, sizeof(t), h->last_step_real_ns),
	     ago(a, sizeof(a), s, h->last_step_mono_ns),
	     (uint64_t)h->last_step_seq);
	line(o, "", "delta %s (%" PRId64 " ns), reason %s",
	     fmt_delta(d, sizeof(d), delta), delta,
	     step_reason_name(h->last_step_reason));
}

static void show_freq(const struct out *o, const struct status *s)
{
	int64_t ppb = (int64_t)s->h.freq_ppb;
	char p[FMT_LEN];

	if (o->j) {
		json_s64(o->j, "freq_ppb", ppb);
		json_u64(o->j, "tk_mult", s->h.tk_mult);
		json_u64(o->j, "cs_mult", s->h.cs_mult);
		json_u64(o->j, "cs_shift", s->h.cs_shift);
		return;
	}
	line(o, "frequency", "%s ppm (%" PRId64 " ppb)",
	     fmt_ppm(p, sizeof(p), ppb), ppb);
	line(o, "", "tk_mult %" PRIu32 ", cs_mult %" PRIu32 ", cs_shift %"
	     PRIu32, s->h.tk_mult, s->h.cs_mult, s->h.cs_shift);
}

/*
 * Every slot the library can name (lost markers are never stored, so they
 * have no count), and any other slot a newer module filled.
 */
static void show_counts(const struct out *o, const struct status *s)
{
	const char *label = "events";
	char key[32];
	const char *name;
	uint32_t type;
	uint64_t n;

	if (o->j)
		json_object_begin(o->j, "event_counts");
	for (type = 1; type < TSMON_EVENT_SLOTS; type++) {
		n = s->h.event_count[type];
		if (type == TSMON_EVENT_LOST)
			continue;
		if (tsmon_event_type_name(type, &name)) {
			if (!n)
				continue;
			snprintf(key, sizeof(key), "type_%" PRIu32, type);
			name = key;
		}
		if (o->j) {
			json_u64(o->j, name, n);
		} else {
			line(o, label, "%-18s %" PRIu64, name, n);
			label = "";
		}
	}
	if (o->j)
		json_object_end(o->j);
}

static void show_updated(const struct out *o, const struct status *s)
{
	char m[FMT_LEN], a[FMT_LEN];

	if (o->j) {
		json_u64(o->j, "update_mono_ns", s->h.update_mono_ns);
		return;
	}
	if (!s->h.update_mono_ns)
		line(o, "updated", "never");
	else
		line(o, "updated", "mono %s%s",
		     fmt_mono(m, sizeof(m), s->h.update_mono_ns),
		     ago(a, sizeof(a), s, s->h.update_mono_ns));
}

static void (*const sections[])(const struct out *, const struct status *) = {
	show_instance,
	show_ring,
	show_hooks,
	show_clock,
	show_leap,
	show_ntp,
	show_last_step,
	show_freq,
	show_counts,
	show_updated,
};

static uint64_t clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * NSEC_PER_SEC + (uint64_t)ts.tv_nsec;
}

static int read_status(const struct tsmon *t, struct status *s)
{
	int ret;

	ret = tsmon_get_info(t, &s->info);
	if (ret) {
		cli_error("status", "cannot read the region header", ret);
		return ret;
	}
	ret = tsmon_health(t, &s->h);
	if (ret) {
		cli_error("status", "cannot read the health block", ret);
		return ret;
	}
	ret = tsmon_head(t, &s->head);
	if (ret) {
		cli_error("status", "cannot read the ring head", ret);
		return ret;
	}
	s->now_real = clock_ns(CLOCK_REALTIME);
	s->now_mono = clock_ns(CLOCK_MONOTONIC);
	return 0;
}

static void status_usage(FILE *f, bool full)
{
	fputs("Usage: tsmon status [--json]\n", f);
	if (!full) {
		fputs("Try 'tsmon status --help' for more information.\n", f);
		return;
	}
	fputs("\nShow the clock health block kept by the tsmon module.\n"
	      "\nOptions:\n"
	      "  -j, --json  print one JSON object\n"
	      "  -h, --help  print this help and exit\n", f);
}

int cmd_status(const struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json",	no_argument,	NULL, 'j' },
		{ "help",	no_argument,	NULL, 'h' },
		{ NULL,		0,		NULL, 0 },
	};
	struct out o = { .f = stdout };
	struct status s = { 0 };
	struct tsmon *t;
	struct json j;
	bool json = false;
	size_t i;
	int c;

	while ((c = getopt_long(argc, argv, "jh", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			json = true;
			break;
		case 'h':
			status_usage(stdout, true);
			return cli_finish_output(EXIT_OK);
		default:
			status_usage(stderr, false);
			return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "tsmon status: unexpected argument '%s'\n",
			argv[optind]);
		status_usage(stderr, false);
		return EXIT_USAGE;
	}

	if (cli_open(cli, &t))
		return EXIT_ERROR;
	if (read_status(t, &s)) {
		tsmon_close(t);
		return EXIT_ERROR;
	}
	tsmon_close(t);

	if (json) {
		json_init(&j, stdout);
		o.j = &j;
		json_object_begin(&j, NULL);
	}
	for (i = 0; i < ARRAY_SIZE(sections); i++)
		sections[i](&o, &s);
	if (json)
		json_object_end(&j);
	return cli_finish_output(EXIT_OK);
}
