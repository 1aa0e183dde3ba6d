// SPDX-License-Identifier: GPL-2.0-only
/*
 * tsmon_phcscan - PHCs unregistered while tsmon scans /sys/class/ptp at load
 * leave no stale health slot and no nameless phc_remove record.
 *
 * A thread loads and unloads the test PHC module in a loop while tsmon is
 * loaded again and again. Once the loop is stopped (test PHCs gone), every
 * health slot must name a PHC that exists, and every phc_remove record of
 * the load must carry its PHC's name (there are fewer PHCs than slots, so
 * none was announced without one). Stress, not proof: the window is a few
 * microseconds; a pass before the fix is possible.
 *
 * Does not change the clock. Leaves tsmon loaded with its defaults and the
 * test PHC module unloaded.
 */
#include <pthread.h>
#include <stdatomic.h>

#include "tsmon_selftest.h"

#define ROUNDS		25
#define TEST_PHCS	4

static atomic_int stop;

static void *churn_main(void *arg)
{
	while (!atomic_load(&stop)) {
		testphc_load(TEST_PHCS);
		testphc_unload();
	}
	return NULL;
}

static bool ptp_exists(unsigned int index)
{
	char path[64];

	snprintf(path, sizeof(path), "/sys/class/ptp/ptp%u", index);
	return access(path, F_OK) == 0;
}

/* One load of tsmon under churn: false on a stale slot or nameless record. */
static bool one_round(int round, unsigned int *removes)
{
	struct tsmon_health h;
	struct tsmon_cursor c;
	struct tsmon_record r;
	pthread_t churn;
	struct tsmon *t;
	bool ok = true;
	unsigned int i;
	int err;

	if (module_loaded() && module_unload())
		ksft_exit_fail_msg("cannot unload tsmon\n");
	atomic_store(&stop, 0);
	if (pthread_create(&churn, NULL, churn_main, NULL))
		ksft_exit_fail_msg("pthread_create failed\n");
	/* Let the churn get going, at a different phase each round. */
	sleep_ms(5 + round * 7 % 40);
	err = module_load("");
	atomic_store(&stop, 1);
	pthread_join(churn, NULL);
	if (testphc_loaded())
		testphc_unload();
	if (err)
		ksft_exit_fail_msg("loading tsmon: %s\n", strerror(-err));
	if (!dev_node_present(true))
		ksft_exit_fail_msg("no %s\n", TSMON_DEVICE_PATH);

	t = open_or_bail();
	if (!read_health(t, &h))
		ksft_exit_fail_msg("no health block\n");
	if (!(h.hooks & TSMON_HOOK_PHC_LIFE)) {
		tsmon_close(t);
		ksft_exit_skip("no PHC lifetime probes\n");
	}
	for (i = 0; i < h.phc_count && i < TSMON_PHC_SLOTS; i++) {
		if (!ptp_exists(h.phc[i].index)) {
			ksft_print_msg("round %d: slot %u holds ptp%u, which is gone\n",
				       round, i, h.phc[i].index);
			ok = false;
		}
	}
	if (tsmon_cursor_init(t, &c, TSMON_FROM_OLDEST, 0))
		ksft_exit_fail_msg("tsmon_cursor_init failed\n");
	while (!tsmon_next(t, &c, &r)) {
		char name[TSMON_NAME_WORDS * 8 + 1];

		if (r.type != TSMON_EVENT_PHC_REMOVE)
			continue;
		(*removes)++;
		abi_name(name, sizeof(name), r.phc.name, TSMON_NAME_WORDS);
		if (!name[0]) {
			ksft_print_msg("round %d: phc_remove of ptp%u without a name\n",
				       round, r.phc.index);
			ok = false;
		}
	}
	tsmon_close(t);
	return ok;
}

int main(void)
{
	unsigned int bad = 0, removes = 0;
	char ko[256];
	int i;

	selftest_start(1);
	if (!testphc_ko(ko, sizeof(ko)))
		ksft_exit_skip("test PHC module not built (make testphc)\n");
	if (testphc_loaded() && testphc_unload())
		ksft_exit_fail_msg("cannot unload %s\n", TESTPHC_MOD);
	for (i = 0; i < ROUNDS; i++)
		if (!one_round(i, &removes))
			bad++;
	if (module_reload_default())
		ksft_exit_fail_msg("cannot reload tsmon with its defaults\n");
	ksft_print_msg("%d loads, %u phc_remove records seen\n", ROUNDS, removes);
	ksft_test_result(!bad, "no stale PHC slot, no nameless phc_remove (%u bad loads)\n",
			 bad);
	ksft_finished();
}
