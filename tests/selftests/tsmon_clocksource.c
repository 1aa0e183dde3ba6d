// SPDX-License-Identifier: GPL-2.0-only
/*
 * tsmon_clocksource - switching the timekeeping clocksource through sysfs is
 * one clocksource_change record naming both clocksources, and the health
 * block follows. The original clocksource is restored.
 */
#include "tsmon_selftest.h"

#define CS_DIR		"/sys/devices/system/clocksource/clocksource0/"
#define CS_CURRENT	CS_DIR "current_clocksource"
#define CS_AVAILABLE	CS_DIR "available_clocksource"
#define CS_LEN		64

static struct tsmon *t;
static struct tsmon_health h0;

/* The sysfs write returns once the timekeeper uses the new clocksource. */
static bool write_current(const char *name)
{
	char now[CS_LEN];
	FILE *f = fopen(CS_CURRENT, "we");
	bool ok;

	if (!f)
		return false;
	ok = fputs(name, f) >= 0;
	ok = !fclose(f) && ok;
	if (!ok)
		ksft_print_msg("writing %s to current_clocksource: %s\n",
			       name, strerror(errno));
	if (!read_sysfs_line(CS_CURRENT, now, sizeof(now)) || strcmp(now, name)) {
		ksft_print_msg("current_clocksource is '%s', not '%s'\n",
			       now, name);
		return false;
	}
	return ok;
}

/* Picks hpet or acpi_pm if available, any other clocksource otherwise. */
static bool pick_other(const char *avail, const char *cur, char *out)
{
	static const char *const preferred[] = { "hpet", "acpi_pm" };
	char list[512], *tok, *save;
	size_t i;

	out[0] = '\0';
	snprintf(list, sizeof(list), "%s", avail);
	for (tok = strtok_r(list, " ", &save); tok;
	     tok = strtok_r(NULL, " ", &save)) {
		if (!strcmp(tok, cur))
			continue;
		for (i = 0; i < ARRAY_SIZE(preferred); i++)
			if (!strcmp(tok, preferred[i]))
				break;
		if (i < ARRAY_SIZE(preferred) || !out[0])
			snprintf(out, CS_LEN, "%s", tok);
		if (i < ARRAY_SIZE(preferred))
			break;
	}
	return out[0] != '\0';
}

static bool case_switch(const char *from, const char *to)
{
	char rfrom[TSMON_NAME_WORDS * 8 + 1], rto[TSMON_NAME_WORDS * 8 + 1];
	char hcs[TSMON_CS_NAME_WORDS * 8 + 1];
	struct tsmon_cursor c;
	struct tsmon_health h;
	struct tsmon_record r;
	int64_t m0, m1;
	bool ok = true;
	int err;

	tsmon_cursor_init(t, &c, TSMON_FROM_NOW, 0);
	m0 = clk_ns(CLOCK_MONOTONIC);
	if (!write_current(to))
		return false;
	m1 = clk_ns(CLOCK_MONOTONIC);

	err = wait_record(t, &c, 2000, &r);
	if (err) {
		ksft_print_msg("no record: %s\n", strerror(-err));
		return false;
	}
	abi_name(rfrom, sizeof(rfrom), r.cs.from, TSMON_NAME_WORDS);
	abi_name(rto, sizeof(rto), r.cs.to, TSMON_NAME_WORDS);
	if (r.type != TSMON_EVENT_CLOCKSOURCE_CHANGE || strcmp(rfrom, from) ||
	    strcmp(rto, to)) {
		print_record("got", &r);
		ksft_print_msg("from '%s' to '%s', want '%s' to '%s'\n",
			       rfrom, rto, from, to);
		ok = false;
	}
	if ((int64_t)r.mono_ns < m0 || (int64_t)r.mono_ns > m1) {
		ksft_print_msg("mono_ns outside the switch\n");
		ok = false;
	}
	/* A switch is not a step: time stays continuous. */
	if (!expect_no_record(t, &c, 300))
		ok = false;
	if (!read_health(t, &h))
		return false;
	abi_name(hcs, sizeof(hcs), h.clocksource, TSMON_CS_NAME_WORDS);
	if (strcmp(hcs, to)) {
		ksft_print_msg("health clocksource '%s', want '%s'\n", hcs, to);
		ok = false;
	}
	return ok;
}

/* Selecting the clocksource already in use changes nothing. */
static bool case_same(const char *cur)
{
	struct tsmon_cursor c;

	tsmon_cursor_init(t, &c, TSMON_FROM_NOW, 0);
	if (!write_current(cur))
		return false;
	return expect_no_record(t, &c, 300);
}

static bool case_counts(void)
{
	struct tsmon_health h;
	uint64_t n;

	if (!read_health(t, &h))
		return false;
	n = h.event_count[TSMON_EVENT_CLOCKSOURCE_CHANGE] -
	    h0.event_count[TSMON_EVENT_CLOCKSOURCE_CHANGE];
	if (n != 2 || h.event_count[TSMON_EVENT_CLOCK_STEP] !=
	    h0.event_count[TSMON_EVENT_CLOCK_STEP]) {
		ksft_print_msg("clocksource_change +%llu (want 2), steps +%llu\n",
			       (unsigned long long)n,
			       (unsigned long long)
			       (h.event_count[TSMON_EVENT_CLOCK_STEP] -
				h0.event_count[TSMON_EVENT_CLOCK_STEP]));
		return false;
	}
	return true;
}

int main(void)
{
	char avail[512], orig[CS_LEN], other[CS_LEN];

	selftest_init();
	selftest_skip_ntp();
	if (!read_sysfs_line(CS_AVAILABLE, avail, sizeof(avail)) ||
	    !read_sysfs_line(CS_CURRENT, orig, sizeof(orig)))
		ksft_exit_skip("no clocksource sysfs interface\n");
	if (!pick_other(avail, orig, other))
		ksft_exit_skip("only one clocksource available (%s)\n", avail);
	/* Names longer than a record's 15 characters cannot be compared. */
	if (strlen(orig) >= TSMON_NAME_WORDS * 8 ||
	    strlen(other) >= TSMON_NAME_WORDS * 8)
		ksft_exit_skip("clocksource names too long for records\n");
	ksft_set_plan(4);
	ksft_print_msg("available: %s; switching %s -> %s -> %s\n", avail,
		       orig, other, orig);
	t = open_or_bail();
	if (!read_health(t, &h0))
		ksft_exit_fail_msg("no health block\n");

	ksft_test_result(case_switch(orig, other),
			 "switch to %s recorded, health follows\n", other);
	ksft_test_result(case_switch(other, orig),
			 "switch back to %s recorded, health follows\n", orig);
	ksft_test_result(case_same(orig),
			 "reselecting the current clocksource records nothing\n");
	ksft_test_result(case_counts(),
			 "two clocksource_change counted, no clock step\n");

	if (read_sysfs_line(CS_CURRENT, other, sizeof(other)) && strcmp(other, orig))
		write_current(orig);
	tsmon_close(t);
	ksft_finished();
}
