// SPDX-License-Identifier: GPL-2.0-only
/*
 * tsmon_reload - positions that outlive a module reload are refused.
 *
 * Sequence numbers restart at 1 with every load, so a ring cursor or a
 * netlink subscription kept across an unload and a load would otherwise
 * wait for a sequence the new ring may take hours to reach (-EAGAIN for
 * ever), or drop the new module's records as already seen. Each carries
 * the instance id it started with: a cursor gets -ESTALE from a handle of
 * the new instance; a subscription's next call ends with -ENODEV (the
 * family went away) or -ESTALE, and so does its status request.
 */
#include <errno.h>
#include <string.h>

#include <tsmon/tsmon.h>

#include "kselftest.h"
#include "tsmon_selftest.h"

int main(void)
{
	struct tsmon_nl_status st;
	struct tsmon_info info1, info2;
	struct tsmon_cursor c;
	struct tsmon_record rec;
	struct tsmon_sub *sub;
	struct tsmon *t;
	int err;

	selftest_start(4);
	t = open_or_bail();
	if (tsmon_get_info(t, &info1) ||
	    tsmon_cursor_init(t, &c, TSMON_FROM_NOW, 0))
		ksft_exit_fail_msg("tsmon_get_info / tsmon_cursor_init failed\n");
	/* The mapping pins the module: only the cursor is kept. */
	tsmon_close(t);
	if (tsmon_sub_open(&sub) || tsmon_sub_start(sub, TSMON_FROM_NOW, 0))
		ksft_exit_fail_msg("subscription failed\n");

	err = module_reload_default();
	if (err)
		ksft_exit_fail_msg("reloading tsmon: %s\n", strerror(-err));

	t = open_or_bail();
	tsmon_get_info(t, &info2);
	ksft_test_result(info2.instance_id != info1.instance_id,
			 "the reloaded module has a new instance id\n");
	err = tsmon_next(t, &c, &rec);
	ksft_test_result(err == -ESTALE,
			 "a cursor of the old instance: -ESTALE (got %s)\n",
			 err ? strerror(-err) : "a record");
	tsmon_close(t);

	err = tsmon_sub_next(sub, &rec, 2000);
	ksft_test_result(err == -ENODEV || err == -ESTALE,
			 "a subscription of the old instance ends: %s\n",
			 err ? strerror(-err) : "a record");
	err = tsmon_sub_status(sub, &st, NULL);
	ksft_test_result(err == -ENODEV || err == -ESTALE,
			 "its status request too: %s\n",
			 err ? strerror(-err) : "answered");
	tsmon_sub_close(sub);
	ksft_finished();
}
