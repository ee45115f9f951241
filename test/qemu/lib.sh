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
