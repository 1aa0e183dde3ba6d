// SPDX-License-Identifier: LGPL-2.1-or-later

package tsmon

import "unsafe"

// Constants of the shared-memory ABI (include/uapi/tsmon/abi.h).
const (
	DevicePath = "/dev/tsmon"

	Magic      = 0x4942414e4f4d5354 // "TSMONABI" little-endian
	ABIVersion = 1

	NameWords   = 2 // 16 bytes: 15 chars + NUL
	CSNameWords = 4 // 32 bytes in the health block

	HealthClockLine = 64 // bytes health.seq covers (with the leap fields)

	HeaderSizeV1   = 192
	HealthOffsetV1 = 256
	RingOffsetV1   = 4096
	RecordSizeV1   = 64

	EventSlots = 32 // len(Health.EventCount)
	PHCSlots   = 8  // len(Health.PHC)
)

// Event types (Record.Type). EventLost is made up by readers, never stored.
const (
	EventNone              = 0
	EventClockStep         = 1
	EventLeapArmed         = 2
	EventLeapDisarmed      = 3
	EventLeapApplied       = 4
	EventTAIChange         = 5
	EventClocksourceChange = 6
	EventResume            = 7
	EventLost              = 8
	EventNTPSync           = 9
	EventNTPUnsync         = 10
	EventNTPMode           = 11
	EventNTPState          = 12
	EventPHCStep           = 13
	EventPHCFreq           = 14
	EventPHCPhase          = 15
	EventPHCExtts          = 16
	EventPHCPPS            = 17
	EventPHCAdd            = 18
	EventPHCRemove         = 19
	EventVMDisruption      = 20
	EventTypeCount         = 21
)

// Leap second directions, leap states, step reasons.
const (
	LeapInsert = 1
	LeapDelete = 2

	LeapNone          = 0
	LeapInsertPending = 1
	LeapDeletePending = 2

	StepUnknown   = 0
	StepSettime   = 1
	StepSetoffset = 2
)

// Health.Hooks bits.
const (
	HookTimekeeper = 1 << 0
	HookAdjtimex   = 1 << 1
	HookSettime    = 1 << 2
	HookPHCAdj     = 1 << 3
	HookPHCEvent   = 1 << 4
	HookPHCLife    = 1 << 5
)

// PHC record details.
const (
	PHCSettime   = 1 // PHCStepPayload.How
	PHCSetoffset = 2
	ExttsOffset  = 1 << 0 // PHCExttsPayload.Flags
	PHCAtLoad    = 1 << 0 // PHCPayload.Flags
)

// VMClock: Health.VMState values, the packed state bytes, the page's flags.
const (
	VMNone     = 0
	VMActive   = 1
	VMInvalid  = 2
	VMDisabled = 3

	VMCounterNone = 0xff

	VMClockTAIOffsetValid      = 1 << 0
	VMClockDisruptionSoon      = 1 << 1
	VMClockDisruptionImminent  = 1 << 2
	VMClockTimeMaxerrorValid   = 1 << 6
	VMClockVMGenCounterPresent = 1 << 8
)

// VMClockStatus and the others unpack vm_disruption.state and
// Health.VMStateBits (TSMON_VM_CLOCK_STATUS() ...).
func VMClockStatus(s uint32) uint32   { return s & 0xff }
func VMCounterID(s uint32) uint32     { return (s >> 8) & 0xff }
func VMTimeType(s uint32) uint32      { return (s >> 16) & 0xff }
func VMLeapIndicator(s uint32) uint32 { return (s >> 24) & 0xff }

// Sync error figures and Health.SyncFlags.
const (
	SyncErrorUnknown       = 0xffffffffffffffff
	SyncMaxerrorRoundingNs = 1000
	SyncZeroMaxerror       = 1 << 0
	SyncBudget             = 1 << 1
	SyncPLLOffset          = 1 << 2
	SyncSettling           = 1 << 3
	SyncStepResidual       = 1 << 4
	NTPStateUnknown        = 0xffffffff
	NTPModeBits            = 0x0001 | 0x0002 | 0x0004 | 0x0008 | 0x0080 | 0x1000 | 0x2000 | 0x4000
)

// The kernel's time_state values (<linux/timex.h>) and the STA_* bits the
// clock rules look at.
const (
	timeOK  = 0
	timeIns = 1
	timeDel = 2

	staUnsync   = 0x0040
	staClockErr = 0x1000
)

// Region header byte offsets (struct tsmon_header). Everything before head
// is constant for the lifetime of a mapping.
const (
	hdrMagic        = 0
	hdrABIVersion   = 8
	hdrHeaderSize   = 12
	hdrRegionSize   = 16
	hdrHealthOffset = 20
	hdrHealthSize   = 24
	hdrRingOffset   = 28
	hdrRecordSize   = 32
	hdrRingEntries  = 36
	hdrRingMask     = 40
	hdrInstanceID   = 48
	hdrLoadRealNs   = 56
	hdrLoadMonoNs   = 64
	hdrHead         = 128
)

// PHCSlot is struct tsmon_phc_slot, byte for byte.
type PHCSlot struct {
	Index           uint32   `abi:"index"`
	Flags           uint32   `abi:"flags"`
	Name            [16]byte `abi:"name"` // NUL-padded
	Steps           uint64   `abi:"steps"`
	LastStepMonoNs  uint64   `abi:"last_step_mono_ns"`
	LastStepDeltaNs int64    `abi:"last_step_delta_ns"`
	FreqPPB         int64    `abi:"freq_ppb"`
	FreqUpdates     uint64   `abi:"freq_updates"`
}

// NameString is Name up to its first NUL.
func (s *PHCSlot) NameString() string { return cString(s.Name[:]) }

// Health is struct tsmon_health, byte for byte (fields the ABI documents as
// signed have signed Go types of the same size). See abi.h for each field.
type Health struct {
	// cache line 0: the clock read
	Seq            uint64 `abi:"seq"`
	OffsRealNs     int64  `abi:"offs_real_ns"`
	SyncMonoNs     uint64 `abi:"sync_mono_ns"`
	SyncMaxerrorNs uint64 `abi:"sync_maxerror_ns"`
	SyncIntervalNs uint64 `abi:"sync_interval_ns"`
	DisruptMonoNs  uint64 `abi:"disrupt_mono_ns"`
	DisruptType    uint32 `abi:"disrupt_type"`
	NTPStatus      uint32 `abi:"ntp_status"`
	Hooks          uint32 `abi:"hooks"`
	NTPState       uint32 `abi:"ntp_state"`
	// offset 64
	UpdateMonoNs       uint64             `abi:"update_mono_ns"`
	LeapState          uint32             `abi:"leap_state"`
	TAIOffset          int32              `abi:"tai_offset"`
	LeapRealNs         uint64             `abi:"leap_real_ns"`
	LastStepSeq        uint64             `abi:"last_step_seq"`
	LastStepMonoNs     uint64             `abi:"last_step_mono_ns"`
	LastStepRealNs     uint64             `abi:"last_step_real_ns"`
	LastStepDeltaNs    int64              `abi:"last_step_delta_ns"`
	LastStepReason     uint32             `abi:"last_step_reason"`
	_                  uint32             // __pad0
	Clocksource        [32]byte           `abi:"clocksource"` // NUL-padded
	FreqPPB            int64              `abi:"freq_ppb"`
	TkMult             uint32             `abi:"tk_mult"`
	CSMult             uint32             `abi:"cs_mult"`
	CSShift            uint32             `abi:"cs_shift"`
	_                  uint32             // __pad1
	NTPCaptures        uint64             `abi:"ntp_captures"`
	NTPCaptureMonoNs   uint64             `abi:"ntp_capture_mono_ns"`
	NTPCaptureModes    uint32             `abi:"ntp_capture_modes"`
	NTPConstant        int32              `abi:"ntp_constant"`
	NTPMaxerrorNs      uint64             `abi:"ntp_maxerror_ns"`
	NTPEsterrorNs      uint64             `abi:"ntp_esterror_ns"`
	NTPOffsetNs        int64              `abi:"ntp_offset_ns"`
	NTPFreqPPB         int64              `abi:"ntp_freq_ppb"`
	NTPTickUs          uint32             `abi:"ntp_tick_us"`
	_                  uint32             // __pad2
	NTPSyncs           uint64             `abi:"ntp_syncs"`
	SyncEsterrorNs     uint64             `abi:"sync_esterror_ns"`
	SyncLastIntervalNs uint64             `abi:"sync_last_interval_ns"`
	EventCount         [EventSlots]uint64 `abi:"event_count"`
	PHCCount           uint32             `abi:"phc_count"`
	PHCOverflow        uint32             `abi:"phc_overflow"`
	PHC                [PHCSlots]PHCSlot  `abi:"phc"`
	// VMClock
	VMState                uint32 `abi:"vm_state"`
	VMStateBits            uint32 `abi:"vm_state_bits"`
	VMMarker               uint64 `abi:"vm_marker"`
	VMDisruptions          uint64 `abi:"vm_disruptions"`
	VMDisruptMonoNs        uint64 `abi:"vm_disrupt_mono_ns"`
	VMFlags                uint64 `abi:"vm_flags"`
	VMSeqCount             uint32 `abi:"vm_seq_count"`
	VMTAIOffset            int32  `abi:"vm_tai_offset"`
	VMCounterPeriodShift   uint32 `abi:"vm_counter_period_shift"`
	_                      uint32 // __pad3
	VMGenCounter           uint64 `abi:"vm_gen_counter"`
	VMCounterValue         uint64 `abi:"vm_counter_value"`
	VMCounterPeriodFracSec uint64 `abi:"vm_counter_period_frac_sec"`
	VMTimeSec              uint64 `abi:"vm_time_sec"`
	VMTimeFracSec          uint64 `abi:"vm_time_frac_sec"`
	VMTimeEsterrorNs       uint64 `abi:"vm_time_esterror_ns"`
	VMTimeMaxerrorNs       uint64 `abi:"vm_time_maxerror_ns"`
	// sync error sources
	SyncBudgetNs uint64 `abi:"sync_budget_ns"`
	SyncOffsetNs uint64 `abi:"sync_offset_ns"`
	SyncFlags    uint32 `abi:"sync_flags"`
	_            uint32 // __pad4
	// probe misses
	ProbesMissed    uint64 `abi:"probes_missed"`
	ProbesMissedNTP uint64 `abi:"probes_missed_ntp"`
	NTPLost         uint64 `abi:"ntp_lost"`
	BodySeq         uint64 `abi:"body_seq"`
}

// HealthSize is sizeof(struct tsmon_health) in this version.
const HealthSize = int(unsafe.Sizeof(Health{}))

// Offsets in the health block the read paths use.
const (
	hSeq            = unsafe.Offsetof(Health{}.Seq)
	hOffsRealNs     = unsafe.Offsetof(Health{}.OffsRealNs)
	hSyncMonoNs     = unsafe.Offsetof(Health{}.SyncMonoNs)
	hSyncMaxerrorNs = unsafe.Offsetof(Health{}.SyncMaxerrorNs)
	hSyncIntervalNs = unsafe.Offsetof(Health{}.SyncIntervalNs)
	hDisruptMonoNs  = unsafe.Offsetof(Health{}.DisruptMonoNs)
	hDisruptType    = unsafe.Offsetof(Health{}.DisruptType)
	hNTPStatus      = unsafe.Offsetof(Health{}.NTPStatus)
	hHooks          = unsafe.Offsetof(Health{}.Hooks)
	hNTPState       = unsafe.Offsetof(Health{}.NTPState)
	hLeapState      = unsafe.Offsetof(Health{}.LeapState)
	hLeapRealNs     = unsafe.Offsetof(Health{}.LeapRealNs)
	hBodySeq        = unsafe.Offsetof(Health{}.BodySeq)
)

// Bytes is the block's memory (HealthSize bytes), e.g. for HealthInto.
func (h *Health) Bytes() []byte {
	return unsafe.Slice((*byte)(unsafe.Pointer(h)), HealthSize)
}

// ClocksourceName is Clocksource up to its first NUL.
func (h *Health) ClocksourceName() string { return cString(h.Clocksource[:]) }

// Record is struct tsmon_record, byte for byte: the payload union is kept
// as its 32 bytes, read through the accessor of the record's type.
type Record struct {
	Seq     uint64   `abi:"seq"`
	Type    uint32   `abi:"type"`
	Flags   uint32   `abi:"flags"`
	MonoNs  uint64   `abi:"mono_ns"`
	RealNs  uint64   `abi:"real_ns"`
	Payload [32]byte `abi:"raw"`
}

// RecordSize is sizeof(struct tsmon_record) in this version.
const RecordSize = int(unsafe.Sizeof(Record{}))

// Bytes is the record's memory (RecordSize bytes), e.g. for NextInto.
func (r *Record) Bytes() []byte {
	return unsafe.Slice((*byte)(unsafe.Pointer(r)), RecordSize)
}

// The union members of struct tsmon_record, laid out as in abi.h.

// StepPayload: EventClockStep.
type StepPayload struct {
	DeltaNs int64  `abi:"step.delta_ns"` // new REALTIME - old
	Reason  uint32 `abi:"step.reason"`
	_       uint32
}

// LeapPayload: EventLeapArmed, EventLeapDisarmed.
type LeapPayload struct {
	LeapRealNs uint64 `abi:"leap.leap_real_ns"`
	Direction  uint32 `abi:"leap.direction"`
	_          uint32
}

// LeapAppliedPayload: EventLeapApplied.
type LeapAppliedPayload struct {
	Direction uint32 `abi:"leap_applied.direction"`
	TAIBefore int32  `abi:"leap_applied.tai_before"`
	TAIAfter  int32  `abi:"leap_applied.tai_after"`
	_         uint32
}

// TAIPayload: EventTAIChange.
type TAIPayload struct {
	TAIBefore int32 `abi:"tai.tai_before"`
	TAIAfter  int32 `abi:"tai.tai_after"`
}

// ClocksourcePayload: EventClocksourceChange.
type ClocksourcePayload struct {
	From [16]byte `abi:"cs.from"`
	To   [16]byte `abi:"cs.to"`
}

// ResumePayload: EventResume.
type ResumePayload struct {
	SleepNs uint64 `abi:"resume.sleep_ns"`
}

// NTPPayload: EventNTPSync, EventNTPUnsync.
type NTPPayload struct {
	Status     uint32 `abi:"ntp.status"`
	_          uint32
	MaxerrorNs uint64 `abi:"ntp.maxerror_ns"`
	EsterrorNs uint64 `abi:"ntp.esterror_ns"`
}

// NTPModePayload: EventNTPMode.
type NTPModePayload struct {
	StatusBefore uint32 `abi:"ntp_mode.status_before"`
	StatusAfter  uint32 `abi:"ntp_mode.status_after"`
}

// NTPStatePayload: EventNTPState.
type NTPStatePayload struct {
	StateBefore uint32 `abi:"ntp_state.state_before"`
	StateAfter  uint32 `abi:"ntp_state.state_after"`
}

// PHCStepPayload: EventPHCStep.
type PHCStepPayload struct {
	Index   uint32 `abi:"phc_step.index"`
	How     uint32 `abi:"phc_step.how"`
	DeltaNs int64  `abi:"phc_step.delta_ns"`
	TimeNs  uint64 `abi:"phc_step.time_ns"`
}

// PHCFreqPayload: EventPHCFreq.
type PHCFreqPayload struct {
	Index      uint32 `abi:"phc_freq.index"`
	_          uint32
	FreqPPB    int64  `abi:"phc_freq.freq_ppb"`
	ScaledPPM  int64  `abi:"phc_freq.scaled_ppm"`
	Suppressed uint64 `abi:"phc_freq.suppressed"`
}

// PHCPhasePayload: EventPHCPhase.
type PHCPhasePayload struct {
	Index    uint32 `abi:"phc_phase.index"`
	_        uint32
	OffsetNs int64 `abi:"phc_phase.offset_ns"`
}

// PHCExttsPayload: EventPHCExtts, EventPHCPPS.
type PHCExttsPayload struct {
	Index       uint32 `abi:"phc_extts.index"`
	Channel     uint32 `abi:"phc_extts.channel"`
	TimestampNs uint64 `abi:"phc_extts.timestamp_ns"`
	Flags       uint32 `abi:"phc_extts.flags"`
	_           uint32
}

// PHCPayload: EventPHCAdd, EventPHCRemove.
type PHCPayload struct {
	Index uint32   `abi:"phc.index"`
	Flags uint32   `abi:"phc.flags"`
	Name  [16]byte `abi:"phc.name"`
}

// VMPayload: EventVMDisruption.
type VMPayload struct {
	MarkerBefore uint64 `abi:"vm.marker_before"`
	MarkerAfter  uint64 `abi:"vm.marker_after"`
	Flags        uint32 `abi:"vm.flags"`
	State        uint32 `abi:"vm.state"`
}

// LostPayload: EventLost.
type LostPayload struct {
	Count uint64 `abi:"lost.count"`
}

// The accessors read the payload as the given member whatever Type says,
// as the C union does; check Type first.
func (r Record) Step() StepPayload     { return *(*StepPayload)(unsafe.Pointer(&r.Payload)) }
func (r Record) Leap() LeapPayload     { return *(*LeapPayload)(unsafe.Pointer(&r.Payload)) }
func (r Record) TAI() TAIPayload       { return *(*TAIPayload)(unsafe.Pointer(&r.Payload)) }
func (r Record) Resume() ResumePayload { return *(*ResumePayload)(unsafe.Pointer(&r.Payload)) }
func (r Record) NTP() NTPPayload       { return *(*NTPPayload)(unsafe.Pointer(&r.Payload)) }
func (r Record) PHC() PHCPayload       { return *(*PHCPayload)(unsafe.Pointer(&r.Payload)) }
func (r Record) VM() VMPayload         { return *(*VMPayload)(unsafe.Pointer(&r.Payload)) }
func (r Record) Lost() LostPayload     { return *(*LostPayload)(unsafe.Pointer(&r.Payload)) }
func (r Record) LeapApplied() LeapAppliedPayload {
	return *(*LeapAppliedPayload)(unsafe.Pointer(&r.Payload))
}
func (r Record) Clocksource() ClocksourcePayload {
	return *(*ClocksourcePayload)(unsafe.Pointer(&r.Payload))
}
func (r Record) NTPMode() NTPModePayload {
	return *(*NTPModePayload)(unsafe.Pointer(&r.Payload))
}
func (r Record) NTPState() NTPStatePayload {
	return *(*NTPStatePayload)(unsafe.Pointer(&r.Payload))
}
func (r Record) PHCStep() PHCStepPayload {
	return *(*PHCStepPayload)(unsafe.Pointer(&r.Payload))
}
func (r Record) PHCFreq() PHCFreqPayload {
	return *(*PHCFreqPayload)(unsafe.Pointer(&r.Payload))
}
func (r Record) PHCPhase() PHCPhasePayload {
	return *(*PHCPhasePayload)(unsafe.Pointer(&r.Payload))
}
func (r Record) PHCExtts() PHCExttsPayload {
	return *(*PHCExttsPayload)(unsafe.Pointer(&r.Payload))
}

// Raw is the payload as the union's raw[4].
func (r Record) Raw() [4]uint64 { return *(*[4]uint64)(unsafe.Pointer(&r.Payload)) }

// Info is struct tsmon_info: layout facts of an open region.
type Info struct {
	ABIVersion  uint32 `abi:"abi_version"`
	HeaderSize  uint32 `abi:"header_size"`
	HealthSize  uint32 `abi:"health_size"`
	RecordSize  uint32 `abi:"record_size"`
	RingEntries uint32 `abi:"ring_entries"`
	RegionSize  uint32 `abi:"region_size"`
	InstanceID  uint64 `abi:"instance_id"`
	LoadRealNs  uint64 `abi:"load_real_ns"`
	LoadMonoNs  uint64 `abi:"load_mono_ns"` // the module's CLOCK_MONOTONIC
	// The caller's CLOCK_MONOTONIC minus the module's (time namespace).
	TimensMonoOffsetNs int64  `abi:"timens_mono_offset_ns"`
	Flags              uint32 `abi:"flags"` // InfoTimensUnknown
	_                  uint32
}

// InfoTimensUnknown: /proc/self/timens_offsets was unreadable (no /proc),
// the offset is assumed 0.
const InfoTimensUnknown = 1 << 0

// Whence says where a new cursor starts.
type Whence int

const (
	FromOldest Whence = 0 // oldest record still in the ring
	FromNow    Whence = 1 // the next record to be published
	FromSeq    Whence = 2 // a given sequence number
)

// Cursor is a reader's position in the ring (struct tsmon_cursor), made by
// CursorInit. The zero Cursor is invalid (Next gives EINVAL). Used with
// another module instance it gives ESTALE. A cursor belongs to one
// goroutine at a time.
type Cursor struct {
	next       uint64
	instanceID uint64
	_          [2]uint64
}

// NextSeq is the sequence number of the next record the cursor wants.
func (c *Cursor) NextSeq() uint64 { return c.next }

// InstanceID is the module instance the cursor was made for.
func (c *Cursor) InstanceID() uint64 { return c.instanceID }

// CursorSize is the size of a marshalled Cursor: struct tsmon_cursor.
const CursorSize = 32

// MarshalBinary gives the cursor as struct tsmon_cursor, to be stored and
// restored with UnmarshalBinary (after a restart, say: ESTALE then tells
// that the module was reloaded meanwhile).
func (c *Cursor) MarshalBinary() ([]byte, error) {
	b := make([]byte, CursorSize)
	copy(b, unsafe.Slice((*byte)(unsafe.Pointer(c)), CursorSize))
	return b, nil
}

// UnmarshalBinary restores a cursor MarshalBinary (or libtsmon) stored.
func (c *Cursor) UnmarshalBinary(b []byte) error {
	if len(b) != CursorSize {
		return errInval
	}
	copy(unsafe.Slice((*byte)(unsafe.Pointer(c)), CursorSize), b)
	return nil
}

// Clock read status (Time.Status): the states AWS ClockBound defines.
const (
	ClockUnknown      = 0 // no NTP state seen, or hook missing
	ClockSynchronized = 1
	ClockFreeRunning  = 2 // unsynchronised or sync updates stale
	ClockDisrupted    = 3 // within the cooldown after a disruption, or no sync update since it
)

// Time.Flags: why the status is what it is.
const (
	TimeNoHook    = 1 << 0 // NTP hook not attached
	TimeNoCapture = 1 << 1 // no adjtimex call seen yet
	TimeNoSync    = 1 << 2 // no sync update seen yet
	TimeUnsync    = 1 << 3 // STA_UNSYNC or STA_CLOCKERR set
	TimeStale     = 1 << 4 // last sync update too old
	TimeCooldown  = 1 << 5 // disruption within the cooldown
	TimeUnbounded = 1 << 6 // no bound known: BoundNs = MaxUint64
	TimeHeld      = 1 << 7 // ForwardNow held time still
	TimeNoError   = 1 << 8 // the sync source asserted no error, no budget declared
	TimeLeapEdge  = 1 << 9 // past a pending leap second's instant, before the tick that applies it
)

// Time is struct tsmon_time: a bounded read of CLOCK_REALTIME.
type Time struct {
	RealNs     uint64 `abi:"real_ns"`
	MonoNs     uint64 `abi:"mono_ns"`     // the CLOCK_MONOTONIC it was derived from
	EarliestNs uint64 `abi:"earliest_ns"` // RealNs - BoundNs, 0 if that underflows
	LatestNs   uint64 `abi:"latest_ns"`   // RealNs + BoundNs, MaxUint64 if unbounded
	BoundNs    uint64 `abi:"bound_ns"`    // MaxUint64 when no bound is known
	SyncAgeNs  uint64 `abi:"sync_age_ns"` // since the last sync update, MaxUint64 if none
	HeldNs     uint64 `abi:"held_ns"`     // ForwardNow: how far RealNs is ahead
	Status     uint32 `abi:"status"`
	Flags      uint32 `abi:"flags"`
}

// Forward is the state of a forward-only clock (struct tsmon_forward); the
// zero value is ready. One state may be shared by any number of goroutines
// (and, laid out as in C, by processes in shared memory).
type Forward struct {
	lastNs uint64
	_      [3]uint64
}

// LastNs is the largest time handed out through f.
func (f *Forward) LastNs() uint64 { return loadU64(&f.lastNs) }

// Clock model defaults and limits (include/tsmon/tsmon.h).
const (
	DriftDefaultPPB    = 50000      // 50 ppm
	DriftKernelPPB     = 500000     // the kernel's maxerror rule
	CooldownDefaultNs  = 5000000000 // 5 s
	StaleFactorDefault = 4
	StaleUnknownNs     = 2048000000000 // no interval known yet
	DriftMaxPPB        = 1000000000    // 100 %
	SpinLimitDefaultNs = 200000        // 200 us
	nsecPerSec         = 1000000000
)

func cString(b []byte) string {
	for i, c := range b {
		if c == 0 {
			return string(b[:i])
		}
	}
	return string(b)
}
