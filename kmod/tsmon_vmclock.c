// SPDX-License-Identifier: GPL-2.0
/*
 * tsmon: the hypervisor's VMClock page.
 *
 * A VMClock device (ACPI HID "AMZNC10C", CID "VMCLOCK": AWS Nitro, QEMU's
 * -device vmclock) exposes one page whose disruption marker the hypervisor
 * changes on every live migration or snapshot restore: the guest's counter,
 * and so its clock, may then be off by an unknown amount. tsmon finds the
 * device through ACPI without binding a driver to it, so it works where the
 * kernel has no driver (before 6.13) and next to ptp_vmclock where it has
 * one (which maps the same page and does not reserve it either). The page
 * is only ever read.
 *
 * The timekeeping hook loads the page's sequence count once per tick; only
 * when it moved is the page read under its seqcount protocol and the health
 * block written.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/acpi.h>
#include <linux/delay.h>
#include <linux/io.h>
#include <linux/ioport.h>
#include <linux/moduleparam.h>

#include "tsmon_private.h"

static bool vmclock = true;
module_param(vmclock, bool, 0444);
MODULE_PARM_DESC(vmclock,
		 "watch the hypervisor's VMClock disruption marker when the device exists (default 1)");

#define TSMON_VMCLOCK_MAGIC	0x4b4c4356	/* "VCLK" */

/*
 * The VMClock page, version 1, as the hypervisor lays it out (little endian;
 * <linux/vmclock-abi.h> from 6.13 on). Fields past @size are absent.
 */
struct tsmon_vmclock_page {
	__le32 magic;
	__le32 size;
	__le16 version;
	u8 counter_id;
	u8 time_type;
	__le32 seq_count;		/* odd while the hypervisor writes */
	__le64 disruption_marker;
	__le64 flags;
	u8 pad[2];
	u8 clock_status;
	u8 leap_second_smearing_hint;
	__le16 tai_offset_sec;
	u8 leap_indicator;
	u8 counter_period_shift;
	__le64 counter_value;
	__le64 counter_period_frac_sec;
	__le64 counter_period_esterror_rate_frac_sec;
	__le64 counter_period_maxerror_rate_frac_sec;
	__le64 time_sec;
	__le64 time_frac_sec;
	__le64 time_esterror_nanosec;
	__le64 time_maxerror_nanosec;
	__le64 vm_generation_counter;
};

#define TSMON_VMCLOCK_MIN_SIZE \
	offsetofend(struct tsmon_vmclock_page, time_maxerror_nanosec)

/* The _CRS memory window of the device; only one is allowed. */
static acpi_status tsmon_vmclock_crs(struct acpi_resource *ares, void *data)
{
	struct resource *out = data;
	struct resource_win win = {};

	if (ares->type == ACPI_RESOURCE_TYPE_END_TAG)
		return AE_OK;
	if (!acpi_dev_resource_memory(ares, &win.res) &&
	    !acpi_dev_resource_address_space(ares, &win))
		return AE_OK;
	if (resource_type(&win.res) != IORESOURCE_MEM ||
	    resource_type(out) == IORESOURCE_MEM)
		return AE_ERROR;
	*out = win.res;
	return AE_OK;
}

static struct acpi_device *tsmon_vmclock_find(void)
{
	struct acpi_device *adev;

	adev = acpi_dev_get_first_match_dev("AMZNC10C", NULL, -1);
	if (!adev)
		adev = acpi_dev_get_first_match_dev("VMCLOCK", NULL, -1);
	return adev;
}

/*
 * One consistent copy of what tsmon publishes, or false when the
 * hypervisor is writing (the next tick tries again). Runs on the tick with
 * interrupts off: no waiting here.
 */
static bool tsmon_vmclock_read(const struct tsmon_dev *d,
			       struct tsmon_vmclock_snap *s)
{
	const struct tsmon_vmclock_page *p = d->vm_page;
	u32 seq;

	seq = le32_to_cpu(READ_ONCE(p->seq_count));
	if (seq & 1)
		return false;
	/* Pairs with the hypervisor's write barrier before it clears bit 0. */
	virt_rmb();
	s->marker = le64_to_cpu(READ_ONCE(p->disruption_marker));
	s->flags = le64_to_cpu(READ_ONCE(p->flags));
	s->state_bits = READ_ONCE(p->clock_status) |
			(u32)READ_ONCE(p->counter_id) << 8 |
			(u32)READ_ONCE(p->time_type) << 16 |
			(u32)READ_ONCE(p->leap_indicator) << 24;
	s->tai_offset = (s32)(s16)le16_to_cpu(READ_ONCE(p->tai_offset_sec));
	s->period_shift = READ_ONCE(p->counter_period_shift);
	s->counter_value = le64_to_cpu(READ_ONCE(p->counter_value));
	s->period_frac_sec = le64_to_cpu(READ_ONCE(p->counter_period_frac_sec));
	s->time_sec = le64_to_cpu(READ_ONCE(p->time_sec));
	s->time_frac_sec = le64_to_cpu(READ_ONCE(p->time_frac_sec));
	s->time_esterror_ns = le64_to_cpu(READ_ONCE(p->time_esterror_nanosec));
	s->time_maxerror_ns = le64_to_cpu(READ_ONCE(p->time_maxerror_nanosec));
	s->gen_counter = d->vm_size >= offsetofend(struct tsmon_vmclock_page,
						   vm_generation_counter) ?
		le64_to_cpu(READ_ONCE(p->vm_generation_counter)) : 0;
	/* Pairs with the hypervisor's write barrier before it sets bit 0. */
	virt_rmb();
	if (le32_to_cpu(READ_ONCE(p->seq_count)) != seq)
		return false;
	s->seq = seq;
	return true;
}

static void tsmon_vmclock_publish(struct tsmon_dev *d,
				  const struct tsmon_vmclock_snap *s)
{
	struct tsmon_health *h = d->health;

	h->vm_state_bits = s->state_bits;
	h->vm_marker = s->marker;
	h->vm_flags = s->flags;
	h->vm_seq_count = s->seq;
	h->vm_tai_offset = (u32)s->tai_offset;
	h->vm_counter_period_shift = s->period_shift;
	h->vm_gen_counter = s->gen_counter;
	h->vm_counter_value = s->counter_value;
	h->vm_counter_period_frac_sec = s->period_frac_sec;
	h->vm_time_sec = s->time_sec;
	h->vm_time_frac_sec = s->time_frac_sec;
	h->vm_time_esterror_ns = s->time_esterror_ns;
	h->vm_time_maxerror_ns = s->time_maxerror_ns;
}

/**
 * tsmon_vmclock_tick() - take in a changed VMClock page
 * @d:    device state, inside tsmon_write_begin()/tsmon_write_end()
 * @mono: CLOCK_MONOTONIC of this timekeeper update
 * @real: CLOCK_REALTIME of it
 *
 * Called from the timekeeping hook when tsmon_vmclock_moved(). A new
 * disruption marker is recorded as a vm_disruption event.
 *
 * Return: true when the marker changed: the clock was disrupted.
 */
bool tsmon_vmclock_tick(struct tsmon_dev *d, u64 mono, u64 real)
{
	struct tsmon_health *h = d->health;
	struct tsmon_vmclock_snap s;
	struct tsmon_record rec;
	bool disrupted;

	if (!d->vm_page || !tsmon_vmclock_read(d, &s))
		return false;
	disrupted = s.marker != d->vm_marker;
	if (disrupted) {
		tsmon_rec_init(&rec, TSMON_EVENT_VM_DISRUPTION, mono, real);
		rec.vm.marker_before = d->vm_marker;
		rec.vm.marker_after = s.marker;
		rec.vm.flags = (u32)s.flags;
		rec.vm.state = s.state_bits;
		tsmon_emit(d, &rec);
		h->vm_disruptions++;
		h->vm_disrupt_mono_ns = mono;
		d->vm_marker = s.marker;
	}
	d->vm_seq = s.seq;
	tsmon_vmclock_publish(d, &s);
	return disrupted;
}

/* The first read, from process context: the hypervisor may be mid-update. */
static int tsmon_vmclock_first_read(struct tsmon_dev *d,
				    struct tsmon_vmclock_snap *s)
{
	int i;

	for (i = 0; i < 100; i++) {
		if (tsmon_vmclock_read(d, s))
			return 0;
		usleep_range(100, 200);
	}
	return -EBUSY;
}

static void tsmon_vmclock_set_state(struct tsmon_dev *d, u32 state,
				    const struct tsmon_vmclock_snap *s)
{
	unsigned long flags = tsmon_write_begin(d);

	d->health->vm_state = state;
	if (s)
		tsmon_vmclock_publish(d, s);
	tsmon_write_end(d, flags);
}

/**
 * tsmon_vmclock_attach() - find and map the VMClock page, if there is one
 * @d: device state with its region allocated, before the timekeeping hook
 *
 * Nothing here fails the module: without a usable page, health.vm_state
 * says why and the tick never looks for one.
 */
void tsmon_vmclock_attach(struct tsmon_dev *d)
{
	struct resource res = {};
	struct tsmon_vmclock_snap s;
	struct tsmon_vmclock_page *p;
	struct acpi_device *adev;
	acpi_status status;
	u32 magic, size;
	u16 version;

	adev = tsmon_vmclock_find();
	if (!adev)
		return;
	status = acpi_walk_resources(adev->handle, METHOD_NAME__CRS,
				     tsmon_vmclock_crs, &res);
	acpi_dev_put(adev);
	if (ACPI_FAILURE(status) || resource_type(&res) != IORESOURCE_MEM ||
	    resource_size(&res) < TSMON_VMCLOCK_MIN_SIZE) {
		pr_warn("VMClock device without a usable memory window: not watched\n");
		tsmon_vmclock_set_state(d, TSMON_VM_INVALID, NULL);
		return;
	}
	if (!vmclock) {
		pr_info("VMClock at %pa not watched (vmclock=0)\n", &res.start);
		tsmon_vmclock_set_state(d, TSMON_VM_DISABLED, NULL);
		return;
	}

	/* As the hypervisor shares it: cached, and decrypted under SEV/TDX. */
	p = memremap(res.start, min_t(resource_size_t, resource_size(&res),
				      PAGE_SIZE), MEMREMAP_WB | MEMREMAP_DEC);
	if (!p) {
		pr_warn("cannot map the VMClock page at %pa: not watched\n",
			&res.start);
		tsmon_vmclock_set_state(d, TSMON_VM_INVALID, NULL);
		return;
	}
	magic = le32_to_cpu(READ_ONCE(p->magic));
	size = le32_to_cpu(READ_ONCE(p->size));
	version = le16_to_cpu(READ_ONCE(p->version));
	if (magic != TSMON_VMCLOCK_MAGIC || version != 1 ||
	    size < TSMON_VMCLOCK_MIN_SIZE || size > resource_size(&res)) {
		pr_warn("VMClock page at %pa: magic %#x, version %u, size %u: not a VMClock v1 page, not watched\n",
			&res.start, magic, version, size);
		goto err_unmap;
	}
	d->vm_page = p;
	d->vm_seq_count = &p->seq_count;
	d->vm_size = min_t(u32, size, PAGE_SIZE);
	if (tsmon_vmclock_first_read(d, &s)) {
		pr_warn("VMClock page at %pa never settled: not watched\n",
			&res.start);
		d->vm_page = NULL;
		d->vm_seq_count = NULL;
		goto err_unmap;
	}
	d->vm_phys = res.start;
	d->vm_marker = s.marker;
	d->vm_seq = s.seq;
	tsmon_vmclock_set_state(d, TSMON_VM_ACTIVE, &s);
	pr_info("VMClock at %pa: disruption marker %llu, counter %s\n",
		&res.start, s.marker,
		TSMON_VM_COUNTER_ID(s.state_bits) == TSMON_VM_COUNTER_NONE ?
		"none (no time data)" : "present");
	return;

err_unmap:
	memunmap(p);
	tsmon_vmclock_set_state(d, TSMON_VM_INVALID, NULL);
}

/**
 * tsmon_vmclock_detach() - unmap the VMClock page
 * @d: device state, with the timekeeping hook already gone
 */
void tsmon_vmclock_detach(struct tsmon_dev *d)
{
	if (!d->vm_page)
		return;
	d->vm_seq_count = NULL;
	memunmap((void *)d->vm_page);
	d->vm_page = NULL;
}
