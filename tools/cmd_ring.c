// SPDX-License-Identifier: GPL-2.0-only
/*
 * tsmon ring: print the event ring, oldest first, and optionally keep
 * following it. Lost markers from the library are printed in place so that
 * a gap in the sequence numbers never goes unexplained.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "parse.h"
#include "print.h"
#include "stop.h"

/* A region file has no waiter: --follow looks at it this often instead. */
#define FOLLOW_FILE_POLL_NS	100000000ULL

struct ring_opts {
	bool json;
	bool follow;
	enum { START_OLDEST, START_SINCE, START_LAST } start;
	uint64_t since;
	uint64_t last;
	uint64_t types;		/* bit per type to print; 0: all */
};

static void ring_usage(FILE *f, bool full)
{
	fputs("Usage: tsmon ring [--json] [--since SEQ | --last N] [--follow] "
	      "[--type T[,T...]]\n", f);
	if (!full) {
		fputs("Try 'tsmon ring --help' for more information.\n", f);
		return;
	}
	fputs("\nPrint the events the tsmon module recorded, oldest first.\n"
	      "\nOptions:\n"
	      "  -j, --json          one JSON object per line (NDJSON)\n"
	      "  -s, --since SEQ     start at sequence number SEQ\n"
	      "  -n, --last N        only the newest N records\n"
	      "  -f, --follow        keep printing new records until "
	      "SIGINT/SIGTERM\n"
	      "  -t, --type T[,T...] only these event types (lost markers are\n"
	      "                      always printed)\n"
	      "  -h, --help          print this help and exit\n", f);
}

/*
 * Returns true when the command is over before it began (--help or a usage
 * error), with its exit status in *status.
 */
static bool parse_ring_opts(int argc, char **argv, struct ring_opts *ro,
			    int *status)
{
	static const struct option opts[] = {
		{ "json",	no_argument,		NULL, 'j' },
		{ "since",	required_argument,	NULL, 's' },
		{ "last",	required_argument,	NULL, 'n' },
		{ "follow",	no_argument,		NULL, 'f' },
		{ "type",	required_argument,	NULL, 't' },
		{ "help",	no_argument,		NULL, 'h' },
		{ NULL,		0,			NULL, 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, "js:n:ft:h", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			ro->json = true;
			break;
		case 's':
		case 'n':
			if (ro->start != START_OLDEST) {
				fputs("tsmon ring: --since and --last exclude "
				      "each other\n", stderr);
				goto usage;
			}
			if (c == 's') {
				ro->start = START_SINCE;
				if (parse_u64(optarg, &ro->since) ||
				    !ro->since) {
					fprintf(stderr, "tsmon ring: --since "
						"needs a sequence number >= 1, "
						"not '%s'\n", optarg);
					goto usage;
				}
			} else {
				ro->start = START_LAST;
				if (parse_u64(optarg, &ro->last)) {
					fprintf(stderr, "tsmon ring: --last "
						"needs a count, not '%s'\n",
						optarg);
					goto usage;
				}
			}
			break;
		case 'f':
			ro->follow = true;
			break;
		case 't':
			if (parse_types("ring", optarg, &ro->types))
				goto usage;
			break;
		case 'h':
			ring_usage(stdout, true);
			*status = cli_finish_output(EXIT_OK);
			return true;
		default:
			goto usage;
		}
	}
	if (cli_extra_operand("ring", argc, argv))
		goto usage;
	return false;

usage:
	ring_usage(stderr, false);
	*status = EXIT_USAGE;
	return true;
}

/*
 * Position the cursor. --last N starts N records before the end, but never
 * before the oldest record still held: older ones are not lost to this
 * reader, they were never asked for.
 */
static int start_cursor(const struct tsmon *t, const struct ring_opts *ro,
			struct tsmon_cursor *c)
{
	uint64_t head;
	int ret;

	switch (ro->start) {
	case START_SINCE:
		return tsmon_cursor_init(t, c, TSMON_FROM_SEQ, ro->since);
	case START_LAST:
		if (!ro->last)
			return tsmon_cursor_init(t, c, TSMON_FROM_NOW, 0);
		ret = tsmon_cursor_init(t, c, TSMON_FROM_OLDEST, 0);
		if (ret)
			return ret;
		ret = tsmon_head(t, &head);
		if (ret)
			return ret;
		if (head >= ro->last && head - ro->last + 1 > c->next)
			return tsmon_cursor_init(t, c, TSMON_FROM_SEQ,
						 head - ro->last + 1);
		return 0;
	case START_OLDEST:
		break;
	}
	return tsmon_cursor_init(t, c, TSMON_FROM_OLDEST, 0);
}

/*
 * Waits until c->next is published or a stop signal comes, on the waiter
 * @wfd (-ENOTTY: a region file, whose head is looked at every
 * FOLLOW_FILE_POLL_NS). Returns 0 when the caller should look at the ring
 * and at st->stopped, a negative errno on failure.
 */
static int wait_for_record(const struct tsmon_cursor *c, int wfd,
			   struct stop *st)
{
	int ret;

	if (wfd < 0) {
		ret = stop_wait(st, -1, stop_deadline(FOLLOW_FILE_POLL_NS));
		return ret < 0 ? ret : 0;
	}
	ret = tsmon_waiter_arm(wfd, c->next - 1);
	if (!ret)
		ret = stop_wait(st, wfd, 0);
	return ret < 0 ? ret : 0;
}

static int print_ring(const struct tsmon *t, const struct ring_opts *ro)
{
	struct stop st = { .fd = -1 };
	struct out o = { .f = stdout };
	struct tsmon_record rec;
	struct tsmon_cursor c;
	int ret, wfd = -1;
	struct json j;

	if (ro->json) {
		json_init(&j, stdout);
		o.j = &j;
	}
	ret = start_cursor(t, ro, &c);
	if (ret) {
		cli_error("ring", "cannot position the cursor", ret);
		return EXIT_ERROR;
	}
	if (ro->follow) {
		ret = stop_init(&st);
		if (ret) {
			cli_error("ring", "cannot watch for signals", ret);
			return EXIT_ERROR;
		}
		/* The device's waiter, re-armed before each wait. */
		wfd = tsmon_waiter_open(t, c.next - 1);
		if (wfd < 0 && wfd != -ENOTTY) {
			cli_error("ring", "cannot wait for records", wfd);
			stop_fini(&st);
			return EXIT_ERROR;
		}
	}

	ret = 0;
	while (!st.stopped) {
		ret = tsmon_next(t, &c, &rec);
		if (ret == -EAGAIN) {
			ret = 0;
			if (!ro->follow)
				break;
			ret = wait_for_record(&c, wfd, &st);
			if (ret) {
				cli_error("ring", "cannot wait for records",
					  ret);
				break;
			}
			continue;
		}
		if (ret) {
			cli_error("ring", "cannot read the ring", ret);
			break;
		}
		if (!record_wanted(ro->types, &rec))
			continue;
		print_record(&o, &rec);
		if (ro->follow)
			fflush(stdout);
		if (cli_output_failed())
			break;
	}
	if (wfd >= 0)
		close(wfd);
	stop_fini(&st);
	return cli_finish_output(ret ? EXIT_ERROR : EXIT_OK);
}

int cmd_ring(const struct cli *cli, int argc, char **argv)
{
	struct ring_opts ro = { .start = START_OLDEST };
	struct tsmon *t;
	int ret;

	if (parse_ring_opts(argc, argv, &ro, &ret))
		return ret;

	if (cli_open(cli, &t))
		return EXIT_ERROR;
	ret = print_ring(t, &ro);
	tsmon_close(t);
	return ret;
}
