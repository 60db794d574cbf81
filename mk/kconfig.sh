#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Generate the kernel .config: `make tinyconfig` (ARCH=x86_64) as the minimal
# base, then every configs/*.config fragment in name order (for the debug
# kernel, LU_VARIANT=debug, configs/debug/*.config after them), then
# olddefconfig.
# Every option a fragment asks for must survive with the value it asked for;
# the lost ones are listed and the build fails. The result replaces
# $KBUILD/.config only when its content changed, so an unchanged config never
# causes a rebuild.

. "$(dirname "$0")/lib.sh"

GEN=$KBUILD-kconfig-gen
MAKE_ARGS=(-s -C "$SRC" O="$GEN" ARCH=x86_64)

start=$(now_ns)
shopt -s nullglob
CONFIGS_DIR=${CONFIGS_DIR:-$LU_ROOT/configs}
frags=("$CONFIGS_DIR"/*.config)
[ ${#frags[@]} -gt 0 ] || die "no fragments in $CONFIGS_DIR"
if [ -n "$LU_VARIANT" ]; then
	vfrags=("$CONFIGS_DIR/$LU_VARIANT"/*.config)
	[ ${#vfrags[@]} -gt 0 ] || die "no fragments in $CONFIGS_DIR/$LU_VARIANT"
	frags+=("${vfrags[@]}")
fi

mkdir -p "$GEN" "$KBUILD"
make "${MAKE_ARGS[@]}" tinyconfig > "$GEN/log" 2>&1 ||
	{ cat "$GEN/log" >&2; die "make tinyconfig failed"; }
KCONFIG_CONFIG="$GEN/.config" "$SRC/scripts/kconfig/merge_config.sh" -m -O "$GEN" \
	"$GEN/.config" "${frags[@]}" >> "$GEN/log" 2>&1 ||
	{ cat "$GEN/log" >&2; die "merge_config.sh failed"; }
make "${MAKE_ARGS[@]}" olddefconfig >> "$GEN/log" 2>&1 ||
	{ cat "$GEN/log" >&2; die "make olddefconfig failed"; }

# Verify: CONFIG_X=v must be present as is; "# CONFIG_X is not set" must not
# be set to anything. A later fragment's request for an option replaces an
# earlier one's (a variant's fragments override the base).
lost=$(awk '
	FNR == NR {
		if ($0 ~ /^CONFIG_[A-Za-z0-9_]+=/) { split($0, kv, "="); have[kv[1]] = substr($0, length(kv[1]) + 2) }
		next
	}
	/^CONFIG_[A-Za-z0-9_]+=/ {
		split($0, kv, "="); if (!(kv[1] in want)) order[++n] = kv[1]
		want[kv[1]] = substr($0, length(kv[1]) + 2); from[kv[1]] = FILENAME
		next
	}
	/^# CONFIG_[A-Za-z0-9_]+ is not set/ {
		if (!($2 in want)) order[++n] = $2
		want[$2] = ""; from[$2] = FILENAME
	}
	END {
		for (i = 1; i <= n; i++) {
			o = order[i]
			if (want[o] == "" && (o in have))
				printf "  %s: %s off requested, got %s=%s\n", from[o], o, o, have[o]
			else if (want[o] != "" && (!(o in have) || have[o] != want[o]))
				printf "  %s: %s=%s requested, got %s\n", from[o], o, want[o],
					(o in have) ? o "=" have[o] : "not set"
		}
	}' "$GEN/.config" "${frags[@]}" | sed "s|$LU_ROOT/||")
if [ -n "$lost" ]; then
	printf 'error: requested config options did not survive olddefconfig\n%s\n' "$lost" >&2
	printf '(unmet dependencies or a missing tool, e.g. pahole for DEBUG_INFO_BTF)\n' >&2
	exit 1
fi

nreq=$(cat "${frags[@]}" | grep -cE '^(CONFIG_|# CONFIG_.* is not set)')
if cmp -s "$GEN/.config" "$KBUILD/.config"; then
	msg CONFIG "unchanged; $nreq requested options verified"
else
	cp "$GEN/.config" "$KBUILD/.config"
	msg CONFIG "written $KBUILD/.config; $nreq requested options verified"
fi
phase_time "config$VSFX" "$start"
