#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
#
# Make the reference cases of cases.txt: the demo module signed by Debian's
# scripts/sign-file (and openssl cms) with the openssl req keys of keys.sh.
# They prove the QEMU pipeline without modsign: selftest.sh boots them alone,
# test/kernel.bats boots them (prefixed "ref-") beside modsign's cases.
#
# usage: make-ref-cases.sh [--prefix P] KO OUTDIR
#   KO      the unsigned module, built against the test kernel's tree
#   OUTDIR  receives P<case>.ko (.ko.xz, .ko.zst) for every case of cases.txt,
#           and P<case>.p7s work files in OUTDIR/work/
# env:   SIGN_FILE (default /usr/lib/linux-kbuild-6.1/scripts/sign-file),
#        MODSIGN_CACHE (where keys.sh keeps the keys)
# exit:  0 ok, 1 failure, 2 usage, 3 missing tools.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib.sh
. "$here/lib.sh"

usage() {
	sed -n '/^# usage:/,/^# exit:/s/^# \{0,1\}//p' "${BASH_SOURCE[0]}" >&2
	exit 2
}

p=
if [[ ${1:-} == --prefix ]]; then
	p=${2?--prefix needs a value}
	shift 2
fi
(($# == 2)) || usage
ko=$1
c=$2

sign_file=${SIGN_FILE:-/usr/lib/linux-kbuild-6.1/scripts/sign-file}
need_file "$sign_file" linux-kbuild-6.1
need_cmd openssl openssl
need_cmd xz xz-utils
need_cmd zstd zstd
need_cmd od coreutils
need_done

[[ -f $ko ]] || qemu_die "no module: $ko"
keys=$("$here/keys.sh" --ref-dir)
rsa=$keys/rsa4096.pem
ec=$keys/ecdsa-p384.pem
work=$c/work
mkdir -p "$c" "$work"

# sign HASH KEY OUT [sign-file options]
sign() {
	local hash=$1 key=$2 out=$3
	shift 3
	"$sign_file" "$@" "$hash" "$key" "$key" "$ko" "$out"
	qemu_signed "$out" || qemu_die "$sign_file did not sign $out"
}

# --- must load ----------------------------------------------------------------
sign sha256 "$rsa" "$c/${p}rsa-sha256.ko"
sign sha384 "$rsa" "$c/${p}rsa-sha384.ko"
sign sha512 "$rsa" "$c/${p}rsa-sha512.ko"
sign sha224 "$rsa" "$c/${p}rsa-sha224.ko"
sign sha384 "$ec" "$c/${p}ecdsa-p384-sha384.ko"
sign sha256 "$rsa" "$c/${p}rsa-skid.ko" -k
sign sha256 "$rsa" "$c/${p}rsa-xz.ko"
xz --check=crc32 --lzma2=dict=1MiB -f "$c/${p}rsa-xz.ko"
sign sha256 "$rsa" "$c/${p}rsa-zst.ko"
zstd -q --rm -f "$c/${p}rsa-zst.ko"

# --- must be refused ------------------------------------------------------------
cp "$ko" "$c/${p}unsigned.ko"

f=$c/${p}body-flip.ko
sign sha256 "$rsa" "$f"
body=$(($(qemu_size_of "$f") - 40 - $(qemu_sig_len "$f")))
qemu_xor_byte "$f" $((body / 2)) 0xff

# The last byte of the CMS blob is the last byte of the signature value.
f=$c/${p}sig-bitflip.ko
sign sha256 "$rsa" "$f"
qemu_xor_byte "$f" $(($(qemu_size_of "$f") - 41)) 0x01

sign sha256 "$keys/untrusted.pem" "$c/${p}untrusted.ko"

f=$c/${p}trailer-algo.ko
sign sha256 "$rsa" "$f"
qemu_put_byte "$f" $(($(qemu_size_of "$f") - 40)) 1

# openssl cms -sign without -noattr adds signed attributes: content type,
# signing time, message digest and, unless -nosmimecap, S/MIME capabilities.
# The kernel refuses S/MIME capabilities while parsing already, so the
# "authattrs" case leaves them out to reach the rule "no signed attributes".
# cms_attached NAME [openssl cms options]
cms_attached() {
	local name=$1
	shift
	openssl cms -sign -binary -nocerts -outform DER -in "$ko" -signer "$rsa" -inkey "$rsa" \
		-md sha256 -out "$work/$name.p7s" "$@"
	"$sign_file" -s "$work/$name.p7s" sha256 "$rsa" "$ko" "$c/$name.ko"
	qemu_signed "$c/$name.ko" || qemu_die "sign-file -s did not sign $name.ko"
}
cms_attached "${p}authattrs" -nosmimecap
cms_attached "${p}authattrs-smimecap"

# Hashes this kernel lacks: sha1 (known OID, CRYPTO_SHA1 not built) and
# sha3-256 (OID unknown to 6.1's PKCS#7 parser).
sign sha1 "$rsa" "$c/${p}hash-sha1.ko"
sign sha3-256 "$rsa" "$c/${p}hash-sha3-256.ko"

# xz's default CRC64 check, which the kernel's xz decoder does not do.
sign sha256 "$rsa" "$c/${p}xz-crc64.ko"
xz -f "$c/${p}xz-crc64.ko"
