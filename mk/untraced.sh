#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# untraced.sh COMMAND...: run COMMAND outside mk/traced.sh's strace, for the
# programs that need ptrace themselves: LeakSanitizer stops the world with
# ptrace and fails ("does not work under ptrace") in a traced process. A
# traced process cannot start an untraced one, so traced.sh keeps a helper
# outside the trace that runs the command for us (same working directory,
# environment, arguments), and we relay its output and exit status. What it
# runs is not recorded for the deps audit: keep such steps few and small.
# Not under traced.sh: COMMAND runs as is.

set -euo pipefail

[ $# -ge 1 ] || { echo "usage: $0 COMMAND..." >&2; exit 2; }
srv=${LU_UNTRACED:-}
if [ -z "$srv" ] || [ ! -p "$srv/req" ]; then
	exec "$@"
fi
job=$(mktemp -d "$srv/job.XXXXXX")
pwd > "$job/cwd"
env -0 > "$job/env"
printf '%s\0' "$@" > "$job/argv"
mkfifo "$job/done"
printf '%s\n' "$job" > "$srv/req"
read -r rc < "$job/done"
cat "$job/out"
rm -rf "$job"
exit "$rc"
