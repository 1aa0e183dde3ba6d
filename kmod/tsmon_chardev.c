// SPDX-License-Identifier: GPL-2.0
/*
 * tsmon: /dev/tsmon.
 *
 * mmap gives the region read-only and shared, nothing else: readers must see
 * the writer's stores, no process may write what every other reader trusts,
 * and data is never executable. read() and poll() let a consumer sleep until
 * the next record; the data itself is always read from the mapping.
 *
 * TSMON_IOC_WAITER hands out waiter files: anonymous inodes that are ready
 * while head is past a threshold of their own. They need no path (the
 * caller may since have chrooted or sandboxed itself), and they share no
 * state, so threads never take each other's wakeups. They sleep on the
 * device's wait queue and are woken by the same irq_work.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/anon_inodes.h>
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/poll.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/vmalloc.h>

#include "tsmon_compat.h"
#include "tsmon_private.h"

/* Per open file: the head this file last returned from read(). */
struct tsmon_file {
	u64 seen;
};

static u64 tsmon_head(struct tsmon_dev *d)
{
	/* Pairs with smp_store_release() of head in tsmon_emit(). */
	return smp_load_acquire(&d->hdr->head);
}

static int tsmon_fop_open(struct inode *inode, struct file *file)
{
	struct tsmon_file *f;

	/* The device is a read-only view; refuse write opens even for root. */
	if (file->f_mode & FMODE_WRITE)
		return -EPERM;

	f = kzalloc(sizeof(*f), GFP_KERNEL);
	if (!f)
		return -ENOMEM;
	f->seen = tsmon_head(&tsmon);
	file->private_data = f;
	return stream_open(inode, file);
}

static int tsmon_fop_release(struct inode *inode, struct file *file)
{
	kfree(file->private_data);
	return 0;
}

static ssize_t tsmon_fop_read(struct file *file, char __user *buf, size_t len,
			      loff_t *ppos)
{
	struct tsmon_file *f = file->private_data;
	struct tsmon_dev *d = &tsmon;
	u64 seen = READ_ONCE(f->seen);
	u64 head;
	int ret;

	if (len < sizeof(head))
		return -EINVAL;

	head = tsmon_head(d);
	if (head == seen) {
		if (file->f_flags & O_NONBLOCK)
			return -EAGAIN;
		ret = wait_event_interruptible(d->wq,
					       (head = tsmon_head(d)) != seen);
		if (ret)
			return ret;
	}
	/* A head the caller never got stays pending for the next read or poll. */
	if (copy_to_user(buf, &head, sizeof(head)))
		return -EFAULT;
	WRITE_ONCE(f->seen, head);
	return sizeof(head);
}

static __poll_t tsmon_fop_poll(struct file *file, poll_table *wait)
{
	struct tsmon_file *f = file->private_data;
	struct tsmon_dev *d = &tsmon;

	poll_wait(file, &d->wq, wait);
	/*
	 * Queued before head is read; pairs with wq_has_sleeper() in
	 * tsmon_unlock(), which skips the wakeup when nobody is queued.
	 */
	smp_mb();
	if (tsmon_head(d) != READ_ONCE(f->seen))
		return EPOLLIN | EPOLLRDNORM;
	return 0;
}

/* A waiter file: ready while head > after. */
struct tsmon_waiter {
	u64 after;
};

static bool tsmon_waiter_ready(struct tsmon_waiter *w, u64 *head)
{
	*head = tsmon_head(&tsmon);
	return *head > READ_ONCE(w->after);
}

static int tsmon_waiter_release(struct inode *inode, struct file *file)
{
	kfree(file->private_data);
	return 0;
}

static ssize_t tsmon_waiter_read(struct file *file, char __user *buf,
				 size_t len, loff_t *ppos)
{
	struct tsmon_waiter *w = file->private_data;
	struct tsmon_dev *d = &tsmon;
	u64 head;
	int ret;

	if (len < sizeof(head))
		return -EINVAL;
	if (!tsmon_waiter_ready(w, &head)) {
		if (file->f_flags & O_NONBLOCK)
			return -EAGAIN;
		/* set_current_state() orders the queueing before the load. */
		ret = wait_event_interruptible(d->wq,
					       tsmon_waiter_ready(w, &head));
		if (ret)
			return ret;
	}
	/* Level-triggered: the threshold stays until the next write(). */
	if (copy_to_user(buf, &head, sizeof(head)))
		return -EFAULT;
	return sizeof(head);
}

static ssize_t tsmon_waiter_write(struct file *file, const char __user *buf,
				  size_t len, loff_t *ppos)
{
	struct tsmon_waiter *w = file->private_data;
	struct tsmon_dev *d = &tsmon;
	u64 after;

	if (len < sizeof(after))
		return -EINVAL;
	if (copy_from_user(&after, buf, sizeof(after)))
		return -EFAULT;
	WRITE_ONCE(w->after, after);
	/*
	 * A sleeper on this file (epoll above all, which looks at the file
	 * only when woken) judged the old threshold: if the new one is
	 * already passed no record may come to wake it, so do it here. The
	 * barrier orders the store before the head load and pairs with the
	 * smp_mb() of wq_has_sleeper() in tsmon_unlock(), after the head
	 * store: either this sees the new head and wakes, or the wakeup that
	 * record queues makes the sleeper read the new threshold.
	 */
	smp_mb();
	if (tsmon_head(d) > after)
		wake_up_interruptible_all(&d->wq);
	return sizeof(after);
}

static __poll_t tsmon_waiter_poll(struct file *file, poll_table *wait)
{
	struct tsmon_waiter *w = file->private_data;
	struct tsmon_dev *d = &tsmon;
	u64 head;

	poll_wait(file, &d->wq, wait);
	/*
	 * As in tsmon_fop_poll(): queued before head is read, pairing with
	 * wq_has_sleeper() in tsmon_unlock(), which skips the wakeup when
	 * nobody is queued. Either this load sees the new head, or that
	 * check sees this file queued and the irq_work wakes it.
	 */
	smp_mb();
	if (tsmon_waiter_ready(w, &head))
		return EPOLLIN | EPOLLRDNORM;
	return 0;
}

/* No llseek: the file is a stream, lseek() fails with ESPIPE. */
static const struct file_operations tsmon_waiter_fops = {
	.owner		= THIS_MODULE,	/* pinned while any waiter is open */
	.release	= tsmon_waiter_release,
	.read		= tsmon_waiter_read,
	.write		= tsmon_waiter_write,
	.poll		= tsmon_waiter_poll,
};

/*
 * Read-write although the device is read-only: write() re-arms this file's
 * own threshold and reaches nothing any other reader sees.
 */
static int tsmon_waiter_new(const struct tsmon_waiter_args __user *uargs)
{
	struct tsmon_waiter_args args;
	int flags = O_RDWR | O_CLOEXEC;
	struct tsmon_waiter *w;
	int fd;

	if (copy_from_user(&args, uargs, sizeof(args)))
		return -EFAULT;
	/* Unknown bits are refused so that they can be given a meaning later. */
	if (args.flags & ~TSMON_WAITER_NONBLOCK || args.__pad)
		return -EINVAL;
	if (args.flags & TSMON_WAITER_NONBLOCK)
		flags |= O_NONBLOCK;

	w = kzalloc(sizeof(*w), GFP_KERNEL_ACCOUNT);
	if (!w)
		return -ENOMEM;
	w->after = args.after;
	/* Takes the module reference of tsmon_waiter_fops.owner. */
	fd = anon_inode_getfd("[tsmon-waiter]", &tsmon_waiter_fops, w, flags);
	if (fd < 0)
		goto err_alloc;
	return fd;

err_alloc:
	kfree(w);
	return fd;
}

static long tsmon_fop_ioctl(struct file *file, unsigned int cmd,
			    unsigned long arg)
{
	switch (cmd) {
	case TSMON_IOC_WAITER:
		return tsmon_waiter_new((const void __user *)arg);
	}
	return -ENOTTY;
}

/*
 * Every page is inserted at mmap() time; this puts back any page a process
 * dropped from its view (MADV_DONTNEED), which would otherwise raise SIGBUS
 * on the next access.
 */
static vm_fault_t tsmon_vm_fault(struct vm_fault *vmf)
{
	struct tsmon_dev *d = &tsmon;
	struct page *page;

	if (vmf->pgoff >= d->region_size >> PAGE_SHIFT)
		return VM_FAULT_SIGBUS;
	page = vmalloc_to_page(d->region + (vmf->pgoff << PAGE_SHIFT));
	get_page(page);
	vmf->page = page;
	return 0;
}

static const struct vm_operations_struct tsmon_vm_ops = {
	.fault	= tsmon_vm_fault,
};

static int tsmon_fop_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct tsmon_dev *d = &tsmon;
	unsigned long len = vma->vm_end - vma->vm_start;

	/*
	 * Never writable, never executable (a process whose personality has
	 * READ_IMPLIES_EXEC asks for both with PROT_READ and is refused).
	 */
	if (vma->vm_flags & (VM_WRITE | VM_EXEC))
		return -EACCES;
	/*
	 * VM_MAYSHARE, not VM_SHARED: do_mmap() clears VM_SHARED for a
	 * MAP_SHARED mapping of a file opened read-only.
	 */
	if (!(vma->vm_flags & VM_MAYSHARE))
		return -EINVAL;
	if (vma->vm_pgoff || len > d->region_size)
		return -EINVAL;

	/*
	 * No later mprotect() to PROT_WRITE or PROT_EXEC, no mremap() growth,
	 * no core dumps.
	 */
	tsmon_vm_flags_mod(vma, VM_DONTEXPAND | VM_DONTDUMP,
			   VM_MAYWRITE | VM_MAYEXEC);
	vma->vm_ops = &tsmon_vm_ops;
	return remap_vmalloc_range(vma, d->region, 0);
}

static const struct file_operations tsmon_fops = {
	.owner		= THIS_MODULE,
	.open		= tsmon_fop_open,
	.release	= tsmon_fop_release,
	.read		= tsmon_fop_read,
	.poll		= tsmon_fop_poll,
	.mmap		= tsmon_fop_mmap,
	.unlocked_ioctl	= tsmon_fop_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
};

static void tsmon_wake(struct irq_work *work)
{
	struct tsmon_dev *d = container_of(work, struct tsmon_dev, wake_work);

	wake_up_interruptible_all(&d->wq);
	tsmon_netlink_kick(d);
	tsmon_ntp_report_kick(d);
}

/**
 * tsmon_chardev_register() - create /dev/tsmon
 * @d: device state with its region allocated
 *
 * Return: 0 or a negative errno from misc_register().
 */
int tsmon_chardev_register(struct tsmon_dev *d)
{
	d->misc.minor = MISC_DYNAMIC_MINOR;
	d->misc.name = "tsmon";
	d->misc.fops = &tsmon_fops;
	d->misc.mode = 0444;
	d->misc.groups = tsmon_attr_groups;
	return misc_register(&d->misc);
}

/**
 * tsmon_chardev_unregister() - remove /dev/tsmon
 * @d: device state
 */
void tsmon_chardev_unregister(struct tsmon_dev *d)
{
	misc_deregister(&d->misc);
}

/**
 * tsmon_wake_init() - prepare reader wakeups
 * @d: device state
 */
void tsmon_wake_init(struct tsmon_dev *d)
{
	init_waitqueue_head(&d->wq);
	init_irq_work(&d->wake_work, tsmon_wake);
}
