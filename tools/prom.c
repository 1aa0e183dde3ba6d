// SPDX-License-Identifier: GPL-2.0-only
/*
 * Prometheus text exposition of the health block. Every value is derived
 * from one struct status, the one `tsmon status` prints, so the two cannot
 * disagree. Durations are written in seconds as exact decimals converted
 * from integer nanoseconds: no floating point touches them.
 *
 * A metric whose value is not known (no adjtimex call seen, no step since
 * the module was loaded) is left out rather than given a made-up value:
 * absent() and comparisons then behave as a monitoring rule expects.
 */
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/timex.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "fmt.h"
#include "prom.h"

#define VALUE_LEN	32

static void family(FILE *f, const char *name, const char *type,
		   const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* A label value with the three characters the format escapes. */
static void put_label_value(FILE *f, const char *v)
{
	for (; *v; v++) {
		if (*v == '\\')
			fputs("\\\\", f);
		else if (*v == '"')
			fputs("\\\"", f);
		else if (*v == '\n')
			fputs("\\n", f);
		else
			fputc(*v, f);
	}
}

/* name{k1="v1",...} value; labels is a NULL-ended list of name, value. */
static void sample(FILE *f, const char *name, const char *const *labels,
		   const char *value)
{
	const char *sep = "{";

	fputs(name, f);
	for (; labels && labels[0]; labels += 2) {
		fprintf(f, "%s%s=\"", sep, labels[0]);
		put_label_value(f, labels[1]);
		fputc('"', f);
		sep = ",";
	}
	if (sep[0] == ',')
		fputc('}', f);
	fprintf(f, " %s\n", value);
}

static const char *u64_value(char *buf, uint64_t v)
{
	snprintf(buf, VALUE_LEN, "%" PRIu64, v);
	return buf;
}

static const char *s64_value(char *buf, int64_t v)
{
	snprintf(buf, VALUE_LEN, "%" PRId64, v);
	return buf;
}

/* Nanoseconds as seconds, an exact decimal (fmt_seconds()). */
static const char *secs_value(char *buf, uint64_t ns)
{
	return fmt_seconds(buf, VALUE_LEN, ns);
}

/* The same, signed; also for a ratio kept in billionths. */
static const char *ssecs_value(char *buf, int64_t ns)
{
	if (ns >= 0)
		return secs_value(buf, (uint64_t)ns);
	/* via unsigned negation, so INT64_MIN is fine too */
	buf[0] = '-';
	fmt_seconds(buf + 1, VALUE_LEN - 1, -(uint64_t)ns);
	return buf;
}

/* A gauge or counter with one unlabelled sample. */
static void single(FILE *f, const char *name, const char *type,
		   const char *help, const char *value)
{
	family(f, name, type, help);
	sample(f, name, NULL, value);
}

static void write_info(FILE *f)
{
	struct utsname u;
	const char *labels[] = {
		"version", TSMON_VERSION,
		"kernel", "",
		NULL,
	};

	if (!uname(&u))
		labels[3] = u.release;
	family(f, "tsmon_info", "gauge",
	       "Constant 1, labelled with the version of this tsmon command "
	       "and the release of the running kernel.");
	sample(f, "tsmon_info", labels, "1");
}

/*
 * The statistics directory of the module's device, when path is that
 * device: /sys/dev/char/MAJOR:MINOR names it from the node itself, so a
 * region file or another device never borrows the module's counters.
 */
static bool stats_dir(const char *path, char *dir, size_t len)
{
	struct stat st;

	if (!path) {
		snprintf(dir, len, "/sys/class/misc/tsmon/stats");
		return true;
	}
	if (stat(path, &st) || !S_ISCHR(st.st_mode))
		return false;
	snprintf(dir, len, "/sys/dev/char/%u:%u/stats", major(st.st_rdev),
		 minor(st.st_rdev));
	return true;
}

/* A decimal counter from a sysfs file; false when it cannot be read. */
static bool read_stat(const char *dir, const char *name, uint64_t *v)
{
	char path[128], buf[32];
	unsigned long long n;
	ssize_t len;
	char *end;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	len = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (len <= 0)
		return false;
	buf[len] = '\0';
	n = strtoull(buf, &end, 10);
	if (end == buf || (*end && *end != '\n'))
		return false;
	*v = n;
	return true;
}

static void write_clock(FILE *f, const struct status *s)
{
	const struct tsmon_time *t = &s->time;
	const char *name = clock_status_name(t->status);
	char v[VALUE_LEN], flags[128];
	const char *labels[] = { "state", name ? name : "unknown",
				 "flags", flags, NULL };
	size_t i, n = 0;

	flags[0] = '\0';
	for (i = 0; i < time_flag_bits.n; i++)
		if (t->flags & time_flag_bits.v[i].bit)
			n += snprintf(flags + n, sizeof(flags) - n, "%s%s",
				      n ? "," : "", time_flag_bits.v[i].name);

	single(f, "tsmon_sync_state", "gauge",
	       "State of the bounded clock (tsmon_now): 0 unknown, "
	       "1 synchronized, 2 free_running, 3 disrupted; "
	       "tsmon_sync_state_info names it and why.",
	       u64_value(v, t->status));
	family(f, "tsmon_sync_state_info", "gauge",
	       "Constant 1, labelled with the state of the bounded clock and "
	       "the reasons for it (tsmon_now flags, comma-separated).");
	sample(f, "tsmon_sync_state_info", labels, "1");

	single(f, "tsmon_bound_seconds", "gauge",
	       "Error bound of CLOCK_REALTIME from tsmon_now: true time lies "
	       "within real time plus or minus this (half the width of "
	       "[earliest, latest]): the maxerror of the last sync update "
	       "plus the assumed drift since it. +Inf when no bound is known.",
	       t->flags & TSMON_TIME_UNBOUNDED ? "+Inf" :
	       secs_value(v, t->bound_ns));

	if (t->sync_age_ns != UINT64_MAX)
		single(f, "tsmon_sync_age_seconds", "gauge",
		       "Time since the last sync update (an adjtimex call "
		       "that set the maxerror), on CLOCK_MONOTONIC. Absent "
		       "when none was seen since the module was loaded.",
		       secs_value(v, t->sync_age_ns));
}

static void write_steps(FILE *f, const struct status *s)
{
	const struct tsmon_health *h = &s->h;
	char v[VALUE_LEN];

	single(f, "tsmon_steps_total", "counter",
	       "Steps of CLOCK_REALTIME (settimeofday, clock_settime, "
	       "ADJ_SETOFFSET, other kernel callers) since the module was "
	       "loaded; leap seconds are counted in tsmon_leap_seconds_total.",
	       u64_value(v, h->event_count[TSMON_EVENT_CLOCK_STEP]));

	/* a step at a later instant than now was not taken during this boot */
	if (h->last_step_seq && h->last_step_mono_ns <= s->now_mono)
		single(f, "tsmon_seconds_since_last_step", "gauge",
		       "Time since the last step of CLOCK_REALTIME, on "
		       "CLOCK_MONOTONIC (later steps do not distort it). "
		       "Absent when there was no step since the module was "
		       "loaded.",
		       secs_value(v, s->now_mono - h->last_step_mono_ns));

	single(f, "tsmon_leap_seconds_total", "counter",
	       "Leap seconds the kernel applied since the module was loaded.",
	       u64_value(v, h->event_count[TSMON_EVENT_LEAP_APPLIED]));
	single(f, "tsmon_leap_pending", "gauge",
	       "Leap second armed in the kernel: 1 an insertion (23:59:60), "
	       "-1 a deletion (23:59:59 skipped), 0 none.",
	       s64_value(v, h->leap_state == TSMON_LEAP_INSERT_PENDING ? 1 :
			 h->leap_state == TSMON_LEAP_DELETE_PENDING ? -1 : 0));
	single(f, "tsmon_ntp_sync_losses_total", "counter",
	       "Times the kernel's NTP status became unsynchronised "
	       "(STA_UNSYNC set after being clear) since the module was "
	       "loaded.",
	       u64_value(v, h->event_count[TSMON_EVENT_NTP_UNSYNC]));
}

static void write_events(FILE *f, const struct status *s,
			 const char *device)
{
	const char *labels[] = { "type", NULL, NULL };
	char v[VALUE_LEN], key[32], dir[64];
	const char *name;
	uint32_t type;
	uint64_t n;

	family(f, "tsmon_events_total", "counter",
	       "Records the module wrote since it was loaded, by event type.");
	for (type = 1; type < TSMON_EVENT_SLOTS; type++) {
		/* lost markers are made by readers, never counted */
		if (type == TSMON_EVENT_LOST)
			continue;
		n = s->h.event_count[type];
		if (tsmon_event_type_name(type, &name)) {
			/* a type newer than this tool: shown once it occurs */
			if (!n)
				continue;
			snprintf(key, sizeof(key), "type_%" PRIu32, type);
			name = key;
		}
		labels[1] = name;
		sample(f, "tsmon_events_total", labels, u64_value(v, n));
	}

	if (status_has_probe_misses(s)) {
		single(f, "tsmon_probe_misses_total", "counter",
		       "Calls the module's kprobes and kretprobes missed (another "
		       "kprobe handler running on that CPU, or no free "
		       "kretprobe instance): events that may be missing.",
		       u64_value(v, s->h.probes_missed));
		single(f, "tsmon_probe_misses_ntp_total", "counter",
		       "Those of the NTP state's probes (second_overflow, "
		       "ntp_clear, adjtimex).",
		       u64_value(v, s->h.probes_missed_ntp));
		single(f, "tsmon_ntp_state_lost_total", "counter",
		       "Times such a miss made the module forget the kernel's "
		       "NTP state until the next adjtimex call.",
		       u64_value(v, s->h.ntp_lost));
	}

	if (stats_dir(device, dir, sizeof(dir)) &&
	    read_stat(dir, "adjtimex_missed", &n))
		single(f, "tsmon_lost_events_total", "counter",
		       "Events the module may have missed: adjtimex calls its "
		       "return probe could not follow (sysfs "
		       "stats/adjtimex_missed). Records are never dropped as "
		       "they are written.",
		       u64_value(v, n));
}

/* One sample of a per-PHC family, labelled phc="ptpN". */
static void phc_sample(FILE *f, const char *name, const struct tsmon_phc_slot *p,
		       const char *value)
{
	const char *labels[] = { "phc", NULL, NULL };
	char phc[16];

	snprintf(phc, sizeof(phc), "ptp%" PRIu32, p->index);
	labels[1] = phc;
	sample(f, name, labels, value);
}

static void write_phcs(FILE *f, const struct status *s)
{
	const struct tsmon_phc_slot *p = s->h.phc;
	uint32_t n = s->h.phc_count, i;
	char v[VALUE_LEN];

	if (n > TSMON_PHC_SLOTS)
		n = TSMON_PHC_SLOTS;
	if (!n)
		return;
	family(f, "tsmon_phc_steps_total", "counter",
	       "Steps (clock_settime, ADJ_SETOFFSET) of each PTP hardware "
	       "clock registered now, since it was registered or the module "
	       "was loaded.");
	for (i = 0; i < n; i++)
		phc_sample(f, "tsmon_phc_steps_total", &p[i],
			   u64_value(v, p[i].steps));
	/* As tsmon_timex_frequency_adjustment_ratio: 1 + ppb / 10^9. */
	family(f, "tsmon_phc_frequency_adjustment_ratio", "gauge",
	       "Frequency adjustment of each PTP hardware clock registered "
	       "now, as its last ADJ_FREQUENCY set it (1 before any).");
	for (i = 0; i < n; i++)
		phc_sample(f, "tsmon_phc_frequency_adjustment_ratio", &p[i],
			   ssecs_value(v, (int64_t)NSEC_PER_SEC +
					  (int64_t)p[i].freq_ppb));
	family(f, "tsmon_phc_frequency_updates_total", "counter",
	       "ADJ_FREQUENCY calls on each PTP hardware clock registered now.");
	for (i = 0; i < n; i++)
		phc_sample(f, "tsmon_phc_frequency_updates_total", &p[i],
			   u64_value(v, p[i].freq_updates));
}

/*
 * The hypervisor's VMClock device. Nothing is written for a module that
 * predates VMClock support: it cannot tell a VM without the device from
 * one with it. What the page says is written only while a device is in
 * use, its time errors only when the page gives time and marks them valid.
 */
static void write_vm(FILE *f, const struct status *s)
{
	/* the labels of tsmon_vm_clock_info, in order */
	static const struct enum_names *const enums[] = {
		&vm_clock_statuses, &vm_counters, &vm_time_types,
		&vm_leap_indicators,
	};
	const struct tsmon_health *h = &s->h;
	uint32_t bits = h->vm_state_bits;
	uint64_t flags = h->vm_flags;
	const char *labels[] = {
		"clock_status", NULL, "counter", NULL, "time_type", NULL,
		"leap_indicator", NULL, NULL,
	};
	char v[VALUE_LEN], names[4][16];
	const char *name;
	uint32_t val[4];
	size_t i;

	if (!status_has_vm(s))
		return;
	single(f, "tsmon_vm_clock_present", "gauge",
	       "1 if a VMClock device (the hypervisor's clock page, whose "
	       "disruption marker changes on live migration and snapshot "
	       "restore) is watched, 0 if not: see tsmon_vm_clock_state.",
	       h->vm_state == TSMON_VM_ACTIVE ? "1" : "0");
	single(f, "tsmon_vm_clock_state", "gauge",
	       "The VMClock device: 0 none, 1 active (watched), 2 invalid "
	       "(found, no usable VMClock v1 page), 3 disabled (module "
	       "parameter vmclock=0).",
	       u64_value(v, h->vm_state));
	single(f, "tsmon_vm_disruptions_total", "counter",
	       "Changes of the VMClock disruption marker (live migrations, "
	       "snapshot restores) since the module was loaded.",
	       u64_value(v, h->vm_disruptions));
	if (h->vm_disrupt_mono_ns && h->vm_disrupt_mono_ns <= s->now_mono)
		single(f, "tsmon_vm_seconds_since_last_disruption", "gauge",
		       "Time since the last change of the VMClock disruption "
		       "marker, on CLOCK_MONOTONIC. Absent when there was none "
		       "since the module was loaded.",
		       secs_value(v, s->now_mono - h->vm_disrupt_mono_ns));
	if (h->vm_state != TSMON_VM_ACTIVE)
		return;

	/* a float64 holds it exactly up to 2^53: enough to see it change */
	single(f, "tsmon_vm_disruption_marker", "gauge",
	       "The VMClock disruption marker as last read: it changes on "
	       "every live migration or snapshot restore.",
	       u64_value(v, h->vm_marker));
	single(f, "tsmon_vm_disruption_soon", "gauge",
	       "1 if the hypervisor announces a disruption (live migration) "
	       "within about a day, 0 if not.",
	       flags & TSMON_VMCLOCK_DISRUPTION_SOON ? "1" : "0");
	single(f, "tsmon_vm_disruption_imminent", "gauge",
	       "1 if the hypervisor announces a disruption (live migration) "
	       "within about an hour, 0 if not.",
	       flags & TSMON_VMCLOCK_DISRUPTION_IMMINENT ? "1" : "0");
	single(f, "tsmon_vm_clock_status", "gauge",
	       "The VMClock page's clock status: 0 unknown, 1 initializing, "
	       "2 synchronized, 3 free_running, 4 unreliable; "
	       "tsmon_vm_clock_info names it.",
	       u64_value(v, TSMON_VM_CLOCK_STATUS(bits)));

	val[0] = TSMON_VM_CLOCK_STATUS(bits);
	val[1] = TSMON_VM_COUNTER_ID(bits);
	val[2] = TSMON_VM_TIME_TYPE(bits);
	val[3] = TSMON_VM_LEAP_INDICATOR(bits);
	for (i = 0; i < ARRAY_SIZE(enums); i++) {
		name = enum_name_of(enums[i], val[i]);
		if (!name) {
			snprintf(names[i], sizeof(names[i]), "%" PRIu32,
				 val[i]);
			name = names[i];
		}
		labels[2 * i + 1] = name;
	}
	family(f, "tsmon_vm_clock_info", "gauge",
	       "Constant 1, labelled with what the VMClock page says: the "
	       "host clock's status, the counter it relates to, the time type "
	       "and the leap second indicator.");
	sample(f, "tsmon_vm_clock_info", labels, "1");

	if (TSMON_VM_COUNTER_ID(bits) == TSMON_VM_COUNTER_NONE)
		return;
	if (flags & VMCLOCK_TIME_ESTERROR_VALID)
		single(f, "tsmon_vm_time_esterror_seconds", "gauge",
		       "Estimated error of the time the VMClock page gives.",
		       secs_value(v, h->vm_time_esterror_ns));
	if (flags & TSMON_VMCLOCK_TIME_MAXERROR_VALID)
		single(f, "tsmon_vm_time_maxerror_seconds", "gauge",
		       "Maximum error of the time the VMClock page gives.",
		       secs_value(v, h->vm_time_maxerror_ns));
}

/*
 * The kernel's adjtimex(2) state as of the latest call tsmon captured:
 * node_exporter's timex metrics, same meaning, under tsmon's prefix.
 */
static void write_timex(FILE *f, const struct status *s)
{
	const struct tsmon_health *h = &s->h;
	char v[VALUE_LEN];

	single(f, "tsmon_timex_tai_offset_seconds", "gauge",
	       "International Atomic Time (TAI) offset: TAI - UTC.",
	       s64_value(v, (int32_t)h->tai_offset));
	if (!(h->hooks & TSMON_HOOK_ADJTIMEX) || !h->ntp_captures)
		return;

	if (h->ntp_capture_mono_ns <= s->now_mono)
		single(f, "tsmon_ntp_capture_age_seconds", "gauge",
		       "Time since the latest adjtimex call, whose state the "
		       "tsmon_timex_ metrics show, on CLOCK_MONOTONIC.",
		       secs_value(v, s->now_mono - h->ntp_capture_mono_ns));
	/* adjtimex returns TIME_ERROR for these bits (kernels without NTP_PPS) */
	single(f, "tsmon_timex_sync_status", "gauge",
	       "Is clock synchronized to a reliable server (1 = yes, 0 = no): "
	       "0 when STA_UNSYNC or STA_CLOCKERR is set.",
	       (h->ntp_status & (STA_UNSYNC | STA_CLOCKERR)) ? "0" : "1");
	single(f, "tsmon_timex_offset_seconds", "gauge",
	       "Time offset in between local system and reference clock.",
	       ssecs_value(v, (int64_t)h->ntp_offset_ns));
	single(f, "tsmon_timex_frequency_adjustment_ratio", "gauge",
	       "Local clock frequency adjustment.",
	       ssecs_value(v, (int64_t)NSEC_PER_SEC +
			       (int64_t)h->ntp_freq_ppb));
	single(f, "tsmon_timex_maxerror_seconds", "gauge",
	       "Maximum error in seconds.",
	       secs_value(v, h->ntp_maxerror_ns));
	single(f, "tsmon_timex_estimated_error_seconds", "gauge",
	       "Estimated error in seconds.",
	       secs_value(v, h->ntp_esterror_ns));
	single(f, "tsmon_timex_status", "gauge",
	       "Value of the status array bits.",
	       u64_value(v, h->ntp_status));
	single(f, "tsmon_timex_loop_time_constant", "gauge",
	       "Phase-locked loop time constant.",
	       s64_value(v, (int32_t)h->ntp_constant));
	single(f, "tsmon_timex_tick_seconds", "gauge",
	       "Seconds between clock ticks.",
	       secs_value(v, (uint64_t)h->ntp_tick_us * 1000));
}

void prom_write(FILE *f, const struct status *s, const char *device)
{
	single(f, "tsmon_up", "gauge",
	       "1 if the tsmon region could be read for this exposition, 0 if "
	       "not (module not loaded, ABI mismatch): then only tsmon_up and "
	       "tsmon_info are present.", s ? "1" : "0");
	write_info(f);
	if (!s)
		return;
	write_clock(f, s);
	write_steps(f, s);
	write_events(f, s, device);
	write_phcs(f, s);
	write_timex(f, s);
	write_vm(f, s);
}
