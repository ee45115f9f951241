#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
#
# Boot a kernel from build-kernel.sh under QEMU with module.sig_enforce=1,
# load every case module with finit_module(2) and compare the kernel's
# verdicts with the expected ones.
#
# usage: run-guest.sh [--tree TREE] [--log FILE] [--timeout SECONDS] BZIMAGE CASEDIR [EXPECTED]
#   CASEDIR   holds <case>.ko, <case>.ko.xz, <case>.ko.gz or <case>.ko.zst.
#             .ko.xz is decompressed by the kernel (MODULE_INIT_COMPRESSED_FILE);
#             .ko.gz and .ko.zst are decompressed on the host first, as kmod
#             does for formats the kernel cannot decompress (6.1 does one only).
#   EXPECTED  (default CASEDIR/expected) lines "<case> <load|refuse> [ERRNO]",
#             '#' starts a comment, ERRNO is the errno name finit_module
#             must fail with ("ok" for a load), '-' to accept any.
#             Every case file needs a line, every line a case file.
#   --tree    the kernel tree (for usr/gen_init_cpio); default: derived from
#             BZIMAGE (TREE/arch/x86/boot/bzImage) or $MODSIGN_KERNEL_TREE.
#   --log     where the serial log goes (default CASEDIR/serial.log).
# stdout: one line per case, then a summary:
#   CASE <case> <exp-verdict> <exp-errno> <got-verdict> <got-errname> <got-errno> <PASS|FAIL>
#   SUMMARY total=N pass=N fail=N boot_seconds=N
#   (got-verdict is load, refuse, missing (no RESULT line) or error (the
#   loader could not open the file); got-errname is "ok" for a load)
# exit:   0 all cases as expected, 1 otherwise, 2 usage, 3 missing tools.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib.sh
. "$here/lib.sh"

usage() {
	sed -n '/^# usage:/,/^# exit:/s/^# \{0,1\}//p' "${BASH_SOURCE[0]}" >&2
	exit 2
}

tree=${MODSIGN_KERNEL_TREE:-}
log=
timeout_s=300
args=()
while (($#)); do
	case $1 in
	--tree) tree=${2:?--tree needs a value}; shift ;;
	--log) log=${2:?--log needs a value}; shift ;;
	--timeout) timeout_s=${2:?--timeout needs a value}; shift ;;
	-h | --help) usage ;;
	--) shift; args+=("$@"); break ;;
	-*) qemu_log "unknown option: $1"; usage ;;
	*) args+=("$1") ;;
	esac
	shift
done
((${#args[@]} == 2 || ${#args[@]} == 3)) || usage
bzimage=${args[0]}
casedir=${args[1]}
expected=${args[2]:-$casedir/expected}
log=${log:-$casedir/serial.log}
[[ $timeout_s =~ ^[0-9]+$ ]] || qemu_die "--timeout wants seconds"

busybox=$(command -v busybox || true)
need_cmd qemu-system-x86_64 qemu-system-x86
if [[ -z $busybox ]] || LC_ALL=C readelf -l "$busybox" 2>/dev/null | grep -q 'INTERP'; then
	_qemu_add_missing busybox-static
fi
need_cmd gcc gcc
need_cmd readelf binutils
need_file /usr/lib/x86_64-linux-gnu/libc.a libc6-dev
need_cmd timeout coreutils
if compgen -G "$casedir/*.ko.zst" >/dev/null; then need_cmd zstd zstd; fi
if compgen -G "$casedir/*.ko.gz" >/dev/null; then need_cmd gzip gzip; fi
need_done

[[ -f $bzimage ]] || qemu_die "no kernel image: $bzimage"
[[ -d $casedir ]] || qemu_die "no case directory: $casedir"
[[ -f $expected ]] || qemu_die "no expected-verdict list: $expected"
bzimage=$(cd "$(dirname "$bzimage")" && pwd)/${bzimage##*/}
if [[ -z $tree ]]; then
	tree=$(cd "$(dirname "$bzimage")/../../.." && pwd)
fi
gen_init_cpio=$tree/usr/gen_init_cpio
[[ -x $gen_init_cpio ]] ||
	qemu_die "$gen_init_cpio missing: pass --tree (the tree build-kernel.sh built)"

work=$(mktemp -d "${TMPDIR:-/tmp}/modsign-guest.XXXXXX")
trap 'rm -rf "$work"' EXIT

# --- expected verdicts ------------------------------------------------------
cases=()
declare -A exp_verdict=() exp_errno=() case_file=() case_flag=()
lineno=0
while IFS= read -r line || [[ -n $line ]]; do
	lineno=$((lineno + 1))
	line=${line%%#*}
	read -r c v e _ <<<"$line" || true
	[[ -z ${c:-} ]] && continue
	[[ $c =~ ^[A-Za-z0-9._+-]+$ ]] || qemu_die "$expected:$lineno: bad case name '$c'"
	[[ $v == load || $v == refuse ]] || qemu_die "$expected:$lineno: verdict must be load or refuse"
	[[ -z ${exp_verdict[$c]:-} ]] || qemu_die "$expected:$lineno: case '$c' listed twice"
	exp_verdict[$c]=$v
	exp_errno[$c]=${e:--}
	cases+=("$c")
done <"$expected"
((${#cases[@]})) || qemu_die "$expected lists no case"

# --- case files -------------------------------------------------------------
for f in "$casedir"/*.ko "$casedir"/*.ko.xz "$casedir"/*.ko.gz "$casedir"/*.ko.zst; do
	[[ -f $f ]] || continue
	base=${f##*/}
	c=${base%%.ko*}
	[[ -n ${exp_verdict[$c]:-} ]] || qemu_die "$f: no expected verdict for case '$c' in $expected"
	[[ -z ${case_file[$c]:-} ]] || qemu_die "case '$c' has more than one file"
	case $base in
	*.ko)
		case_file[$c]=$f
		case_flag[$c]=-
		;;
	*.ko.xz)
		case_file[$c]=$f
		case_flag[$c]=c
		;;
	*.ko.gz)
		gzip -dc "$f" >"$work/$c.ko"
		case_file[$c]=$work/$c.ko
		case_flag[$c]=-
		;;
	*.ko.zst)
		zstd -q -dc "$f" >"$work/$c.ko"
		case_file[$c]=$work/$c.ko
		case_flag[$c]=-
		;;
	esac
done
for c in "${cases[@]}"; do
	[[ -n ${case_file[$c]:-} ]] || qemu_die "case '$c' has no file in $casedir"
done

# --- initramfs --------------------------------------------------------------
gcc -static -O2 -Wall -o "$work/loader" "$here/loader.c"

cat >"$work/init" <<'EOF'
#!/bin/sh
# PID 1 of the test guest: load each case, print its verdict, leave.
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
# A line of its own first: the firmware's terminal codes end up before it.
echo
echo "GUEST begin kernel=$(uname -r) sig_enforce=$(cat /sys/module/module/parameters/sig_enforce 2>/dev/null)"
dmesg | grep -i 'x\.509\|certificate' | sed 's/^/KMSG boot /'
dmesg -c >/dev/null
while read -r case flag file; do
	if [ "$flag" = c ]; then
		loader -c "$case" "$file"
	else
		loader "$case" "$file"
	fi
	dmesg -c | sed "s/^/KMSG $case /"
done </cases/list
echo "GUEST end"
reboot -f
EOF

{
	printf 'dir /dev 0755 0 0\n'
	printf 'nod /dev/console 0600 0 0 c 5 1\n'
	printf 'dir /proc 0755 0 0\n'
	printf 'dir /sys 0755 0 0\n'
	printf 'dir /bin 0755 0 0\n'
	printf 'dir /cases 0755 0 0\n'
	printf 'file /init %s 0755 0 0\n' "$work/init"
	printf 'file /bin/busybox %s 0755 0 0\n' "$busybox"
	printf 'file /bin/loader %s 0755 0 0\n' "$work/loader"
	for applet in sh mount cat echo dmesg grep sed uname reboot; do
		printf 'slink /bin/%s busybox 0777 0 0\n' "$applet"
	done
	printf 'file /cases/list %s 0644 0 0\n' "$work/list"
} >"$work/initramfs.list"
: >"$work/list"
for c in "${cases[@]}"; do
	f=${case_file[$c]}
	name=$c.ko
	[[ ${case_flag[$c]} == c ]] && name=$c.ko.xz
	printf 'file /cases/%s %s 0644 0 0\n' "$name" "$f" >>"$work/initramfs.list"
	printf '%s %s /cases/%s\n' "$c" "${case_flag[$c]}" "$name" >>"$work/list"
done
"$gen_init_cpio" "$work/initramfs.list" >"$work/initramfs.cpio"

# --- boot -------------------------------------------------------------------
qemu_log "booting $bzimage with ${#cases[@]} case(s) (log: $log)"
start=$SECONDS
rc=0
timeout "$timeout_s" qemu-system-x86_64 -accel tcg -m 256 -nographic -no-reboot \
	-kernel "$bzimage" -initrd "$work/initramfs.cpio" \
	-append "console=ttyS0 module.sig_enforce=1 panic=-1 quiet" \
	</dev/null >"$work/serial.raw" 2>&1 || rc=$?
boot_s=$((SECONDS - start))
tr -d '\r' <"$work/serial.raw" >"$log"
if ((rc == 124)); then
	tail -n 30 "$log" >&2
	qemu_die "the guest did not finish within $timeout_s s (log: $log)"
elif ((rc != 0)); then
	tail -n 30 "$log" >&2
	qemu_die "qemu failed with status $rc (log: $log)"
fi
if ! grep -q '^GUEST end' "$log"; then
	tail -n 30 "$log" >&2
	qemu_die "the guest did not run all cases (log: $log)"
fi

# --- verdicts ---------------------------------------------------------------
declare -A got_name=() got_errno=()
while read -r _ c n e; do
	got_name[$c]=$n
	got_errno[$c]=$e
done < <(grep -E '^RESULT [^ ]+ [^ ]+ -?[0-9]+$' "$log" || true)
while read -r _ c m s; do
	[[ $s == ok ]] || qemu_log "warning: case $c: module $m could not be removed ($s)"
done < <(grep -E '^UNLOAD ' "$log" || true)

pass=0
fail=0
for c in "${cases[@]}"; do
	n=${got_name[$c]:-}
	e=${got_errno[$c]:--}
	if [[ -z $n ]]; then
		got=missing n=- e=-
	elif [[ $n == open-* ]]; then
		got=error
	elif [[ $n == ok ]]; then
		got=load
	else
		got=refuse
	fi
	verdict=PASS
	[[ $got == "${exp_verdict[$c]}" ]] || verdict=FAIL
	want_e=${exp_errno[$c]}
	if [[ $want_e != - && $want_e != "$n" ]]; then
		verdict=FAIL
	fi
	if [[ $verdict == PASS ]]; then pass=$((pass + 1)); else fail=$((fail + 1)); fi
	printf 'CASE %s %s %s %s %s %s %s\n' "$c" "${exp_verdict[$c]}" "$want_e" "$got" "$n" "$e" "$verdict"
done
printf 'SUMMARY total=%d pass=%d fail=%d boot_seconds=%d\n' "${#cases[@]}" "$pass" "$fail" "$boot_s"
((fail == 0))
