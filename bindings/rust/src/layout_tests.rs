// SPDX-License-Identifier: LGPL-2.1-or-later
//! Layout checks: every field of the repr(C) structures against the C
//! header, twice over: against lib/abi_layout.c (the table libtsmon's
//! build static-asserts against include/uapi/tsmon/abi.h), and against a
//! C program compiled here from the header itself, which also prints the
//! constants this crate mirrors.

use core::mem::{size_of, MaybeUninit};
use std::collections::BTreeMap;
use std::path::PathBuf;

use crate::abi::*;
use crate::clock::*;
use crate::handle::{Info, INFO_TIMENS_UNKNOWN};
use crate::read::Cursor;
use crate::sys::{HeaderView, LineView};

fn size_of_pointee<T>(_: *const T) -> usize {
    size_of::<T>()
}

/// (C struct, C field, offset, size) of a field of a Rust structure.
macro_rules! field {
    ($t:ty, $cs:expr, $cf:expr, $($f:ident).+) => {{
        let u = MaybeUninit::<$t>::uninit();
        let base = u.as_ptr();
        // SAFETY: only the field's address is taken, nothing is read.
        let p = unsafe { core::ptr::addr_of!((*base).$($f).+) };
        ($cs, $cf, p as usize - base as usize, size_of_pointee(p))
    }};
}

fn rust_fields() -> Vec<(&'static str, &'static str, usize, usize)> {
    vec![
        // struct tsmon_header
        field!(Header, "tsmon_header", "magic", magic),
        field!(Header, "tsmon_header", "abi_version", abi_version),
        field!(Header, "tsmon_header", "header_size", header_size),
        field!(Header, "tsmon_header", "region_size", region_size),
        field!(Header, "tsmon_header", "health_offset", health_offset),
        field!(Header, "tsmon_header", "health_size", health_size),
        field!(Header, "tsmon_header", "ring_offset", ring_offset),
        field!(Header, "tsmon_header", "record_size", record_size),
        field!(Header, "tsmon_header", "ring_entries", ring_entries),
        field!(Header, "tsmon_header", "ring_mask", ring_mask),
        field!(Header, "tsmon_header", "__pad0", __pad0),
        field!(Header, "tsmon_header", "instance_id", instance_id),
        field!(Header, "tsmon_header", "load_real_ns", load_real_ns),
        field!(Header, "tsmon_header", "load_mono_ns", load_mono_ns),
        field!(Header, "tsmon_header", "__pad1", __pad1),
        field!(Header, "tsmon_header", "head", head),
        field!(Header, "tsmon_header", "__pad2", __pad2),
        // struct tsmon_record
        field!(Record, "tsmon_record", "seq", seq),
        field!(Record, "tsmon_record", "type", r#type),
        field!(Record, "tsmon_record", "flags", flags),
        field!(Record, "tsmon_record", "mono_ns", mono_ns),
        field!(Record, "tsmon_record", "real_ns", real_ns),
        field!(Record, "tsmon_record", "step.delta_ns", payload.step.delta_ns),
        field!(Record, "tsmon_record", "step.reason", payload.step.reason),
        field!(Record, "tsmon_record", "step.__pad", payload.step.__pad),
        field!(Record, "tsmon_record", "leap.leap_real_ns", payload.leap.leap_real_ns),
        field!(Record, "tsmon_record", "leap.direction", payload.leap.direction),
        field!(Record, "tsmon_record", "leap.__pad", payload.leap.__pad),
        field!(Record, "tsmon_record", "leap_applied.direction", payload.leap_applied.direction),
        field!(Record, "tsmon_record", "leap_applied.tai_before", payload.leap_applied.tai_before),
        field!(Record, "tsmon_record", "leap_applied.tai_after", payload.leap_applied.tai_after),
        field!(Record, "tsmon_record", "leap_applied.__pad", payload.leap_applied.__pad),
        field!(Record, "tsmon_record", "tai.tai_before", payload.tai.tai_before),
        field!(Record, "tsmon_record", "tai.tai_after", payload.tai.tai_after),
        field!(Record, "tsmon_record", "cs.from", payload.cs.from),
        field!(Record, "tsmon_record", "cs.to", payload.cs.to),
        field!(Record, "tsmon_record", "resume.sleep_ns", payload.resume.sleep_ns),
        field!(Record, "tsmon_record", "ntp.status", payload.ntp.status),
        field!(Record, "tsmon_record", "ntp.__pad", payload.ntp.__pad),
        field!(Record, "tsmon_record", "ntp.maxerror_ns", payload.ntp.maxerror_ns),
        field!(Record, "tsmon_record", "ntp.esterror_ns", payload.ntp.esterror_ns),
        field!(Record, "tsmon_record", "ntp_mode.status_before", payload.ntp_mode.status_before),
        field!(Record, "tsmon_record", "ntp_mode.status_after", payload.ntp_mode.status_after),
        field!(Record, "tsmon_record", "ntp_state.state_before", payload.ntp_state.state_before),
        field!(Record, "tsmon_record", "ntp_state.state_after", payload.ntp_state.state_after),
        field!(Record, "tsmon_record", "phc_step.index", payload.phc_step.index),
        field!(Record, "tsmon_record", "phc_step.how", payload.phc_step.how),
        field!(Record, "tsmon_record", "phc_step.delta_ns", payload.phc_step.delta_ns),
        field!(Record, "tsmon_record", "phc_step.time_ns", payload.phc_step.time_ns),
        field!(Record, "tsmon_record", "phc_freq.index", payload.phc_freq.index),
        field!(Record, "tsmon_record", "phc_freq.__pad", payload.phc_freq.__pad),
        field!(Record, "tsmon_record", "phc_freq.freq_ppb", payload.phc_freq.freq_ppb),
        field!(Record, "tsmon_record", "phc_freq.scaled_ppm", payload.phc_freq.scaled_ppm),
        field!(Record, "tsmon_record", "phc_freq.suppressed", payload.phc_freq.suppressed),
        field!(Record, "tsmon_record", "phc_phase.index", payload.phc_phase.index),
        field!(Record, "tsmon_record", "phc_phase.__pad", payload.phc_phase.__pad),
        field!(Record, "tsmon_record", "phc_phase.offset_ns", payload.phc_phase.offset_ns),
        field!(Record, "tsmon_record", "phc_extts.index", payload.phc_extts.index),
        field!(Record, "tsmon_record", "phc_extts.channel", payload.phc_extts.channel),
        field!(Record, "tsmon_record", "phc_extts.timestamp_ns", payload.phc_extts.timestamp_ns),
        field!(Record, "tsmon_record", "phc_extts.flags", payload.phc_extts.flags),
        field!(Record, "tsmon_record", "phc_extts.__pad", payload.phc_extts.__pad),
        field!(Record, "tsmon_record", "phc.index", payload.phc.index),
        field!(Record, "tsmon_record", "phc.flags", payload.phc.flags),
        field!(Record, "tsmon_record", "phc.name", payload.phc.name),
        field!(Record, "tsmon_record", "vm.marker_before", payload.vm.marker_before),
        field!(Record, "tsmon_record", "vm.marker_after", payload.vm.marker_after),
        field!(Record, "tsmon_record", "vm.flags", payload.vm.flags),
        field!(Record, "tsmon_record", "vm.state", payload.vm.state),
        field!(Record, "tsmon_record", "lost.count", payload.lost.count),
        field!(Record, "tsmon_record", "raw", payload.raw),
        // struct tsmon_phc_slot
        field!(PhcSlot, "tsmon_phc_slot", "index", index),
        field!(PhcSlot, "tsmon_phc_slot", "flags", flags),
        field!(PhcSlot, "tsmon_phc_slot", "name", name),
        field!(PhcSlot, "tsmon_phc_slot", "steps", steps),
        field!(PhcSlot, "tsmon_phc_slot", "last_step_mono_ns", last_step_mono_ns),
        field!(PhcSlot, "tsmon_phc_slot", "last_step_delta_ns", last_step_delta_ns),
        field!(PhcSlot, "tsmon_phc_slot", "freq_ppb", freq_ppb),
        field!(PhcSlot, "tsmon_phc_slot", "freq_updates", freq_updates),
        // struct tsmon_health
        field!(Health, "tsmon_health", "seq", seq),
        field!(Health, "tsmon_health", "offs_real_ns", offs_real_ns),
        field!(Health, "tsmon_health", "sync_mono_ns", sync_mono_ns),
        field!(Health, "tsmon_health", "sync_maxerror_ns", sync_maxerror_ns),
        field!(Health, "tsmon_health", "sync_interval_ns", sync_interval_ns),
        field!(Health, "tsmon_health", "disrupt_mono_ns", disrupt_mono_ns),
        field!(Health, "tsmon_health", "disrupt_type", disrupt_type),
        field!(Health, "tsmon_health", "ntp_status", ntp_status),
        field!(Health, "tsmon_health", "hooks", hooks),
        field!(Health, "tsmon_health", "ntp_state", ntp_state),
        field!(Health, "tsmon_health", "update_mono_ns", update_mono_ns),
        field!(Health, "tsmon_health", "leap_state", leap_state),
        field!(Health, "tsmon_health", "tai_offset", tai_offset),
        field!(Health, "tsmon_health", "leap_real_ns", leap_real_ns),
        field!(Health, "tsmon_health", "last_step_seq", last_step_seq),
        field!(Health, "tsmon_health", "last_step_mono_ns", last_step_mono_ns),
        field!(Health, "tsmon_health", "last_step_real_ns", last_step_real_ns),
        field!(Health, "tsmon_health", "last_step_delta_ns", last_step_delta_ns),
        field!(Health, "tsmon_health", "last_step_reason", last_step_reason),
        field!(Health, "tsmon_health", "__pad0", __pad0),
        field!(Health, "tsmon_health", "clocksource", clocksource),
        field!(Health, "tsmon_health", "freq_ppb", freq_ppb),
        field!(Health, "tsmon_health", "tk_mult", tk_mult),
        field!(Health, "tsmon_health", "cs_mult", cs_mult),
        field!(Health, "tsmon_health", "cs_shift", cs_shift),
        field!(Health, "tsmon_health", "__pad1", __pad1),
        field!(Health, "tsmon_health", "ntp_captures", ntp_captures),
        field!(Health, "tsmon_health", "ntp_capture_mono_ns", ntp_capture_mono_ns),
        field!(Health, "tsmon_health", "ntp_capture_modes", ntp_capture_modes),
        field!(Health, "tsmon_health", "ntp_constant", ntp_constant),
        field!(Health, "tsmon_health", "ntp_maxerror_ns", ntp_maxerror_ns),
        field!(Health, "tsmon_health", "ntp_esterror_ns", ntp_esterror_ns),
        field!(Health, "tsmon_health", "ntp_offset_ns", ntp_offset_ns),
        field!(Health, "tsmon_health", "ntp_freq_ppb", ntp_freq_ppb),
        field!(Health, "tsmon_health", "ntp_tick_us", ntp_tick_us),
        field!(Health, "tsmon_health", "__pad2", __pad2),
        field!(Health, "tsmon_health", "ntp_syncs", ntp_syncs),
        field!(Health, "tsmon_health", "sync_esterror_ns", sync_esterror_ns),
        field!(Health, "tsmon_health", "sync_last_interval_ns", sync_last_interval_ns),
        field!(Health, "tsmon_health", "event_count", event_count),
        field!(Health, "tsmon_health", "phc_count", phc_count),
        field!(Health, "tsmon_health", "phc_overflow", phc_overflow),
        field!(Health, "tsmon_health", "phc", phc),
        field!(Health, "tsmon_health", "vm_state", vm_state),
        field!(Health, "tsmon_health", "vm_state_bits", vm_state_bits),
        field!(Health, "tsmon_health", "vm_marker", vm_marker),
        field!(Health, "tsmon_health", "vm_disruptions", vm_disruptions),
        field!(Health, "tsmon_health", "vm_disrupt_mono_ns", vm_disrupt_mono_ns),
        field!(Health, "tsmon_health", "vm_flags", vm_flags),
        field!(Health, "tsmon_health", "vm_seq_count", vm_seq_count),
        field!(Health, "tsmon_health", "vm_tai_offset", vm_tai_offset),
        field!(Health, "tsmon_health", "vm_counter_period_shift", vm_counter_period_shift),
        field!(Health, "tsmon_health", "__pad3", __pad3),
        field!(Health, "tsmon_health", "vm_gen_counter", vm_gen_counter),
        field!(Health, "tsmon_health", "vm_counter_value", vm_counter_value),
        field!(Health, "tsmon_health", "vm_counter_period_frac_sec", vm_counter_period_frac_sec),
        field!(Health, "tsmon_health", "vm_time_sec", vm_time_sec),
        field!(Health, "tsmon_health", "vm_time_frac_sec", vm_time_frac_sec),
        field!(Health, "tsmon_health", "vm_time_esterror_ns", vm_time_esterror_ns),
        field!(Health, "tsmon_health", "vm_time_maxerror_ns", vm_time_maxerror_ns),
        field!(Health, "tsmon_health", "sync_budget_ns", sync_budget_ns),
        field!(Health, "tsmon_health", "sync_offset_ns", sync_offset_ns),
        field!(Health, "tsmon_health", "sync_flags", sync_flags),
        field!(Health, "tsmon_health", "__pad4", __pad4),
        field!(Health, "tsmon_health", "probes_missed", probes_missed),
        field!(Health, "tsmon_health", "probes_missed_ntp", probes_missed_ntp),
        field!(Health, "tsmon_health", "ntp_lost", ntp_lost),
        field!(Health, "tsmon_health", "body_seq", body_seq),
        // struct tsmon_info
        field!(Info, "tsmon_info", "abi_version", abi_version),
        field!(Info, "tsmon_info", "header_size", header_size),
        field!(Info, "tsmon_info", "health_size", health_size),
        field!(Info, "tsmon_info", "record_size", record_size),
        field!(Info, "tsmon_info", "ring_entries", ring_entries),
        field!(Info, "tsmon_info", "region_size", region_size),
        field!(Info, "tsmon_info", "instance_id", instance_id),
        field!(Info, "tsmon_info", "load_real_ns", load_real_ns),
        field!(Info, "tsmon_info", "load_mono_ns", load_mono_ns),
        field!(Info, "tsmon_info", "timens_mono_offset_ns", timens_mono_offset_ns),
        field!(Info, "tsmon_info", "flags", flags),
        field!(Info, "tsmon_info", "__reserved", __reserved),
        // struct tsmon_cursor
        field!(Cursor, "tsmon_cursor", "next", next),
        field!(Cursor, "tsmon_cursor", "instance_id", instance_id),
        field!(Cursor, "tsmon_cursor", "__reserved", __reserved),
        // struct tsmon_time
        field!(Time, "tsmon_time", "real_ns", real_ns),
        field!(Time, "tsmon_time", "mono_ns", mono_ns),
        field!(Time, "tsmon_time", "earliest_ns", earliest_ns),
        field!(Time, "tsmon_time", "latest_ns", latest_ns),
        field!(Time, "tsmon_time", "bound_ns", bound_ns),
        field!(Time, "tsmon_time", "sync_age_ns", sync_age_ns),
        field!(Time, "tsmon_time", "held_ns", held_ns),
        field!(Time, "tsmon_time", "status", status),
        field!(Time, "tsmon_time", "flags", flags),
        // struct tsmon_forward
        field!(Forward, "tsmon_forward", "last_ns", last_ns),
        field!(Forward, "tsmon_forward", "__reserved", __reserved),
    ]
}

fn rust_sizes() -> Vec<(&'static str, usize)> {
    vec![
        ("tsmon_header", size_of::<Header>()),
        ("tsmon_record", size_of::<Record>()),
        ("tsmon_phc_slot", size_of::<PhcSlot>()),
        ("tsmon_health", size_of::<Health>()),
        ("tsmon_info", size_of::<Info>()),
        ("tsmon_cursor", size_of::<Cursor>()),
        ("tsmon_time", size_of::<Time>()),
        ("tsmon_forward", size_of::<Forward>()),
    ]
}

/// C expression, and the Rust value it must equal.
fn constants() -> Vec<(&'static str, u64)> {
    vec![
        ("TSMON_MAGIC", MAGIC),
        ("TSMON_ABI_VERSION", ABI_VERSION as u64),
        ("TSMON_NAME_WORDS", NAME_WORDS as u64),
        ("TSMON_CS_NAME_WORDS", CS_NAME_WORDS as u64),
        ("TSMON_HEALTH_CLOCK_LINE", HEALTH_CLOCK_LINE as u64),
        ("TSMON_HEADER_SIZE_V1", HEADER_SIZE_V1 as u64),
        ("TSMON_HEALTH_OFFSET_V1", HEALTH_OFFSET_V1 as u64),
        ("TSMON_RING_OFFSET_V1", RING_OFFSET_V1 as u64),
        ("TSMON_RECORD_SIZE_V1", RECORD_SIZE_V1 as u64),
        ("TSMON_EVENT_NONE", EVENT_NONE as u64),
        ("TSMON_EVENT_CLOCK_STEP", EVENT_CLOCK_STEP as u64),
        ("TSMON_EVENT_LEAP_ARMED", EVENT_LEAP_ARMED as u64),
        ("TSMON_EVENT_LEAP_DISARMED", EVENT_LEAP_DISARMED as u64),
        ("TSMON_EVENT_LEAP_APPLIED", EVENT_LEAP_APPLIED as u64),
        ("TSMON_EVENT_TAI_CHANGE", EVENT_TAI_CHANGE as u64),
        ("TSMON_EVENT_CLOCKSOURCE_CHANGE", EVENT_CLOCKSOURCE_CHANGE as u64),
        ("TSMON_EVENT_RESUME", EVENT_RESUME as u64),
        ("TSMON_EVENT_LOST", EVENT_LOST as u64),
        ("TSMON_EVENT_NTP_SYNC", EVENT_NTP_SYNC as u64),
        ("TSMON_EVENT_NTP_UNSYNC", EVENT_NTP_UNSYNC as u64),
        ("TSMON_EVENT_NTP_MODE", EVENT_NTP_MODE as u64),
        ("TSMON_EVENT_NTP_STATE", EVENT_NTP_STATE as u64),
        ("TSMON_EVENT_PHC_STEP", EVENT_PHC_STEP as u64),
        ("TSMON_EVENT_PHC_FREQ", EVENT_PHC_FREQ as u64),
        ("TSMON_EVENT_PHC_PHASE", EVENT_PHC_PHASE as u64),
        ("TSMON_EVENT_PHC_EXTTS", EVENT_PHC_EXTTS as u64),
        ("TSMON_EVENT_PHC_PPS", EVENT_PHC_PPS as u64),
        ("TSMON_EVENT_PHC_ADD", EVENT_PHC_ADD as u64),
        ("TSMON_EVENT_PHC_REMOVE", EVENT_PHC_REMOVE as u64),
        ("TSMON_EVENT_VM_DISRUPTION", EVENT_VM_DISRUPTION as u64),
        ("TSMON_EVENT_TYPE_COUNT", EVENT_TYPE_COUNT as u64),
        ("TSMON_EVENT_SLOTS", EVENT_SLOTS as u64),
        ("TSMON_LEAP_INSERT", LEAP_INSERT as u64),
        ("TSMON_LEAP_DELETE", LEAP_DELETE as u64),
        ("TSMON_LEAP_NONE", LEAP_NONE as u64),
        ("TSMON_LEAP_INSERT_PENDING", LEAP_INSERT_PENDING as u64),
        ("TSMON_LEAP_DELETE_PENDING", LEAP_DELETE_PENDING as u64),
        ("TSMON_STEP_UNKNOWN", STEP_UNKNOWN as u64),
        ("TSMON_STEP_SETTIME", STEP_SETTIME as u64),
        ("TSMON_STEP_SETOFFSET", STEP_SETOFFSET as u64),
        ("TSMON_HOOK_TIMEKEEPER", HOOK_TIMEKEEPER as u64),
        ("TSMON_HOOK_ADJTIMEX", HOOK_ADJTIMEX as u64),
        ("TSMON_HOOK_SETTIME", HOOK_SETTIME as u64),
        ("TSMON_HOOK_PHC_ADJ", HOOK_PHC_ADJ as u64),
        ("TSMON_HOOK_PHC_EVENT", HOOK_PHC_EVENT as u64),
        ("TSMON_HOOK_PHC_LIFE", HOOK_PHC_LIFE as u64),
        ("TSMON_PHC_SETTIME", PHC_SETTIME as u64),
        ("TSMON_PHC_SETOFFSET", PHC_SETOFFSET as u64),
        ("TSMON_EXTTS_OFFSET", EXTTS_OFFSET as u64),
        ("TSMON_PHC_AT_LOAD", PHC_AT_LOAD as u64),
        ("TSMON_VM_NONE", VM_NONE as u64),
        ("TSMON_VM_ACTIVE", VM_ACTIVE as u64),
        ("TSMON_VM_INVALID", VM_INVALID as u64),
        ("TSMON_VM_DISABLED", VM_DISABLED as u64),
        ("TSMON_VM_CLOCK_STATUS(0x04030201)", vm_clock_status(0x0403_0201) as u64),
        ("TSMON_VM_COUNTER_ID(0x04030201)", vm_counter_id(0x0403_0201) as u64),
        ("TSMON_VM_TIME_TYPE(0x04030201)", vm_time_type(0x0403_0201) as u64),
        ("TSMON_VM_LEAP_INDICATOR(0x04030201)", vm_leap_indicator(0x0403_0201) as u64),
        ("TSMON_VM_COUNTER_NONE", VM_COUNTER_NONE as u64),
        ("TSMON_VMCLOCK_TAI_OFFSET_VALID", VMCLOCK_TAI_OFFSET_VALID),
        ("TSMON_VMCLOCK_DISRUPTION_SOON", VMCLOCK_DISRUPTION_SOON),
        ("TSMON_VMCLOCK_DISRUPTION_IMMINENT", VMCLOCK_DISRUPTION_IMMINENT),
        ("TSMON_VMCLOCK_TIME_MAXERROR_VALID", VMCLOCK_TIME_MAXERROR_VALID),
        ("TSMON_VMCLOCK_VM_GEN_COUNTER_PRESENT", VMCLOCK_VM_GEN_COUNTER_PRESENT),
        ("TSMON_SYNC_ERROR_UNKNOWN", SYNC_ERROR_UNKNOWN),
        ("TSMON_SYNC_MAXERROR_ROUNDING_NS", SYNC_MAXERROR_ROUNDING_NS),
        ("TSMON_SYNC_ZERO_MAXERROR", SYNC_ZERO_MAXERROR as u64),
        ("TSMON_SYNC_BUDGET", SYNC_BUDGET as u64),
        ("TSMON_SYNC_PLL_OFFSET", SYNC_PLL_OFFSET as u64),
        ("TSMON_SYNC_SETTLING", SYNC_SETTLING as u64),
        ("TSMON_SYNC_STEP_RESIDUAL", SYNC_STEP_RESIDUAL as u64),
        ("TSMON_PHC_SLOTS", PHC_SLOTS as u64),
        ("TSMON_NTP_STATE_UNKNOWN", NTP_STATE_UNKNOWN as u64),
        ("TSMON_NTP_MODE_BITS", NTP_MODE_BITS as u64),
        ("TIME_OK", TIME_OK as u64),
        ("TIME_INS", TIME_INS as u64),
        ("TIME_DEL", TIME_DEL as u64),
        ("TIME_OOP", TIME_OOP as u64),
        ("TIME_WAIT", TIME_WAIT as u64),
        ("STA_UNSYNC", STA_UNSYNC as u64),
        ("STA_CLOCKERR", STA_CLOCKERR as u64),
        ("TSMON_VERSION_CODE", crate::VERSION_CODE as u64),
        ("TSMON_INFO_TIMENS_UNKNOWN", INFO_TIMENS_UNKNOWN as u64),
        ("TSMON_FROM_OLDEST", crate::Whence::Oldest as u64),
        ("TSMON_FROM_NOW", crate::Whence::Now as u64),
        ("TSMON_FROM_SEQ", crate::Whence::Seq as u64),
        ("TSMON_CLOCK_UNKNOWN", CLOCK_UNKNOWN as u64),
        ("TSMON_CLOCK_SYNCHRONIZED", CLOCK_SYNCHRONIZED as u64),
        ("TSMON_CLOCK_FREE_RUNNING", CLOCK_FREE_RUNNING as u64),
        ("TSMON_CLOCK_DISRUPTED", CLOCK_DISRUPTED as u64),
        ("TSMON_TIME_NO_HOOK", TIME_NO_HOOK as u64),
        ("TSMON_TIME_NO_CAPTURE", TIME_NO_CAPTURE as u64),
        ("TSMON_TIME_NO_SYNC", TIME_NO_SYNC as u64),
        ("TSMON_TIME_UNSYNC", TIME_UNSYNC as u64),
        ("TSMON_TIME_STALE", TIME_STALE as u64),
        ("TSMON_TIME_COOLDOWN", TIME_COOLDOWN as u64),
        ("TSMON_TIME_UNBOUNDED", TIME_UNBOUNDED as u64),
        ("TSMON_TIME_HELD", TIME_HELD as u64),
        ("TSMON_TIME_NO_ERROR", TIME_NO_ERROR as u64),
        ("TSMON_TIME_LEAP_EDGE", TIME_LEAP_EDGE as u64),
        ("TSMON_DRIFT_DEFAULT_PPB", DRIFT_DEFAULT_PPB),
        ("TSMON_DRIFT_KERNEL_PPB", DRIFT_KERNEL_PPB),
        ("TSMON_COOLDOWN_DEFAULT_NS", COOLDOWN_DEFAULT_NS),
        ("TSMON_STALE_FACTOR_DEFAULT", STALE_FACTOR_DEFAULT as u64),
        ("TSMON_STALE_UNKNOWN_NS", STALE_UNKNOWN_NS),
        ("TSMON_DRIFT_MAX_PPB", DRIFT_MAX_PPB),
        ("TSMON_SPIN_LIMIT_DEFAULT_NS", SPIN_LIMIT_DEFAULT_NS),
        ("offsetof(struct tsmon_health, leap_state)", H_LEAP_STATE as u64),
        ("offsetof(struct tsmon_health, leap_real_ns)", H_LEAP_REAL_NS as u64),
        ("offsetof(struct tsmon_health, body_seq)", H_BODY_SEQ as u64),
        ("offsetof(struct tsmon_record, type)", REC_TYPE as u64),
        ("offsetof(struct tsmon_record, lost.count)", REC_LOST_COUNT as u64),
    ]
}

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

#[test]
fn no_implicit_padding() {
    // A Pod view is sound only if the fields cover every byte.
    let mut covered: BTreeMap<&str, usize> = BTreeMap::new();
    for (s, f, _, size) in rust_fields() {
        // Union members overlap: count the payload once, as `raw`.
        if s == "tsmon_record" && f.contains('.') {
            continue;
        }
        *covered.entry(s).or_default() += size;
    }
    for (s, size) in rust_sizes() {
        assert_eq!(covered.get(s).copied(), Some(size), "{}: fields do not cover the struct", s);
    }
    assert_eq!(size_of::<Payload>(), 32);
}

#[test]
fn internal_views() {
    let h = field!(HeaderView, "", "", head);
    assert_eq!(h.2, 128);
    assert_eq!(field!(HeaderView, "", "", instance_id).2, field!(Header, "", "", instance_id).2);
    assert_eq!(field!(HeaderView, "", "", ring_mask).2, field!(Header, "", "", ring_mask).2);
    assert_eq!(field!(LineView, "", "", ntp_state).2, field!(Health, "", "", ntp_state).2);
    assert_eq!(field!(LineView, "", "", disrupt_type).2, field!(Health, "", "", disrupt_type).2);
    assert_eq!(field!(LineView, "", "", offs_real_ns).2, field!(Health, "", "", offs_real_ns).2);
    assert_eq!(field!(Health, "", "", leap_state).2, H_LEAP_STATE);
    assert_eq!(field!(Health, "", "", leap_real_ns).2, H_LEAP_REAL_NS);
    assert_eq!(field!(Health, "", "", body_seq).2, H_BODY_SEQ);
    assert_eq!(field!(Record, "", "", r#type).2, REC_TYPE);
    assert_eq!(field!(Record, "", "", payload.lost.count).2, REC_LOST_COUNT);
    assert_eq!(field!(Record, "", "", payload).2, PAYLOAD);
}

#[test]
fn matches_abi_layout_c() {
    let text = std::fs::read_to_string(repo().join("lib/abi_layout.c")).expect("lib/abi_layout.c");
    let ours: BTreeMap<(String, String), (usize, usize)> =
        rust_fields().into_iter().map(|(s, f, o, n)| ((s.to_string(), f.to_string()), (o, n))).collect();
    let sizes: BTreeMap<&str, usize> = rust_sizes().into_iter().collect();
    let mut seen = 0;
    for line in text.lines() {
        let args = |p: &str| -> Option<Vec<String>> {
            let rest = line.strip_prefix(p)?.strip_suffix(");")?;
            Some(rest.split(',').map(|s| s.trim().to_string()).collect())
        };
        if let Some(a) = args("SIZE(") {
            if let Some(&n) = sizes.get(a[0].as_str()) {
                assert_eq!(n.to_string(), a[1], "sizeof(struct {})", a[0]);
            }
        } else if let Some(a) = args("FIELD(") {
            if !sizes.contains_key(a[0].as_str()) {
                continue;
            }
            let got = ours.get(&(a[0].clone(), a[1].clone()));
            let want = (a[2].parse().unwrap(), a[3].parse().unwrap());
            assert_eq!(got, Some(&want), "struct {} field {}", a[0], a[1]);
            seen += 1;
        }
    }
    assert_eq!(seen, ours.len(), "every Rust field is in lib/abi_layout.c and back");
}

/// Compiles a program that prints offsetof/sizeof of every field and the
/// constants from the C headers, and compares. Skipped (with a note) when
/// no C compiler is found.
#[test]
fn matches_c_header() {
    let mut c = String::from(
        "#include <stddef.h>\n#include <stdio.h>\n#include <sys/timex.h>\n#include <tsmon/tsmon.h>\n\
         #define F(s, f) printf(\"%s.%s %zu %zu\\n\", #s, #f, offsetof(struct s, f), sizeof(((struct s *)0)->f))\n\
         #define S(s) printf(\"%s %zu\\n\", #s, sizeof(struct s))\n\
         #define C(e) printf(\"%s %llu\\n\", #e, (unsigned long long)(e))\n\
         int main(void)\n{\n",
    );
    let mut want = String::new();
    for (s, f, o, n) in rust_fields() {
        c.push_str(&format!("\tF({}, {});\n", s, f));
        want.push_str(&format!("{}.{} {} {}\n", s, f, o, n));
    }
    for (s, n) in rust_sizes() {
        c.push_str(&format!("\tS({});\n", s));
        want.push_str(&format!("{} {}\n", s, n));
    }
    for (e, v) in constants() {
        c.push_str(&format!("\tC({});\n", e));
        want.push_str(&format!("{} {}\n", e, v));
    }
    c.push_str("\treturn 0;\n}\n");

    let dir = std::env::temp_dir().join(format!("tsmon-layout-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (src, bin) = (dir.join("layout.c"), dir.join("layout"));
    std::fs::write(&src, c).unwrap();
    let cc = std::env::var("CC").unwrap_or_else(|_| "cc".to_string());
    let built = std::process::Command::new(&cc)
        .arg("-std=gnu11")
        .arg("-I")
        .arg(repo().join("include"))
        .arg("-I")
        .arg(repo().join("include/uapi"))
        .arg("-o")
        .arg(&bin)
        .arg(&src)
        .status();
    match built {
        Err(e) => {
            eprintln!("note: no C compiler ({}: {}): layout checked against lib/abi_layout.c only", cc, e);
            let _ = std::fs::remove_dir_all(&dir);
            return;
        }
        Ok(s) => assert!(s.success(), "{} failed on the generated layout program", cc),
    }
    let out = std::process::Command::new(&bin).output().unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    let got = String::from_utf8(out.stdout).unwrap();
    for (g, w) in got.lines().zip(want.lines()) {
        assert_eq!(g, w, "C header (left) and crate (right) differ");
    }
    assert_eq!(got.lines().count(), want.lines().count());
}
