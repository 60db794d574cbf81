#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# deps-audit.sh [-q] [LOG]: every program that ran under mk/traced.sh (the
# execve log LOG, default $LU_EXECVE_LOG) and lives outside this repository and $BUILD must come from
# a Debian package that a fresh Debian 12 machine gets from `make deps`:
#
#   - a package in the dependency closure of mk/deps.sh's list (Depends and
#     Pre-Depends, recursively; of alternatives "a | b" only the first, the
#     one apt installs on a fresh machine; every provider of a virtual
#     package), or
#   - a package every Debian install has (Essential: yes or Priority:
#     required, what debootstrap's minbase installs).
#
# Scripts count with their interpreters (the kernel runs "#!/usr/bin/perl"
# without an execve of its own), also scripts of this repository. Paths are
# mapped to packages with dpkg -S after resolving symlinks (alternatives)
# and the /bin vs /usr/bin (merged /usr) aliases.
#
# Prints a table (program, package, why allowed); -q prints only the
# summary and the offenders (the table goes to LOG.audit either way).
# Fails naming each offender and the package to add. Environment:
# LU_DEPS_WITHOUT=pkgs is passed to deps.sh --list (the self-test uses it).

. "$(dirname "$0")/lib.sh"

quiet=0
[ "${1:-}" = -q ] && { quiet=1; shift; }
[ $# -le 1 ] || die "usage: $0 [-q] [EXECVE_LOG]"
log=${1:-${LU_EXECVE_LOG:-}}
[ -n "$log" ] || die "no execve log: not run under mk/traced.sh (make check records one)"
[ -s "$log" ] || die "no execve log $log: run 'make check' (it records one with strace)"
[ -r "$log.cwd" ] || die "$log.cwd missing: the log was not written by mk/traced.sh"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# 1. What ran, as absolute paths: relative execve paths resolve against the
# process's working directory, followed through chdir/fchdir and inherited
# at fork. Strace prints a call when it returns, so a child's first lines
# can come before its parent's clone line: they wait for it.
awk -v root_cwd="$(cat "$log.cwd")" '
function norm(p,	n, i, parts, out, k) {
	n = split(p, parts, "/"); k = 0
	for (i = 1; i <= n; i++) {
		if (parts[i] == "" || parts[i] == ".") continue
		if (parts[i] == "..") { if (k) k--; continue }
		out[++k] = parts[i]
	}
	p = ""
	for (i = 1; i <= k; i++) p = p "/" out[i]
	return p == "" ? "/" : p
}
function join(dir, p) { return p ~ /^\// ? norm(p) : norm(dir "/" p) }
function unq(s) { gsub(/\\"/, "\"", s); gsub(/\\\\/, "\\", s); return s }
# first "..." argument of the line (a path), unescaped
function strarg(s,	m) {
	if (!match(s, /"([^"\\]|\\.)*"/)) return ""
	return unq(substr(s, RSTART + 1, RLENGTH - 2))
}
# the <path> that -y prints after an fd argument
function fdpath(s) {
	if (!match(s, /^[0-9]+<[^>]*>/)) return ""
	s = substr(s, RSTART, RLENGTH); sub(/^[0-9]+</, "", s); sub(/>$/, "", s)
	return s
}
function ran(p) { if (p ~ /^\//) count[norm(p)]++; else unres[p]++ }
# Apply one event to a pid whose cwd is known. A child starts in the cwd
# of its parent; if it already printed lines (pend) or even exited (zpend,
# a short-lived child of vfork), they are replayed now.
function apply(pid, ev, arg,	n, i, e, list, dead) {
	if (ev == "cd") cwd[pid] = join(cwd[pid], arg)
	else if (ev == "cdabs") cwd[pid] = arg
	else if (ev == "exec") ran(join(cwd[pid], arg))
	else if (ev == "fork") {
		cwd[arg] = cwd[pid]
		if (arg in zpend) { list = zpend[arg]; delete zpend[arg]; dead = 1 }
		else if (arg in pend) { list = pend[arg]; delete pend[arg] }
		n = split(substr(list, 2), e, SUBSEP)
		for (i = 1; i + 1 <= n; i += 2) apply(arg, e[i], e[i + 1])
		if (dead) delete cwd[arg]
	}
}
# An event of a pid whose cwd is unknown waits for the clone line of its parent
# line (or, for a fork of such a pid, until that pid is known).
function event(pid, ev, arg) {
	if (pid in cwd) apply(pid, ev, arg)
	else if (ev == "exec" && arg ~ /^\//) ran(arg)
	else pend[pid] = pend[pid] SUBSEP ev SUBSEP arg
}
function gone(pid) {
	if (pid in pend) { zpend[pid] = pend[pid]; delete pend[pid] }
	delete cwd[pid]
}
function unresolved(list,	n, i, e) {
	n = split(substr(list, 2), e, SUBSEP)
	for (i = 1; i + 1 <= n; i += 2) if (e[i] == "exec") ran(e[i + 1])
}
{
	pid = $1; rest = $0; sub(/^[0-9]+ +/, "", rest)
	if (NR == 1) cwd[pid] = root_cwd
	# A call another process interrupted comes in two lines: join them.
	if (rest ~ /<unfinished \.\.\.>$/) { sub(/ *<unfinished \.\.\.>$/, "", rest); part[pid] = rest; next }
	if (rest ~ /^<\.\.\. [a-z0-9_]+ resumed>/) {
		sub(/^<\.\.\. [a-z0-9_]+ resumed>/, "", rest); rest = part[pid] rest; delete part[pid]
	}
	# Only calls that succeeded: "= 0", or a child pid for the fork family.
	if (rest !~ /^\+\+\+/ && rest !~ /= [0-9]+$/) next
	if (rest ~ /^(execve|execveat|chdir|fchdir)\(/ && rest !~ /= 0$/) next
	if (rest ~ /^\+\+\+ (exited|killed)/) { gone(pid); next }
	if (rest ~ /^execve\(/) { event(pid, "exec", strarg(rest)); next }
	if (rest ~ /^execveat\(/) {
		a = rest; sub(/^execveat\(/, "", a); p = strarg(a); d = fdpath(a)
		if (p == "" && d != "") event(pid, "exec", d)
		else if (p ~ /^\// || a ~ /^AT_FDCWD/) event(pid, "exec", p)
		else if (d != "") event(pid, "exec", d "/" p)
		else unres[p]++
		next
	}
	if (rest ~ /^chdir\(/) { event(pid, "cd", strarg(rest)); next }
	if (rest ~ /^fchdir\(/) { a = rest; sub(/^fchdir\(/, "", a); event(pid, "cdabs", fdpath(a)); next }
	if (rest ~ /^(clone|clone3|fork|vfork)\(/ && match(rest, /= [0-9]+/)) {
		event(pid, "fork", substr(rest, RSTART + 2, RLENGTH - 2) + 0)
		next
	}
}
END {
	for (p in pend) unresolved(pend[p])
	for (p in zpend) unresolved(zpend[p])
	for (p in count) printf "ran\t%s\t%d\n", p, count[p]
	for (p in unres) printf "unresolved\t%s\t%d\n", p, unres[p]
}' "$log" > "$work/ran" || die "cannot parse $log"
[ -s "$work/ran" ] || die "no successful execve in $log"

# 2. Interpreters of scripts, recursively (an interpreter may be a script).
inside() { case $1 in "$LU_ROOT"/*|"$BUILD"/*) return 0 ;; esac; return 1; }
cut -f2 "$work/ran" > "$work/todo"
: > "$work/interp"
: > "$work/interp.by"
for depth in 1 2 3 4; do
	: > "$work/next"
	while IFS= read -r f; do
		[ -f "$f" ] && [ -r "$f" ] || continue
		[ "$(head -c 2 "$f" 2>/dev/null)" = '#!' ] || continue
		i=$(head -n 1 "$f" | sed 's/^#![ \t]*//; s/[ \t].*//')
		case $i in /*) ;; *) continue ;; esac
		grep -qxF -- "$i" "$work/interp" || { printf '%s\n' "$i" >> "$work/interp"; printf '%s\n' "$i" >> "$work/next"; }
		printf 'interp\t%s\t%s\n' "$i" "$f" >> "$work/interp.by"
	done < "$work/todo"
	[ -s "$work/next" ] || break
	mv "$work/next" "$work/todo"
done

# 3. Every program outside the tree: its package.
{
	awk -F'\t' '$1 == "ran" { print $2 }' "$work/ran"
	cat "$work/interp"
} | LC_ALL=C sort -u | while IFS= read -r p; do
	r=$(readlink -m -- "$p")	# what ran: symlinks (alternatives) and .. resolved
	if inside "$r"; then continue; fi
	printf '%s\t%s\n' "$p" "$r"
done > "$work/external"

# Candidate names dpkg may list a file under: the path, its resolved path,
# and the other half of each merged-/usr alias.
alias_of() {
	case $1 in
	/usr/bin/*|/usr/sbin/*|/usr/lib/*|/usr/lib64/*) printf '%s\n' "${1#/usr}" ;;
	/bin/*|/sbin/*|/lib/*|/lib64/*) printf '/usr%s\n' "$1" ;;
	esac
}
while IFS=$'\t' read -r p r; do
	printf '%s\n' "$p" "$r"; alias_of "$p"; alias_of "$r"
done < "$work/external" | LC_ALL=C sort -u > "$work/candidates"
# dpkg -S prints "pkg[, pkg...]: path" (and diversion lines); unknown paths
# go to stderr.
xargs -r -d '\n' dpkg -S < "$work/candidates" 2> /dev/null |
	grep -v '^diversion by' | sed 's/: \//\t\//' |
	awk -F'\t' '{ n = split($1, a, ", "); for (i = 1; i <= n; i++) { sub(/:.*/, "", a[i]); print $2 "\t" a[i] } }' \
	> "$work/owners" || true

# 4. The closure of mk/deps.sh's list: first alternatives only.
"$LU_ROOT/mk/deps.sh" --list > "$work/wanted" || die "mk/deps.sh --list failed"
apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts --no-breaks \
	--no-replaces --no-enhances $(cat "$work/wanted") > "$work/depends" 2> /dev/null ||
	die "apt-cache depends failed (no package lists? run apt-get update)"
awk '
FNR == NR { want[$1] = 1; next }
/^[^ ]/ { pkg = $1; sub(/:.*/, "", pkg); gsub(/[<>]/, "", pkg); inalt = 0; virt = ""; next }
/^ [ |](Pre)?Depends: / {
	alt = substr($0, 2, 1) == "|"
	d = $2; virtual = d ~ /^</; gsub(/[<>]/, "", d); sub(/:.*/, "", d)
	take = !inalt			# the first of "a | b | c"
	inalt = alt
	virt = (take && virtual) ? d : ""
	if (take && !virtual) edge[pkg] = edge[pkg] " " d
	next
}
/^    / {				# a provider of the virtual package above
	if (virt != "") { d = $1; sub(/:.*/, "", d); edge[pkg] = edge[pkg] " " d }
	next
}
END {
	for (p in want) { why[p] = "listed in mk/deps.sh"; q[++t] = p }
	for (h = 1; h <= t; h++) {
		n = split(edge[q[h]], ds, " ")
		for (i = 1; i <= n; i++)
			if (!(ds[i] in why)) {
				why[ds[i]] = "needed by " q[h] (q[h] in want ? "" : ", " why[q[h]])
				sub(/, listed in mk\/deps.sh$/, "", why[ds[i]])
				q[++t] = ds[i]
			}
	}
	for (p in why) printf "%s\t%s\n", p, why[p]
}' "$work/wanted" "$work/depends" > "$work/closure"
dpkg-query -W -f='${Package}\t${Essential}\t${Priority}\n' > "$work/installed" 2> /dev/null || true

# 5. The verdict per program.
awk -F'\t' -v tablef="$work/table" -v badf="$work/bad" '
FILENAME == ARGV[1] { owner[$1] = owner[$1] ? owner[$1] " " $2 : $2; next }
FILENAME == ARGV[2] { why[$1] = $2; next }
FILENAME == ARGV[3] { ess[$1] = $2; prio[$1] = $3; next }
FILENAME == ARGV[4] { if ($1 == "unresolved") unres[$2] = $3; next }
FILENAME == ARGV[5] { if (!($2 in by)) by[$2] = $3; next }
function alias(p) {
	if (p ~ /^\/usr\/(s?bin|lib|lib64)\//) return substr(p, 5)
	if (p ~ /^\/(s?bin|lib|lib64)\//) return "/usr" p
	return ""
}
function pkg_of(p,	a) {
	if (p in owner) return owner[p]
	a = alias(p); if (a != "" && (a in owner)) return owner[a]
	return ""
}
function allowed(pk) {
	if (why[pk] ~ /^listed/) return why[pk]
	if (ess[pk] == "yes") return "Essential: yes (on every Debian install)"
	if (prio[pk] == "required") return "Priority: required (on every Debian install)"
	return why[pk]
}
{
	p = $1; r = $2; prog = p (r != p ? " -> " r : "")
	if (p in by) prog = prog " (interpreter of " by[p] ")"
	if (p ~ /^\/proc\/(self|[0-9]+)\/exe$/) { ok("re-executes itself", "-", prog); next }
	pk = pkg_of(r); if (pk == "") pk = pkg_of(p)
	if (pk == "") {
		if (system("test -e \"" r "\"") != 0 && r ~ /^\/tmp\//) {
			ok("-", "a temporary file the run made and removed", prog); next
		}
		bad(prog, "no Debian package owns it (installed by hand? a fresh machine lacks it; use a packaged tool)")
		next
	}
	n = split(pk, pks, " "); w = ""
	for (i = 1; i <= n && w == ""; i++) { w = allowed(pks[i]); if (w != "") pk = pks[i] }
	if (w != "") ok(pk, w, prog)
	else bad(prog, "from package " pk ", which make deps does not install: add " pks[1] " to PACKAGES in mk/deps.sh")
}
function ok(pk, w, prog) { printf "%-60s %-22s %s\n", prog, pk, w > tablef }
function bad(prog, w) { printf "%-60s %-22s %s\n", prog, "OFFENDER", w > tablef; printf "%s: %s\n", prog, w > badf }
END {
	for (u in unres) printf "%s (relative path, working directory unknown): ran %d times, cannot tell which file\n", u, unres[u] > badf
}' "$work/owners" "$work/closure" "$work/installed" "$work/ran" "$work/interp.by" "$work/external" 2> /dev/null
touch "$work/table" "$work/bad"

nran=$(awk -F'\t' '$1 == "ran" { n += $3 } END { print n + 0 }' "$work/ran")
nprog=$(wc -l < "$work/external")
{
	printf '%-60s %-22s %s\n' "program (outside the tree)" "package" "why allowed"
	LC_ALL=C sort "$work/table"
} > "$log.audit"
[ $quiet = 1 ] || cat "$log.audit"
msg AUDIT "$nran execs, $(awk -F'\t' '$1 == "ran"' "$work/ran" | wc -l) programs, $nprog outside the tree; table: $log.audit"
if [ -s "$work/bad" ]; then
	printf 'error: programs that a fresh Debian 12 machine after make deps would not have:\n' >&2
	sed 's/^/  /' "$work/bad" >&2
	exit 1
fi
msg AUDIT "every program outside the tree comes from a package make deps installs or every Debian install has"
if [ -s "$log.untraced" ]; then
	msg AUDIT "not recorded (ran outside the trace, mk/untraced.sh):"
	sed 's/^/            /' "$log.untraced"
fi
