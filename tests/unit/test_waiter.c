// SPDX-License-Identifier: GPL-2.0-only
/*
 * tsmon_wait(), tsmon_waiter_open() and tsmon_waiter_arm() against a fake
 * device: a region saved to a file that fstat() reports as a character
 * device, and a TSMON_IOC_WAITER that hands out an eventfd, made readable
 * when a record past its threshold is published, as the module's waiter
 * files are. This binary's fstat(), ioctl() and close() take the place of
 * the C library's for libtsmon (linked statically), and pass everything
 * that is not the fake device on to the kernel.
 *
 * What the module itself does with waiters is tested in the guest
 * (tests/selftests/tsmon_waiter.c); here, what the library asks of it: the
 * handle's own descriptor and no path, the right threshold and flags, its
 * waiter closed again, and the errors passed back.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include <tsmon/tsmon.h>
#include "region.h"

#define ENTRIES		64
#define TMPL		"/tmp/tsmon-unit-XXXXXX"
#define MAX_WAITERS	64
#define THREADS		8

/* ------------------------------------------------------------ the fake */

struct fake_waiter {
	int fd;			/* eventfd, -1 if the slot is free */
	uint64_t after;
	bool signalled;
};

static pthread_mutex_t fake_lock = PTHREAD_MUTEX_INITIALIZER;
static struct fake_waiter fakes[MAX_WAITERS];
static dev_t fake_dev;
static ino_t fake_ino;		/* 0: no fake device */
static int fake_fd = -1;	/* the handle's descriptor of it */
static int fake_errno;		/* TSMON_IOC_WAITER fails with this if set */
static struct region writer;	/* the region, through a writable mapping */

static unsigned int ioctl_calls;
static int ioctl_last_fd;
static struct tsmon_waiter_args ioctl_last;

static int fake_open_count(void)
{
	int i, n = 0;

	pthread_mutex_lock(&fake_lock);
	for (i = 0; i < MAX_WAITERS; i++)
		n += fakes[i].fd >= 0;
	pthread_mutex_unlock(&fake_lock);
	return n;
}

/* Signals every waiter whose threshold the head has passed; lock held. */
static void fake_kick(void)
{
	uint64_t head = writer.hdr ? writer.hdr->head : 0;
	int i;

	for (i = 0; i < MAX_WAITERS; i++)
		if (fakes[i].fd >= 0 && !fakes[i].signalled &&
		    head > fakes[i].after) {
			fakes[i].signalled = true;
			eventfd_write(fakes[i].fd, 1);
		}
}

/* One record, published as the module does, then the wakeups. */
static uint64_t fake_publish(void)
{
	struct tsmon_record rec = { .type = TSMON_EVENT_RESUME };
	uint64_t seq;

	pthread_mutex_lock(&fake_lock);
	seq = region_append(&writer, &rec);
	fake_kick();
	pthread_mutex_unlock(&fake_lock);
	return seq;
}

int fstat(int fd, struct stat *st);
int ioctl(int fd, unsigned long req, ...);
int close(int fd);

int fstat(int fd, struct stat *st)
{
	int ret = fstatat(fd, "", st, AT_EMPTY_PATH);

	if (!ret && fake_ino && st->st_ino == fake_ino &&
	    st->st_dev == fake_dev) {
		st->st_mode = S_IFCHR | 0444;
		st->st_size = 0;
	}
	return ret;
}

int ioctl(int fd, unsigned long req, ...)
{
	struct tsmon_waiter_args *args;
	struct stat st;
	va_list ap;
	int i, efd;

	va_start(ap, req);
	args = va_arg(ap, struct tsmon_waiter_args *);
	va_end(ap);

	if (!fake_ino || fstat(fd, &st) || st.st_ino != fake_ino ||
	    st.st_dev != fake_dev)
		return (int)syscall(SYS_ioctl, fd, req, args);
	if (req != TSMON_IOC_WAITER) {
		errno = ENOTTY;
		return -1;
	}
	pthread_mutex_lock(&fake_lock);
	ioctl_calls++;
	ioctl_last_fd = fd;
	ioctl_last = *args;
	if (fake_errno) {
		pthread_mutex_unlock(&fake_lock);
		errno = fake_errno;
		return -1;
	}
	efd = eventfd(0, EFD_CLOEXEC |
		      (args->flags & TSMON_WAITER_NONBLOCK ? EFD_NONBLOCK : 0));
	for (i = 0; efd >= 0 && i < MAX_WAITERS; i++)
		if (fakes[i].fd < 0) {
			fakes[i].fd = efd;
			fakes[i].after = args->after;
			fakes[i].signalled = false;
			break;
		}
	fake_kick();
	pthread_mutex_unlock(&fake_lock);
	return efd;
}

int close(int fd)
{
	int i;

	pthread_mutex_lock(&fake_lock);
	for (i = 0; i < MAX_WAITERS; i++)
		if (fakes[i].fd == fd)
			fakes[i].fd = -1;
	pthread_mutex_unlock(&fake_lock);
	return (int)syscall(SYS_close, fd);
}

/* ------------------------------------------------------------ fixture */

struct fixture {
	struct region r;
	struct tsmon *t;
	void *map;
};

/*
 * A fake device: the region saved to a file, opened by tsmon_open() and
 * then unlinked, so that any later open of its path fails.
 */
static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	char path[] = TMPL;
	struct stat st;
	int i, fd;

	for (i = 0; i < MAX_WAITERS; i++)
		fakes[i].fd = -1;
	fake_errno = 0;
	ioctl_calls = 0;
	if (!f || region_init(&f->r, ENTRIES, TSMON_RECORD_SIZE_V1))
		return -1;
	if (region_save(&f->r, f->r.size, path))
		return -1;
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0 || fstatat(fd, "", &st, AT_EMPTY_PATH))
		return -1;
	f->map = mmap(NULL, f->r.size, PROT_READ | PROT_WRITE, MAP_SHARED,
		      fd, 0);
	close(fd);
	if (f->map == MAP_FAILED)
		return -1;
	writer = f->r;
	writer.base = f->map;
	writer.hdr = f->map;
	writer.health = (void *)((unsigned char *)f->map +
				 ((unsigned char *)f->r.health - f->r.base));
	writer.ring = (unsigned char *)f->map + (f->r.ring - f->r.base);

	fake_dev = st.st_dev;
	fake_ino = st.st_ino;
	if (tsmon_open(path, &f->t))
		return -1;
	unlink(path);
	fake_fd = tsmon_fd(f->t);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	tsmon_close(f->t);
	fake_ino = 0;
	fake_fd = -1;
	memset(&writer, 0, sizeof(writer));
	munmap(f->map, f->r.size);
	region_fini(&f->r);
	free(f);
	return 0;
}

static bool readable(int fd)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };

	return poll(&pfd, 1, 0) == 1 && (pfd.revents & POLLIN);
}

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ------------------------------------------------------------ tests */

/*
 * The fake is a device to the library; the path is gone, so a wait that
 * opened it again would fail with -ENOENT.
 */
static void test_wait_uses_handle_fd(void **state)
{
	struct fixture *f = *state;
	struct tsmon_cursor c;
	int64_t t0;

	assert_true(fake_fd >= 0);
	assert_int_equal(tsmon_cursor_init(f->t, &c, TSMON_FROM_NOW, 0), 0);
	t0 = mono_ms();
	assert_int_equal(tsmon_wait(f->t, &c, 50), -ETIMEDOUT);
	assert_true(mono_ms() - t0 >= 50);
	assert_int_equal(ioctl_calls, 1);
	assert_int_equal(ioctl_last_fd, fake_fd);
	assert_int_equal(ioctl_last.after, c.next - 1);
	assert_int_equal(ioctl_last.flags, TSMON_WAITER_NONBLOCK);
	assert_int_equal(ioctl_last.__pad, 0);
	/* The waiter is closed again. */
	assert_int_equal(fake_open_count(), 0);
}

/* With the record there, or only checking, no waiter is asked for. */
static void test_wait_no_sleep(void **state)
{
	struct fixture *f = *state;
	struct tsmon_cursor c;

	assert_int_equal(tsmon_cursor_init(f->t, &c, TSMON_FROM_NOW, 0), 0);
	assert_int_equal(tsmon_wait(f->t, &c, 0), -ETIMEDOUT);
	fake_publish();
	assert_int_equal(tsmon_wait(f->t, &c, 0), 0);
	assert_int_equal(tsmon_wait(f->t, &c, -1), 0);
	assert_int_equal(ioctl_calls, 0);
}

struct sleeper {
	struct fixture *f;
	struct tsmon_cursor c;
	int timeout_ms;
	int ret;
	pthread_t thread;
};

static void *sleeper_main(void *arg)
{
	struct sleeper *s = arg;

	s->ret = tsmon_wait(s->f->t, &s->c, s->timeout_ms);
	return NULL;
}

/* Every thread waiting on one handle wakes on one record. */
static void test_wait_threads(void **state)
{
	struct fixture *f = *state;
	struct sleeper s[THREADS];
	int i, tries;

	for (i = 0; i < THREADS; i++) {
		s[i].f = f;
		s[i].timeout_ms = 10000;
		s[i].ret = 1;
		assert_int_equal(tsmon_cursor_init(f->t, &s[i].c,
						   TSMON_FROM_NOW, 0), 0);
		assert_int_equal(pthread_create(&s[i].thread, NULL,
						sleeper_main, &s[i]), 0);
	}
	/* All asleep, each on a waiter of its own. */
	for (tries = 0; tries < 500 && fake_open_count() < THREADS; tries++)
		usleep(2000);
	assert_int_equal(fake_open_count(), THREADS);
	fake_publish();
	for (i = 0; i < THREADS; i++) {
		pthread_join(s[i].thread, NULL);
		assert_int_equal(s[i].ret, 0);
	}
	assert_int_equal(fake_open_count(), 0);
}

/* A cursor set ahead waits for its own record, not for the next one. */
static void test_wait_ahead(void **state)
{
	struct fixture *f = *state;
	struct tsmon_cursor c;
	uint64_t head;

	assert_int_equal(tsmon_head(f->t, &head), 0);
	assert_int_equal(tsmon_cursor_init(f->t, &c, TSMON_FROM_SEQ,
					   head + 3), 0);
	fake_publish();
	fake_publish();
	assert_int_equal(tsmon_wait(f->t, &c, 20), -ETIMEDOUT);
	assert_int_equal(ioctl_last.after, head + 2);
	fake_publish();
	assert_int_equal(tsmon_wait(f->t, &c, 10000), 0);
}

/* The module's errors come back negated; an old module says ENOTTY. */
static void test_wait_errors(void **state)
{
	struct fixture *f = *state;
	struct tsmon_cursor c;

	assert_int_equal(tsmon_cursor_init(f->t, &c, TSMON_FROM_NOW, 0), 0);
	fake_errno = ENOTTY;
	assert_int_equal(tsmon_wait(f->t, &c, 10), -ENOTTY);
	assert_int_equal(tsmon_waiter_open(f->t, 0), -ENOTTY);
	fake_errno = EMFILE;
	assert_int_equal(tsmon_wait(f->t, &c, 10), -EMFILE);
	assert_int_equal(tsmon_waiter_open(f->t, 0), -EMFILE);
	assert_int_equal(tsmon_waiter_open(NULL, 0), -EINVAL);
}

static void test_waiter_open(void **state)
{
	struct fixture *f = *state;
	uint64_t head;
	int fd, old;

	fake_publish();
	assert_int_equal(tsmon_head(f->t, &head), 0);
	assert_true(head >= 1);
	fd = tsmon_waiter_open(f->t, head);
	assert_true(fd >= 0);
	assert_int_equal(ioctl_last_fd, fake_fd);
	assert_int_equal(ioctl_last.after, head);
	assert_int_equal(ioctl_last.flags, TSMON_WAITER_NONBLOCK);
	assert_int_equal(ioctl_last.__pad, 0);
	assert_false(readable(fd));
	/* Passed at once: ready at once. */
	old = tsmon_waiter_open(f->t, head - 1);
	assert_true(old >= 0);
	assert_true(readable(old));
	fake_publish();
	assert_true(readable(fd));
	close(old);
	close(fd);
}

/* Not a device: nothing to ask. */
static void test_waiter_no_device(void **state)
{
	struct fixture *f = *state;
	struct tsmon_cursor c;
	struct tsmon *t;

	assert_int_equal(tsmon_attach(f->r.base, f->r.size, &t), 0);
	assert_int_equal(tsmon_cursor_init(t, &c, TSMON_FROM_SEQ, 1), 0);
	assert_int_equal(tsmon_waiter_open(t, 0), -ENOTTY);
	assert_int_equal(tsmon_wait(t, &c, 10), -ENOTTY);
	tsmon_close(t);
	assert_int_equal(ioctl_calls, 0);
}

/* Re-arming writes the threshold, 8 bytes in native order. */
static void test_waiter_arm(void **state)
{
	uint64_t v = 0;
	int p[2];

	(void)state;
	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	assert_int_equal(tsmon_waiter_arm(p[1], 0x1122334455667788ULL), 0);
	assert_int_equal(read(p[0], &v, sizeof(v)), sizeof(v));
	assert_true(v == 0x1122334455667788ULL);
	/* The read end is not writable, as a read-only file is not. */
	assert_int_equal(tsmon_waiter_arm(p[0], 1), -EBADF);
	assert_int_equal(tsmon_waiter_arm(-1, 1), -EBADF);
	close(p[0]);
	close(p[1]);
	assert_int_equal(tsmon_waiter_arm(p[1], 1), -EBADF);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_wait_uses_handle_fd),
		T(test_wait_no_sleep),
		T(test_wait_threads),
		T(test_wait_ahead),
		T(test_wait_errors),
		T(test_waiter_open),
		T(test_waiter_no_device),
		T(test_waiter_arm),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
