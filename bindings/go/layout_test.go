// SPDX-License-Identifier: LGPL-2.1-or-later

package tsmon

// The Go structures and constants against the C headers: the layout from
// lib/abi_layout.c (static assertions against the headers, compiled into
// every libtsmon build), the constants from the headers themselves.

import (
	"os"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"unsafe"
)

func srcFile(t *testing.T, env, rel string) string {
	p := os.Getenv(env)
	if p == "" {
		p = rel
	}
	b, err := os.ReadFile(p)
	if err != nil {
		t.Skipf("%s: %v (set %s)", p, err, env)
	}
	return string(b)
}

type cField struct{ off, size uintptr }

// goFields: the abi-tagged fields of v's type at base, by tag.
func goFields(m map[string]cField, v interface{}, base uintptr) {
	typ := reflect.TypeOf(v)
	for i := 0; i < typ.NumField(); i++ {
		f := typ.Field(i)
		if tag := f.Tag.Get("abi"); tag != "" {
			m[tag] = cField{base + f.Offset, f.Type.Size()}
		}
	}
}

func TestLayout(t *testing.T) {
	src := srcFile(t, "TSMON_ABI_LAYOUT", "../../lib/abi_layout.c")
	sizeRe := regexp.MustCompile(`(?m)^SIZE\((\w+), (\d+)\);`)
	fieldRe := regexp.MustCompile(`(?m)^FIELD\((\w+), ([\w.]+), (\d+), (\d+)\);`)
	num := func(s string) uintptr { n, _ := strconv.ParseUint(s, 10, 64); return uintptr(n) }

	sizes := map[string]uintptr{
		"tsmon_header":   HeaderSizeV1,
		"tsmon_health":   unsafe.Sizeof(Health{}),
		"tsmon_record":   unsafe.Sizeof(Record{}),
		"tsmon_phc_slot": unsafe.Sizeof(PHCSlot{}),
		"tsmon_info":     unsafe.Sizeof(Info{}),
		"tsmon_cursor":   unsafe.Sizeof(Cursor{}),
		"tsmon_time":     unsafe.Sizeof(Time{}),
		"tsmon_forward":  unsafe.Sizeof(Forward{}),
	}
	checked := 0
	for _, m := range sizeRe.FindAllStringSubmatch(src, -1) {
		if want, ok := sizes[m[1]]; ok {
			if want != num(m[2]) {
				t.Errorf("sizeof %s: Go %d, C %s", m[1], want, m[2])
			}
			checked++
		}
	}
	if checked != len(sizes) {
		t.Errorf("%d of %d structure sizes found", checked, len(sizes))
	}

	fields := map[string]map[string]cField{
		"tsmon_header": {
			"magic": {hdrMagic, 8}, "abi_version": {hdrABIVersion, 4},
			"header_size": {hdrHeaderSize, 4}, "region_size": {hdrRegionSize, 4},
			"health_offset": {hdrHealthOffset, 4}, "health_size": {hdrHealthSize, 4},
			"ring_offset": {hdrRingOffset, 4}, "record_size": {hdrRecordSize, 4},
			"ring_entries": {hdrRingEntries, 4}, "ring_mask": {hdrRingMask, 4},
			"instance_id": {hdrInstanceID, 8}, "load_real_ns": {hdrLoadRealNs, 8},
			"load_mono_ns": {hdrLoadMonoNs, 8}, "head": {hdrHead, 8},
		},
		"tsmon_cursor": {
			"next":        {unsafe.Offsetof(Cursor{}.next), 8},
			"instance_id": {unsafe.Offsetof(Cursor{}.instanceID), 8},
		},
		"tsmon_forward": {"last_ns": {unsafe.Offsetof(Forward{}.lastNs), 8}},
	}
	add := func(s string, v interface{}, base uintptr) {
		if fields[s] == nil {
			fields[s] = map[string]cField{}
		}
		goFields(fields[s], v, base)
	}
	add("tsmon_health", Health{}, 0)
	add("tsmon_phc_slot", PHCSlot{}, 0)
	add("tsmon_info", Info{}, 0)
	add("tsmon_time", Time{}, 0)
	add("tsmon_record", Record{}, 0)
	for _, p := range []interface{}{StepPayload{}, LeapPayload{}, LeapAppliedPayload{},
		TAIPayload{}, ClocksourcePayload{}, ResumePayload{}, NTPPayload{},
		NTPModePayload{}, NTPStatePayload{}, PHCStepPayload{}, PHCFreqPayload{},
		PHCPhasePayload{}, PHCExttsPayload{}, PHCPayload{}, VMPayload{}, LostPayload{}} {
		if reflect.TypeOf(p).Size() > 32 {
			t.Errorf("%T is larger than the union", p)
		}
		add("tsmon_record", p, unsafe.Offsetof(Record{}.Payload))
	}

	seen := map[string]bool{}
	for _, m := range fieldRe.FindAllStringSubmatch(src, -1) {
		s, name := m[1], m[2]
		want := cField{num(m[3]), num(m[4])}
		gf, ok := fields[s]
		if !ok {
			continue // a structure the Go package has no counterpart of
		}
		if strings.Contains(name, "__pad") || strings.Contains(name, "__reserved") {
			continue
		}
		got, ok := gf[name]
		if !ok {
			t.Errorf("%s.%s (offset %d): no Go field", s, name, want.off)
			continue
		}
		if got != want {
			t.Errorf("%s.%s: Go offset %d size %d, C %d %d", s, name, got.off, got.size, want.off, want.size)
		}
		seen[s+"."+name] = true
	}
	for s, gf := range fields {
		for name := range gf {
			if !seen[s+"."+name] {
				t.Errorf("Go field %s.%s not in the C layout", s, name)
			}
		}
	}
	if len(seen) < 150 {
		t.Errorf("only %d fields compared", len(seen))
	}
}

// cValue evaluates a constant expression as the headers write them:
// numbers with U/L suffixes, parentheses, <<, |, -.
func cValue(expr string) (uint64, bool) {
	toks := regexp.MustCompile(`0[xX][0-9a-fA-F]+[uUlL]*|\d+[uUlL]*|<<|[()|-]`).FindAllString(expr, -1)
	if strings.Join(toks, "") != strings.Join(strings.Fields(expr), "") {
		return 0, false
	}
	pos := 0
	var or func() (uint64, bool)
	prim := func() (uint64, bool) {
		if pos >= len(toks) {
			return 0, false
		}
		tok := toks[pos]
		pos++
		switch tok {
		case "(":
			v, ok := or()
			if !ok || pos >= len(toks) || toks[pos] != ")" {
				return 0, false
			}
			pos++
			return v, true
		case "-":
			return 0, false
		}
		v, err := strconv.ParseUint(strings.TrimRight(tok, "uUlL"), 0, 64)
		return v, err == nil
	}
	shift := func() (uint64, bool) {
		v, ok := prim()
		for ok && pos < len(toks) && toks[pos] == "<<" {
			pos++
			var n uint64
			n, ok = prim()
			v <<= n
		}
		return v, ok
	}
	or = func() (uint64, bool) {
		v, ok := shift()
		for ok && pos < len(toks) && toks[pos] == "|" {
			pos++
			var w uint64
			w, ok = shift()
			v |= w
		}
		return v, ok
	}
	v, ok := or()
	return v, ok && pos == len(toks)
}

func TestConstants(t *testing.T) {
	src := srcFile(t, "TSMON_ABI_H", "../../include/uapi/tsmon/abi.h") +
		srcFile(t, "TSMON_H", "../../include/tsmon/tsmon.h")
	// Join continued lines, drop comments.
	src = strings.ReplaceAll(src, "\\\n", " ")
	src = regexp.MustCompile(`(?s)/\*.*?\*/`).ReplaceAllString(src, " ")
	c := map[string]uint64{}
	for _, m := range regexp.MustCompile(`(?m)^#define\s+(TSMON_\w+)\s+(.+)$`).FindAllStringSubmatch(src, -1) {
		if v, ok := cValue(m[2]); ok {
			c[m[1]] = v
		}
	}
	for _, m := range regexp.MustCompile(`(?m)^\s+(TSMON_\w+)\s*=\s*([^,\n]+),?`).FindAllStringSubmatch(src, -1) {
		if v, ok := cValue(m[2]); ok {
			c[m[1]] = v
		}
	}
	goc := map[string]uint64{
		"TSMON_MAGIC": Magic, "TSMON_ABI_VERSION": ABIVersion,
		"TSMON_NAME_WORDS": NameWords, "TSMON_CS_NAME_WORDS": CSNameWords,
		"TSMON_HEALTH_CLOCK_LINE": HealthClockLine, "TSMON_HEADER_SIZE_V1": HeaderSizeV1,
		"TSMON_HEALTH_OFFSET_V1": HealthOffsetV1, "TSMON_RING_OFFSET_V1": RingOffsetV1,
		"TSMON_RECORD_SIZE_V1": RecordSizeV1, "TSMON_EVENT_SLOTS": EventSlots,
		"TSMON_PHC_SLOTS":  PHCSlots,
		"TSMON_EVENT_NONE": EventNone, "TSMON_EVENT_CLOCK_STEP": EventClockStep,
		"TSMON_EVENT_LEAP_ARMED": EventLeapArmed, "TSMON_EVENT_LEAP_DISARMED": EventLeapDisarmed,
		"TSMON_EVENT_LEAP_APPLIED": EventLeapApplied, "TSMON_EVENT_TAI_CHANGE": EventTAIChange,
		"TSMON_EVENT_CLOCKSOURCE_CHANGE": EventClocksourceChange, "TSMON_EVENT_RESUME": EventResume,
		"TSMON_EVENT_LOST": EventLost, "TSMON_EVENT_NTP_SYNC": EventNTPSync,
		"TSMON_EVENT_NTP_UNSYNC": EventNTPUnsync, "TSMON_EVENT_NTP_MODE": EventNTPMode,
		"TSMON_EVENT_NTP_STATE": EventNTPState, "TSMON_EVENT_PHC_STEP": EventPHCStep,
		"TSMON_EVENT_PHC_FREQ": EventPHCFreq, "TSMON_EVENT_PHC_PHASE": EventPHCPhase,
		"TSMON_EVENT_PHC_EXTTS": EventPHCExtts, "TSMON_EVENT_PHC_PPS": EventPHCPPS,
		"TSMON_EVENT_PHC_ADD": EventPHCAdd, "TSMON_EVENT_PHC_REMOVE": EventPHCRemove,
		"TSMON_EVENT_VM_DISRUPTION": EventVMDisruption,
		"TSMON_LEAP_INSERT":         LeapInsert, "TSMON_LEAP_DELETE": LeapDelete,
		"TSMON_LEAP_NONE": LeapNone, "TSMON_LEAP_INSERT_PENDING": LeapInsertPending,
		"TSMON_LEAP_DELETE_PENDING": LeapDeletePending,
		"TSMON_STEP_UNKNOWN":        StepUnknown, "TSMON_STEP_SETTIME": StepSettime,
		"TSMON_STEP_SETOFFSET":  StepSetoffset,
		"TSMON_HOOK_TIMEKEEPER": HookTimekeeper, "TSMON_HOOK_ADJTIMEX": HookAdjtimex,
		"TSMON_HOOK_SETTIME": HookSettime, "TSMON_HOOK_PHC_ADJ": HookPHCAdj,
		"TSMON_HOOK_PHC_EVENT": HookPHCEvent, "TSMON_HOOK_PHC_LIFE": HookPHCLife,
		"TSMON_PHC_SETTIME": PHCSettime, "TSMON_PHC_SETOFFSET": PHCSetoffset,
		"TSMON_EXTTS_OFFSET": ExttsOffset, "TSMON_PHC_AT_LOAD": PHCAtLoad,
		"TSMON_VM_NONE": VMNone, "TSMON_VM_ACTIVE": VMActive, "TSMON_VM_INVALID": VMInvalid,
		"TSMON_VM_DISABLED": VMDisabled, "TSMON_VM_COUNTER_NONE": VMCounterNone,
		"TSMON_VMCLOCK_TAI_OFFSET_VALID":       VMClockTAIOffsetValid,
		"TSMON_VMCLOCK_DISRUPTION_SOON":        VMClockDisruptionSoon,
		"TSMON_VMCLOCK_DISRUPTION_IMMINENT":    VMClockDisruptionImminent,
		"TSMON_VMCLOCK_TIME_MAXERROR_VALID":    VMClockTimeMaxerrorValid,
		"TSMON_VMCLOCK_VM_GEN_COUNTER_PRESENT": VMClockVMGenCounterPresent,
		"TSMON_SYNC_ERROR_UNKNOWN":             SyncErrorUnknown,
		"TSMON_SYNC_MAXERROR_ROUNDING_NS":      SyncMaxerrorRoundingNs,
		"TSMON_SYNC_ZERO_MAXERROR":             SyncZeroMaxerror, "TSMON_SYNC_BUDGET": SyncBudget,
		"TSMON_SYNC_PLL_OFFSET": SyncPLLOffset, "TSMON_SYNC_SETTLING": SyncSettling,
		"TSMON_SYNC_STEP_RESIDUAL": SyncStepResidual,
		"TSMON_NTP_STATE_UNKNOWN":  NTPStateUnknown, "TSMON_NTP_MODE_BITS": NTPModeBits,
		"TSMON_INFO_TIMENS_UNKNOWN": InfoTimensUnknown,
		"TSMON_FROM_OLDEST":         uint64(FromOldest), "TSMON_FROM_NOW": uint64(FromNow),
		"TSMON_FROM_SEQ":      uint64(FromSeq),
		"TSMON_CLOCK_UNKNOWN": ClockUnknown, "TSMON_CLOCK_SYNCHRONIZED": ClockSynchronized,
		"TSMON_CLOCK_FREE_RUNNING": ClockFreeRunning, "TSMON_CLOCK_DISRUPTED": ClockDisrupted,
		"TSMON_TIME_NO_HOOK": TimeNoHook, "TSMON_TIME_NO_CAPTURE": TimeNoCapture,
		"TSMON_TIME_NO_SYNC": TimeNoSync, "TSMON_TIME_UNSYNC": TimeUnsync,
		"TSMON_TIME_STALE": TimeStale, "TSMON_TIME_COOLDOWN": TimeCooldown,
		"TSMON_TIME_UNBOUNDED": TimeUnbounded, "TSMON_TIME_HELD": TimeHeld,
		"TSMON_TIME_NO_ERROR": TimeNoError, "TSMON_TIME_LEAP_EDGE": TimeLeapEdge,
		"TSMON_DRIFT_DEFAULT_PPB": DriftDefaultPPB, "TSMON_DRIFT_KERNEL_PPB": DriftKernelPPB,
		"TSMON_COOLDOWN_DEFAULT_NS": CooldownDefaultNs, "TSMON_STALE_FACTOR_DEFAULT": StaleFactorDefault,
		"TSMON_STALE_UNKNOWN_NS": StaleUnknownNs, "TSMON_DRIFT_MAX_PPB": DriftMaxPPB,
		"TSMON_SPIN_LIMIT_DEFAULT_NS": SpinLimitDefaultNs,
	}
	for name, want := range goc {
		got, ok := c[name]
		if !ok {
			t.Errorf("%s: not found in the headers", name)
		} else if got != want {
			t.Errorf("%s: C %#x, Go %#x", name, got, want)
		}
	}
	// Event types count up from the enum's first member.
	if c["TSMON_EVENT_TYPE_COUNT"] != 0 {
		t.Errorf("TSMON_EVENT_TYPE_COUNT has a value in the header now")
	}
	if n := strings.Count(src, "TSMON_EVENT_") - strings.Count(src, "TSMON_EVENT_SLOTS"); n == 0 {
		t.Error("no event types parsed")
	}
	// Every TSMON_ constant of the headers has a Go counterpart, except
	// these (the device API, versions, what the package does not mirror).
	skip := regexp.MustCompile(`^TSMON_(IOC_|WAITER_|VERSION|TSMON_H|NAMES_H|EVENT_TYPE_COUNT$)|_H$`)
	for name := range c {
		if _, ok := goc[name]; !ok && !skip.MatchString(name) {
			t.Errorf("%s = %#x: no Go counterpart", name, c[name])
		}
	}
	if len(typeNames) != EventTypeCount {
		t.Error("typeNames")
	}
}
