// SPDX-License-Identifier: GPL-2.0-only
/*
 * tsmon_testphc: software PTP hardware clocks for the tsmon tests.
 *
 * Debian's kernels ship no ptp_mock, and the one PHC a test guest has
 * (QEMU's e1000e) has no external timestamp channels, no PPS output and no
 * phase control. This module registers @count PHCs that have all three, so
 * that a test can make the PTP core see every kind of PHC event at a
 * moment and with a value of its choosing.
 *
 * The clock is exact: its time is an anchor plus the CLOCK_MONOTONIC_RAW
 * time elapsed since, scaled by the frequency offset. settime, adjtime and
 * adjfine move the anchor by exactly what they were given, so a test can
 * predict the clock's reading. A software clock has no servo, so adjphase
 * applies its offset at once, like adjtime.
 *
 * Events are requested through debugfs, one directory per clock named after
 * its device (/sys/kernel/debug/tsmon_testphc/ptp<N>/):
 *
 *   extts   write "CHANNEL TIMESTAMP_NS": an external timestamp with exactly
 *           that PHC time on that channel
 *   extoff  write "CHANNEL OFFSET_NS" (6.12 on): an external timestamp that
 *           is an offset (PTP_CLOCK_EXTOFF), signed
 *   pps     write anything: a PPS event
 *
 * As with real hardware an event is only delivered while it is enabled
 * (PTP_EXTTS_REQUEST on the channel, PTP_ENABLE_PPS); otherwise the write
 * fails with ENXIO. Events are delivered from hard interrupt context through
 * an irq_work, the context a NIC's interrupt handler calls
 * ptp_clock_event() from, and the write returns once delivery is done.
 *
 * One more file, at the top of the directory, stands for a neighbour on
 * the same kernel rather than a PHC:
 *
 *   slow_kprobe  write "MS": run a kprobe handler that spins MS
 *           milliseconds (at most 5000) with interrupts as the caller had
 *           them, as a slow BPF or perf program on a kprobe would. A kprobe
 *           that fires on this CPU meanwhile - the tick's second_overflow(),
 *           say - is skipped by the kprobe core and counted as missed.
 *           Reading it gives how many spins ran with interrupts enabled
 *           (only those can be interrupted by the tick).
 *
 * Test use only: it exists to be loaded in the tsmon test guest.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bitops.h>
#include <linux/debugfs.h>
#include <linux/fs.h>
#include <linux/irq_work.h>
#include <linux/kprobes.h>
#include <linux/kernel.h>
#include <linux/ktime.h>
#include <linux/math64.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <linux/ptp_clock_kernel.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <linux/timekeeping.h>
#include <linux/uaccess.h>
#include <linux/version.h>

#define TESTPHC_NAME		"tsmon-testphc"
#define TESTPHC_MAX_COUNT	16
#define TESTPHC_N_EXTTS		2
/* A generous range, so tests can use large round values. */
#define TESTPHC_MAX_ADJ_PPB	500000000
#define TESTPHC_MAX_PHASE_NS	NSEC_PER_SEC
/* scaled_ppm units (ppm with a 16-bit fraction) per unit of frequency */
#define TESTPHC_SCALED_PPM_ONE	(1000000ULL << 16)
/* From 6.5 the PTP core bounds ADJ_OFFSET by getmaxphase before adjphase. */
#define TESTPHC_HAVE_GETMAXPHASE	\
	(LINUX_VERSION_CODE >= KERNEL_VERSION(6, 5, 0))
/* PTP_CLOCK_EXTOFF: from 6.12. */
#define TESTPHC_HAVE_EXTOFF	\
	(LINUX_VERSION_CODE >= KERNEL_VERSION(6, 12, 0))
/* IRQ_WORK_INIT_HARD() is 5.11; before, the flag is set by hand. */
#define TESTPHC_HAVE_IRQ_WORK_HARD	\
	(LINUX_VERSION_CODE >= KERNEL_VERSION(5, 11, 0))

static unsigned int count = 1;
module_param(count, uint, 0444);
MODULE_PARM_DESC(count, "number of PHCs to register (1-16, default 1)");

/**
 * struct testphc - one software PHC
 * @info:       the clock's operations and capabilities
 * @ptp:        the registered clock
 * @lock:       protects @anchor_raw, @anchor_ns and @scaled_ppm
 * @anchor_raw: CLOCK_MONOTONIC_RAW at the last change of the clock
 * @anchor_ns:  the PHC's time then
 * @scaled_ppm: frequency offset, ppm with a 16-bit binary fraction
 * @extts_on:   bit N set while external timestamps on channel N are enabled
 * @pps_on:     PPS events are enabled
 * @event_lock: one event at a time through @event_work
 * @event:      the event @event_work delivers
 * @event_work: delivers @event from hard interrupt context
 */
struct testphc {
	struct ptp_clock_info info;
	struct ptp_clock *ptp;

	spinlock_t lock;		/* the clock model */
	u64 anchor_raw;
	s64 anchor_ns;
	long scaled_ppm;

	unsigned long extts_on;
	bool pps_on;

	struct mutex event_lock;	/* @event and @event_work */
	struct ptp_clock_event event;
	struct irq_work event_work;
};

static struct testphc testphcs[TESTPHC_MAX_COUNT];
static struct dentry *testphc_root;

static struct testphc *to_testphc(struct ptp_clock_info *info)
{
	return container_of(info, struct testphc, info);
}

/* The PHC's time at CLOCK_MONOTONIC_RAW @raw; called with @lock held. */
static s64 testphc_time_at(const struct testphc *tp, u64 raw)
{
	u64 elapsed = raw - tp->anchor_raw;
	u64 corr = mul_u64_u64_div_u64(elapsed, abs(tp->scaled_ppm),
				       TESTPHC_SCALED_PPM_ONE);

	return tp->anchor_ns + (s64)elapsed +
	       (tp->scaled_ppm < 0 ? -(s64)corr : (s64)corr);
}

/* Moves the anchor to now, adding @delta_ns to the clock's time. */
static void testphc_shift(struct testphc *tp, s64 delta_ns)
{
	unsigned long flags;
	u64 raw;

	spin_lock_irqsave(&tp->lock, flags);
	raw = ktime_get_raw_ns();
	tp->anchor_ns = testphc_time_at(tp, raw) + delta_ns;
	tp->anchor_raw = raw;
	spin_unlock_irqrestore(&tp->lock, flags);
}

static int testphc_adjfine(struct ptp_clock_info *info, long scaled_ppm)
{
	struct testphc *tp = to_testphc(info);
	unsigned long flags;
	u64 raw;

	spin_lock_irqsave(&tp->lock, flags);
	raw = ktime_get_raw_ns();
	tp->anchor_ns = testphc_time_at(tp, raw);
	tp->anchor_raw = raw;
	tp->scaled_ppm = scaled_ppm;
	spin_unlock_irqrestore(&tp->lock, flags);
	return 0;
}

static int testphc_adjtime(struct ptp_clock_info *info, s64 delta)
{
	testphc_shift(to_testphc(info), delta);
	return 0;
}

static int testphc_adjphase(struct ptp_clock_info *info, s32 phase)
{
	testphc_shift(to_testphc(info), phase);
	return 0;
}

#if TESTPHC_HAVE_GETMAXPHASE
static s32 testphc_getmaxphase(struct ptp_clock_info *info)
{
	return TESTPHC_MAX_PHASE_NS;
}
#endif

static int testphc_gettimex64(struct ptp_clock_info *info,
			      struct timespec64 *ts,
			      struct ptp_system_timestamp *sts)
{
	struct testphc *tp = to_testphc(info);
	unsigned long flags;
	s64 ns;

	spin_lock_irqsave(&tp->lock, flags);
	ptp_read_system_prets(sts);
	ns = testphc_time_at(tp, ktime_get_raw_ns());
	ptp_read_system_postts(sts);
	spin_unlock_irqrestore(&tp->lock, flags);
	*ts = ns_to_timespec64(ns);
	return 0;
}

static int testphc_settime64(struct ptp_clock_info *info,
			     const struct timespec64 *ts)
{
	struct testphc *tp = to_testphc(info);
	unsigned long flags;

	spin_lock_irqsave(&tp->lock, flags);
	tp->anchor_raw = ktime_get_raw_ns();
	tp->anchor_ns = timespec64_to_ns(ts);
	spin_unlock_irqrestore(&tp->lock, flags);
	return 0;
}

static int testphc_enable(struct ptp_clock_info *info,
			  struct ptp_clock_request *rq, int on)
{
	struct testphc *tp = to_testphc(info);

	switch (rq->type) {
	case PTP_CLK_REQ_EXTTS:
		if (rq->extts.index >= TESTPHC_N_EXTTS)
			return -EINVAL;
		if (on)
			set_bit(rq->extts.index, &tp->extts_on);
		else
			clear_bit(rq->extts.index, &tp->extts_on);
		return 0;
	case PTP_CLK_REQ_PPS:
		WRITE_ONCE(tp->pps_on, !!on);
		return 0;
	default:
		return -EOPNOTSUPP;
	}
}

static const struct ptp_clock_info testphc_info = {
	.owner		= THIS_MODULE,
	.max_adj	= TESTPHC_MAX_ADJ_PPB,
	.n_ext_ts	= TESTPHC_N_EXTTS,
	.pps		= 1,
	.adjfine	= testphc_adjfine,
	.adjphase	= testphc_adjphase,
#if TESTPHC_HAVE_GETMAXPHASE
	.getmaxphase	= testphc_getmaxphase,
#endif
	.adjtime	= testphc_adjtime,
	.gettimex64	= testphc_gettimex64,
	.settime64	= testphc_settime64,
	.enable		= testphc_enable,
};

static void testphc_event_irq(struct irq_work *work)
{
	struct testphc *tp = container_of(work, struct testphc, event_work);

	ptp_clock_event(tp->ptp, &tp->event);
}

/* Delivers @ev from hard interrupt context and waits until it was. */
static void testphc_deliver(struct testphc *tp, const struct ptp_clock_event *ev)
{
	mutex_lock(&tp->event_lock);
	tp->event = *ev;
	irq_work_queue(&tp->event_work);
	irq_work_sync(&tp->event_work);
	mutex_unlock(&tp->event_lock);
}

/* Copies a short user write as a C string. */
static int testphc_user_string(char *buf, size_t size,
			       const char __user *ubuf, size_t len)
{
	if (len >= size)
		return -EINVAL;
	if (copy_from_user(buf, ubuf, len))
		return -EFAULT;
	buf[len] = '\0';
	return 0;
}

static ssize_t testphc_extts_write(struct file *file, const char __user *ubuf,
				   size_t len, loff_t *ppos)
{
	struct testphc *tp = file->private_data;
	struct ptp_clock_event ev = { .type = PTP_CLOCK_EXTTS };
	unsigned int channel;
	char buf[48];
	u64 ts;
	int err;

	err = testphc_user_string(buf, sizeof(buf), ubuf, len);
	if (err)
		return err;
	if (sscanf(buf, "%u %llu", &channel, &ts) != 2 ||
	    channel >= TESTPHC_N_EXTTS)
		return -EINVAL;
	if (!test_bit(channel, &tp->extts_on))
		return -ENXIO;
	ev.index = channel;
	ev.timestamp = ts;
	testphc_deliver(tp, &ev);
	return len;
}

#if TESTPHC_HAVE_EXTOFF
static ssize_t testphc_extoff_write(struct file *file,
				    const char __user *ubuf, size_t len,
				    loff_t *ppos)
{
	struct testphc *tp = file->private_data;
	struct ptp_clock_event ev = { .type = PTP_CLOCK_EXTOFF };
	unsigned int channel;
	char buf[48];
	s64 offset;
	int err;

	err = testphc_user_string(buf, sizeof(buf), ubuf, len);
	if (err)
		return err;
	if (sscanf(buf, "%u %lld", &channel, &offset) != 2 ||
	    channel >= TESTPHC_N_EXTTS)
		return -EINVAL;
	if (!test_bit(channel, &tp->extts_on))
		return -ENXIO;
	ev.index = channel;
	ev.offset = offset;
	testphc_deliver(tp, &ev);
	return len;
}

static const struct file_operations testphc_extoff_fops = {
	.owner	= THIS_MODULE,
	.open	= simple_open,
	.write	= testphc_extoff_write,
	.llseek	= noop_llseek,
};
#endif

static ssize_t testphc_pps_write(struct file *file, const char __user *ubuf,
				 size_t len, loff_t *ppos)
{
	struct testphc *tp = file->private_data;
	struct ptp_clock_event ev = { .type = PTP_CLOCK_PPS };

	if (!READ_ONCE(tp->pps_on))
		return -ENXIO;
	testphc_deliver(tp, &ev);
	return len;
}

static const struct file_operations testphc_extts_fops = {
	.owner	= THIS_MODULE,
	.open	= simple_open,
	.write	= testphc_extts_write,
	.llseek	= noop_llseek,
};

static const struct file_operations testphc_pps_fops = {
	.owner	= THIS_MODULE,
	.open	= simple_open,
	.write	= testphc_pps_write,
	.llseek	= noop_llseek,
};

#define SLOW_MAX_MS	5000

static unsigned long slow_ms;
static atomic_t slow_irqs_on = ATOMIC_INIT(0);
static bool slow_registered;

/* The probed function: the write calls it, the kprobe handler spins. */
static noinline void testphc_slow_point(void)
{
	barrier();
}

static int testphc_slow_pre(struct kprobe *p, struct pt_regs *regs)
{
	u64 end = ktime_get_mono_fast_ns() + READ_ONCE(slow_ms) * NSEC_PER_MSEC;

	if (!irqs_disabled())
		atomic_inc(&slow_irqs_on);
	while (ktime_get_mono_fast_ns() < end)
		cpu_relax();
	return 0;
}

static struct kprobe testphc_slow_kp = {
	.pre_handler = testphc_slow_pre,
};

static ssize_t testphc_slow_write(struct file *file, const char __user *ubuf,
				  size_t len, loff_t *ppos)
{
	unsigned long ms;
	int err;

	if (!slow_registered)
		return -ENODEV;
	err = kstrtoul_from_user(ubuf, len, 0, &ms);
	if (err)
		return err;
	if (ms > SLOW_MAX_MS)
		return -ERANGE;
	WRITE_ONCE(slow_ms, ms);
	testphc_slow_point();
	return len;
}

static ssize_t testphc_slow_read(struct file *file, char __user *ubuf,
				 size_t len, loff_t *ppos)
{
	char buf[16];
	int n = scnprintf(buf, sizeof(buf), "%d\n", atomic_read(&slow_irqs_on));

	return simple_read_from_buffer(ubuf, len, ppos, buf, n);
}

static const struct file_operations testphc_slow_fops = {
	.owner	= THIS_MODULE,
	.open	= simple_open,
	.read	= testphc_slow_read,
	.write	= testphc_slow_write,
	.llseek	= noop_llseek,
};

static int testphc_register(struct testphc *tp, unsigned int i)
{
	char dirname[16];
	struct dentry *dir;

	tp->info = testphc_info;
	if (i)
		snprintf(tp->info.name, sizeof(tp->info.name), "%s%u",
			 TESTPHC_NAME, i);
	else
		strscpy(tp->info.name, TESTPHC_NAME, sizeof(tp->info.name));
	spin_lock_init(&tp->lock);
	mutex_init(&tp->event_lock);
#if TESTPHC_HAVE_IRQ_WORK_HARD
	tp->event_work = IRQ_WORK_INIT_HARD(testphc_event_irq);
#else
	init_irq_work(&tp->event_work, testphc_event_irq);
	atomic_set(&tp->event_work.flags, IRQ_WORK_HARD_IRQ);
#endif
	/* Start near the system time, as NIC drivers do. */
	tp->anchor_raw = ktime_get_raw_ns();
	tp->anchor_ns = ktime_get_real_ns();

	tp->ptp = ptp_clock_register(&tp->info, NULL);
	if (IS_ERR(tp->ptp)) {
		int err = PTR_ERR(tp->ptp);

		tp->ptp = NULL;
		mutex_destroy(&tp->event_lock);
		pr_err("cannot register %s (%d)\n", tp->info.name, err);
		return err;
	}

	snprintf(dirname, sizeof(dirname), "ptp%d", ptp_clock_index(tp->ptp));
	dir = debugfs_create_dir(dirname, testphc_root);
	debugfs_create_file("extts", 0200, dir, tp, &testphc_extts_fops);
	debugfs_create_file("pps", 0200, dir, tp, &testphc_pps_fops);
#if TESTPHC_HAVE_EXTOFF
	debugfs_create_file("extoff", 0200, dir, tp, &testphc_extoff_fops);
#endif
	return 0;
}

static void testphc_unregister(struct testphc *tp)
{
	ptp_clock_unregister(tp->ptp);
	mutex_destroy(&tp->event_lock);
}

static int __init testphc_init(void)
{
	unsigned int i;
	int err;

	if (count < 1 || count > TESTPHC_MAX_COUNT)
		return -EINVAL;

	testphc_root = debugfs_create_dir(KBUILD_MODNAME, NULL);
	testphc_slow_kp.addr = (kprobe_opcode_t *)testphc_slow_point;
	if (register_kprobe(&testphc_slow_kp))
		pr_warn("no slow_kprobe: cannot probe testphc_slow_point\n");
	else
		slow_registered = true;
	debugfs_create_file("slow_kprobe", 0600, testphc_root, NULL,
			    &testphc_slow_fops);
	for (i = 0; i < count; i++) {
		err = testphc_register(&testphcs[i], i);
		if (err)
			goto err_register;
	}
	return 0;

err_register:
	/* No event is in flight once the files are gone. */
	debugfs_remove_recursive(testphc_root);
	if (slow_registered)
		unregister_kprobe(&testphc_slow_kp);
	while (i--)
		testphc_unregister(&testphcs[i]);
	return err;
}

static void __exit testphc_exit(void)
{
	unsigned int i = count;

	debugfs_remove_recursive(testphc_root);
	if (slow_registered)
		unregister_kprobe(&testphc_slow_kp);
	while (i--)
		testphc_unregister(&testphcs[i]);
}

module_init(testphc_init);
module_exit(testphc_exit);

MODULE_DESCRIPTION("Software PTP hardware clocks for the tsmon tests");
MODULE_LICENSE("GPL");
