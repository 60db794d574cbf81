#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# traced.sh [--audit] NAME COMMAND...: run COMMAND with every process it
# starts traced by strace, recording each successful execve (and the chdir
# and fork calls needed to resolve relative paths) in
# $BUILD/logs/execve-NAME.log, for mk/deps-audit.sh. Only execve, chdir and
# fork-family calls stop the tracee (--seccomp-bpf): the cost is a few
# microseconds per process started, nothing per other system call.
#
# COMMAND sees LU_EXECVE_LOG (make check's last step audits it). With
# --audit the audit runs here after COMMAND, and fails the run on an
# offender. Already under a trace (LU_EXECVE_LOG set): COMMAND runs as is.
# A helper outside the trace runs what mk/untraced.sh asks it to (programs
# that need ptrace themselves, like LeakSanitizer).

. "$(dirname "$0")/lib.sh"

audit=0
[ "${1:-}" = --audit ] && { audit=1; shift; }
[ $# -ge 2 ] || die "usage: $0 [--audit] NAME COMMAND..."
name=$1
shift
if [ -n "${LU_EXECVE_LOG:-}" ]; then
	exec "$@"
fi
command -v strace > /dev/null || die "strace not found: run 'make deps' (it installs strace)"

export LU_EXECVE_LOG=$BUILD/logs/execve-$name.log
mkdir -p "$BUILD/logs"
rm -f "$LU_EXECVE_LOG" "$LU_EXECVE_LOG.untraced"
# The traced command starts here: relative paths resolve from this directory.
pwd > "$LU_EXECVE_LOG.cwd"

# The helper for mk/untraced.sh: reads job directories from a FIFO, runs
# each job's command with its directory and environment, answers with the
# exit status.
srv=$(mktemp -d "$BUILD/logs/untraced.XXXXXX")
mkfifo "$srv/req"
(
	exec 3<> "$srv/req"
	while IFS= read -r job <&3 && [ "$job" != quit ]; do
		rc=0
		tr '\0' ' ' < "$job/argv" | sed 's/ $/\n/' >> "$LU_EXECVE_LOG.untraced"
		(
			cd "$(cat "$job/cwd")" &&
			mapfile -d '' -t envs < "$job/env" &&
			mapfile -d '' -t argv < "$job/argv" &&
			exec env -i "${envs[@]}" "${argv[@]}"
		) < /dev/null > "$job/out" 2>&1 || rc=$?
		echo "$rc" > "$job/done"
	done
) &
helper=$!
trap 'kill $helper 2> /dev/null || true; rm -rf "$srv"' EXIT
export LU_UNTRACED=$srv

rc=0
strace -f -q --seccomp-bpf -y -e signal=none -o "$LU_EXECVE_LOG" \
	-e trace=execve,execveat,chdir,fchdir,clone,clone3,fork,vfork -- "$@" || rc=$?
echo quit > "$srv/req"
wait $helper || true
if [ $audit = 1 ]; then
	"$LU_ROOT/mk/deps-audit.sh" -q "$LU_EXECVE_LOG" || { [ $rc != 0 ] || rc=1; }
fi
exit $rc
