// SPDX-License-Identifier: GPL-2.0-only
/*
 * tsmon prometheus: feed node_exporter's textfile collector. The metrics
 * of `tsmon status --prometheus` are written to DIR/tsmon.prom whenever the
 * module publishes a record, so a scrape sees a step as soon as it
 * happened, and at least every --interval, because the time-based gauges
 * (bound, ages) move with no event at all.
 *
 * A separate command rather than an option of status: it runs for as long
 * as the service does, owns a file, and survives the module being absent
 * (it then writes tsmon_up 0 and keeps trying), none of which a one-shot
 * status does.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "fmt.h"
#include "parse.h"
#include "prom.h"
#include "status.h"
#include "stop.h"

#define DEFAULT_INTERVAL_NS	(15 * NSEC_PER_SEC)
/* A region file cannot be waited on: its head is looked at this often. */
#define FILE_POLL_NS		(100 * 1000000ULL)
/*
 * Records coming in a burst (a PHC's external timestamps, say) are written
 * at most this often, each write carrying all of them.
 */
#define HOLDOFF_NS		(100 * 1000000ULL)

#define PROM_FILE		"tsmon.prom"

struct prom_opts {
	const char *dir;	/* --textfile; NULL: once to stdout */
	uint64_t interval_ns;
	bool interval_set;
	bool once;
	struct status model;	/* drift and cooldown of the bounded read */
};

static void prom_usage(FILE *f, bool full)
{
	fputs("Usage: tsmon prometheus [--textfile DIR [--interval DUR] "
	      "[--once]]\n"
	      "                        [--drift PPB|kernel] "
	      "[--cooldown SECONDS]\n", f);
	if (!full) {
		fputs("Try 'tsmon prometheus --help' for more information.\n",
		      f);
		return;
	}
	fputs("\nWrite the metrics of 'tsmon status --prometheus' to "
	      "DIR/" PROM_FILE " for\nnode_exporter's textfile collector: on "
	      "every event the module records, and at\nleast every --interval. "
	      "Without --textfile, print them once on stdout.\n"
	      "\nOptions:\n"
	      "  -t, --textfile DIR      the collector's directory "
	      "(node_exporter's\n"
	      "                          --collector.textfile.directory)\n"
	      "  -i, --interval DUR      rewrite at least this often "
	      "(default 15s);\n"
	      "                          DUR is 500ms, 15s, 1m, ...\n"
	      "      --once              write the file once and exit\n"
	      "      --drift PPB|kernel  as for 'tsmon status'\n"
	      "      --cooldown SECONDS  as for 'tsmon status'\n"
	      "  -h, --help              print this help and exit\n"
	      "\nSIGINT and SIGTERM end it with status 0 and remove "
	      "DIR/" PROM_FILE ".\n", f);
}

/*
 * Returns true when the command is over before it began (--help or a usage
 * error), with its exit status in *status.
 */
static bool parse_prom_opts(int argc, char **argv, struct prom_opts *po,
			    int *status)
{
	enum { OPT_ONCE = 256, OPT_DRIFT, OPT_COOLDOWN };
	static const struct option opts[] = {
		{ "textfile",	required_argument,	NULL, 't' },
		{ "interval",	required_argument,	NULL, 'i' },
		{ "once",	no_argument,		NULL, OPT_ONCE },
		{ "drift",	required_argument,	NULL, OPT_DRIFT },
		{ "cooldown",	required_argument,	NULL, OPT_COOLDOWN },
		{ "help",	no_argument,		NULL, 'h' },
		{ NULL,		0,			NULL, 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, "t:i:h", opts, NULL)) != -1) {
		switch (c) {
		case 't':
			if (!*optarg) {
				fputs("tsmon prometheus: --textfile needs a "
				      "directory\n", stderr);
				goto usage;
			}
			po->dir = optarg;
			break;
		case 'i':
			if (parse_duration(optarg, &po->interval_ns) ||
			    !po->interval_ns) {
				fprintf(stderr, "tsmon prometheus: --interval "
					"needs a duration above 0 (such as 15s "
					"or 500ms), not '%s'\n", optarg);
				goto usage;
			}
			po->interval_set = true;
			break;
		case OPT_ONCE:
			po->once = true;
			break;
		case OPT_DRIFT:
			if (parse_drift_opt("prometheus", optarg,
					    &po->model.drift_ppb))
				goto usage;
			break;
		case OPT_COOLDOWN:
			if (parse_duration_opt("prometheus", "--cooldown",
					       optarg, &po->model.cooldown_ns))
				goto usage;
			break;
		case 'h':
			prom_usage(stdout, true);
			*status = cli_finish_output(EXIT_OK);
			return true;
		default:
			goto usage;
		}
	}
	if (cli_extra_operand("prometheus", argc, argv))
		goto usage;
	if (!po->dir && (po->interval_set || po->once)) {
		fputs("tsmon prometheus: --interval and --once need "
		      "--textfile\n", stderr);
		goto usage;
	}
	return false;

usage:
	prom_usage(stderr, false);
	*status = EXIT_USAGE;
	return true;
}

/*
 * The exposition into DIR/tsmon.prom, atomically: node_exporter may read
 * the directory at any moment and must see the old file or the new one,
 * never a part. The temporary name does not end in .prom, so the collector
 * ignores it. Returns 0 or a negative errno, with what failed in *what.
 */
static int write_textfile(const char *dir, const struct status *s,
			  const char *device, const char **what)
{
	char *tmp = NULL, *dst = NULL;
	FILE *f = NULL;
	int fd = -1, ret = 0;

	if (asprintf(&tmp, "%s/.%s.XXXXXX", dir, PROM_FILE) < 0 ||
	    asprintf(&dst, "%s/%s", dir, PROM_FILE) < 0) {
		tmp = dst = NULL;
		*what = "cannot allocate a path";
		ret = -ENOMEM;
		goto out;
	}
	fd = mkstemp(tmp);
	if (fd < 0) {
		ret = -errno;
		*what = "cannot create a file";
		free(tmp);
		tmp = NULL;
		goto out;
	}
	/* mkstemp makes it 0600: node_exporter runs as another user */
	if (fchmod(fd, 0644)) {
		ret = -errno;
		*what = "cannot make the file readable";
		goto out;
	}
	f = fdopen(fd, "w");
	if (!f) {
		ret = -errno;
		*what = "cannot write the file";
		goto out;
	}
	fd = -1;
	prom_write(f, s, device);
	if (fflush(f) || ferror(f)) {
		ret = errno ? -errno : -EIO;
		*what = "cannot write the file";
		goto out;
	}
	/* the data reaches the disk before the name points at it */
	if (fsync(fileno(f))) {
		ret = -errno;
		*what = "cannot sync the file";
		goto out;
	}
	if (rename(tmp, dst)) {
		ret = -errno;
		*what = "cannot rename the file into place";
		goto out;
	}
	free(tmp);
	tmp = NULL;
out:
	if (f)
		fclose(f);
	if (fd >= 0)
		close(fd);
	if (tmp) {
		unlink(tmp);
		free(tmp);
	}
	free(dst);
	return ret;
}

struct feed {
	const struct cli *cli;
	const struct prom_opts *po;
	struct tsmon *t;	/* NULL while the region cannot be opened */
	int open_err;		/* the last open failure reported, 0 if none */
	bool write_failing;	/* a write failure was reported */
	bool up;		/* the last file written has tsmon_up 1 */
	uint64_t head;		/* head when the file was last written */
};

/* Open the region if it is not open; report a failure once per cause. */
static void feed_open(struct feed *fd)
{
	int ret;

	if (fd->t)
		return;
	ret = tsmon_open(fd->cli->device, &fd->t);
	if (!ret) {
		if (fd->open_err)
			fprintf(stderr, "tsmon prometheus: %s is back\n",
				fd->cli->device);
		fd->open_err = 0;
		return;
	}
	fd->t = NULL;
	if (ret != fd->open_err)
		cli_open_error(fd->cli, ret);
	fd->open_err = ret;
}

/* One exposition: 0, or a negative errno when the file was not written. */
static int feed_write(struct feed *fd)
{
	struct status s = fd->po->model;
	const char *what = "";
	bool up = false;
	int ret;

	feed_open(fd);
	if (fd->t) {
		ret = status_read(fd->t, "prometheus", &s);
		if (!ret) {
			up = true;
			fd->head = s.head;
		} else {
			tsmon_close(fd->t);
			fd->t = NULL;
		}
	}
	ret = write_textfile(fd->po->dir, up ? &s : NULL, fd->cli->device,
			     &what);
	if (!ret)
		fd->up = up;
	if (ret && !fd->write_failing)
		fprintf(stderr, "tsmon prometheus: %s in %s: %s\n", what,
			fd->po->dir, strerror(-ret));
	else if (!ret && fd->write_failing)
		fprintf(stderr, "tsmon prometheus: writing to %s works "
			"again\n", fd->po->dir);
	fd->write_failing = ret != 0;
	return ret;
}

/*
 * Sleep until a record newer than the last written one is published, the
 * deadline passes or a stop signal comes. Returns true for a record.
 */
static bool feed_wait(struct feed *fd, struct stop *st, uint64_t deadline)
{
	uint64_t head, at;
	int wfd = -ENOTTY, ret = 0;
	bool record = false;

	if (fd->t) {
		wfd = tsmon_waiter_open(fd->t, fd->head);
		if (wfd < 0 && wfd != -ENOTTY) {
			cli_error("prometheus", "cannot wait for records", wfd);
			tsmon_close(fd->t);
			fd->t = NULL;
		}
	}
	while (!record && ret >= 0 && !st->stopped && mono_ns() < deadline) {
		if (wfd >= 0) {
			ret = stop_wait(st, wfd, deadline);
			record = ret > 0;
		} else if (fd->t) {
			/* a region file: no wakeup, look at the head */
			at = stop_deadline(FILE_POLL_NS);
			ret = stop_wait(st, -1, at < deadline ? at : deadline);
			record = !tsmon_head(fd->t, &head) && head != fd->head;
		} else {
			ret = stop_wait(st, -1, deadline);
		}
	}
	if (ret < 0)
		cli_error("prometheus", "cannot wait", ret);
	if (wfd >= 0)
		close(wfd);
	return record;
}

static int check_dir(const char *dir)
{
	struct stat st;

	if (stat(dir, &st)) {
		fprintf(stderr, "tsmon prometheus: %s: %s\n", dir,
			strerror(errno));
		return -errno;
	}
	if (!S_ISDIR(st.st_mode)) {
		fprintf(stderr, "tsmon prometheus: %s: %s\n", dir,
			strerror(ENOTDIR));
		return -ENOTDIR;
	}
	return 0;
}

static int run_feed(const struct cli *cli, const struct prom_opts *po)
{
	struct feed fd = { .cli = cli, .po = po };
	uint64_t last = 0, deadline;
	struct stop st;
	char *path;
	int ret;

	if (check_dir(po->dir))
		return EXIT_ERROR;
	ret = stop_init(&st);
	if (ret) {
		cli_error("prometheus", "cannot watch for signals", ret);
		stop_fini(&st);
		return EXIT_ERROR;
	}
	/* a directory that cannot take the file is a setup error: say so */
	if (feed_write(&fd)) {
		tsmon_close(fd.t);
		stop_fini(&st);
		return EXIT_ERROR;
	}
	while (!po->once && !st.stopped) {
		last = mono_ns();
		deadline = last + po->interval_ns;
		if (deadline < last)
			deadline = UINT64_MAX;
		/* a burst is written once, HOLDOFF_NS after the wait began */
		if (feed_wait(&fd, &st, deadline))
			stop_wait(&st, -1, last + HOLDOFF_NS);
		if (!st.stopped)
			feed_write(&fd);
	}
	stop_fini(&st);
	tsmon_close(fd.t);
	/* --once, as from cron: a region that could not be read is an error */
	if (po->once)
		return fd.up ? EXIT_OK : EXIT_ERROR;
	/* stopped: a file left behind would claim tsmon_up 1 forever */
	if (asprintf(&path, "%s/%s", po->dir, PROM_FILE) >= 0) {
		if (unlink(path) && errno != ENOENT)
			fprintf(stderr, "tsmon prometheus: cannot remove %s: "
				"%s\n", path, strerror(errno));
		free(path);
	}
	return EXIT_OK;
}

int cmd_prometheus(const struct cli *cli, int argc, char **argv)
{
	struct prom_opts po = {
		.interval_ns = DEFAULT_INTERVAL_NS,
		.model = STATUS_INIT,
	};
	struct status s;
	int ret;

	if (parse_prom_opts(argc, argv, &po, &ret))
		return ret;
	if (po.dir)
		return run_feed(cli, &po);

	s = po.model;
	ret = status_read_device(cli, "prometheus", &s);
	prom_write(stdout, ret ? NULL : &s, cli->device);
	return cli_finish_output(ret ? EXIT_ERROR : EXIT_OK);
}
