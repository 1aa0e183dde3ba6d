// SPDX-License-Identifier: GPL-2.0
/*
 * tsmon: registering the module's kprobes and kretprobes, and their misses.
 *
 * Probes come in groups that are useful only whole (the NTP shadow, PHC
 * adjustments, PHC lifetime...): a group registers all its probes or none.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kernel.h>
#include <linux/kprobes.h>

#include "tsmon_private.h"

/**
 * tsmon_kprobe() - register one kprobe on a symbol, saying why if it fails
 * @kp:  the probe
 * @sym: function to probe
 * @pre: handler run before the function's first instruction
 *
 * Return: 0 or the negative errno of register_kprobe().
 */
int tsmon_kprobe(struct kprobe *kp, const char *sym, kprobe_pre_handler_t pre)
{
	int ret;

	kp->symbol_name = sym;
	kp->pre_handler = pre;
	ret = register_kprobe(kp);
	if (ret)
		pr_warn("cannot probe %s (%d)\n", sym, ret);
	return ret;
}

/**
 * tsmon_probe_group_add() - register a group of probes, all or none
 * @what: the group's functions, for the warning on failure
 * @kps:  kprobes, each with its symbol and handler set
 * @nkp:  entries in @kps
 * @krps: kretprobes, each with its symbol and handlers set
 * @nkrp: entries in @krps
 *
 * Return: 0, or the negative errno of the registration that failed; then
 * none of the group's probes is registered.
 */
int tsmon_probe_group_add(const char *what, struct kprobe **kps,
			  unsigned int nkp, struct kretprobe **krps,
			  unsigned int nkrp)
{
	int ret = 0;

	if (nkp) {
		ret = register_kprobes(kps, nkp);
		if (ret)
			goto err_warn;
	}
	if (nkrp) {
		ret = register_kretprobes(krps, nkrp);
		if (ret)
			goto err_unregister_kprobes;
	}
	return 0;

err_unregister_kprobes:
	if (nkp)
		unregister_kprobes(kps, nkp);
err_warn:
	pr_warn("cannot probe %s (%d)\n", what, ret);
	return ret;
}

/**
 * tsmon_probe_group_remove() - unregister a group tsmon_probe_group_add() added
 * @kps:  its kprobes
 * @nkp:  entries in @kps
 * @krps: its kretprobes
 * @nkrp: entries in @krps
 *
 * Waits until no handler of the group is running.
 */
void tsmon_probe_group_remove(struct kprobe **kps, unsigned int nkp,
			      struct kretprobe **krps, unsigned int nkrp)
{
	if (nkrp)
		unregister_kretprobes(krps, nkrp);
	if (nkp)
		unregister_kprobes(kps, nkp);
}

/**
 * tsmon_probes_missed() - the calls the module's probes missed
 * @d:   device state
 * @ntp: set to those of the NTP shadow's probes
 *
 * A kprobe misses a call when another kprobe handler is running on that CPU
 * (a BPF or perf program, say, that the tick interrupted); a kretprobe also
 * when all its instances are in use. Probes never registered count zero.
 *
 * Return: the misses of every probe, @ntp included.
 */
u64 tsmon_probes_missed(const struct tsmon_dev *d, u64 *ntp)
{
	u64 n;

	n = READ_ONCE(d->second_kp.nmissed) + READ_ONCE(d->clear_kp.nmissed) +
	    READ_ONCE(d->adjtimex_krp.kp.nmissed) +
	    (u32)READ_ONCE(d->adjtimex_krp.nmissed);
	*ntp = n;
	n += READ_ONCE(d->setoffset_krp.kp.nmissed) +
	     (u32)READ_ONCE(d->setoffset_krp.nmissed) +
	     READ_ONCE(d->settime_krp.kp.nmissed) +
	     (u32)READ_ONCE(d->settime_krp.nmissed) +
	     READ_ONCE(d->phc_settime_krp.kp.nmissed) +
	     (u32)READ_ONCE(d->phc_settime_krp.nmissed) +
	     READ_ONCE(d->phc_adjtime_krp.kp.nmissed) +
	     (u32)READ_ONCE(d->phc_adjtime_krp.nmissed) +
	     READ_ONCE(d->phc_register_krp.kp.nmissed) +
	     (u32)READ_ONCE(d->phc_register_krp.nmissed) +
	     READ_ONCE(d->phc_unregister_kp.nmissed) +
	     READ_ONCE(d->phc_event_kp.nmissed);
	return n;
}
