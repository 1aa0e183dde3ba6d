// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libtsmon event type names: the spelling shared by the CLI, its JSON
 * output and the man pages.
 */
#include <errno.h>
#include <string.h>

#include <tsmon/names.h>

#include "tsmon_private.h"

static const char *const type_names[TSMON_EVENT_TYPE_COUNT] = {
	TSMON_EVENT_NAMES,
	[TSMON_EVENT_LOST]	= "lost",
};

TSMON_EXPORT
int tsmon_event_type_name(uint32_t type, const char **name)
{
	if (!name || type >= TSMON_EVENT_TYPE_COUNT || !type_names[type])
		return -EINVAL;
	*name = type_names[type];
	return 0;
}

TSMON_EXPORT
int tsmon_event_type_from_name(const char *name, uint32_t *type)
{
	uint32_t i;

	if (!name || !type)
		return -EINVAL;
	for (i = 0; i < TSMON_EVENT_TYPE_COUNT; i++) {
		if (type_names[i] && !strcmp(type_names[i], name)) {
			*type = i;
			return 0;
		}
	}
	return -EINVAL;
}
