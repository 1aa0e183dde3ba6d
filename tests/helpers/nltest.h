/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Raw generic netlink pieces shared by the tsmon netlink selftest and the
 * guest feed benchmark, which both talk to the family without libtsmon.
 */
#ifndef TSMON_NLTEST_H
#define TSMON_NLTEST_H

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <libmnl/libmnl.h>
#include <linux/genetlink.h>
#include <tsmon/netlink.h>

/*
 * One attribute of a CTRL_CMD_GETFAMILY reply: picks up the family id and
 * the id of the tsmon events group.
 */
static inline void nltest_family_attr(const struct nlattr *attr,
				      uint16_t *family, uint32_t *group)
{
	const struct nlattr *g, *a;

	if (mnl_attr_get_type(attr) == CTRL_ATTR_FAMILY_ID)
		*family = mnl_attr_get_u16(attr);
	if (mnl_attr_get_type(attr) != CTRL_ATTR_MCAST_GROUPS)
		return;
	mnl_attr_for_each_nested(g, attr) {
		const char *name = NULL;
		uint32_t id = 0;

		mnl_attr_for_each_nested(a, g) {
			if (mnl_attr_get_type(a) == CTRL_ATTR_MCAST_GRP_NAME)
				name = mnl_attr_get_str(a);
			if (mnl_attr_get_type(a) == CTRL_ATTR_MCAST_GRP_ID)
				id = mnl_attr_get_u32(a);
		}
		if (name && !strcmp(name, TSMON_GENL_MCGRP_EVENTS))
			*group = id;
	}
}

/* Messages the kernel dropped on @fd's socket (/proc/net/netlink), or -1. */
static inline long long socket_drops(int fd)
{
	unsigned long long drops;
	unsigned long ino;
	char line[256];
	struct stat st;
	long long ret = -1;
	FILE *f;

	if (fstat(fd, &st))
		return -1;
	f = fopen("/proc/net/netlink", "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%*s %*d %*u %*x %*d %*d %*d %*d %llu %lu",
			   &drops, &ino) == 2 && ino == st.st_ino) {
			ret = (long long)drops;
			break;
		}
	}
	fclose(f);
	return ret;
}

#endif /* TSMON_NLTEST_H */
