// SPDX-License-Identifier: GPL-2.0-only
/*
 * tsmon_timens - a reader inside a time namespace gets its own
 * CLOCK_MONOTONIC and the true CLOCK_REALTIME.
 *
 * The module stamps everything with the initial namespace's MONOTONIC; a
 * process in a time namespace (CONFIG_TIME_NS, Debian's kernels) reads a
 * MONOTONIC shifted by its namespace's offset. Without correction
 * tsmon_now() would add the module's REALTIME - MONOTONIC offset to the
 * shifted clock and be off by the whole namespace offset. A child is
 * started in a new time namespace whose MONOTONIC runs 1000 days ahead,
 * and in a second run half the uptime behind (a namespace's clock cannot
 * go below zero):
 * tsmon_get_info() must report the offset, tsmon_now()'s real_ns must be
 * CLOCK_REALTIME and its mono_ns the child's CLOCK_MONOTONIC, and
 * tsmon_now_at() must take the child's MONOTONIC.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <tsmon/tsmon.h>

#include "kselftest.h"
#include "clockops.h"
#include "tsmon_selftest.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME	0x00000080
#endif

#define DAY_NS		(86400LL * 1000000000LL)
/* REALTIME read around tsmon_now(): the two must agree this closely. */
#define SLACK_NS	50000000LL

/* Runs in the new namespace; returns the number of failed checks. */
static int child(long long offset_ns)
{
	struct tsmon_info info;
	struct tsmon_time tm, at;
	long long r0, r1, m0, m1;
	struct tsmon *t;
	int fails = 0, err;

	err = tsmon_open(NULL, &t);
	if (err) {
		ksft_print_msg("child: tsmon_open: %s\n", strerror(-err));
		return 4;
	}
	if (tsmon_get_info(t, &info) ||
	    (long long)info.timens_mono_offset_ns != offset_ns ||
	    (info.flags & TSMON_INFO_TIMENS_UNKNOWN)) {
		ksft_print_msg("child: info offset %lld flags %#x, want %lld\n",
			       (long long)info.timens_mono_offset_ns, info.flags,
			       offset_ns);
		fails++;
	}
	r0 = clk_ns(CLOCK_REALTIME);
	m0 = clk_ns(CLOCK_MONOTONIC);
	err = tsmon_now(t, &tm);
	m1 = clk_ns(CLOCK_MONOTONIC);
	r1 = clk_ns(CLOCK_REALTIME);
	if (err) {
		ksft_print_msg("child: tsmon_now: %s\n", strerror(-err));
		tsmon_close(t);
		return fails + 1;
	}
	if ((long long)tm.real_ns < r0 - SLACK_NS || (long long)tm.real_ns > r1 + SLACK_NS) {
		ksft_print_msg("child: real_ns %llu outside REALTIME [%lld, %lld] (off by %+lld ns)\n",
			       (unsigned long long)tm.real_ns, r0, r1,
			       (long long)tm.real_ns - r0);
		fails++;
	}
	if ((long long)tm.mono_ns < m0 || (long long)tm.mono_ns > m1) {
		ksft_print_msg("child: mono_ns %llu outside its MONOTONIC [%lld, %lld]\n",
			       (unsigned long long)tm.mono_ns, m0, m1);
		fails++;
	}
	/* The same instant through tsmon_now_at(): the same REALTIME. */
	if (tsmon_now_at(t, tm.mono_ns, &at) || at.real_ns != tm.real_ns ||
	    at.mono_ns != tm.mono_ns) {
		ksft_print_msg("child: tsmon_now_at(%llu): real %llu mono %llu, tsmon_now said %llu\n",
			       (unsigned long long)tm.mono_ns,
			       (unsigned long long)at.real_ns,
			       (unsigned long long)at.mono_ns,
			       (unsigned long long)tm.real_ns);
		fails++;
	}
	tsmon_close(t);
	return fails;
}

/* Starts child() in a new time namespace with MONOTONIC moved by @offset_ns. */
static int run_in_timens(long long offset_ns)
{
	char buf[128];
	int fd, status, n;
	pid_t pid;

	if (unshare(CLONE_NEWTIME))
		return -errno;
	/* Only before the first process enters the namespace. */
	fd = open("/proc/self/timens_offsets", O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = snprintf(buf, sizeof(buf), "monotonic %lld %lld\n",
		     offset_ns / 1000000000LL, offset_ns % 1000000000LL);
	if (write(fd, buf, n) != n) {
		int e = -errno;

		close(fd);
		return e;
	}
	close(fd);
	pid = fork();
	if (pid < 0)
		return -errno;
	if (!pid)
		_exit(child(offset_ns));
	if (waitpid(pid, &status, 0) < 0)
		return -errno;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 100;
}

int main(void)
{
	long long offsets[2] = { 1000 * DAY_NS };
	int i, ret, status;
	pid_t pid;

	selftest_start(2);
	if (access("/proc/self/timens_offsets", F_OK))
		ksft_exit_skip("no time namespaces in this kernel\n");
	offsets[1] = -(clk_ns(CLOCK_MONOTONIC) / 2 / 1000000000LL) * 1000000000LL;
	/* Each run needs a namespace of its own: fork for it. */
	for (i = 0; i < 2; i++) {
		pid = fork();
		if (pid < 0)
			ksft_exit_fail_msg("fork: %s\n", strerror(errno));
		if (!pid) {
			ret = run_in_timens(offsets[i]);
			if (ret < 0)
				ksft_print_msg("time namespace: %s\n", strerror(-ret));
			_exit(ret < 0 ? 101 : ret);
		}
		waitpid(pid, &status, 0);
		ret = WIFEXITED(status) ? WEXITSTATUS(status) : 100;
		ksft_test_result(ret == 0,
				 "MONOTONIC %+lld s in a time namespace: REALTIME and MONOTONIC right (%d failures)\n",
				 offsets[i] / 1000000000LL, ret);
	}
	ksft_finished();
}
