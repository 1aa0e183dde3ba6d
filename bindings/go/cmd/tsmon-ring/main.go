// SPDX-License-Identifier: GPL-2.0-only

// tsmon-ring prints every record of a tsmon region from the oldest, one
// JSON object per line, with the keys, key order and value formatting of
// `tsmon ring --json` (tools/cmd_ring.c, tools/print.c, tools/json.c).
//
//	tsmon-ring [PATH]
package main

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"syscall"

	"tsmon"
)

// What a field is and how print.c writes it in JSON.
type kind int

const (
	fS64       kind = iota // signed 64-bit at off
	fU64                   // unsigned 64-bit at off
	fU32                   // unsigned 32-bit at off
	fS32Pair               // signed 32-bit at off, off2
	fU64Pair               // unsigned 64-bit at off, off2
	fS64Pair               // signed 64-bit at off, off2
	fReason                // enum tsmon_step_reason
	fDirection             // enum tsmon_leap_direction
	fNamePair              // char[16] at off, off2
	fSTA                   // STA_* bits: the number, then the names under names
	fSTAPair               // both numbers, then both name arrays
	fStatePair             // time_state names
	fPHCHow                // enum tsmon_phc_step_how
	fExtts                 // timestamp (signed if an offset) and "offset"
	fName                  // char[16]
	fFlag                  // bool: u32 at off & mask
	fByte                  // enum name of a byte of the u32 at off, else its number
)

type field struct {
	kind      kind
	key, key2 string
	off, off2 uintptr
	names     string
	names2    string
	mask      uint32
	shift     uint
	enums     []string // fByte: "" for an unnamed value
	cond      bool     // meaningful only if the u32 at ifOff is ifVal
	ifOff     uintptr
	ifVal     uint32
}

// Payload offsets in struct tsmon_record: the union starts at 32.
const p = 32

var leapFields = []field{
	{kind: fU64, key: "leap_real_ns", off: p},
	{kind: fDirection, key: "direction", off: p + 8},
}

var ntpSyncFields = []field{
	{kind: fSTA, key: "status", off: p, names: "status_flags"},
	{kind: fU64, key: "maxerror_ns", off: p + 8},
	{kind: fU64, key: "esterror_ns", off: p + 16},
}

var phcFields = []field{
	{kind: fU32, key: "index", off: p},
	{kind: fName, key: "name", off: p + 8},
	{kind: fFlag, key: "at_load", off: p + 4, mask: tsmon.PHCAtLoad},
}

var vmCounters = func() []string {
	v := make([]string, 256)
	v[0], v[1], v[tsmon.VMCounterNone] = "arm_vcnt", "tsc", "none"
	return v
}()

var eventFields = [][]field{
	tsmon.EventClockStep: {
		{kind: fS64, key: "delta_ns", off: p},
		{kind: fReason, key: "reason", off: p + 8},
	},
	tsmon.EventLeapArmed:    leapFields,
	tsmon.EventLeapDisarmed: leapFields,
	tsmon.EventLeapApplied: {
		{kind: fDirection, key: "direction", off: p},
		{kind: fS32Pair, key: "tai_before", key2: "tai_after", off: p + 4, off2: p + 8},
	},
	tsmon.EventTAIChange: {
		{kind: fS32Pair, key: "tai_before", key2: "tai_after", off: p, off2: p + 4},
	},
	tsmon.EventClocksourceChange: {
		{kind: fNamePair, key: "from", key2: "to", off: p, off2: p + 16},
	},
	tsmon.EventResume: {
		{kind: fU64, key: "sleep_ns", off: p},
	},
	tsmon.EventLost: {
		{kind: fU64, key: "count", off: p},
	},
	tsmon.EventNTPSync:   ntpSyncFields,
	tsmon.EventNTPUnsync: ntpSyncFields,
	tsmon.EventNTPMode: {
		{kind: fSTAPair, key: "status_before", key2: "status_after", off: p, off2: p + 4,
			names: "flags_before", names2: "flags_after"},
	},
	tsmon.EventNTPState: {
		{kind: fStatePair, key: "state_before", key2: "state_after", off: p, off2: p + 4},
	},
	tsmon.EventPHCStep: {
		{kind: fU32, key: "index", off: p},
		{kind: fPHCHow, key: "how", off: p + 4},
		{kind: fS64, key: "delta_ns", off: p + 8, cond: true, ifOff: p + 4, ifVal: tsmon.PHCSetoffset},
		{kind: fU64, key: "time_ns", off: p + 16, cond: true, ifOff: p + 4, ifVal: tsmon.PHCSettime},
	},
	tsmon.EventPHCFreq: {
		{kind: fU32, key: "index", off: p},
		{kind: fS64Pair, key: "freq_ppb", key2: "scaled_ppm", off: p + 8, off2: p + 16},
		{kind: fU64, key: "suppressed", off: p + 24},
	},
	tsmon.EventPHCPhase: {
		{kind: fU32, key: "index", off: p},
		{kind: fS64, key: "offset_ns", off: p + 8},
	},
	tsmon.EventPHCExtts: {
		{kind: fU32, key: "index", off: p},
		{kind: fU32, key: "channel", off: p + 4},
		{kind: fExtts, key: "timestamp_ns", key2: "offset", off: p + 8, off2: p + 16},
	},
	tsmon.EventPHCPPS: {
		{kind: fU32, key: "index", off: p},
	},
	tsmon.EventPHCAdd:    phcFields,
	tsmon.EventPHCRemove: phcFields,
	tsmon.EventVMDisruption: {
		{kind: fU64Pair, key: "marker_before", key2: "marker_after", off: p, off2: p + 8},
		{kind: fByte, key: "clock_status", off: p + 20, shift: 0,
			enums: []string{"unknown", "initializing", "synchronized", "free_running", "unreliable"}},
		{kind: fByte, key: "counter", off: p + 20, shift: 8, enums: vmCounters},
		{kind: fByte, key: "time_type", off: p + 20, shift: 16,
			enums: []string{"utc", "tai", "monotonic"}},
		{kind: fByte, key: "leap_indicator", off: p + 20, shift: 24,
			enums: []string{"none", "pre_pos", "pre_neg", "pos", "post_pos", "post_neg"}},
		{kind: fU32, key: "flags", off: p + 16},
		{kind: fFlag, key: "disruption_soon", off: p + 16, mask: tsmon.VMClockDisruptionSoon},
		{kind: fFlag, key: "disruption_imminent", off: p + 16, mask: tsmon.VMClockDisruptionImminent},
	},
}

var stepReasons = []string{"unknown", "settime", "setoffset"}
var leapDirections = []string{"", "insert", "delete"}
var phcHows = []string{"", "settime", "setoffset"}
var ntpStates = []string{"ok", "ins", "del", "oop", "wait"}

// STA_* names, by bit number (<linux/timex.h>).
var staNames = []string{"PLL", "PPSFREQ", "PPSTIME", "FLL", "INS", "DEL",
	"UNSYNC", "FREQHOLD", "PPSSIGNAL", "PPSJITTER", "PPSWANDER", "PPSERROR",
	"CLOCKERR", "NANO", "MODE", "CLK"}

func name(names []string, v uint32) string {
	if int64(v) < int64(len(names)) && names[v] != "" {
		return names[v]
	}
	return "unknown"
}

// A JSON object on one line, as tools/json.c writes it.
type obj struct {
	b   []byte
	sep bool
}

// str is json_put_string(): everything outside printable ASCII escaped,
// a byte >= 0x80 as the code point of the same value.
func (o *obj) str(s []byte) {
	o.b = append(o.b, '"')
	for _, c := range s {
		switch {
		case c == '"':
			o.b = append(o.b, '\\', '"')
		case c == '\\':
			o.b = append(o.b, '\\', '\\')
		case c == '\n':
			o.b = append(o.b, '\\', 'n')
		case c == '\t':
			o.b = append(o.b, '\\', 't')
		case c < 0x20 || c >= 0x7f:
			o.b = append(o.b, fmt.Sprintf("\\u%04x", c)...)
		default:
			o.b = append(o.b, c)
		}
	}
	o.b = append(o.b, '"')
}

func (o *obj) key(k string) {
	if o.sep {
		o.b = append(o.b, ',')
	}
	o.sep = true
	if k != "" {
		o.str([]byte(k))
		o.b = append(o.b, ':')
	}
}

func (o *obj) u64(k string, v uint64)    { o.key(k); o.b = strconv.AppendUint(o.b, v, 10) }
func (o *obj) s64(k string, v int64)     { o.key(k); o.b = strconv.AppendInt(o.b, v, 10) }
func (o *obj) string(k string, v string) { o.key(k); o.str([]byte(v)) }
func (o *obj) null(k string)             { o.key(k); o.b = append(o.b, "null"...) }
func (o *obj) bool(k string, v bool)     { o.key(k); o.b = strconv.AppendBool(o.b, v) }

// bits is print_bits() in JSON: the names of the set bits, "bitN" for
// bits without one.
func (o *obj) bits(k string, v uint64) {
	o.key(k)
	o.b = append(o.b, '[')
	first := true
	for bit := 0; bit < 64; bit++ {
		if v&(1<<bit) == 0 {
			continue
		}
		if !first {
			o.b = append(o.b, ',')
		}
		first = false
		if bit < len(staNames) {
			o.str([]byte(staNames[bit]))
		} else {
			o.str([]byte("bit" + strconv.Itoa(bit)))
		}
	}
	o.b = append(o.b, ']')
}

// cName is name_copy() of a char[16]: up to the first NUL.
func cName(b []byte) []byte {
	for i, c := range b {
		if c == 0 {
			return b[:i]
		}
	}
	return b
}

func printField(o *obj, fd *field, raw []byte) {
	u32 := func(off uintptr) uint32 { return nativeU32(raw[off:]) }
	u64 := func(off uintptr) uint64 { return nativeU64(raw[off:]) }

	if fd.cond && u32(fd.ifOff) != fd.ifVal {
		o.null(fd.key)
		return
	}
	switch fd.kind {
	case fS64:
		o.s64(fd.key, int64(u64(fd.off)))
	case fU64:
		o.u64(fd.key, u64(fd.off))
	case fU32:
		o.u64(fd.key, uint64(u32(fd.off)))
	case fS32Pair:
		o.s64(fd.key, int64(int32(u32(fd.off))))
		o.s64(fd.key2, int64(int32(u32(fd.off2))))
	case fU64Pair:
		o.u64(fd.key, u64(fd.off))
		o.u64(fd.key2, u64(fd.off2))
	case fS64Pair:
		o.s64(fd.key, int64(u64(fd.off)))
		o.s64(fd.key2, int64(u64(fd.off2)))
	case fReason:
		o.string(fd.key, name(stepReasons, u32(fd.off)))
	case fDirection:
		o.string(fd.key, name(leapDirections, u32(fd.off)))
	case fNamePair:
		o.key(fd.key)
		o.str(cName(raw[fd.off : fd.off+16]))
		o.key(fd.key2)
		o.str(cName(raw[fd.off2 : fd.off2+16]))
	case fSTA:
		o.u64(fd.key, uint64(u32(fd.off)))
		o.bits(fd.names, uint64(u32(fd.off)))
	case fSTAPair:
		o.u64(fd.key, uint64(u32(fd.off)))
		o.u64(fd.key2, uint64(u32(fd.off2)))
		o.bits(fd.names, uint64(u32(fd.off)))
		o.bits(fd.names2, uint64(u32(fd.off2)))
	case fStatePair:
		o.string(fd.key, name(ntpStates, u32(fd.off)))
		o.string(fd.key2, name(ntpStates, u32(fd.off2)))
	case fPHCHow:
		o.string(fd.key, name(phcHows, u32(fd.off)))
	case fExtts:
		v := u64(fd.off)
		offset := u32(fd.off2)&tsmon.ExttsOffset != 0
		if offset {
			o.s64(fd.key, int64(v))
		} else {
			o.u64(fd.key, v)
		}
		o.bool(fd.key2, offset)
	case fName:
		o.key(fd.key)
		o.str(cName(raw[fd.off : fd.off+16]))
	case fFlag:
		o.bool(fd.key, u32(fd.off)&fd.mask != 0)
	case fByte:
		v := (u32(fd.off) >> fd.shift) & 0xff
		if int(v) < len(fd.enums) && fd.enums[v] != "" {
			o.string(fd.key, fd.enums[v])
		} else {
			o.u64(fd.key, uint64(v))
		}
	}
}

// printRecord is print_record() in JSON.
func printRecord(w *bufio.Writer, rec *tsmon.Record) error {
	var o obj
	typ := rec.Type
	n, err := tsmon.EventTypeName(typ)
	known := err == nil
	if !known {
		n = "unknown"
	}
	o.b = append(o.b, '{')
	o.u64("seq", rec.Seq)
	o.string("type", n)
	if !known {
		o.u64("type_id", uint64(typ))
	}
	o.u64("mono_ns", rec.MonoNs)
	o.u64("real_ns", rec.RealNs)
	if known && int(typ) < len(eventFields) {
		raw := rec.Bytes()
		for i := range eventFields[typ] {
			printField(&o, &eventFields[typ][i], raw)
		}
	}
	o.b = append(o.b, '}', '\n')
	_, err = w.Write(o.b)
	return err
}

func main() {
	path := tsmon.DevicePath
	switch len(os.Args) {
	case 1:
	case 2:
		path = os.Args[1]
	default:
		fmt.Fprintln(os.Stderr, "usage: tsmon-ring [PATH]")
		os.Exit(2)
	}
	t, err := tsmon.Open(path)
	if err != nil {
		fmt.Fprintf(os.Stderr, "tsmon-ring: cannot open %s: %v\n", path, err)
		os.Exit(1)
	}
	defer t.Close()
	// A reader that went away (tsmon-ring | head) ends the command
	// quietly and successfully, as tsmon ring does: the write gets EPIPE
	// instead of the process a SIGPIPE.
	signal.Notify(make(chan os.Signal, 1), syscall.SIGPIPE)
	w := bufio.NewWriter(os.Stdout)
	c, err := t.CursorInit(tsmon.FromOldest, 0)
	var werr error
	for err == nil && werr == nil {
		var rec tsmon.Record
		rec, err = t.Next(&c)
		if err == nil {
			werr = printRecord(w, &rec)
		}
	}
	if werr == nil {
		werr = w.Flush()
	}
	status := 0
	if err != nil && err != syscall.EAGAIN {
		fmt.Fprintf(os.Stderr, "tsmon-ring: cannot read the ring: %v\n", err)
		status = 1
	}
	if werr != nil && !errors.Is(werr, syscall.EPIPE) {
		fmt.Fprintf(os.Stderr, "tsmon-ring: write error: %v\n", werr)
		status = 1
	}
	t.Close()
	os.Exit(status)
}
