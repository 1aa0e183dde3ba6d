// SPDX-License-Identifier: GPL-2.0
/*
 * tsmon: generic netlink family - status, replay and the push feed.
 *
 * The ring is the source of truth. A work item (kicked through the reader
 * wakeup irq_work, never from the hooks themselves) sends every record in
 * sequence order to the "events" multicast group; when nobody listens it
 * only moves its cursor, building no message. If it ever falls a whole ring
 * behind it says so with one loss notice instead of skipping silently.
 * TSMON_CMD_GET_EVENTS replays the ring from any sequence number, so a
 * listener can subscribe first, dump, and join the two streams without a
 * gap. See include/uapi/tsmon/netlink.h.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/capability.h>
#include <linux/kernel.h>
#include <net/genetlink.h>
#include <net/net_namespace.h>
#include <net/netlink.h>
#include <uapi/tsmon/netlink.h>

#include "tsmon_private.h"

/* Not const: 6.1's nla_policy points to a mutable range. */
static struct netlink_range_validation tsmon_threshold_range = {
	.max = TSMON_PHC_THRESHOLD_MAX,
};

static struct netlink_range_validation tsmon_interval_range = {
	.max = TSMON_PHC_INTERVAL_MAX,
};

static const struct nla_policy tsmon_nl_policy[TSMON_A_MAX + 1] = {
	[TSMON_A_SEQ]	= NLA_POLICY_MIN(NLA_U64, 1),
	[TSMON_A_CFG_PHC_FREQ_THRESHOLD_PPB] =
		NLA_POLICY_FULL_RANGE(NLA_U32, &tsmon_threshold_range),
	[TSMON_A_CFG_PHC_FREQ_INTERVAL_MS] =
		NLA_POLICY_FULL_RANGE(NLA_U32, &tsmon_interval_range),
};

static struct genl_family tsmon_genl;

enum tsmon_mcgrp { TSMON_MCGRP_EVENTS };

static const struct genl_multicast_group tsmon_mcgrps[] = {
	[TSMON_MCGRP_EVENTS] = { .name = TSMON_GENL_MCGRP_EVENTS },
};

static u64 tsmon_oldest(struct tsmon_dev *d, u64 head)
{
	return head > d->mask ? head - d->mask : 1;
}

static int tsmon_nl_put_record(struct sk_buff *skb,
			       const struct tsmon_record *rec)
{
	if (nla_put_u64_64bit(skb, TSMON_A_SEQ, rec->seq, TSMON_A_PAD) ||
	    nla_put_u32(skb, TSMON_A_TYPE, rec->type) ||
	    nla_put_u64_64bit(skb, TSMON_A_MONO_NS, rec->mono_ns, TSMON_A_PAD) ||
	    nla_put_u64_64bit(skb, TSMON_A_REAL_NS, rec->real_ns, TSMON_A_PAD) ||
	    nla_put(skb, TSMON_A_RECORD, sizeof(*rec), rec))
		return -EMSGSIZE;
	return 0;
}

static int tsmon_nl_put_lost(struct sk_buff *skb, u64 seq, u64 count)
{
	if (nla_put_u64_64bit(skb, TSMON_A_SEQ, seq, TSMON_A_PAD) ||
	    nla_put_u32(skb, TSMON_A_TYPE, TSMON_EVENT_LOST) ||
	    nla_put_u64_64bit(skb, TSMON_A_LOST, count, TSMON_A_PAD))
		return -EMSGSIZE;
	return 0;
}

/* Multicast one record, or a loss notice when @rec is NULL. */
static void tsmon_nl_send(const struct tsmon_record *rec, u64 seq, u64 lost)
{
	struct sk_buff *skb;
	void *hdr;
	int err;

	skb = genlmsg_new(NLMSG_DEFAULT_SIZE, GFP_KERNEL);
	if (!skb)
		return;
	hdr = genlmsg_put(skb, 0, 0, &tsmon_genl, 0, TSMON_CMD_EVENT);
	if (!hdr)
		goto err_put;
	err = rec ? tsmon_nl_put_record(skb, rec) :
		    tsmon_nl_put_lost(skb, seq, lost);
	if (err)
		goto err_put;
	genlmsg_end(skb, hdr);
	/* -ESRCH (last listener left) is not an error for a feed. */
	genlmsg_multicast(&tsmon_genl, skb, 0, TSMON_MCGRP_EVENTS, GFP_KERNEL);
	return;

err_put:
	nlmsg_free(skb);
}

static void tsmon_pump(struct work_struct *work)
{
	struct tsmon_dev *d = container_of(work, struct tsmon_dev, pump_work);
	/* Pairs with smp_store_release() of head in tsmon_emit(). */
	u64 head = smp_load_acquire(&d->hdr->head);
	struct tsmon_record rec;
	/* Written under the writer lock; only ever grows. */
	u64 floor = READ_ONCE(d->pump_floor);

	if (d->pump_next < floor)
		d->pump_next = floor;
	if (!genl_has_listeners(&tsmon_genl, &init_net, TSMON_MCGRP_EVENTS)) {
		d->pump_next = head + 1;
		return;
	}

	while (d->pump_next <= head) {
		u64 oldest = tsmon_oldest(d, head);

		if (d->pump_next < oldest) {
			tsmon_nl_send(NULL, d->pump_next, oldest - d->pump_next);
			d->pump_next = oldest;
			continue;
		}
		if (!tsmon_ring_copy(d, d->pump_next, &rec)) {
			/* Overwritten since head was read: report it above. */
			head = smp_load_acquire(&d->hdr->head);
			cpu_relax();
			continue;
		}
		tsmon_nl_send(&rec, 0, 0);
		d->pump_next++;
		cond_resched();
	}
}

/**
 * tsmon_netlink_listening() - whether anyone listens to the event group
 * @d: device state
 *
 * Safe in any context, the timekeeping hook's included: the listener
 * bitmap is read under RCU, without a lock.
 *
 * Return: true when the family is up and the group has a listener.
 */
bool tsmon_netlink_listening(struct tsmon_dev *d)
{
	return READ_ONCE(d->netlink_registered) &&
	       genl_has_listeners(&tsmon_genl, &init_net, TSMON_MCGRP_EVENTS);
}

/**
 * tsmon_netlink_kick() - have the pump send what the ring gained
 * @d: device state
 *
 * Called from the reader wakeup irq_work, so it is never in a hook's context.
 */
void tsmon_netlink_kick(struct tsmon_dev *d)
{
	if (READ_ONCE(d->netlink_registered))
		schedule_work(&d->pump_work);
}

static int tsmon_nl_fill_status(struct sk_buff *skb, struct tsmon_dev *d)
{
	struct tsmon_health *h;
	unsigned long flags;
	int err;

	/* A copy under the writer lock is consistent without the seqcount. */
	h = kmalloc(sizeof(*h), GFP_KERNEL);
	if (!h)
		return -ENOMEM;
	flags = tsmon_lock(d);
	*h = *d->health;
	/* The counts of what readers of the mapping see at this point. */
	h->seq = d->health_pub->seq;
	h->body_seq = d->health_pub->body_seq;
	tsmon_unlock(d, flags);

	err = -EMSGSIZE;
	if (nla_put_u32(skb, TSMON_A_ABI_VERSION, TSMON_ABI_VERSION) ||
	    nla_put_u64_64bit(skb, TSMON_A_INSTANCE_ID, d->hdr->instance_id,
			      TSMON_A_PAD) ||
	    nla_put_u64_64bit(skb, TSMON_A_HEAD,
			      smp_load_acquire(&d->hdr->head), TSMON_A_PAD) ||
	    nla_put_u32(skb, TSMON_A_RING_ENTRIES, d->hdr->ring_entries) ||
	    nla_put_u32(skb, TSMON_A_RECORD_SIZE, d->hdr->record_size) ||
	    nla_put_u32(skb, TSMON_A_HOOKS, h->hooks) ||
	    nla_put_u32(skb, TSMON_A_CFG_PHC_FREQ_THRESHOLD_PPB,
			READ_ONCE(tsmon_phc_freq_threshold_ppb)) ||
	    nla_put_u32(skb, TSMON_A_CFG_PHC_FREQ_INTERVAL_MS,
			READ_ONCE(tsmon_phc_freq_interval_ms)) ||
	    nla_put(skb, TSMON_A_HEALTH, sizeof(*h), h))
		goto out;
	err = 0;
out:
	kfree(h);
	return err;
}

/*
 * The genl core refuses nonzero reserved header bytes and request flags it
 * gives no meaning to only from 6.1 (resv_start_op); tsmon does the same
 * itself so that every kernel answers alike. Redundant from 6.1 on.
 */
static int tsmon_nl_header_check(const struct nlmsghdr *nlh,
				 struct netlink_ext_ack *extack)
{
	const struct genlmsghdr *g = nlmsg_data(nlh);
	u16 flags = nlh->nlmsg_flags;

	if (g->reserved) {
		NL_SET_ERR_MSG(extack, "nonzero reserved bytes in the genl header");
		return -EINVAL;
	}
	if ((flags & NLM_F_DUMP) == NLM_F_DUMP)
		flags &= ~NLM_F_DUMP;
	if (flags & ~(NLM_F_REQUEST | NLM_F_ACK | NLM_F_ECHO)) {
		NL_SET_ERR_MSG(extack, "nlmsg_flags holds bits a request cannot use");
		return -EINVAL;
	}
	return 0;
}

static int tsmon_nl_reply_status(struct genl_info *info)
{
	struct sk_buff *skb;
	void *hdr;
	int err;

	skb = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!skb)
		return -ENOMEM;
	hdr = genlmsg_put_reply(skb, info, &tsmon_genl, 0, info->genlhdr->cmd);
	if (!hdr) {
		err = -EMSGSIZE;
		goto err_put;
	}
	err = tsmon_nl_fill_status(skb, &tsmon);
	if (err)
		goto err_put;
	genlmsg_end(skb, hdr);
	return genlmsg_reply(skb, info);

err_put:
	nlmsg_free(skb);
	return err;
}

static int tsmon_nl_get_status(struct sk_buff *skb, struct genl_info *info)
{
	int err = tsmon_nl_header_check(info->nlhdr, info->extack);

	if (err)
		return err;
	return tsmon_nl_reply_status(info);
}

static int tsmon_nl_set_config(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr **tb = info->attrs;
	int err;

	err = tsmon_nl_header_check(info->nlhdr, info->extack);
	if (err)
		return err;
	if (!netlink_capable(skb, CAP_NET_ADMIN) &&
	    !netlink_capable(skb, CAP_SYS_TIME)) {
		NL_SET_ERR_MSG(info->extack,
			       "changing tsmon configuration needs CAP_NET_ADMIN or CAP_SYS_TIME");
		return -EPERM;
	}
	if (!tb[TSMON_A_CFG_PHC_FREQ_THRESHOLD_PPB] &&
	    !tb[TSMON_A_CFG_PHC_FREQ_INTERVAL_MS]) {
		NL_SET_ERR_MSG(info->extack, "no configuration attribute given");
		return -EINVAL;
	}
	/* The policy checked every value: apply all or, above, nothing. */
	if (tb[TSMON_A_CFG_PHC_FREQ_THRESHOLD_PPB])
		WRITE_ONCE(tsmon_phc_freq_threshold_ppb,
			   nla_get_u32(tb[TSMON_A_CFG_PHC_FREQ_THRESHOLD_PPB]));
	if (tb[TSMON_A_CFG_PHC_FREQ_INTERVAL_MS])
		WRITE_ONCE(tsmon_phc_freq_interval_ms,
			   nla_get_u32(tb[TSMON_A_CFG_PHC_FREQ_INTERVAL_MS]));
	return tsmon_nl_reply_status(info);
}

/*
 * cb->args[0]: next sequence to send (0 before the first call); cb->args[1]:
 * head when the dump started, where it ends, so that a fast event source
 * cannot keep it going. The request was validated against the family policy
 * by the core; it is parsed here because the accessor for dump attributes
 * differs between the supported kernels.
 */
static int tsmon_nl_dump_events(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct tsmon_dev *d = &tsmon;
	struct tsmon_record rec;
	u64 next = cb->args[0];
	u64 end = cb->args[1];
	u64 head;
	void *hdr;
	int err;

	if (!next) {
		struct nlattr *tb[TSMON_A_MAX + 1];

		err = tsmon_nl_header_check(cb->nlh, cb->extack);
		if (err)
			return err;
		err = nlmsg_parse(cb->nlh, GENL_HDRLEN, tb, TSMON_A_MAX,
				  tsmon_nl_policy, cb->extack);
		if (err)
			return err;
		/* Pairs with smp_store_release() of head in tsmon_emit(). */
		end = smp_load_acquire(&d->hdr->head);
		next = tb[TSMON_A_SEQ] ? nla_get_u64(tb[TSMON_A_SEQ]) :
					 tsmon_oldest(d, end);
		cb->args[1] = end;
	}

	head = end;
	while (next <= end) {
		u64 oldest = tsmon_oldest(d, head);
		u64 lost = 0;

		if (next < oldest) {
			/* The dump's range only: later records are not its. */
			lost = min(oldest, end + 1) - next;
		} else if (!tsmon_ring_copy(d, next, &rec)) {
			/*
			 * Overwritten since head was read: with a fresh head
			 * the whole overwritten range is one loss notice. A
			 * writer still at it publishes head within a few stores.
			 */
			head = smp_load_acquire(&d->hdr->head);
			cpu_relax();
			continue;
		}

		hdr = genlmsg_put(skb, NETLINK_CB(cb->skb).portid,
				  cb->nlh->nlmsg_seq, &tsmon_genl, NLM_F_MULTI,
				  TSMON_CMD_EVENT);
		if (!hdr)
			break;
		err = lost ? tsmon_nl_put_lost(skb, next, lost) :
			     tsmon_nl_put_record(skb, &rec);
		if (err) {
			genlmsg_cancel(skb, hdr);
			break;
		}
		genlmsg_end(skb, hdr);
		next += lost ? lost : 1;
	}
	cb->args[0] = next;
	return skb->len;
}

static const struct genl_small_ops tsmon_nl_ops[] = {
	{
		.cmd	= TSMON_CMD_GET_STATUS,
		.doit	= tsmon_nl_get_status,
	},
	{
		.cmd	= TSMON_CMD_GET_EVENTS,
		.dumpit	= tsmon_nl_dump_events,
	},
	{
		.cmd	= TSMON_CMD_SET_CONFIG,
		.doit	= tsmon_nl_set_config,
	},
};

static struct genl_family tsmon_genl __ro_after_init = {
	.name		= TSMON_GENL_NAME,
	.version	= TSMON_GENL_VERSION,
	.maxattr	= TSMON_A_MAX,
	.policy		= tsmon_nl_policy,
	.module		= THIS_MODULE,
	.small_ops	= tsmon_nl_ops,
	.n_small_ops	= ARRAY_SIZE(tsmon_nl_ops),
	.mcgrps		= tsmon_mcgrps,
	.n_mcgrps	= ARRAY_SIZE(tsmon_mcgrps),
};

/**
 * tsmon_netlink_register() - register the tsmon generic netlink family
 * @d: device state with its region allocated
 *
 * Return: 0 or a negative errno from genl_register_family().
 */
int tsmon_netlink_register(struct tsmon_dev *d)
{
	int err;

	INIT_WORK(&d->pump_work, tsmon_pump);
	/* Listeners join at "now"; older records are replayed by dump. */
	d->pump_next = smp_load_acquire(&d->hdr->head) + 1;
	err = genl_register_family(&tsmon_genl);
	if (err)
		return err;
	WRITE_ONCE(d->netlink_registered, true);
	return 0;
}

/**
 * tsmon_netlink_unregister() - stop the feed and remove the family
 * @d: device state
 */
void tsmon_netlink_unregister(struct tsmon_dev *d)
{
	WRITE_ONCE(d->netlink_registered, false);
	/* A kick that saw the family up has queued the pump once this returns. */
	smp_mb();
	irq_work_sync(&d->wake_work);
	cancel_work_sync(&d->pump_work);
	genl_unregister_family(&tsmon_genl);
}
