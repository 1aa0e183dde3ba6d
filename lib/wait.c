// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libtsmon blocking wait: the one read-side call that sleeps in the kernel,
 * and the waiter files that let a caller sleep in its own event loop.
 */
#include <errno.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "tsmon_private.h"

/*
 * A waiter file (TSMON_IOC_WAITER, see <tsmon/abi.h>): asked of the
 * handle's own descriptor, so no path is looked up again, which a chroot,
 * Landlock or seccomp may since have made impossible. Its readiness is a
 * function of its own threshold and the head alone, so any number of
 * threads can each have one without taking each other's wakeups.
 */
static int waiter_new(const struct tsmon *t, uint64_t after, uint32_t flags)
{
	struct tsmon_waiter_args args = { .after = after, .flags = flags };
	int fd;

	/* Only the device implements waiters. */
	if (!t->chardev)
		return -ENOTTY;
	fd = ioctl(t->fd, TSMON_IOC_WAITER, &args);
	return fd < 0 ? -errno : fd;
}

TSMON_EXPORT
int tsmon_wait(const struct tsmon *t, const struct tsmon_cursor *c,
	       int timeout_ms)
{
	struct pollfd pfd;
	uint64_t deadline = 0;
	int err, left, fd;

	if (!t || !c || !c->next)
		return -EINVAL;
	if (!t->chardev)
		return -ENOTTY;
	/* Another instance's sequence numbers may never be reached here. */
	if (c->instance_id != t->info.instance_id)
		return -ESTALE;

	if (c->next <= tsmon_load_head(t))
		return 0;
	if (timeout_ms == 0)
		return -ETIMEDOUT;
	if (timeout_ms > 0)
		deadline = tsmon_mono_now() +
			   (uint64_t)timeout_ms * NSEC_PER_MSEC;

	/*
	 * Ready once record c->next is published: the threshold is absolute,
	 * so one published between the check above and the ioctl counts.
	 */
	fd = waiter_new(t, c->next - 1, TSMON_WAITER_NONBLOCK);
	if (fd < 0)
		return fd;
	pfd.fd = fd;
	pfd.events = POLLIN;

	for (;;) {
		left = -1;
		if (timeout_ms > 0) {
			uint64_t now = tsmon_mono_now();

			if (now >= deadline) {
				err = c->next <= tsmon_load_head(t) ?
				      0 : -ETIMEDOUT;
				break;
			}
			left = tsmon_poll_ms(now, deadline);
		}

		pfd.revents = 0;
		err = poll(&pfd, 1, left);
		if (err < 0) {
			err = -errno;
			break;
		}
		if (err == 0)
			continue;
		err = pfd.revents & POLLIN ? 0 : -EIO;
		break;
	}

	close(fd);
	return err;
}

TSMON_EXPORT
int tsmon_waiter_open(const struct tsmon *t, uint64_t after_seq)
{
	if (!t)
		return -EINVAL;
	/* Non-blocking: it is meant for an event loop, where read() must not sleep. */
	return waiter_new(t, after_seq, TSMON_WAITER_NONBLOCK);
}

TSMON_EXPORT
int tsmon_waiter_arm(int fd, uint64_t after_seq)
{
	ssize_t n;

	if (fd < 0)
		return -EBADF;
	n = write(fd, &after_seq, sizeof(after_seq));
	if (n < 0)
		return -errno;
	return n == sizeof(after_seq) ? 0 : -EIO;
}
