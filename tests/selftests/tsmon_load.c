// SPDX-License-Identifier: GPL-2.0-only
/*
 * tsmon_load - module lifecycle and the device node.
 *
 * Unloads whatever tsmon module is loaded, loads $TSMON_KO with good and
 * bad parameters, checks the node and the region header, that a mapping or
 * an open file pins the module, that unloading removes the node and that a
 * reload is a new instance. An unprivileged process must be able to map
 * the region and read the health block. Every kernel of the matrix
 * (kernels.conf) must attach every hook with the default parameters, and
 * the NTP group must accept what its probes read once they have run (a
 * group refused by the module's run-time checks fails here). Leaves the
 * module loaded with its default parameters, as the suite expects.
 */
#include <grp.h>
#include <sys/mman.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>

#include "tsmon_selftest.h"

#define NOBODY		65534
#define MISC_MAJOR	10
#define HOOKS_FILE	"/sys/class/misc/tsmon/stats/hooks"

/* Every hook of a default load, as health.hooks and stats/hooks name it. */
static const struct {
	uint32_t bit;
	const char *name;
} all_hooks[] = {
	{ TSMON_HOOK_TIMEKEEPER,	"timekeeper" },
	{ TSMON_HOOK_ADJTIMEX,		"adjtimex" },
	{ TSMON_HOOK_SETTIME,		"settime" },
	{ TSMON_HOOK_PHC_ADJ,		"phc_adj" },
	{ TSMON_HOOK_PHC_EVENT,		"phc_event" },
	{ TSMON_HOOK_PHC_LIFE,		"phc_life" },
};

static const char *const bad_params[] = {
	"ring_entries=100",		/* not a power of two */
	"ring_entries=32",		/* power of two below the minimum */
	"ring_entries=0",
	"ring_entries=2097152",		/* power of two above the maximum */
	"ring_entries=abc",		/* not a number */
};

static uint64_t id_default, id_small;

/* The first page holds the header; it is mapped without trusting it. */
static const struct tsmon_header *map_header(int *fdp)
{
	void *p;
	int fd;

	fd = open(TSMON_DEVICE_PATH, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		ksft_print_msg("open %s: %s\n", TSMON_DEVICE_PATH,
			       strerror(errno));
		return NULL;
	}
	p = mmap(NULL, sizeof(struct tsmon_header), PROT_READ, MAP_SHARED,
		 fd, 0);
	if (p == MAP_FAILED) {
		ksft_print_msg("mmap header: %s\n", strerror(errno));
		close(fd);
		return NULL;
	}
	*fdp = fd;
	return p;
}

static void unmap_header(const struct tsmon_header *h, int fd)
{
	munmap((void *)h, sizeof(*h));
	close(fd);
}

static bool is_pow2(uint64_t v)
{
	return v && !(v & (v - 1));
}

/* Header checks shared by every load: @entries is the expected ring size. */
static bool header_valid(const struct tsmon_header *h, uint32_t entries)
{
	int64_t now_real = clk_ns(CLOCK_REALTIME);
	int64_t now_mono = clk_ns(CLOCK_MONOTONIC);
	long page = sysconf(_SC_PAGESIZE);
	bool ok = true;

#define HCHECK(cond) do {						\
		if (!(cond)) {						\
			ksft_print_msg("header: %s is false\n", #cond);	\
			ok = false;					\
		}							\
	} while (0)

	HCHECK(h->magic == TSMON_MAGIC);
	HCHECK(h->abi_version == TSMON_ABI_VERSION);
	HCHECK(h->header_size >= TSMON_HEADER_SIZE_V1);
	HCHECK(h->health_offset >= h->header_size);
	HCHECK(h->health_offset % 8 == 0);
	HCHECK(h->health_size >= sizeof(struct tsmon_health));
	HCHECK(h->ring_offset % page == 0);
	HCHECK(h->ring_offset >= h->health_offset + h->health_size);
	HCHECK(h->record_size >= TSMON_RECORD_SIZE_V1);
	HCHECK(is_pow2(h->record_size));
	HCHECK(h->ring_entries == entries);
	HCHECK(h->ring_mask == entries - 1);
	HCHECK(h->region_size % page == 0);
	HCHECK((uint64_t)h->region_size >=
	       h->ring_offset + (uint64_t)entries * h->record_size);
	/* Whole pages only: no more than one page of slack after the ring. */
	HCHECK((uint64_t)h->region_size <
	       h->ring_offset + (uint64_t)entries * h->record_size + page);
	/* Loaded by this program a moment ago. */
	HCHECK((int64_t)h->load_real_ns <= now_real &&
	       now_real - (int64_t)h->load_real_ns < 30 * NSEC_PER_SEC);
	HCHECK((int64_t)h->load_mono_ns <= now_mono &&
	       now_mono - (int64_t)h->load_mono_ns < 30 * NSEC_PER_SEC);
	HCHECK(h->instance_id != 0);
#undef HCHECK
	if (!ok)
		ksft_print_msg("header: magic=%llx abi=%u hsize=%u region=%u health=%u+%u ring=%u rec=%u entries=%u mask=%u\n",
			       (unsigned long long)h->magic, h->abi_version,
			       h->header_size, h->region_size,
			       h->health_offset, h->health_size,
			       h->ring_offset, h->record_size,
			       h->ring_entries, h->ring_mask);
	return ok;
}

/* The library must agree with the raw header. */
static bool library_agrees(const struct tsmon_header *h)
{
	struct tsmon_info info;
	struct tsmon *t;
	bool ok;
	int err;

	err = tsmon_open(NULL, &t);
	if (err) {
		ksft_print_msg("tsmon_open: %s\n", strerror(-err));
		return false;
	}
	err = tsmon_get_info(t, &info);
	ok = !err && info.abi_version == h->abi_version &&
	     info.ring_entries == h->ring_entries &&
	     info.region_size == h->region_size &&
	     info.record_size == h->record_size &&
	     info.instance_id == h->instance_id &&
	     info.load_real_ns == h->load_real_ns;
	if (!ok)
		ksft_print_msg("tsmon_get_info: %d, entries %u region %u id %llx\n",
			       err, info.ring_entries, info.region_size,
			       (unsigned long long)info.instance_id);
	tsmon_close(t);
	return ok;
}

static bool case_unload_existing(void)
{
	struct tsmon *t;
	int err;

	if (module_loaded()) {
		err = module_unload();
		if (err) {
			ksft_print_msg("delete_module: %s\n", strerror(-err));
			return false;
		}
	}
	if (module_loaded() || !dev_node_present(false)) {
		ksft_print_msg("module or %s still present\n",
			       TSMON_DEVICE_PATH);
		return false;
	}
	err = tsmon_open(NULL, &t);
	if (err != -ENOENT) {
		ksft_print_msg("tsmon_open without module: %d, want -ENOENT\n",
			       err);
		if (!err)
			tsmon_close(t);
		return false;
	}
	return true;
}

static bool case_load_default_node(void)
{
	struct stat st;
	int err;

	err = module_load("");
	if (err) {
		ksft_print_msg("finit_module(%s): %s\n", module_ko(),
			       strerror(-err));
		return false;
	}
	if (!dev_node_present(true) || stat(TSMON_DEVICE_PATH, &st)) {
		ksft_print_msg("%s missing after load\n", TSMON_DEVICE_PATH);
		return false;
	}
	if (!S_ISCHR(st.st_mode) || (st.st_mode & 07777) != 0444 ||
	    major(st.st_rdev) != MISC_MAJOR || st.st_uid != 0) {
		ksft_print_msg("node: mode %o uid %u major %u\n",
			       st.st_mode, st.st_uid, major(st.st_rdev));
		return false;
	}
	return true;
}

static bool case_header_default(void)
{
	const struct tsmon_header *h;
	bool ok;
	int fd;

	h = map_header(&fd);
	if (!h)
		return false;
	ok = header_valid(h, 4096) && library_agrees(h);
	id_default = h->instance_id;
	unmap_header(h, fd);
	return ok;
}

/* The health block starts out describing the kernel's present state. */
static bool case_health_baseline(void)
{
	char cs[64], hcs[TSMON_CS_NAME_WORDS * 8 + 1];
	struct tsmon_health h;
	struct tsmon *t;
	bool ok = true;
	int tai, status;

	if (tsmon_open(NULL, &t))
		return false;
	if (!read_health(t, &h)) {
		tsmon_close(t);
		return false;
	}
	tsmon_close(t);
	tai = ntp_tai();
	status = ntp_status();
	abi_name(hcs, sizeof(hcs), h.clocksource, TSMON_CS_NAME_WORDS);
	ksft_print_msg("hooks 0x%x (timekeeper %d, adjtimex %d, settime %d)\n",
		       h.hooks, !!(h.hooks & TSMON_HOOK_TIMEKEEPER),
		       !!(h.hooks & TSMON_HOOK_ADJTIMEX),
		       !!(h.hooks & TSMON_HOOK_SETTIME));
	if (!(h.hooks & TSMON_HOOK_TIMEKEEPER)) {
		ksft_print_msg("timekeeper hook not attached\n");
		ok = false;
	}
	if (!read_sysfs_line("/sys/devices/system/clocksource/clocksource0/current_clocksource",
			cs, sizeof(cs)) || strcmp(cs, hcs)) {
		ksft_print_msg("clocksource: health '%s', sysfs '%s'\n",
			       hcs, cs);
		ok = false;
	}
	if ((int32_t)h.tai_offset != tai) {
		ksft_print_msg("tai_offset %d, adjtimex %d\n",
			       (int32_t)h.tai_offset, tai);
		ok = false;
	}
	if (!(status & (STA_INS | STA_DEL)) &&
	    h.leap_state != TSMON_LEAP_NONE) {
		ksft_print_msg("leap_state %u with no leap requested\n",
			       h.leap_state);
		ok = false;
	}
	if (h.seq & 1) {
		ksft_print_msg("health seq %llu odd in a copy\n",
			       (unsigned long long)h.seq);
		ok = false;
	}
	return ok;
}

/* Each hook in health.hooks and "NAME active" in stats/hooks. */
static bool hooks_all_active(const char *when)
{
	char line[64], want[64];
	struct tsmon_health h;
	struct tsmon *t;
	bool ok = true;
	size_t i;
	FILE *f;

	if (tsmon_open(NULL, &t))
		return false;
	ok = read_health(t, &h);
	tsmon_close(t);
	if (!ok)
		return false;
	for (i = 0; i < ARRAY_SIZE(all_hooks); i++) {
		if (!(h.hooks & all_hooks[i].bit)) {
			ksft_print_msg("%s: hook %s missing from health.hooks 0x%x\n",
				       when, all_hooks[i].name, h.hooks);
			ok = false;
		}
	}

	f = fopen(HOOKS_FILE, "re");
	if (!f) {
		ksft_print_msg("%s: %s: %s\n", when, HOOKS_FILE, strerror(errno));
		return false;
	}
	for (i = 0; i < ARRAY_SIZE(all_hooks); i++) {
		snprintf(want, sizeof(want), "%s active\n", all_hooks[i].name);
		line[0] = '\0';
		if (!fgets(line, sizeof(line), f) || strcmp(line, want)) {
			ksft_print_msg("%s: %s line %zu: '%.*s', want '%s active'\n",
				       when, HOOKS_FILE, i + 1,
				       (int)strcspn(line, "\n"), line,
				       all_hooks[i].name);
			ok = false;
			break;
		}
	}
	fclose(f);
	return ok;
}

/*
 * A default load attaches every hook, and the NTP probes still hold once
 * they have read real calls: an adjtimex(2) read and a few seconds of
 * second_overflow(). A refused group leaves health.hooks.
 */
static bool case_all_hooks(void)
{
	struct tsmon_health h;
	struct timex tx;
	struct tsmon *t;
	bool ok;

	ok = hooks_all_active("at load");
	memset(&tx, 0, sizeof(tx));
	if (adjtimex(&tx) < 0) {
		ksft_print_msg("adjtimex: %s\n", strerror(errno));
		return false;
	}
	sleep_ms(2500);
	ok &= hooks_all_active("after adjtimex and 2.5 s");

	if (tsmon_open(NULL, &t) || !read_health(t, &h))
		return false;
	tsmon_close(t);
	if (h.ntp_state == TSMON_NTP_STATE_UNKNOWN || !h.ntp_captures) {
		ksft_print_msg("NTP state unknown after an adjtimex call (captures %llu)\n",
			       (unsigned long long)h.ntp_captures);
		ok = false;
	}
	return ok;
}

static bool case_bad_param(const char *params)
{
	int err;

	if (module_loaded() && module_unload()) {
		ksft_print_msg("cannot unload before the test\n");
		return false;
	}
	err = module_load(params);
	if (err != -EINVAL) {
		ksft_print_msg("finit_module(%s): %s, want EINVAL\n", params,
			       err ? strerror(-err) : "success");
		if (!err)
			module_unload();
		return false;
	}
	if (module_loaded() || access(TSMON_DEVICE_PATH, F_OK) == 0) {
		ksft_print_msg("module left behind by a failed load\n");
		return false;
	}
	return true;
}

static bool case_small_ring(void)
{
	const struct tsmon_header *h;
	bool ok;
	int err, fd;

	err = module_load("ring_entries=64");
	if (err) {
		ksft_print_msg("finit_module(ring_entries=64): %s\n",
			       strerror(-err));
		return false;
	}
	if (!dev_node_present(true))
		return false;
	h = map_header(&fd);
	if (!h)
		return false;
	ok = header_valid(h, 64) && library_agrees(h);
	id_small = h->instance_id;
	unmap_header(h, fd);
	if (id_small == id_default) {
		ksft_print_msg("instance_id %llx did not change on reload\n",
			       (unsigned long long)id_small);
		ok = false;
	}
	return ok;
}

/* delete_module() must fail while anything holds the device. */
static bool unload_refused(const char *holder)
{
	int err = module_unload();

	if (err != -EAGAIN && err != -EBUSY) {
		ksft_print_msg("delete_module with %s: %s, want EAGAIN or EBUSY\n",
			       holder, err ? strerror(-err) : "success");
		return false;
	}
	ksft_print_msg("delete_module with %s: %s\n", holder,
		       err == -EAGAIN ? "EAGAIN" : "EBUSY");
	if (!module_loaded() || access(TSMON_DEVICE_PATH, F_OK)) {
		ksft_print_msg("module gone although delete_module failed\n");
		return false;
	}
	return true;
}

static bool case_mapping_pins(void)
{
	const struct tsmon_header *h;
	struct tsmon *t;
	bool ok = true;
	int fd, err;

	h = map_header(&fd);
	if (!h)
		return false;
	ok &= unload_refused("open file and mapping");
	/* The mapping alone keeps the file, and so the module, alive. */
	close(fd);
	ok &= unload_refused("mapping only");
	if (h->magic != TSMON_MAGIC) {
		ksft_print_msg("mapping unreadable after close\n");
		ok = false;
	}
	munmap((void *)h, sizeof(*h));

	err = tsmon_open(NULL, &t);
	if (err) {
		ksft_print_msg("tsmon_open: %s\n", strerror(-err));
		return false;
	}
	ok &= unload_refused("library handle");
	tsmon_close(t);

	err = module_unload();
	if (err) {
		ksft_print_msg("delete_module after unmap and close: %s\n",
			       strerror(-err));
		return false;
	}
	return ok;
}

static bool case_gone_after_unload(void)
{
	struct tsmon *t;
	int err;

	if (module_loaded() || !dev_node_present(false)) {
		ksft_print_msg("module or node still present after unload\n");
		return false;
	}
	err = tsmon_open(NULL, &t);
	if (err != -ENOENT) {
		if (!err)
			tsmon_close(t);
		ksft_print_msg("tsmon_open after unload: %d, want -ENOENT\n",
			       err);
		return false;
	}
	return true;
}

static bool case_reload(void)
{
	const struct tsmon_header *h;
	bool ok;
	int err, fd;

	err = module_load("");
	if (err || !dev_node_present(true)) {
		ksft_print_msg("reload: %s\n", err ? strerror(-err) : "no node");
		return false;
	}
	h = map_header(&fd);
	if (!h)
		return false;
	ok = header_valid(h, 4096);
	if (h->instance_id == id_default || h->instance_id == id_small) {
		ksft_print_msg("instance_id %llx reused\n",
			       (unsigned long long)h->instance_id);
		ok = false;
	}
	unmap_header(h, fd);
	return ok;
}

/* Child side of the unprivileged case: the exit status names the failure. */
static int nobody_child(void)
{
	struct tsmon_health health;
	struct tsmon_info info;
	struct tsmon *t;
	void *p;
	int fd;

	if (setgroups(0, NULL) || setgid(NOBODY) || setuid(NOBODY))
		return 10;
	if (geteuid() != NOBODY)
		return 11;
	if (tsmon_open(NULL, &t))
		return 12;
	if (tsmon_get_info(t, &info) || tsmon_health(t, &health))
		return 13;
	if (!(health.hooks & TSMON_HOOK_TIMEKEEPER))
		return 14;
	tsmon_close(t);

	fd = open(TSMON_DEVICE_PATH, O_RDONLY);
	if (fd < 0)
		return 15;
	p = mmap(NULL, info.region_size, PROT_READ, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		return 16;
	if (((const struct tsmon_header *)p)->magic != TSMON_MAGIC)
		return 17;
	munmap(p, info.region_size);
	close(fd);

	/* The node's mode, not the module, stops an unprivileged writer. */
	fd = open(TSMON_DEVICE_PATH, O_RDWR);
	if (fd >= 0 || errno != EACCES)
		return 18;
	return 0;
}

static bool case_unprivileged(void)
{
	int status;
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid < 0)
		return false;
	if (pid == 0)
		_exit(nobody_child());
	if (waitpid(pid, &status, 0) != pid)
		return false;
	if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		ksft_print_msg("unprivileged child failed at step %d\n",
			       WIFEXITED(status) ? WEXITSTATUS(status) : -1);
		return false;
	}
	return true;
}

int main(void)
{
	size_t i;

	selftest_start(10 + ARRAY_SIZE(bad_params));
	if (!module_ko())
		ksft_exit_fail_msg("TSMON_KO is not set\n");

	ksft_test_result(case_unload_existing(),
			 "unload removes the module and %s\n",
			 TSMON_DEVICE_PATH);
	ksft_test_result(case_load_default_node(),
			 "load creates a 0444 misc character device\n");
	ksft_test_result(case_header_default(),
			 "header valid with ring_entries=4096 by default\n");
	ksft_test_result(case_health_baseline(),
			 "health block matches the kernel at load\n");
	ksft_test_result(case_all_hooks(),
			 "every hook attached, NTP probes not refused\n");
	for (i = 0; i < ARRAY_SIZE(bad_params); i++)
		ksft_test_result(case_bad_param(bad_params[i]),
				 "%s rejected with EINVAL, nothing loaded\n",
				 bad_params[i]);
	ksft_test_result(case_small_ring(),
			 "ring_entries=64 honoured, new instance_id\n");
	ksft_test_result(case_mapping_pins(),
			 "open file, mapping or handle pins the module\n");
	ksft_test_result(case_gone_after_unload(),
			 "%s gone after unload\n", TSMON_DEVICE_PATH);
	ksft_test_result(case_reload(),
			 "reload works with a fresh instance_id\n");
	ksft_test_result(case_unprivileged(),
			 "uid nobody maps the region and reads health\n");

	/* The rest of the suite expects the default module. */
	if (!module_loaded() && module_reload_default())
		ksft_print_msg("could not leave the module loaded\n");
	ksft_finished();
}
