// SPDX-License-Identifier: GPL-2.0
/*
 * tsmon: PTP hardware clock (PHC) events.
 *
 * The PTP core has no notifier, so tsmon probes the functions every PHC
 * change goes through (all built in on Debian's kernels):
 *
 *  - ptp_clock_settime(), ptp_clock_adjtime() (kretprobes): what
 *    clock_settime(2) and clock_adjtime(2) on /dev/ptpN did, recorded only
 *    when the driver accepted it. Both take the struct posix_clock that is
 *    the first member of struct ptp_clock, so ptp_clock_index() applies.
 *    These paths may sleep in the driver: the old PHC time is not read (a
 *    probe handler cannot sleep), settime records the new time.
 *  - ptp_clock_event() (kprobe; IRQ, softirq or thread context): external
 *    timestamps and PPS.
 *  - ptp_clock_register() / ptp_clock_unregister(): PHCs appearing and
 *    going; PHCs present at load are found through sysfs.
 *
 * Frequency: ptp4l and phc2sys adjust it many times a second. Every call
 * updates the health table; a phc_freq record is written only when the
 * frequency moved at least phc_freq_threshold_ppb since the last recorded
 * one, and at most once per phc_freq_interval_ms per PHC. A record says how
 * many changes it stands for (suppressed), so none goes unaccounted.
 *
 * Changes a driver makes to its own PHC internally bypass these functions
 * and are not seen.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/err.h>
#include <linux/fs.h>
#include <linux/kernel.h>
#include <linux/ktime.h>
#include <linux/moduleparam.h>
#include <linux/posix-clock.h>
#include <linux/ptp_clock_kernel.h>
#include <linux/string.h>
#include <linux/timekeeping.h>
#include <linux/timex.h>

#include "tsmon_private.h"

static int tsmon_set_threshold(const char *val, const struct kernel_param *kp)
{
	return tsmon_param_set_uint_minmax(val, kp, 0, TSMON_PHC_THRESHOLD_MAX);
}

static const struct kernel_param_ops tsmon_threshold_ops = {
	.set	= tsmon_set_threshold,
	.get	= param_get_uint,
};

static int tsmon_set_interval(const char *val, const struct kernel_param *kp)
{
	return tsmon_param_set_uint_minmax(val, kp, 0, TSMON_PHC_INTERVAL_MAX);
}

static const struct kernel_param_ops tsmon_interval_ops = {
	.set	= tsmon_set_interval,
	.get	= param_get_uint,
};

unsigned int tsmon_phc_freq_threshold_ppb = 1000;
module_param_cb(phc_freq_threshold_ppb, &tsmon_threshold_ops,
		&tsmon_phc_freq_threshold_ppb, 0644);
MODULE_PARM_DESC(phc_freq_threshold_ppb,
		 "record a PHC frequency change only if it moved this much since the last recorded one (default 1000 ppb, at most 1e9; 0 records every change)");

unsigned int tsmon_phc_freq_interval_ms = 1000;
module_param_cb(phc_freq_interval_ms, &tsmon_interval_ops,
		&tsmon_phc_freq_interval_ms, 0644);
MODULE_PARM_DESC(phc_freq_interval_ms,
		 "at most one PHC frequency record per PHC per this many ms (default 1000, at most 3600000; 0 for no limit)");

struct tsmon_phc_adj_ctx {
	int index;
	unsigned int modes;
	s64 sec;
	s64 usec;
	s64 freq;
	s64 offset;
};

struct tsmon_phc_set_ctx {
	int index;
	struct timespec64 ts;
};

/* The posix_clock is the first member of struct ptp_clock. */
static int tsmon_phc_index(void *posix_clock)
{
	return ptp_clock_index((struct ptp_clock *)posix_clock);
}

static int tsmon_phc_find(struct tsmon_dev *d, int index)
{
	u32 i;

	for (i = 0; i < d->health->phc_count; i++)
		if (d->health->phc[i].index == (u32)index)
			return i;
	return -1;
}

/* Give @index a slot; false if the table is full (counted as overflow). */
static bool tsmon_phc_slot_add(struct tsmon_dev *d, int index, const char *name,
			       u32 flags)
{
	struct tsmon_health *h = d->health;
	struct tsmon_phc_slot *slot;

	if (h->phc_count >= TSMON_PHC_SLOTS) {
		h->phc_overflow++;
		return false;
	}
	slot = &h->phc[h->phc_count];
	memset(slot, 0, sizeof(*slot));
	slot->index = index;
	slot->flags = flags;
	tsmon_set_name(slot->name, TSMON_NAME_WORDS, name);
	memset(&d->phc_priv[h->phc_count], 0, sizeof(d->phc_priv[0]));
	h->phc_count++;
	return true;
}

/* Free a slot, keeping the used ones first: the last moves into the gap. */
static void tsmon_phc_slot_del(struct tsmon_dev *d, int i)
{
	struct tsmon_health *h = d->health;
	u32 last = h->phc_count - 1;

	if ((u32)i != last) {
		h->phc[i] = h->phc[last];
		d->phc_priv[i] = d->phc_priv[last];
	}
	memset(&h->phc[last], 0, sizeof(h->phc[last]));
	h->phc_count--;
}

/* Lock held. Once per PHC: the scan at load and the probe may both see it. */
static void tsmon_phc_add(struct tsmon_dev *d, int index, const char *name,
			  u32 flags)
{
	struct tsmon_record rec;
	u64 mono;

	if (tsmon_phc_find(d, index) < 0) {
		tsmon_phc_slot_add(d, index, name, flags);
		mono = tsmon_rec_mono(d);
		tsmon_rec_init(&rec, TSMON_EVENT_PHC_ADD, mono,
			       tsmon_real_of(d, mono));
		rec.phc.index = index;
		rec.phc.flags = flags;
		tsmon_set_name(rec.phc.name, TSMON_NAME_WORDS, name);
		tsmon_emit(d, &rec);
	}
}

static void tsmon_phc_added(struct tsmon_dev *d, int index, const char *name)
{
	unsigned long irq = tsmon_write_begin(d);

	tsmon_phc_add(d, index, name, 0);
	tsmon_write_end(d, irq);
}

/*
 * The load-time scan read @name for @index: record it unless the PHC went
 * meanwhile (its sysfs entry outlives the unregister probe).
 */
static void tsmon_phc_scanned(struct tsmon_dev *d, int index, const char *name)
{
	unsigned long irq = tsmon_write_begin(d);

	if (!test_bit(index, d->phc_scan_gone))
		tsmon_phc_add(d, index, name, TSMON_PHC_AT_LOAD);
	d->phc_scan_next = index + 1;
	tsmon_write_end(d, irq);
}

static void tsmon_phc_step(struct tsmon_dev *d, int index, u32 how,
			   s64 delta, u64 time)
{
	struct tsmon_record rec;
	unsigned long irq;
	u64 mono;
	int i;

	irq = tsmon_write_begin(d);
	mono = tsmon_rec_mono(d);
	tsmon_rec_init(&rec, TSMON_EVENT_PHC_STEP, mono, tsmon_real_of(d, mono));
	rec.phc_step.index = index;
	rec.phc_step.how = how;
	rec.phc_step.delta_ns = (u64)delta;
	rec.phc_step.time_ns = time;
	tsmon_emit(d, &rec);
	i = tsmon_phc_find(d, index);
	if (i >= 0) {
		d->health->phc[i].steps++;
		d->health->phc[i].last_step_mono_ns = mono;
		d->health->phc[i].last_step_delta_ns = (u64)delta;
	}
	tsmon_write_end(d, irq);
}

static void tsmon_phc_freq(struct tsmon_dev *d, int index, s64 scaled_ppm)
{
	s64 ppb = scaled_ppm_to_ppb(scaled_ppm);
	u64 interval = (u64)READ_ONCE(tsmon_phc_freq_interval_ms) *
		       NSEC_PER_MSEC;
	u64 threshold = READ_ONCE(tsmon_phc_freq_threshold_ppb);
	struct tsmon_phc_priv *p;
	struct tsmon_record rec;
	unsigned long irq;
	bool record = true;
	u64 mono;
	int i;

	irq = tsmon_write_begin(d);
	/* Under the lock, so mono - freq_rec_mono cannot wrap. */
	mono = tsmon_rec_mono(d);
	i = tsmon_phc_find(d, index);
	if (i >= 0) {
		p = &d->phc_priv[i];
		d->health->phc[i].freq_ppb = (u64)ppb;
		d->health->phc[i].freq_updates++;
	} else {
		/* PHCs without a slot share one limit: still no flood. */
		p = &d->phc_priv_overflow;
	}
	if (p->freq_recorded &&
	    (abs(ppb - p->freq_rec_ppb) < threshold ||
	     mono - p->freq_rec_mono < interval))
		record = false;
	if (record) {
		tsmon_rec_init(&rec, TSMON_EVENT_PHC_FREQ, mono,
			       tsmon_real_of(d, mono));
		rec.phc_freq.index = index;
		rec.phc_freq.freq_ppb = (u64)ppb;
		rec.phc_freq.scaled_ppm = (u64)scaled_ppm;
		rec.phc_freq.suppressed = p->freq_suppressed;
		tsmon_emit(d, &rec);
		p->freq_recorded = true;
		p->freq_rec_ppb = ppb;
		p->freq_rec_mono = mono;
		p->freq_suppressed = 0;
	} else {
		p->freq_suppressed++;
	}
	tsmon_write_end(d, irq);
}

static void tsmon_phc_phase(struct tsmon_dev *d, int index, s64 offset)
{
	struct tsmon_record rec;
	unsigned long irq;
	u64 mono;

	irq = tsmon_write_begin(d);
	mono = tsmon_rec_mono(d);
	tsmon_rec_init(&rec, TSMON_EVENT_PHC_PHASE, mono, tsmon_real_of(d, mono));
	rec.phc_phase.index = index;
	rec.phc_phase.offset_ns = (u64)offset;
	tsmon_emit(d, &rec);
	tsmon_write_end(d, irq);
}

static int tsmon_phc_settime_entry(struct kretprobe_instance *ri,
				   struct pt_regs *regs)
{
	struct tsmon_phc_set_ctx *ctx = (void *)ri->data;
	const struct timespec64 *tp;

	ctx->index = tsmon_phc_index((void *)regs_get_kernel_argument(regs, 0));
	tp = (const struct timespec64 *)regs_get_kernel_argument(regs, 1);
	ctx->ts = *tp;
	return 0;
}

static int tsmon_phc_settime_ret(struct kretprobe_instance *ri,
				 struct pt_regs *regs)
{
	struct tsmon_dev *d = container_of(tsmon_get_kretprobe(ri), struct tsmon_dev,
					   phc_settime_krp);
	struct tsmon_phc_set_ctx *ctx = (void *)ri->data;

	if ((int)regs_return_value(regs) == 0)
		tsmon_phc_step(d, ctx->index, TSMON_PHC_SETTIME, 0,
			       (u64)timespec64_to_ns(&ctx->ts));
	return 0;
}

static int tsmon_phc_adjtime_entry(struct kretprobe_instance *ri,
				   struct pt_regs *regs)
{
	struct tsmon_phc_adj_ctx *ctx = (void *)ri->data;
	const struct __kernel_timex *tx;

	ctx->index = tsmon_phc_index((void *)regs_get_kernel_argument(regs, 0));
	tx = (const struct __kernel_timex *)regs_get_kernel_argument(regs, 1);
	ctx->modes = tx->modes;
	ctx->sec = tx->time.tv_sec;
	ctx->usec = tx->time.tv_usec;
	ctx->freq = tx->freq;
	ctx->offset = tx->offset;
	return 0;
}

/* The same precedence and units as ptp_clock_adjtime(). */
static int tsmon_phc_adjtime_ret(struct kretprobe_instance *ri,
				 struct pt_regs *regs)
{
	struct tsmon_dev *d = container_of(tsmon_get_kretprobe(ri), struct tsmon_dev,
					   phc_adjtime_krp);
	struct tsmon_phc_adj_ctx *c = (void *)ri->data;
	bool nano = c->modes & ADJ_NANO;

	if ((int)regs_return_value(regs) != 0)
		return 0;
	if (c->modes & ADJ_SETOFFSET)
		tsmon_phc_step(d, c->index, TSMON_PHC_SETOFFSET,
			       c->sec * NSEC_PER_SEC +
			       (nano ? c->usec : c->usec * NSEC_PER_USEC), 0);
	else if (c->modes & ADJ_FREQUENCY)
		tsmon_phc_freq(d, c->index, c->freq);
	else if (c->modes & ADJ_OFFSET)
		/* The core scales microseconds in 32 bits: so does the record. */
		tsmon_phc_phase(d, c->index,
				nano ? (s32)c->offset :
				(s32)((u32)(s32)c->offset * NSEC_PER_USEC));
	return 0;
}

static int tsmon_phc_event_pre(struct kprobe *p, struct pt_regs *regs)
{
	struct tsmon_dev *d = container_of(p, struct tsmon_dev, phc_event_kp);
	struct ptp_clock *ptp = (void *)regs_get_kernel_argument(regs, 0);
	const struct ptp_clock_event *ev = (void *)regs_get_kernel_argument(regs, 1);
	struct tsmon_record rec;
	unsigned long irq;
	u64 mono;

	/* Times are stamped under the lock, below. */
	switch (ev->type) {
	case PTP_CLOCK_EXTTS:
		tsmon_rec_init(&rec, TSMON_EVENT_PHC_EXTTS, 0, 0);
		rec.phc_extts.channel = ev->index;
		rec.phc_extts.timestamp_ns = ev->timestamp;
		break;
#if TSMON_HAVE_PTP_EXTOFF
	case PTP_CLOCK_EXTOFF:
		tsmon_rec_init(&rec, TSMON_EVENT_PHC_EXTTS, 0, 0);
		rec.phc_extts.channel = ev->index;
		rec.phc_extts.timestamp_ns = (u64)ev->offset;
		rec.phc_extts.flags = TSMON_EXTTS_OFFSET;
		break;
#endif
	case PTP_CLOCK_PPS:
	/* sfc, mlx5, bnxt... report their PPS edges with a timestamp pair. */
	case PTP_CLOCK_PPSUSR:
		tsmon_rec_init(&rec, TSMON_EVENT_PHC_PPS, 0, 0);
		break;
	default:
		return 0;
	}
	rec.phc_extts.index = ptp_clock_index(ptp);

	irq = tsmon_write_begin(d);
	mono = tsmon_rec_mono(d);
	rec.mono_ns = mono;
	rec.real_ns = tsmon_real_of(d, mono);
	tsmon_emit(d, &rec);
	tsmon_write_end(d, irq);
	return 0;
}

static int tsmon_phc_register_entry(struct kretprobe_instance *ri,
				    struct pt_regs *regs)
{
	*(struct ptp_clock_info **)ri->data =
		(void *)regs_get_kernel_argument(regs, 0);
	return 0;
}

static int tsmon_phc_register_ret(struct kretprobe_instance *ri,
				  struct pt_regs *regs)
{
	struct tsmon_dev *d = container_of(tsmon_get_kretprobe(ri), struct tsmon_dev,
					   phc_register_krp);
	struct ptp_clock_info *info = *(struct ptp_clock_info **)ri->data;
	struct ptp_clock *ptp = (void *)regs_return_value(regs);

	if (IS_ERR_OR_NULL(ptp))
		return 0;
	tsmon_phc_added(d, ptp_clock_index(ptp), info->name);
	return 0;
}

static int tsmon_phc_unregister_pre(struct kprobe *p, struct pt_regs *regs)
{
	struct tsmon_dev *d = container_of(p, struct tsmon_dev,
					   phc_unregister_kp);
	int index = ptp_clock_index((void *)regs_get_kernel_argument(regs, 0));
	struct tsmon_record rec;
	unsigned long irq;
	u64 mono;
	int i;

	irq = tsmon_write_begin(d);
	i = tsmon_phc_find(d, index);
	/* Not reached by the load-time scan yet: never announced, never added. */
	if (index >= d->phc_scan_next && index < TSMON_PHC_SCAN) {
		__set_bit(index, d->phc_scan_gone);
		if (i < 0)
			goto out;
	}
	mono = tsmon_rec_mono(d);
	tsmon_rec_init(&rec, TSMON_EVENT_PHC_REMOVE, mono, tsmon_real_of(d, mono));
	rec.phc.index = index;
	/* No slot: announced while the table was full; the name is gone. */
	if (i >= 0) {
		rec.phc.flags = d->health->phc[i].flags;
		memcpy(rec.phc.name, d->health->phc[i].name, sizeof(rec.phc.name));
		tsmon_phc_slot_del(d, i);
	}
	tsmon_emit(d, &rec);
out:
	tsmon_write_end(d, irq);
	return 0;
}

/* The driver's name of /dev/ptp<index> from sysfs, or false if none. */
static bool tsmon_phc_sysfs_name(int index, char *name, size_t size)
{
	char path[48];
	struct file *f;
	loff_t pos = 0;
	ssize_t n;

	snprintf(path, sizeof(path), "/sys/class/ptp/ptp%d/clock_name", index);
	f = filp_open(path, O_RDONLY, 0);
	if (IS_ERR(f))
		return false;
	n = kernel_read(f, name, size - 1, &pos);
	filp_close(f, NULL);
	if (n < 0)
		return false;
	name[n] = '\0';
	name[strcspn(name, "\n")] = '\0';
	return true;
}

static void tsmon_phc_krp_init(struct kretprobe *krp, const char *sym,
			       kretprobe_handler_t entry, kretprobe_handler_t ret,
			       size_t data_size)
{
	krp->kp.symbol_name = sym;
	krp->entry_handler = entry;
	krp->handler = ret;
	krp->data_size = data_size;
	/* Driver callbacks may sleep: several callers can be inside. */
	krp->maxactive = 32;
}

/* PHCs appearing and going. */
static void tsmon_phc_life_attach(struct tsmon_dev *d)
{
	struct kprobe *kp = &d->phc_unregister_kp;
	struct kretprobe *krp = &d->phc_register_krp;

	tsmon_phc_krp_init(krp, "ptp_clock_register", tsmon_phc_register_entry,
			   tsmon_phc_register_ret, sizeof(struct ptp_clock_info *));
	kp->symbol_name = "ptp_clock_unregister";
	kp->pre_handler = tsmon_phc_unregister_pre;
	if (!tsmon_probe_group_add("ptp_clock_register, ptp_clock_unregister",
				   &kp, 1, &krp, 1))
		d->hooks |= TSMON_HOOK_PHC_LIFE;
}

/* clock_settime() and clock_adjtime() on a PHC. */
static void tsmon_phc_adj_attach(struct tsmon_dev *d)
{
	struct kretprobe *krps[] = { &d->phc_settime_krp, &d->phc_adjtime_krp };

	tsmon_phc_krp_init(&d->phc_settime_krp, "ptp_clock_settime",
			   tsmon_phc_settime_entry, tsmon_phc_settime_ret,
			   sizeof(struct tsmon_phc_set_ctx));
	tsmon_phc_krp_init(&d->phc_adjtime_krp, "ptp_clock_adjtime",
			   tsmon_phc_adjtime_entry, tsmon_phc_adjtime_ret,
			   sizeof(struct tsmon_phc_adj_ctx));
	if (!tsmon_probe_group_add("ptp_clock_settime, ptp_clock_adjtime",
				   NULL, 0, krps, ARRAY_SIZE(krps)))
		d->hooks |= TSMON_HOOK_PHC_ADJ;
}

/**
 * tsmon_phc_attach() - attach the PHC probes and record the PHCs present
 * @d: device state with its region allocated
 *
 * Each group of probes is optional; health.hooks says which attached. The
 * lifetime probes go first so that a PHC appearing or going during the
 * sysfs scan is seen (one seen both ways is recorded once).
 */
void tsmon_phc_attach(struct tsmon_dev *d)
{
	char name[TSMON_NAME_WORDS * 8 + 16];
	int i;

	d->phc_scan_next = 0;
	bitmap_zero(d->phc_scan_gone, TSMON_PHC_SCAN);
	tsmon_phc_life_attach(d);
	tsmon_phc_adj_attach(d);
	if (!tsmon_kprobe(&d->phc_event_kp, "ptp_clock_event",
			  tsmon_phc_event_pre))
		d->hooks |= TSMON_HOOK_PHC_EVENT;

	for (i = 0; i < TSMON_PHC_SCAN; i++) {
		if (tsmon_phc_sysfs_name(i, name, sizeof(name))) {
			tsmon_phc_scanned(d, i, name);
		} else {
			unsigned long irq = tsmon_lock(d);

			d->phc_scan_next = i + 1;
			tsmon_unlock(d, irq);
		}
	}
}

/**
 * tsmon_phc_detach() - remove the PHC probes
 * @d: device state
 *
 * Waits until no handler is running.
 */
void tsmon_phc_detach(struct tsmon_dev *d)
{
	struct kretprobe *adj[] = { &d->phc_settime_krp, &d->phc_adjtime_krp };
	struct kretprobe *reg = &d->phc_register_krp;
	struct kprobe *unreg = &d->phc_unregister_kp;

	if (d->hooks & TSMON_HOOK_PHC_EVENT)
		unregister_kprobe(&d->phc_event_kp);
	if (d->hooks & TSMON_HOOK_PHC_ADJ)
		tsmon_probe_group_remove(NULL, 0, adj, ARRAY_SIZE(adj));
	if (d->hooks & TSMON_HOOK_PHC_LIFE)
		tsmon_probe_group_remove(&unreg, 1, &reg, 1);
	d->hooks &= ~(TSMON_HOOK_PHC_EVENT | TSMON_HOOK_PHC_ADJ |
		      TSMON_HOOK_PHC_LIFE);
}
