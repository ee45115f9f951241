# shellcheck shell=bash
# Helpers shared by the scripts in test/qemu/. Source it; do not run it.

# Exit status of every script here when a needed tool is missing, so a
# caller (make check, a bats file) can tell "cannot run" from "failed".
QEMU_TEST_MISSING_DEPS=3

# The one cache directory that holds the kernel tree, keys and work files.
qemu_cache_dir() {
	printf '%s\n' "${MODSIGN_CACHE:-${HOME:?HOME is not set}/.cache/modsign}"
}

qemu_log() {
	printf '%s: %s\n' "${0##*/}" "$*" >&2
}

qemu_die() {
	qemu_log "error: $*"
	exit 1
}

# Missing packages are collected here by need_cmd/need_file and reported
# all at once by need_done.
_qemu_missing_pkgs=()

_qemu_add_missing() {
	local p
	for p in "${_qemu_missing_pkgs[@]}"; do
		[[ $p == "$1" ]] && return 0
	done
	_qemu_missing_pkgs+=("$1")
}

# need_cmd COMMAND PACKAGE
need_cmd() {
	command -v "$1" >/dev/null 2>&1 || _qemu_add_missing "$2"
}

# need_file PATH PACKAGE
need_file() {
	[[ -e $1 ]] || _qemu_add_missing "$2"
}

# need_done: exit with QEMU_TEST_MISSING_DEPS after printing the exact
# install line when anything was missing. Scripts never install anything.
need_done() {
	((${#_qemu_missing_pkgs[@]} == 0)) && return 0
	qemu_log "missing tools; install them with:"
	printf 'apt-get install -y %s\n' "${_qemu_missing_pkgs[*]}" >&2
	exit "$QEMU_TEST_MISSING_DEPS"
}

# sha256 of stdin, hex only.
qemu_sha256() {
	sha256sum | cut -d' ' -f1
}

# --- byte surgery on signed modules -----------------------------------------
# The appended signature ends a module as
#   [body][CMS DER, sig_len bytes][struct module_signature, 12][marker, 28]
# so struct module_signature starts 40 bytes from the end (its first byte is
# algo, bytes 5..7 are the padding, the last four sig_len, big-endian).

qemu_size_of() { stat -c %s "$1"; }

# qemu_byte_at FILE OFFSET: the byte's value, decimal.
qemu_byte_at() { od -An -tu1 -j "$2" -N1 "$1" | tr -d ' '; }

# qemu_put_byte FILE OFFSET VALUE
qemu_put_byte() {
	printf '%b' "\\0$(printf '%03o' "$3")" | dd of="$1" bs=1 seek="$2" conv=notrunc status=none
}

# qemu_xor_byte FILE OFFSET MASK
qemu_xor_byte() { qemu_put_byte "$1" "$2" $(($(qemu_byte_at "$1" "$2") ^ $3)); }

# qemu_sig_len FILE: sig_len of the appended signature.
qemu_sig_len() {
	local f=$1 s n=0 i
	s=$(qemu_size_of "$f")
	for i in 0 1 2 3; do n=$((n * 256 + $(qemu_byte_at "$f" $((s - 32 + i))))); done
	printf '%d\n' "$n"
}

# qemu_signed FILE: true when FILE ends with the signature marker.
qemu_signed() { cmp -s <(tail -c 28 "$1") <(printf '~Module signature appended~\n'); }

# qemu_append_sig MODULE DER OUT: OUT = MODULE + DER + a PKCS#7 struct
# module_signature (id_type 2, sig_len = size of DER) + the marker. Written
# by hand, so nothing checks DER first.
qemu_append_sig() {
	local ko=$1 der=$2 out=$3 n
	n=$(qemu_size_of "$der")
	{
		cat "$ko" "$der"
		printf '\000\000\002\000\000\000\000\000'
		printf '%b' "$(printf '\\0%03o\\0%03o\\0%03o\\0%03o' \
			$(((n >> 24) & 255)) $(((n >> 16) & 255)) $(((n >> 8) & 255)) $((n & 255)))"
		printf '~Module signature appended~\n'
	} >"$out"
}
