// SPDX-License-Identifier: GPL-2.0-only
/*
 * tsmon events: the records the module pushes over generic netlink, as
 * they come. They are printed by the printer `tsmon ring` uses, so both
 * commands produce the same lines and the same NDJSON. libtsmon replays
 * from the ring whatever the live feed missed and reports what is gone as
 * lost markers, so the output has no silent gaps either. No device node
 * is opened.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "fmt.h"
#include "journal.h"
#include "parse.h"
#include "print.h"

struct events_opts {
	bool json;
	bool journal;
	enum tsmon_whence whence;
	uint64_t since;
	uint64_t types;		/* bit per type to print; 0: all */
	uint64_t count;		/* records to print; 0: no limit */
	bool timeout;
	uint64_t timeout_ns;
};

static void events_usage(FILE *f, bool full)
{
	fputs("Usage: tsmon events [--json | --journal] [--since SEQ | --all] "
	      "[--type T[,T...]]\n"
	      "                    [--count N] [--timeout SECONDS]\n", f);
	if (!full) {
		fputs("Try 'tsmon events --help' for more information.\n", f);
		return;
	}
	fputs("\nPrint the events the tsmon module sends over generic netlink "
	      "as they happen,\nin the format of 'tsmon ring'. Needs no "
	      "device node.\n"
	      "\nOptions:\n"
	      "  -j, --json          one JSON object per line (NDJSON)\n"
	      "      --journal       log each record to the systemd journal "
	      "as one\n"
	      "                      structured entry instead of printing it\n"
	      "  -s, --since SEQ     start with the record numbered SEQ\n"
	      "  -a, --all           start with the oldest record the ring "
	      "holds\n"
	      "  -t, --type T[,T...] only these event types (lost markers are\n"
	      "                      always printed)\n"
	      "  -c, --count N       exit after printing N records\n"
	      "      --timeout SECONDS\n"
	      "                      exit when SECONDS have passed and no "
	      "record is ready\n"
	      "  -h, --help          print this help and exit\n"
	      "\nWithout --since or --all, only events after the start are "
	      "printed.\nSIGINT and SIGTERM end it with status 0.\n", f);
}

/*
 * Returns true when the command is over before it began (--help or a usage
 * error), with its exit status in *status.
 */
static bool parse_events_opts(int argc, char **argv, struct events_opts *eo,
			      int *status)
{
	enum { OPT_TIMEOUT = 256, OPT_JOURNAL };
	static const struct option opts[] = {
		{ "json",	no_argument,		NULL, 'j' },
		{ "journal",	no_argument,		NULL, OPT_JOURNAL },
		{ "since",	required_argument,	NULL, 's' },
		{ "all",	no_argument,		NULL, 'a' },
		{ "type",	required_argument,	NULL, 't' },
		{ "count",	required_argument,	NULL, 'c' },
		{ "timeout",	required_argument,	NULL, OPT_TIMEOUT },
		{ "help",	no_argument,		NULL, 'h' },
		{ NULL,		0,			NULL, 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, "js:at:c:h", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			eo->json = true;
			break;
		case OPT_JOURNAL:
			eo->journal = true;
			break;
		case 's':
		case 'a':
			if (eo->whence != TSMON_FROM_NOW) {
				fputs("tsmon events: --since and --all exclude "
				      "each other\n", stderr);
				goto usage;
			}
			if (c == 'a') {
				eo->whence = TSMON_FROM_OLDEST;
				break;
			}
			eo->whence = TSMON_FROM_SEQ;
			if (parse_u64(optarg, &eo->since) || !eo->since) {
				fprintf(stderr, "tsmon events: --since needs a "
					"sequence number >= 1, not '%s'\n",
					optarg);
				goto usage;
			}
			break;
		case 't':
			if (parse_types("events", optarg, &eo->types))
				goto usage;
			break;
		case 'c':
			if (parse_u64(optarg, &eo->count) || !eo->count) {
				fprintf(stderr, "tsmon events: --count needs a "
					"number >= 1, not '%s'\n", optarg);
				goto usage;
			}
			break;
		case OPT_TIMEOUT:
			eo->timeout = true;
			if (parse_secs(optarg, &eo->timeout_ns)) {
				fprintf(stderr, "tsmon events: --timeout needs "
					"seconds (such as 10 or 0.5), not "
					"'%s'\n", optarg);
				goto usage;
			}
			break;
		case 'h':
			events_usage(stdout, true);
			*status = cli_finish_output(EXIT_OK);
			return true;
		default:
			goto usage;
		}
	}
	if (cli_extra_operand("events", argc, argv))
		goto usage;
	if (eo->json && eo->journal) {
		fputs("tsmon events: --json and --journal exclude each other\n",
		      stderr);
		goto usage;
	}
	return false;

usage:
	events_usage(stderr, false);
	*status = EXIT_USAGE;
	return true;
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * NSEC_PER_SEC + (uint64_t)ts.tv_nsec;
}

/*
 * SIGINT and SIGTERM as a file descriptor, polled with the subscription's:
 * a signal that arrives at any moment ends the wait, with no window
 * between a flag check and the poll in which it would be missed.
 */
static int stop_signal_fd(void)
{
	sigset_t set;
	int fd;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	if (sigprocmask(SIG_BLOCK, &set, NULL))
		return -errno;
	fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	return fd < 0 ? -errno : fd;
}

/*
 * Wait until the subscription's socket is readable, a stop signal came or
 * the deadline (0: none) passed. Returns 1 to read on, 0 to stop, or a
 * negative errno.
 */
static int wait_for_events(int sub_fd, int sig_fd, uint64_t deadline)
{
	struct pollfd pfd[2] = {
		{ .fd = sub_fd, .events = POLLIN },
		{ .fd = sig_fd, .events = POLLIN },
	};
	uint64_t now, left_ms;
	int timeout = -1, n;

	if (deadline) {
		now = mono_ns();
		if (now >= deadline)
			return 0;
		/* rounded up: waking early would only poll again */
		left_ms = (deadline - now + 999999) / 1000000;
		timeout = left_ms > INT_MAX ? INT_MAX : (int)left_ms;
	}
	n = poll(pfd, 2, timeout);
	if (n < 0)
		return errno == EINTR ? 1 : -errno;
	if (pfd[1].revents)
		return 0;
	return 1;
}

static int print_events(struct tsmon_sub *sub, const struct events_opts *eo,
			int sig_fd)
{
	uint64_t deadline = 0, printed = 0;
	struct out o = { .f = stdout };
	struct journal jl = { 0 };
	struct tsmon_record rec;
	struct json j;
	int ret;

	if (eo->json) {
		json_init(&j, stdout);
		o.j = &j;
	}
	if (eo->timeout) {
		uint64_t now = mono_ns();

		/* 0 would mean no deadline: 1 ns later is the same instant */
		deadline = eo->timeout_ns > UINT64_MAX - now ? UINT64_MAX :
			   now + (eo->timeout_ns ? eo->timeout_ns : 1);
	}

	ret = tsmon_sub_start(sub, eo->whence, eo->since);
	if (ret) {
		cli_sub_error("events", "cannot start the subscription", ret);
		return EXIT_ERROR;
	}
	for (;;) {
		/*
		 * Waits for nothing new: it reads the replies of a replay in
		 * flight, and -EAGAIN says nothing more has arrived.
		 */
		ret = tsmon_sub_next(sub, &rec, 0);
		if (ret == -EAGAIN) {
			ret = wait_for_events(tsmon_sub_fd(sub), sig_fd,
					      deadline);
			if (ret > 0)
				continue;
			if (ret == 0)
				break;
			cli_error("events", "cannot wait for events", ret);
			return cli_finish_output(EXIT_ERROR);
		}
		if (ret) {
			cli_sub_error("events", "cannot receive events", ret);
			return cli_finish_output(EXIT_ERROR);
		}
		if (!record_wanted(eo->types, &rec))
			continue;
		if (eo->journal) {
			if (journal_log(&jl, &rec))
				break;
		} else {
			print_record(&o, &rec);
			fflush(stdout);
			if (cli_output_failed())
				break;
		}
		if (eo->count && ++printed == eo->count)
			break;
	}
	if (eo->journal)
		return journal_finish(&jl);
	return cli_finish_output(EXIT_OK);
}

int cmd_events(const struct cli *cli, int argc, char **argv)
{
	struct events_opts eo = { .whence = TSMON_FROM_NOW };
	struct tsmon_sub *sub;
	int ret, sig_fd;

	if (parse_events_opts(argc, argv, &eo, &ret))
		return ret;

	sig_fd = stop_signal_fd();
	if (sig_fd < 0) {
		cli_error("events", "cannot watch for signals", sig_fd);
		return EXIT_ERROR;
	}
	if (cli_sub_open(&sub)) {
		close(sig_fd);
		return EXIT_ERROR;
	}
	ret = print_events(sub, &eo, sig_fd);
	tsmon_sub_close(sub);
	close(sig_fd);
	return ret;
}
