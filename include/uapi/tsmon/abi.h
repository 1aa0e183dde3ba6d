/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * tsmon: timekeeping event monitor - shared memory ABI.
 *
 * /dev/tsmon is mapped read-only and shared (mmap offset 0, length at most
 * tsmon_header.region_size). The region is laid out as:
 *
 *   offset 0                  struct tsmon_header   (constants + head index)
 *   header.health_offset      struct tsmon_health   (seqcount protected)
 *   header.ring_offset        struct tsmon_record[header.ring_entries]
 *
 * Readers must take every offset and size from the header, never from
 * sizeof() or the TSMON_*_OFFSET hints below: the layout grows by appending
 * fields to the end of a structure, and the header says how large each
 * structure really is in the running module. A reader built against an
 * older header copies the prefix it knows; a reader built against a newer
 * header treats the missing tail as zero.
 *
 * Only __u32 and __u64 fields are used. Fields documented as "signed" hold
 * a two's complement value and are meant to be cast to int32_t / int64_t.
 * Names are NUL-padded ASCII stored in __u64 arrays (read them as char[]).
 *
 * Memory ordering (kernel writer, any number of userspace readers):
 *
 *  - Records: the writer stores 0 into record.seq, then the body, then
 *    stores the record's sequence number with release semantics, then
 *    stores header.head with release semantics. A reader load-acquires
 *    header.head, load-acquires record.seq, copies the body, issues a read
 *    barrier and reloads record.seq: if the two loads differ or do not equal
 *    the sequence it wanted, the record was overwritten while it was being
 *    copied (the reader fell behind by a whole ring).
 *
 *  - Health: two 64-bit sequence counts, odd while the writer updates what
 *    they cover. health.seq covers the clock line (the first 64 bytes, what
 *    a bounded clock read needs) and the leap fields; health.body_seq covers
 *    everything else. The writer makes the counts it needs odd, issues a
 *    write barrier, stores the fields, issues a write barrier and makes them
 *    even again; it stores nothing when nothing changed. A reader
 *    load-acquires the count(s) covering what it reads, retries while one is
 *    odd, copies, issues a read barrier and retries if one changed. A whole
 *    block copy checks both. 64 bits never wrap. A module whose health_size
 *    does not reach body_seq covers the whole block with health.seq.
 */
#ifndef _UAPI_TSMON_ABI_H
#define _UAPI_TSMON_ABI_H

#include <linux/ioctl.h>
#include <linux/types.h>

#define TSMON_DEVICE_PATH	"/dev/tsmon"

/* "TSMONABI" little-endian: the first 8 bytes of the region. */
#define TSMON_MAGIC		0x4942414e4f4d5354ULL
/*
 * Bumped only for incompatible changes (none so far). Appending fields does
 * not change it: sizes in the header tell what is present.
 */
#define TSMON_ABI_VERSION	1

#define TSMON_NAME_WORDS	2	/* 16 bytes: 15 chars + NUL */
#define TSMON_CS_NAME_WORDS	4	/* 32 bytes in the health block */

/* health.seq covers the health block's first cache line (and the leap fields). */
#define TSMON_HEALTH_CLOCK_LINE	64

/* Hints for the layout of this ABI version; readers use the header. */
#define TSMON_HEADER_SIZE_V1	192
#define TSMON_HEALTH_OFFSET_V1	256
#define TSMON_RING_OFFSET_V1	4096
#define TSMON_RECORD_SIZE_V1	64

/**
 * struct tsmon_header - region header, at offset 0
 * @magic:         TSMON_MAGIC
 * @abi_version:   TSMON_ABI_VERSION
 * @header_size:   bytes of struct tsmon_header the module fills
 * @region_size:   total bytes of the region (the largest valid mmap length)
 * @health_offset: offset of struct tsmon_health
 * @health_size:   bytes of struct tsmon_health the module fills
 * @ring_offset:   offset of the first record, page aligned
 * @record_size:   bytes per record (a power of two, >= 64)
 * @ring_entries:  records in the ring, a power of two
 * @ring_mask:     ring_entries - 1; record with sequence s is at index s & mask
 * @instance_id:   random per module load; changes when the module is reloaded
 * @load_real_ns:  CLOCK_REALTIME when the module loaded
 * @load_mono_ns:  CLOCK_MONOTONIC when the module loaded
 * @head:          sequence number of the newest published record, 0 if none.
 *                 Sequence numbers start at 1 and increase by one per record.
 *                 Stored with release semantics after the record's own seq
 *                 (pairs with the reader's acquire load of @head).
 *
 * Everything before @head is constant for the lifetime of the mapping.
 * @head sits at offset 128, on a cache line of its own, so that the line
 * readers poll is not the one holding the constants.
 */
struct tsmon_header {
	__u64 magic;
	__u32 abi_version;
	__u32 header_size;
	__u32 region_size;
	__u32 health_offset;
	__u32 health_size;
	__u32 ring_offset;
	__u32 record_size;
	__u32 ring_entries;
	__u32 ring_mask;
	__u32 __pad0;
	__u64 instance_id;
	__u64 load_real_ns;
	__u64 load_mono_ns;
	__u64 __pad1[7];
	/* offset 128: written on every event, kept off the constants' lines */
	__u64 head;
	__u64 __pad2[7];
};

/* tsmon_record.type; TSMON_EVENT_LOST is produced by readers, never stored. */
enum tsmon_event_type {
	TSMON_EVENT_NONE		= 0,
	TSMON_EVENT_CLOCK_STEP		= 1,
	TSMON_EVENT_LEAP_ARMED		= 2,
	TSMON_EVENT_LEAP_DISARMED	= 3,
	TSMON_EVENT_LEAP_APPLIED	= 4,
	TSMON_EVENT_TAI_CHANGE		= 5,
	TSMON_EVENT_CLOCKSOURCE_CHANGE	= 6,
	TSMON_EVENT_RESUME		= 7,
	TSMON_EVENT_LOST		= 8,
	TSMON_EVENT_NTP_SYNC		= 9,
	TSMON_EVENT_NTP_UNSYNC		= 10,
	TSMON_EVENT_NTP_MODE		= 11,
	TSMON_EVENT_NTP_STATE		= 12,
	TSMON_EVENT_PHC_STEP		= 13,
	TSMON_EVENT_PHC_FREQ		= 14,
	TSMON_EVENT_PHC_PHASE		= 15,
	TSMON_EVENT_PHC_EXTTS		= 16,
	TSMON_EVENT_PHC_PPS		= 17,
	TSMON_EVENT_PHC_ADD		= 18,
	TSMON_EVENT_PHC_REMOVE		= 19,
	TSMON_EVENT_VM_DISRUPTION	= 20,
	/* new types are appended here */
	TSMON_EVENT_TYPE_COUNT
};

/* Size of tsmon_health.event_count[]: room for types added later. */
#define TSMON_EVENT_SLOTS	32

/* Direction of a leap second (leap records, health.leap_state). */
enum tsmon_leap_direction {
	TSMON_LEAP_INSERT	= 1,	/* 23:59:60 inserted: REALTIME steps back 1 s */
	TSMON_LEAP_DELETE	= 2,	/* 23:59:59 deleted: REALTIME steps forward 1 s */
};

/* tsmon_health.leap_state */
enum tsmon_leap_state {
	TSMON_LEAP_NONE			= 0,
	TSMON_LEAP_INSERT_PENDING	= 1,
	TSMON_LEAP_DELETE_PENDING	= 2,
};

/* Why CLOCK_REALTIME was stepped (clock_step.reason, health.last_step_reason). */
enum tsmon_step_reason {
	TSMON_STEP_UNKNOWN	= 0,	/* another in-kernel caller */
	TSMON_STEP_SETTIME	= 1,	/* do_settimeofday64: clock_settime, settimeofday, RTC */
	TSMON_STEP_SETOFFSET	= 2,	/* adjtimex/clock_adjtime ADJ_SETOFFSET */
};

/* tsmon_health.hooks: which observation points are attached. */
#define TSMON_HOOK_TIMEKEEPER	(1U << 0)	/* pvclock gtod notifier */
#define TSMON_HOOK_ADJTIMEX	(1U << 1)	/* NTP state: __do_adjtimex
						 * (ntp_adjtimex from 6.17),
						 * second_overflow, ntp_clear;
						 * cleared if refused */
#define TSMON_HOOK_SETTIME	(1U << 2)	/* kprobe on do_settimeofday64 */
#define TSMON_HOOK_PHC_ADJ	(1U << 3)	/* PHC clock_settime/clock_adjtime */
#define TSMON_HOOK_PHC_EVENT	(1U << 4)	/* ptp_clock_event(): extts, PPS */
#define TSMON_HOOK_PHC_LIFE	(1U << 5)	/* PHC register / unregister */

/* phc_step.how */
enum tsmon_phc_step_how {
	TSMON_PHC_SETTIME	= 1,	/* clock_settime(): @time_ns is the new time */
	TSMON_PHC_SETOFFSET	= 2,	/* clock_adjtime(ADJ_SETOFFSET): @delta_ns */
};

/* phc_extts.flags */
#define TSMON_EXTTS_OFFSET	(1U << 0)	/* PTP_CLOCK_EXTOFF: an offset, not a time */

/* phc_add.flags */
#define TSMON_PHC_AT_LOAD	(1U << 0)	/* present when tsmon was loaded */

/*
 * tsmon_health.vm_state: the hypervisor's VMClock device (ACPI "AMZNC10C" or
 * "VMCLOCK"), whose disruption marker changes on every live migration or
 * snapshot restore.
 */
enum tsmon_vm_state {
	TSMON_VM_NONE		= 0,	/* no VMClock device (or a reader's older module) */
	TSMON_VM_ACTIVE		= 1,	/* found: the marker is checked on every tick */
	TSMON_VM_INVALID	= 2,	/* found, but its page is not a VMClock v1 page */
	TSMON_VM_DISABLED	= 3,	/* found, not used: module parameter vmclock=0 */
};

/*
 * vm_disruption.state and tsmon_health.vm_state_bits: the page's one-byte
 * fields, packed. Values as in the VMClock ABI (<linux/vmclock-abi.h>):
 * clock status 0 unknown, 1 initializing, 2 synchronized, 3 free running,
 * 4 unreliable; counter 0 arm vcnt, 1 x86 TSC, 0xff none; time type 0 UTC,
 * 1 TAI, 2 monotonic; leap indicator 0 none, 1/2 positive/negative at the
 * end of the month, 3 in the leap second, 4/5 after a positive/negative one.
 */
#define TSMON_VM_CLOCK_STATUS(s)	((s) & 0xff)
#define TSMON_VM_COUNTER_ID(s)		(((s) >> 8) & 0xff)
#define TSMON_VM_TIME_TYPE(s)		(((s) >> 16) & 0xff)
#define TSMON_VM_LEAP_INDICATOR(s)	(((s) >> 24) & 0xff)
#define TSMON_VM_COUNTER_NONE		0xff

/* VMClock flags tsmon interprets (the page's own bit numbers). */
#define TSMON_VMCLOCK_TAI_OFFSET_VALID	(1ULL << 0)
#define TSMON_VMCLOCK_DISRUPTION_SOON	(1ULL << 1)	/* about a day */
#define TSMON_VMCLOCK_DISRUPTION_IMMINENT (1ULL << 2)	/* about an hour */
#define TSMON_VMCLOCK_TIME_MAXERROR_VALID (1ULL << 6)
#define TSMON_VMCLOCK_VM_GEN_COUNTER_PRESENT (1ULL << 8)

/*
 * tsmon_health.sync_maxerror_ns when the last sync update asserted no error
 * (maxerror 0: phc2sys, ptp4l, systemd-timesyncd) and the operator declared
 * no budget for such sources (module parameter sync_budget_ns): the clock
 * is disciplined, its error unknown. Readers must not derive a bound.
 */
#define TSMON_SYNC_ERROR_UNKNOWN	0xffffffffffffffffULL

/*
 * adjtimex(2) holds maxerror in whole microseconds, and daemons truncate to
 * them (chronyd writes 0 for an error under 1 us): a maxerror of N us is
 * taken as N us plus this.
 */
#define TSMON_SYNC_MAXERROR_ROUNDING_NS	1000ULL

/* tsmon_health.sync_flags: what the last sync update's error is made of. */
#define TSMON_SYNC_ZERO_MAXERROR	(1U << 0)	/* the source said maxerror 0 */
#define TSMON_SYNC_BUDGET		(1U << 1)	/* ... and sync_budget_ns stood in */
#define TSMON_SYNC_PLL_OFFSET		(1U << 2)	/* a PLL offset was still to slew */
/*
 * ... the budget would have stood in, but a step, resume, clocksource change
 * or VM disruption came less than the module parameter sync_budget_settle_ms
 * before: the source may still be slewing it away, which a steady-state
 * budget does not cover. No bound (TSMON_SYNC_ERROR_UNKNOWN).
 */
#define TSMON_SYNC_SETTLING		(1U << 3)
/*
 * Another process than the one making the update stepped the clock less
 * than sync_budget_settle_ms before: the source may still be slewing the
 * step away, which its own error does not include, so the steps' summed
 * size is in sync_maxerror_ns.
 */
#define TSMON_SYNC_STEP_RESIDUAL	(1U << 4)

/* Slots in tsmon_health.phc[]; PHCs beyond them count in phc_overflow. */
#define TSMON_PHC_SLOTS		8

/*
 * tsmon_health.ntp_state and ntp_state records: the kernel's time_state
 * (TIME_OK 0, TIME_INS 1, TIME_DEL 2, TIME_OOP 3, TIME_WAIT 4 as in
 * <linux/timex.h>), or this value before tsmon has seen any adjtimex call.
 */
#define TSMON_NTP_STATE_UNKNOWN	0xffffffffU

/* STA_* bits whose changes are ntp_mode events. */
#define TSMON_NTP_MODE_BITS	(0x0001 | 0x0002 | 0x0004 | 0x0008 | 0x0080 | \
				 0x1000 | 0x2000 | 0x4000)
				/* PLL PPSFREQ PPSTIME FLL FREQHOLD CLOCKERR NANO MODE */

/**
 * struct tsmon_record - one event, fixed size (header.record_size bytes)
 * @seq:     sequence number (>= 1); 0 while the writer fills the record
 * @type:    enum tsmon_event_type
 * @flags:   reserved, 0
 * @mono_ns: CLOCK_MONOTONIC when tsmon saw the event (in the hook that
 *           applied it, or at the probe that reported it)
 * @real_ns: CLOCK_REALTIME at that same instant, after the event took
 *           effect: exactly @mono_ns + the REALTIME - MONOTONIC offset then
 */
struct tsmon_record {
	__u64 seq;
	__u32 type;
	__u32 flags;
	__u64 mono_ns;
	__u64 real_ns;
	union {
		/* TSMON_EVENT_CLOCK_STEP */
		struct {
			__u64 delta_ns;		/* signed: new REALTIME - old */
			__u32 reason;		/* enum tsmon_step_reason */
			__u32 __pad;
		} step;
		/* TSMON_EVENT_LEAP_ARMED, TSMON_EVENT_LEAP_DISARMED */
		struct {
			__u64 leap_real_ns;	/* REALTIME at which the clock jumps */
			__u32 direction;	/* enum tsmon_leap_direction */
			__u32 __pad;
		} leap;
		/* TSMON_EVENT_LEAP_APPLIED */
		struct {
			__u32 direction;	/* enum tsmon_leap_direction */
			__u32 tai_before;	/* signed, seconds */
			__u32 tai_after;	/* signed, seconds */
			__u32 __pad;
		} leap_applied;
		/* TSMON_EVENT_TAI_CHANGE */
		struct {
			__u32 tai_before;	/* signed, seconds */
			__u32 tai_after;	/* signed, seconds */
		} tai;
		/* TSMON_EVENT_CLOCKSOURCE_CHANGE */
		struct {
			__u64 from[TSMON_NAME_WORDS];	/* char[16] */
			__u64 to[TSMON_NAME_WORDS];	/* char[16] */
		} cs;
		/* TSMON_EVENT_RESUME */
		struct {
			__u64 sleep_ns;		/* time spent suspended */
		} resume;
		/* TSMON_EVENT_NTP_SYNC, TSMON_EVENT_NTP_UNSYNC */
		struct {
			__u32 status;		/* STA_* bits after the change */
			__u32 __pad;
			__u64 maxerror_ns;	/* kernel maxerror then */
			__u64 esterror_ns;	/* kernel esterror then */
		} ntp;
		/* TSMON_EVENT_NTP_MODE */
		struct {
			__u32 status_before;	/* STA_* bits */
			__u32 status_after;
		} ntp_mode;
		/* TSMON_EVENT_NTP_STATE */
		struct {
			__u32 state_before;	/* time_state, see ntp_state */
			__u32 state_after;
		} ntp_state;
		/* TSMON_EVENT_PHC_STEP */
		struct {
			__u32 index;		/* /dev/ptp<index> */
			__u32 how;		/* enum tsmon_phc_step_how */
			__u64 delta_ns;		/* signed, SETOFFSET */
			__u64 time_ns;		/* new PHC time, SETTIME */
		} phc_step;
		/* TSMON_EVENT_PHC_FREQ */
		struct {
			__u32 index;
			__u32 __pad;
			__u64 freq_ppb;		/* signed, as the driver got it */
			__u64 scaled_ppm;	/* signed, timex.freq (ppm << 16) */
			__u64 suppressed;	/* changes not recorded since the last */
		} phc_freq;
		/* TSMON_EVENT_PHC_PHASE */
		struct {
			__u32 index;
			__u32 __pad;
			__u64 offset_ns;	/* signed */
		} phc_phase;
		/* TSMON_EVENT_PHC_EXTTS, TSMON_EVENT_PHC_PPS */
		struct {
			__u32 index;
			__u32 channel;		/* extts channel; 0 for PPS */
			__u64 timestamp_ns;	/* PHC time of the edge (extts) */
			__u32 flags;		/* TSMON_EXTTS_* */
			__u32 __pad;
		} phc_extts;
		/* TSMON_EVENT_PHC_ADD, TSMON_EVENT_PHC_REMOVE */
		struct {
			__u32 index;
			__u32 flags;		/* TSMON_PHC_AT_LOAD */
			__u64 name[TSMON_NAME_WORDS];	/* driver's clock name, char[16];
							 * empty in phc_remove for a PHC
							 * that had no health slot */
		} phc;
		/* TSMON_EVENT_VM_DISRUPTION */
		struct {
			__u64 marker_before;	/* disruption marker last seen */
			__u64 marker_after;	/* the new one */
			__u32 flags;		/* the page's flags, bits 0-31 */
			__u32 state;		/* TSMON_VM_CLOCK_STATUS() ... */
		} vm;
		/* TSMON_EVENT_LOST (reader-generated) */
		struct {
			__u64 count;		/* records lost before this point */
		} lost;
		__u64 raw[4];
	};
	/* new fields are appended here (record_size then grows) */
};

/**
 * struct tsmon_phc_slot - one PHC in the health block
 * @index:          /dev/ptp<index>
 * @flags:          TSMON_PHC_AT_LOAD
 * @name:           driver's clock name, char[16]
 * @steps:          clock_settime and ADJ_SETOFFSET calls
 * @last_step_mono_ns: CLOCK_MONOTONIC of the last step, 0 if none
 * @last_step_delta_ns: signed, the last ADJ_SETOFFSET delta (0 for settime)
 * @freq_ppb:       signed, the last ADJ_FREQUENCY
 * @freq_updates:   ADJ_FREQUENCY calls (recorded or not)
 */
struct tsmon_phc_slot {
	__u32 index;
	__u32 flags;
	__u64 name[TSMON_NAME_WORDS];
	__u64 steps;
	__u64 last_step_mono_ns;
	__u64 last_step_delta_ns;
	__u64 freq_ppb;
	__u64 freq_updates;
};

/**
 * struct tsmon_health - current state, seqcount protected
 *
 * The first cache line holds everything an error-bounded clock read needs,
 * so such a read touches one line:
 *
 * @seq:               sequence count of this line and of @leap_state and
 *                     @leap_real_ns: even when stable, odd while written
 * @offs_real_ns:      signed, CLOCK_REALTIME - CLOCK_MONOTONIC; it changes
 *                     only when REALTIME is stepped (or a leap second), so
 *                     REALTIME = a CLOCK_MONOTONIC read + this, exactly
 * @sync_mono_ns:      CLOCK_MONOTONIC of the last sync update (an adjtimex
 *                     call that set ADJ_MAXERROR: a daemon reporting a
 *                     measurement), 0 if none
 * @sync_maxerror_ns:  the clock's error at that update: the maxerror it set
 *                     plus TSMON_SYNC_MAXERROR_ROUNDING_NS (or, where it set
 *                     0, the operator's sync_budget_ns)
 *                     plus the PLL offset the kernel still had to slew
 *                     (@sync_offset_ns), plus the size of the steps other
 *                     processes made just before (TSMON_SYNC_STEP_RESIDUAL);
 *                     TSMON_SYNC_ERROR_UNKNOWN when it
 *                     set 0 and no budget is declared
 * @sync_interval_ns:  typical interval between sync updates: the longest of
 *                     the last eight, 0 until two updates were seen
 * @disrupt_mono_ns:   CLOCK_MONOTONIC of the last clock step, leap second,
 *                     resume or clocksource change, 0 if none since load
 * @disrupt_type:      enum tsmon_event_type of that disruption; a leap
 *                     second keeps the type of an earlier step, resume or
 *                     clocksource change that no sync update followed yet
 * @ntp_status:        the kernel's STA_* bits (needs TSMON_HOOK_ADJTIMEX;
 *                     0 until the first adjtimex call after load)
 * @hooks:             TSMON_HOOK_* bits of the attached hooks
 * @ntp_state:         the kernel's time_state, or TSMON_NTP_STATE_UNKNOWN
 *                     before any adjtimex call was seen
 *
 * The rest:
 *
 * @update_mono_ns:    CLOCK_MONOTONIC of the last change to this block
 * @leap_state:        enum tsmon_leap_state
 * @tai_offset:        signed, TAI - UTC in seconds
 * @leap_real_ns:      REALTIME at which the pending leap happens (0 if none)
 * @last_step_seq:     ring sequence of the last clock_step record, 0 if none
 * @last_step_mono_ns: CLOCK_MONOTONIC of the last step
 * @last_step_real_ns: CLOCK_REALTIME just after the last step
 * @last_step_delta_ns: signed size of the last step
 * @last_step_reason:  enum tsmon_step_reason
 * @clocksource:       current clocksource name, char[32]
 * @freq_ppb:          signed, NTP frequency correction implied by the
 *                     timekeeper's multiplier relative to the clocksource's
 *                     nominal one, in parts per billion (resolution is one
 *                     multiplier unit, 1e9 / @cs_mult ppb)
 * @tk_mult:           timekeeper multiplier, without the error-correction bit
 * @cs_mult:           the clocksource's nominal multiplier
 * @cs_shift:          their common shift
 * @ntp_captures:      successful adjtimex / clock_adjtime(CLOCK_REALTIME)
 *                     calls seen since load
 * @ntp_capture_mono_ns: CLOCK_MONOTONIC of the latest
 * @ntp_capture_modes: the ADJ_* modes of the latest (0: a read)
 * @ntp_constant:      signed, PLL time constant (timex.constant)
 * @ntp_maxerror_ns:   kernel maxerror returned by the latest call
 * @ntp_esterror_ns:   kernel esterror returned by the latest call
 * @ntp_offset_ns:     signed, timex.offset of the latest call (PLL offset)
 * @ntp_freq_ppb:      signed, timex.freq of the latest call in ppb
 * @ntp_tick_us:       timex.tick of the latest call (us per user tick)
 * @ntp_syncs:         sync updates seen since load
 * @sync_esterror_ns:  the esterror the last sync update set
 * @sync_last_interval_ns: interval between the last two sync updates
 * @event_count:       records written per enum tsmon_event_type
 * @phc_count:         slots of @phc in use (in order, the first @phc_count)
 * @phc_overflow:      PHCs seen that found no free slot
 * @phc:               PHCs currently registered
 *
 * Appended (a module that does not fill them has a smaller @health_size):
 *
 * @vm_state:          enum tsmon_vm_state
 * @vm_state_bits:     the VMClock page's status, counter id, time type and
 *                     leap indicator (TSMON_VM_CLOCK_STATUS() ...)
 * @vm_marker:         the disruption marker as last read
 * @vm_disruptions:    marker changes seen since load
 * @vm_disrupt_mono_ns: CLOCK_MONOTONIC when the last was seen, 0 if none
 * @vm_flags:          the page's flags (TSMON_VMCLOCK_* and others)
 * @vm_seq_count:      the page's sequence count at the last read (even)
 * @vm_tai_offset:     signed, the page's TAI - UTC in seconds; valid with
 *                     TSMON_VMCLOCK_TAI_OFFSET_VALID
 * @vm_counter_period_shift: shift of the counter period fields
 * @vm_gen_counter:    VM generation counter; valid with
 *                     TSMON_VMCLOCK_VM_GEN_COUNTER_PRESENT
 * @vm_counter_value:  the counter reading that @vm_time_sec/@vm_time_frac_sec
 *                     belong to
 * @vm_counter_period_frac_sec: counter period in units of
 *                     2^-(64 + @vm_counter_period_shift) s
 * @vm_time_sec:       seconds of the page's time (epoch per time type)
 * @vm_time_frac_sec:  fraction, in units of 2^-64 s
 * @vm_time_esterror_ns: the page's estimated error of that time
 * @vm_time_maxerror_ns: its maximum error (TSMON_VMCLOCK_TIME_MAXERROR_VALID)
 * @sync_budget_ns:    the operator's error budget for sources that assert
 *                     maxerror 0 (module parameter sync_budget_ns), 0 if none
 * @sync_offset_ns:    |PLL offset| still to slew at the last sync update,
 *                     included in @sync_maxerror_ns
 * @sync_flags:        TSMON_SYNC_* of the last sync update
 * @probes_missed:     calls every kprobe and kretprobe of the module missed
 *                     (another kprobe handler was running on that CPU, or a
 *                     kretprobe had no free instance): events that may be
 *                     missing from the ring
 * @probes_missed_ntp: those of the NTP shadow's probes (second_overflow,
 *                     ntp_clear, the adjtimex kretprobe)
 * @ntp_lost:          how often such a miss made the shadow forget the NTP
 *                     state: @ntp_state is TSMON_NTP_STATE_UNKNOWN until the
 *                     next adjtimex call shows the kernel's state again
 * @body_seq:          sequence count of everything @seq does not cover (odd
 *                     while being written); see "Memory ordering" above
 *
 * The time fields are copies of what the hypervisor published, for
 * inspection: they are meaningful only when the counter id is not
 * TSMON_VM_COUNTER_NONE, and tsmon derives no bound from them. The copy is
 * refreshed when the page's sequence count moves, checked on every tick.
 *
 * Only what changed is stored (an event, a new multiplier, an adjtimex call
 * that changes a field), never on a plain tick, so a reader's copy stays in
 * its cache; the clock line moves only when a clock read's inputs change. Hook call counters live in sysfs
 * (/sys/class/misc/tsmon/stats/) for that reason.
 */
struct tsmon_health {
	/* cache line 0: the clock read */
	__u64 seq;
	__u64 offs_real_ns;
	__u64 sync_mono_ns;
	__u64 sync_maxerror_ns;
	__u64 sync_interval_ns;
	__u64 disrupt_mono_ns;
	__u32 disrupt_type;
	__u32 ntp_status;
	__u32 hooks;
	__u32 ntp_state;
	/* offset 64 */
	__u64 update_mono_ns;
	__u32 leap_state;
	__u32 tai_offset;
	__u64 leap_real_ns;
	__u64 last_step_seq;
	__u64 last_step_mono_ns;
	__u64 last_step_real_ns;
	__u64 last_step_delta_ns;
	__u32 last_step_reason;
	__u32 __pad0;
	__u64 clocksource[TSMON_CS_NAME_WORDS];
	__u64 freq_ppb;
	__u32 tk_mult;
	__u32 cs_mult;
	__u32 cs_shift;
	__u32 __pad1;
	__u64 ntp_captures;
	__u64 ntp_capture_mono_ns;
	__u32 ntp_capture_modes;
	__u32 ntp_constant;
	__u64 ntp_maxerror_ns;
	__u64 ntp_esterror_ns;
	__u64 ntp_offset_ns;
	__u64 ntp_freq_ppb;
	__u32 ntp_tick_us;
	__u32 __pad2;
	__u64 ntp_syncs;
	__u64 sync_esterror_ns;
	__u64 sync_last_interval_ns;
	__u64 event_count[TSMON_EVENT_SLOTS];
	__u32 phc_count;
	__u32 phc_overflow;
	struct tsmon_phc_slot phc[TSMON_PHC_SLOTS];
	/* VMClock */
	__u32 vm_state;
	__u32 vm_state_bits;
	__u64 vm_marker;
	__u64 vm_disruptions;
	__u64 vm_disrupt_mono_ns;
	__u64 vm_flags;
	__u32 vm_seq_count;
	__u32 vm_tai_offset;
	__u32 vm_counter_period_shift;
	__u32 __pad3;
	__u64 vm_gen_counter;
	__u64 vm_counter_value;
	__u64 vm_counter_period_frac_sec;
	__u64 vm_time_sec;
	__u64 vm_time_frac_sec;
	__u64 vm_time_esterror_ns;
	__u64 vm_time_maxerror_ns;
	/* sync error sources */
	__u64 sync_budget_ns;
	__u64 sync_offset_ns;
	__u32 sync_flags;
	__u32 __pad4;
	/* probe misses */
	__u64 probes_missed;
	__u64 probes_missed_ntp;
	__u64 ntp_lost;
	__u64 body_seq;
	/* new fields are appended here */
};

/*
 * read(2) on /dev/tsmon: blocks (unless O_NONBLOCK, then EAGAIN) until
 * header.head differs from the value this open file last returned, then
 * returns the current head as one __u64. The buffer must hold 8 bytes.
 * poll(2) reports POLLIN under the same condition. The first read returns
 * at once if any record was published after open(2). The data itself is read
 * from the mapping.
 */

/*
 * Waiter files: ioctl(fd, TSMON_IOC_WAITER, &args) on an open /dev/tsmon
 * returns a new file descriptor (close-on-exec, opened read-write) that is
 * ready while header.head > args.after, with no path looked up and no
 * per-file state shared with anyone:
 *
 *  - poll(2), select(2) and epoll(7) report POLLIN while head > after;
 *  - read(2) blocks (unless O_NONBLOCK, then EAGAIN) until head > after,
 *    then returns the current head as one __u64; it does not change
 *    after, so it keeps returning at once until the file is re-armed;
 *  - write(2) of one __u64 re-arms the file with a new after, and wakes
 *    its sleepers if that one is already passed. Buffers must hold 8 bytes.
 *
 * A record with sequence number s therefore wakes a waiter armed with
 * s - 1 or less. Every waiter decides from its own threshold and the
 * shared head alone, so any number of them (in any number of threads)
 * wake on the same record. A waiter file holds a module reference, as an
 * open /dev/tsmon does. A module without waiters fails the ioctl with
 * ENOTTY.
 */

/* TSMON_IOC_WAITER flags. */
#define TSMON_WAITER_NONBLOCK	(1U << 0)	/* the new file is O_NONBLOCK */

/**
 * struct tsmon_waiter_args - argument of TSMON_IOC_WAITER
 * @after: the waiter is ready while header.head > @after
 * @flags: TSMON_WAITER_*; other bits are refused (EINVAL)
 * @__pad: 0 (EINVAL otherwise)
 */
struct tsmon_waiter_args {
	__u64 after;
	__u32 flags;
	__u32 __pad;
};

#define TSMON_IOC_MAGIC		0xD3
/* Returns the new file descriptor. */
#define TSMON_IOC_WAITER	_IOW(TSMON_IOC_MAGIC, 0x01, struct tsmon_waiter_args)

#endif /* _UAPI_TSMON_ABI_H */
