// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libtsmon blocking wait: the one read-side call that sleeps in the kernel.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <time.h>
#include <unistd.h>

#include "tsmon_private.h"

static int64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/*
 * Each call opens the device again: poll() reports POLLIN per open file
 * (head differs from what that file last returned from read()), so a
 * private file description lets any number of threads wait on one handle
 * without consuming each other's wakeups, and keeps the handle immutable.
 */
TSMON_EXPORT
int tsmon_wait(const struct tsmon *t, const struct tsmon_cursor *c,
	       int timeout_ms)
{
	struct pollfd pfd;
	int64_t deadline = 0;
	int err, left, fd;
	uint64_t head;

	if (!t || !c || !c->next)
		return -EINVAL;
	/* Only the device implements read() and poll() on the head. */
	if (!t->chardev)
		return -ENOTTY;

	if (c->next <= tsmon_load_head(t))
		return 0;
	if (timeout_ms == 0)
		return -ETIMEDOUT;
	if (timeout_ms > 0)
		deadline = mono_ns() + (int64_t)timeout_ms * 1000000;

	fd = open(t->path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	pfd.fd = fd;
	pfd.events = POLLIN;

	for (;;) {
		/*
		 * The new file's baseline is the head at open(): a record
		 * published after that wakes poll(), one published before is
		 * caught by this check.
		 */
		if (c->next <= tsmon_load_head(t)) {
			err = 0;
			break;
		}

		left = -1;
		if (timeout_ms > 0) {
			int64_t rem = deadline - mono_ns();

			if (rem <= 0) {
				err = -ETIMEDOUT;
				break;
			}
			/* Round up: never give up before the caller's timeout. */
			left = (int)((rem + 999999) / 1000000);
		}

		pfd.revents = 0;
		err = poll(&pfd, 1, left);
		if (err < 0) {
			err = -errno;
			break;
		}
		if (err == 0) {
			err = c->next <= tsmon_load_head(t) ? 0 : -ETIMEDOUT;
			break;
		}
		if (pfd.revents & (POLLERR | POLLHUP | POLLNVAL)) {
			err = -EIO;
			break;
		}
		/*
		 * The head moved but perhaps not up to c->next (a cursor set
		 * ahead with TSMON_FROM_SEQ): read() makes the current head
		 * this file's baseline, so the next poll() sleeps again.
		 */
		if (read(fd, &head, sizeof(head)) < 0 && errno != EAGAIN) {
			err = -errno;
			break;
		}
	}

	close(fd);
	return err;
}
