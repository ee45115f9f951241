#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
#
# Build an external module against the kernel tree of build-kernel.sh, so it
# can be loaded by that kernel. The module is NOT signed (the tree has
# MODULE_SIG_ALL off, and `make modules` never signs anyway).
#
# usage: build-module.sh [--tree TREE] SRC_DIR OUT_DIR
#   SRC_DIR  module source with a Makefile or Kbuild (e.g. test/fixtures/demo)
#   OUT_DIR  made afresh; the source is copied to OUT_DIR/src and built there,
#            so SRC_DIR stays clean.
#   --tree   the kernel tree (default: build-kernel.sh --print-tree).
# stdout: the path of each built .ko, one a line.
# exit:   0 ok, 1 failure, 2 usage.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib.sh
. "$here/lib.sh"

tree=
if [[ ${1:-} == --tree ]]; then
	tree=${2:?--tree needs a value}
	shift 2
fi
if (($# != 2)); then
	sed -n '/^# usage:/,/^# exit:/s/^# \{0,1\}//p' "${BASH_SOURCE[0]}" >&2
	exit 2
fi
src=$1
out=$2
tree=${tree:-$("$here/build-kernel.sh" --print-tree)}
[[ -f $tree/Module.symvers ]] || qemu_die "$tree is not a built kernel tree (run build-kernel.sh)"
[[ -f $src/Makefile || -f $src/Kbuild ]] || qemu_die "$src has no Makefile or Kbuild"

rm -rf "$out"
mkdir -p "$out/src"
find "$src" -maxdepth 1 -type f \( -name '*.[ch]' -o -name Makefile -o -name Kbuild \) \
	-exec cp {} "$out/src/" \;
if ! make -C "$tree" M="$out/src" modules >"$out/build.log" 2>&1; then
	cat "$out/build.log" >&2
	qemu_die "building $src against $tree failed"
fi
found=0
for ko in "$out"/src/*.ko; do
	[[ -f $ko ]] || continue
	printf '%s\n' "$ko"
	found=1
done
((found)) || qemu_die "no .ko built from $src"
