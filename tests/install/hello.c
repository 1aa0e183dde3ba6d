// SPDX-License-Identifier: GPL-2.0-only
/*
 * hello.c - the smallest libtsmon user, built against an installed tree with
 * nothing but `pkg-config --cflags --libs libtsmon`.
 *
 * usage: hello [DEVICE]
 * Without a device (the build host has no module) it proves that the
 * library links and answers: event names resolve and opening a missing
 * device is a clean -ENOENT. With one it reads the health block, the ring
 * head and the clock, as a service on a node would.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <tsmon/tsmon.h>

int main(int argc, char **argv)
{
	struct tsmon_health h;
	struct tsmon_time now;
	struct tsmon *t;
	const char *name;
	uint64_t head;
	uint32_t type;
	int ret;

	if (tsmon_event_type_from_name("clock_step", &type) ||
	    tsmon_event_type_name(type, &name) || strcmp(name, "clock_step")) {
		fprintf(stderr, "hello: event names do not round-trip\n");
		return 1;
	}
	if (argc < 2) {
		ret = tsmon_open("/nonexistent/tsmon", &t);
		if (ret != -ENOENT) {
			fprintf(stderr, "hello: tsmon_open of a missing device: %d, want %d\n",
				ret, -ENOENT);
			return 1;
		}
		printf("hello: libtsmon linked; clock_step is type %" PRIu32 "\n", type);
		return 0;
	}
	ret = tsmon_open(argv[1], &t);
	if (ret) {
		fprintf(stderr, "hello: %s: %s\n", argv[1], strerror(-ret));
		return 1;
	}
	ret = tsmon_health(t, &h);
	if (!ret)
		ret = tsmon_head(t, &head);
	if (!ret)
		ret = tsmon_now(t, &now);
	if (ret) {
		fprintf(stderr, "hello: reading %s: %s\n", argv[1], strerror(-ret));
		tsmon_close(t);
		return 1;
	}
	printf("hello: %s: %" PRIu64 " records, clock status %d\n", argv[1], head,
	       (int)now.status);
	tsmon_close(t);
	return 0;
}
