// SPDX-License-Identifier: GPL-2.0-only
/*
 * tsmon status: the health block, decoded. One table, status_fields[],
 * describes every fact in the order both formats list it: its text label,
 * its JSON key, where its value is and when it is known; text and JSON are
 * written from it by the same walk, so they cannot drift apart. The block comes
 * from the mapped region or, with --netlink, from the module's generic
 * netlink family; both fill the same struct status, and what a source does
 * not carry is shown as unknown.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include "cli.h"
#include "fmt.h"
#include "parse.h"
#include "print.h"
#include "prom.h"
#include "status.h"

#define LABEL_WIDTH	16

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

/* "1.5 ms (1500000 ns)" */
static const char *amount_ns(char *buf, size_t len, uint64_t ns)
{
	char a[FMT_LEN];

	snprintf(buf, len, "%s (%" PRIu64 " ns)",
		 fmt_amount(a, sizeof(a), ns), ns);
	return buf;
}

/* ---------------------------------------------------------------- fields */

struct field;

/*
 * A field's own rendering. base is the struct its offset refers to: the
 * struct status s, or for a PHC one of its slots.
 */
typedef void field_fn(const struct out *o, const struct status *s,
		      const void *base, const struct field *f);
typedef bool known_fn(const struct status *s, const void *base);

/* What a field's value is, which says how JSON shows it. */
enum kind {
	K_U,		/* unsigned number of size bytes at off */
	K_S,		/* signed number of size bytes at off */
	K_NAME,		/* NUL-padded name of size bytes at off: a string */
	K_STR,		/* the u32 at off by name, str() */
	K_BITS,		/* the names of the set bits at off, an array */
	K_FLAG,		/* whether a bit of mask is set at off: a bool */
	K_ENUM,		/* a byte of the u32 at off by name, print_enum() */
	K_OBJECT,	/* the fields up to the matching K_END, grouped */
	K_END,
	K_CUSTOM,	/* written by json() */
};

/*
 * One fact. In text, a field with a label prints its line(s): text() when
 * the value is known, else the unknown line if there is one. In JSON, a
 * field with a key writes its value, or null when it is not known; an
 * object that is not known is null as a whole. Where the two formats order
 * or group facts differently, a field has only a label (text) or only a
 * key (JSON), and sits where its format wants it.
 */
struct field {
	const char *label;	/* text label; NULL: no line of its own */
	const char *key;	/* JSON key; NULL: text only */
	enum kind kind;
	size_t off;		/* the value, in the struct at base */
	size_t size;
	known_fn *known;	/* NULL: always known */
	const char *unknown;	/* the text when not known; NULL: no line */
	field_fn *text;		/* NULL: the plain value, then unit */
	const char *unit;
	field_fn *json;				/* K_CUSTOM */
	const char *(*str)(uint32_t v);		/* K_STR */
	const struct bit_names *bits;		/* K_BITS */
	uint64_t mask;				/* K_FLAG */
	const struct enum_names *enums;		/* K_ENUM */
	unsigned int shift;			/* K_ENUM: of the byte */
};

#define MEMBER(type, m)	.off = offsetof(type, m), \
			.size = sizeof(((type *)NULL)->m)
#define ST(m)		MEMBER(struct status, m)
#define PHC(m)		MEMBER(struct tsmon_phc_slot, m)

static uint64_t get_u(const void *base, const struct field *f)
{
	const char *p = (const char *)base + f->off;
	uint32_t v32;
	uint64_t v64;

	if (f->size == sizeof(v32)) {
		memcpy(&v32, p, sizeof(v32));
		return v32;
	}
	memcpy(&v64, p, sizeof(v64));
	return v64;
}

/* The ABI keeps signed values in unsigned fields of their width. */
static int64_t get_s(const void *base, const struct field *f)
{
	uint64_t v = get_u(base, f);

	return f->size == sizeof(uint32_t) ? (int32_t)(uint32_t)v : (int64_t)v;
}

static void show_fields(const struct out *o, const struct status *s,
			const void *base, const struct field *fields,
			size_t n);

/* ------------------------------------------------- when a value is known */

static bool from_region(const struct status *s, const void *base)
{
	return !s->netlink;
}

static bool from_netlink(const struct status *s, const void *base)
{
	return s->netlink;
}

static bool probe_counts(const struct status *s, const void *base)
{
	return status_has_probe_misses(s);
}

static bool has_clocksource(const struct status *s, const void *base)
{
	return ((const char *)s->h.clocksource)[0];
}

/* Without the adjtimex hook, nothing about NTP is known. */
static bool adjtimex_hook(const struct status *s, const void *base)
{
	return s->h.hooks & TSMON_HOOK_ADJTIMEX;
}

static bool ntp_state_known(const struct status *s, const void *base)
{
	return adjtimex_hook(s, base) &&
	       s->h.ntp_state != TSMON_NTP_STATE_UNKNOWN;
}

/* The values of the latest adjtimex call, once there was one. */
static bool ntp_captured(const struct status *s, const void *base)
{
	return adjtimex_hook(s, base) && s->h.ntp_captures;
}

/* Those of sync updates, once there was one. */
static bool ntp_synced(const struct status *s, const void *base)
{
	return adjtimex_hook(s, base) && s->h.ntp_syncs;
}

/* A source that asserted no error has none to show. */
static bool sync_error_known(const struct status *s, const void *base)
{
	return ntp_synced(s, base) &&
	       s->h.sync_maxerror_ns != TSMON_SYNC_ERROR_UNKNOWN;
}

/* An interval takes two updates. */
static bool sync_intervals(const struct status *s, const void *base)
{
	return adjtimex_hook(s, base) && s->h.ntp_syncs >= 2;
}

static bool stepped(const struct status *s, const void *base)
{
	return s->h.last_step_seq;
}

static bool disrupted(const struct status *s, const void *base)
{
	return s->h.disrupt_mono_ns;
}

static bool bounded(const struct status *s, const void *base)
{
	return !(s->time.flags & TSMON_TIME_UNBOUNDED);
}

static bool sync_age_known(const struct status *s, const void *base)
{
	return s->time.sync_age_ns != UINT64_MAX;
}

static bool phc_stepped(const struct status *s, const void *base)
{
	const struct tsmon_phc_slot *p = base;

	return p->steps && p->last_step_mono_ns;
}

/* A module that predates VMClock support cannot say whether there is one. */
static bool vm_known(const struct status *s, const void *base)
{
	return status_has_vm(s);
}

static bool vm_disrupt_known(const struct status *s, const void *base)
{
	return status_has_vm(s) && s->h.vm_disrupt_mono_ns;
}

/* What the page says is known while a device is in use. */
static bool vm_page(const struct status *s, const void *base)
{
	return status_has_vm(s) && s->h.vm_state == TSMON_VM_ACTIVE;
}

static bool vm_tai_valid(const struct status *s, const void *base)
{
	return vm_page(s, base) &&
	       (s->h.vm_flags & TSMON_VMCLOCK_TAI_OFFSET_VALID);
}

static bool vm_gen_present(const struct status *s, const void *base)
{
	return vm_page(s, base) &&
	       (s->h.vm_flags & TSMON_VMCLOCK_VM_GEN_COUNTER_PRESENT);
}

/* A page that names no counter gives no time. */
static bool vm_time_known(const struct status *s, const void *base)
{
	return vm_page(s, base) && TSMON_VM_COUNTER_ID(s->h.vm_state_bits) !=
				   TSMON_VM_COUNTER_NONE;
}

static bool vm_esterror_valid(const struct status *s, const void *base)
{
	return s->h.vm_flags & VMCLOCK_TIME_ESTERROR_VALID;
}

static bool vm_maxerror_valid(const struct status *s, const void *base)
{
	return s->h.vm_flags & TSMON_VMCLOCK_TIME_MAXERROR_VALID;
}

/* ------------------------------------------------------------ names */

static const char *leap_state_name(uint32_t state)
{
	return state < ARRAY_SIZE(leap_states) ? leap_states[state] :
	       "unknown";
}

static const char *clock_name(uint32_t status)
{
	const char *name = clock_status_name(status);

	return name ? name : "unknown";
}

/* ------------------------------------------------- text of one value */

static void text_amount(const struct out *o, const struct status *s,
			const void *base, const struct field *f)
{
	char a[FMT_LEN];

	line(o, f->label, "%s", amount_ns(a, sizeof(a), get_u(base, f)));
}

/* "-250 ms (-250000000 ns)" */
static void text_delta(const struct out *o, const struct status *s,
		       const void *base, const struct field *f)
{
	int64_t v = get_s(base, f);
	char a[FMT_LEN];

	line(o, f->label, "%s (%" PRId64 " ns)", fmt_delta(a, sizeof(a), v), v);
}

/* "-12.345 ppm (-12345 ppb)" */
static void text_ppm(const struct out *o, const struct status *s,
		     const void *base, const struct field *f)
{
	int64_t v = get_s(base, f);
	char a[FMT_LEN];

	line(o, f->label, "%s ppm (%" PRId64 " ppb)",
	     fmt_ppm(a, sizeof(a), v), v);
}

static void text_step(const struct out *o, const struct status *s,
		      const void *base, const struct field *f)
{
	char a[FMT_LEN];

	line(o, f->label, "%s", fmt_step(a, sizeof(a), get_s(base, f)));
}

static void text_utc(const struct out *o, const struct status *s,
		     const void *base, const struct field *f)
{
	char a[FMT_LEN];

	line(o, f->label, "%s", fmt_utc(a, sizeof(a), get_u(base, f)));
}

/* ------------------------------------------------ the module, the ring */

static void text_instance(const struct out *o, const struct status *s,
			  const void *base, const struct field *f)
{
	line(o, f->label, "0x%016" PRIx64 " (abi %" PRIu32 ")",
	     s->info.instance_id, s->info.abi_version);
}

static void text_loaded(const struct out *o, const struct status *s,
			const void *base, const struct field *f)
{
	char t[FMT_LEN], a[FMT_LEN];

	line(o, f->label, "%s%s",
	     fmt_utc(t, sizeof(t), s->info.load_real_ns),
	     ago(a, sizeof(a), s, s->info.load_mono_ns));
}

static void text_ring(const struct out *o, const struct status *s,
		      const void *base, const struct field *f)
{
	line(o, f->label, "%" PRIu32 " entries of %" PRIu32 " bytes, head %"
	     PRIu64, s->info.ring_entries, s->info.record_size, s->head);
}

static void text_hooks(const struct out *o, const struct status *s,
		       const void *base, const struct field *f)
{
	uint32_t missing = 0;
	size_t i;

	fprintf(o->f, "%-*s", LABEL_WIDTH, f->label);
	print_bits(o, NULL, s->h.hooks, &hook_bits, " ");
	for (i = 0; i < hook_bits.n; i++)
		if (!(s->h.hooks & hook_bits.v[i].bit))
			missing |= hook_bits.v[i].bit;
	if (missing) {
		fputs(" (not attached: ", o->f);
		print_bits(o, NULL, missing, &hook_bits, " ");
		fputc(')', o->f);
	}
	fputc('\n', o->f);
}

static void text_probe_misses(const struct out *o, const struct status *s,
			      const void *base, const struct field *f)
{
	const struct tsmon_health *h = &s->h;

	if (!h->probes_missed)
		line(o, f->label, "none");
	else
		line(o, f->label, "%" PRIu64 " (NTP shadow %" PRIu64
		     ", NTP state forgotten %" PRIu64 " times): events may be "
		     "missing", (uint64_t)h->probes_missed,
		     (uint64_t)h->probes_missed_ntp, (uint64_t)h->ntp_lost);
}

/* ---------------------------------------------------------- leap, NTP */

static void text_leap(const struct out *o, const struct status *s,
		      const void *base, const struct field *f)
{
	uint32_t state = s->h.leap_state;
	uint64_t at = s->h.leap_real_ns;
	char t[FMT_LEN], span[FMT_LEN];
	const char *what;

	switch (state) {
	case TSMON_LEAP_NONE:
		line(o, f->label, "none");
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
		line(o, f->label, "unknown state %" PRIu32, state);
		return;
	}
	if (at >= s->now_real)
		line(o, f->label, "%s pending at %s (in %s)", what, t,
		     fmt_span(span, sizeof(span), at - s->now_real));
	else
		line(o, f->label, "%s pending at %s (%s ago)", what, t,
		     fmt_span(span, sizeof(span), s->now_real - at));
}

static void text_ntp_status(const struct out *o, const struct status *s,
			    const void *base, const struct field *f)
{
	fprintf(o->f, "%-*s0x%04" PRIx32 " ", LABEL_WIDTH, f->label,
		s->h.ntp_status);
	print_bits(o, NULL, s->h.ntp_status, &sta_bits, " ");
	fputc('\n', o->f);
}

static void text_ntp_state(const struct out *o, const struct status *s,
			   const void *base, const struct field *f)
{
	line(o, f->label, "%s (%s)", ntp_state_name(s->h.ntp_state),
	     ntp_state_desc(s->h.ntp_state));
}

static void text_ntp_captures(const struct out *o, const struct status *s,
			      const void *base, const struct field *f)
{
	const struct tsmon_health *h = &s->h;
	char a[FMT_LEN];

	if (!h->ntp_captures)
		line(o, f->label, "0");
	else
		line(o, f->label, "%" PRIu64 ", last %s",
		     (uint64_t)h->ntp_captures,
		     when(a, sizeof(a), s, h->ntp_capture_mono_ns));
}

static void text_capture_modes(const struct out *o, const struct status *s,
			       const void *base, const struct field *f)
{
	uint32_t modes = s->h.ntp_capture_modes;

	if (!modes) {
		line(o, f->label, "modes 0 (a read)");
		return;
	}
	fprintf(o->f, "%-*smodes 0x%04" PRIx32 ": ", LABEL_WIDTH, f->label,
		modes);
	print_bits(o, NULL, modes, &adj_bits, " ");
	fputc('\n', o->f);
}

/* What the daemon last reported through adjtimex, and how often. */
static void text_syncs(const struct out *o, const struct status *s,
		       const void *base, const struct field *f)
{
	const struct tsmon_health *h = &s->h;
	char a[FMT_LEN], b[FMT_LEN];

	if (!h->ntp_syncs) {
		line(o, f->label, "none");
		return;
	}
	line(o, f->label, "%" PRIu64 ", last %s", (uint64_t)h->ntp_syncs,
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
	if (h->sync_flags & TSMON_SYNC_STEP_RESIDUAL)
		line(o, "", "includes steps another process made just before "
		     "(the source may still be slewing them away)");
	if (h->ntp_syncs < 2)
		line(o, "", "interval unknown (one update so far)");
	else
		line(o, "", "interval %s (longest of the last 8), last %s",
		     fmt_span(a, sizeof(a), h->sync_interval_ns),
		     fmt_span(b, sizeof(b), h->sync_last_interval_ns));
}

static void json_sync_error_unknown(const struct out *o,
				    const struct status *s, const void *base,
				    const struct field *f)
{
	json_bool(o->j, f->key,
		  s->h.sync_maxerror_ns == TSMON_SYNC_ERROR_UNKNOWN);
}

/* ------------------------------------------------ steps and disruptions */

static void text_last_step(const struct out *o, const struct status *s,
			   const void *base, const struct field *f)
{
	const struct tsmon_health *h = &s->h;
	int64_t delta = (int64_t)h->last_step_delta_ns;
	char t[FMT_LEN], a[FMT_LEN], d[FMT_LEN];

	line(o, f->label, "%s%s, seq %" PRIu64,
	     fmt_utc(t, sizeof(t), h->last_step_real_ns),
	     ago(a, sizeof(a), s, h->last_step_mono_ns),
	     (uint64_t)h->last_step_seq);
	line(o, "", "delta %s (%" PRId64 " ns), reason %s",
	     fmt_delta(d, sizeof(d), delta), delta,
	     step_reason_name(h->last_step_reason));
}

static void text_disruption(const struct out *o, const struct status *s,
			    const void *base, const struct field *f)
{
	const struct tsmon_health *h = &s->h;
	char a[FMT_LEN];
	const char *name;

	if (!tsmon_event_type_name(h->disrupt_type, &name))
		line(o, f->label, "%s, %s", name,
		     when(a, sizeof(a), s, h->disrupt_mono_ns));
	else
		line(o, f->label, "type %" PRIu32 ", %s", h->disrupt_type,
		     when(a, sizeof(a), s, h->disrupt_mono_ns));
}

/* An event type by name, and by number too when it has none. */
static void json_event_type(const struct out *o, const struct status *s,
			    const void *base, const struct field *f)
{
	uint32_t type = get_u(base, f);
	const char *name;

	if (!tsmon_event_type_name(type, &name)) {
		json_string(o->j, f->key, name);
		return;
	}
	json_string(o->j, f->key, "unknown");
	json_u64(o->j, "type_id", type);
}

static void text_mults(const struct out *o, const struct status *s,
		       const void *base, const struct field *f)
{
	line(o, f->label, "tk_mult %" PRIu32 ", cs_mult %" PRIu32
	     ", cs_shift %" PRIu32, s->h.tk_mult, s->h.cs_mult, s->h.cs_shift);
}

/*
 * Every slot the library can name (lost markers are never stored, so they
 * have no count), and any other slot a newer module filled.
 */
static void show_counts(const struct out *o, const struct status *s,
			const void *base, const struct field *f)
{
	const char *label = f->label;
	char key[32];
	const char *name;
	uint32_t type;
	uint64_t n;

	if (o->j)
		json_object_begin(o->j, f->key);
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

static void text_updated(const struct out *o, const struct status *s,
			 const void *base, const struct field *f)
{
	char m[FMT_LEN], a[FMT_LEN];

	if (!s->h.update_mono_ns)
		line(o, f->label, "never");
	else
		line(o, f->label, "mono %s%s",
		     fmt_mono(m, sizeof(m), s->h.update_mono_ns),
		     ago(a, sizeof(a), s, s->h.update_mono_ns));
}

/* ------------------------------------------------------ bounded clock */

static void text_clock(const struct out *o, const struct status *s,
		       const void *base, const struct field *f)
{
	const struct tsmon_time *t = &s->time;

	if (clock_status_name(t->status))
		fprintf(o->f, "%-*s%s", LABEL_WIDTH, f->label,
			clock_status_text(t->status));
	else
		fprintf(o->f, "%-*sstatus %" PRIu32, LABEL_WIDTH, f->label,
			t->status);
	if (t->flags) {
		fputs(" (", o->f);
		print_bits(o, NULL, t->flags, &time_flag_bits, ", ");
		fputc(')', o->f);
	}
	fputc('\n', o->f);
}

/* The clock model the read was made with. */
static void text_model(const struct out *o, const struct status *s,
		       const void *base, const struct field *f)
{
	char a[FMT_LEN], b[FMT_LEN];

	line(o, f->label, "drift %s ppm, cooldown %s",
	     fmt_ppm(a, sizeof(a), (int64_t)s->drift_ppb),
	     fmt_secs(b, sizeof(b), s->cooldown_ns));
}

static void text_bound(const struct out *o, const struct status *s,
		       const void *base, const struct field *f)
{
	char a[FMT_LEN];

	line(o, f->label, "+/-%s", amount_ns(a, sizeof(a), s->time.bound_ns));
}

/* ------------------------------------------------------------- PHCs */

static void text_phc_name(const struct out *o, const struct status *s,
			  const void *base, const struct field *f)
{
	const struct tsmon_phc_slot *p = base;
	char label[16], name[NAME_LEN];

	snprintf(label, sizeof(label), "%s%" PRIu32, f->label, p->index);
	name_copy(name, p->name, sizeof(p->name), true);
	line(o, label, "\"%s\"%s", name,
	     p->flags & TSMON_PHC_AT_LOAD ? " (present at load)" : "");
}

static void text_phc_steps(const struct out *o, const struct status *s,
			   const void *base, const struct field *f)
{
	const struct tsmon_phc_slot *p = base;
	int64_t delta = (int64_t)p->last_step_delta_ns;
	char a[FMT_LEN], d[FMT_LEN];

	if (!phc_stepped(s, base))
		line(o, f->label, "steps %" PRIu64, (uint64_t)p->steps);
	else if (!delta)	/* what a settime records: it has no delta */
		line(o, f->label, "steps %" PRIu64 ", last %s, delta 0 ns",
		     (uint64_t)p->steps,
		     when(a, sizeof(a), s, p->last_step_mono_ns));
	else
		line(o, f->label, "steps %" PRIu64 ", last %s, delta %s (%"
		     PRId64 " ns)", (uint64_t)p->steps,
		     when(a, sizeof(a), s, p->last_step_mono_ns),
		     fmt_delta(d, sizeof(d), delta), delta);
}

static void text_phc_freq(const struct out *o, const struct status *s,
			  const void *base, const struct field *f)
{
	const struct tsmon_phc_slot *p = base;
	int64_t ppb = (int64_t)p->freq_ppb;
	char a[FMT_LEN];

	line(o, f->label, "frequency %s ppm (%" PRId64 " ppb), %" PRIu64
	     " updates", fmt_ppm(a, sizeof(a), ppb), ppb,
	     (uint64_t)p->freq_updates);
}

/* A slot of the PHC table, whose fields are relative to it. */
static const struct field phc_fields[] = {
	{ "ptp", "index", K_U, PHC(index), .text = text_phc_name },
	{ NULL, "name", K_NAME, PHC(name) },
	{ NULL, "at_load", K_FLAG, PHC(flags), .mask = TSMON_PHC_AT_LOAD },
	{ "", "steps", K_U, PHC(steps), .text = text_phc_steps },
	{ NULL, "last_step_mono_ns", K_U, PHC(last_step_mono_ns),
	  .known = phc_stepped },
	{ NULL, "last_step_delta_ns", K_S, PHC(last_step_delta_ns),
	  .known = phc_stepped },
	{ "", "freq_ppb", K_S, PHC(freq_ppb), .text = text_phc_freq },
	{ NULL, "freq_updates", K_U, PHC(freq_updates) },
};

/* The PTP hardware clocks registered now. */
static void show_phcs(const struct out *o, const struct status *s,
		      const void *base, const struct field *f)
{
	uint32_t n = s->h.phc_count, i;

	/* a count beyond the table would be a corrupt block: show what fits */
	if (n > TSMON_PHC_SLOTS)
		n = TSMON_PHC_SLOTS;
	if (o->j)
		json_array_begin(o->j, f->key);
	else if (!n)
		line(o, f->label, "none");
	else
		line(o, f->label, "%" PRIu32, n);
	for (i = 0; i < n; i++) {
		if (o->j)
			json_object_begin(o->j, NULL);
		show_fields(o, s, &s->h.phc[i], phc_fields,
			    ARRAY_SIZE(phc_fields));
		if (o->j)
			json_object_end(o->j);
	}
	if (o->j)
		json_array_end(o->j);
}

static void text_phc_overflow(const struct out *o, const struct status *s,
			      const void *base, const struct field *f)
{
	if (s->h.phc_overflow)
		line(o, f->label, "%" PRIu32 " (PHCs that found no free slot)",
		     s->h.phc_overflow);
}

/* Over netlink: the limits on how often PHC frequency changes are kept. */
static void text_phc_filter(const struct out *o, const struct status *s,
			    const void *base, const struct field *f)
{
	line(o, f->label, "changes of %" PRIu32 " ppb or more, at most one "
	     "per %" PRIu32 " ms", s->phc_freq_threshold_ppb,
	     s->phc_freq_interval_ms);
}

/* ------------------------------------------------------------ VMClock */

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

/* Set apart: what follows comes from the hypervisor, not this kernel. */
static void text_heading(const struct out *o, const struct status *s,
			 const void *base, const struct field *f)
{
	fprintf(o->f, "\n%s\n", f->label);
}

static void text_vm_state(const struct out *o, const struct status *s,
			  const void *base, const struct field *f)
{
	switch (s->h.vm_state) {
	case TSMON_VM_NONE:
		line(o, f->label, "no VMClock device");
		break;
	case TSMON_VM_ACTIVE:
		line(o, f->label, "active");
		break;
	case TSMON_VM_INVALID:
		line(o, f->label, "invalid (a device without a usable "
		     "VMClock v1 page)");
		break;
	case TSMON_VM_DISABLED:
		line(o, f->label, "disabled (module parameter vmclock=0)");
		break;
	default:
		line(o, f->label, "unknown state %" PRIu32, s->h.vm_state);
		break;
	}
}

/* The state by name, or by number when it has none. */
static void json_vm_state(const struct out *o, const struct status *s,
			  const void *base, const struct field *f)
{
	const char *name = vm_state_name(s->h.vm_state);

	if (name)
		json_string(o->j, f->key, name);
	else
		json_u64(o->j, f->key, s->h.vm_state);
}

static void text_vm_marker(const struct out *o, const struct status *s,
			   const void *base, const struct field *f)
{
	line(o, f->label, "%" PRIu64 " (page seq count %" PRIu32 ")",
	     (uint64_t)s->h.vm_marker, s->h.vm_seq_count);
}

/*
 * Disruptions seen are shown whatever the state now; that there were none
 * is news only about a device being watched.
 */
static void text_vm_disruptions(const struct out *o, const struct status *s,
				const void *base, const struct field *f)
{
	const struct tsmon_health *h = &s->h;
	char m[FMT_LEN], a[FMT_LEN];

	if (h->vm_disruptions && h->vm_disrupt_mono_ns)
		line(o, f->label, "%" PRIu64 ", last at mono %s%s",
		     (uint64_t)h->vm_disruptions,
		     fmt_mono(m, sizeof(m), h->vm_disrupt_mono_ns),
		     ago(a, sizeof(a), s, h->vm_disrupt_mono_ns));
	else if (h->vm_disruptions)
		line(o, f->label, "%" PRIu64, (uint64_t)h->vm_disruptions);
	else if (h->vm_state == TSMON_VM_ACTIVE)
		line(o, f->label, "none");
}

static void text_vm_flags(const struct out *o, const struct status *s,
			  const void *base, const struct field *f)
{
	uint64_t flags = s->h.vm_flags;

	if (!flags) {
		line(o, f->label, "none");
		return;
	}
	fprintf(o->f, "%-*s0x%" PRIx64 " (", LABEL_WIDTH, f->label, flags);
	print_bits(o, NULL, flags, &vmclock_bits, ", ");
	fputs(")\n", o->f);
}

static void text_vm_tai(const struct out *o, const struct status *s,
			const void *base, const struct field *f)
{
	if (vm_tai_valid(s, base))
		line(o, f->label, "%" PRId32 " s", (int32_t)s->h.vm_tai_offset);
	else
		line(o, f->label, "unknown (not valid in the page)");
}

static void text_vm_time(const struct out *o, const struct status *s,
			 const void *base, const struct field *f)
{
	const struct tsmon_health *h = &s->h;
	uint64_t flags = h->vm_flags;
	char a[FMT_LEN], b[FMT_LEN];

	if (!vm_time_known(s, base)) {
		line(o, f->label, "no time data from the hypervisor "
		     "(counter none)");
		return;
	}
	fprintf(o->f, "%-*s%s (", LABEL_WIDTH, f->label,
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

/* ------------------------------------------------------------ the table */

static const struct field status_fields[] = {
	/* the module instance; the family's reply has no load time */
	{ "instance", "abi_version", K_U, ST(info.abi_version),
	  .text = text_instance },
	{ NULL, "instance_id", K_U, ST(info.instance_id) },
	{ "loaded at", "load_real_ns", K_U, ST(info.load_real_ns),
	  .known = from_region, .unknown = "not available over netlink",
	  .text = text_loaded },
	{ NULL, "load_mono_ns", K_U, ST(info.load_mono_ns),
	  .known = from_region },
	{ "ring", "ring_entries", K_U, ST(info.ring_entries),
	  .text = text_ring },
	{ NULL, "record_size", K_U, ST(info.record_size) },
	{ NULL, "head", K_U, ST(head) },

	/* what the module watches, and what it may have missed */
	{ "hooks", "hooks", K_BITS, ST(h.hooks), .bits = &hook_bits,
	  .text = text_hooks },
	{ "probe misses", "probes_missed", K_U, ST(h.probes_missed),
	  .known = probe_counts, .unknown = "not counted by this module",
	  .text = text_probe_misses },
	{ NULL, "probes_missed_ntp", K_U, ST(h.probes_missed_ntp),
	  .known = probe_counts },
	{ NULL, "ntp_lost", K_U, ST(h.ntp_lost), .known = probe_counts },

	{ "clocksource", "clocksource", K_NAME, ST(h.clocksource),
	  .known = has_clocksource, .unknown = "unknown" },
	{ "tai offset", "tai_offset", K_S, ST(h.tai_offset), .unit = " s" },
	{ "leap second", "leap_state", K_STR, ST(h.leap_state),
	  .str = leap_state_name, .text = text_leap },
	{ NULL, "leap_real_ns", K_U, ST(h.leap_real_ns) },

	/*
	 * The kernel's NTP state at the latest adjtimex call, and what the
	 * daemon last reported through it (sync updates).
	 */
	{ "ntp status", "ntp_status", K_U, ST(h.ntp_status),
	  .known = adjtimex_hook,
	  .unknown = "unknown (adjtimex hook not attached)",
	  .text = text_ntp_status },
	{ NULL, "ntp_status_flags", K_BITS, ST(h.ntp_status),
	  .known = adjtimex_hook, .bits = &sta_bits },
	{ .key = "ntp", .kind = K_OBJECT },
	{ "ntp state", NULL, K_U, ST(h.ntp_state), .known = adjtimex_hook,
	  .text = text_ntp_state },
	{ NULL, "state", K_STR, ST(h.ntp_state), .known = ntp_state_known,
	  .str = ntp_state_name },
	{ "ntp captures", "captures", K_U, ST(h.ntp_captures),
	  .known = adjtimex_hook, .text = text_ntp_captures },
	{ NULL, "capture_mono_ns", K_U, ST(h.ntp_capture_mono_ns),
	  .known = ntp_captured },
	{ "", "capture_modes", K_U, ST(h.ntp_capture_modes),
	  .known = ntp_captured, .text = text_capture_modes },
	{ NULL, "capture_mode_flags", K_BITS, ST(h.ntp_capture_modes),
	  .known = ntp_captured, .bits = &adj_bits },
	{ NULL, "status", K_U, ST(h.ntp_status), .known = ntp_captured },
	{ NULL, "status_flags", K_BITS, ST(h.ntp_status),
	  .known = ntp_captured, .bits = &sta_bits },
	{ "ntp maxerror", "maxerror_ns", K_U, ST(h.ntp_maxerror_ns),
	  .known = ntp_captured, .text = text_amount },
	{ "ntp esterror", "esterror_ns", K_U, ST(h.ntp_esterror_ns),
	  .known = ntp_captured, .text = text_amount },
	{ "ntp offset", "offset_ns", K_S, ST(h.ntp_offset_ns),
	  .known = ntp_captured, .text = text_delta },
	{ "ntp frequency", "freq_ppb", K_S, ST(h.ntp_freq_ppb),
	  .known = ntp_captured, .text = text_ppm },
	{ "ntp constant", "constant", K_S, ST(h.ntp_constant),
	  .known = ntp_captured },
	{ "ntp tick", "tick_us", K_U, ST(h.ntp_tick_us),
	  .known = ntp_captured, .unit = " us" },
	{ "sync updates", "syncs", K_U, ST(h.ntp_syncs),
	  .known = adjtimex_hook, .text = text_syncs },
	{ NULL, "sync_mono_ns", K_U, ST(h.sync_mono_ns), .known = ntp_synced },
	{ NULL, "sync_maxerror_ns", K_U, ST(h.sync_maxerror_ns),
	  .known = sync_error_known },
	{ NULL, "sync_error_unknown", K_CUSTOM, .known = ntp_synced,
	  .json = json_sync_error_unknown },
	{ NULL, "sync_offset_ns", K_U, ST(h.sync_offset_ns),
	  .known = ntp_synced },
	{ NULL, "sync_flags", K_BITS, ST(h.sync_flags), .known = ntp_synced,
	  .bits = &sync_flag_bits },
	{ NULL, "sync_budget_ns", K_U, ST(h.sync_budget_ns),
	  .known = ntp_synced },
	{ NULL, "sync_esterror_ns", K_U, ST(h.sync_esterror_ns),
	  .known = ntp_synced },
	{ NULL, "sync_interval_ns", K_U, ST(h.sync_interval_ns),
	  .known = sync_intervals },
	{ NULL, "sync_last_interval_ns", K_U, ST(h.sync_last_interval_ns),
	  .known = sync_intervals },
	{ .kind = K_END },

	{ "last step", "last_step", K_OBJECT, .known = stepped,
	  .unknown = "none", .text = text_last_step },
	{ NULL, "seq", K_U, ST(h.last_step_seq) },
	{ NULL, "mono_ns", K_U, ST(h.last_step_mono_ns) },
	{ NULL, "real_ns", K_U, ST(h.last_step_real_ns) },
	{ NULL, "delta_ns", K_S, ST(h.last_step_delta_ns) },
	{ NULL, "reason", K_STR, ST(h.last_step_reason),
	  .str = step_reason_name },
	{ .kind = K_END },

	/* the last event after which the clock cannot be trusted a while */
	{ "last disruption", "disruption", K_OBJECT, .known = disrupted,
	  .unknown = "none", .text = text_disruption },
	{ NULL, "type", K_CUSTOM, ST(h.disrupt_type), .json = json_event_type },
	{ NULL, "mono_ns", K_U, ST(h.disrupt_mono_ns) },
	{ .kind = K_END },

	{ "frequency", "freq_ppb", K_S, ST(h.freq_ppb), .text = text_ppm },
	{ "", "tk_mult", K_U, ST(h.tk_mult), .text = text_mults },
	{ NULL, "cs_mult", K_U, ST(h.cs_mult) },
	{ NULL, "cs_shift", K_U, ST(h.cs_shift) },
	{ "events", "event_counts", K_CUSTOM, .text = show_counts,
	  .json = show_counts },
	{ "updated", "update_mono_ns", K_U, ST(h.update_mono_ns),
	  .text = text_updated },

	/*
	 * The bounded read of CLOCK_REALTIME (tsmon_now()) and the model it
	 * was made with: what a program using libtsmon would get now.
	 */
	{ "real - mono", "offs_real_ns", K_S, ST(h.offs_real_ns),
	  .text = text_step },
	{ "clock", "clock", K_OBJECT, .text = text_clock },
	{ NULL, "status", K_STR, ST(time.status), .str = clock_name },
	{ NULL, "flags", K_BITS, ST(time.flags), .bits = &time_flag_bits },
	{ "", NULL, K_CUSTOM, .text = text_model },
	{ NULL, "real_ns", K_U, ST(time.real_ns) },
	{ NULL, "mono_ns", K_U, ST(time.mono_ns) },
	{ "bound", "bound_ns", K_U, ST(time.bound_ns), .known = bounded,
	  .unknown = "unbounded", .text = text_bound },
	{ "real time", NULL, K_U, ST(time.real_ns), .text = text_utc },
	{ "earliest", "earliest_ns", K_U, ST(time.earliest_ns),
	  .known = bounded, .text = text_utc },
	{ "latest", "latest_ns", K_U, ST(time.latest_ns), .known = bounded,
	  .text = text_utc },
	{ NULL, "sync_age_ns", K_U, ST(time.sync_age_ns),
	  .known = sync_age_known },
	{ NULL, "drift_ppb", K_U, ST(drift_ppb) },
	{ NULL, "cooldown_ns", K_U, ST(cooldown_ns) },
	{ .kind = K_END },

	{ "phcs", "phcs", K_CUSTOM, .text = show_phcs, .json = show_phcs },
	{ "phc overflow", "phc_overflow", K_U, ST(h.phc_overflow),
	  .text = text_phc_overflow },
	{ "phc freq filter", "phc_freq_threshold_ppb", K_U,
	  ST(phc_freq_threshold_ppb), .known = from_netlink,
	  .text = text_phc_filter },
	{ NULL, "phc_freq_interval_ms", K_U, ST(phc_freq_interval_ms),
	  .known = from_netlink },

	/*
	 * The hypervisor's VMClock device: whether there is one, the
	 * disruptions (live migrations, snapshot restores) its marker
	 * showed since load, and a copy of what its page says about the
	 * host's clock.
	 */
	{ "Virtual machine", "vm", K_OBJECT, .text = text_heading },
	{ "vm clock", "state", K_CUSTOM, .known = vm_known,
	  .unknown = "unknown (the module predates VMClock support)",
	  .text = text_vm_state, .json = json_vm_state },
	{ "vm marker", "marker", K_U, ST(h.vm_marker), .known = vm_page,
	  .text = text_vm_marker },
	{ "vm disruptions", "disruptions", K_U, ST(h.vm_disruptions),
	  .known = vm_known, .text = text_vm_disruptions },
	{ NULL, "disruption_mono_ns", K_U, ST(h.vm_disrupt_mono_ns),
	  .known = vm_disrupt_known },
	{ NULL, "seq_count", K_U, ST(h.vm_seq_count), .known = vm_page },
	{ "vm clock status", "clock_status", K_ENUM, ST(h.vm_state_bits),
	  .known = vm_page, .enums = &vm_clock_statuses, .shift = 0 },
	{ "vm counter", "counter", K_ENUM, ST(h.vm_state_bits),
	  .known = vm_page, .enums = &vm_counters, .shift = 8 },
	{ "vm time type", "time_type", K_ENUM, ST(h.vm_state_bits),
	  .known = vm_page, .enums = &vm_time_types, .shift = 16 },
	{ "vm leap", "leap_indicator", K_ENUM, ST(h.vm_state_bits),
	  .known = vm_page, .enums = &vm_leap_indicators, .shift = 24 },
	{ "vm flags", "flags", K_U, ST(h.vm_flags), .known = vm_page,
	  .text = text_vm_flags },
	{ NULL, "flag_names", K_BITS, ST(h.vm_flags), .known = vm_page,
	  .bits = &vmclock_bits },
	{ NULL, "disruption_soon", K_FLAG, ST(h.vm_flags), .known = vm_page,
	  .mask = TSMON_VMCLOCK_DISRUPTION_SOON },
	{ NULL, "disruption_imminent", K_FLAG, ST(h.vm_flags),
	  .known = vm_page, .mask = TSMON_VMCLOCK_DISRUPTION_IMMINENT },
	{ NULL, "tai_offset_valid", K_FLAG, ST(h.vm_flags), .known = vm_page,
	  .mask = TSMON_VMCLOCK_TAI_OFFSET_VALID },
	{ "vm tai offset", NULL, K_S, ST(h.vm_tai_offset), .known = vm_page,
	  .text = text_vm_tai },
	{ NULL, "tai_offset", K_S, ST(h.vm_tai_offset),
	  .known = vm_tai_valid },
	{ "vm generation", "gen_counter", K_U, ST(h.vm_gen_counter),
	  .known = vm_gen_present },
	{ "vm time", NULL, K_CUSTOM, .known = vm_page, .text = text_vm_time },
	{ NULL, "time", K_OBJECT, .known = vm_time_known },
	{ NULL, "time_sec", K_U, ST(h.vm_time_sec) },
	{ NULL, "time_frac_sec", K_U, ST(h.vm_time_frac_sec) },
	{ NULL, "esterror_ns", K_U, ST(h.vm_time_esterror_ns),
	  .known = vm_esterror_valid },
	{ NULL, "maxerror_ns", K_U, ST(h.vm_time_maxerror_ns),
	  .known = vm_maxerror_valid },
	{ NULL, "counter_value", K_U, ST(h.vm_counter_value) },
	{ NULL, "counter_period_frac_sec", K_U,
	  ST(h.vm_counter_period_frac_sec) },
	{ NULL, "counter_period_shift", K_U, ST(h.vm_counter_period_shift) },
	{ .kind = K_END },
	{ .kind = K_END },
};

static void show_text(const struct out *o, const struct status *s,
		      const void *base, const struct field *f, bool known)
{
	char name[NAME_LEN];

	if (!f->label)
		return;
	if (!known) {
		if (f->unknown)
			line(o, f->label, "%s", f->unknown);
		return;
	}
	if (f->text) {
		f->text(o, s, base, f);
		return;
	}
	switch (f->kind) {
	case K_U:
		line(o, f->label, "%" PRIu64 "%s", get_u(base, f),
		     f->unit ? f->unit : "");
		break;
	case K_S:
		line(o, f->label, "%" PRId64 "%s", get_s(base, f),
		     f->unit ? f->unit : "");
		break;
	case K_NAME:
		name_copy(name, (const char *)base + f->off, f->size, true);
		line(o, f->label, "%s", name);
		break;
	case K_ENUM:
		fprintf(o->f, "%-*s", LABEL_WIDTH, f->label);
		print_enum(o, NULL, (get_u(base, f) >> f->shift) & 0xff,
			   f->enums);
		fputc('\n', o->f);
		break;
	default:
		/* the others have no plain text: a label needs text() */
		break;
	}
}

static void show_json(const struct out *o, const struct status *s,
		      const void *base, const struct field *f, bool known)
{
	struct json *j = o->j;
	char name[NAME_LEN];

	if (!f->key)
		return;
	if (!known) {
		json_null(j, f->key);
		return;
	}
	switch (f->kind) {
	case K_U:
		json_u64(j, f->key, get_u(base, f));
		break;
	case K_S:
		json_s64(j, f->key, get_s(base, f));
		break;
	case K_NAME:
		name_copy(name, (const char *)base + f->off, f->size, false);
		json_string(j, f->key, name);
		break;
	case K_STR:
		json_string(j, f->key, f->str(get_u(base, f)));
		break;
	case K_BITS:
		print_bits(o, f->key, get_u(base, f), f->bits, NULL);
		break;
	case K_FLAG:
		json_bool(j, f->key, get_u(base, f) & f->mask);
		break;
	case K_ENUM:
		print_enum(o, f->key, (get_u(base, f) >> f->shift) & 0xff,
			   f->enums);
		break;
	case K_OBJECT:
		json_object_begin(j, f->key);
		break;
	case K_END:
		break;
	case K_CUSTOM:
		f->json(o, s, base, f);
		break;
	}
}

/* The index of the K_END that closes the object at fields[i]. */
static size_t object_end(const struct field *fields, size_t n, size_t i)
{
	unsigned int depth = 0;

	for (; i < n; i++) {
		if (fields[i].kind == K_OBJECT)
			depth++;
		else if (fields[i].kind == K_END && !--depth)
			break;
	}
	return i;
}

static void show_fields(const struct out *o, const struct status *s,
			const void *base, const struct field *fields, size_t n)
{
	const struct field *f;
	bool known;
	size_t i;

	for (i = 0; i < n; i++) {
		f = &fields[i];
		if (f->kind == K_END) {
			if (o->j)
				json_object_end(o->j);
			continue;
		}
		known = !f->known || f->known(s, base);
		if (o->j)
			show_json(o, s, base, f, known);
		else
			show_text(o, s, base, f, known);
		/* an object not known is null, its fields unshown */
		if (f->kind == K_OBJECT && !known)
			i = object_end(fields, n, i);
	}
}

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
			if (parse_drift_opt("status", optarg, &s->drift_ppb))
				goto usage;
			break;
		case OPT_COOLDOWN:
			if (parse_duration_opt("status", "--cooldown", optarg,
					       &s->cooldown_ns))
				goto usage;
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
	show_fields(&o, &s, &s, status_fields, ARRAY_SIZE(status_fields));
	if (format == FORMAT_JSON)
		json_object_end(&j);
	return cli_finish_output(EXIT_OK);
}
