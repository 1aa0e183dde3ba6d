#!/bin/busybox sh
# SPDX-License-Identifier: GPL-2.0-only
#
# /init of the tests/vm/run initramfs (busybox only).  Mounts the host's root
# read-only over virtio-9p, gives it fresh /tmp, /run, /proc, /sys and /dev,
# mounts the run's result share at /run/tsmon-vm and hands over to guest.sh
# from that share, chrooted, with bash from the host.  PID 1 never exits
# (that would panic the guest): it powers the machine off instead, and the
# host reads the outcome from the result share.

export PATH=/bin

halt() {
	# Not even the kernel's "reboot: Power down" may follow the
	# command's output.
	for printk in /proc/sys/kernel/printk /newroot/proc/sys/kernel/printk; do
		[ -e $printk ] && echo 0 > $printk
	done
	sync
	poweroff -f
	# poweroff -f only returns if the reboot syscall failed.
	echo o > /proc/sysrq-trigger 2>/dev/null ||
		echo o > /newroot/proc/sysrq-trigger 2>/dev/null
	while :; do sleep 60; done
}

fail() {
	echo "tsmon-vm init: $*" >&2
	halt
}

mount -t proc -o nosuid,nodev,noexec proc /proc
mount -t sysfs -o nosuid,nodev,noexec sysfs /sys
mount -t devtmpfs -o nosuid devtmpfs /dev

while read -r mod; do
	insmod "/modules/$mod.ko" || fail "cannot load $mod"
done < /modules/order

mkdir /out
mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144 tsmonout /out ||
	fail "cannot mount the result share (9p tag tsmonout)"
read -r repo < /out/repo || fail "no repository path in the result share"

# The host root is only read, so the page cache may keep what it has read
# (cache=loose): binaries start much faster than with uncached 9p.
# A --writable run puts a tmpfs overlay on top, so that the command can
# install packages and modules as on a real machine; the host sees none of
# it.
root=/newroot
if [ -e /out/writable ]; then
	mkdir -p /lower /rw
	root=/lower
fi
mount -t 9p -o trans=virtio,version=9p2000.L,ro,cache=loose,msize=262144 \
	hostroot $root || fail "cannot mount the host root (9p tag hostroot)"
if [ -e /out/writable ]; then
	mount -t tmpfs -o mode=0755 tmpfs /rw || fail "cannot mount the overlay tmpfs"
	mkdir /rw/upper /rw/work
	mount -t overlay -o lowerdir=/lower,upperdir=/rw/upper,workdir=/rw/work \
		overlay /newroot || fail "cannot mount the writable overlay"
fi

# A checkout under /tmp or /run would vanish under the guest's own tmpfs:
# keep a bind mount of it and put it back on top.
case $repo in
/tmp/* | /run/*)
	mkdir /repo
	mount -o bind "/newroot$repo" /repo ||
		fail "cannot bind the repository $repo"
	;;
esac

# A kernel the host does not have brings its modules from the cache
# tests/matrix/kernels unpacked it into: lay them over the root's own.
if [ -e /out/moddir ]; then
	read -r kmods < /out/moddir
	mods=/newroot/lib/modules
	[ -L /newroot/lib ] && mods=/newroot/usr/lib/modules
	mount -t overlay -o "ro,lowerdir=/newroot${kmods%/*}:$mods" overlay $mods ||
		fail "cannot lay the modules of $kmods over $mods"
fi

mount -t tmpfs -o nosuid,nodev,mode=1777 tmpfs /newroot/tmp ||
	fail "cannot mount /tmp"
mount -t tmpfs -o nosuid,nodev,mode=0755 tmpfs /newroot/run ||
	fail "cannot mount /run"
mkdir /newroot/run/tsmon-vm
mount -o move /out /newroot/run/tsmon-vm || fail "cannot move the result share"
if [ -d /repo ]; then
	mkdir -p "/newroot$repo"
	mount -o move /repo "/newroot$repo" ||
		fail "cannot put the repository back at $repo"
fi

for fs in proc sys dev; do
	mount -o move "/$fs" "/newroot/$fs" || fail "cannot move /$fs"
done
mkdir -p /newroot/dev/pts /newroot/dev/shm
# What udev would add to devtmpfs: bash's <(...) needs /dev/fd.
ln -sfn /proc/self/fd /newroot/dev/fd
ln -sfn /proc/self/fd/0 /newroot/dev/stdin
ln -sfn /proc/self/fd/1 /newroot/dev/stdout
ln -sfn /proc/self/fd/2 /newroot/dev/stderr
mount -t devpts -o nosuid,noexec,gid=5,mode=0620,ptmxmode=0666 devpts \
	/newroot/dev/pts
mount -t tmpfs -o nosuid,nodev,mode=1777 tmpfs /newroot/dev/shm

ip link set lo up

# A --systemd run boots the host's systemd as PID 1 on the writable root
# instead: tsmon-vm.service runs guest.sh and powers the machine off.  The
# units go to /run/systemd/system, which this guest's tmpfs /run keeps
# from the host; the guest must not run a time synchronisation daemon of
# its own, so systemd-timesyncd is masked there too.
if [ -e /newroot/run/tsmon-vm/systemd ]; then
	units=/newroot/run/systemd/system
	mkdir -p $units
	cp /newroot/run/tsmon-vm/tsmon-vm.target \
		/newroot/run/tsmon-vm/tsmon-vm.service $units/ ||
		fail "cannot install the guest's systemd units"
	ln -s /dev/null $units/systemd-timesyncd.service
	# A host root taken from a container image would make systemd
	# believe it runs in that container.
	rm -f /newroot/.dockerenv /newroot/run/.containerenv
	# Its own messages go to the kernel log, which loglevel=1 keeps off
	# the console that carries the command's output.
	exec switch_root /newroot /lib/systemd/systemd --unit=tsmon-vm.target \
		--show-status=false --log-target=kmsg
	fail "cannot start systemd"
fi

env -i chroot /newroot /bin/bash /run/tsmon-vm/guest.sh ||
	echo "tsmon-vm init: guest.sh failed ($?)" >&2
halt
