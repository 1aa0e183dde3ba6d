// SPDX-License-Identifier: LGPL-2.1-or-later
//! The shared-memory ABI of include/uapi/tsmon/abi.h: constants and the
//! `repr(C)` structures, field for field (names included) as in C.
//!
//! A reader takes every offset and size from the region's header, never
//! from these structures: the layout grows by appending fields, and the
//! header says how much of each structure the running module fills.

use crate::pod::{self, Pod};

/// The device the module creates.
pub const DEVICE_PATH: &str = "/dev/tsmon";
/// "TSMONABI" little-endian: the first 8 bytes of the region.
pub const MAGIC: u64 = 0x4942_414e_4f4d_5354;
/// Bumped only for incompatible changes; appending fields does not.
pub const ABI_VERSION: u32 = 1;

/// Words of a name in a record (16 bytes: 15 chars + NUL).
pub const NAME_WORDS: usize = 2;
/// Words of the clocksource name in the health block (32 bytes).
pub const CS_NAME_WORDS: usize = 4;
/// Bytes at the start of the health block that `health.seq` covers.
pub const HEALTH_CLOCK_LINE: usize = 64;

/// Layout hints of ABI version 1; readers use the header.
pub const HEADER_SIZE_V1: usize = 192;
/// Offset of the health block in a version 1 region (a hint).
pub const HEALTH_OFFSET_V1: usize = 256;
/// Offset of the ring in a version 1 region (a hint).
pub const RING_OFFSET_V1: usize = 4096;
/// The smallest record size (and that of version 1).
pub const RECORD_SIZE_V1: usize = 64;

/* enum tsmon_event_type */
/// No event (never published).
pub const EVENT_NONE: u32 = 0;
/// CLOCK_REALTIME was stepped.
pub const EVENT_CLOCK_STEP: u32 = 1;
/// A leap second was scheduled.
pub const EVENT_LEAP_ARMED: u32 = 2;
/// A scheduled leap second was cancelled.
pub const EVENT_LEAP_DISARMED: u32 = 3;
/// A leap second was applied.
pub const EVENT_LEAP_APPLIED: u32 = 4;
/// The TAI offset changed.
pub const EVENT_TAI_CHANGE: u32 = 5;
/// The clocksource changed.
pub const EVENT_CLOCKSOURCE_CHANGE: u32 = 6;
/// The system resumed from suspend.
pub const EVENT_RESUME: u32 = 7;
/// Reader-generated: records lost before this point (never stored).
pub const EVENT_LOST: u32 = 8;
/// The clock became synchronised (STA_UNSYNC cleared).
pub const EVENT_NTP_SYNC: u32 = 9;
/// The clock became unsynchronised.
pub const EVENT_NTP_UNSYNC: u32 = 10;
/// Mode bits of the NTP status changed.
pub const EVENT_NTP_MODE: u32 = 11;
/// The kernel's time_state changed.
pub const EVENT_NTP_STATE: u32 = 12;
/// A PHC was stepped.
pub const EVENT_PHC_STEP: u32 = 13;
/// A PHC's frequency changed.
pub const EVENT_PHC_FREQ: u32 = 14;
/// A PHC's phase was adjusted.
pub const EVENT_PHC_PHASE: u32 = 15;
/// An external timestamp of a PHC.
pub const EVENT_PHC_EXTTS: u32 = 16;
/// A PPS edge of a PHC.
pub const EVENT_PHC_PPS: u32 = 17;
/// A PHC was registered.
pub const EVENT_PHC_ADD: u32 = 18;
/// A PHC was unregistered.
pub const EVENT_PHC_REMOVE: u32 = 19;
/// The VMClock disruption marker changed (migration, snapshot restore).
pub const EVENT_VM_DISRUPTION: u32 = 20;
/// Types this version knows (new ones are appended).
pub const EVENT_TYPE_COUNT: u32 = 21;

/// Size of `Health::event_count`.
pub const EVENT_SLOTS: usize = 32;

/* enum tsmon_leap_direction */
/// 23:59:60 inserted: REALTIME steps back 1 s.
pub const LEAP_INSERT: u32 = 1;
/// 23:59:59 deleted: REALTIME steps forward 1 s.
pub const LEAP_DELETE: u32 = 2;

/* enum tsmon_leap_state */
/// No leap second pending.
pub const LEAP_NONE: u32 = 0;
/// An insertion is pending.
pub const LEAP_INSERT_PENDING: u32 = 1;
/// A deletion is pending.
pub const LEAP_DELETE_PENDING: u32 = 2;

/* enum tsmon_step_reason */
/// Another in-kernel caller stepped the clock.
pub const STEP_UNKNOWN: u32 = 0;
/// do_settimeofday64: clock_settime, settimeofday, RTC.
pub const STEP_SETTIME: u32 = 1;
/// adjtimex/clock_adjtime ADJ_SETOFFSET.
pub const STEP_SETOFFSET: u32 = 2;

/* tsmon_health.hooks */
/// pvclock gtod notifier.
pub const HOOK_TIMEKEEPER: u32 = 1 << 0;
/// NTP state (adjtimex and the kernel's NTP code).
pub const HOOK_ADJTIMEX: u32 = 1 << 1;
/// kprobe on do_settimeofday64.
pub const HOOK_SETTIME: u32 = 1 << 2;
/// PHC clock_settime/clock_adjtime.
pub const HOOK_PHC_ADJ: u32 = 1 << 3;
/// ptp_clock_event(): extts, PPS.
pub const HOOK_PHC_EVENT: u32 = 1 << 4;
/// PHC register / unregister.
pub const HOOK_PHC_LIFE: u32 = 1 << 5;

/* enum tsmon_phc_step_how */
/// clock_settime(): `time_ns` is the new time.
pub const PHC_SETTIME: u32 = 1;
/// clock_adjtime(ADJ_SETOFFSET): `delta_ns`.
pub const PHC_SETOFFSET: u32 = 2;

/// phc_extts.flags: an offset, not a time (PTP_CLOCK_EXTOFF).
pub const EXTTS_OFFSET: u32 = 1 << 0;
/// phc_add.flags: present when tsmon was loaded.
pub const PHC_AT_LOAD: u32 = 1 << 0;

/* enum tsmon_vm_state */
/// No VMClock device.
pub const VM_NONE: u32 = 0;
/// VMClock found: the marker is checked on every tick.
pub const VM_ACTIVE: u32 = 1;
/// Found, but not a VMClock v1 page.
pub const VM_INVALID: u32 = 2;
/// Found, not used (module parameter vmclock=0).
pub const VM_DISABLED: u32 = 3;

/// The clock status byte of `vm.state` / `vm_state_bits`.
pub const fn vm_clock_status(s: u32) -> u32 {
    s & 0xff
}
/// The counter id byte.
pub const fn vm_counter_id(s: u32) -> u32 {
    (s >> 8) & 0xff
}
/// The time type byte.
pub const fn vm_time_type(s: u32) -> u32 {
    (s >> 16) & 0xff
}
/// The leap indicator byte.
pub const fn vm_leap_indicator(s: u32) -> u32 {
    (s >> 24) & 0xff
}
/// Counter id: no counter.
pub const VM_COUNTER_NONE: u32 = 0xff;

/// VMClock flag: the page's TAI offset is valid.
pub const VMCLOCK_TAI_OFFSET_VALID: u64 = 1 << 0;
/// VMClock flag: a disruption is due in about a day.
pub const VMCLOCK_DISRUPTION_SOON: u64 = 1 << 1;
/// VMClock flag: a disruption is due in about an hour.
pub const VMCLOCK_DISRUPTION_IMMINENT: u64 = 1 << 2;
/// VMClock flag: the page's time maxerror is valid.
pub const VMCLOCK_TIME_MAXERROR_VALID: u64 = 1 << 6;
/// VMClock flag: the VM generation counter is present.
pub const VMCLOCK_VM_GEN_COUNTER_PRESENT: u64 = 1 << 8;

/// `sync_maxerror_ns` when the source asserted no error and no budget stands in.
pub const SYNC_ERROR_UNKNOWN: u64 = u64::MAX;
/// What a maxerror of N us is taken to be over N us.
pub const SYNC_MAXERROR_ROUNDING_NS: u64 = 1000;
/// sync_flags: the source said maxerror 0.
pub const SYNC_ZERO_MAXERROR: u32 = 1 << 0;
/// sync_flags: ... and sync_budget_ns stood in.
pub const SYNC_BUDGET: u32 = 1 << 1;
/// sync_flags: a PLL offset was still to slew.
pub const SYNC_PLL_OFFSET: u32 = 1 << 2;
/// sync_flags: the budget would have stood in, but a disruption was too recent.
pub const SYNC_SETTLING: u32 = 1 << 3;
/// sync_flags: steps another process made in the settle window are in the error.
pub const SYNC_STEP_RESIDUAL: u32 = 1 << 4;

/// Slots in `Health::phc`.
pub const PHC_SLOTS: usize = 8;
/// `ntp_state` before tsmon has seen any adjtimex call.
pub const NTP_STATE_UNKNOWN: u32 = 0xffff_ffff;
/// STA_* bits whose changes are ntp_mode events.
pub const NTP_MODE_BITS: u32 = 0x0001 | 0x0002 | 0x0004 | 0x0008 | 0x0080 | 0x1000 | 0x2000 | 0x4000;

/* The kernel's time_state (<linux/timex.h>). */
/// No leap second pending.
pub const TIME_OK: u32 = 0;
/// Leap second insertion at midnight UTC.
pub const TIME_INS: u32 = 1;
/// Leap second deletion at midnight UTC.
pub const TIME_DEL: u32 = 2;
/// Leap second in progress.
pub const TIME_OOP: u32 = 3;
/// Leap second done.
pub const TIME_WAIT: u32 = 4;

/* STA_* bits the clock model reads (<linux/timex.h>). */
/// Clock unsynchronised.
pub const STA_UNSYNC: u32 = 0x0040;
/// Clock hardware fault.
pub const STA_CLOCKERR: u32 = 0x1000;

/// struct tsmon_header: the region header, at offset 0.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[allow(missing_docs)]
pub struct Header {
    pub magic: u64,
    pub abi_version: u32,
    pub header_size: u32,
    pub region_size: u32,
    pub health_offset: u32,
    pub health_size: u32,
    pub ring_offset: u32,
    pub record_size: u32,
    pub ring_entries: u32,
    pub ring_mask: u32,
    pub __pad0: u32,
    pub instance_id: u64,
    pub load_real_ns: u64,
    pub load_mono_ns: u64,
    pub __pad1: [u64; 7],
    /// Offset 128: the newest published sequence number.
    pub head: u64,
    pub __pad2: [u64; 7],
}

/// Declares payload structs: `repr(C)`, plain integers, as in the C union.
macro_rules! payloads {
    ($($(#[$m:meta])* $name:ident { $($f:ident: $t:ty),* $(,)? })*) => {$(
        $(#[$m])*
        #[repr(C)]
        #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
        #[allow(missing_docs)]
        pub struct $name { $(pub $f: $t),* }
        // SAFETY: repr(C), u32/u64 fields only, padding explicit (checked
        // by tests/layout.rs against the C header).
        unsafe impl Pod for $name {}
    )*};
}

payloads! {
    /// EVENT_CLOCK_STEP; `delta_ns` is signed.
    Step { delta_ns: u64, reason: u32, __pad: u32 }
    /// EVENT_LEAP_ARMED, EVENT_LEAP_DISARMED.
    Leap { leap_real_ns: u64, direction: u32, __pad: u32 }
    /// EVENT_LEAP_APPLIED; the TAI offsets are signed.
    LeapApplied { direction: u32, tai_before: u32, tai_after: u32, __pad: u32 }
    /// EVENT_TAI_CHANGE; signed seconds.
    Tai { tai_before: u32, tai_after: u32 }
    /// EVENT_CLOCKSOURCE_CHANGE: names, `char[16]` each.
    Cs { from: [u64; NAME_WORDS], to: [u64; NAME_WORDS] }
    /// EVENT_RESUME.
    Resume { sleep_ns: u64 }
    /// EVENT_NTP_SYNC, EVENT_NTP_UNSYNC.
    Ntp { status: u32, __pad: u32, maxerror_ns: u64, esterror_ns: u64 }
    /// EVENT_NTP_MODE.
    NtpMode { status_before: u32, status_after: u32 }
    /// EVENT_NTP_STATE.
    NtpState { state_before: u32, state_after: u32 }
    /// EVENT_PHC_STEP; `delta_ns` is signed.
    PhcStep { index: u32, how: u32, delta_ns: u64, time_ns: u64 }
    /// EVENT_PHC_FREQ; `freq_ppb` and `scaled_ppm` are signed.
    PhcFreq { index: u32, __pad: u32, freq_ppb: u64, scaled_ppm: u64, suppressed: u64 }
    /// EVENT_PHC_PHASE; `offset_ns` is signed.
    PhcPhase { index: u32, __pad: u32, offset_ns: u64 }
    /// EVENT_PHC_EXTTS, EVENT_PHC_PPS.
    PhcExtts { index: u32, channel: u32, timestamp_ns: u64, flags: u32, __pad: u32 }
    /// EVENT_PHC_ADD, EVENT_PHC_REMOVE; `name` is `char[16]`.
    Phc { index: u32, flags: u32, name: [u64; NAME_WORDS] }
    /// EVENT_VM_DISRUPTION.
    Vm { marker_before: u64, marker_after: u64, flags: u32, state: u32 }
    /// EVENT_LOST (reader-generated).
    Lost { count: u64 }
}

/// The anonymous union of struct tsmon_record, every member as in C.
#[repr(C)]
#[derive(Clone, Copy)]
#[allow(missing_docs)]
pub union Payload {
    pub step: Step,
    pub leap: Leap,
    pub leap_applied: LeapApplied,
    pub tai: Tai,
    pub cs: Cs,
    pub resume: Resume,
    pub ntp: Ntp,
    pub ntp_mode: NtpMode,
    pub ntp_state: NtpState,
    pub phc_step: PhcStep,
    pub phc_freq: PhcFreq,
    pub phc_phase: PhcPhase,
    pub phc_extts: PhcExtts,
    pub phc: Phc,
    pub vm: Vm,
    pub lost: Lost,
    pub raw: [u64; 4],
}

/// struct tsmon_record: one event, or a lost-record report.
///
/// The payload is private so that every `Record` is made by this crate,
/// all 32 bytes of it initialised; read it with the typed accessors.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct Record {
    /// Sequence number (>= 1); for a lost report the first one lost.
    pub seq: u64,
    /// The event type (`EVENT_*`).
    pub r#type: u32,
    /// Reserved, 0.
    pub flags: u32,
    /// CLOCK_MONOTONIC (the module's) when tsmon saw the event.
    pub mono_ns: u64,
    /// CLOCK_REALTIME at that instant, after the event took effect.
    pub real_ns: u64,
    pub(crate) payload: Payload,
}

// SAFETY: repr(C), integer fields and a union of integer structs, no
// implicit padding; the payload is private and only ever built from
// `raw` (all 32 bytes), so every byte of a Record is initialised.
unsafe impl Pod for Record {}

impl Record {
    /// A record of all zeros (type EVENT_NONE).
    pub const fn zeroed() -> Record {
        Record {
            seq: 0,
            r#type: 0,
            flags: 0,
            mono_ns: 0,
            real_ns: 0,
            payload: Payload { raw: [0; 4] },
        }
    }

    /// The event type (`EVENT_*`).
    pub fn event_type(&self) -> u32 {
        self.r#type
    }

    /// The event type's name, None for a type this version does not know.
    pub fn type_name(&self) -> Option<&'static str> {
        crate::event_type_name(self.r#type)
    }

    /// The payload union, as in C (reading a member is `unsafe` there too).
    pub fn payload(&self) -> &Payload {
        &self.payload
    }

    /// The payload as four words (the union's `raw` member).
    pub fn raw(&self) -> [u64; 4] {
        let mut w = [0u64; 4];
        for (w, b) in w.iter_mut().zip(self.payload_bytes().chunks_exact(8)) {
            *w = u64::from_ne_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]);
        }
        w
    }

    /// The payload's 32 bytes (a union member is a prefix of them).
    fn payload_bytes(&self) -> &[u8] {
        &pod::bytes(self)[PAYLOAD..]
    }

    /// The record's bytes, as struct tsmon_record holds them.
    pub fn as_bytes(&self) -> &[u8] {
        pod::bytes(self)
    }

    pub(crate) fn as_bytes_mut(&mut self) -> &mut [u8] {
        pod::bytes_mut(self)
    }

    /// The payload read as `T`, when the type is one of `types`.
    fn member<T: Pod + Default>(&self, types: &[u32]) -> Option<T> {
        if !types.contains(&self.r#type) {
            return None;
        }
        let mut v = T::default();
        let n = core::mem::size_of::<T>();
        pod::bytes_mut(&mut v).copy_from_slice(&self.payload_bytes()[..n]);
        Some(v)
    }

    /// EVENT_CLOCK_STEP.
    pub fn step(&self) -> Option<Step> {
        self.member(&[EVENT_CLOCK_STEP])
    }
    /// EVENT_LEAP_ARMED, EVENT_LEAP_DISARMED.
    pub fn leap(&self) -> Option<Leap> {
        self.member(&[EVENT_LEAP_ARMED, EVENT_LEAP_DISARMED])
    }
    /// EVENT_LEAP_APPLIED.
    pub fn leap_applied(&self) -> Option<LeapApplied> {
        self.member(&[EVENT_LEAP_APPLIED])
    }
    /// EVENT_TAI_CHANGE.
    pub fn tai(&self) -> Option<Tai> {
        self.member(&[EVENT_TAI_CHANGE])
    }
    /// EVENT_CLOCKSOURCE_CHANGE.
    pub fn cs(&self) -> Option<Cs> {
        self.member(&[EVENT_CLOCKSOURCE_CHANGE])
    }
    /// EVENT_RESUME.
    pub fn resume(&self) -> Option<Resume> {
        self.member(&[EVENT_RESUME])
    }
    /// EVENT_NTP_SYNC, EVENT_NTP_UNSYNC.
    pub fn ntp(&self) -> Option<Ntp> {
        self.member(&[EVENT_NTP_SYNC, EVENT_NTP_UNSYNC])
    }
    /// EVENT_NTP_MODE.
    pub fn ntp_mode(&self) -> Option<NtpMode> {
        self.member(&[EVENT_NTP_MODE])
    }
    /// EVENT_NTP_STATE.
    pub fn ntp_state(&self) -> Option<NtpState> {
        self.member(&[EVENT_NTP_STATE])
    }
    /// EVENT_PHC_STEP.
    pub fn phc_step(&self) -> Option<PhcStep> {
        self.member(&[EVENT_PHC_STEP])
    }
    /// EVENT_PHC_FREQ.
    pub fn phc_freq(&self) -> Option<PhcFreq> {
        self.member(&[EVENT_PHC_FREQ])
    }
    /// EVENT_PHC_PHASE.
    pub fn phc_phase(&self) -> Option<PhcPhase> {
        self.member(&[EVENT_PHC_PHASE])
    }
    /// EVENT_PHC_EXTTS, EVENT_PHC_PPS.
    pub fn phc_extts(&self) -> Option<PhcExtts> {
        self.member(&[EVENT_PHC_EXTTS, EVENT_PHC_PPS])
    }
    /// EVENT_PHC_ADD, EVENT_PHC_REMOVE.
    pub fn phc(&self) -> Option<Phc> {
        self.member(&[EVENT_PHC_ADD, EVENT_PHC_REMOVE])
    }
    /// EVENT_VM_DISRUPTION.
    pub fn vm(&self) -> Option<Vm> {
        self.member(&[EVENT_VM_DISRUPTION])
    }
    /// EVENT_LOST.
    pub fn lost(&self) -> Option<Lost> {
        self.member(&[EVENT_LOST])
    }
}

impl Default for Record {
    fn default() -> Record {
        Record::zeroed()
    }
}

impl core::fmt::Debug for Record {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Record")
            .field("seq", &self.seq)
            .field("type", &self.r#type)
            .field("flags", &self.flags)
            .field("mono_ns", &self.mono_ns)
            .field("real_ns", &self.real_ns)
            .field("raw", &self.raw())
            .finish()
    }
}

impl PartialEq for Record {
    fn eq(&self, other: &Record) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}
impl Eq for Record {}

/// struct tsmon_phc_slot: one PHC in the health block.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[allow(missing_docs)]
pub struct PhcSlot {
    pub index: u32,
    pub flags: u32,
    pub name: [u64; NAME_WORDS],
    pub steps: u64,
    pub last_step_mono_ns: u64,
    pub last_step_delta_ns: u64,
    pub freq_ppb: u64,
    pub freq_updates: u64,
}

/// struct tsmon_health: the module's current state (see abi.h for every field).
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[allow(missing_docs)]
pub struct Health {
    /* cache line 0: the clock read */
    pub seq: u64,
    pub offs_real_ns: u64,
    pub sync_mono_ns: u64,
    pub sync_maxerror_ns: u64,
    pub sync_interval_ns: u64,
    pub disrupt_mono_ns: u64,
    pub disrupt_type: u32,
    pub ntp_status: u32,
    pub hooks: u32,
    pub ntp_state: u32,
    /* offset 64 */
    pub update_mono_ns: u64,
    pub leap_state: u32,
    pub tai_offset: u32,
    pub leap_real_ns: u64,
    pub last_step_seq: u64,
    pub last_step_mono_ns: u64,
    pub last_step_real_ns: u64,
    pub last_step_delta_ns: u64,
    pub last_step_reason: u32,
    pub __pad0: u32,
    pub clocksource: [u64; CS_NAME_WORDS],
    pub freq_ppb: u64,
    pub tk_mult: u32,
    pub cs_mult: u32,
    pub cs_shift: u32,
    pub __pad1: u32,
    pub ntp_captures: u64,
    pub ntp_capture_mono_ns: u64,
    pub ntp_capture_modes: u32,
    pub ntp_constant: u32,
    pub ntp_maxerror_ns: u64,
    pub ntp_esterror_ns: u64,
    pub ntp_offset_ns: u64,
    pub ntp_freq_ppb: u64,
    pub ntp_tick_us: u32,
    pub __pad2: u32,
    pub ntp_syncs: u64,
    pub sync_esterror_ns: u64,
    pub sync_last_interval_ns: u64,
    pub event_count: [u64; EVENT_SLOTS],
    pub phc_count: u32,
    pub phc_overflow: u32,
    pub phc: [PhcSlot; PHC_SLOTS],
    /* VMClock */
    pub vm_state: u32,
    pub vm_state_bits: u32,
    pub vm_marker: u64,
    pub vm_disruptions: u64,
    pub vm_disrupt_mono_ns: u64,
    pub vm_flags: u64,
    pub vm_seq_count: u32,
    pub vm_tai_offset: u32,
    pub vm_counter_period_shift: u32,
    pub __pad3: u32,
    pub vm_gen_counter: u64,
    pub vm_counter_value: u64,
    pub vm_counter_period_frac_sec: u64,
    pub vm_time_sec: u64,
    pub vm_time_frac_sec: u64,
    pub vm_time_esterror_ns: u64,
    pub vm_time_maxerror_ns: u64,
    /* sync error sources */
    pub sync_budget_ns: u64,
    pub sync_offset_ns: u64,
    pub sync_flags: u32,
    pub __pad4: u32,
    /* probe misses */
    pub probes_missed: u64,
    pub probes_missed_ntp: u64,
    pub ntp_lost: u64,
    pub body_seq: u64,
}

// SAFETY: repr(C), u32/u64 fields (arrays of them, PhcSlot), padding
// explicit: checked by tests/layout.rs.
unsafe impl Pod for Health {}

impl Health {
    /// A health block of all zeros.
    pub fn zeroed() -> Health {
        let mut h = Health {
            seq: 0,
            offs_real_ns: 0,
            sync_mono_ns: 0,
            sync_maxerror_ns: 0,
            sync_interval_ns: 0,
            disrupt_mono_ns: 0,
            disrupt_type: 0,
            ntp_status: 0,
            hooks: 0,
            ntp_state: 0,
            update_mono_ns: 0,
            leap_state: 0,
            tai_offset: 0,
            leap_real_ns: 0,
            last_step_seq: 0,
            last_step_mono_ns: 0,
            last_step_real_ns: 0,
            last_step_delta_ns: 0,
            last_step_reason: 0,
            __pad0: 0,
            clocksource: [0; CS_NAME_WORDS],
            freq_ppb: 0,
            tk_mult: 0,
            cs_mult: 0,
            cs_shift: 0,
            __pad1: 0,
            ntp_captures: 0,
            ntp_capture_mono_ns: 0,
            ntp_capture_modes: 0,
            ntp_constant: 0,
            ntp_maxerror_ns: 0,
            ntp_esterror_ns: 0,
            ntp_offset_ns: 0,
            ntp_freq_ppb: 0,
            ntp_tick_us: 0,
            __pad2: 0,
            ntp_syncs: 0,
            sync_esterror_ns: 0,
            sync_last_interval_ns: 0,
            event_count: [0; EVENT_SLOTS],
            phc_count: 0,
            phc_overflow: 0,
            phc: [PhcSlot::default(); PHC_SLOTS],
            vm_state: 0,
            vm_state_bits: 0,
            vm_marker: 0,
            vm_disruptions: 0,
            vm_disrupt_mono_ns: 0,
            vm_flags: 0,
            vm_seq_count: 0,
            vm_tai_offset: 0,
            vm_counter_period_shift: 0,
            __pad3: 0,
            vm_gen_counter: 0,
            vm_counter_value: 0,
            vm_counter_period_frac_sec: 0,
            vm_time_sec: 0,
            vm_time_frac_sec: 0,
            vm_time_esterror_ns: 0,
            vm_time_maxerror_ns: 0,
            sync_budget_ns: 0,
            sync_offset_ns: 0,
            sync_flags: 0,
            __pad4: 0,
            probes_missed: 0,
            probes_missed_ntp: 0,
            ntp_lost: 0,
            body_seq: 0,
        };
        // Belt and braces: the literal above names every field.
        pod::bytes_mut(&mut h).fill(0);
        h
    }

    /// The clocksource name (up to the first NUL).
    pub fn clocksource_name(&self) -> &[u8] {
        let b = &pod::bytes(self)[128..128 + CS_NAME_WORDS * 8];
        let end = b.iter().position(|&c| c == 0).unwrap_or(b.len());
        &b[..end]
    }

    /// The block's bytes, as struct tsmon_health holds them.
    pub fn as_bytes(&self) -> &[u8] {
        pod::bytes(self)
    }

    pub(crate) fn as_bytes_mut(&mut self) -> &mut [u8] {
        pod::bytes_mut(self)
    }
}

impl Default for Health {
    fn default() -> Health {
        Health::zeroed()
    }
}

/// A NUL-padded name of the ABI (`[u64; N]` read as `char[]`), up to its NUL.
pub fn name_bytes(words: &[u64]) -> Vec<u8> {
    let mut v: Vec<u8> = words.iter().flat_map(|w| w.to_ne_bytes()).collect();
    if let Some(end) = v.iter().position(|&c| c == 0) {
        v.truncate(end);
    }
    v
}

/* Byte offsets the read paths load from, checked against the structs by
 * tests/layout.rs. */
pub(crate) const H_LEAP_STATE: usize = 72;
pub(crate) const H_LEAP_REAL_NS: usize = 80;
pub(crate) const H_BODY_SEQ: usize = 1208;
pub(crate) const REC_TYPE: usize = 8;
pub(crate) const PAYLOAD: usize = 32;
pub(crate) const REC_LOST_COUNT: usize = 32;
