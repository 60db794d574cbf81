# SPDX-License-Identifier: GPL-2.0
#
# Is a patch well formed: awk -f mk/patch-form.awk FILE.patch
#
# A hunk shorter than its header counts makes patch(1) take the lines after
# it for trailing garbage and skip them, later hunks included, without an
# error. Here every hunk must have exactly the lines its header counts, and
# only a new hunk, a new file or the signature may follow it.
# On a malformed patch: prints FILE:LINE: what is wrong, and exits 1.

function fail(why) {
	printf "%s:%d: %s\n", FILENAME, NR, why
	bad = 1
	exit 1
}

in_hunk {
	if (prev_minus && /^\+\+\+ /)
		fail("a file header inside a hunk: the hunk before it is short")
	prev_minus = /^--- /
	c = substr($0, 1, 1)
	if (c == " " || $0 == "") {
		old--
		new--
	} else if (c == "-") {
		old--
	} else if (c == "+") {
		new--
	} else if (c != "\\") {
		fail("a hunk line that is neither context, removal nor addition")
	}
	if (old < 0 || new < 0)
		fail("a hunk longer than its header counts")
	if (!old && !new)
		in_hunk = 0
	next
}

/^@@ / {
	if (!files)
		fail("a hunk before any file header")
	if (!match($0, /^@@ -[0-9]+(,[0-9]+)? \+[0-9]+(,[0-9]+)? @@/))
		fail("a bad hunk header")
	split(substr($0, 4, RLENGTH - 6), r, " ")
	old = (split(r[1], a, ",") > 1) ? a[2] : 1
	new = (split(r[2], b, ",") > 1) ? b[2] : 1
	in_hunk = old + new > 0
	prev_minus = 0
	hunks++
	after = 1
	next
}

/^--- / { files++; after = 0; next }
/^\+\+\+ / { next }
/^-- ?$/ { done = 1 }
after && !done && !/^diff / { fail("text after a hunk: the hunk before it is short") }

END {
	if (bad)
		exit 1
	if (in_hunk) {
		printf "%s: the last hunk is cut short\n", FILENAME
		exit 1
	}
	if (!hunks) {
		printf "%s: no hunks\n", FILENAME
		exit 1
	}
}
