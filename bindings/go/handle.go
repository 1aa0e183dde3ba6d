// SPDX-License-Identifier: LGPL-2.1-or-later

package tsmon

import (
	"os"
	"sync/atomic"
	"syscall"
	"unsafe"
)

// Errors are syscall.Errno values, the errno libtsmon returns negated.
var (
	errInval = syscall.EINVAL
)

// Tsmon is a handle on a mapped region (libtsmon's struct tsmon).
//
// Everything but the clock model settings is written once by Open or
// Attach and only read afterwards, so any number of goroutines may read
// through one handle at once (Health, Head, Next, Now ...): no lock, no
// allocation, no system call. The Set* settings are single atomic words,
// safe to change while others read: each read uses either the old or the
// new value of each setting. Close must not race with readers.
type Tsmon struct {
	mem  []byte         // what we mmap()ed; nil if attached
	keep []byte         // Attach: the caller's memory, kept alive
	base unsafe.Pointer // start of the region
	fd   int            // -1 if attached
	chr  bool           // fd is a device

	health      unsafe.Pointer
	ring        unsafe.Pointer
	head        *uint64
	healthCopy  uint32  // min(health_size, HealthSize)
	clockLine   bool    // the health block holds line 0
	bodySeq     *uint64 // nil: health.seq covers the block
	recordSize  uint32
	ringEntries uint64
	ringMask    uint64

	info Info

	// The caller's CLOCK_MONOTONIC minus the module's (time namespace).
	timensOffset uint64

	// The clock model (Set*): atomic, see above.
	driftPPB    atomic.Uint64
	cooldownNs  atomic.Uint64
	spinLimitNs atomic.Uint64
	staleFactor atomic.Uint32
}

// layout: the header fields a reader depends on.
type layout struct {
	abiVersion, headerSize, regionSize   uint32
	healthOffset, healthSize, ringOffset uint32
	recordSize, ringEntries, ringMask    uint32
	instanceID, loadRealNs, loadMonoNs   uint64
}

func isPow2(v uint64) bool { return v != 0 && v&(v-1) == 0 }

func overlaps(a, alen, b, blen uint64) bool { return a < b+blen && b < a+alen }

func u32at(p unsafe.Pointer, off uintptr) uint32 { return *(*uint32)(unsafe.Add(p, off)) }
func u64at(p unsafe.Pointer, off uintptr) uint64 { return *(*uint64)(unsafe.Add(p, off)) }

// parseHeader is lib/handle.c's parse_header(). Everything it reads is
// constant for the lifetime of a mapping: plain loads.
func parseHeader(h unsafe.Pointer, l *layout) error {
	if u64at(h, hdrMagic) != Magic {
		return syscall.EBADMSG
	}
	// A new ABI version may move anything: check it before the layout.
	if u32at(h, hdrABIVersion) != ABIVersion {
		return syscall.EPROTONOSUPPORT
	}
	l.abiVersion = u32at(h, hdrABIVersion)
	l.headerSize = u32at(h, hdrHeaderSize)
	l.regionSize = u32at(h, hdrRegionSize)
	l.healthOffset = u32at(h, hdrHealthOffset)
	l.healthSize = u32at(h, hdrHealthSize)
	l.ringOffset = u32at(h, hdrRingOffset)
	l.recordSize = u32at(h, hdrRecordSize)
	l.ringEntries = u32at(h, hdrRingEntries)
	l.ringMask = u32at(h, hdrRingMask)
	l.instanceID = u64at(h, hdrInstanceID)
	l.loadRealNs = u64at(h, hdrLoadRealNs)
	l.loadMonoNs = u64at(h, hdrLoadMonoNs)

	if l.headerSize < HeaderSizeV1 {
		return syscall.EBADMSG
	}
	// 8-byte alignment: health.seq and the copy are 64-bit atomic loads.
	if l.healthSize < 8 || l.healthOffset%8 != 0 ||
		uint64(l.healthOffset)+uint64(l.healthSize) > uint64(l.regionSize) {
		return syscall.EBADMSG
	}
	if l.recordSize < RecordSizeV1 || !isPow2(uint64(l.recordSize)) {
		return syscall.EBADMSG
	}
	if !isPow2(uint64(l.ringEntries)) || l.ringMask != l.ringEntries-1 {
		return syscall.EBADMSG
	}
	ringBytes := uint64(l.ringEntries) * uint64(l.recordSize)
	if l.ringOffset%8 != 0 ||
		uint64(l.ringOffset)+ringBytes > uint64(l.regionSize) {
		return syscall.EBADMSG
	}
	if overlaps(0, uint64(l.headerSize), uint64(l.healthOffset), uint64(l.healthSize)) ||
		overlaps(0, uint64(l.headerSize), uint64(l.ringOffset), ringBytes) ||
		overlaps(uint64(l.healthOffset), uint64(l.healthSize), uint64(l.ringOffset), ringBytes) {
		return syscall.EBADMSG
	}
	return nil
}

// timensOffset reads the caller's time namespace offset of
// CLOCK_MONOTONIC from /proc/self/timens_offsets as libtsmon does: no file
// with /proc there means no time namespaces (offset 0); no /proc at all
// means the offset is unknown (0 assumed, ok false).
func timensOffset() (off uint64, ok bool) {
	data, err := os.ReadFile("/proc/self/timens_offsets")
	if err != nil {
		return 0, syscall.Access("/proc/self", 0 /* F_OK */) == nil
	}
	// fgets() with a 128-byte buffer: longer lines come in pieces.
	for len(data) > 0 {
		n := 0
		for n < len(data) && n < 127 && data[n] != '\n' {
			n++
		}
		if n < len(data) && data[n] == '\n' && n < 127 {
			n++
		}
		line := data[:n]
		data = data[n:]
		if sec, nsec, ok := scanMonotonic(line); ok {
			return uint64(sec)*nsecPerSec + uint64(nsec), true
		}
	}
	return 0, true
}

// scanMonotonic is sscanf(line, "monotonic %lld %lld") == 2.
func scanMonotonic(line []byte) (sec, nsec int64, ok bool) {
	const lit = "monotonic"
	if len(line) < len(lit) || string(line[:len(lit)]) != lit {
		return 0, 0, false
	}
	rest := line[len(lit):]
	sec, rest, ok = scanLLD(rest)
	if !ok {
		return 0, 0, false
	}
	nsec, _, ok = scanLLD(rest)
	if !ok {
		return 0, 0, false
	}
	return sec, nsec, true
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'
}

// scanLLD is one %lld conversion: blanks, a sign, decimal digits (an
// out-of-range value saturates, as strtoll does).
func scanLLD(b []byte) (int64, []byte, bool) {
	i := 0
	for i < len(b) && isSpace(b[i]) {
		i++
	}
	neg := false
	if i < len(b) && (b[i] == '+' || b[i] == '-') {
		neg = b[i] == '-'
		i++
	}
	start := i
	var v uint64
	over := false
	for i < len(b) && b[i] >= '0' && b[i] <= '9' {
		d := uint64(b[i] - '0')
		if v > (1<<63)/10 || v*10+d > 1<<63 {
			over = true
		} else {
			v = v*10 + d
		}
		i++
	}
	if i == start {
		return 0, b, false
	}
	switch {
	case neg && (over || v == 1<<63):
		return -1 << 63, b[i:], true
	case neg:
		return -int64(v), b[i:], true
	case over || v >= 1<<63:
		return 1<<63 - 1, b[i:], true
	}
	return int64(v), b[i:], true
}

func newHandle(base unsafe.Pointer, l *layout) *Tsmon {
	t := &Tsmon{
		base:        base,
		fd:          -1,
		health:      unsafe.Add(base, l.healthOffset),
		ring:        unsafe.Add(base, l.ringOffset),
		head:        (*uint64)(unsafe.Add(base, hdrHead)),
		recordSize:  l.recordSize,
		ringEntries: uint64(l.ringEntries),
		ringMask:    uint64(l.ringMask),
	}
	t.healthCopy = l.healthSize
	if t.healthCopy > uint32(HealthSize) {
		t.healthCopy = uint32(HealthSize)
	}
	t.clockLine = l.healthSize >= HealthClockLine
	// A module without body_seq covers the whole block with seq.
	if uint64(l.healthSize) >= uint64(hBodySeq)+8 {
		t.bodySeq = (*uint64)(unsafe.Add(t.health, hBodySeq))
	}
	t.info = Info{
		ABIVersion:  l.abiVersion,
		HeaderSize:  l.headerSize,
		HealthSize:  l.healthSize,
		RecordSize:  l.recordSize,
		RingEntries: l.ringEntries,
		RegionSize:  l.regionSize,
		InstanceID:  l.instanceID,
		LoadRealNs:  l.loadRealNs,
		LoadMonoNs:  l.loadMonoNs,
	}
	off, ok := timensOffset()
	if !ok {
		t.info.Flags |= InfoTimensUnknown
	}
	t.timensOffset = off
	t.info.TimensMonoOffsetNs = int64(off)

	t.driftPPB.Store(DriftDefaultPPB)
	t.cooldownNs.Store(CooldownDefaultNs)
	t.spinLimitNs.Store(SpinLimitDefaultNs)
	t.staleFactor.Store(StaleFactorDefault)
	return t
}

// Attach reads a region the caller holds in memory (tsmon_attach()): mem
// must be 8-byte aligned and hold the whole region. It is kept alive by the
// handle; Close does not unmap it.
func Attach(mem []byte) (*Tsmon, error) {
	if len(mem) < HeaderSizeV1 || uintptr(unsafe.Pointer(&mem[0]))%8 != 0 {
		return nil, errInval
	}
	base := unsafe.Pointer(&mem[0])
	var l layout
	if err := parseHeader(base, &l); err != nil {
		return nil, err
	}
	// The caller holds less than the region: the ring would be cut.
	if uint64(l.regionSize) > uint64(len(mem)) {
		return nil, errInval
	}
	t := newHandle(base, &l)
	t.keep = mem
	return t, nil
}

// Open maps the region at path read-only (tsmon_open()): "" means
// /dev/tsmon; a regular file holding a region maps the same way. The
// errors are libtsmon's: the open(2) or mmap(2) errno, EBADMSG for a
// region that is not one (bad magic or layout, a file shorter than its
// header claims), EPROTONOSUPPORT for another ABI version.
func Open(path string) (*Tsmon, error) {
	if path == "" {
		path = DevicePath
	}
	fd, err := syscall.Open(path, syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	t, err := openFd(fd)
	if err != nil {
		syscall.Close(fd)
		return nil, err
	}
	return t, nil
}

func openFd(fd int) (*Tsmon, error) {
	var st syscall.Stat_t
	if err := syscall.Fstat(fd, &st); err != nil {
		return nil, err
	}
	// Touching a page past the end of a file raises SIGBUS: make sure a
	// file holds what the header claims before reading it. A device
	// reports size 0 and sizes its own mapping.
	regular := st.Mode&syscall.S_IFMT == syscall.S_IFREG
	if regular && st.Size < HeaderSizeV1 {
		return nil, syscall.EBADMSG
	}
	hdr, err := syscall.Mmap(fd, 0, HeaderSizeV1, syscall.PROT_READ, syscall.MAP_SHARED)
	if err != nil {
		return nil, err
	}
	var l, full layout
	err = parseHeader(unsafe.Pointer(&hdr[0]), &l)
	syscall.Munmap(hdr)
	if err != nil {
		return nil, err
	}
	if regular && uint64(st.Size) < uint64(l.regionSize) {
		return nil, syscall.EBADMSG
	}
	mem, err := syscall.Mmap(fd, 0, int(l.regionSize), syscall.PROT_READ, syscall.MAP_SHARED)
	if err != nil {
		return nil, err
	}
	// A file may have been rewritten between the two mappings.
	err = parseHeader(unsafe.Pointer(&mem[0]), &full)
	if err == nil && full.regionSize != l.regionSize {
		err = syscall.EBADMSG
	}
	if err != nil {
		syscall.Munmap(mem)
		return nil, err
	}
	t := newHandle(unsafe.Pointer(&mem[0]), &full)
	t.mem = mem
	t.fd = fd
	t.chr = st.Mode&syscall.S_IFMT == syscall.S_IFCHR
	return t, nil
}

// Close unmaps the region and closes the file (tsmon_close()). Nothing may
// read through the handle during or after it.
func (t *Tsmon) Close() error {
	if t == nil {
		return nil
	}
	var err error
	if t.mem != nil {
		err = syscall.Munmap(t.mem)
		t.mem = nil
	}
	if t.fd >= 0 {
		if e := syscall.Close(t.fd); err == nil {
			err = e
		}
		t.fd = -1
	}
	t.keep = nil
	t.base, t.health, t.ring, t.head, t.bodySeq = nil, nil, nil, nil, nil
	return err
}

// Info gives the region's layout facts (tsmon_get_info()).
func (t *Tsmon) Info() Info { return t.info }

// Fd is the open region file or device (tsmon_fd()); ENOTTY if attached.
func (t *Tsmon) Fd() (int, error) {
	if t.fd < 0 {
		return -1, syscall.ENOTTY
	}
	return t.fd, nil
}

// SetDrift sets the worst clock drift bounds assume, in ppb
// (tsmon_set_drift()): EINVAL above DriftMaxPPB.
func (t *Tsmon) SetDrift(ppb uint64) error {
	if ppb > DriftMaxPPB {
		return errInval
	}
	t.driftPPB.Store(ppb)
	return nil
}

// SetCooldown sets how long after a disruption reads say DISRUPTED.
func (t *Tsmon) SetCooldown(ns uint64) error {
	t.cooldownNs.Store(ns)
	return nil
}

// SetStaleFactor sets how many sync intervals make sync updates stale:
// EINVAL for 0.
func (t *Tsmon) SetStaleFactor(factor uint32) error {
	if factor == 0 {
		return errInval
	}
	t.staleFactor.Store(factor)
	return nil
}

// SetSpinLimit sets how long a read waits for a writer stopped inside an
// update before it gives EAGAIN.
func (t *Tsmon) SetSpinLimit(ns uint64) error {
	t.spinLimitNs.Store(ns)
	return nil
}
