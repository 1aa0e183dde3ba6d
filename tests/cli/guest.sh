# SPDX-License-Identifier: GPL-2.0-only
# shellcheck shell=bash
#
# guest.sh - helpers shared by the CLI tests that run in the test guest
# (sourced, not run; TSMON must be set). Sources tap.sh and defines:
#   bail MSG               ends the test with a TAP "Bail out!"
#   verdict DESC [DETAIL]  the status of the command just before it decides,
#                          as in: [[ $rc == 0 ]]; verdict "exits 0" "status $rc"
#                          A DETAIL "@FILE" stands for FILE's contents. Never
#                          pass "$(...)": its status would replace the one
#                          verdict is there to judge.
#   health KEY             a top-level value of `tsmon status --json`
#   wait_listening PID     until PID waits in poll(2), which a listener
#                          enters only once its subscription has started;
#                          20 s at most
#   wait_exit PID SECONDS  PID's exit status in $rc, 124 if it had to be
#                          killed after SECONDS

# shellcheck source=tap.sh
. tests/cli/tap.sh

bail()
{
	echo "Bail out! $*"
	exit 1
}

verdict()
{
	local st=$? d details=()

	if ((st == 0)); then
		ok "$1"
		return
	fi
	for d in "${@:2}"; do
		if [[ $d == @* ]]; then
			details+=("$(cat -- "${d#@}" 2>&1)")
		else
			details+=("$d")
		fi
	done
	not_ok "$1" "${details[@]}"
}

health()
{
	"$TSMON" status --json |
		python3 -c "import json, sys; print(json.load(sys.stdin)['$1'])"
}

# x86 kernels before 5.16 read wchan through frame pointers, which Debian's
# ORC-unwound kernels do not keep: /proc/PID/wchan is "0" there. The
# syscall the task sleeps in tells the same: poll, ppoll, epoll_wait,
# epoll_pwait, epoll_pwait2.
wait_listening()
{
	local _ wchan nr

	for _ in $(seq 200); do
		[[ -d /proc/$1 ]] || return 1
		wchan=$(cat "/proc/$1/wchan" 2>/dev/null)
		[[ $wchan == *poll* ]] && return 0
		if [[ $wchan == 0 ]]; then
			read -r nr _ < "/proc/$1/syscall" 2>/dev/null
			case $nr in
			7 | 271 | 232 | 281 | 441) return 0 ;;
			esac
		fi
		sleep 0.1
	done
	return 1
}

wait_exit()
{
	local _

	for _ in $(seq $(($2 * 10))); do
		if ! kill -0 "$1" 2>/dev/null; then
			wait "$1"
			rc=$?
			return 0
		fi
		sleep 0.1
	done
	kill -KILL "$1" 2>/dev/null
	wait "$1"
	rc=124
}
