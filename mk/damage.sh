#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The corruption campaign: handovers damaged at random, seeded and
# replayable. For every seed, one guest runs lu_damage through
# DAMAGE_CYCLES kexecs; before every jump the kernel's test hook applies
# DAMAGE_COUNT mutations to the serialized state (KHO, kho_block, LUO,
# memfd, blackout), and the next kernel must reject them cleanly: no oops,
# panic or WARN, a log line naming what it rejected, no memory lost, and
# everything not damaged intact (the guest test checks that).
#
# Each mutation the old kernel logged ("liveupdate: test damage I/N:
# FORMAT: ...") is matched with what the next boot rejected: its format's
# own rejection, or a wider one that covers it (the whole handover, all of
# LUO's state, the session it belongs to, the memfd it belongs to: a memfd's
# description and folio records are matched by the description's physical
# address, which both kernels log). The table counts, per format,
# mutations tried, rejected cleanly, and anything else; JSON in
# $BUILD/damage/results.json.
#
#   DAMAGE_SEEDS="1 2 3" or DAMAGE_SEEDS=N (seeds 1..N)  default 1
#   DAMAGE_CYCLES=K   kexecs per guest (default 6)
#   DAMAGE_COUNT=M    mutations per boot (default 2)

. "$(dirname "$0")/lib.sh"
set +e

SELFTESTS=$LU_ROOT/tools/testing/selftests/liveupdate
OUT=$BUILD/damage$VSFX
mkdir -p "$OUT"
seeds=${DAMAGE_SEEDS:-1}
[[ $seeds =~ ^[0-9]+$ ]] && seeds=$(seq 1 "$seeds")
cycles=${DAMAGE_CYCLES:-6}
count=${DAMAGE_COUNT:-2}
failed=0
: > "$OUT/mutations.tsv"

for seed in $seeds; do
	name=damage-$seed
	"$SELFTESTS/vmtest.sh" -k "$KBUILD/arch/x86/boot/bzImage" -i "$GUEST/initramfs.cpio" \
		-o "$OUT" -n "$name" -t lu_damage -c "$cycles" -K "$SELFTESTS/kunit.suites" \
		-a "lu.seed=$seed lu.dmg.count=$count" > "$OUT/$name.verdict" 2>&1
	rc=$?
	grep -E '^  (RESULT|FAIL)' "$OUT/$name.verdict" | sed 's/^/  /'
	if [ $rc != 0 ]; then
		failed=$((failed + 1))
		echo "  replay: make damage DAMAGE_SEEDS=$seed DAMAGE_CYCLES=$cycles DAMAGE_COUNT=$count"
	fi
	# One line per mutation: seed, boot, format, verdict, owner (the
	# physical address of a memfd's description, for its parts).
	tr -d '\r' < "$OUT/$name.console" | awk -v seed="$seed" -v stagefail="$(
		grep -oE 'lu:lu_damage:stage[0-9]+: not ok' "$OUT/$name.verdict" |
		grep -oE '[0-9]+' | tr '\n' ' ')" '
	function covers(f, b, o) {
		if (kho[b]) return 1
		if (f ~ /^kho-/) return 0
		if (luo[b] && f != "blackout") return 1
		if (sess[b] && (f == "luo-files" || f ~ /^memfd-/)) return 1
		# A memfd rejected for any reason covers all of its own damage.
		if (o != "") return mrej[b, o]
		return own[b, f]
	}
	BEGIN { n = split(stagefail, sf, " "); for (i = 1; i <= n; i++) bad[sf[i]] = 1 }
	/Linux version / { boot++ }
	/liveupdate: test damage [0-9]+\/[0-9]+: / {
		f = $0; sub(/.*test damage [0-9]+\/[0-9]+: /, "", f); sub(/:.*/, "", f)
		o = f; if (!sub(/.* of /, "", o)) o = ""
		sub(/ of .*/, "", f)
		m[++nm] = f; mo[nm] = o; mb[nm] = boot
	}
	/KHO: invalid handover/ { kho[boot] = 1 }
	/liveupdate: (corrupt|incompatible) live update state/ { luo[boot] = 1 }
	/dropping (this|that) session/ { sess[boot] = 1; own[boot, "luo-files"] = 1 }
	/kho_block: restore of/ { own[boot, "luo-sessions"] = 1 }
	/memfd_luo: preserved memfd at 0x[0-9a-f]+/ {
		a = $0; sub(/.*preserved memfd at /, "", a); sub(/[^0-9a-fx].*/, "", a)
		mrej[boot, a] = 1
	}
	/memfd_luo: preserved memfd.*(descr|hash)/ { own[boot, "memfd-desc"] = 1 }
	/memfd_luo: preserved memfd.*(folio records)/ { own[boot, "memfd-records"] = 1 }
	/invalid blackout record/ { own[boot, "blackout"] = 1 }
	END {
		for (i = 1; i <= nm; i++) {
			b = mb[i] + 1
			v = bad[b] ? "other" : covers(m[i], b, mo[i]) ? "rejected" : "other"
			printf "%s\t%d\t%s\t%s\t%s\n", seed, mb[i], m[i], v, mo[i]
		}
	}' >> "$OUT/mutations.tsv"
done

printf '\n  %-16s %8s %10s %8s\n' format tried rejected other
awk -F'\t' '{ t[$3]++; if ($4 == "rejected") r[$3]++; else o[$3]++; T++; if ($4 == "rejected") R++; else O++ }
	END {
		for (f in t) printf "  %-16s %8d %10d %8d\n", f, t[f], r[f], o[f]
		printf "  %-16s %8d %10d %8d\n", "total", T, R, O
	}' "$OUT/mutations.tsv" | sort -k1,1 | awk '/total/ { last = $0; next } { print } END { print last }'
awk -F'\t' 'BEGIN { printf "{\"mutations\": [" }
	{ printf "%s{\"seed\": %s, \"boot\": %s, \"format\": \"%s\", \"verdict\": \"%s\"%s}", (NR > 1 ? ", " : ""), $1, $2, $3, $4, ($5 != "" ? ", \"owner\": \"" $5 "\"" : "") }
	END { printf "]}\n" }' "$OUT/mutations.tsv" > "$OUT/results.json"
other=$(awk -F'\t' '$4 != "rejected"' "$OUT/mutations.tsv" | wc -l)
tried=$(wc -l < "$OUT/mutations.tsv")
msg DAMAGE "$tried mutations over $(wc -w <<< "$seeds") seeds, $other not rejected cleanly, $failed guests failed; $OUT/results.json"
[ "$tried" -gt 0 ] && [ "$other" = 0 ] && [ $failed = 0 ]
