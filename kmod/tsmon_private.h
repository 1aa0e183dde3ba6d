/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tsmon: state shared by the module's files.
 */
#ifndef _TSMON_PRIVATE_H
#define _TSMON_PRIVATE_H

#include <linux/atomic.h>
#include <linux/bitmap.h>
#include <linux/irq_work.h>
#include <linux/kprobes.h>
#include <linux/miscdevice.h>
#include <linux/notifier.h>
#include <linux/sched.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/wait.h>
#include <linux/workqueue.h>
#include <uapi/tsmon/abi.h>

#include "tsmon_compat.h"

/* Readers load the region's 64-bit words atomically: 32-bit cannot. */
#ifndef CONFIG_64BIT
#error "tsmon needs a 64-bit kernel: its shared region is made of 64-bit words read atomically"
#endif

#define TSMON_RING_MIN		64
#define TSMON_RING_MAX		(1U << 20)
#define TSMON_RING_DEFAULT	4096
#define TSMON_SYNC_HISTORY	8	/* sync intervals behind sync_interval_ns */
#define TSMON_SYNC_BUDGET_MAX	(16ULL * NSEC_PER_SEC)	/* the kernel's maxerror limit */
#define TSMON_STEP_SLOTS	8	/* tasks stepping at once with a known reason */
#define TSMON_PHC_SCAN		256	/* /sys/class/ptp/ptp<N> indices scanned at load */

/* Per PHC slot state the ABI does not publish: frequency event limiting. */
struct tsmon_phc_priv {
	u64 freq_rec_mono;		/* when the last phc_freq was recorded */
	s64 freq_rec_ppb;		/* the frequency it recorded */
	u64 freq_suppressed;		/* changes not recorded since */
	bool freq_recorded;		/* a phc_freq was recorded */
};

/* What the timekeeping hook compares between two callbacks. */
struct tsmon_tk_snap {
	s64 offs_real;
	s64 offs_boot;
	s64 next_leap;			/* CLOCK_MONOTONIC, KTIME_MAX if none */
	s32 tai_offset;
	u32 mult;			/* without the ntp error correction bit */
	const void *clock;		/* identity only, never dereferenced */
	char cs_name[TSMON_NAME_WORDS * 8];
};

/* One consistent read of the VMClock page (tsmon_vmclock.c). */
struct tsmon_vmclock_snap {
	u32 seq;
	u32 state_bits;			/* TSMON_VM_CLOCK_STATUS() ... */
	u64 marker;
	u64 flags;
	s32 tai_offset;
	u32 period_shift;
	u64 counter_value;
	u64 period_frac_sec;
	u64 time_sec;
	u64 time_frac_sec;
	u64 time_esterror_ns;
	u64 time_maxerror_ns;
	u64 gen_counter;
};

struct tsmon_vmclock_page;

/**
 * struct tsmon_dev - the single tsmon instance
 * @region:       vmalloc_user() area mapped by readers
 * @region_size:  bytes in use (page aligned)
 * @hdr:          header at offset 0 of @region
 * @health:       health block inside @region
 * @ring:         first record inside @region
 * @mask:         ring entries - 1
 * @lock:         serialises every writer of @region; a raw lock because the
 *                timekeeping hook takes it in hard-IRQ context under the
 *                timekeeper's own raw lock
 * @seq:          sequence number of the last record written
 * @pending_wake: records were written since the last wakeup was queued
 * @wake_work:    defers reader wakeups out of the hooks
 * @wq:           readers blocked in read()/poll()
 * @hooks:        TSMON_HOOK_* bits of attached hooks
 * @tk_prev:      timekeeper state at the previous callback
 * @tk_have_prev: @tk_prev holds the registration baseline or later
 * @tk_xtime_sec: the timekeeper's REALTIME second at the last callback
 * @tk_shift_mono: CLOCK_MONOTONIC when offs_real last moved (step, leap,
 *                resume)
 * @ntp_status:   the kernel's time_status: STA_* bits seen at the last
 *                adjtimex call, plus STA_UNSYNC set by ntp_clear()
 * @ntp_seen:     @ntp_status is valid (an adjtimex call was seen)
 * @ntp_state:    shadow of the kernel's time_state (TIME_OK..TIME_WAIT)
 * @ntp_next_leap: shadow of ntp_next_leap_sec, TIME64_MAX if none
 * @ntp_cleared:  ntp_clear() ran in the timekeeper update in progress
 * @ntp_lost:     a miss of one of the shadow's probes: the published time_state
 *               is unknown until the next adjtimex call shows the kernel's
 * @missed_seen:  probe misses last published (all probes)
 * @missed_ntp_seen: those of the NTP shadow's probes
 * @ntp_blind_clear: ntp_clear() ran while @ntp_seen was false: a deletion the
 *               kernel shows then may have lost its schedule
 * @ntp_maxerror_us: shadow of time_maxerror (grows 500 us per second)
 * @ntp_esterror_us: shadow of time_esterror
 * @sync_last_mono: CLOCK_MONOTONIC of the last sync update, 0 if none
 * @step_resid_ns: summed size of the steps made less than
 *               sync_budget_settle_ms apart, the last of them the health
 *               block's last step
 * @step_resid_tgid: the process that made them all; 0 when several did, or
 *               none did (not stepped from a task)
 * @sync_hist:    the last TSMON_SYNC_HISTORY intervals between sync updates
 * @sync_hist_len: valid entries in @sync_hist
 * @sync_hist_pos: next entry of @sync_hist to overwrite
 * @ins_armed:    the timekeeper has a leap second insertion scheduled
 * @ins_leap_real_ns: REALTIME at which the pending insertion happens
 * @del_armed:    a leap_armed record announced a deletion still pending
 * @del_leap_real_ns: REALTIME at which that deletion happens
 * @ntp_refused:  nonzero once a probe of the NTP group read something the
 *                compat layer did not promise; the group is then a no-op
 * @ntp_refuse_probe: the probe that found it, for the report
 * @ntp_refuse_what: what did not match
 * @ntp_refuse_got: the value read
 * @ntp_report:   0, then 1 when a refusal awaits its report, 2 once scheduled
 * @ntp_report_work: prints the refusal from process context
 * @step_mark:    step reasons of tasks stepping the clock: each the task
 *                pointer with the reason in its low bits, 0 when free
 * @rec_mono:     CLOCK_MONOTONIC of the last record stamped (under @lock)
 * @tk_calls:     timekeeping hook invocations
 * @tk_was_set:   of which reported clock_was_set
 * @adjtimex_calls: successful adjtimex calls observed
 * @tk_nb:        the timekeeping notifier
 * @adjtimex_krp: NTP capture probe; @settime_krp, @second_kp, @clear_kp the
 *                other NTP and step-reason probes
 * @vm_page:      the hypervisor's VMClock page, NULL when not watched
 * @vm_seq_count: its sequence count, the one field every tick loads
 * @vm_size:      bytes of it that the hypervisor fills
 * @vm_phys:      its physical address
 * @vm_seq:       its sequence count at the last consistent read
 * @vm_marker:    its disruption marker then
 * @phc_priv:     frequency record limiting per PHC slot
 * @phc_priv_overflow: the same, shared by PHCs that found no slot
 * @phc_settime_krp: PHC probes; see tsmon_phc.c
 * @phc_scan_next: index the load-time PHC scan reads next (under @lock)
 * @phc_scan_gone: PHCs unregistered at or past @phc_scan_next during the scan
 * @pump_work:    sends the ring to netlink listeners
 * @pump_next:    next sequence the pump sends
 * @pump_floor:   first sequence written while nobody listened and no wakeup
 *                was queued; the pump never sends below it (under @lock)
 * @netlink_registered: the family is up and the pump may run
 * @misc:         /dev/tsmon
 */
struct tsmon_dev {
	void *region;
	size_t region_size;
	struct tsmon_header *hdr;
	/* Writers change the private copy; tsmon_health_end() publishes it. */
	struct tsmon_health *health;
	struct tsmon_health *health_pub;	/* the block in the region */
	struct tsmon_health health_copy;
	bool body_open;			/* body_seq made odd by tsmon_emit() */
	struct tsmon_record *ring;
	u32 mask;

	raw_spinlock_t lock;
	u64 seq;
	bool pending_wake;
	struct irq_work wake_work;
	wait_queue_head_t wq;
	u32 hooks;

	struct tsmon_tk_snap tk_prev;
	bool tk_have_prev;
	u64 tk_xtime_sec;
	u64 tk_shift_mono;

	u32 ntp_status;
	bool ntp_seen;
	int ntp_state;
	s64 ntp_next_leap;
	bool ntp_cleared;
	bool ntp_blind_clear;
	bool ntp_lost;
	u64 missed_seen;
	u64 missed_ntp_seen;
	s64 ntp_maxerror_us;
	s64 ntp_esterror_us;
	u64 sync_last_mono;
	u64 step_resid_ns;
	pid_t step_resid_tgid;
	u64 sync_hist[TSMON_SYNC_HISTORY];
	u32 sync_hist_len;
	u32 sync_hist_pos;
	bool ins_armed;
	u64 ins_leap_real_ns;
	bool del_armed;
	u64 del_leap_real_ns;

	atomic_t ntp_refused;
	const char *ntp_refuse_probe;
	const char *ntp_refuse_what;
	s64 ntp_refuse_got;
	atomic_t ntp_report;
	struct work_struct ntp_report_work;

	atomic_long_t step_mark[TSMON_STEP_SLOTS];
	u64 rec_mono;

	u64 tk_calls;
	u64 tk_was_set;
	atomic64_t adjtimex_calls;

	struct notifier_block tk_nb;
	struct kretprobe adjtimex_krp;
	struct kretprobe settime_krp;
	struct kprobe second_kp;
	struct kprobe clear_kp;
	struct kretprobe setoffset_krp;

	const struct tsmon_vmclock_page *vm_page;
	const __le32 *vm_seq_count;
	u32 vm_size;
	phys_addr_t vm_phys;
	u32 vm_seq;
	u64 vm_marker;

	struct tsmon_phc_priv phc_priv[TSMON_PHC_SLOTS];
	struct tsmon_phc_priv phc_priv_overflow;
	struct kretprobe phc_settime_krp;
	struct kretprobe phc_adjtime_krp;
	struct kretprobe phc_register_krp;
	struct kprobe phc_unregister_kp;
	struct kprobe phc_event_kp;
	int phc_scan_next;
	DECLARE_BITMAP(phc_scan_gone, TSMON_PHC_SCAN);

	struct work_struct pump_work;
	u64 pump_next;
	u64 pump_floor;
	bool netlink_registered;
	struct miscdevice misc;
};

extern struct tsmon_dev tsmon;

/* tsmon_ring.c */
int tsmon_region_alloc(struct tsmon_dev *d, u32 entries);
void tsmon_region_free(struct tsmon_dev *d);
unsigned long tsmon_lock(struct tsmon_dev *d);
void tsmon_unlock(struct tsmon_dev *d, unsigned long flags);
void tsmon_health_begin(struct tsmon_dev *d);
void tsmon_health_end(struct tsmon_dev *d);
unsigned long tsmon_write_begin(struct tsmon_dev *d);
void tsmon_write_end(struct tsmon_dev *d, unsigned long flags);
void tsmon_rec_init(struct tsmon_record *rec, u32 type, u64 mono, u64 real);
u64 tsmon_real_of(struct tsmon_dev *d, u64 mono);
void tsmon_emit(struct tsmon_dev *d, struct tsmon_record *rec);
void tsmon_set_name(__u64 *dst, size_t words, const char *src);
void tsmon_update_leap_state(struct tsmon_dev *d);
u64 tsmon_rec_mono(struct tsmon_dev *d);
bool tsmon_ring_copy(struct tsmon_dev *d, u64 seq, struct tsmon_record *rec);

/* tsmon_tk.c */
int tsmon_tk_attach(struct tsmon_dev *d);
void tsmon_tk_detach(struct tsmon_dev *d);

/* tsmon_ntp.c */
void tsmon_ntp_init(struct tsmon_dev *d);
void tsmon_ntp_report_kick(struct tsmon_dev *d);
void tsmon_ntp_report_flush(struct tsmon_dev *d);
u32 tsmon_hooks_visible(struct tsmon_dev *d);
void tsmon_ntp_attach(struct tsmon_dev *d);
void tsmon_ntp_detach(struct tsmon_dev *d);
void tsmon_ntp_refuse(struct tsmon_dev *d, const char *probe,
		      const char *what, s64 got);
void tsmon_ntp_cleared(struct tsmon_dev *d, u64 mono, u64 real);
void tsmon_ntp_stepped(struct tsmon_dev *d, s64 delta, u64 mono);
void tsmon_probes_missed_publish(struct tsmon_dev *d, u64 all, u64 ntp,
				 u64 mono, u64 real);

/* tsmon_stepreason.c */
void tsmon_step_attach(struct tsmon_dev *d);
void tsmon_step_detach(struct tsmon_dev *d);
void tsmon_step_setoffset_init(struct kretprobe *krp);
u32 tsmon_take_step_reason(struct tsmon_dev *d);

/* tsmon_probe.c */
int tsmon_kprobe(struct kprobe *kp, const char *sym, kprobe_pre_handler_t pre);
int tsmon_probe_group_add(const char *what, struct kprobe **kps,
			  unsigned int nkp, struct kretprobe **krps,
			  unsigned int nkrp);
void tsmon_probe_group_remove(struct kprobe **kps, unsigned int nkp,
			      struct kretprobe **krps, unsigned int nkrp);
u64 tsmon_probes_missed(const struct tsmon_dev *d, u64 *ntp);

/* Bounds of the PHC frequency record limits (parameters and netlink). */
#define TSMON_PHC_THRESHOLD_MAX	1000000000U	/* 1e9 ppb: 100 % */
#define TSMON_PHC_INTERVAL_MAX	3600000U	/* one hour, in ms */

/* tsmon_phc.c */
extern unsigned int tsmon_phc_freq_threshold_ppb;
extern unsigned int tsmon_phc_freq_interval_ms;
void tsmon_phc_attach(struct tsmon_dev *d);
void tsmon_phc_detach(struct tsmon_dev *d);

/* tsmon_vmclock.c */
void tsmon_vmclock_attach(struct tsmon_dev *d);
void tsmon_vmclock_detach(struct tsmon_dev *d);
bool tsmon_vmclock_tick(struct tsmon_dev *d, u64 mono, u64 real);

/* tsmon_netlink.c */
int tsmon_netlink_register(struct tsmon_dev *d);
void tsmon_netlink_unregister(struct tsmon_dev *d);
void tsmon_netlink_kick(struct tsmon_dev *d);
bool tsmon_netlink_listening(struct tsmon_dev *d);

/* tsmon_chardev.c */
int tsmon_chardev_register(struct tsmon_dev *d);
void tsmon_chardev_unregister(struct tsmon_dev *d);
void tsmon_wake_init(struct tsmon_dev *d);

/* tsmon_sysfs.c */
extern const struct attribute_group *tsmon_attr_groups[];

/**
 * tsmon_vmclock_moved() - has the VMClock page changed since it was last read
 * @d: device state
 *
 * The whole cost on a tick: one load of the page's sequence count, inline.
 * An odd count (the hypervisor writing) also counts as moved, so that the
 * tick that sees it settled reads the page.
 *
 * Return: true when tsmon_vmclock_tick() has something to read.
 */
static inline bool tsmon_vmclock_moved(const struct tsmon_dev *d)
{
	const __le32 *seq = d->vm_seq_count;

	return seq && le32_to_cpu(READ_ONCE(*seq)) != d->vm_seq;
}

#endif /* _TSMON_PRIVATE_H */
