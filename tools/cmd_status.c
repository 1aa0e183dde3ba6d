// SPDX-License-Identifier: GPL-2.0-only
/*
 * tsmon status: the health block, decoded. Each section below prints one
 * topic in both formats, so text and JSON list the same facts in the same
 * order. The block comes from the mapped region or, with --netlink, from
 * the module's generic netlink family; both fill the same struct status,
 * and what a source does not carry is shown as unknown.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <sys/timex.h>
#include <time.h>

#include "cli.h"
#include "fmt.h"
#include "parse.h"
#include "print.h"
#include "prom.h"
#include "status.h"

#define LABEL_WIDTH	16

/*
 * adjtimex(2) modes, without the ADJ_ prefix. ADJ_OFFSET_SINGLESHOT is
 * ADJ_OFFSET plus a bit of its own (adjtime(3) sets it), named here.
 */
static const struct bit_name adj_names[] = {
	{ .bit = ADJ_OFFSET,		.name = "OFFSET" },
	{ .bit = ADJ_FREQUENCY,		.name = "FREQUENCY" },
	{ .bit = ADJ_MAXERROR,		.name = "MAXERROR" },
	{ .bit = ADJ_ESTERROR,		.name = "ESTERROR" },
	{ .bit = ADJ_STATUS,		.name = "STATUS" },
	{ .bit = ADJ_TIMECONST,		.name = "TIMECONST" },
	{ .bit = ADJ_TAI,		.name = "TAI" },
	{ .bit = ADJ_SETOFFSET,		.name = "SETOFFSET" },
	{ .bit = ADJ_MICRO,		.name = "MICRO" },
	{ .bit = ADJ_NANO,		.name = "NANO" },
	{ .bit = ADJ_TICK,		.name = "TICK" },
	{ .bit = ADJ_OFFSET_SINGLESHOT & ~ADJ_OFFSET,
	  .name = "SINGLESHOT" },
};

static const struct bit_names adj_bits = BIT_NAMES(adj_names);

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
 * "1.25s ago" for a CLOCK_MONOTONIC instant, or the instant itself if it
 * lies in the future, which is how a region file from another boot looks.
 */
static const char *when(char *buf, size_t len, const struct status *s,
			uint64_t mono_ns)
{
	char t[FMT_LEN];

	if (mono_ns > s->now_mono)
		snprintf(buf, len, "at mono %s",
			 fmt_mono(t, sizeof(t), mono_ns));
	else
		snprintf(buf, len, "%s ago",
			 fmt_span(t, sizeof(t), s->now_mono - mono_ns));
	return buf;
}

/* JSON: v under key, or null when it is not known. */
static void json_u64_or_null(struct json *j, const char *key, bool known,
			     uint64_t v)
{
	if (known)
		json_u64(j, key, v);
	else
		json_null(j, key);
}

static void json_s64_or_null(struct json *j, const char *key, bool known,
			     int64_t v)
{
	if (known)
		json_s64(j, key, v);
	else
		json_null(j, key);
}

/* "1.5 ms (1500000 ns)" */
static const char *amount_ns(char *buf, size_t len, uint64_t ns)
{
	char a[FMT_LEN];

	snprintf(buf, len, "%s (%" PRIu64 " ns)",
		 fmt_amount(a, sizeof(a), ns), ns);
	return buf;
}

static void show_instance(const struct out *o, const struct status *s)
{
	char t[FMT_LEN], a[FMT_LEN];

	/* the family's status reply does not carry the load time */
	if (o->j) {
		json_u64(o->j, "abi_version", s->info.abi_version);
		json_u64(o->j, "instance_id", s->info.instance_id);
		json_u64_or_null(o->j, "load_real_ns", !s->netlink,
				 s->info.load_real_ns);
		json_u64_or_null(o->j, "load_mono_ns", !s->netlink,
				 s->info.load_mono_ns);
		return;
	}
	line(o, "instance", "0x%016" PRIx64 " (abi %" PRIu32 ")",
	     s->info.instance_id, s->info.abi_version);
	if (s->netlink)
		line(o, "loaded at", "not available over netlink");
	else
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
	print_bits(o, "hooks", s->h.hooks, &hook_bits, " ");
	if (o->j) {
		if (status_has_probe_misses(s)) {
			json_u64(o->j, "probes_missed", s->h.probes_missed);
			json_u64(o->j, "probes_missed_ntp",
				 s->h.probes_missed_ntp);
			json_u64(o->j, "ntp_lost", s->h.ntp_lost);
		} else {
			json_null(o->j, "probes_missed");
			json_null(o->j, "probes_missed_ntp");
			json_null(o->j, "ntp_lost");
		}
		return;
	}
	for (i = 0; i < hook_bits.n; i++)
		if (!(s->h.hooks & hook_bits.v[i].bit))
			missing |= hook_bits.v[i].bit;
	if (missing) {
		fputs(" (not attached: ", o->f);
		print_bits(o, NULL, missing, &hook_bits, " ");
		fputc(')', o->f);
	}
	fputc('\n', o->f);
	if (!status_has_probe_misses(s))
		line(o, "probe misses", "not counted by this module");
	else if (!s->h.probes_missed)
		line(o, "probe misses", "none");
	else
		line(o, "probe misses", "%" PRIu64 " (NTP shadow %" PRIu64
		     ", NTP state forgotten %" PRIu64 " times): events may be "
		     "missing", (uint64_t)s->h.probes_missed,
		     (uint64_t)s->h.probes_missed_ntp, (uint64_t)s->h.ntp_lost);
}

static void show_clocksource(const struct out *o, const struct status *s)
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

static void show_ntp_status(const struct out *o, const struct status *s)
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
	print_bits(o, "ntp_status_flags", st, &sta_bits, " ");
	if (!o->j)
		fputc('\n', o->f);
}

/*
 * The "ntp" object: every key is there, null when its value is unknown:
 * all of them without the adjtimex hook, the values of the latest call
 * before any call, and those of sync updates before enough of them.
 */
static void json_ntp(const struct out *o, const struct tsmon_health *h)
{
	struct json *j = o->j;
	bool hook = h->hooks & TSMON_HOOK_ADJTIMEX;
	bool captured = hook && h->ntp_captures;
	bool synced = hook && h->ntp_syncs;
	bool intervals = hook && h->ntp_syncs >= 2;

	json_object_begin(j, "ntp");
	if (hook && h->ntp_state != TSMON_NTP_STATE_UNKNOWN)
		json_string(j, "state", ntp_state_name(h->ntp_state));
	else
		json_null(j, "state");
	json_u64_or_null(j, "captures", hook, h->ntp_captures);
	json_u64_or_null(j, "capture_mono_ns", captured,
			 h->ntp_capture_mono_ns);
	json_u64_or_null(j, "capture_modes", captured, h->ntp_capture_modes);
	if (captured)
		print_bits(o, "capture_mode_flags", h->ntp_capture_modes,
			   &adj_bits, NULL);
	else
		json_null(j, "capture_mode_flags");
	json_u64_or_null(j, "status", captured, h->ntp_status);
	if (captured)
		print_bits(o, "status_flags", h->ntp_status, &sta_bits, NULL);
	else
		json_null(j, "status_flags");
	json_u64_or_null(j, "maxerror_ns", captured, h->ntp_maxerror_ns);
	json_u64_or_null(j, "esterror_ns", captured, h->ntp_esterror_ns);
	json_s64_or_null(j, "offset_ns", captured,
			 (int64_t)h->ntp_offset_ns);
	json_s64_or_null(j, "freq_ppb", captured, (int64_t)h->ntp_freq_ppb);
	json_s64_or_null(j, "constant", captured, (int32_t)h->ntp_constant);
	json_u64_or_null(j, "tick_us", captured, h->ntp_tick_us);
	json_u64_or_null(j, "syncs", hook, h->ntp_syncs);
	json_u64_or_null(j, "sync_mono_ns", synced, h->sync_mono_ns);
	/* A source that asserted no error has none to show. */
	json_u64_or_null(j, "sync_maxerror_ns", synced &&
			 h->sync_maxerror_ns != TSMON_SYNC_ERROR_UNKNOWN,
			 h->sync_maxerror_ns);
	if (synced) {
		json_bool(j, "sync_error_unknown",
			  h->sync_maxerror_ns == TSMON_SYNC_ERROR_UNKNOWN);
		json_u64(j, "sync_offset_ns", h->sync_offset_ns);
		print_bits(o, "sync_flags", h->sync_flags, &sync_flag_bits,
			   NULL);
		json_u64(j, "sync_budget_ns", h->sync_budget_ns);
	} else {
		json_null(j, "sync_error_unknown");
		json_null(j, "sync_offset_ns");
		json_null(j, "sync_flags");
		json_null(j, "sync_budget_ns");
	}
	json_u64_or_null(j, "sync_esterror_ns", synced, h->sync_esterror_ns);
	json_u64_or_null(j, "sync_interval_ns", intervals,
			 h->sync_interval_ns);
	json_u64_or_null(j, "sync_last_interval_ns", intervals,
			 h->sync_last_interval_ns);
	json_object_end(j);
}

static void text_ntp_capture(const struct out *o, const struct status *s)
{
	const struct tsmon_health *h = &s->h;
	char a[FMT_LEN], p[FMT_LEN];

	line(o, "ntp captures", "%" PRIu64 ", last %s",
	     (uint64_t)h->ntp_captures,
	     when(a, sizeof(a), s, h->ntp_capture_mono_ns));
	if (!h->ntp_capture_modes) {
		line(o, "", "modes 0 (a read)");
	} else {
		fprintf(o->f, "%-*smodes 0x%04" PRIx32 ": ", LABEL_WIDTH, "",
			h->ntp_capture_modes);
		print_bits(o, NULL, h->ntp_capture_modes, &adj_bits, " ");
		fputc('\n', o->f);
	}
	line(o, "ntp maxerror", "%s", amount_ns(a, sizeof(a),
						h->ntp_maxerror_ns));
	line(o, "ntp esterror", "%s", amount_ns(a, sizeof(a),
						h->ntp_esterror_ns));
	line(o, "ntp offset", "%s (%" PRId64 " ns)",
	     fmt_delta(a, sizeof(a), (int64_t)h->ntp_offset_ns),
	     (int64_t)h->ntp_offset_ns);
	line(o, "ntp frequency", "%s ppm (%" PRId64 " ppb)",
	     fmt_ppm(p, sizeof(p), (int64_t)h->ntp_freq_ppb),
	     (int64_t)h->ntp_freq_ppb);
	line(o, "ntp constant", "%" PRId32, (int32_t)h->ntp_constant);
	line(o, "ntp tick", "%" PRIu32 " us", h->ntp_tick_us);
}

static void text_ntp_syncs(const struct out *o, const struct status *s)
{
	const struct tsmon_health *h = &s->h;
	char a[FMT_LEN], b[FMT_LEN];

	if (!h->ntp_syncs) {
		line(o, "sync updates", "none");
		return;
	}
	line(o, "sync updates", "%" PRIu64 ", last %s",
	     (uint64_t)h->ntp_syncs,
	     when(a, sizeof(a), s, h->sync_mono_ns));
	if (h->sync_flags & TSMON_SYNC_SETTLING)
		line(o, "", "error unknown: the source set maxerror 0 within "
		     "the settling time after a step (sync_budget_settle_ms)");
	else if (h->sync_maxerror_ns == TSMON_SYNC_ERROR_UNKNOWN)
		line(o, "", "error unknown: the source set maxerror 0 and no "
		     "budget is declared (tsmon config --sync-budget)");
	else
		line(o, "", "maxerror %s, esterror %s",
		     amount_ns(a, sizeof(a), h->sync_maxerror_ns),
		     amount_ns(b, sizeof(b), h->sync_esterror_ns));
	if (h->sync_flags & TSMON_SYNC_BUDGET)
		line(o, "", "the source set maxerror 0: budget %s stands in",
		     amount_ns(a, sizeof(a), h->sync_budget_ns));
	if (h->sync_flags & TSMON_SYNC_PLL_OFFSET)
		line(o, "", "includes the PLL offset still to slew, %s",
		     amount_ns(a, sizeof(a), h->sync_offset_ns));
	if (h->ntp_syncs < 2)
		line(o, "", "interval unknown (one update so far)");
	else
		line(o, "", "interval %s (longest of the last 8), last %s",
		     fmt_span(a, sizeof(a), h->sync_interval_ns),
		     fmt_span(b, sizeof(b), h->sync_last_interval_ns));
}

/*
 * What the kernel's NTP state was at the latest adjtimex call, and what
 * the daemon last reported through it (sync updates).
 */
static void show_ntp(const struct out *o, const struct status *s)
{
	const struct tsmon_health *h = &s->h;

	show_ntp_status(o, s);
	if (o->j) {
		json_ntp(o, h);
		return;
	}
	if (!(h->hooks & TSMON_HOOK_ADJTIMEX))
		return;
	line(o, "ntp state", "%s (%s)", ntp_state_name(h->ntp_state),
	     ntp_state_desc(h->ntp_state));
	if (h->ntp_captures)
		text_ntp_capture(o, s);
	else
		line(o, "ntp captures", "0");
	text_ntp_syncs(o, s);
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

/* The last event after which the clock cannot be trusted for a while. */
static void show_disruption(const struct out *o, const struct status *s)
{
	const struct tsmon_health *h = &s->h;
	char a[FMT_LEN];
	const char *name;
	bool known;

	known = !tsmon_event_type_name(h->disrupt_type, &name);
	if (!known)
		name = "unknown";
	if (o->j) {
		if (!h->disrupt_mono_ns) {
			json_null(o->j, "disruption");
			return;
		}
		json_object_begin(o->j, "disruption");
		json_string(o->j, "type", name);
		if (!known)
			json_u64(o->j, "type_id", h->disrupt_type);
		json_u64(o->j, "mono_ns", h->disrupt_mono_ns);
		json_object_end(o->j);
		return;
	}
	if (!h->disrupt_mono_ns)
		line(o, "last disruption", "none");
	else if (known)
		line(o, "last disruption", "%s, %s", name,
		     when(a, sizeof(a), s, h->disrupt_mono_ns));
	else
		line(o, "last disruption", "type %" PRIu32 ", %s",
		     h->disrupt_type,
		     when(a, sizeof(a), s, h->disrupt_mono_ns));
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

/*
 * The bounded read of CLOCK_REALTIME (tsmon_now()) and the model it was
 * made with: what a program using libtsmon would get at this instant.
 */
static void show_bounded(const struct out *o, const struct status *s)
{
	const struct tsmon_time *t = &s->time;
	bool bounded = !(t->flags & TSMON_TIME_UNBOUNDED);
	bool known = clock_status_name(t->status) != NULL;
	char a[FMT_LEN], b[FMT_LEN];

	if (o->j) {
		json_s64(o->j, "offs_real_ns", (int64_t)s->h.offs_real_ns);
		json_object_begin(o->j, "clock");
		json_string(o->j, "status", known ?
			    clock_status_name(t->status) : "unknown");
		print_bits(o, "flags", t->flags, &time_flag_bits, NULL);
		json_u64(o->j, "real_ns", t->real_ns);
		json_u64(o->j, "mono_ns", t->mono_ns);
		json_u64_or_null(o->j, "bound_ns", bounded, t->bound_ns);
		json_u64_or_null(o->j, "earliest_ns", bounded, t->earliest_ns);
		json_u64_or_null(o->j, "latest_ns", bounded, t->latest_ns);
		json_u64_or_null(o->j, "sync_age_ns",
				 t->sync_age_ns != UINT64_MAX, t->sync_age_ns);
		json_u64(o->j, "drift_ppb", s->drift_ppb);
		json_u64(o->j, "cooldown_ns", s->cooldown_ns);
		json_object_end(o->j);
		return;
	}
	line(o, "real - mono", "%s",
	     fmt_step(a, sizeof(a), (int64_t)s->h.offs_real_ns));
	if (known)
		fprintf(o->f, "%-*s%s", LABEL_WIDTH, "clock",
			clock_status_text(t->status));
	else
		fprintf(o->f, "%-*sstatus %" PRIu32, LABEL_WIDTH, "clock",
			t->status);
	if (t->flags) {
		fputs(" (", o->f);
		print_bits(o, NULL, t->flags, &time_flag_bits, ", ");
		fputc(')', o->f);
	}
	fputc('\n', o->f);
	line(o, "", "drift %s ppm, cooldown %s",
	     fmt_ppm(a, sizeof(a), (int64_t)s->drift_ppb),
	     fmt_secs(b, sizeof(b), s->cooldown_ns));
	if (bounded)
		line(o, "bound", "+/-%s", amount_ns(a, sizeof(a), t->bound_ns));
	else
		line(o, "bound", "unbounded");
	line(o, "real time", "%s", fmt_utc(a, sizeof(a), t->real_ns));
	if (!bounded)
		return;
	line(o, "earliest", "%s", fmt_utc(a, sizeof(a), t->earliest_ns));
	line(o, "latest", "%s", fmt_utc(a, sizeof(a), t->latest_ns));
}

static void json_phc(const struct out *o, const struct tsmon_phc_slot *p)
{
	struct json *j = o->j;
	bool stepped = p->steps && p->last_step_mono_ns;
	char name[NAME_LEN];

	name_copy(name, p->name, sizeof(p->name), false);
	json_object_begin(j, NULL);
	json_u64(j, "index", p->index);
	json_string(j, "name", name);
	json_bool(j, "at_load", p->flags & TSMON_PHC_AT_LOAD);
	json_u64(j, "steps", p->steps);
	json_u64_or_null(j, "last_step_mono_ns", stepped,
			 p->last_step_mono_ns);
	json_s64_or_null(j, "last_step_delta_ns", stepped,
			 (int64_t)p->last_step_delta_ns);
	json_s64(j, "freq_ppb", (int64_t)p->freq_ppb);
	json_u64(j, "freq_updates", p->freq_updates);
	json_object_end(j);
}

static void text_phc(const struct out *o, const struct status *s,
		     const struct tsmon_phc_slot *p)
{
	int64_t delta = (int64_t)p->last_step_delta_ns;
	int64_t ppb = (int64_t)p->freq_ppb;
	char label[16], name[NAME_LEN], a[FMT_LEN], d[FMT_LEN];

	snprintf(label, sizeof(label), "ptp%" PRIu32, p->index);
	name_copy(name, p->name, sizeof(p->name), true);
	line(o, label, "\"%s\"%s", name,
	     p->flags & TSMON_PHC_AT_LOAD ? " (present at load)" : "");
	if (!p->steps || !p->last_step_mono_ns)
		line(o, "", "steps %" PRIu64, (uint64_t)p->steps);
	else if (!delta)	/* what a settime records: it has no delta */
		line(o, "", "steps %" PRIu64 ", last %s, delta 0 ns",
		     (uint64_t)p->steps,
		     when(a, sizeof(a), s, p->last_step_mono_ns));
	else
		line(o, "", "steps %" PRIu64 ", last %s, delta %s (%" PRId64
		     " ns)", (uint64_t)p->steps,
		     when(a, sizeof(a), s, p->last_step_mono_ns),
		     fmt_delta(d, sizeof(d), delta), delta);
	line(o, "", "frequency %s ppm (%" PRId64 " ppb), %" PRIu64 " updates",
	     fmt_ppm(a, sizeof(a), ppb), ppb, (uint64_t)p->freq_updates);
}

/*
 * The PTP hardware clocks registered now, and over netlink the limits on
 * how often their frequency changes are recorded.
 */
static void show_phcs(const struct out *o, const struct status *s)
{
	uint32_t n = s->h.phc_count, i;

	/* a count beyond the table would be a corrupt block: show what fits */
	if (n > TSMON_PHC_SLOTS)
		n = TSMON_PHC_SLOTS;
	if (o->j) {
		json_array_begin(o->j, "phcs");
		for (i = 0; i < n; i++)
			json_phc(o, &s->h.phc[i]);
		json_array_end(o->j);
		json_u64(o->j, "phc_overflow", s->h.phc_overflow);
		json_u64_or_null(o->j, "phc_freq_threshold_ppb", s->netlink,
				 s->phc_freq_threshold_ppb);
		json_u64_or_null(o->j, "phc_freq_interval_ms", s->netlink,
				 s->phc_freq_interval_ms);
		return;
	}
	if (!n)
		line(o, "phcs", "none");
	else
		line(o, "phcs", "%" PRIu32, n);
	for (i = 0; i < n; i++)
		text_phc(o, s, &s->h.phc[i]);
	if (s->h.phc_overflow)
		line(o, "phc overflow", "%" PRIu32 " (PHCs that found no "
		     "free slot)", s->h.phc_overflow);
	if (s->netlink)
		line(o, "phc freq filter", "changes of %" PRIu32 " ppb or "
		     "more, at most one per %" PRIu32 " ms",
		     s->phc_freq_threshold_ppb, s->phc_freq_interval_ms);
}

static void json_bool_or_null(struct json *j, const char *key, bool known,
			      bool v)
{
	if (known)
		json_bool(j, key, v);
	else
		json_null(j, key);
}

/*
 * The VMClock page's time, seconds and a fraction in units of 2^-64 s, as
 * "1798761600.500000000": truncated to the nanosecond, as no more is shown.
 */
static const char *vm_time(char *buf, size_t len, uint64_t sec, uint64_t frac)
{
	uint64_t ns;

	ns = (uint64_t)(((unsigned __int128)frac * NSEC_PER_SEC) >> 64);
	snprintf(buf, len, "%" PRIu64 ".%09" PRIu64, sec, ns);
	return buf;
}

/*
 * The counter's period, in units of 2^-(64 + shift) s, as nanoseconds with
 * nine decimals ("0.333333333 ns" for a 3 GHz counter), truncated: the
 * product with 10^18 stays below 2^124, so nothing is lost before the
 * shift. A shift that leaves less than 2^-128 s shows as 0.
 */
static const char *vm_period(char *buf, size_t len, uint64_t frac,
			     uint32_t shift)
{
	unsigned __int128 as = 0;	/* attoseconds */

	if (shift < 64)
		as = ((unsigned __int128)frac * 1000000000000000000ULL) >>
		     (64 + shift);
	snprintf(buf, len, "%" PRIu64 ".%09" PRIu64 " ns",
		 (uint64_t)(as / NSEC_PER_SEC), (uint64_t)(as % NSEC_PER_SEC));
	return buf;
}

/*
 * The "vm" object: every key is there. The state is null when the module
 * predates VMClock support (its block is too short to say); what the page
 * says is null unless a device is in use, and the time data is null as
 * well when the page names no counter: then the hypervisor gives no time.
 */
static void json_vm(const struct out *o, const struct status *s)
{
	const struct tsmon_health *h = &s->h;
	struct json *j = o->j;
	bool known = status_has_vm(s);
	bool page = known && h->vm_state == TSMON_VM_ACTIVE;
	uint32_t bits = h->vm_state_bits;
	uint64_t flags = h->vm_flags;
	const char *state = vm_state_name(h->vm_state);

	json_object_begin(j, "vm");
	if (!known)
		json_null(j, "state");
	else if (state)
		json_string(j, "state", state);
	else
		json_u64(j, "state", h->vm_state);
	json_u64_or_null(j, "marker", page, h->vm_marker);
	json_u64_or_null(j, "disruptions", known, h->vm_disruptions);
	json_u64_or_null(j, "disruption_mono_ns",
			 known && h->vm_disrupt_mono_ns, h->vm_disrupt_mono_ns);
	json_u64_or_null(j, "seq_count", page, h->vm_seq_count);
	if (page) {
		print_enum(o, "clock_status", TSMON_VM_CLOCK_STATUS(bits),
			   &vm_clock_statuses);
		print_enum(o, "counter", TSMON_VM_COUNTER_ID(bits),
			   &vm_counters);
		print_enum(o, "time_type", TSMON_VM_TIME_TYPE(bits),
			   &vm_time_types);
		print_enum(o, "leap_indicator", TSMON_VM_LEAP_INDICATOR(bits),
			   &vm_leap_indicators);
		json_u64(j, "flags", flags);
		print_bits(o, "flag_names", flags, &vmclock_bits, NULL);
	} else {
		json_null(j, "clock_status");
		json_null(j, "counter");
		json_null(j, "time_type");
		json_null(j, "leap_indicator");
		json_null(j, "flags");
		json_null(j, "flag_names");
	}
	json_bool_or_null(j, "disruption_soon", page,
			  flags & TSMON_VMCLOCK_DISRUPTION_SOON);
	json_bool_or_null(j, "disruption_imminent", page,
			  flags & TSMON_VMCLOCK_DISRUPTION_IMMINENT);
	json_bool_or_null(j, "tai_offset_valid", page,
			  flags & TSMON_VMCLOCK_TAI_OFFSET_VALID);
	json_s64_or_null(j, "tai_offset",
			 page && (flags & TSMON_VMCLOCK_TAI_OFFSET_VALID),
			 (int32_t)h->vm_tai_offset);
	json_u64_or_null(j, "gen_counter",
			 page && (flags & TSMON_VMCLOCK_VM_GEN_COUNTER_PRESENT),
			 h->vm_gen_counter);
	if (!page || TSMON_VM_COUNTER_ID(bits) == TSMON_VM_COUNTER_NONE) {
		json_null(j, "time");
		json_object_end(j);
		return;
	}
	json_object_begin(j, "time");
	json_u64(j, "time_sec", h->vm_time_sec);
	json_u64(j, "time_frac_sec", h->vm_time_frac_sec);
	json_u64_or_null(j, "esterror_ns", flags & VMCLOCK_TIME_ESTERROR_VALID,
			 h->vm_time_esterror_ns);
	json_u64_or_null(j, "maxerror_ns",
			 flags & TSMON_VMCLOCK_TIME_MAXERROR_VALID,
			 h->vm_time_maxerror_ns);
	json_u64(j, "counter_value", h->vm_counter_value);
	json_u64(j, "counter_period_frac_sec", h->vm_counter_period_frac_sec);
	json_u64(j, "counter_period_shift", h->vm_counter_period_shift);
	json_object_end(j);
	json_object_end(j);
}

/* "vm label  value", the value one of a page's one-byte fields by name. */
static void text_vm_enum(const struct out *o, const char *label, uint32_t v,
			 const struct enum_names *names)
{
	fprintf(o->f, "%-*s", LABEL_WIDTH, label);
	print_enum(o, NULL, v, names);
	fputc('\n', o->f);
}

static void text_vm_time(const struct out *o, const struct tsmon_health *h)
{
	uint64_t flags = h->vm_flags;
	char a[FMT_LEN], b[FMT_LEN];

	if (TSMON_VM_COUNTER_ID(h->vm_state_bits) == TSMON_VM_COUNTER_NONE) {
		line(o, "vm time", "no time data from the hypervisor "
		     "(counter none)");
		return;
	}
	fprintf(o->f, "%-*s%s (", LABEL_WIDTH, "vm time",
		vm_time(a, sizeof(a), h->vm_time_sec, h->vm_time_frac_sec));
	print_enum(o, NULL, TSMON_VM_TIME_TYPE(h->vm_state_bits),
		   &vm_time_types);
	fputs(")\n", o->f);
	if (flags & VMCLOCK_TIME_ESTERROR_VALID)
		amount_ns(a, sizeof(a), h->vm_time_esterror_ns);
	else
		snprintf(a, sizeof(a), "unknown");
	if (flags & TSMON_VMCLOCK_TIME_MAXERROR_VALID)
		amount_ns(b, sizeof(b), h->vm_time_maxerror_ns);
	else
		snprintf(b, sizeof(b), "unknown");
	line(o, "", "esterror %s, maxerror %s", a, b);
	line(o, "", "counter %" PRIu64 ", period %s (frac %" PRIu64
	     ", shift %" PRIu32 ")", (uint64_t)h->vm_counter_value,
	     vm_period(a, sizeof(a), h->vm_counter_period_frac_sec,
		       h->vm_counter_period_shift),
	     (uint64_t)h->vm_counter_period_frac_sec,
	     h->vm_counter_period_shift);
}

static void text_vm(const struct out *o, const struct status *s)
{
	const struct tsmon_health *h = &s->h;
	uint32_t bits = h->vm_state_bits;
	uint64_t flags = h->vm_flags;
	char m[FMT_LEN], a[FMT_LEN];

	/* set apart: what follows comes from the hypervisor, not this kernel */
	fputs("\nVirtual machine\n", o->f);
	if (!status_has_vm(s)) {
		line(o, "vm clock", "unknown (the module predates VMClock "
		     "support)");
		return;
	}
	switch (h->vm_state) {
	case TSMON_VM_NONE:
		line(o, "vm clock", "no VMClock device");
		break;
	case TSMON_VM_ACTIVE:
		line(o, "vm clock", "active");
		line(o, "vm marker", "%" PRIu64 " (page seq count %" PRIu32 ")",
		     (uint64_t)h->vm_marker, h->vm_seq_count);
		break;
	case TSMON_VM_INVALID:
		line(o, "vm clock", "invalid (a device without a usable "
		     "VMClock v1 page)");
		break;
	case TSMON_VM_DISABLED:
		line(o, "vm clock", "disabled (module parameter vmclock=0)");
		break;
	default:
		line(o, "vm clock", "unknown state %" PRIu32, h->vm_state);
		break;
	}
	/*
	 * Disruptions seen are shown whatever the state now; that there
	 * were none is news only about a device being watched.
	 */
	if (h->vm_disruptions && h->vm_disrupt_mono_ns)
		line(o, "vm disruptions", "%" PRIu64 ", last at mono %s%s",
		     (uint64_t)h->vm_disruptions,
		     fmt_mono(m, sizeof(m), h->vm_disrupt_mono_ns),
		     ago(a, sizeof(a), s, h->vm_disrupt_mono_ns));
	else if (h->vm_disruptions)
		line(o, "vm disruptions", "%" PRIu64,
		     (uint64_t)h->vm_disruptions);
	else if (h->vm_state == TSMON_VM_ACTIVE)
		line(o, "vm disruptions", "none");
	if (h->vm_state != TSMON_VM_ACTIVE)
		return;

	text_vm_enum(o, "vm clock status", TSMON_VM_CLOCK_STATUS(bits),
		     &vm_clock_statuses);
	text_vm_enum(o, "vm counter", TSMON_VM_COUNTER_ID(bits), &vm_counters);
	text_vm_enum(o, "vm time type", TSMON_VM_TIME_TYPE(bits),
		     &vm_time_types);
	text_vm_enum(o, "vm leap", TSMON_VM_LEAP_INDICATOR(bits),
		     &vm_leap_indicators);
	if (!flags) {
		line(o, "vm flags", "none");
	} else {
		fprintf(o->f, "%-*s0x%" PRIx64 " (", LABEL_WIDTH, "vm flags",
			flags);
		print_bits(o, NULL, flags, &vmclock_bits, ", ");
		fputs(")\n", o->f);
	}
	if (flags & TSMON_VMCLOCK_TAI_OFFSET_VALID)
		line(o, "vm tai offset", "%" PRId32 " s",
		     (int32_t)h->vm_tai_offset);
	else
		line(o, "vm tai offset", "unknown (not valid in the page)");
	if (flags & TSMON_VMCLOCK_VM_GEN_COUNTER_PRESENT)
		line(o, "vm generation", "%" PRIu64,
		     (uint64_t)h->vm_gen_counter);
	text_vm_time(o, h);
}

/*
 * The hypervisor's VMClock device: whether there is one, the disruptions
 * (live migrations, snapshot restores) its marker showed since load, and
 * a copy of what its page says about the host's clock.
 */
static void show_vm(const struct out *o, const struct status *s)
{
	if (o->j)
		json_vm(o, s);
	else
		text_vm(o, s);
}

static void (*const sections[])(const struct out *, const struct status *) = {
	show_instance,
	show_ring,
	show_hooks,
	show_clocksource,
	show_leap,
	show_ntp,
	show_last_step,
	show_disruption,
	show_freq,
	show_counts,
	show_updated,
	show_bounded,
	show_phcs,
	show_vm,
};


enum format {
	FORMAT_TEXT,
	FORMAT_JSON,
	FORMAT_PROMETHEUS,
};

static void status_usage(FILE *f, bool full)
{
	fputs("Usage: tsmon status [--json | --prometheus] [--netlink] "
	      "[--drift PPB|kernel]\n"
	      "                    [--cooldown SECONDS]\n", f);
	if (!full) {
		fputs("Try 'tsmon status --help' for more information.\n", f);
		return;
	}
	fputs("\nShow the clock health block kept by the tsmon module, and "
	      "the error bound of\nCLOCK_REALTIME it implies.\n"
	      "\nOptions:\n"
	      "  -j, --json              print one JSON object\n"
	      "  -p, --prometheus        print the Prometheus text exposition "
	      "format\n"
	      "      --netlink           ask the module over generic netlink "
	      "instead of\n"
	      "                          mapping the device\n"
	      "      --drift PPB|kernel  frequency error assumed since the "
	      "last sync update,\n"
	      "                          in parts per billion (default "
	      "50000), or 'kernel'\n"
	      "                          for the kernel's 500 ppm\n"
	      "      --cooldown SECONDS  how long a disruption makes the "
	      "clock DISRUPTED\n"
	      "                          (default 5)\n"
	      "  -h, --help              print this help and exit\n", f);
}

/*
 * Returns true when the command is over before it began (--help or a usage
 * error), with its exit status in *status.
 */
static bool parse_status_opts(int argc, char **argv, struct status *s,
			      enum format *format, bool *netlink, int *status)
{
	enum { OPT_DRIFT = 256, OPT_COOLDOWN, OPT_NETLINK };
	static const struct option opts[] = {
		{ "json",	no_argument,		NULL, 'j' },
		{ "prometheus",	no_argument,		NULL, 'p' },
		{ "netlink",	no_argument,		NULL, OPT_NETLINK },
		{ "drift",	required_argument,	NULL, OPT_DRIFT },
		{ "cooldown",	required_argument,	NULL, OPT_COOLDOWN },
		{ "help",	no_argument,		NULL, 'h' },
		{ NULL,		0,			NULL, 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, "jph", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
		case 'p':
			if (*format != FORMAT_TEXT) {
				fputs("tsmon status: --json and --prometheus "
				      "exclude each other\n", stderr);
				goto usage;
			}
			*format = c == 'j' ? FORMAT_JSON : FORMAT_PROMETHEUS;
			break;
		case OPT_NETLINK:
			*netlink = true;
			break;
		case OPT_DRIFT:
			if (parse_drift(optarg, &s->drift_ppb)) {
				fprintf(stderr, "tsmon status: --drift needs "
					"parts per billion from 0 to "
					"1000000000 or 'kernel', not '%s'\n",
					optarg);
				goto usage;
			}
			break;
		case OPT_COOLDOWN:
			if (parse_secs(optarg, &s->cooldown_ns)) {
				fprintf(stderr, "tsmon status: --cooldown "
					"needs seconds (such as 5 or 0.25), "
					"not '%s'\n", optarg);
				goto usage;
			}
			break;
		case 'h':
			status_usage(stdout, true);
			*status = cli_finish_output(EXIT_OK);
			return true;
		default:
			goto usage;
		}
	}
	if (cli_extra_operand("status", argc, argv))
		goto usage;
	return false;

usage:
	status_usage(stderr, false);
	*status = EXIT_USAGE;
	return true;
}

int cmd_status(const struct cli *cli, int argc, char **argv)
{
	struct status s = STATUS_INIT;
	enum format format = FORMAT_TEXT;
	struct out o = { .f = stdout };
	bool netlink = false;
	struct json j;
	size_t i;
	int ret;

	if (parse_status_opts(argc, argv, &s, &format, &netlink, &ret))
		return ret;

	ret = netlink ? status_read_netlink("status", &s) :
			status_read_device(cli, "status", &s);
	if (format == FORMAT_PROMETHEUS) {
		/* a scrape still learns that tsmon is down: tsmon_up 0 */
		prom_write(stdout, ret ? NULL : &s,
			   netlink ? NULL : cli->device);
		return cli_finish_output(ret ? EXIT_ERROR : EXIT_OK);
	}
	if (ret)
		return EXIT_ERROR;

	if (format == FORMAT_JSON) {
		json_init(&j, stdout);
		o.j = &j;
		json_object_begin(&j, NULL);
	}
	for (i = 0; i < ARRAY_SIZE(sections); i++)
		sections[i](&o, &s);
	if (format == FORMAT_JSON)
		json_object_end(&j);
	return cli_finish_output(EXIT_OK);
}
