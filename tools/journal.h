/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Records as structured journal entries (tsmon events --journal).
 */
#ifndef TSMON_TOOLS_JOURNAL_H
#define TSMON_TOOLS_JOURNAL_H

#include <stdbool.h>
#include <stdint.h>

#include <tsmon/tsmon.h>

/* Consecutive entries that failed to reach the journal before giving up. */
#define JOURNAL_MAX_FAILURES	3

struct journal {
	uint64_t sent;		/* entries the journal took */
	uint64_t failed;	/* entries it did not */
	unsigned int failing;	/* consecutive failures so far */
};

/*
 * Send rec as one entry. The first failure is reported on stderr; returns
 * 0, or -EIO once JOURNAL_MAX_FAILURES entries in a row have failed, which
 * is reported too.
 */
int journal_log(struct journal *jl, const struct tsmon_record *rec);

/*
 * The exit status the logging allows: EXIT_OK if every entry was taken,
 * EXIT_ERROR (after saying how many were not) otherwise.
 */
int journal_finish(const struct journal *jl);

#endif /* TSMON_TOOLS_JOURNAL_H */
