#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
#
# The keys of the QEMU test, made once and kept in the cache, and the one list
# of certificates the test kernel trusts. Every script that builds the kernel
# (selftest.sh, test/kernel.bats) takes the list from here, so they share ONE
# kernel build: build-kernel.sh relinks whenever the list or its order changes.
#
#   $MODSIGN_CACHE/selftest/keys/     openssl req (x509.genkey), for the
#       rsa4096.pem ecdsa-p384.pem    reference cases signed by Debian's
#       untrusted.pem (RSA-2048)      sign-file (selftest.sh)
#   $MODSIGN_CACHE/kernel-keys/       modsign keygen, for the modsign cases
#       rsa/    x509/x509.genkey          (RSA-4096)
#       ec/     x509/x509-ecdsa.genkey    (ECDSA P-384)
#       other/  test/qemu/untrusted.genkey (RSA-2048, never trusted)
#     each holding signing_key.pem (key + certificate) and signing_key.x509 (DER)
#
# usage: keys.sh [--trusted | --ref-dir | --modsign-dir]
#   --trusted      (default) print the certificates the kernel trusts, one a
#                  line, in build-kernel.sh order: ref RSA-4096, ref ECDSA
#                  P-384, modsign RSA-4096, modsign ECDSA P-384
#   --ref-dir      print the directory of the openssl req keys
#   --modsign-dir  print the directory of the modsign keygen keys
# env:   MODSIGN_CACHE (default ~/.cache/modsign); MODSIGN_BIN, the modsign
#        that makes the modsign keys (default build/modsign of this tree)
# exit:  0 ok, 1 failure, 2 usage, 3 missing tools.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(cd "$here/../.." && pwd)
# shellcheck source=lib.sh
. "$here/lib.sh"

mode=trusted
case ${1:-} in
"" | --trusted) ;;
--ref-dir) mode=ref ;;
--modsign-dir) mode=modsign ;;
*)
	sed -n '/^# usage:/,/^# exit:/s/^# \{0,1\}//p' "${BASH_SOURCE[0]}" >&2
	exit 2
	;;
esac
(($# <= 1)) || { qemu_log "too many arguments"; exit 2; }

need_cmd openssl openssl
need_cmd flock util-linux
need_done

modsign=${MODSIGN_BIN:-$top/build/modsign}
cache=$(qemu_cache_dir)
ref=$cache/selftest/keys
mine=$cache/kernel-keys
mkdir -p "$ref" "$mine"

# ref_key FILE CN [openssl req options...]
ref_key() {
	local out=$1 cn=$2
	shift 2
	[[ -s $ref/$out ]] && return 0
	qemu_log "making key $ref/$out"
	openssl req -new -nodes -utf8 -sha512 -days 36500 -batch -x509 \
		-config "$here/x509.genkey" -subj "/O=modsign qemu test/CN=$cn" \
		-outform PEM -out "$ref/$out.tmp" -keyout "$ref/$out.tmp" "$@" 2>/dev/null ||
		qemu_die "openssl req could not make $ref/$out"
	mv "$ref/$out.tmp" "$ref/$out"
}

# modsign_key NAME TEMPLATE
modsign_key() {
	local dir=$mine/$1 tpl=$2
	[[ -s $dir/signing_key.pem && -s $dir/signing_key.x509 ]] && return 0
	[[ -x $modsign ]] || qemu_die "$modsign is not built (run make), needed to make $dir"
	qemu_log "making key $dir with modsign keygen --template ${tpl#"$top"/}"
	rm -rf "$dir"
	"$modsign" keygen --template "$tpl" "$dir" >/dev/null ||
		qemu_die "modsign keygen could not make $dir"
}

(
	flock 9
	ref_key rsa4096.pem "modsign qemu RSA-4096"
	ref_key ecdsa-p384.pem "modsign qemu ECDSA P-384" -newkey ec -pkeyopt ec_paramgen_curve:secp384r1
	ref_key untrusted.pem "modsign qemu untrusted" -newkey rsa:2048
	modsign_key rsa "$top/x509/x509.genkey"
	modsign_key ec "$top/x509/x509-ecdsa.genkey"
	modsign_key other "$here/untrusted.genkey"
) 9>"$cache/.keys.lock"

case $mode in
ref) printf '%s\n' "$ref" ;;
modsign) printf '%s\n' "$mine" ;;
trusted)
	printf '%s\n' "$ref/rsa4096.pem" "$ref/ecdsa-p384.pem" \
		"$mine/rsa/signing_key.x509" "$mine/ec/signing_key.x509"
	;;
esac
