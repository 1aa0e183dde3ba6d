/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What the tsmon subcommands share with the command-line front end.
 */
#ifndef TSMON_TOOLS_CLI_H
#define TSMON_TOOLS_CLI_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include <tsmon/tsmon.h>

/* Exit statuses, documented in tsmon(8). */
#define EXIT_OK		0
#define EXIT_ERROR	1
#define EXIT_USAGE	2

struct cli {
	const char *device;	/* --device, or TSMON_DEVICE_PATH */
};

/*
 * A subcommand: argv[0] is "tsmon NAME" (getopt's prefix for its messages),
 * the command's options follow. Returns an exit status.
 */
int cmd_status(const struct cli *cli, int argc, char **argv);
int cmd_ring(const struct cli *cli, int argc, char **argv);
int cmd_events(const struct cli *cli, int argc, char **argv);
int cmd_config(const struct cli *cli, int argc, char **argv);
int cmd_check(const struct cli *cli, int argc, char **argv);
int cmd_prometheus(const struct cli *cli, int argc, char **argv);

/* Open cli->device; on failure explain why on stderr and return -errno. */
int cli_open(const struct cli *cli, struct tsmon **t);
/* That explanation: "tsmon: cannot open PATH: REASON[HINT]". */
void cli_open_error(const struct cli *cli, int err);
/* Its HINT part for err (-ENOENT, ...): "" or text to append. */
const char *cli_open_hint(const struct cli *cli, int err);

/*
 * Open a subscription to the module's netlink family (no device needed);
 * on failure explain why on stderr and return -errno.
 */
int cli_sub_open(struct tsmon_sub **s);

/* Explain a failed netlink request (-EPERM, -ENODEV, ...) on stderr. */
void cli_sub_error(const char *cmd, const char *what, int err);

/*
 * After getopt: true, with the reason on stderr, when arguments are left
 * over (no subcommand takes operands).
 */
bool cli_extra_operand(const char *cmd, int argc, char **argv);

/* Report a failed library call on stderr. */
void cli_error(const char *cmd, const char *what, int err);

/*
 * Flush stdout and turn its state into the command's exit status. A reader
 * that went away (EPIPE, e.g. `tsmon ring | head`) ends the command quietly
 * and successfully; any other write error is reported.
 */
int cli_finish_output(int status);

/* True once writing to stdout has failed: stop producing output. */
bool cli_output_failed(void);

/* The time of clock id now, in nanoseconds; mono_ns() for CLOCK_MONOTONIC. */
uint64_t clock_ns(clockid_t id);
uint64_t mono_ns(void);

#endif /* TSMON_TOOLS_CLI_H */
