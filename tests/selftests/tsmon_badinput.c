// SPDX-License-Identifier: GPL-2.0-only
/*
 * tsmon_badinput - every way into the module refuses what it does not
 * implement with one clean errno, and the module keeps working.
 *
 * /dev/tsmon: ioctl numbers across the whole space, read sizes and buffers,
 * positional, vectored and spliced reads, interrupted reads, poll masks,
 * opens for writing, and the mmap, mprotect, mremap and madvise calls a
 * process can throw at its view (a fork, forced writes through
 * /proc/self/mem and process_vm_writev included). Generic netlink: every
 * command number with malformed, oversized, missing, unknown and misplaced
 * attributes, bad flags and truncated headers, each answered with the
 * errno and, where the policy produced one, the extended ack message
 * pointing at the offending attribute. Module parameters given garbage.
 * An unprivileged process (uid and gid nobody) may read and map, and
 * nothing else. After each group a step is still recorded; at the end no
 * file, mapping or dump has left a module reference behind and the module
 * unloads and loads again.
 *
 * The errnos asserted are the ones kmod/tsmon_chardev.c and
 * kmod/tsmon_netlink.c give, or the VFS, mm and netlink cores before the
 * module is asked (said where it is so).
 *
 * Steps come in +1 ns / -1 ns pairs: the clock ends where it started.
 */
#include <dirent.h>
#include <grp.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/select.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/wait.h>

#include <libmnl/libmnl.h>
#include <linux/fiemap.h>
#include <linux/fs.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <tsmon/netlink.h>

#include "tsmon_selftest.h"
#include "nltest.h"

#define NOBODY			65534
#define PARAM_DIR		TSMON_SYSMOD "/parameters"
#define REFCNT_PATH		TSMON_SYSMOD "/refcnt"
#define CLASS_DIR		"/sys/class/misc/tsmon"

/* Not in every libc's headers. */
#ifndef MAP_SHARED_VALIDATE
#define MAP_SHARED_VALIDATE	0x03
#endif
#ifndef MAP_SYNC
#define MAP_SYNC		0x80000
#endif
#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE	0x100000
#endif
#ifndef MREMAP_DONTUNMAP
#define MREMAP_DONTUNMAP	4
#endif
#ifndef MADV_COLD
#define MADV_COLD		20
#endif
#ifndef MADV_PAGEOUT
#define MADV_PAGEOUT		21
#endif
#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ	22
#endif
#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE	23
#endif
#ifndef MADV_DONTNEED_LOCKED
#define MADV_DONTNEED_LOCKED	24
#endif
#ifndef MADV_COLLAPSE
#define MADV_COLLAPSE		25
#endif
#ifndef RWF_NOWAIT
#define RWF_NOWAIT		0x00000008
#endif
/* File-system ioctls the 6.12 VFS answers (struct fsuuid2, fs_sysfs_path). */
#define TSMON_FS_IOC_GETFSUUID		_IOC(_IOC_READ, 0x15, 0, 17)
#define TSMON_FS_IOC_GETFSSYSFSPATH	_IOC(_IOC_READ, 0x15, 1, 129)

static struct tsmon *t;		/* the library's handle, open throughout */
static struct tsmon_cursor live;	/* records after the last check */
static uint32_t region_size;
static size_t page;
static unsigned char *guard;	/* one PROT_NONE page: any access faults */

/* ----------------------------------------------------------- helpers */

static const char *ename(int e)
{
	const char *n = e ? strerrorname_np(e) : "0";

	return n ? n : "?";
}

/* The call returned -1 with errno @want. */
static bool fails(const char *what, long ret, int want)
{
	int e = errno;

	if (ret != -1) {
		ksft_print_msg("%s: returned %ld, want %s\n", what, ret,
			       ename(want));
		return false;
	}
	if (e != want) {
		ksft_print_msg("%s: %s, want %s\n", what, ename(e), ename(want));
		return false;
	}
	return true;
}

/* read(2) without the C library's checks of what is passed. */
static long raw_read(int fd, void *buf, size_t len)
{
	return syscall(SYS_read, fd, buf, len);
}

static bool succeeds(const char *what, long ret)
{
	if (ret == -1) {
		ksft_print_msg("%s: %s, want success\n", what, ename(errno));
		return false;
	}
	return true;
}

static int64_t stepped;		/* net of the steps made, undone at the end */

static bool step(int64_t ns)
{
	int err = clock_step_ns(ns);

	if (err) {
		ksft_print_msg("ADJ_SETOFFSET %+lld ns: %s\n", (long long)ns,
			       ename(-err));
		return false;
	}
	stepped += ns;
	return true;
}

static bool step_pair(void)
{
	return step(1) && step(-1);
}

static uint64_t lib_head(void)
{
	uint64_t h = 0;

	tsmon_head(t, &h);
	return h;
}

/* Guarded loads: a fault is reported, not fatal. */
static sigjmp_buf probe_env;
static volatile sig_atomic_t probe_sig;

static void probe_handler(int sig)
{
	probe_sig = sig;
	siglongjmp(probe_env, 1);
}

/* Loads the u64 at @p; 0 or the signal the access raised. */
static int probe_load(const void *p, uint64_t *out)
{
	struct sigaction sa = { .sa_handler = probe_handler }, obus, osegv;
	volatile int sig = 0;

	sigemptyset(&sa.sa_mask);
	sigaction(SIGBUS, &sa, &obus);
	sigaction(SIGSEGV, &sa, &osegv);
	if (!sigsetjmp(probe_env, 1))
		*out = __atomic_load_n((const uint64_t *)p, __ATOMIC_ACQUIRE);
	else
		sig = probe_sig;
	sigaction(SIGBUS, &obus, NULL);
	sigaction(SIGSEGV, &osegv, NULL);
	return sig;
}

/*
 * @base (of @len bytes, offset 0 of the region) is a live view: the magic
 * is there, every page reads, and a step published now moves its head.
 */
static bool view_live(const char *what, const void *base, size_t len)
{
	const size_t head_off = offsetof(struct tsmon_header, head);
	uint64_t magic = 0, h0 = 0, h1 = 0, v;
	size_t off;
	int sig;

	sig = probe_load(base, &magic);
	if (!sig)
		sig = probe_load((const char *)base + head_off, &h0);
	for (off = 0; !sig && off < len; off += page)
		sig = probe_load((const char *)base + off, &v);
	if (sig) {
		ksft_print_msg("%s: %s reading the view\n", what,
			       strsignal(sig));
		return false;
	}
	if (magic != TSMON_MAGIC) {
		ksft_print_msg("%s: magic %#llx\n", what,
			       (unsigned long long)magic);
		return false;
	}
	if (!step_pair())
		return false;
	sig = probe_load((const char *)base + head_off, &h1);
	if (sig || h1 < h0 + 2 || h1 > lib_head()) {
		ksft_print_msg("%s: head %llu -> %llu (%s), library %llu\n",
			       what, (unsigned long long)h0,
			       (unsigned long long)h1,
			       sig ? strsignal(sig) : "read",
			       (unsigned long long)lib_head());
		return false;
	}
	return true;
}

/*
 * The module still does its job: a +1 ns and a -1 ns step become the next
 * two clock_step records, exactly.
 */
static bool still_records(const char *when)
{
	struct tsmon_record r;
	int i, err;

	tsmon_cursor_init(t, &live, TSMON_FROM_NOW, 0);
	if (!step_pair())
		return false;
	for (i = 0; i < 2; i++) {
		err = wait_record(t, &live, 5000, &r);
		if (err) {
			ksft_print_msg("%s: no step record: %s\n", when,
				       ename(-err));
			return false;
		}
		if (r.type != TSMON_EVENT_CLOCK_STEP ||
		    (int64_t)r.step.delta_ns != (i ? -1 : 1)) {
			print_record(when, &r);
			return false;
		}
	}
	return true;
}

static long module_refcnt(void)
{
	char line[32];

	if (!read_sysfs_line(REFCNT_PATH, line, sizeof(line)))
		return -1;
	return strtol(line, NULL, 10);
}

/* Waits for the reference count to come down to @want (releases can lag). */
static bool refcnt_settles(long want, const char *when)
{
	long got = -1;
	int i;

	for (i = 0; i < 100; i++) {
		got = module_refcnt();
		if (got == want)
			return true;
		sleep_ms(50);
	}
	ksft_print_msg("%s: module refcnt %ld, want %ld\n", when, got, want);
	return false;
}

/* A fresh non-blocking descriptor with nothing pending. */
static int open_drained(void)
{
	uint64_t v;
	int fd = open(TSMON_DEVICE_PATH, O_RDONLY | O_NONBLOCK | O_CLOEXEC);

	if (fd < 0) {
		ksft_print_msg("open: %s\n", ename(errno));
		return -1;
	}
	while (read(fd, &v, sizeof(v)) == sizeof(v))
		;
	return fd;
}

/* One record is published: +1 ns, then the -1 ns that undoes it later. */
static bool step_plus(void)
{
	return step(1);
}

static bool step_minus(void)
{
	return step(-1);
}

static void *map_region(size_t len, int prot, int flags, off_t off)
{
	int fd = open(TSMON_DEVICE_PATH, O_RDONLY | O_CLOEXEC);
	void *p;

	if (fd < 0)
		return MAP_FAILED;
	p = mmap(NULL, len, prot, flags, fd, off);
	close(fd);
	return p;
}

/* ----------------------------------------------------------- ioctl */

/* Commands the VFS answers for any file before the driver is asked. */
static const unsigned int vfs_ioctls[] = {
	FIOCLEX, FIONCLEX, FIONBIO, FIOASYNC, FIOQSIZE, FIFREEZE, FITHAW,
	FS_IOC_FIEMAP, FIGETBSZ, FICLONE, FICLONERANGE, FIDEDUPERANGE,
	FIONREAD, FS_IOC_GETFLAGS, FS_IOC_SETFLAGS, FS_IOC_FSGETXATTR,
	FS_IOC_FSSETXATTR, TSMON_FS_IOC_GETFSUUID, TSMON_FS_IOC_GETFSSYSFSPATH,
};

static bool is_vfs_ioctl(unsigned int cmd)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(vfs_ioctls); i++)
		if (vfs_ioctls[i] == cmd)
			return true;
	return false;
}

struct scan {
	unsigned long calls;
	unsigned long bad;
};

static void scan_one(struct scan *s, int fd, unsigned int cmd,
		     unsigned long arg)
{
	int ret;

	/* The one ioctl of the device: tsmon_waiter tests it. */
	if (is_vfs_ioctl(cmd) || cmd == TSMON_IOC_WAITER)
		return;
	s->calls++;
	ret = ioctl(fd, cmd, arg);
	if (ret == -1 && errno == ENOTTY)
		return;
	if (s->bad++ < 5)
		ksft_print_msg("ioctl %#x arg %#lx: %d (%s), want ENOTTY\n",
			       cmd, arg, ret, ret == -1 ? ename(errno) : "-");
}

/*
 * The device implements one ioctl, TSMON_IOC_WAITER: every other number -
 * each of the 65536 _IO()
 * type/number pairs in all four directions with a 64-byte argument, every
 * size for a few type bytes, and every legacy 16-bit number - gets ENOTTY,
 * whatever the argument points to.
 */
static bool case_ioctl_scan(void)
{
	static const unsigned int types[] = { 0, 'T', 'f', 'X', 't', 0x94,
					      0x15, 0xff };
	static const unsigned int sizes[] = { 1, 4, 8, 16, 192, 4096,
					      16383 };
	static const unsigned int dirs[] = { _IOC_NONE, _IOC_READ, _IOC_WRITE,
					     _IOC_READ | _IOC_WRITE };
	unsigned long buf = (unsigned long)calloc(1, 1 << 16);
	struct scan s = { 0 };
	unsigned int type, nr, d, i;
	int fd = open_drained();

	if (fd < 0 || !buf)
		return false;
	for (type = 0; type < 256; type++)
		for (nr = 0; nr < 256; nr++)
			for (d = 0; d < ARRAY_SIZE(dirs); d++)
				scan_one(&s, fd, _IOC(dirs[d], type, nr,
						      dirs[d] ? 64 : 0), buf);
	for (i = 0; i < ARRAY_SIZE(types); i++)
		for (nr = 0; nr < 256; nr++)
			for (d = 1; d < ARRAY_SIZE(dirs); d++) {
				unsigned int k;

				for (k = 0; k < ARRAY_SIZE(sizes); k++)
					scan_one(&s, fd,
						 _IOC(dirs[d], types[i], nr,
						      sizes[k]),
						 (unsigned long)guard);
			}
	for (i = 0; i < 0x10000; i++)
		scan_one(&s, fd, i, 0);
	for (i = 0; i < 0x10000; i += 0x101)
		scan_one(&s, fd, i, ~0UL);
	free((void *)buf);
	close(fd);
	ksft_print_msg("ioctl: %lu calls, %lu not ENOTTY\n", s.calls, s.bad);
	return !s.bad && s.calls > 300000;
}

/* The VFS's own file ioctls work on the device as on any character device. */
static bool case_ioctl_vfs(void)
{
	int fd = open_drained(), on = 1, off = 0, n = -1;
	uint64_t v;
	bool ok = true;

	if (fd < 0)
		return false;
	/* Not a regular file: these reach the driver, which has no ioctl. */
	ok &= fails("FIONREAD", ioctl(fd, FIONREAD, &n), ENOTTY);
	ok &= fails("FIOQSIZE", ioctl(fd, FIOQSIZE, &v), ENOTTY);
	ok &= fails("FS_IOC_GETFLAGS", ioctl(fd, FS_IOC_GETFLAGS, &n), ENOTTY);
	/* No fasync: asking for SIGIO is refused, turning it off is a no-op. */
	ok &= fails("FIOASYNC on", ioctl(fd, FIOASYNC, &on), ENOTTY);
	ok &= succeeds("FIOASYNC off", ioctl(fd, FIOASYNC, &off));
	/* FIONBIO really switches blocking mode, which read() honours. */
	ok &= succeeds("FIONBIO off", ioctl(fd, FIONBIO, &off));
	ok &= (fcntl(fd, F_GETFL) & O_NONBLOCK) == 0;
	ok &= succeeds("FIONBIO on", ioctl(fd, FIONBIO, &on));
	ok &= fails("read after FIONBIO", read(fd, &v, sizeof(v)), EAGAIN);
	ok &= succeeds("FIONCLEX", ioctl(fd, FIONCLEX));
	ok &= fcntl(fd, F_GETFD) == 0;
	ok &= succeeds("FIOCLEX", ioctl(fd, FIOCLEX));
	ok &= fcntl(fd, F_GETFD) == FD_CLOEXEC;
	ok &= fails("ioctl on a closed descriptor",
		    (close(fd), ioctl(fd, FIONREAD, &n)), EBADF);
	return ok;
}

/* ----------------------------------------------------------- read */

/*
 * read() returns the head as one u64 into a buffer of at least 8 bytes;
 * less is EINVAL, more is fine (8 bytes are written, the rest untouched).
 */
static bool case_read_sizes(void)
{
	static const size_t big[] = { 8, 9, 13, 4096, 1 << 20 };
	unsigned char *buf = malloc((1 << 20) + 16);
	bool ok = true;
	uint64_t v;
	size_t i, j;
	int fd;

	fd = open_drained();
	if (fd < 0 || !buf)
		return false;
	for (i = 0; i < 8; i++) {
		char what[32];

		snprintf(what, sizeof(what), "read of %zu bytes", i);
		ok &= fails(what, read(fd, buf, i), EINVAL);
	}
	ok &= fails("read with nothing new", read(fd, buf, 8), EAGAIN);
	for (i = 0; ok && i < ARRAY_SIZE(big); i++) {
		ssize_t got;

		memset(buf, 0xa5, big[i] + 16);
		if (!(i & 1 ? step_minus() : step_plus()))
			return false;
		got = read(fd, buf, big[i]);
		memcpy(&v, buf, sizeof(v));
		if (got != 8 || v != lib_head()) {
			ksft_print_msg("read of %zu bytes: %zd, value %llu, head %llu\n",
				       big[i], got, (unsigned long long)v,
				       (unsigned long long)lib_head());
			ok = false;
		}
		for (j = 8; j < big[i] + 16; j++)
			if (buf[j] != 0xa5) {
				ksft_print_msg("read of %zu bytes wrote byte %zu\n",
					       big[i], j);
				ok = false;
				break;
			}
	}
	/* The VFS refuses a count that wraps the address space. */
	ok &= fails("read of SIZE_MAX bytes", raw_read(fd, buf, SIZE_MAX), EFAULT);
	close(fd);
	free(buf);
	return ok;
}

/* After a failed read, the record is still pending for this file. */
static bool still_pending(int fd, const char *what)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	uint64_t v = 0;

	if (poll(&p, 1, 0) != 1 || p.revents != POLLIN) {
		ksft_print_msg("%s: poll %#x, the record was consumed\n", what,
			       p.revents);
		return false;
	}
	if (read(fd, &v, sizeof(v)) != sizeof(v) || v != lib_head()) {
		ksft_print_msg("%s: read after: %s, %llu\n", what,
			       ename(errno), (unsigned long long)v);
		return false;
	}
	return true;
}

/*
 * A buffer the kernel cannot write: EFAULT, and the head change it would
 * have reported is still reported to the next read and poll.
 */
static bool case_read_efault(void)
{
	unsigned char *two;
	bool ok = true;
	int fd;

	fd = open_drained();
	if (fd < 0)
		return false;
	two = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (two == MAP_FAILED || mprotect(two + page, page, PROT_NONE))
		return false;

	ok &= step_plus();
	ok &= fails("read into a PROT_NONE page", read(fd, guard, 8), EFAULT);
	ok &= still_pending(fd, "PROT_NONE buffer");

	/* A page that was mapped and is no longer: nothing is there. */
	ok &= step_minus();
	munmap(two + page, page);
	ok &= fails("read into an unmapped page", raw_read(fd, two + page, 8),
		    EFAULT);
	ok &= still_pending(fd, "unmapped buffer");
	two = mmap(two + page, page, PROT_NONE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0) ==
	      two + page ? two : NULL;
	if (!two)
		return false;

	ok &= step_plus();
	ok &= fails("read into a buffer that ends in a PROT_NONE page",
		    read(fd, two + page - 4, 8), EFAULT);
	ok &= still_pending(fd, "straddling buffer");

	ok &= step_minus();
	ok &= fails("read into a read-only page", raw_read(fd, (void *)"x", 8),
		    EFAULT);
	ok &= still_pending(fd, "read-only buffer");

	ok &= step_plus();
	/* A kernel address is refused by the VFS before the driver runs. */
	ok &= fails("read into a kernel address",
		    read(fd, (void *)0xffff888000000000UL, 8), EFAULT);
	ok &= still_pending(fd, "kernel address");
	ok &= step_minus();
	ok &= still_pending(fd, "the last step");
	ok &= fails("read into NULL", raw_read(fd, NULL, 8), EAGAIN);
	munmap(two, 2 * page);
	close(fd);
	return ok;
}

/*
 * A stream: no position. Positional reads and seeks are ESPIPE (a negative
 * offset is EINVAL first, as is a splice with an offset), vectored reads go
 * through read() segment by segment, splice and sendfile are not
 * implemented.
 */
static bool case_read_positional(void)
{
	uint64_t v[2];
	struct iovec one = { v, 8 }, halves[2] = { { v, 4 }, { &v[1], 4 } };
	bool ok = true;
	int fd, pfd[2];
	loff_t off = 0;

	fd = open_drained();
	if (fd < 0 || pipe2(pfd, O_CLOEXEC | O_NONBLOCK))
		return false;
	ok &= fails("pread at 0", pread(fd, v, 8, 0), ESPIPE);
	ok &= fails("pread at 2^40", pread(fd, v, 8, 1LL << 40), ESPIPE);
	ok &= fails("pread at -1", pread(fd, v, 8, -1), EINVAL);
	ok &= fails("preadv at 0", preadv(fd, &one, 1, 0), ESPIPE);
	ok &= fails("lseek SEEK_SET", lseek(fd, 0, SEEK_SET), ESPIPE);
	ok &= fails("lseek SEEK_CUR", lseek(fd, 0, SEEK_CUR), ESPIPE);
	ok &= fails("lseek SEEK_END", lseek(fd, 0, SEEK_END), ESPIPE);
	ok &= fails("lseek SEEK_DATA", lseek(fd, 0, SEEK_DATA), ESPIPE);
	ok &= fails("readv, nothing new", readv(fd, &one, 1), EAGAIN);
	ok &= step_plus();
	ok &= fails("readv of two 4-byte segments", readv(fd, halves, 2),
		    EINVAL);
	if (readv(fd, &one, 1) != 8 || v[0] != lib_head()) {
		ksft_print_msg("readv of one 8-byte segment: %s\n",
			       ename(errno));
		ok = false;
	}
	ok &= step_minus();
	/* Flags other than RWF_HIPRI need read_iter, which tsmon has not. */
	ok &= fails("preadv2 RWF_NOWAIT", preadv2(fd, &one, 1, -1, RWF_NOWAIT),
		    EOPNOTSUPP);
	ok &= fails("splice to a pipe",
		    splice(fd, NULL, pfd[1], NULL, 8, SPLICE_F_NONBLOCK),
		    EINVAL);
	/* The splice core refuses an input offset on a stream. */
	ok &= fails("splice at an offset",
		    splice(fd, &off, pfd[1], NULL, 8, SPLICE_F_NONBLOCK),
		    EINVAL);
	ok &= fails("sendfile to a pipe", sendfile(pfd[1], fd, NULL, 8),
		    EINVAL);
	ok &= still_pending(fd, "after the vectored and spliced reads");
	close(pfd[0]);
	close(pfd[1]);
	close(fd);
	return ok;
}

/* ----------------------------------------------------------- interrupted */

static void on_usr1(int sig)
{
}

struct poker {
	pthread_t target;
	int signal_ms;		/* then a signal */
	int step_ms;		/* then a +1 ns step, if > 0 */
};

static void *poker_main(void *arg)
{
	struct poker *p = arg;

	sleep_ms(p->signal_ms);
	pthread_kill(p->target, SIGUSR1);
	if (p->step_ms > 0) {
		sleep_ms(p->step_ms);
		step(1);
	}
	return NULL;
}

/*
 * A signal interrupts a blocked read with EINTR (the head is not taken),
 * or restarts it under SA_RESTART until the next record arrives.
 */
static bool case_read_interrupted(void)
{
	struct sigaction sa = { .sa_handler = on_usr1 }, old;
	struct poker p = { .target = pthread_self() };
	pthread_t th;
	bool ok = true;
	uint64_t v = 0;
	ssize_t got;
	int fd;

	fd = open_drained();
	if (fd < 0 || fcntl(fd, F_SETFL, 0))
		return false;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR1, &sa, &old);

	p.signal_ms = 200;
	p.step_ms = 0;
	pthread_create(&th, NULL, poker_main, &p);
	got = read(fd, &v, sizeof(v));
	pthread_join(th, NULL);
	ok &= fails("blocked read, signal without SA_RESTART", got, EINTR);

	sa.sa_flags = SA_RESTART;
	sigaction(SIGUSR1, &sa, NULL);
	p.step_ms = 200;
	pthread_create(&th, NULL, poker_main, &p);
	got = read(fd, &v, sizeof(v));
	pthread_join(th, NULL);
	if (got != 8 || v != lib_head()) {
		ksft_print_msg("blocked read with SA_RESTART: %zd (%s), %llu\n",
			       got, ename(errno), (unsigned long long)v);
		ok = false;
	}
	ok &= step_minus();
	sigaction(SIGUSR1, &old, NULL);
	close(fd);
	return ok;
}

/* ----------------------------------------------------------- poll */

/*
 * poll() reports POLLIN | POLLRDNORM when a record was published since the
 * file's last read, masked by what was asked for; never POLLOUT, POLLPRI,
 * POLLERR or POLLHUP. epoll and select agree.
 */
static bool case_poll(void)
{
	static const short masks[] = { 0, POLLOUT, POLLPRI, POLLWRNORM |
				       POLLWRBAND, POLLIN, POLLRDNORM, POLLIN |
				       POLLOUT, (short)0xffff };
	struct epoll_event ev = { 0 }, got[2];
	fd_set rd, wr, ex;
	struct timeval tv = { 0 };
	bool ok = true;
	uint64_t v;
	size_t i;
	int fd, ep;

	fd = open_drained();
	ep = epoll_create1(EPOLL_CLOEXEC);
	if (fd < 0 || ep < 0)
		return false;
	for (i = 0; i < ARRAY_SIZE(masks); i++) {
		struct pollfd p = { .fd = fd, .events = masks[i] };
		int n = poll(&p, 1, 0);

		if (n != 0 || p.revents) {
			ksft_print_msg("poll %#x, nothing pending: %d, revents %#x\n",
				       (unsigned short)masks[i], n, p.revents);
			ok = false;
		}
	}
	ok &= step_plus();
	for (i = 0; i < ARRAY_SIZE(masks); i++) {
		struct pollfd p = { .fd = fd, .events = masks[i] };
		short want = masks[i] & (POLLIN | POLLRDNORM);
		int n = poll(&p, 1, 0);

		if (n != !!want || p.revents != want) {
			ksft_print_msg("poll %#x, record pending: %d, revents %#x, want %#x\n",
				       (unsigned short)masks[i], n, p.revents,
				       want);
			ok = false;
		}
	}
	FD_ZERO(&rd);
	FD_ZERO(&wr);
	FD_ZERO(&ex);
	FD_SET(fd, &rd);
	FD_SET(fd, &wr);
	FD_SET(fd, &ex);
	if (select(fd + 1, &rd, &wr, &ex, &tv) != 1 || !FD_ISSET(fd, &rd) ||
	    FD_ISSET(fd, &wr) || FD_ISSET(fd, &ex)) {
		ksft_print_msg("select: want readable only\n");
		ok = false;
	}
	ev.events = EPOLLOUT | EPOLLPRI;
	ok &= succeeds("epoll_ctl EPOLLOUT", epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev));
	if (epoll_wait(ep, got, 2, 0) != 0) {
		ksft_print_msg("epoll for EPOLLOUT | EPOLLPRI reported an event\n");
		ok = false;
	}
	ev.events = EPOLLIN | EPOLLET;
	ok &= succeeds("epoll_ctl EPOLLIN", epoll_ctl(ep, EPOLL_CTL_MOD, fd, &ev));
	if (epoll_wait(ep, got, 2, 0) != 1 || got[0].events != EPOLLIN) {
		ksft_print_msg("epoll EPOLLIN | EPOLLET: want one EPOLLIN\n");
		ok = false;
	}
	ok &= read(fd, &v, sizeof(v)) == 8;
	if (epoll_wait(ep, got, 2, 0) != 0) {
		ksft_print_msg("epoll after the read: still reported\n");
		ok = false;
	}
	ok &= step_minus();
	if (epoll_wait(ep, got, 2, 1000) != 1 || got[0].events != EPOLLIN) {
		ksft_print_msg("epoll: the next record was not reported\n");
		ok = false;
	}
	ok &= read(fd, &v, sizeof(v)) == 8;
	/* Closing a descriptor epoll watches removes it; nothing lingers. */
	close(fd);
	ok &= step_pair();
	if (epoll_wait(ep, got, 2, 0) != 0) {
		ksft_print_msg("epoll reported a closed descriptor\n");
		ok = false;
	}
	close(ep);
	return ok;
}

/* ----------------------------------------------------------- opens */

static bool open_fails(const char *what, int flags, int want)
{
	int fd = open(TSMON_DEVICE_PATH, flags | O_CLOEXEC);

	if (fd >= 0)
		close(fd);
	return fails(what, fd, want);
}

/*
 * The module refuses any open for writing, even by root (EPERM); writes
 * on a read-only descriptor never reach it (EBADF). O_DIRECT is refused by
 * the VFS after the driver's open, which must be undone (no reference
 * left). An O_PATH descriptor never reaches the driver and can do nothing.
 */
static bool case_open_write(void)
{
	struct iovec iov = { "12345678", 8 };
	long refs = module_refcnt();
	bool ok = true;
	int fd, pfd;

	ok &= open_fails("O_WRONLY", O_WRONLY, EPERM);
	ok &= open_fails("O_RDWR", O_RDWR, EPERM);
	ok &= open_fails("O_RDWR | O_NONBLOCK", O_RDWR | O_NONBLOCK, EPERM);
	ok &= open_fails("O_WRONLY | O_APPEND", O_WRONLY | O_APPEND, EPERM);
	ok &= open_fails("O_WRONLY | O_TRUNC", O_WRONLY | O_TRUNC, EPERM);
	ok &= open_fails("O_RDONLY | O_DIRECT", O_RDONLY | O_DIRECT, EINVAL);
	ok &= open_fails("O_CREAT | O_EXCL", O_RDONLY | O_CREAT | O_EXCL,
			 EEXIST);
	ok &= open_fails("O_DIRECTORY", O_RDONLY | O_DIRECTORY, ENOTDIR);
	ok &= refcnt_settles(refs, "after the refused opens");

	fd = open_drained();
	if (fd < 0)
		return false;
	ok &= fails("write", write(fd, "12345678", 8), EBADF);
	/* A stream has no position to write at: that is checked first. */
	ok &= fails("pwrite", pwrite(fd, "12345678", 8, 0), ESPIPE);
	ok &= fails("writev", writev(fd, &iov, 1), EBADF);
	ok &= fails("ftruncate", ftruncate(fd, 0), EINVAL);
	ok &= fails("fallocate", fallocate(fd, 0, 0, 4096), EBADF);
	close(fd);

	pfd = open(TSMON_DEVICE_PATH, O_PATH | O_CLOEXEC);
	ok &= succeeds("O_PATH open", pfd);
	if (pfd >= 0) {
		uint64_t v;

		ok &= fails("read on O_PATH", read(pfd, &v, 8), EBADF);
		ok &= fails("mmap on O_PATH",
			    (long)mmap(NULL, page, PROT_READ, MAP_SHARED, pfd,
				       0) == -1 ? -1 : 0, EBADF);
		ok &= fails("ioctl on O_PATH", ioctl(pfd, FIONREAD, &v), EBADF);
		close(pfd);
	}
	return ok;
}

/* ----------------------------------------------------------- mmap */

static bool map_fails(const char *what, size_t len, int prot, int flags,
		      off_t off, int want)
{
	void *p = map_region(len, prot, flags, off);

	if (p != MAP_FAILED) {
		ksft_print_msg("%s: mapped, want %s\n", what, ename(want));
		munmap(p, len);
		return false;
	}
	return fails(what, -1, want);
}

static bool map_works(const char *what, size_t len, int prot, int flags,
		      off_t off)
{
	void *p = map_region(len, prot, flags, off);
	size_t span = (len + page - 1) / page * page;
	bool ok;

	if (p == MAP_FAILED) {
		ksft_print_msg("%s: %s\n", what, ename(errno));
		return false;
	}
	ok = !(prot & PROT_READ) || view_live(what, p, span);
	munmap(p, span);
	return ok;
}

/*
 * Only a shared, read-only view from offset 0 of at most the region: no
 * write (EACCES, the VFS for a shared mapping of a read-only file, the
 * driver for a private one), no execute (EACCES), no private copy (EINVAL),
 * no other offset or larger length (EINVAL). The VFS refuses zero and
 * wrapping lengths, unaligned offsets and flags nobody implements.
 */
static bool case_mmap(void)
{
	size_t rs = region_size;
	bool ok = true;
	void *hint, *p;

	ok &= map_fails("PROT_WRITE, MAP_SHARED", page, PROT_READ | PROT_WRITE,
			MAP_SHARED, 0, EACCES);
	ok &= map_fails("PROT_WRITE, MAP_PRIVATE", page, PROT_READ | PROT_WRITE,
			MAP_PRIVATE, 0, EACCES);
	ok &= map_fails("PROT_EXEC, MAP_SHARED", page, PROT_READ | PROT_EXEC,
			MAP_SHARED, 0, EACCES);
	ok &= map_fails("PROT_EXEC alone", page, PROT_EXEC, MAP_SHARED, 0,
			EACCES);
	ok &= map_fails("PROT_EXEC, MAP_PRIVATE", page, PROT_READ | PROT_EXEC,
			MAP_PRIVATE, 0, EACCES);
	ok &= map_fails("read-only MAP_PRIVATE", page, PROT_READ, MAP_PRIVATE,
			0, EINVAL);
	ok &= map_fails("neither shared nor private", page, PROT_READ, 0, 0,
			EINVAL);
	ok &= map_fails("MAP_SHARED_VALIDATE | MAP_SYNC", page, PROT_READ,
			MAP_SHARED_VALIDATE | MAP_SYNC, 0, EOPNOTSUPP);
	ok &= map_fails("MAP_SHARED_VALIDATE | unknown flag", page, PROT_READ,
			MAP_SHARED_VALIDATE | 0x200000, 0, EOPNOTSUPP);
	ok &= map_fails("MAP_HUGETLB", page, PROT_READ,
			MAP_SHARED | MAP_HUGETLB, 0, EINVAL);

	ok &= map_fails("offset of one page", page, PROT_READ, MAP_SHARED,
			(off_t)page, EINVAL);
	ok &= map_fails("unaligned offset", page, PROT_READ, MAP_SHARED, 1,
			EINVAL);
	ok &= map_fails("offset at the end", page, PROT_READ, MAP_SHARED,
			(off_t)rs, EINVAL);
	ok &= map_fails("offset 2^40", page, PROT_READ, MAP_SHARED,
			1LL << 40, EINVAL);
	/* The VFS: page offset + length would pass the end of the file space. */
	ok &= map_fails("negative offset", page, PROT_READ, MAP_SHARED,
			-(off_t)page, EOVERFLOW);
	ok &= map_fails("length 0", 0, PROT_READ, MAP_SHARED, 0, EINVAL);
	ok &= map_fails("length region + 1", rs + 1, PROT_READ, MAP_SHARED,
			0, EINVAL);
	ok &= map_fails("length region + page", rs + page, PROT_READ,
			MAP_SHARED, 0, EINVAL);
	ok &= map_fails("length SIZE_MAX", SIZE_MAX, PROT_READ, MAP_SHARED,
			0, ENOMEM);

	ok &= map_works("length 1", 1, PROT_READ, MAP_SHARED, 0);
	ok &= map_works("length region - 1", rs - 1, PROT_READ, MAP_SHARED, 0);
	ok &= map_works("whole region, MAP_SHARED_VALIDATE", rs, PROT_READ,
			MAP_SHARED_VALIDATE, 0);
	ok &= map_works("MAP_POPULATE | MAP_LOCKED | MAP_NORESERVE", rs,
			PROT_READ,
			MAP_SHARED | MAP_POPULATE | MAP_LOCKED | MAP_NORESERVE,
			0);
	ok &= map_works("PROT_NONE", rs, PROT_NONE, MAP_SHARED, 0);

	/* MAP_FIXED over a placeholder; MAP_FIXED_NOREPLACE refuses to. */
	hint = mmap(NULL, rs, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (hint == MAP_FAILED)
		return false;
	{
		int fd = open(TSMON_DEVICE_PATH, O_RDONLY | O_CLOEXEC);

		p = mmap(hint, rs, PROT_READ, MAP_SHARED | MAP_FIXED_NOREPLACE,
			 fd, 0);
		ok &= fails("MAP_FIXED_NOREPLACE over a mapping",
			    p == MAP_FAILED ? -1 : 0, EEXIST);
		p = mmap(hint, rs, PROT_READ, MAP_SHARED | MAP_FIXED, fd, 0);
		close(fd);
	}
	if (p != hint) {
		ksft_print_msg("MAP_FIXED: %s\n", ename(errno));
		ok = false;
	} else {
		ok &= view_live("MAP_FIXED", p, rs);
	}
	munmap(hint, rs);
	return ok;
}

/*
 * The driver takes VM_MAYWRITE and VM_MAYEXEC away: no mprotect() makes a
 * view writable or executable (EACCES). Read access can be dropped and
 * given back.
 */
static bool case_mprotect(void)
{
	size_t rs = region_size;
	unsigned char *p = map_region(rs, PROT_READ, MAP_SHARED, 0);
	bool ok = true;

	if (p == MAP_FAILED)
		return false;
	ok &= fails("mprotect PROT_WRITE", mprotect(p, rs, PROT_READ |
						    PROT_WRITE), EACCES);
	ok &= fails("mprotect PROT_WRITE, one page",
		    mprotect(p + page, page, PROT_WRITE), EACCES);
	ok &= fails("mprotect PROT_EXEC", mprotect(p, rs, PROT_READ |
						   PROT_EXEC), EACCES);
	ok &= fails("mprotect PROT_EXEC alone", mprotect(p, page, PROT_EXEC),
		    EACCES);
	ok &= fails("mprotect PROT_GROWSDOWN",
		    mprotect(p, page, PROT_READ | PROT_GROWSDOWN), EINVAL);
	ok &= succeeds("mprotect PROT_NONE", mprotect(p, rs, PROT_NONE));
	{
		uint64_t v;
		int sig = probe_load(p, &v);

		if (sig != SIGSEGV) {
			ksft_print_msg("read of a PROT_NONE view: %s\n",
				       sig ? strsignal(sig) : "no fault");
			ok = false;
		}
	}
	ok &= succeeds("mprotect back to PROT_READ",
		       mprotect(p, rs, PROT_READ));
	ok &= view_live("after mprotect", p, rs);
	munmap(p, rs);
	return ok;
}

/*
 * VM_DONTEXPAND: mremap() cannot grow the view (EFAULT) nor keep the old
 * one while moving (EINVAL); it may shrink it or move it whole, and the
 * moved view is still the live region.
 */
static bool case_mremap(void)
{
	size_t rs = region_size;
	unsigned char *p = map_region(rs, PROT_READ, MAP_SHARED, 0), *q, *r;
	bool ok = true;

	if (p == MAP_FAILED)
		return false;
	ok &= fails("mremap grow in place",
		    (long)mremap(p, rs, rs + page, 0) == -1 ? -1 : 0, EFAULT);
	ok &= fails("mremap grow, may move",
		    (long)mremap(p, rs, rs + page, MREMAP_MAYMOVE) == -1 ?
		    -1 : 0, EFAULT);
	ok &= fails("mremap duplicate (old size 0)",
		    (long)mremap(p, 0, page, MREMAP_MAYMOVE) == -1 ? -1 : 0,
		    EFAULT);
	ok &= fails("mremap MREMAP_DONTUNMAP",
		    (long)mremap(p, rs, rs, MREMAP_MAYMOVE | MREMAP_DONTUNMAP) ==
		    -1 ? -1 : 0, EINVAL);

	r = mmap(NULL, rs, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (r == MAP_FAILED)
		return false;
	q = mremap(p, rs, rs, MREMAP_MAYMOVE | MREMAP_FIXED, r);
	if (q != r) {
		ksft_print_msg("mremap move: %s\n", ename(errno));
		munmap(p, rs);
		munmap(r, rs);
		return false;
	}
	ok &= view_live("moved view", q, rs);
	q = mremap(q, rs, page, 0);
	if (q != r) {
		ksft_print_msg("mremap shrink: %s\n", ename(errno));
		munmap(r, rs);
		return false;
	}
	ok &= view_live("shrunk view", q, page);
	munmap(q, page);
	return ok;
}

struct advice {
	int advice;
	const char *name;
	int want;	/* errno, 0 for success, -1 for either EINVAL or success */
};

/*
 * Advice is the process's own business: whatever is accepted, the view
 * stays the live region afterwards - including MADV_DONTNEED, which drops
 * the pages from the view until they are touched again. Advice that
 * cannot apply to a shared device mapping is refused by the mm core.
 */
static bool case_madvise(void)
{
	static const struct advice adv[] = {
		{ MADV_NORMAL, "MADV_NORMAL", 0 },
		{ MADV_RANDOM, "MADV_RANDOM", 0 },
		{ MADV_SEQUENTIAL, "MADV_SEQUENTIAL", 0 },
		{ MADV_WILLNEED, "MADV_WILLNEED", 0 },
		{ MADV_DONTNEED, "MADV_DONTNEED", 0 },
		{ MADV_DONTNEED_LOCKED, "MADV_DONTNEED_LOCKED", 0 },
		{ MADV_COLD, "MADV_COLD", 0 },
		{ MADV_PAGEOUT, "MADV_PAGEOUT", 0 },
		{ MADV_DONTFORK, "MADV_DONTFORK", 0 },
		/* 7.3 refuses it for this mapping, 5.10..6.12 accept it. */
		{ MADV_DOFORK, "MADV_DOFORK", -1 },
		{ MADV_MERGEABLE, "MADV_MERGEABLE", 0 },
		{ MADV_UNMERGEABLE, "MADV_UNMERGEABLE", 0 },
		{ MADV_HUGEPAGE, "MADV_HUGEPAGE", 0 },
		{ MADV_NOHUGEPAGE, "MADV_NOHUGEPAGE", 0 },
		{ MADV_DONTDUMP, "MADV_DONTDUMP", 0 },
		{ MADV_KEEPONFORK, "MADV_KEEPONFORK", 0 },
		{ MADV_POPULATE_READ, "MADV_POPULATE_READ", 0 },
		{ MADV_FREE, "MADV_FREE", EINVAL },
		{ MADV_REMOVE, "MADV_REMOVE", EACCES },
		{ MADV_DODUMP, "MADV_DODUMP", EINVAL },
		{ MADV_WIPEONFORK, "MADV_WIPEONFORK", EINVAL },
		{ MADV_COLLAPSE, "MADV_COLLAPSE", EINVAL },
		{ MADV_POPULATE_WRITE, "MADV_POPULATE_WRITE", EINVAL },
		{ 999, "advice 999", EINVAL },
	};
	size_t rs = region_size, i;
	unsigned char *p = map_region(rs, PROT_READ, MAP_SHARED, 0);
	void *anon = mmap(NULL, page, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	bool ok = true;

	if (p == MAP_FAILED || anon == MAP_FAILED)
		return false;
	for (i = 0; i < ARRAY_SIZE(adv); i++) {
		int ret = madvise(p, rs, adv[i].advice);
		int want = adv[i].want;

		/*
		 * Advice this kernel does not know or cannot give (older than
		 * the advice, no THP on PREEMPT_RT, no KSM) is refused for
		 * any mapping: an anonymous page tells.
		 */
		if (!want && madvise(anon, page, adv[i].advice) && errno == EINVAL) {
			ksft_print_msg("%s: not available on this kernel\n", adv[i].name);
			want = EINVAL;
		}
		if (want < 0) {
			if (ret && errno != EINVAL)
				ok &= fails(adv[i].name, ret, EINVAL);
		} else if (want) {
			ok &= fails(adv[i].name, ret, want);
		} else {
			ok &= succeeds(adv[i].name, ret);
		}
		ok &= view_live(adv[i].name, p, rs);
	}
	munmap(anon, page);
	/* Dropped pages come back for a view moved elsewhere too. */
	ok &= fails("madvise unaligned", madvise(p + 1, page, MADV_DONTNEED),
		    EINVAL);
	munmap(p, rs);
	return ok;
}

/*
 * Forced writes (FOLL_FORCE through /proc/self/mem, which ptrace uses, and
 * process_vm_writev) cannot write the region either; forced reads can.
 */
static bool case_forced_write(void)
{
	size_t rs = region_size;
	unsigned char *p = map_region(rs, PROT_READ, MAP_SHARED, 0);
	struct iovec local, remote;
	uint64_t magic = 0, zero = 0;
	bool ok = true;
	int mem;

	if (p == MAP_FAILED)
		return false;
	mem = open("/proc/self/mem", O_RDWR | O_CLOEXEC);
	if (mem < 0) {
		ksft_print_msg("/proc/self/mem: %s\n", ename(errno));
		munmap(p, rs);
		return false;
	}
	ok &= fails("pwrite to /proc/self/mem",
		    pwrite(mem, &zero, sizeof(zero), (off_t)(uintptr_t)p), EIO);
	if (pread(mem, &magic, sizeof(magic), (off_t)(uintptr_t)p) != 8 ||
	    magic != TSMON_MAGIC) {
		ksft_print_msg("pread of /proc/self/mem: %s, %#llx\n",
			       ename(errno), (unsigned long long)magic);
		ok = false;
	}
	close(mem);

	local.iov_base = &zero;
	local.iov_len = sizeof(zero);
	remote.iov_base = p + offsetof(struct tsmon_header, head);
	remote.iov_len = sizeof(zero);
	ok &= fails("process_vm_writev",
		    process_vm_writev(getpid(), &local, 1, &remote, 1, 0),
		    EFAULT);
	local.iov_base = &magic;
	remote.iov_base = p;
	magic = 0;
	if (process_vm_readv(getpid(), &local, 1, &remote, 1, 0) != 8 ||
	    magic != TSMON_MAGIC) {
		ksft_print_msg("process_vm_readv: %s\n", ename(errno));
		ok = false;
	}
	ok &= view_live("after the forced writes", p, rs);
	munmap(p, rs);
	return ok;
}

/*
 * A child inherits the view (it is not VM_DONTCOPY) and sees the records
 * the parent makes after the fork; the parent's unmapping does not affect
 * the child's copy.
 */
static bool case_fork(void)
{
	size_t rs = region_size;
	const size_t head_off = offsetof(struct tsmon_header, head);
	unsigned char *p = map_region(rs, PROT_READ, MAP_SHARED, 0);
	int go[2], status;
	uint64_t h0, want;
	bool ok = true;
	pid_t pid;

	if (p == MAP_FAILED || pipe2(go, O_CLOEXEC))
		return false;
	h0 = __atomic_load_n((uint64_t *)(p + head_off), __ATOMIC_ACQUIRE);
	pid = fork();
	if (pid < 0)
		return false;
	if (pid == 0) {
		uint64_t h, w, magic;

		alarm(30);
		if (read(go[0], &w, sizeof(w)) != sizeof(w))
			_exit(2);
		if (probe_load(p + head_off, &h) || probe_load(p, &magic))
			_exit(3);
		_exit(h >= w && magic == TSMON_MAGIC ? 0 : 4);
	}
	ok &= step_pair();
	munmap(p, rs);
	want = h0 + 2;
	if (write(go[1], &want, sizeof(want)) != sizeof(want))
		ok = false;
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status)) {
		ksft_print_msg("child with the inherited view: status %#x\n",
			       status);
		ok = false;
	}
	close(go[0]);
	close(go[1]);
	return ok;
}

/*
 * The page at @at is the region's page at @off: what a fresh view shows
 * there (tried again if a record landed in it meanwhile).
 */
static bool same_page(const char *what, const unsigned char *at, size_t off)
{
	unsigned char *q = map_region(region_size, PROT_READ, MAP_SHARED, 0);
	bool ok = false;
	int i;

	if (q == MAP_FAILED)
		return false;
	for (i = 0; i < 10 && !ok; i++) {
		uint64_t v;

		if (probe_load(at, &v)) {
			ksft_print_msg("%s: the page faults\n", what);
			break;
		}
		ok = !memcmp(at, q + off, page);
	}
	if (!ok)
		ksft_print_msg("%s: differs from the region\n", what);
	munmap(q, region_size);
	return ok;
}

/*
 * A view outlives its descriptor and survives a hole punched in it; while
 * it exists the module cannot be unloaded (the mapping holds the file,
 * the file holds the module).
 */
static bool case_unmap_pin(void)
{
	size_t rs = region_size;
	long refs = module_refcnt();
	unsigned char *p = map_region(rs, PROT_READ, MAP_SHARED, 0);
	bool ok = true;
	uint64_t v;
	int err;

	if (p == MAP_FAILED)
		return false;
	if (module_refcnt() != refs + 1) {
		ksft_print_msg("a view without a descriptor: refcnt %ld, want %ld\n",
			       module_refcnt(), refs + 1);
		ok = false;
	}
	ok &= succeeds("munmap of the second page", munmap(p + page, page));
	if (probe_load(p + page, &v) != SIGSEGV) {
		ksft_print_msg("the unmapped page still reads\n");
		ok = false;
	}
	ok &= view_live("first page after the hole", p, page);
	ok &= same_page("the page after the hole", p + 2 * page, 2 * page);
	err = module_unload();
	if (err != -EAGAIN && err != -EBUSY) {
		ksft_print_msg("unloading with a view mapped: %s, want EAGAIN or EBUSY\n",
			       ename(-err));
		if (!err)
			module_load("");
		ok = false;
	}
	munmap(p, page);
	munmap(p + 2 * page, rs - 2 * page);
	ok &= refcnt_settles(refs, "view unmapped");
	return ok;
}

/* ----------------------------------------------------------- netlink */

struct nl {
	struct mnl_socket *sock;
	uint32_t seq;
	uint16_t family;
	uint32_t group;
};

struct reply {
	int err;		/* NLMSG_ERROR or NLMSG_DONE status */
	int replies;		/* other messages answering the request */
	int stray;		/* messages answering something else */
	bool done;		/* the answer was NLMSG_DONE */
	long offs;		/* NLMSGERR_ATTR_OFFS, -1 if none */
	char msg[200];		/* NLMSGERR_ATTR_MSG */
};

static unsigned char nlbuf[128 * 1024];
static uint32_t cfg_thr, cfg_ivl;	/* the configuration to keep */

static int nl_family_cb(const struct nlattr *attr, void *data)
{
	struct nl *n = data;

	nltest_family_attr(attr, &n->family, &n->group);
	return MNL_CB_OK;
}

static int nl_ack_cb(const struct nlattr *attr, void *data)
{
	struct reply *r = data;

	switch (mnl_attr_get_type(attr)) {
	case NLMSGERR_ATTR_MSG:
		if (mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) == 0)
			snprintf(r->msg, sizeof(r->msg), "%s",
				 mnl_attr_get_str(attr));
		break;
	case NLMSGERR_ATTR_OFFS:
		if (mnl_attr_validate(attr, MNL_TYPE_U32) == 0)
			r->offs = mnl_attr_get_u32(attr);
		break;
	}
	return MNL_CB_OK;
}

static void nl_parse_error(const struct nlmsghdr *nlh, struct reply *r)
{
	const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);
	size_t off = sizeof(*e);

	r->err = e->error;
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
		off += e->msg.nlmsg_len - sizeof(struct nlmsghdr);
	if (nlh->nlmsg_flags & NLM_F_ACK_TLVS)
		mnl_attr_parse(nlh, off, nl_ack_cb, r);
}

static void nl_timeout(struct nl *n, int ms)
{
	struct timeval tv = { .tv_sec = ms / 1000,
			      .tv_usec = (ms % 1000) * 1000 };

	setsockopt(mnl_socket_get_fd(n->sock), SOL_SOCKET, SO_RCVTIMEO, &tv,
		   sizeof(tv));
}

/*
 * Sends @len bytes and reads until the request with @seq is answered by
 * an error, an ack or the end of a dump: 0, or -ETIMEDOUT if nothing
 * answered within the receive timeout.
 */
static int nl_xfer(struct nl *n, const void *msg, size_t len, uint32_t seq,
		   struct reply *r)
{
	int fd = mnl_socket_get_fd(n->sock);

	memset(r, 0, sizeof(*r));
	r->offs = -1;
	if (msg && send(fd, msg, len, 0) < 0)
		return -errno;
	for (;;) {
		const struct nlmsghdr *nlh;
		ssize_t got = recv(fd, nlbuf, sizeof(nlbuf), 0);
		int left;

		if (got < 0)
			return errno == EAGAIN ? -ETIMEDOUT : -errno;
		left = (int)got;
		for (nlh = (const struct nlmsghdr *)nlbuf;
		     mnl_nlmsg_ok(nlh, left); nlh = mnl_nlmsg_next(nlh, &left)) {
			if (nlh->nlmsg_seq != seq) {
				r->stray++;
				continue;
			}
			if (nlh->nlmsg_type == NLMSG_ERROR) {
				nl_parse_error(nlh, r);
				return 0;
			}
			if (nlh->nlmsg_type == NLMSG_DONE) {
				r->done = true;
				if (mnl_nlmsg_get_payload_len(nlh) >= sizeof(int))
					memcpy(&r->err,
					       mnl_nlmsg_get_payload(nlh),
					       sizeof(int));
				return 0;
			}
			r->replies++;
		}
	}
}

static struct nlmsghdr *nl_put(struct nl *n, void *buf, uint16_t type,
			       uint16_t flags, uint8_t cmd)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct genlmsghdr *g;

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = flags;
	nlh->nlmsg_seq = ++n->seq;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->cmd = cmd;
	g->version = TSMON_GENL_VERSION;
	return nlh;
}

static void nl_close(struct nl *n)
{
	if (n->sock)
		mnl_socket_close(n->sock);
	n->sock = NULL;
}

static bool nl_open(struct nl *n)
{
	unsigned char buf[256];
	struct nlmsghdr *nlh;
	struct reply r;
	int one = 1, left;

	memset(n, 0, sizeof(*n));
	n->sock = mnl_socket_open2(NETLINK_GENERIC, SOCK_CLOEXEC);
	if (!n->sock || mnl_socket_bind(n->sock, 0, MNL_SOCKET_AUTOPID) < 0) {
		ksft_print_msg("generic netlink socket: %s\n", ename(errno));
		nl_close(n);
		return false;
	}
	mnl_socket_setsockopt(n->sock, NETLINK_EXT_ACK, &one, sizeof(one));
	nl_timeout(n, 5000);
	nlh = nl_put(n, buf, GENL_ID_CTRL, NLM_F_REQUEST, CTRL_CMD_GETFAMILY);
	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, TSMON_GENL_NAME);
	if (send(mnl_socket_get_fd(n->sock), nlh, nlh->nlmsg_len, 0) < 0)
		goto err;
	left = (int)recv(mnl_socket_get_fd(n->sock), nlbuf, sizeof(nlbuf), 0);
	if (left < 0)
		goto err;
	nlh = (struct nlmsghdr *)nlbuf;
	if (!mnl_nlmsg_ok(nlh, left) || nlh->nlmsg_type != GENL_ID_CTRL) {
		if (mnl_nlmsg_ok(nlh, left) && nlh->nlmsg_type == NLMSG_ERROR) {
			nl_parse_error(nlh, &r);
			errno = -r.err;
		}
		goto err;
	}
	mnl_attr_parse(nlh, sizeof(struct genlmsghdr), nl_family_cb, n);
	if (!n->family || !n->group) {
		ksft_print_msg("family %s: id %u group %u\n", TSMON_GENL_NAME,
			       n->family, n->group);
		nl_close(n);
		return false;
	}
	return true;
err:
	ksft_print_msg("resolving %s: %s\n", TSMON_GENL_NAME, ename(errno));
	nl_close(n);
	return false;
}

static bool config_is(uint32_t thr, uint32_t ivl, const char *when)
{
	unsigned long t0 = 0, i0 = 0;

	if (tsmon_param_get("phc_freq_threshold_ppb", &t0) ||
	    tsmon_param_get("phc_freq_interval_ms", &i0)) {
		ksft_print_msg("%s: cannot read the parameters\n", when);
		return false;
	}
	if (t0 == thr && i0 == ivl)
		return true;
	ksft_print_msg("%s: configuration %lu ppb %lu ms, want %u %u\n", when,
		       t0, i0, thr, ivl);
	return false;
}

static bool config_restore(void)
{
	return !tsmon_param_set("phc_freq_threshold_ppb", cfg_thr) &&
	       !tsmon_param_set("phc_freq_interval_ms", cfg_ivl);
}

/* What the kernel must answer. */
struct want {
	int err;
	bool msg;		/* an extended ack message */
	long offs;		/* the offending attribute's offset, or -1 */
	int replies;		/* -1: any number (a dump) */
};

static bool check_reply(const char *what, const struct reply *r,
			const struct want *w)
{
	bool ok = r->err == w->err && !r->stray &&
		  (!w->msg || r->msg[0]) && r->offs == w->offs &&
		  (w->replies < 0 || r->replies == w->replies);

	if (!ok)
		ksft_print_msg("%s: %s \"%s\" offs %ld, %d replies %d stray; want %s%s offs %ld, %d replies\n",
			       what, ename(-r->err), r->msg, r->offs,
			       r->replies, r->stray, ename(-w->err),
			       w->msg ? " with a message" : "", w->offs,
			       w->replies);
	return ok;
}

static bool expect(struct nl *n, const char *what, const struct nlmsghdr *nlh,
		   const struct want *w)
{
	struct reply r;
	int err = nl_xfer(n, nlh, nlh->nlmsg_len, nlh->nlmsg_seq, &r);

	if (err) {
		ksft_print_msg("%s: no answer (%s)\n", what, ename(-err));
		return false;
	}
	return check_reply(what, &r, w);
}

/* One attribute of the matrix: a type, a payload length and a value. */
struct attr {
	uint16_t type;		/* with NLA_F_* flags */
	uint16_t len;		/* payload bytes */
	uint64_t value;		/* little-endian in the first bytes */
};

/*
 * The strict policy of the family (kmod/tsmon_netlink.c) applied to one
 * attribute: 0 if valid, else the negative errno. Types 0 and beyond
 * TSMON_A_MAX are unknown, types outside the policy unsupported, policy
 * types must have their exact length and range, and none takes
 * NLA_F_NESTED.
 */
static int attr_verdict(const struct attr *a)
{
	uint16_t type = a->type & NLA_TYPE_MASK;

	if (type == 0 || type > TSMON_A_MAX)
		return -EINVAL;
	switch (type) {
	case TSMON_A_SEQ:
		if (a->len != 8 || (a->type & NLA_F_NESTED))
			return -EINVAL;
		return a->value ? 0 : -ERANGE;
	case TSMON_A_CFG_PHC_FREQ_THRESHOLD_PPB:
		if (a->len != 4 || (a->type & NLA_F_NESTED))
			return -EINVAL;
		return a->value <= 1000000000U ? 0 : -ERANGE;
	case TSMON_A_CFG_PHC_FREQ_INTERVAL_MS:
		if (a->len != 4 || (a->type & NLA_F_NESTED))
			return -EINVAL;
		return a->value <= 3600000U ? 0 : -ERANGE;
	}
	return -EINVAL;
}

static void put_attr(struct nlmsghdr *nlh, const struct attr *a)
{
	unsigned char payload[64] = { 0 };
	uint64_t v = a->value;

	memcpy(payload, &v, sizeof(v));
	mnl_attr_put(nlh, a->type, a->len, payload);
}

/*
 * Every command number 0..255 and a few flag sets, each with no attribute
 * and with each attribute of the matrix: unknown commands and commands
 * without the requested kind of handler are EOPNOTSUPP; otherwise the
 * policy's verdict on the attribute, with an extended ack message and the
 * attribute's offset, or the command's own answer. A SET_CONFIG that
 * passed is undone.
 */
static bool case_genl_matrix(void)
{
	static const uint16_t lens[] = { 0, 1, 2, 3, 4, 5, 7, 8, 9, 16, 60 };
	static const uint64_t cfg_values[] = { 0, 1, 3600000, 3600001,
					       1000000000, 1000000001,
					       0xffffffffULL };
	struct attr attrs[512];
	size_t nattrs = 0, a, bad = 0;
	unsigned long runs = 0;
	unsigned char buf[512];
	struct nl n;
	bool ok = true;
	unsigned int cmd, type, l, k, mode;

	if (!nl_open(&n))
		return false;

	/* Every type with every length, value 1 (unknown and out of policy). */
	for (type = 0; type <= TSMON_A_MAX + 1; type++)
		for (l = 0; l < ARRAY_SIZE(lens); l++)
			attrs[nattrs++] = (struct attr){ type, lens[l], 1 };
	attrs[nattrs++] = (struct attr){ (uint16_t)NLA_TYPE_MASK, 4, 1 };
	attrs[nattrs++] = (struct attr){ TSMON_A_SEQ, 8, 0 };
	attrs[nattrs++] = (struct attr){ TSMON_A_SEQ, 8, UINT64_MAX };
	attrs[nattrs++] = (struct attr){ TSMON_A_SEQ | NLA_F_NESTED, 8, 1 };
	for (k = 0; k < ARRAY_SIZE(cfg_values); k++) {
		attrs[nattrs++] = (struct attr){
			TSMON_A_CFG_PHC_FREQ_THRESHOLD_PPB, 4, cfg_values[k] };
		attrs[nattrs++] = (struct attr){
			TSMON_A_CFG_PHC_FREQ_INTERVAL_MS, 4, cfg_values[k] };
	}
	attrs[nattrs++] = (struct attr){
		TSMON_A_CFG_PHC_FREQ_THRESHOLD_PPB | NLA_F_NESTED, 4, 5 };

	for (cmd = 0; cmd < 256; cmd++) {
		for (mode = 0; mode < 2; mode++) {
			uint16_t flags = NLM_F_REQUEST | NLM_F_ACK |
					 (mode ? NLM_F_DUMP : 0);
			bool has_op = (cmd == TSMON_CMD_GET_STATUS && !mode) ||
				      (cmd == TSMON_CMD_GET_EVENTS && mode) ||
				      (cmd == TSMON_CMD_SET_CONFIG && !mode);
			/* Attributes only for the known commands' numbers. */
			size_t n_try = cmd <= TSMON_CMD_MAX + 1 ? nattrs + 1 : 1;

			for (a = 0; a < n_try; a++) {
				const struct attr *at = a ? &attrs[a - 1] : NULL;
				struct nlmsghdr *nlh;
				struct want w = { 0, false, -1, 0 };
				char what[96];
				int verdict = at ? attr_verdict(at) : 0;

				nlh = nl_put(&n, buf, n.family, flags, cmd);
				if (at)
					put_attr(nlh, at);
				if (!has_op) {
					w.err = -EOPNOTSUPP;
				} else if (verdict) {
					w.err = verdict;
					w.msg = true;
					w.offs = NLMSG_HDRLEN + GENL_HDRLEN;
				} else if (cmd == TSMON_CMD_GET_EVENTS) {
					w.replies = -1;
				} else if (cmd == TSMON_CMD_SET_CONFIG &&
					   (!at ||
					    ((at->type & NLA_TYPE_MASK) !=
					     TSMON_A_CFG_PHC_FREQ_THRESHOLD_PPB &&
					     (at->type & NLA_TYPE_MASK) !=
					     TSMON_A_CFG_PHC_FREQ_INTERVAL_MS))) {
					/* Valid, but nothing to change. */
					w.err = -EINVAL;
					w.msg = true;
				} else {
					w.replies = 1;
				}
				snprintf(what, sizeof(what),
					 "cmd %u%s attr %d len %d value %llu",
					 cmd, mode ? " dump" : "",
					 at ? at->type : -1, at ? at->len : -1,
					 at ? (unsigned long long)at->value : 0);
				runs++;
				if (!expect(&n, what, nlh, &w)) {
					ok = false;
					if (++bad > 20)
						goto out;
				}
				if (cmd == TSMON_CMD_SET_CONFIG && !w.err &&
				    !config_restore()) {
					ok = false;
					goto out;
				}
				/* GET_STATUS ignores the other commands' attributes. */
				if (cmd == TSMON_CMD_GET_STATUS && !w.err &&
				    at && !config_is(cfg_thr, cfg_ivl,
						     "GET_STATUS with a config attribute")) {
					ok = false;
					goto out;
				}
			}
		}
	}
out:
	nl_close(&n);
	ksft_print_msg("genl matrix: %lu requests, %zu wrong\n", runs, bad);
	return ok && config_is(cfg_thr, cfg_ivl, "after the matrix");
}

/*
 * Combinations the matrix does not make: a valid attribute next to a bad
 * one (nothing applied, the bad one pointed at), duplicates (the last
 * wins), floods of attributes, attributes that do not fit the message.
 */
static bool case_genl_attrs(void)
{
	static unsigned char big[96 * 1024];
	unsigned char buf[512];
	struct nlmsghdr *nlh;
	struct nlattr *na;
	struct nl n;
	bool ok = true;
	int i;

	if (!nl_open(&n))
		return false;

	nlh = nl_put(&n, buf, n.family, NLM_F_REQUEST | NLM_F_ACK,
		     TSMON_CMD_SET_CONFIG);
	mnl_attr_put_u32(nlh, TSMON_A_CFG_PHC_FREQ_THRESHOLD_PPB, cfg_thr + 7);
	mnl_attr_put_u64(nlh, TSMON_A_HEAD, 1);
	ok &= expect(&n, "set_config, good threshold then TSMON_A_HEAD", nlh,
		     &(struct want){ -EINVAL, true,
				     NLMSG_HDRLEN + GENL_HDRLEN + 8, 0 });
	ok &= config_is(cfg_thr, cfg_ivl, "good attribute before a bad one");

	nlh = nl_put(&n, buf, n.family, NLM_F_REQUEST | NLM_F_ACK,
		     TSMON_CMD_SET_CONFIG);
	mnl_attr_put_u32(nlh, TSMON_A_CFG_PHC_FREQ_THRESHOLD_PPB, cfg_thr + 7);
	mnl_attr_put_u32(nlh, TSMON_A_CFG_PHC_FREQ_INTERVAL_MS, 3600001);
	ok &= expect(&n, "set_config, good threshold then interval > 1 h",
		     nlh, &(struct want){ -ERANGE, true,
					  NLMSG_HDRLEN + GENL_HDRLEN + 8, 0 });
	ok &= config_is(cfg_thr, cfg_ivl, "good attribute before a range error");

	nlh = nl_put(&n, buf, n.family, NLM_F_REQUEST | NLM_F_ACK,
		     TSMON_CMD_SET_CONFIG);
	mnl_attr_put_u32(nlh, TSMON_A_CFG_PHC_FREQ_THRESHOLD_PPB, cfg_thr + 7);
	mnl_attr_put_u32(nlh, TSMON_A_CFG_PHC_FREQ_THRESHOLD_PPB, cfg_thr + 9);
	ok &= expect(&n, "set_config, the threshold twice", nlh,
		     &(struct want){ 0, false, -1, 1 });
	ok &= config_is(cfg_thr + 9, cfg_ivl, "duplicate attribute: the last");
	ok &= config_restore();

	/* A request of ~90 KiB: thousands of attributes, the first unknown. */
	nlh = nl_put(&n, big, n.family, NLM_F_REQUEST | NLM_F_ACK,
		     TSMON_CMD_GET_STATUS);
	for (i = 0; i < 11000; i++)
		mnl_attr_put_u32(nlh, i ? TSMON_A_HEAD : TSMON_A_MAX + 1, i);
	ok &= expect(&n, "status, 11000 attributes", nlh,
		     &(struct want){ -EINVAL, true,
				     NLMSG_HDRLEN + GENL_HDRLEN, 0 });
	nlh = nl_put(&n, big, n.family, NLM_F_REQUEST | NLM_F_ACK | NLM_F_DUMP,
		     TSMON_CMD_GET_EVENTS);
	for (i = 0; i < 7000; i++)
		mnl_attr_put_u64(nlh, TSMON_A_SEQ, UINT64_MAX - i);
	ok &= expect(&n, "dump, 7000 valid TSMON_A_SEQ", nlh,
		     &(struct want){ 0, false, -1, 0 });
	/* One attribute whose payload is 60000 bytes. */
	nlh = nl_put(&n, big, n.family, NLM_F_REQUEST | NLM_F_ACK,
		     TSMON_CMD_GET_STATUS);
	memset(big + 64, 0x5a, 60000);
	mnl_attr_put(nlh, TSMON_A_RECORD, 60000, big + 64);
	ok &= expect(&n, "status, a 60000-byte attribute", nlh,
		     &(struct want){ -EINVAL, true,
				     NLMSG_HDRLEN + GENL_HDRLEN, 0 });

	/* An attribute header shorter than itself, then one too long. */
	nlh = nl_put(&n, buf, n.family, NLM_F_REQUEST | NLM_F_ACK,
		     TSMON_CMD_GET_STATUS);
	na = (struct nlattr *)((char *)nlh + nlh->nlmsg_len);
	na->nla_len = 2;
	na->nla_type = TSMON_A_SEQ;
	nlh->nlmsg_len += 4;
	ok &= expect(&n, "status, nla_len 2", nlh,
		     &(struct want){ -EINVAL, true, -1, 0 });
	nlh = nl_put(&n, buf, n.family, NLM_F_REQUEST | NLM_F_ACK | NLM_F_DUMP,
		     TSMON_CMD_GET_EVENTS);
	mnl_attr_put_u64(nlh, TSMON_A_SEQ, 1);
	na = (struct nlattr *)((char *)nlh + NLMSG_HDRLEN + GENL_HDRLEN);
	na->nla_len = 200;
	ok &= expect(&n, "dump, nla_len beyond the message", nlh,
		     &(struct want){ -EINVAL, true, -1, 0 });
	nl_close(&n);
	return ok && config_is(cfg_thr, cfg_ivl, "after the attribute cases");
}

/*
 * Header fields: nonzero reserved bytes and any nlmsg flag the generic
 * netlink core does not define for a request are EINVAL with a message;
 * the genl version byte is not checked; a message that is not a request
 * is acknowledged and not executed; an unknown family is ENOENT.
 */
static bool case_genl_header(void)
{
	static const uint16_t bad_flags[] = { NLM_F_MULTI, NLM_F_ROOT,
					      NLM_F_MATCH, NLM_F_ATOMIC,
					      NLM_F_APPEND, 0x1000, 0x4000 };
	static const uint8_t versions[] = { 0, 2, 255 };
	unsigned char buf[256];
	struct nlmsghdr *nlh;
	struct genlmsghdr *g;
	struct nl n;
	bool ok = true;
	size_t i;

	if (!nl_open(&n))
		return false;
	for (i = 0; i < 2; i++) {
		nlh = nl_put(&n, buf, n.family, NLM_F_REQUEST | NLM_F_ACK,
			     TSMON_CMD_GET_STATUS);
		g = mnl_nlmsg_get_payload(nlh);
		g->reserved = i ? 0xffff : 1;
		ok &= expect(&n, "reserved header bytes", nlh,
			     &(struct want){ -EINVAL, true, -1, 0 });
	}
	for (i = 0; i < ARRAY_SIZE(bad_flags); i++) {
		char what[48];

		nlh = nl_put(&n, buf, n.family,
			     NLM_F_REQUEST | NLM_F_ACK | bad_flags[i],
			     TSMON_CMD_SET_CONFIG);
		mnl_attr_put_u32(nlh, TSMON_A_CFG_PHC_FREQ_INTERVAL_MS,
				 cfg_ivl + 3);
		snprintf(what, sizeof(what), "nlmsg_flags %#x", bad_flags[i]);
		ok &= expect(&n, what, nlh,
			     &(struct want){ -EINVAL, true, -1, 0 });
	}
	ok &= config_is(cfg_thr, cfg_ivl, "after the bad flags");
	nlh = nl_put(&n, buf, n.family, NLM_F_REQUEST | NLM_F_ACK | NLM_F_ECHO,
		     TSMON_CMD_GET_STATUS);
	ok &= expect(&n, "NLM_F_ECHO", nlh, &(struct want){ 0, false, -1, 1 });
	for (i = 0; i < ARRAY_SIZE(versions); i++) {
		nlh = nl_put(&n, buf, n.family, NLM_F_REQUEST | NLM_F_ACK,
			     TSMON_CMD_GET_STATUS);
		g = mnl_nlmsg_get_payload(nlh);
		g->version = versions[i];
		ok &= expect(&n, "genl version byte", nlh,
			     &(struct want){ 0, false, -1, 1 });
	}
	nlh = nl_put(&n, buf, n.family, NLM_F_ACK, TSMON_CMD_SET_CONFIG);
	mnl_attr_put_u32(nlh, TSMON_A_CFG_PHC_FREQ_INTERVAL_MS, cfg_ivl + 3);
	ok &= expect(&n, "not a request", nlh,
		     &(struct want){ 0, false, -1, 0 });
	ok &= config_is(cfg_thr, cfg_ivl, "a message that is not a request");
	nlh = nl_put(&n, buf, 0x7ff0, NLM_F_REQUEST | NLM_F_ACK,
		     TSMON_CMD_GET_STATUS);
	ok &= expect(&n, "unknown family", nlh,
		     &(struct want){ -ENOENT, false, -1, 0 });
	nl_close(&n);
	return ok;
}

/*
 * Truncation: a generic netlink header cut short is EINVAL; a netlink
 * header that claims less than itself or more than was sent, or a send
 * shorter than a header, is dropped without an answer (an empty send is
 * refused with ENODATA) - and the socket stays in step (the next request
 * is answered).
 */
static bool case_genl_truncated(void)
{
	unsigned char buf[256];
	struct nlmsghdr *nlh;
	struct reply r;
	struct nl n;
	bool ok = true;
	int i, err;

	if (!nl_open(&n))
		return false;
	for (i = 0; i < (int)GENL_HDRLEN; i++) {
		nlh = nl_put(&n, buf, n.family, NLM_F_REQUEST | NLM_F_ACK,
			     TSMON_CMD_GET_STATUS);
		nlh->nlmsg_len = NLMSG_HDRLEN + i;
		ok &= expect(&n, "genl header cut short", nlh,
			     &(struct want){ -EINVAL, false, -1, 0 });
	}
	nl_timeout(&n, 300);
	for (i = 0; i < 3; i++) {
		static const uint32_t lens[] = { 0, 8, 200 };

		nlh = nl_put(&n, buf, n.family, NLM_F_REQUEST | NLM_F_ACK,
			     TSMON_CMD_GET_STATUS);
		nlh->nlmsg_len = lens[i];
		err = nl_xfer(&n, nlh, NLMSG_HDRLEN + GENL_HDRLEN,
			      nlh->nlmsg_seq, &r);
		if (err != -ETIMEDOUT) {
			ksft_print_msg("nlmsg_len %u: answered (%s / %s)\n",
				       lens[i], ename(-err), ename(-r.err));
			ok = false;
		}
	}
	/* The netlink core refuses an empty message outright. */
	nlh = nl_put(&n, buf, n.family, NLM_F_REQUEST | NLM_F_ACK,
		     TSMON_CMD_GET_STATUS);
	ok &= fails("send of 0 bytes", send(mnl_socket_get_fd(n.sock), nlh, 0, 0),
		    ENODATA);
	for (i = 1; i < NLMSG_HDRLEN; i += 5) {
		nlh = nl_put(&n, buf, n.family, NLM_F_REQUEST | NLM_F_ACK,
			     TSMON_CMD_GET_STATUS);
		err = nl_xfer(&n, nlh, i, nlh->nlmsg_seq, &r);
		if (err != -ETIMEDOUT) {
			ksft_print_msg("send of %d bytes: answered (%s)\n", i,
				       ename(-err));
			ok = false;
		}
	}
	nl_timeout(&n, 5000);
	/*
	 * Two requests in one send, the second's genl header cut short: the
	 * first is answered (status, then its ack), the second is EINVAL.
	 */
	{
		struct nlmsghdr *second;
		uint32_t seq1, seq2;
		size_t len;

		nlh = nl_put(&n, buf, n.family, NLM_F_REQUEST | NLM_F_ACK,
			     TSMON_CMD_GET_STATUS);
		seq1 = nlh->nlmsg_seq;
		len = NLMSG_ALIGN(nlh->nlmsg_len);
		second = nl_put(&n, buf + len, n.family,
				NLM_F_REQUEST | NLM_F_ACK, TSMON_CMD_GET_STATUS);
		seq2 = second->nlmsg_seq;
		second->nlmsg_len = NLMSG_HDRLEN + 1;
		len += NLMSG_HDRLEN + 4;
		err = nl_xfer(&n, buf, len, seq1, &r);
		ok &= !err && check_reply("first of two requests", &r,
					  &(struct want){ 0, false, -1, 1 });
		/* Its answer may have come in the same read: look again. */
		if (r.stray != 1) {
			err = nl_xfer(&n, NULL, 0, seq2, &r);
			ok &= !err && check_reply("second, cut short", &r,
						  &(struct want){ -EINVAL, false,
								  -1, 0 });
		}
	}
	nlh = nl_put(&n, buf, n.family, NLM_F_REQUEST | NLM_F_ACK,
		     TSMON_CMD_GET_STATUS);
	ok &= expect(&n, "a good request afterwards", nlh,
		     &(struct want){ 0, false, -1, 1 });
	nl_close(&n);
	return ok;
}

/*
 * Dumps: a start beyond the head returns nothing; a start the ring no
 * longer holds begins with one loss notice for exactly what is gone. A
 * dump left half read holds the module (it cannot be unloaded) until its
 * socket is closed, and then lets go of it.
 */
static bool case_genl_dumps(void)
{
	unsigned char buf[256];
	struct nlmsghdr *nlh;
	struct tsmon_info info;
	struct reply r;
	struct nl n, slow;
	long refs;
	bool ok = true;
	int one = 1, err, i;

	if (!nl_open(&n) || tsmon_get_info(t, &info))
		return false;
	nlh = nl_put(&n, buf, n.family, NLM_F_REQUEST | NLM_F_ACK | NLM_F_DUMP,
		     TSMON_CMD_GET_EVENTS);
	mnl_attr_put_u64(nlh, TSMON_A_SEQ, lib_head() + 1000);
	ok &= expect(&n, "dump from beyond the head", nlh,
		     &(struct want){ 0, false, -1, 0 });

	/* A full ring, and more: older records are gone, a dump is long. */
	for (i = 0; i < 5000 && lib_head() <= info.ring_entries + 100; i++)
		if (!step_pair())
			return false;
	{
		uint64_t head = lib_head(), lost;
		uint64_t oldest = head - info.ring_entries + 1;
		const struct nlmsghdr *m;
		struct nlattr *at;
		ssize_t got;

		nlh = nl_put(&n, buf, n.family, NLM_F_REQUEST | NLM_F_DUMP,
			     TSMON_CMD_GET_EVENTS);
		mnl_attr_put_u64(nlh, TSMON_A_SEQ, 1);
		send(mnl_socket_get_fd(n.sock), nlh, nlh->nlmsg_len, 0);
		got = recv(mnl_socket_get_fd(n.sock), nlbuf, sizeof(nlbuf), 0);
		m = (const struct nlmsghdr *)nlbuf;
		lost = 0;
		if (got > 0 && mnl_nlmsg_ok(m, (int)got))
			mnl_attr_for_each(at, m, GENL_HDRLEN)
				if (mnl_attr_get_type(at) == TSMON_A_LOST)
					lost = mnl_attr_get_u64(at);
		/* The ring may have moved on by the time it was sent. */
		if (lost < oldest - 1 || lost > lib_head() - info.ring_entries) {
			ksft_print_msg("dump from 1: loss notice %llu, want %llu\n",
				       (unsigned long long)lost,
				       (unsigned long long)(oldest - 1));
			ok = false;
		}
		nl_close(&n);
		if (!nl_open(&n))
			return false;
	}

	/* A dump of the whole ring into a socket that holds one message. */
	refs = module_refcnt();
	if (!nl_open(&slow))
		return false;
	setsockopt(mnl_socket_get_fd(slow.sock), SOL_SOCKET, SO_RCVBUF, &one,
		   sizeof(one));
	nlh = nl_put(&slow, buf, slow.family, NLM_F_REQUEST | NLM_F_DUMP,
		     TSMON_CMD_GET_EVENTS);
	if (send(mnl_socket_get_fd(slow.sock), nlh, nlh->nlmsg_len, 0) < 0)
		return false;
	if (module_refcnt() != refs + 1) {
		ksft_print_msg("a pending dump: refcnt %ld, want %ld\n",
			       module_refcnt(), refs + 1);
		ok = false;
	}
	err = module_unload();
	if (err != -EAGAIN && err != -EBUSY) {
		ksft_print_msg("unloading during a dump: %s, want EAGAIN or EBUSY\n",
			       ename(-err));
		if (!err)
			module_load("");
		ok = false;
	}
	nl_close(&slow);
	ok &= refcnt_settles(refs, "the dump's socket closed");

	/* The family still answers. */
	nlh = nl_put(&n, buf, n.family, NLM_F_REQUEST | NLM_F_ACK,
		     TSMON_CMD_GET_STATUS);
	err = nl_xfer(&n, nlh, nlh->nlmsg_len, nlh->nlmsg_seq, &r);
	ok &= !err && check_reply("status after the dumps", &r,
				  &(struct want){ 0, false, -1, 1 });
	nl_close(&n);
	return ok;
}

/* ----------------------------------------------------------- parameters */

static int param_write(const char *name, const char *val)
{
	char path[128];
	ssize_t n;
	int fd, err = 0;

	snprintf(path, sizeof(path), PARAM_DIR "/%s", name);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = write(fd, val, strlen(val));
	if (n < 0)
		err = -errno;
	else if ((size_t)n != strlen(val))
		err = -EIO;
	close(fd);
	return err;
}

/*
 * Root writing garbage to the writable parameters gets EINVAL (not a
 * number, or out of the parameter's range) or ERANGE (does not fit), and
 * the value is unchanged; the load-time parameters are read-only.
 */
static bool case_params(void)
{
	static const struct {
		const char *val;
		int want;
	} bad[] = {
		{ "\n", EINVAL }, { "abc", EINVAL }, { "-1", EINVAL },
		{ "1.5", EINVAL }, { " 5", EINVAL }, { "5 5", EINVAL },
		{ "4294967296", ERANGE }, { "99999999999999999999", ERANGE },
		{ "3600001", EINVAL }, { "0x", EINVAL },
	};
	static const char *const writable[] = { "phc_freq_threshold_ppb",
						"phc_freq_interval_ms" };
	bool ok = true;
	size_t i, j;
	int err;

	for (j = 0; j < ARRAY_SIZE(writable); j++)
		for (i = 0; i < ARRAY_SIZE(bad); i++) {
			/* The threshold's range goes to 1e9. */
			int want = bad[i].want;

			err = param_write(writable[j], bad[i].val);
			if (!j && !strcmp(bad[i].val, "3600001"))
				want = 0;
			if (err != -want) {
				ksft_print_msg("%s = \"%s\": %s, want %s\n",
					       writable[j], bad[i].val,
					       ename(-err), ename(want));
				ok = false;
			}
			if (!want)
				ok &= config_restore();
			ok &= config_is(cfg_thr, cfg_ivl, bad[i].val);
		}
	err = param_write("phc_freq_threshold_ppb", "1000000001");
	ok &= err == -EINVAL;
	err = param_write("phc_freq_interval_ms", "0x10\n");
	ok &= !err && config_is(cfg_thr, 16, "hexadecimal with a newline");
	ok &= config_restore();
	for (i = 0; i < 2; i++) {
		const char *name = i ? "probes" : "ring_entries";

		err = param_write(name, "1");
		if (err != -EACCES) {
			ksft_print_msg("%s (read-only) written by root: %s\n",
				       name, ename(-err));
			ok = false;
		}
	}
	return ok;
}

/* ----------------------------------------------------------- unprivileged */

#define MAX_FILES	128

/* Regular files under @dir, symlinks not followed. */
static void list_files(const char *dir, char (*files)[512], int *n, int depth)
{
	struct dirent *e;
	DIR *d = opendir(dir);

	if (!d)
		return;
	while ((e = readdir(d)) && *n < MAX_FILES) {
		char path[512];
		struct stat st;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if (lstat(path, &st))
			continue;
		if (S_ISREG(st.st_mode))
			snprintf(files[(*n)++], 512, "%s", path);
		else if (S_ISDIR(st.st_mode) && depth < 3)
			list_files(path, files, n, depth + 1);
	}
	closedir(d);
}

static int nobody_set_config(struct reply *r)
{
	unsigned char buf[256];
	struct nlmsghdr *nlh;
	struct nl n;
	int err;

	if (!nl_open(&n))
		return -EIO;
	nlh = nl_put(&n, buf, n.family, NLM_F_REQUEST | NLM_F_ACK,
		     TSMON_CMD_SET_CONFIG);
	mnl_attr_put_u32(nlh, TSMON_A_CFG_PHC_FREQ_THRESHOLD_PPB, 1);
	err = nl_xfer(&n, nlh, nlh->nlmsg_len, nlh->nlmsg_seq, r);
	nl_close(&n);
	return err;
}

/* Runs as nobody; prints what went wrong, exits 0 if nothing did. */
static void __attribute__((noreturn)) nobody_main(char (*files)[512],
						  int nfiles)
{
	struct tsmon_cursor c;
	struct tsmon_record rec;
	struct tsmon_health h;
	struct tsmon_nl_status st;
	struct tsmon_sub *s;
	struct tsmon *u;
	struct reply r;
	bool ok = true;
	uint64_t v;
	int i, fd, err;

	alarm(60);
	if (setgroups(0, NULL) || setgid(NOBODY) || setuid(NOBODY) ||
	    geteuid() != NOBODY)
		_exit(2);

	/* What anyone may do. */
	err = tsmon_open(NULL, &u);
	if (err) {
		ksft_print_msg("nobody: tsmon_open: %s\n", ename(-err));
		_exit(1);
	}
	tsmon_cursor_init(u, &c, TSMON_FROM_OLDEST, 0);
	err = tsmon_next(u, &c, &rec);
	if (tsmon_health(u, &h) || (err && err != -EAGAIN)) {
		ksft_print_msg("nobody: reading the mapping: %s\n",
			       ename(-err));
		ok = false;
	}
	tsmon_close(u);
	fd = open(TSMON_DEVICE_PATH, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	ok &= succeeds("nobody: open O_RDONLY", fd);
	if (fd >= 0) {
		ok &= fails("nobody: read, nothing new", read(fd, &v, 8),
			    EAGAIN);
		close(fd);
	}
	err = tsmon_sub_open(&s);
	if (!err) {
		err = tsmon_sub_status(s, &st, NULL);
		if (!err)
			err = tsmon_sub_start(s, TSMON_FROM_OLDEST, 0);
		if (!err)
			err = tsmon_sub_next(s, &rec, 5000);
		tsmon_sub_close(s);
	}
	if (err) {
		ksft_print_msg("nobody: status and replay over netlink: %s\n",
			       ename(-err));
		ok = false;
	}
	for (i = 0; i < nfiles; i++) {
		char line[64];

		if (strstr(files[i], "/parameters/") &&
		    !read_sysfs_line(files[i], line, sizeof(line))) {
			ksft_print_msg("nobody: cannot read %s\n", files[i]);
			ok = false;
		}
	}

	/* What nobody may not. */
	ok &= open_fails("nobody: open O_WRONLY", O_WRONLY, EACCES);
	ok &= open_fails("nobody: open O_RDWR", O_RDWR, EACCES);
	ok &= open_fails("nobody: open O_RDONLY | O_TRUNC", O_RDONLY | O_TRUNC,
			 EACCES);
	err = nobody_set_config(&r);
	if (err || r.err != -EPERM || !r.msg[0]) {
		ksft_print_msg("nobody: SET_CONFIG: %s / %s \"%s\", want EPERM with a message\n",
			       ename(-err), ename(-r.err), r.msg);
		ok = false;
	}
	for (i = 0; i < nfiles; i++) {
		fd = open(files[i], O_WRONLY | O_CLOEXEC);
		if (fd >= 0)
			close(fd);
		ok &= fails(files[i], fd, EACCES);
	}
	ok &= fails("nobody: delete_module",
		    syscall(SYS_delete_module, TSMON_MODNAME, O_NONBLOCK),
		    EPERM);
	err = module_load("");
	if (err != -EPERM) {
		ksft_print_msg("nobody: finit_module: %s, want EPERM\n",
			       ename(-err));
		ok = false;
	}
	err = clock_step_ns(1);
	if (err != -EPERM) {
		ksft_print_msg("nobody: ADJ_SETOFFSET: %s, want EPERM\n",
			       ename(-err));
		ok = false;
	}
	_exit(ok ? 0 : 1);
}

/*
 * uid and gid nobody, no supplementary groups: mapping, reading, polling,
 * the netlink status and replay work; opening the device for writing, the
 * configuration command, writing any module parameter or sysfs attribute
 * of the module, unloading it and stepping the clock do not.
 */
static bool case_unprivileged(void)
{
	static char files[MAX_FILES][512];
	int nfiles = 0, i, status;
	bool ok = true;
	pid_t pid;

	list_files(TSMON_SYSMOD, files, &nfiles, 0);
	list_files(CLASS_DIR "/", files, &nfiles, 0);
	if (nfiles < 8) {
		ksft_print_msg("only %d files under %s and %s\n", nfiles,
			       TSMON_SYSMOD, CLASS_DIR);
		return false;
	}
	for (i = 0; i < nfiles; i++) {
		struct stat st;

		if (!stat(files[i], &st) && (st.st_mode & 0022)) {
			ksft_print_msg("%s: mode %o is writable by others\n",
				       files[i], st.st_mode & 07777);
			ok = false;
		}
	}
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		return false;
	if (pid == 0)
		nobody_main(files, nfiles);
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status)) {
		ksft_print_msg("the unprivileged child: status %#x\n", status);
		ok = false;
	}
	ksft_print_msg("nobody: %d module files refused for writing\n", nfiles);
	return ok && config_is(cfg_thr, cfg_ivl, "after the unprivileged child");
}

/* ----------------------------------------------------------- the end */

/*
 * Everything is closed: the module holds no reference (no file, view or
 * dump leaked one), unloads, loads again and records.
 */
static bool case_no_leak(void)
{
	int err;

	tsmon_close(t);
	t = NULL;
	if (!refcnt_settles(0, "everything closed"))
		return false;
	err = module_reload_default();
	if (err) {
		ksft_print_msg("reloading: %s\n", ename(-err));
		return false;
	}
	if (tsmon_open(NULL, &t))
		return false;
	return still_records("after the reload");
}

int main(void)
{
	struct tsmon_info info;
	unsigned long v;

	selftest_start(25);
	page = (size_t)sysconf(_SC_PAGESIZE);
	t = open_or_bail();
	if (tsmon_get_info(t, &info))
		ksft_exit_fail_msg("tsmon_get_info\n");
	region_size = info.region_size;
	if (tsmon_param_get("phc_freq_threshold_ppb", &v))
		ksft_exit_fail_msg("cannot read the module parameters\n");
	cfg_thr = (uint32_t)v;
	if (tsmon_param_get("phc_freq_interval_ms", &v))
		ksft_exit_fail_msg("cannot read the module parameters\n");
	cfg_ivl = (uint32_t)v;
	guard = mmap(NULL, page, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (guard == MAP_FAILED)
		ksft_exit_fail_msg("mmap: %s\n", ename(errno));
	selftest_skip_ntp();

	ksft_test_result(case_ioctl_scan(), "ioctl: every number is ENOTTY\n");
	ksft_test_result(case_ioctl_vfs(), "ioctl: the VFS's own ioctls behave\n");
	ksft_test_result(case_read_sizes(),
			 "read: < 8 bytes EINVAL, more returns 8\n");
	ksft_test_result(case_read_efault(),
			 "read: bad buffers EFAULT, the record stays pending\n");
	ksft_test_result(case_read_positional(),
			 "read: positional ESPIPE, vectored, splice, sendfile\n");
	ksft_test_result(case_read_interrupted(),
			 "read: EINTR on a signal, restarts with SA_RESTART\n");
	ksft_test_result(case_poll(), "poll, select, epoll: POLLIN only\n");
	ksft_test_result(case_open_write(),
			 "open for writing EPERM, writes EBADF, no leak\n");
	ksft_test_result(still_records("after the file operations"),
			 "the module records after the file operations\n");
	ksft_test_result(case_mmap(), "mmap: read-only shared from 0 only\n");
	ksft_test_result(case_mprotect(),
			 "mprotect: never writable nor executable\n");
	ksft_test_result(case_mremap(), "mremap: no growth; moves stay live\n");
	ksft_test_result(case_madvise(), "madvise: the view stays live\n");
	ksft_test_result(case_forced_write(),
			 "forced writes refused, forced reads work\n");
	ksft_test_result(case_fork(), "fork: the child's view is live\n");
	ksft_test_result(case_unmap_pin(),
			 "holes, closed descriptors; a view pins the module\n");
	ksft_test_result(still_records("after the mappings"),
			 "the module records after the mappings\n");
	ksft_test_result(case_genl_matrix(),
			 "genl: every command x attribute gets its errno\n");
	ksft_test_result(case_genl_attrs(),
			 "genl: mixed, duplicate, flooding, overlong attributes\n");
	ksft_test_result(case_genl_header(), "genl: header fields and flags\n");
	ksft_test_result(case_genl_truncated(),
			 "genl: truncated headers, the socket stays in step\n");
	ksft_test_result(case_genl_dumps(),
			 "genl: dump edges; a half-read dump pins, then frees\n");
	ksft_test_result(case_params(),
			 "module parameters refuse garbage, keep their value\n");
	ksft_test_result(case_unprivileged(),
			 "nobody reads and maps, and can change nothing\n");
	ksft_test_result(case_no_leak(),
			 "no reference leaked; reload; the module records\n");
	if (t)
		tsmon_close(t);
	/* Only a case cut short leaves a step not taken back. */
	if (stepped && clock_step_ns(-stepped))
		ksft_print_msg("could not undo %lld ns of steps\n",
			       (long long)stepped);
	ksft_finished();
}
