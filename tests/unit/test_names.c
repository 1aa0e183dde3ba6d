// SPDX-License-Identifier: GPL-2.0-only
/*
 * Event type names: the spelling is a stable interface (CLI filters, JSON
 * output), so the expected names are spelled out here, not derived.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <tsmon/tsmon.h>

static const struct {
	uint32_t type;
	const char *name;
} known[] = {
	{ TSMON_EVENT_CLOCK_STEP,		"clock_step" },
	{ TSMON_EVENT_LEAP_ARMED,		"leap_armed" },
	{ TSMON_EVENT_LEAP_DISARMED,		"leap_disarmed" },
	{ TSMON_EVENT_LEAP_APPLIED,		"leap_applied" },
	{ TSMON_EVENT_TAI_CHANGE,		"tai_change" },
	{ TSMON_EVENT_CLOCKSOURCE_CHANGE,	"clocksource_change" },
	{ TSMON_EVENT_RESUME,			"resume" },
	{ TSMON_EVENT_LOST,			"lost" },
	{ TSMON_EVENT_NTP_SYNC,			"ntp_sync" },
	{ TSMON_EVENT_NTP_UNSYNC,		"ntp_unsync" },
	{ TSMON_EVENT_NTP_MODE,			"ntp_mode" },
	{ TSMON_EVENT_NTP_STATE,		"ntp_state" },
	{ TSMON_EVENT_PHC_STEP,			"phc_step" },
	{ TSMON_EVENT_PHC_FREQ,			"phc_freq" },
	{ TSMON_EVENT_PHC_PHASE,		"phc_phase" },
	{ TSMON_EVENT_PHC_EXTTS,		"phc_extts" },
	{ TSMON_EVENT_PHC_PPS,			"phc_pps" },
	{ TSMON_EVENT_PHC_ADD,			"phc_add" },
	{ TSMON_EVENT_PHC_REMOVE,		"phc_remove" },
	{ TSMON_EVENT_VM_DISRUPTION,		"vm_disruption" },
};

static void test_round_trip(void **state)
{
	const char *name;
	uint32_t type;
	size_t i;

	for (i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
		name = NULL;
		assert_int_equal(tsmon_event_type_name(known[i].type, &name), 0);
		assert_string_equal(name, known[i].name);
		type = UINT32_MAX;
		assert_int_equal(tsmon_event_type_from_name(name, &type), 0);
		assert_int_equal(type, known[i].type);
	}
}

/* Every type below TSMON_EVENT_TYPE_COUNT except NONE has a name. */
static void test_all_types_named(void **state)
{
	const char *name;
	uint32_t type;

	for (type = TSMON_EVENT_NONE + 1; type < TSMON_EVENT_TYPE_COUNT; type++)
		assert_int_equal(tsmon_event_type_name(type, &name), 0);
}

static void test_unknown_type(void **state)
{
	const char *name = "untouched";

	assert_int_equal(tsmon_event_type_name(TSMON_EVENT_NONE, &name),
			 -EINVAL);
	assert_int_equal(tsmon_event_type_name(TSMON_EVENT_TYPE_COUNT, &name),
			 -EINVAL);
	assert_int_equal(tsmon_event_type_name(TSMON_EVENT_SLOTS, &name),
			 -EINVAL);
	assert_int_equal(tsmon_event_type_name(UINT32_MAX, &name), -EINVAL);
	assert_string_equal(name, "untouched");
	assert_int_equal(tsmon_event_type_name(TSMON_EVENT_RESUME, NULL),
			 -EINVAL);
}

static void test_unknown_name(void **state)
{
	static const char *const bad[] = {
		"", "none", "unknown", "CLOCK_STEP", "clock_step ", " lost",
		"clock", "clock_steps", "leap", "vm", "vm_disruptions",
	};
	uint32_t type = 1234;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(tsmon_event_type_from_name(bad[i], &type),
				 -EINVAL);
	assert_int_equal(type, 1234);
	assert_int_equal(tsmon_event_type_from_name(NULL, &type), -EINVAL);
	assert_int_equal(tsmon_event_type_from_name("lost", NULL), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_all_types_named),
		cmocka_unit_test(test_unknown_type),
		cmocka_unit_test(test_unknown_name),
	};

	return cmocka_run_group_tests_name("names", tests, NULL, NULL);
}
