#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
#
# Make one case of test/kernel.bats: the demo module signed (or mis-signed)
# by modsign, ready for run-guest.sh. One case per run, so that a case that
# cannot be made (say, DKMS refusing the tree) fails alone.
#
# usage: modsign-case.sh CASE OUTDIR
#   writes OUTDIR/CASE.ko, OUTDIR/CASE.ko.xz or OUTDIR/CASE.ko.zst; scratch
#   files go to OUTDIR/work/CASE/. CASE is one of:
#     rsa-sha256 rsa-sha384 rsa-sha512  sign-file mode, RSA-4096
#     ecdsa-p384                        sign-file mode, ECDSA P-384, sha384
#     rsa-skid                          sign-file mode -k (signer by SKID)
#     pkcs11-rsa                        sign-file mode, the RSA-4096 key imported
#                                       into a SoftHSM2 token, KEY a pkcs11: URI
#     sign-xz sign-zst                  xz/zstd first, then modsign sign --key
#     kbuild                            make modules_install through
#                                       kbuild/modsign-modules-install
#     dkms                              dkms build + install, dkms.conf's
#                                       POST_BUILD hook dkms-hooks/modsign-post-build
#     unsigned body-flip sig-bitflip untrusted trailer-algo trailer-pad
#     authattrs hash-sha1               the refusals (see the case bodies)
# env (all required):
#   MODSIGN_BIN   the modsign under test
#   KTREE         the test kernel's build tree (build-kernel.sh --print-tree)
#   KMOD_DIR      the directory where build-module.sh built the demo module
#                 against KTREE (its modsign_demo.ko is never changed)
#   KEYS          keys.sh --modsign-dir: rsa/, ec/, other/signing_key.{pem,x509}
# exit:  0 case made, 1 failure, 2 usage.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(cd "$here/../.." && pwd)
# shellcheck source=lib.sh
. "$here/lib.sh"

if (($# != 2)); then
	sed -n '/^# usage:/,/^# exit:/s/^# \{0,1\}//p' "${BASH_SOURCE[0]}" >&2
	exit 2
fi
case=$1
out=$2
: "${MODSIGN_BIN:?}" "${KTREE:?}" "${KMOD_DIR:?}" "${KEYS:?}"
ko=$KMOD_DIR/modsign_demo.ko
[[ -f $ko ]] || qemu_die "no module: $ko"
work=$out/work/$case
rm -rf "$work"
mkdir -p "$work"

modsign() { "$MODSIGN_BIN" "$@"; }
rsa=$KEYS/rsa/signing_key.pem
rsa_crt=$KEYS/rsa/signing_key.x509
ec=$KEYS/ec/signing_key.pem
ec_crt=$KEYS/ec/signing_key.x509
dest=$out/$case.ko

# sign-file mode, into dest: signfile [-k] HASH KEY CERT
signfile() {
	modsign "$@" "$ko" "$dest"
	qemu_signed "$dest" || qemu_die "modsign $* did not sign $dest"
}

# compress_then_sign EXT COMPRESSOR...: compressed copy, then modsign sign
# with an explicit key; the hash comes from the tree's CONFIG_MODULE_SIG_HASH.
compress_then_sign() {
	local ext=$1 f=$out/$case.ko.$1
	shift
	"$@" <"$ko" >"$f"
	modsign sign --key "$rsa" --kernel-dir "$KTREE" "$f"
	# The result is still of that format (xz: with the CRC32 check the
	# kernel's decoder needs), and carries the signature inside.
	case $ext in
	xz) xz --robot --list "$f" | grep -q "^totals.*CRC32" || qemu_die "$f: not xz with CRC32" ;;
	zst) zstd -q -t "$f" || qemu_die "$f: not zstd" ;;
	esac
}

# The kernel release of the tree: what Kbuild and DKMS install under.
kver() { make -s -C "$KTREE" kernelrelease; }

case $case in
rsa-sha256 | rsa-sha384 | rsa-sha512) signfile "${case#rsa-}" "$rsa" "$rsa_crt" ;;
ecdsa-p384) signfile sha384 "$ec" "$ec_crt" ;;
rsa-skid) signfile -k sha256 "$rsa" "$rsa_crt" ;;

pkcs11-rsa)
	# The trusted RSA-4096 key, imported into a SoftHSM2 token made in $work;
	# modsign reaches it through the libp11 engine.
	command -v softhsm2-util >/dev/null || qemu_die "softhsm2-util is not installed (apt-get install softhsm2)"
	mkdir -p "$work/tokens"
	printf 'directories.tokendir = %s\nobjectstore.backend = file\nlog.level = ERROR\n' \
		"$work/tokens" >"$work/softhsm2.conf"
	export SOFTHSM2_CONF=$work/softhsm2.conf PKCS11_MODULE_PATH=/usr/lib/softhsm/libsofthsm2.so
	softhsm2-util --init-token --free --label kernel-test --pin 1234 --so-pin 123456 >/dev/null
	openssl pkcs8 -topk8 -nocrypt -in "$rsa" -out "$work/rsa.p8"
	softhsm2-util --import "$work/rsa.p8" --token kernel-test --label rsa --id 01 --pin 1234 >/dev/null
	rm -f "$work/rsa.p8"
	KBUILD_SIGN_PIN=1234 signfile sha256 "pkcs11:token=kernel-test;object=rsa" "$rsa_crt"
	;;

sign-xz) compress_then_sign xz xz --check=crc32 --lzma2=dict=1MiB -c ;;
sign-zst) compress_then_sign zst zstd -q -c ;;

kbuild)
	# Kbuild's modules_install, its cmd_sign replaced by modsign through the
	# wrapper; the managed key dir IS the trusted RSA-4096 key. The tree has
	# CONFIG_MODULE_COMPRESS_XZ, so Kbuild compresses after signing.
	MODSIGN=$MODSIGN_BIN MODSIGN_KEY_DIR=$KEYS/rsa MODSIGN_CONFIG=$work/no-modsign.conf \
		"$top/kbuild/modsign-modules-install" -C "$KTREE" M="$KMOD_DIR" \
		INSTALL_MOD_PATH="$work/root"
	installed=$work/root/lib/modules/$(kver)/extra/modsign_demo.ko.xz
	[[ -f $installed ]] || qemu_die "modules_install did not install $installed"
	cp "$installed" "$out/$case.ko.xz"
	;;

dkms)
	# The repository's dkms.conf and hook, packaged as a vendor would ship
	# them; dkms with all its trees in $work, building against KTREE.
	# DKMS signs with its own key first (made in $work/mok: its defaults
	# would write /var/lib/dkms); the hook must replace that signature.
	command -v dkms >/dev/null || qemu_die "dkms is not installed (apt-get install dkms)"
	kv=$(kver)
	pkg=$work/src/modsign-demo-1.0
	mkdir -p "$pkg/test/fixtures" "$work/tree" "$work/inst/$kv" "$work/mok"
	cp -a "$top/dkms.conf" "$top/dkms-hooks" "$pkg/"
	cp -a "$top/test/fixtures/demo" "$pkg/test/fixtures/"
	export MODSIGN=$MODSIGN_BIN MODSIGN_KEY_DIR=$KEYS/rsa MODSIGN_CONFIG=$work/no-modsign.conf
	export mok_signing_key=$work/mok/mok.key mok_certificate=$work/mok/mok.pub
	unset sign_file
	dk() { dkms --dkmstree "$work/tree" --sourcetree "$work/src" --installtree "$work/inst" "$@"; }
	dk add modsign-demo/1.0
	dk build modsign-demo/1.0 -k "$kv" --kernelsourcedir "$KTREE"
	dk install modsign-demo/1.0 -k "$kv" --kernelsourcedir "$KTREE" --no-depmod
	installed=$work/inst/$kv/updates/dkms/modsign_demo.ko
	[[ -f $installed ]] || qemu_die "dkms install did not install $installed"
	cp "$installed" "$dest"
	;;

unsigned) cp "$ko" "$dest" ;;
body-flip)
	signfile sha256 "$rsa" "$rsa_crt"
	body=$(($(qemu_size_of "$dest") - 40 - $(qemu_sig_len "$dest")))
	qemu_xor_byte "$dest" $((body / 2)) 0xff
	;;
sig-bitflip)
	# The last byte of the CMS blob is the last byte of the signature value.
	signfile sha256 "$rsa" "$rsa_crt"
	qemu_xor_byte "$dest" $(($(qemu_size_of "$dest") - 41)) 0x01
	;;
untrusted) signfile sha256 "$KEYS/other/signing_key.pem" "$KEYS/other/signing_key.x509" ;;
trailer-algo)
	# struct module_signature: algo (first byte) = 1
	signfile sha256 "$rsa" "$rsa_crt"
	qemu_put_byte "$dest" $(($(qemu_size_of "$dest") - 40)) 1
	;;
trailer-pad)
	# struct module_signature: last pad byte = 1
	signfile sha256 "$rsa" "$rsa_crt"
	qemu_put_byte "$dest" $(($(qemu_size_of "$dest") - 33)) 1
	;;
authattrs)
	# A CMS signature WITH signed attributes (content type, signing time,
	# message digest; -nosmimecap, else the kernel's parser refuses the S/MIME
	# capabilities before the rule under test). modsign -s checks what it
	# attaches and refuses this one, so it is appended by hand.
	openssl cms -sign -binary -nocerts -outform DER -nosmimecap -md sha256 \
		-in "$ko" -signer "$rsa" -inkey "$rsa" -out "$work/sig.p7s"
	openssl cms -cmsout -inform DER -in "$work/sig.p7s" -print |
		grep -q 'signedAttrs:$' || qemu_die "openssl cms made no signed attributes"
	qemu_append_sig "$ko" "$work/sig.p7s" "$dest"
	;;
hash-sha1) signfile sha1 "$rsa" "$rsa_crt" ;;
*)
	qemu_log "unknown case: $case"
	exit 2
	;;
esac
