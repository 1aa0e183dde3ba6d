/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * tsmon: generic netlink interface.
 *
 * Family TSMON_GENL_NAME, multicast group TSMON_GENL_MCGRP_EVENTS, which any
 * user may join. Every record written to the ring is multicast as one
 * TSMON_CMD_EVENT message, in sequence order, from a work item fed by the
 * ring (never from the timekeeping hook). Events are sent in the initial
 * network namespace only: the clock is global, and a container in another
 * network namespace reads /dev/tsmon instead.
 *
 * A TSMON_CMD_EVENT message carries either one record:
 *   TSMON_A_SEQ, TSMON_A_TYPE, TSMON_A_MONO_NS, TSMON_A_REAL_NS and
 *   TSMON_A_RECORD (the struct tsmon_record exactly as in the ring; its
 *   length is the module's record size, so types and fields added later
 *   reach old listeners unchanged),
 * or a loss notice: TSMON_A_TYPE = TSMON_EVENT_LOST, TSMON_A_SEQ = first
 *   sequence not delivered, TSMON_A_LOST = how many.
 * A loss notice is sent when the sender fell a whole ring behind the
 * writer. A listener whose socket overflowed (ENOBUFS) sees a gap in
 * TSMON_A_SEQ and can replay it with TSMON_CMD_GET_EVENTS.
 *
 * Requests use strict validation: unknown attributes, wrong types or
 * lengths and nonzero reserved header bytes are refused with an extack
 * message.
 */
#ifndef _UAPI_TSMON_NETLINK_H
#define _UAPI_TSMON_NETLINK_H

#define TSMON_GENL_NAME		"tsmon"
#define TSMON_GENL_VERSION	1
#define TSMON_GENL_MCGRP_EVENTS	"events"

enum tsmon_genl_cmd {
	TSMON_CMD_UNSPEC,
	/* request: none; reply: the status attributes */
	TSMON_CMD_GET_STATUS,
	/* dump request: TSMON_A_SEQ (optional, default the oldest record);
	 * replies: TSMON_CMD_EVENT messages up to the newest record */
	TSMON_CMD_GET_EVENTS,
	/* multicast to TSMON_GENL_MCGRP_EVENTS, and dump replies */
	TSMON_CMD_EVENT,
	/* request: TSMON_A_CFG_* to change; needs CAP_NET_ADMIN or
	 * CAP_SYS_TIME; reply: the status attributes */
	TSMON_CMD_SET_CONFIG,
	__TSMON_CMD_MAX,
};
#define TSMON_CMD_MAX (__TSMON_CMD_MAX - 1)

enum tsmon_genl_attr {
	TSMON_A_UNSPEC,
	TSMON_A_PAD,
	TSMON_A_SEQ,			/* u64 */
	TSMON_A_TYPE,			/* u32, enum tsmon_event_type */
	TSMON_A_MONO_NS,		/* u64 */
	TSMON_A_REAL_NS,		/* u64 */
	TSMON_A_RECORD,			/* binary, struct tsmon_record */
	TSMON_A_LOST,			/* u64 */
	TSMON_A_HEALTH,			/* binary, struct tsmon_health */
	TSMON_A_HEAD,			/* u64, newest sequence number */
	TSMON_A_RING_ENTRIES,		/* u32 */
	TSMON_A_RECORD_SIZE,		/* u32 */
	TSMON_A_HOOKS,			/* u32, TSMON_HOOK_* */
	TSMON_A_INSTANCE_ID,		/* u64 */
	TSMON_A_ABI_VERSION,		/* u32 */
	TSMON_A_CFG_PHC_FREQ_THRESHOLD_PPB,	/* u32 */
	TSMON_A_CFG_PHC_FREQ_INTERVAL_MS,	/* u32 */
	__TSMON_A_MAX,
};
#define TSMON_A_MAX (__TSMON_A_MAX - 1)

#endif /* _UAPI_TSMON_NETLINK_H */
