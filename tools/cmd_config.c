// SPDX-License-Identifier: GPL-2.0-only
/*
 * tsmon config: the module's run-time settings, read and changed over its
 * generic netlink family. Today these are the limits on PHC frequency
 * records: daemons such as phc2sys adjust a PHC's frequency many times a
 * second, and the module records a change only when it is large enough
 * and not too soon after the last one it recorded.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <string.h>

#include "cli.h"
#include "parse.h"
#include "print.h"

#define LABEL_WIDTH	20

struct config_opts {
	bool json;
	int64_t threshold_ppb;	/* -1: leave as it is */
	int64_t interval_ms;	/* -1: leave as it is */
};

static void config_usage(FILE *f, bool full)
{
	fputs("Usage: tsmon config [--json] [--phc-freq-threshold PPB] "
	      "[--phc-freq-interval MS]\n", f);
	if (!full) {
		fputs("Try 'tsmon config --help' for more information.\n", f);
		return;
	}
	fputs("\nShow the tsmon module's settings, or change them (needs "
	      "CAP_NET_ADMIN or\nCAP_SYS_TIME), over generic netlink.\n"
	      "\nOptions:\n"
	      "  -j, --json                  print one JSON object\n"
	      "      --phc-freq-threshold PPB\n"
	      "                              record a PHC frequency change "
	      "only when it moved\n"
	      "                              this many parts per billion "
	      "since the last\n"
	      "                              recorded one (0: every change)\n"
	      "      --phc-freq-interval MS  at most one PHC frequency record "
	      "per PHC per this\n"
	      "                              many milliseconds (0: no limit)\n"
	      "  -h, --help                  print this help and exit\n", f);
}

static bool parse_limit(const char *opt, const char *arg, int64_t *v)
{
	uint64_t n;

	if (parse_u64(arg, &n) || n > UINT32_MAX) {
		fprintf(stderr, "tsmon config: %s needs a number from 0 to "
			"%" PRIu32 ", not '%s'\n", opt, UINT32_MAX, arg);
		return false;
	}
	*v = (int64_t)n;
	return true;
}

/*
 * Returns true when the command is over before it began (--help or a usage
 * error), with its exit status in *status.
 */
static bool parse_config_opts(int argc, char **argv, struct config_opts *co,
			      int *status)
{
	enum { OPT_THRESHOLD = 256, OPT_INTERVAL };
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "phc-freq-threshold", required_argument, NULL,
		  OPT_THRESHOLD },
		{ "phc-freq-interval", required_argument, NULL, OPT_INTERVAL },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, "jh", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			co->json = true;
			break;
		case OPT_THRESHOLD:
			if (!parse_limit("--phc-freq-threshold", optarg,
					 &co->threshold_ppb))
				goto usage;
			break;
		case OPT_INTERVAL:
			if (!parse_limit("--phc-freq-interval", optarg,
					 &co->interval_ms))
				goto usage;
			break;
		case 'h':
			config_usage(stdout, true);
			*status = cli_finish_output(EXIT_OK);
			return true;
		default:
			goto usage;
		}
	}
	if (cli_extra_operand("config", argc, argv))
		goto usage;
	return false;

usage:
	config_usage(stderr, false);
	*status = EXIT_USAGE;
	return true;
}

static void print_config(const struct config_opts *co,
			 const struct tsmon_nl_status *st)
{
	struct json j;

	if (!co->json) {
		printf("%-*s%" PRIu32 " ppb\n", LABEL_WIDTH,
		       "phc freq threshold", st->phc_freq_threshold_ppb);
		printf("%-*s%" PRIu32 " ms\n", LABEL_WIDTH,
		       "phc freq interval", st->phc_freq_interval_ms);
		return;
	}
	json_init(&j, stdout);
	json_object_begin(&j, NULL);
	json_u64(&j, "phc_freq_threshold_ppb", st->phc_freq_threshold_ppb);
	json_u64(&j, "phc_freq_interval_ms", st->phc_freq_interval_ms);
	json_object_end(&j);
}

static int run_config(struct tsmon_sub *sub, const struct config_opts *co)
{
	struct tsmon_nl_status st;
	int ret;

	if (co->threshold_ppb >= 0 || co->interval_ms >= 0) {
		ret = tsmon_sub_set_config(sub, co->threshold_ppb,
					   co->interval_ms);
		if (ret == -ERANGE) {
			/* the module's own bounds; the value fits a u32 */
			fputs("tsmon config: the module refused the value: "
			      "out of range\n", stderr);
			return EXIT_ERROR;
		}
		if (ret) {
			cli_sub_error("config", "cannot change the settings",
				      ret);
			return EXIT_ERROR;
		}
	}
	ret = tsmon_sub_status(sub, &st);
	if (ret) {
		cli_sub_error("config", "cannot read the settings", ret);
		return EXIT_ERROR;
	}
	print_config(co, &st);
	return cli_finish_output(EXIT_OK);
}

int cmd_config(const struct cli *cli, int argc, char **argv)
{
	struct config_opts co = { .threshold_ppb = -1, .interval_ms = -1 };
	struct tsmon_sub *sub;
	int ret;

	if (parse_config_opts(argc, argv, &co, &ret))
		return ret;

	if (cli_sub_open(&sub))
		return EXIT_ERROR;
	ret = run_config(sub, &co);
	tsmon_sub_close(sub);
	return ret;
}
