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
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "fmt.h"
#include "journal.h"
#include "parse.h"
#include "print.h"
#include "stop.h"

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
			if (parse_duration_opt("events", "--timeout", optarg,
					       &eo->timeout_ns))
				goto usage;
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

static int print_events(struct tsmon_sub *sub, const struct events_opts *eo,
			struct stop *st)
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
			/* the socket, a stop signal or the deadline (0: none) */
			ret = stop_wait(st, tsmon_sub_fd(sub), deadline);
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
	struct stop st;
	int ret;

	if (parse_events_opts(argc, argv, &eo, &ret))
		return ret;

	ret = stop_init(&st);
	if (ret) {
		cli_error("events", "cannot watch for signals", ret);
		stop_fini(&st);
		return EXIT_ERROR;
	}
	if (cli_sub_open(&sub)) {
		stop_fini(&st);
		return EXIT_ERROR;
	}
	ret = print_events(sub, &eo, &st);
	tsmon_sub_close(sub);
	stop_fini(&st);
	return ret;
}
