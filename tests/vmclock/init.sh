#!/bin/busybox sh
# SPDX-License-Identifier: GPL-2.0-only
#
# /init of the VMClock test guest (tests/vmclock/run): everything the test
# needs is in the initramfs, as a mounted virtio-9p share would block the
# migration. Loads the base modules (virtio_console carries the output),
# runs guest.sh with its output on /dev/hvc0 and powers the machine off.

export PATH=/bin:/tsmon

mount -t proc -o nosuid,nodev,noexec proc /proc
mount -t sysfs -o nosuid,nodev,noexec sysfs /sys
mount -t devtmpfs -o nosuid devtmpfs /dev
mkdir -p /run /tmp
mount -t tmpfs -o nosuid,nodev,mode=0755 tmpfs /run
mount -t tmpfs -o nosuid,nodev,mode=1777 tmpfs /tmp

while read -r mod; do
	insmod "/modules/$mod.ko" 2>/dev/null
done < /modules/order

for i in 1 2 3 4 5 6 7 8 9 10; do
	[ -e /dev/hvc0 ] && break
	sleep 0.2
done
read -r mode < /tsmon/mode
sh /tsmon/guest.sh "$mode" > /dev/hvc0 2>&1
echo 0 > /proc/sys/kernel/printk
sync
poweroff -f
while :; do sleep 60; done
