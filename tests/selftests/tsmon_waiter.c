// SPDX-License-Identifier: GPL-2.0-only
/*
 * tsmon_waiter - waiter files (TSMON_IOC_WAITER) and the library calls
 * built on them: tsmon_wait(), tsmon_waiter_open(), tsmon_waiter_arm().
 *
 * tsmon_wait() needs no path: it keeps working in a process chrooted into
 * an empty directory. A waiter in an epoll set is ready once the head is
 * past its threshold and not before, re-arming moves the threshold either
 * way (and wakes epoll when it moves below the head), many threads asleep
 * on one handle all wake on every record, and a waiter file alone keeps
 * the module loaded. The ioctl refuses what it does not know.
 *
 * Steps come in +1 ns / -1 ns pairs: the clock ends where it started.
 */
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include "tsmon_selftest.h"

#define ROUNDS		5
#define LIB_THREADS	16
#define READ_THREADS	4
#define SLEEPERS	(LIB_THREADS + READ_THREADS)
#define IDLE_MS		300

static struct tsmon *t;

static uint64_t head_now(void)
{
	uint64_t head = 0;

	tsmon_head(t, &head);
	return head;
}

/* A record, or two for a pair that leaves the clock where it was. */
static bool step(int64_t ns)
{
	int err = clock_step_ns(ns);

	if (err)
		ksft_print_msg("clock step: %s\n", strerror(-err));
	return !err;
}

static bool publish(void)
{
	return step(1) && step(-1);
}

/* Sleeps until head >= @seq, up to 5 s. */
static bool head_reaches(uint64_t seq)
{
	struct tsmon_cursor c;
	int err = tsmon_cursor_init(t, &c, TSMON_FROM_SEQ, seq);

	if (!err)
		err = tsmon_wait(t, &c, 5000);
	if (err)
		ksft_print_msg("waiting for record %llu: %s\n",
			       (unsigned long long)seq, strerror(-err));
	return !err;
}

/* ------------------------------------------------------------ chroot */

/*
 * A child opens the device, chroots into an empty directory, checks the
 * path is gone, then waits for a record the parent publishes. The library
 * used to open the device path again for every wait: -ENOENT here.
 */
static bool case_chroot(void)
{
	char dir[] = "/tmp/tsmon-waiter-XXXXXX";
	int ready[2], status, err;
	bool ok = false;
	char c = 0;
	pid_t pid;

	if (!mkdtemp(dir) || pipe2(ready, O_CLOEXEC)) {
		ksft_print_msg("mkdtemp/pipe: %s\n", strerror(errno));
		return false;
	}
	pid = fork();
	if (pid < 0)
		goto out;
	if (pid == 0) {
		struct tsmon_cursor cur;
		struct tsmon_record r;
		struct tsmon *ct;

		close(ready[0]);
		if (tsmon_open(NULL, &ct) || chroot(dir) || chdir("/"))
			_exit(10);
		if (access(TSMON_DEVICE_PATH, F_OK) == 0 || errno != ENOENT)
			_exit(11);
		tsmon_cursor_init(ct, &cur, TSMON_FROM_NOW, 0);
		err = tsmon_wait(ct, &cur, 100);
		if (err && err != -ETIMEDOUT) {
			ksft_print_msg("child: tsmon_wait in the chroot: %s\n",
				       strerror(-err));
			_exit(12);
		}
		tsmon_cursor_init(ct, &cur, TSMON_FROM_NOW, 0);
		if (write(ready[1], "r", 1) != 1)
			_exit(13);
		err = tsmon_wait(ct, &cur, 10000);
		if (err) {
			ksft_print_msg("child: tsmon_wait in the chroot: %s\n",
				       strerror(-err));
			_exit(14);
		}
		if (tsmon_next(ct, &cur, &r) || r.type != TSMON_EVENT_CLOCK_STEP)
			_exit(15);
		_exit(0);
	}
	close(ready[1]);
	ready[1] = -1;
	if (read(ready[0], &c, 1) == 1) {
		sleep_ms(200);
		publish();
	}
	if (waitpid(pid, &status, 0) != pid)
		goto out;
	ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
	if (!ok)
		ksft_print_msg("child: status %#x (exit 1x: see case_chroot)\n",
			       status);
out:
	close(ready[0]);
	if (ready[1] >= 0)
		close(ready[1]);
	rmdir(dir);
	return ok;
}

/* ------------------------------------------------------------ epoll */

/* Events epoll reports for the one file in @ep within @ms. */
static int epoll_events(int ep, int ms)
{
	struct epoll_event ev;
	int n = epoll_wait(ep, &ev, 1, ms);

	if (n < 0)
		return -errno;
	return n ? (int)ev.events : 0;
}

static int epoll_with(int fd)
{
	struct epoll_event ev = { .events = EPOLLIN };
	int ep = epoll_create1(EPOLL_CLOEXEC);

	if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev)) {
		ksft_print_msg("epoll: %s\n", strerror(errno));
		if (ep >= 0)
			close(ep);
		return -1;
	}
	return ep;
}

/*
 * Armed with N = head: nothing while idle, then ready with the record
 * N + 1, and read() returns a head > N.
 */
static bool case_epoll(int *wfd_out, int *ep_out)
{
	uint64_t n, v;
	int wfd, ep, ev;

	n = head_now();
	wfd = tsmon_waiter_open(t, n);
	if (wfd < 0) {
		ksft_print_msg("tsmon_waiter_open: %s\n", strerror(-wfd));
		return false;
	}
	ep = epoll_with(wfd);
	if (ep < 0) {
		close(wfd);
		return false;
	}
	*wfd_out = wfd;
	*ep_out = ep;

	ev = epoll_events(ep, IDLE_MS);
	if (ev) {
		ksft_print_msg("idle: epoll reported %#x with head %llu = N\n",
			       ev, (unsigned long long)head_now());
		return false;
	}
	if (read(wfd, &v, sizeof(v)) >= 0 || errno != EAGAIN) {
		ksft_print_msg("idle: read did not fail with EAGAIN\n");
		return false;
	}
	if (!step(1))
		return false;
	ev = epoll_events(ep, 5000);
	if (!(ev > 0 && (ev & EPOLLIN))) {
		ksft_print_msg("after a record: epoll %d, want EPOLLIN\n", ev);
		return false;
	}
	if (read(wfd, &v, sizeof(v)) != sizeof(v) || v <= n) {
		ksft_print_msg("read: head %llu, want > %llu\n",
			       (unsigned long long)v, (unsigned long long)n);
		return false;
	}
	/* Level-triggered: still ready, read() does not re-arm. */
	ev = epoll_events(ep, 0);
	if (!(ev > 0 && (ev & EPOLLIN))) {
		ksft_print_msg("after read: epoll %d, want EPOLLIN\n", ev);
		return false;
	}
	return step(-1);
}

/*
 * Re-armed at the head: idle again; one record makes it ready. Re-armed
 * below the head: ready at once, which epoll only learns from a wakeup.
 */
static bool case_rearm(int wfd, int ep)
{
	uint64_t h;
	int err, ev;

	if (wfd < 0 || ep < 0)
		return false;
	/* The -1 step of case_epoll is in, or on its way. */
	sleep_ms(100);
	h = head_now();
	err = tsmon_waiter_arm(wfd, h);
	if (err) {
		ksft_print_msg("tsmon_waiter_arm: %s\n", strerror(-err));
		return false;
	}
	ev = epoll_events(ep, IDLE_MS);
	if (ev) {
		ksft_print_msg("re-armed at the head: epoll reported %#x\n", ev);
		return false;
	}
	if (!publish())
		return false;
	ev = epoll_events(ep, 5000);
	if (!(ev > 0 && (ev & EPOLLIN))) {
		ksft_print_msg("re-armed, a record: epoll %d, want EPOLLIN\n",
			       ev);
		return false;
	}
	if (!head_reaches(h + 2))
		return false;
	/* Forward past the head, then back below it. */
	h = head_now();
	if (tsmon_waiter_arm(wfd, h) || epoll_events(ep, 0)) {
		ksft_print_msg("re-armed forward: still ready\n");
		return false;
	}
	if (tsmon_waiter_arm(wfd, h - 1))
		return false;
	ev = epoll_events(ep, 2000);
	if (!(ev > 0 && (ev & EPOLLIN))) {
		ksft_print_msg("re-armed below the head: epoll %d, want EPOLLIN\n",
			       ev);
		return false;
	}
	return true;
}

/* ------------------------------------------------------------ threads */

struct sleeper {
	pthread_t thread;
	bool lib;			/* tsmon_wait(), else read() on @fd */
	struct tsmon_cursor cursor;
	int fd;
	int ret;
	atomic_bool done;
};

static void *sleeper_main(void *arg)
{
	struct sleeper *s = arg;
	uint64_t v;

	if (s->lib)
		s->ret = tsmon_wait(t, &s->cursor, 10000);
	else
		s->ret = read(s->fd, &v, sizeof(v)) == sizeof(v) ? 0 : -errno;
	atomic_store(&s->done, true);
	return NULL;
}

/*
 * Every round: LIB_THREADS tsmon_wait() callers with one cursor on one
 * handle, and READ_THREADS blocking read()s on waiters of their own, all
 * asleep, all awake after one record. A lost wakeup leaves one asleep.
 */
static bool case_threads(void)
{
	static struct sleeper s[SLEEPERS];
	int round, i, started, fl;
	bool ok = true;
	int64_t end;

	for (round = 0; round < ROUNDS && ok; round++) {
		uint64_t h = head_now();
		struct tsmon_cursor c;

		tsmon_cursor_init(t, &c, TSMON_FROM_NOW, 0);
		for (started = 0; started < SLEEPERS; started++) {
			struct sleeper *p = &s[started];

			p->lib = started < LIB_THREADS;
			p->cursor = c;
			p->fd = -1;
			p->ret = 1;
			atomic_store(&p->done, false);
			if (!p->lib) {
				p->fd = tsmon_waiter_open(t, h);
				fl = p->fd < 0 ? -1 : fcntl(p->fd, F_GETFL);
				if (fl < 0 ||
				    fcntl(p->fd, F_SETFL, fl & ~O_NONBLOCK))
					break;
			}
			if (pthread_create(&p->thread, NULL, sleeper_main, p))
				break;
		}
		if (started < SLEEPERS) {
			ksft_print_msg("round %d: cannot start sleeper %d\n",
				       round, started);
			return false;	/* the rest is left to the exit */
		}
		sleep_ms(IDLE_MS);
		for (i = 0; i < SLEEPERS; i++)
			if (atomic_load(&s[i].done)) {
				ksft_print_msg("round %d: sleeper %d returned %d while idle\n",
					       round, i, s[i].ret);
				ok = false;
			}
		if (!publish())
			return false;
		end = clk_ns(CLOCK_MONOTONIC) + 5 * NSEC_PER_SEC;
		for (i = 0; i < SLEEPERS; i++) {
			while (!atomic_load(&s[i].done) &&
			       clk_ns(CLOCK_MONOTONIC) < end)
				sleep_ms(5);
			if (!atomic_load(&s[i].done)) {
				ksft_print_msg("round %d: sleeper %d (%s) still asleep 5 s after the record\n",
					       round, i,
					       s[i].lib ? "tsmon_wait" : "read");
				return false;
			}
			pthread_join(s[i].thread, NULL);
			if (s[i].ret) {
				ksft_print_msg("round %d: sleeper %d: %s\n",
					       round, i, strerror(-s[i].ret));
				ok = false;
			}
			if (s[i].fd >= 0)
				close(s[i].fd);
		}
	}
	return ok;
}

/* ------------------------------------------------------------ the file */

static int ioctl_waiter(uint64_t after, uint32_t flags, uint32_t pad)
{
	struct tsmon_waiter_args args = {
		.after = after, .flags = flags, .__pad = pad,
	};
	int fd = tsmon_fd(t), ret;

	if (fd < 0)
		return fd;
	ret = ioctl(fd, TSMON_IOC_WAITER, &args);
	return ret < 0 ? -errno : ret;
}

static bool refused(const char *what, int ret, int want)
{
	if (ret == -want)
		return true;
	ksft_print_msg("%s: %d (%s), want %s\n", what, ret,
		       ret < 0 ? strerror(-ret) : "a file", strerror(want));
	if (ret >= 0)
		close(ret);
	return false;
}

/* Unknown flags, padding and bad pointers are refused. */
static bool case_ioctl_args(void)
{
	bool ok = true;

	ok &= refused("flags 2", ioctl_waiter(0, 2, 0), EINVAL);
	ok &= refused("flags ~0", ioctl_waiter(0, ~0U, 0), EINVAL);
	ok &= refused("__pad 1", ioctl_waiter(0, 0, 1), EINVAL);
	ok &= refused("NULL argument",
		      ioctl(tsmon_fd(t), TSMON_IOC_WAITER, NULL) < 0 ?
		      -errno : 0, EFAULT);
	return ok;
}

/*
 * The file: close-on-exec, anon_inode:[tsmon-waiter], read-write, a
 * stream, blocking unless asked, 8-byte reads and writes only.
 */
static bool case_file(void)
{
	void *guard = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS,
			   -1, 0);
	int fd = ioctl_waiter(UINT64_MAX, 0, 0), nb;
	char link[64], proc[64];
	bool ok = true;
	uint32_t small = 0;
	uint64_t v;
	ssize_t n;

	if (fd < 0) {
		ksft_print_msg("TSMON_IOC_WAITER: %s\n", strerror(-fd));
		if (guard != MAP_FAILED)
			munmap(guard, 4096);
		return false;
	}
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	n = readlink(proc, link, sizeof(link) - 1);
	link[n < 0 ? 0 : n] = '\0';
	if (strcmp(link, "anon_inode:[tsmon-waiter]")) {
		ksft_print_msg("link %s\n", link);
		ok = false;
	}
	if (fcntl(fd, F_GETFD) != FD_CLOEXEC ||
	    (fcntl(fd, F_GETFL) & (O_ACCMODE | O_NONBLOCK)) != O_RDWR) {
		ksft_print_msg("fd flags %#x, file flags %#x\n",
			       fcntl(fd, F_GETFD), fcntl(fd, F_GETFL));
		ok = false;
	}
	ok &= refused("lseek", lseek(fd, 0, SEEK_SET) < 0 ? -errno : 0,
		      ESPIPE);
	ok &= refused("4-byte read", read(fd, &small, 4) < 0 ? -errno : 0,
		      EINVAL);
	ok &= refused("4-byte write", write(fd, &small, 4) < 0 ? -errno : 0,
		      EINVAL);
	if (guard != MAP_FAILED)
		ok &= refused("write from an unmapped page",
			      write(fd, guard, 8) < 0 ? -errno : 0, EFAULT);
	close(fd);

	nb = ioctl_waiter(UINT64_MAX, TSMON_WAITER_NONBLOCK, 0);
	if (nb < 0 || !(fcntl(nb, F_GETFL) & O_NONBLOCK)) {
		ksft_print_msg("TSMON_WAITER_NONBLOCK: not O_NONBLOCK\n");
		ok = false;
	}
	if (nb >= 0) {
		ok &= refused("read, never ready",
			      read(nb, &v, sizeof(v)) < 0 ? -errno : 0,
			      EAGAIN);
		close(nb);
	}
	/* Ready at once (head > 0): the copy to the caller fails. */
	nb = ioctl_waiter(0, TSMON_WAITER_NONBLOCK, 0);
	if (nb >= 0 && guard != MAP_FAILED)
		ok &= refused("read into an unmapped page",
			      read(nb, guard, 8) < 0 ? -errno : 0, EFAULT);
	if (nb >= 0)
		close(nb);
	if (guard != MAP_FAILED)
		munmap(guard, 4096);
	return ok;
}

/* Every waiter above is gone: records still come, and still wake. */
static bool case_still_records(void)
{
	uint64_t h = head_now();

	return publish() && head_reaches(h + 2);
}

/* ------------------------------------------------------------ pinning */

/*
 * With the handle closed, a waiter file alone keeps the module: unload
 * fails as it does for an open /dev/tsmon, and the waiter still works.
 * Once it is closed the module unloads; it is loaded again for what
 * follows.
 */
static bool case_pins_module(void)
{
	int wfd, err;
	bool ok = true;
	uint64_t v;

	wfd = tsmon_waiter_open(t, 0);
	tsmon_close(t);
	t = NULL;
	if (wfd < 0) {
		ksft_print_msg("tsmon_waiter_open: %s\n", strerror(-wfd));
		return false;
	}
	err = module_unload();
	if (err != -EAGAIN && err != -EBUSY) {
		ksft_print_msg("delete_module with a waiter open: %s, want EAGAIN or EBUSY\n",
			       err ? strerror(-err) : "success");
		ok = false;
	}
	if (!module_loaded()) {
		ksft_print_msg("module gone with a waiter open\n");
		ok = false;
	} else if (read(wfd, &v, sizeof(v)) < 0 && errno != EAGAIN) {
		ksft_print_msg("read on the waiter: %s\n", strerror(errno));
		ok = false;
	}
	close(wfd);
	if (module_loaded()) {
		err = module_unload();
		if (err) {
			ksft_print_msg("delete_module after close: %s\n",
				       strerror(-err));
			ok = false;
		}
	}
	err = module_reload_default();
	if (err)
		ksft_exit_fail_msg("cannot load the module again: %s\n",
				   strerror(-err));
	return ok;
}

int main(void)
{
	int wfd = -1, ep = -1;

	selftest_start(8);
	t = open_or_bail();
	selftest_skip_ntp();

	ksft_test_result(case_chroot(),
			 "tsmon_wait works after chroot into an empty directory\n");
	ksft_test_result(case_epoll(&wfd, &ep),
			 "waiter in epoll: idle at head N, EPOLLIN at N + 1\n");
	ksft_test_result(case_rearm(wfd, ep),
			 "tsmon_waiter_arm: forward idles, below the head wakes epoll\n");
	if (wfd >= 0)
		close(wfd);
	if (ep >= 0)
		close(ep);
	ksft_test_result(case_threads(),
			 "%d threads on one handle wake on every record, %d rounds\n",
			 SLEEPERS, ROUNDS);
	ksft_test_result(case_ioctl_args(),
			 "TSMON_IOC_WAITER refuses unknown flags, padding, bad pointers\n");
	ksft_test_result(case_file(),
			 "waiter file: cloexec, read-write stream, 8-byte I/O, O_NONBLOCK\n");
	ksft_test_result(case_still_records(),
			 "the module records and wakes after all that\n");
	ksft_test_result(case_pins_module(),
			 "a waiter file alone keeps the module loaded\n");
	if (t)
		tsmon_close(t);
	ksft_finished();
}
