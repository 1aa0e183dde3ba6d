#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Second stage of the tests/vm/run guest, started by init.sh as root inside
# the chroot of the host's root.  tests/vm/run copies this file into the
# result share (/run/tsmon-vm) together with:
#   repo     the repository's path, for init.sh
#   env      shell assignments: TSMON_REPO, TSMON_KO, TSMON_KVER, TERM,
#            TSMON_VM_STDIN (console or null)
#   cmd      the command, NUL-separated
# It leaves there:
#   started  /proc/uptime when the command started
#   status   the command's exit status
#   dmesg    the kernel log after the command

out=/run/tsmon-vm

# shellcheck source=/dev/null
. "$out/env" || exit 1
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/tmp LANG=C.UTF-8 TERM TSMON_KO TSMON_KVER

# COMMAND talks over the virtio console, which cannot drop output; the
# serial line (init's /dev/console) keeps the kernel's messages.
for ((i = 0; i < 100; i++)); do
	[[ -c /dev/hvc0 ]] && break
	sleep 0.05
done
if [[ -c /dev/hvc0 ]]; then
	exec 0<> /dev/hvc0 1>&0 2>&0
else
	echo "tests/vm/run: no virtio console (/dev/hvc0); output goes to the serial line" >&2
	exec 0<> /dev/console 1>&0 2>&0
fi

# Without this every "\n" reaches the host as "\r\n", which ends up in
# logs.  The host terminal adds its own "\r".
stty -onlcr 2>/dev/null

mapfile -d '' -t cmd < "$out/cmd"
cd "$TSMON_REPO" || exit 1

# About a second into the boot the kernel replaces the provisional tsc-early
# clocksource with the calibrated tsc (the 6.1 guest instead finds its vCPUs'
# TSCs unsynchronized and settles on hpet earlier).  Start COMMAND on the
# clocksource it will keep, so that any change it sees is one it caused.
cs=/sys/devices/system/clocksource/clocksource0/current_clocksource
for ((i = 0; i < 100; i++)); do
	[[ $(< "$cs") == tsc-early ]] || break
	sleep 0.05
done

read -r uptime _ < /proc/uptime
echo "$uptime" > "$out/started"
# Proof of life for the host (tests/vm/run --silence).
(
	exec > /dev/null 2>&1 < /dev/null
	n=0
	while :; do
		echo $((n++)) > "$out/alive"
		sleep 2
	done
) &
alive_pid=$!
# A subshell, so that builtins such as "exit 3" act as commands would.
if [[ ${cmd[0]} != */* ]] && ! type -t -- "${cmd[0]}" > /dev/null; then
	echo "tests/vm/run: ${cmd[0]}: command not found in the guest" >&2
	status=127
elif [[ $TSMON_VM_STDIN == null ]]; then
	("${cmd[@]}") < /dev/null
	status=$?
else
	("${cmd[@]}")
	status=$?
fi
kill "$alive_pid" 2> /dev/null
echo "$status" > "$out/status"

dmesg > "$out/dmesg.tmp" && mv "$out/dmesg.tmp" "$out/dmesg"
