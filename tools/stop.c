// SPDX-License-Identifier: GPL-2.0-only
/*
 * Stop signals as a file descriptor, see stop.h.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "fmt.h"
#include "stop.h"

int stop_init(struct stop *s)
{
	sigset_t set;

	s->fd = -1;
	s->stopped = false;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	if (sigprocmask(SIG_BLOCK, &set, NULL))
		return -errno;
	s->fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	return s->fd < 0 ? -errno : 0;
}

void stop_fini(struct stop *s)
{
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
}

uint64_t stop_deadline(uint64_t ns)
{
	uint64_t now = mono_ns();

	return ns > UINT64_MAX - now ? UINT64_MAX : now + ns;
}

int stop_wait(struct stop *s, int fd, uint64_t deadline)
{
	struct pollfd pfd[2] = {
		{ .fd = s->fd, .events = POLLIN },
		{ .fd = fd, .events = POLLIN },	/* ignored when -1 */
	};
	struct timespec ts, *tsp;
	uint64_t now, left;
	int n;

	for (;;) {
		if (s->stopped)
			return 0;
		tsp = NULL;
		if (deadline) {
			now = mono_ns();
			if (now >= deadline)
				return 0;
			left = deadline - now;
			ts.tv_sec = (time_t)(left / NSEC_PER_SEC);
			ts.tv_nsec = (long)(left % NSEC_PER_SEC);
			tsp = &ts;
		}
		n = ppoll(pfd, 2, tsp, NULL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (pfd[0].revents)
			s->stopped = true;
		else if (pfd[1].revents)
			return 1;
	}
}
