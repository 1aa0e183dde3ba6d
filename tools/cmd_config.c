// SPDX-License-Identifier: GPL-2.0-only
/*
 * tsmon config: the module's run-time settings, read and changed over its
 * generic netlink family: the limits on PHC frequency records (daemons such
 * as phc2sys adjust a PHC's frequency many times a second, and the module
 * records a change only when it is large enough and not too soon after the
 * last one it recorded), and the error budget for sync sources that
 * assert none, a module parameter written through sysfs.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "parse.h"
#include "print.h"

#define LABEL_WIDTH	20
#define BUDGET_PARAM	"/sys/module/tsmon/parameters/sync_budget_ns"

struct config_opts {
	bool json;
	int64_t threshold_ppb;	/* -1: leave as it is */
	int64_t interval_ms;	/* -1: leave as it is */
	bool set_budget;
	uint64_t budget_ns;
};

static void config_usage(FILE *f, bool full)
{
	fputs("Usage: tsmon config [--json] [--phc-freq-threshold PPB] "
	      "[--phc-freq-interval MS]\n"
	      "                    [--sync-budget DURATION]\n", f);
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
	      "      --sync-budget DURATION  the error this node's sync "
	      "source is good to when\n"
	      "                              it asserts none (maxerror 0: "
	      "phc2sys, ptp4l,\n"
	      "                              systemd-timesyncd), e.g. 1us; "
	      "0: such updates\n"
	      "                              give no bound (needs root; "
	      "at most 16s)\n"
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
	enum { OPT_THRESHOLD = 256, OPT_INTERVAL, OPT_BUDGET };
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "phc-freq-threshold", required_argument, NULL,
		  OPT_THRESHOLD },
		{ "phc-freq-interval", required_argument, NULL, OPT_INTERVAL },
		{ "sync-budget", required_argument, NULL, OPT_BUDGET },
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
		case OPT_BUDGET:
			if (parse_duration(optarg, &co->budget_ns)) {
				fprintf(stderr, "tsmon config: --sync-budget "
					"needs a duration such as 1us or 0, "
					"not '%s'\n", optarg);
				goto usage;
			}
			co->set_budget = true;
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
			 const struct tsmon_nl_status *st, uint64_t sync_budget_ns)
{
	struct json j;

	if (!co->json) {
		printf("%-*s%" PRIu32 " ppb\n", LABEL_WIDTH,
		       "phc freq threshold", st->phc_freq_threshold_ppb);
		printf("%-*s%" PRIu32 " ms\n", LABEL_WIDTH,
		       "phc freq interval", st->phc_freq_interval_ms);
		if (sync_budget_ns)
			printf("%-*s%" PRIu64 " ns\n", LABEL_WIDTH,
			       "sync budget", sync_budget_ns);
		else
			printf("%-*snone (sources asserting maxerror 0 give "
			       "no bound)\n", LABEL_WIDTH, "sync budget");
		return;
	}
	json_init(&j, stdout);
	json_object_begin(&j, NULL);
	json_u64(&j, "phc_freq_threshold_ppb", st->phc_freq_threshold_ppb);
	json_u64(&j, "phc_freq_interval_ms", st->phc_freq_interval_ms);
	json_u64(&j, "sync_budget_ns", sync_budget_ns);
	json_object_end(&j);
}

/* The budget is a module parameter: every reader sees it in the health block. */
static int set_budget(uint64_t ns)
{
	char buf[32];
	int fd, len, err = 0;

	len = snprintf(buf, sizeof(buf), "%" PRIu64 "\n", ns);
	fd = open(BUDGET_PARAM, O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write(fd, buf, (size_t)len) != len)
		err = errno;
	if (fd >= 0)
		close(fd);
	if (!err)
		return 0;
	if (err == ERANGE || err == EINVAL)
		fputs("tsmon config: the module refused the budget: at most "
		      "16s\n", stderr);
	else
		fprintf(stderr, "tsmon config: cannot set the sync budget "
			"(%s): %s\n", BUDGET_PARAM, strerror(err));
	return -err;
}

static int run_config(struct tsmon_sub *sub, const struct config_opts *co)
{
	struct tsmon_nl_status st;
	struct tsmon_health h;
	int ret;

	if (co->set_budget && set_budget(co->budget_ns))
		return EXIT_ERROR;
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
	ret = tsmon_sub_status(sub, &st, &h);
	if (ret) {
		cli_sub_error("config", "cannot read the settings", ret);
		return EXIT_ERROR;
	}
	print_config(co, &st, h.sync_budget_ns);
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
