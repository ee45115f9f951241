#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
#
# Prove the QEMU pipeline with the kernel's own signer: keys from openssl req,
# modules signed by Debian's scripts/sign-file, verdicts from a real 6.1
# kernel booted with module.sig_enforce=1. The expected verdicts are in
# cases.txt beside this script.
#
# The kernel is the one test/kernel.bats uses (same certificates, same order:
# keys.sh), so running both builds it once; kernel.bats boots these very
# cases too, as "ref-<case>".
#
# usage: selftest.sh [--timeout SECONDS]
# env:   MODSIGN_CACHE (default ~/.cache/modsign): the kernel tree, the keys
#        (made once, kept so the kernel is not relinked each run) and the
#        last run's cases and serial log (selftest/cases/) live there.
#        MODSIGN_BIN (default build/modsign): makes keys.sh's modsign keys,
#        which the shared kernel trusts too.
#        SIGN_FILE (default /usr/lib/linux-kbuild-6.1/scripts/sign-file).
# exit:  0 every case as expected, 1 otherwise, 2 usage, 3 missing tools.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(cd "$here/../.." && pwd)
# shellcheck source=lib.sh
. "$here/lib.sh"

run_args=()
while (($#)); do
	case $1 in
	--timeout) run_args+=(--timeout "${2:?--timeout needs a value}"); shift ;;
	*) sed -n '/^# usage:/,/^# exit:/s/^# \{0,1\}//p' "${BASH_SOURCE[0]}" >&2; exit 2 ;;
	esac
	shift
done

"$here/build-kernel.sh" --check-deps

demo_src=$top/test/fixtures/demo
[[ -f $demo_src/modsign_demo.c ]] || qemu_die "no demo module source in $demo_src"

work=$(qemu_cache_dir)/selftest/cases

# --- kernel trusting the shared certificate list ----------------------------
# keys.sh makes the keys once (the modsign ones with build/modsign) and names
# the certificates in the order every user of the kernel passes them.
mapfile -t trusted < <("$here/keys.sh")
((${#trusted[@]} == 4)) || qemu_die "keys.sh did not name the trusted certificates"
t0=$SECONDS
bzimage=$("$here/build-kernel.sh" "${trusted[@]}")
tree=$("$here/build-kernel.sh" --print-tree)
qemu_log "kernel ready in $((SECONDS - t0)) s: $bzimage"

# --- the demo module, built against that tree, and the cases -------------------
rm -rf "$work"
mkdir -p "$work/cases"
ko=$("$here/build-module.sh" --tree "$tree" "$demo_src" "$work/mod")
[[ -f $ko && $ko == *.ko ]] || qemu_die "expected one module from $demo_src, got: $ko"
c=$work/cases
"$here/make-ref-cases.sh" "$ko" "$c"

# --- boot ---------------------------------------------------------------------------
t0=$SECONDS
rc=0
"$here/run-guest.sh" "${run_args[@]}" --log "$work/serial.log" "$bzimage" "$c" "$here/cases.txt" || rc=$?
qemu_log "guest run took $((SECONDS - t0)) s; serial log: $work/serial.log"
exit "$rc"
