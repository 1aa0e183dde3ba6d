// SPDX-License-Identifier: GPL-2.0-only
/*
 * tsmon - show what the tsmon kernel module recorded about the system
 * clock: its health block (status) and its event ring (ring), read from
 * the mapped device, and the same records pushed over generic netlink
 * (events).
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "fmt.h"

#ifndef TSMON_VERSION
#error "TSMON_VERSION must be defined by the build"
#endif

struct command {
	const char *name;
	int (*fn)(const struct cli *cli, int argc, char **argv);
	const char *help;
};

static int cmd_help(const struct cli *cli, int argc, char **argv);

static const struct command commands[] = {
	{ "status", cmd_status, "show the clock health block" },
	{ "ring",   cmd_ring,   "print the recorded events, or follow them" },
	{ "events", cmd_events, "print the events pushed over netlink" },
	{ "config", cmd_config, "show or set the PHC frequency record limits" },
	{ "check",  cmd_check,  "check the clock against thresholds "
				"(monitoring plugin)" },
	{ "prometheus", cmd_prometheus,
		    "write the metrics for node_exporter's textfile "
		    "collector" },
	{ "help",   cmd_help,   "show this help" },
};

#define NUM_COMMANDS	(sizeof(commands) / sizeof(commands[0]))

static void usage(FILE *f, bool full)
{
	size_t i;

	fputs("Usage: tsmon [--device PATH] COMMAND [OPTIONS]\n"
	      "       tsmon --version | --help\n", f);
	if (!full) {
		fputs("Try 'tsmon --help' for more information.\n", f);
		return;
	}
	fputs("\nCommands:\n", f);
	for (i = 0; i < NUM_COMMANDS; i++)
		fprintf(f, "  %-10s  %s\n", commands[i].name, commands[i].help);
	fputs("\nOptions:\n"
	      "  -d, --device PATH  region to read (default "
	      TSMON_DEVICE_PATH ")\n"
	      "  -V, --version      print the version and exit\n"
	      "  -h, --help         print this help and exit\n"
	      "\nRun 'tsmon COMMAND --help' for the options of a command.\n",
	      f);
}

static int cmd_help(const struct cli *cli, int argc, char **argv)
{
	usage(stdout, true);
	return cli_finish_output(EXIT_OK);
}

/* Remembers the first failed write to stdout: errno is that write's. */
static int output_errno;

bool cli_output_failed(void)
{
	if (!output_errno && ferror(stdout))
		output_errno = errno ? errno : EIO;
	return output_errno != 0;
}

bool cli_extra_operand(const char *cmd, int argc, char **argv)
{
	if (optind >= argc)
		return false;
	fprintf(stderr, "tsmon %s: unexpected argument '%s'\n", cmd, argv[optind]);
	return true;
}

uint64_t clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * NSEC_PER_SEC + (uint64_t)ts.tv_nsec;
}

uint64_t mono_ns(void)
{
	return clock_ns(CLOCK_MONOTONIC);
}

int cli_finish_output(int status)
{
	if (fflush(stdout) && !output_errno)
		output_errno = errno ? errno : EIO;
	cli_output_failed();
	if (!output_errno || output_errno == EPIPE)
		return status;
	fprintf(stderr, "tsmon: write error: %s\n", strerror(output_errno));
	return EXIT_ERROR;
}

const char *cli_open_hint(const struct cli *cli, int err)
{
	switch (err) {
	case -ENOENT:
		/* for a path the user chose, "no such file" says it all */
		if (!strcmp(cli->device, TSMON_DEVICE_PATH))
			return " (is the tsmon module loaded? try: modprobe "
			       "tsmon)";
		break;
	case -EBADMSG:
		return ": not a tsmon region (bad magic or layout)";
	case -EPROTONOSUPPORT:
		return ": ABI version mismatch (module is newer/older than "
		       "this tool)";
	}
	return "";
}

void cli_open_error(const struct cli *cli, int err)
{
	fprintf(stderr, "tsmon: cannot open %s: %s%s\n", cli->device,
		strerror(-err), cli_open_hint(cli, err));
}

int cli_open(const struct cli *cli, struct tsmon **t)
{
	int ret;

	ret = tsmon_open(cli->device, t);
	if (ret)
		cli_open_error(cli, ret);
	return ret;
}

void cli_error(const char *cmd, const char *what, int err)
{
	fprintf(stderr, "tsmon %s: %s: %s\n", cmd, what, strerror(-err));
}

int cli_sub_open(struct tsmon_sub **s)
{
	int ret;

	ret = tsmon_sub_open(s);
	if (ret == -ENOENT)
		fputs("tsmon: tsmon netlink family not found (is the tsmon "
		      "module loaded? try: modprobe tsmon)\n", stderr);
	else if (ret)
		fprintf(stderr, "tsmon: cannot open a generic netlink "
			"socket: %s\n", strerror(-ret));
	return ret;
}

void cli_sub_error(const char *cmd, const char *what, int err)
{
	switch (err) {
	case -ENODEV:
	/* the family was there when the subscription was opened */
	case -ENOENT:
		fputs("tsmon: the tsmon module was unloaded\n", stderr);
		break;
	case -EPERM:
		fprintf(stderr, "tsmon %s: %s: %s (needs CAP_NET_ADMIN or "
			"CAP_SYS_TIME)\n", cmd, what, strerror(-err));
		break;
	default:
		cli_error(cmd, what, err);
	}
}

static const struct command *find_command(const char *name)
{
	size_t i;

	for (i = 0; i < NUM_COMMANDS; i++)
		if (!strcmp(commands[i].name, name))
			return &commands[i];
	return NULL;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "device",	required_argument,	NULL, 'd' },
		{ "version",	no_argument,		NULL, 'V' },
		{ "help",	no_argument,		NULL, 'h' },
		{ NULL,		0,			NULL, 0 },
	};
	static char tsmon[] = "tsmon";
	struct cli cli = { .device = TSMON_DEVICE_PATH };
	const struct command *cmd;
	char name[32];
	int c;

	/* a closed pipe shows up as EPIPE from the write, handled there */
	signal(SIGPIPE, SIG_IGN);

	/* getopt names argv[0] in its messages: not the path we ran from */
	argv[0] = tsmon;
	/* '+': options after the command name belong to the command */
	while ((c = getopt_long(argc, argv, "+d:Vh", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			cli.device = optarg;
			break;
		case 'V':
			printf("tsmon %s\n", TSMON_VERSION);
			return cli_finish_output(EXIT_OK);
		case 'h':
			usage(stdout, true);
			return cli_finish_output(EXIT_OK);
		default:
			usage(stderr, false);
			return EXIT_USAGE;
		}
	}

	if (optind >= argc) {
		fputs("tsmon: no command given\n", stderr);
		usage(stderr, false);
		return EXIT_USAGE;
	}
	cmd = find_command(argv[optind]);
	if (!cmd) {
		fprintf(stderr, "tsmon: unknown command '%s'\n", argv[optind]);
		usage(stderr, false);
		return EXIT_USAGE;
	}

	snprintf(name, sizeof(name), "tsmon %s", cmd->name);
	argv[optind] = name;
	argc -= optind;
	argv += optind;
	/* 0, not 1: makes glibc reset its internal state for the new vector */
	optind = 0;
	return cmd->fn(&cli, argc, argv);
}
