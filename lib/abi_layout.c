// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The layout of tsmon's ABI and libtsmon's API structures, as 1.0
 * promised it: written by tests/abi/gen-layout.py (make abilayout).
 * A field that moves or changes size stops the build; the ABI grows
 * only by appending, and appended fields are added here by the
 * generator. Nothing here generates code.
 */
#include <stddef.h>

#include <tsmon/tsmon.h>

#define SIZE(s, n) _Static_assert(sizeof(struct s) == (n), #s " size")
#define FIELD(s, f, o, n) \
	_Static_assert(offsetof(struct s, f) == (o) && \
		       sizeof(((struct s *)0)->f) == (n), #s "." #f)


SIZE(tsmon_header, 192);
FIELD(tsmon_header, magic, 0, 8);
FIELD(tsmon_header, abi_version, 8, 4);
FIELD(tsmon_header, header_size, 12, 4);
FIELD(tsmon_header, region_size, 16, 4);
FIELD(tsmon_header, health_offset, 20, 4);
FIELD(tsmon_header, health_size, 24, 4);
FIELD(tsmon_header, ring_offset, 28, 4);
FIELD(tsmon_header, record_size, 32, 4);
FIELD(tsmon_header, ring_entries, 36, 4);
FIELD(tsmon_header, ring_mask, 40, 4);
FIELD(tsmon_header, __pad0, 44, 4);
FIELD(tsmon_header, instance_id, 48, 8);
FIELD(tsmon_header, load_real_ns, 56, 8);
FIELD(tsmon_header, load_mono_ns, 64, 8);
FIELD(tsmon_header, __pad1, 72, 56);
FIELD(tsmon_header, head, 128, 8);
FIELD(tsmon_header, __pad2, 136, 56);

SIZE(tsmon_record, 64);
FIELD(tsmon_record, seq, 0, 8);
FIELD(tsmon_record, type, 8, 4);
FIELD(tsmon_record, flags, 12, 4);
FIELD(tsmon_record, mono_ns, 16, 8);
FIELD(tsmon_record, real_ns, 24, 8);
FIELD(tsmon_record, step.delta_ns, 32, 8);
FIELD(tsmon_record, step.reason, 40, 4);
FIELD(tsmon_record, step.__pad, 44, 4);
FIELD(tsmon_record, leap.leap_real_ns, 32, 8);
FIELD(tsmon_record, leap.direction, 40, 4);
FIELD(tsmon_record, leap.__pad, 44, 4);
FIELD(tsmon_record, leap_applied.direction, 32, 4);
FIELD(tsmon_record, leap_applied.tai_before, 36, 4);
FIELD(tsmon_record, leap_applied.tai_after, 40, 4);
FIELD(tsmon_record, leap_applied.__pad, 44, 4);
FIELD(tsmon_record, tai.tai_before, 32, 4);
FIELD(tsmon_record, tai.tai_after, 36, 4);
FIELD(tsmon_record, cs.from, 32, 16);
FIELD(tsmon_record, cs.to, 48, 16);
FIELD(tsmon_record, resume.sleep_ns, 32, 8);
FIELD(tsmon_record, ntp.status, 32, 4);
FIELD(tsmon_record, ntp.__pad, 36, 4);
FIELD(tsmon_record, ntp.maxerror_ns, 40, 8);
FIELD(tsmon_record, ntp.esterror_ns, 48, 8);
FIELD(tsmon_record, ntp_mode.status_before, 32, 4);
FIELD(tsmon_record, ntp_mode.status_after, 36, 4);
FIELD(tsmon_record, ntp_state.state_before, 32, 4);
FIELD(tsmon_record, ntp_state.state_after, 36, 4);
FIELD(tsmon_record, phc_step.index, 32, 4);
FIELD(tsmon_record, phc_step.how, 36, 4);
FIELD(tsmon_record, phc_step.delta_ns, 40, 8);
FIELD(tsmon_record, phc_step.time_ns, 48, 8);
FIELD(tsmon_record, phc_freq.index, 32, 4);
FIELD(tsmon_record, phc_freq.__pad, 36, 4);
FIELD(tsmon_record, phc_freq.freq_ppb, 40, 8);
FIELD(tsmon_record, phc_freq.scaled_ppm, 48, 8);
FIELD(tsmon_record, phc_freq.suppressed, 56, 8);
FIELD(tsmon_record, phc_phase.index, 32, 4);
FIELD(tsmon_record, phc_phase.__pad, 36, 4);
FIELD(tsmon_record, phc_phase.offset_ns, 40, 8);
FIELD(tsmon_record, phc_extts.index, 32, 4);
FIELD(tsmon_record, phc_extts.channel, 36, 4);
FIELD(tsmon_record, phc_extts.timestamp_ns, 40, 8);
FIELD(tsmon_record, phc_extts.flags, 48, 4);
FIELD(tsmon_record, phc_extts.__pad, 52, 4);
FIELD(tsmon_record, phc.index, 32, 4);
FIELD(tsmon_record, phc.flags, 36, 4);
FIELD(tsmon_record, phc.name, 40, 16);
FIELD(tsmon_record, vm.marker_before, 32, 8);
FIELD(tsmon_record, vm.marker_after, 40, 8);
FIELD(tsmon_record, vm.flags, 48, 4);
FIELD(tsmon_record, vm.state, 52, 4);
FIELD(tsmon_record, lost.count, 32, 8);
FIELD(tsmon_record, raw, 32, 32);

SIZE(tsmon_phc_slot, 64);
FIELD(tsmon_phc_slot, index, 0, 4);
FIELD(tsmon_phc_slot, flags, 4, 4);
FIELD(tsmon_phc_slot, name, 8, 16);
FIELD(tsmon_phc_slot, steps, 24, 8);
FIELD(tsmon_phc_slot, last_step_mono_ns, 32, 8);
FIELD(tsmon_phc_slot, last_step_delta_ns, 40, 8);
FIELD(tsmon_phc_slot, freq_ppb, 48, 8);
FIELD(tsmon_phc_slot, freq_updates, 56, 8);

SIZE(tsmon_health, 1216);
FIELD(tsmon_health, seq, 0, 8);
FIELD(tsmon_health, offs_real_ns, 8, 8);
FIELD(tsmon_health, sync_mono_ns, 16, 8);
FIELD(tsmon_health, sync_maxerror_ns, 24, 8);
FIELD(tsmon_health, sync_interval_ns, 32, 8);
FIELD(tsmon_health, disrupt_mono_ns, 40, 8);
FIELD(tsmon_health, disrupt_type, 48, 4);
FIELD(tsmon_health, ntp_status, 52, 4);
FIELD(tsmon_health, hooks, 56, 4);
FIELD(tsmon_health, ntp_state, 60, 4);
FIELD(tsmon_health, update_mono_ns, 64, 8);
FIELD(tsmon_health, leap_state, 72, 4);
FIELD(tsmon_health, tai_offset, 76, 4);
FIELD(tsmon_health, leap_real_ns, 80, 8);
FIELD(tsmon_health, last_step_seq, 88, 8);
FIELD(tsmon_health, last_step_mono_ns, 96, 8);
FIELD(tsmon_health, last_step_real_ns, 104, 8);
FIELD(tsmon_health, last_step_delta_ns, 112, 8);
FIELD(tsmon_health, last_step_reason, 120, 4);
FIELD(tsmon_health, __pad0, 124, 4);
FIELD(tsmon_health, clocksource, 128, 32);
FIELD(tsmon_health, freq_ppb, 160, 8);
FIELD(tsmon_health, tk_mult, 168, 4);
FIELD(tsmon_health, cs_mult, 172, 4);
FIELD(tsmon_health, cs_shift, 176, 4);
FIELD(tsmon_health, __pad1, 180, 4);
FIELD(tsmon_health, ntp_captures, 184, 8);
FIELD(tsmon_health, ntp_capture_mono_ns, 192, 8);
FIELD(tsmon_health, ntp_capture_modes, 200, 4);
FIELD(tsmon_health, ntp_constant, 204, 4);
FIELD(tsmon_health, ntp_maxerror_ns, 208, 8);
FIELD(tsmon_health, ntp_esterror_ns, 216, 8);
FIELD(tsmon_health, ntp_offset_ns, 224, 8);
FIELD(tsmon_health, ntp_freq_ppb, 232, 8);
FIELD(tsmon_health, ntp_tick_us, 240, 4);
FIELD(tsmon_health, __pad2, 244, 4);
FIELD(tsmon_health, ntp_syncs, 248, 8);
FIELD(tsmon_health, sync_esterror_ns, 256, 8);
FIELD(tsmon_health, sync_last_interval_ns, 264, 8);
FIELD(tsmon_health, event_count, 272, 256);
FIELD(tsmon_health, phc_count, 528, 4);
FIELD(tsmon_health, phc_overflow, 532, 4);
FIELD(tsmon_health, phc, 536, 512);
FIELD(tsmon_health, vm_state, 1048, 4);
FIELD(tsmon_health, vm_state_bits, 1052, 4);
FIELD(tsmon_health, vm_marker, 1056, 8);
FIELD(tsmon_health, vm_disruptions, 1064, 8);
FIELD(tsmon_health, vm_disrupt_mono_ns, 1072, 8);
FIELD(tsmon_health, vm_flags, 1080, 8);
FIELD(tsmon_health, vm_seq_count, 1088, 4);
FIELD(tsmon_health, vm_tai_offset, 1092, 4);
FIELD(tsmon_health, vm_counter_period_shift, 1096, 4);
FIELD(tsmon_health, __pad3, 1100, 4);
FIELD(tsmon_health, vm_gen_counter, 1104, 8);
FIELD(tsmon_health, vm_counter_value, 1112, 8);
FIELD(tsmon_health, vm_counter_period_frac_sec, 1120, 8);
FIELD(tsmon_health, vm_time_sec, 1128, 8);
FIELD(tsmon_health, vm_time_frac_sec, 1136, 8);
FIELD(tsmon_health, vm_time_esterror_ns, 1144, 8);
FIELD(tsmon_health, vm_time_maxerror_ns, 1152, 8);
FIELD(tsmon_health, sync_budget_ns, 1160, 8);
FIELD(tsmon_health, sync_offset_ns, 1168, 8);
FIELD(tsmon_health, sync_flags, 1176, 4);
FIELD(tsmon_health, __pad4, 1180, 4);
FIELD(tsmon_health, probes_missed, 1184, 8);
FIELD(tsmon_health, probes_missed_ntp, 1192, 8);
FIELD(tsmon_health, ntp_lost, 1200, 8);
FIELD(tsmon_health, body_seq, 1208, 8);

SIZE(tsmon_waiter_args, 16);
FIELD(tsmon_waiter_args, after, 0, 8);
FIELD(tsmon_waiter_args, flags, 8, 4);
FIELD(tsmon_waiter_args, __pad, 12, 4);

SIZE(tsmon_info, 64);
FIELD(tsmon_info, abi_version, 0, 4);
FIELD(tsmon_info, header_size, 4, 4);
FIELD(tsmon_info, health_size, 8, 4);
FIELD(tsmon_info, record_size, 12, 4);
FIELD(tsmon_info, ring_entries, 16, 4);
FIELD(tsmon_info, region_size, 20, 4);
FIELD(tsmon_info, instance_id, 24, 8);
FIELD(tsmon_info, load_real_ns, 32, 8);
FIELD(tsmon_info, load_mono_ns, 40, 8);
FIELD(tsmon_info, timens_mono_offset_ns, 48, 8);
FIELD(tsmon_info, flags, 56, 4);
FIELD(tsmon_info, __reserved, 60, 4);

SIZE(tsmon_cursor, 32);
FIELD(tsmon_cursor, next, 0, 8);
FIELD(tsmon_cursor, instance_id, 8, 8);
FIELD(tsmon_cursor, __reserved, 16, 16);

SIZE(tsmon_time, 64);
FIELD(tsmon_time, real_ns, 0, 8);
FIELD(tsmon_time, mono_ns, 8, 8);
FIELD(tsmon_time, earliest_ns, 16, 8);
FIELD(tsmon_time, latest_ns, 24, 8);
FIELD(tsmon_time, bound_ns, 32, 8);
FIELD(tsmon_time, sync_age_ns, 40, 8);
FIELD(tsmon_time, held_ns, 48, 8);
FIELD(tsmon_time, status, 56, 4);
FIELD(tsmon_time, flags, 60, 4);

SIZE(tsmon_forward, 32);
FIELD(tsmon_forward, last_ns, 0, 8);
FIELD(tsmon_forward, __reserved, 8, 24);

SIZE(tsmon_nl_status, 48);
FIELD(tsmon_nl_status, head, 0, 8);
FIELD(tsmon_nl_status, instance_id, 8, 8);
FIELD(tsmon_nl_status, abi_version, 16, 4);
FIELD(tsmon_nl_status, ring_entries, 20, 4);
FIELD(tsmon_nl_status, record_size, 24, 4);
FIELD(tsmon_nl_status, health_size, 28, 4);
FIELD(tsmon_nl_status, hooks, 32, 4);
FIELD(tsmon_nl_status, phc_freq_threshold_ppb, 36, 4);
FIELD(tsmon_nl_status, phc_freq_interval_ms, 40, 4);
FIELD(tsmon_nl_status, __reserved, 44, 4);
