#!/usr/bin/env bats
# A real kernel judges modsign's signatures.
#
# Linux 6.1 (Debian's linux-source-6.1, tinyconfig + module signing, built by
# test/qemu/build-kernel.sh into ${MODSIGN_CACHE:-~/.cache/modsign}) boots
# under QEMU with module.sig_enforce=1, trusting four certificates
# (test/qemu/keys.sh): two made by `modsign keygen` (RSA-4096, ECDSA P-384)
# and two by openssl req for the reference cases. setup_file makes every case
# in one directory and boots ONCE; each @test reads its case's verdict:
#   - modsign's cases (test/qemu/modsign-case.sh): what must load and what
#     must be refused, including modules installed by Kbuild's modules_install
#     (kbuild/) and by DKMS's POST_BUILD hook (dkms-hooks/, dkms.conf);
#   - the reference cases of test/qemu/cases.txt, signed by Debian's
#     sign-file (test/qemu/make-ref-cases.sh), booted as "ref-<case>": they
#     prove the pipeline itself;
#   - the differential: `modsign verify --kernel-dir TREE` with the same
#     certificates must reach the kernel's verdict on every case.
# Keys and kernel are kept in the cache: the first run builds the kernel
# (minutes), later runs only boot (about 10 s). The last run's cases, serial
# log and verdicts are kept in $MODSIGN_CACHE/kernel-test/last/.
# Runs once per `make check` (not again under ASan: modsign only prepares
# the cases here, and the other suites cover it under the sanitizers).

# shellcheck disable=SC2154 # bats: run sets $output and $status
load test_helper

QEMU_DIR=$TOP/test/qemu
CACHE=${MODSIGN_CACHE:-$HOME/.cache/modsign}

# The modsign cases: name, verdict, the errno finit_module fails with ("ok"
# for a load), and what the kernel must log for it: an extended regex, or
# '!' + regex for what it must NOT log. Under module.sig_enforce=1 the kernel
# turns ENODATA (unsigned), ENOKEY (unknown signer) and ENOPKG (crypto it
# lacks) into EKEYREJECTED and says which in the log; a bad signature gives
# EKEYREJECTED and no "Loading of ... is rejected" line.
KCASES=(
	"rsa-sha256  load   ok           modsign_demo: loaded"
	"rsa-sha384  load   ok           modsign_demo: loaded"
	"rsa-sha512  load   ok           modsign_demo: loaded"
	"ecdsa-p384  load   ok           modsign_demo: loaded"
	"rsa-skid    load   ok           modsign_demo: loaded"
	"pkcs11-rsa  load   ok           modsign_demo: loaded"
	"sign-xz     load   ok           modsign_demo: loaded"
	"sign-zst    load   ok           modsign_demo: loaded"
	"kbuild      load   ok           modsign_demo: loaded"
	"dkms        load   ok           modsign_demo: loaded"
	"unsigned    refuse EKEYREJECTED Loading of unsigned module is rejected"
	"body-flip   refuse EKEYREJECTED !is rejected"
	"sig-bitflip refuse EKEYREJECTED !is rejected"
	"untrusted   refuse EKEYREJECTED Loading of module with unavailable key is rejected"
	"trailer-algo refuse EBADMSG     PKCS#7 signature info has unexpected non-zero params"
	"trailer-pad refuse EBADMSG      PKCS#7 signature info has unexpected non-zero params"
	"authattrs   refuse EKEYREJECTED Invalid module sig \(has authattrs\)"
	"hash-sha1   refuse EKEYREJECTED Loading of module with unsupported crypto is rejected"
)

# Cases left out of the differential, with the reason.
declare -gA NO_DIFF=(
	[ref-xz-crc64]="the kernel refuses the xz container (CRC64 check), not the signature; verify judges the decompressed module"
)

# TRUSTED: the certificates the kernel trusts, in build-kernel.sh's order.
trusted() { mapfile -t TRUSTED <"$K/trusted"; }

# Like require_cmd, for what is not a command: fail in CI, else skip.
# require_missing WHAT PACKAGE
require_missing() {
	if [ -n "${CI:-}" ]; then
		echo "$1 is missing (apt-get install $2); CI must have it" >&2
		return 1
	fi
	skip "$1 is not installed here (apt-get install $2)"
}

# require_file FILE PACKAGE
require_file() { [ -e "$1" ] || require_missing "$1" "$2"; }

# Log a step's duration to $K/timings.
timed() {
	local what=$1 t0=$SECONDS rc=0
	shift
	"$@" || rc=$?
	printf '%-28s %4d s\n' "$what" $((SECONDS - t0)) >>"$K/timings"
	return "$rc"
}

build_kernel() {
	"$QEMU_DIR/build-kernel.sh" "${TRUSTED[@]}" >"$K/bzimage" 2>"$K/kernel.log" || {
		tail -n 40 "$K/kernel.log" >&2
		return 1
	}
}

make_cases() {
	local l c
	for l in "${KCASES[@]}"; do
		read -r c _ <<<"$l"
		"$QEMU_DIR/modsign-case.sh" "$c" "$K/cases" >"$K/prep/$c.log" 2>&1 ||
			echo "$c" >>"$K/prep-failed"
	done
	SIGN_FILE=$SIGN_FILE "$QEMU_DIR/make-ref-cases.sh" --prefix ref- "$KMOD_DIR/modsign_demo.ko" \
		"$K/cases" >"$K/prep/ref.log" 2>&1 || echo ref >>"$K/prep-failed"
}

# The verdicts run-guest.sh expects: modsign's cases that could be made, and
# cases.txt with "ref-" before each name.
write_expected() {
	local l c v e
	for l in "${KCASES[@]}"; do
		read -r c v e _ <<<"$l"
		grep -qx "$c" "$K/prep-failed" || printf '%s %s %s\n' "$c" "$v" "$e"
	done
	grep -qx ref "$K/prep-failed" ||
		sed -e 's/#.*//' -e '/^[[:space:]]*$/d' -e 's/^/ref-/' "$QEMU_DIR/cases.txt"
}

boot() {
	local rc=0
	"$QEMU_DIR/run-guest.sh" --tree "$TREE" --log "$K/serial.log" "$(cat "$K/bzimage")" \
		"$K/cases" "$K/expected" >"$K/results" 2>"$K/guest.err" || rc=$?
	echo "$rc" >"$K/guest.rc"
}

# What the test needs, through require_cmd: skips (or, in CI, fails) naming
# the package to install.
kernel_deps() {
	require_cmd qemu-system-x86_64 qemu-system-x86 || return
	require_cmd busybox busybox-static || return
	if LC_ALL=C readelf -l "$(command -v busybox)" | grep -q INTERP; then
		require_missing "a static busybox" busybox-static || return
	fi
	require_file "${MODSIGN_KERNEL_TARBALL:-/usr/src/linux-source-6.1.tar.xz}" linux-source-6.1 || return
	require_cmd bc bc || return
	require_cmd bison bison || return
	require_cmd flex flex || return
	require_file /usr/include/gelf.h libelf-dev || return
	require_cmd dkms dkms || return
	require_cmd "$SIGN_FILE" linux-kbuild-6.1 || return
	require_cmd xz xz-utils || return
	require_cmd zstd zstd || return
}

setup() {
	# bats 1.8 counts a skip in setup_file as a failure: each test skips here.
	[ -z "${KERNEL_DEPS_MISSING:-}" ] || kernel_deps
}

setup_file() {
	local rc=0
	(
		# shellcheck disable=SC2317 # called by require_cmd
		skip() { exit 3; }
		kernel_deps
	) || rc=$?
	case $rc in
	0) ;;
	3) export KERNEL_DEPS_MISSING=1 && return 0 ;;
	*) return 1 ;;
	esac

	K=$BATS_FILE_TMPDIR/k
	mkdir -p "$K/cases" "$K/prep"
	: >"$K/prep-failed"
	: >"$K/timings"
	export K

	# Keys (made once, kept), and the kernel trusting exactly the list
	# keys.sh gives - the list selftest.sh passes too: one kernel build.
	MODSIGN_BIN=$MODSIGN_BIN "$QEMU_DIR/keys.sh" >"$K/trusted"
	trusted
	[ "${#TRUSTED[@]}" -eq 4 ] || { echo "test/qemu/keys.sh failed" >&2; return 1; }
	KEYS=$("$QEMU_DIR/keys.sh" --modsign-dir)
	TREE=$("$QEMU_DIR/build-kernel.sh" --print-tree)
	export KEYS TREE KTREE=$TREE
	timed "kernel (build or reuse)" build_kernel

	KMOD_DIR=$K/mod/src
	export KMOD_DIR
	timed "demo module" "$QEMU_DIR/build-module.sh" --tree "$TREE" "$TOP/test/fixtures/demo" "$K/mod" >/dev/null

	timed "cases" make_cases
	write_expected >"$K/expected"
	timed "boot (all cases)" boot

	# Kept for a post-mortem; the test directory goes away.
	local last=$CACHE/kernel-test/last
	rm -rf "$last"
	mkdir -p "$last"
	cp -a "$K/cases" "$K/prep" "$K/prep-failed" "$K/expected" "$K/results" "$K/guest.err" \
		"$K/guest.rc" "$K/timings" "$K/trusted" "$last/" 2>/dev/null || true
	[ ! -f "$K/serial.log" ] || cp "$K/serial.log" "$last/"
}

# The kernel's log lines for a case.
kmsg() { grep -E "^KMSG $1 " "$K/serial.log" | cut -d' ' -f3- || true; }

# The case's CASE line from run-guest.sh, or a failure saying why none.
case_line() {
	local c=$1 line
	if grep -qx "$c" "$K/prep-failed"; then
		echo "case $c could not be made:" >&2
		cat "$K/prep/$c.log" >&2
		return 1
	fi
	line=$(grep -E "^CASE $c " "$K/results" || true)
	if [ -z "$line" ]; then
		echo "no verdict for case $c (run-guest.sh exit $(cat "$K/guest.rc")):" >&2
		cat "$K/guest.err" >&2
		return 1
	fi
	printf '%s\n' "$line"
}

# kernel_case NAME: the kernel's verdict, errno and log for NAME are those
# KCASES expects.
kernel_case() {
	local c=$1 l name='' want_v want_e want_msg line got_v got_n msgs
	for l in "${KCASES[@]}"; do
		read -r name want_v want_e want_msg <<<"$l"
		[ "$name" = "$c" ] && break
	done
	[ "$name" = "$c" ] || { echo "no case $c in KCASES" >&2; return 1; }
	line=$(case_line "$c")
	read -r _ _ _ _ got_v got_n _ _ <<<"$line"
	msgs=$(kmsg "$c")
	echo "kernel: $line" >&2
	printf 'kernel log: %s\n' "${msgs:-(nothing)}" >&2
	assert_equal "$got_v" "$want_v" "kernel verdict on $c"
	assert_equal "$got_n" "$want_e" "errno of finit_module for $c"
	if [[ $want_msg == '!'* ]]; then
		if [[ $msgs =~ ${want_msg#!} ]]; then
			echo "the kernel logged /${want_msg#!}/ for $c" >&2
			return 1
		fi
	else
		assert_match "$msgs" "$want_msg"
	fi
}

@test "kernel: boots with module.sig_enforce=1, trusting the two modsign keygen certificates" {
	[ -f "$K/serial.log" ] || { cat "$K/guest.err" >&2; return 1; }
	run -0 grep -E '^GUEST begin ' "$K/serial.log"
	assert_match "$output" "sig_enforce=Y"
	run -0 grep -cE "^KMSG boot Loaded X.509 cert '" "$K/serial.log"
	assert_equal "$output" 4 "certificates loaded"
	local cn f
	for f in "$KEYS/rsa/signing_key.x509" "$KEYS/ec/signing_key.x509"; do
		cn=$(openssl x509 -inform DER -in "$f" -noout -subject -nameopt multiline | sed -n 's/^ *commonName *= //p')
		run -0 grep -F "KMSG boot Loaded X.509 cert '$cn: " "$K/serial.log"
	done
}

@test "loads: RSA-4096, sha256 (sign-file mode)" { kernel_case rsa-sha256; }
@test "loads: RSA-4096, sha384 (sign-file mode)" { kernel_case rsa-sha384; }
@test "loads: RSA-4096, sha512 (sign-file mode)" { kernel_case rsa-sha512; }
@test "loads: ECDSA P-384, sha384 (sign-file mode)" { kernel_case ecdsa-p384; }
@test "loads: the -k form (signer named by subjectKeyIdentifier)" { kernel_case rsa-skid; }
@test "loads: RSA-4096 key on a SoftHSM2 token, signed through a pkcs11: URI" { kernel_case pkcs11-rsa; }
@test "loads: .ko.xz signed by modsign sign (decompressed by the kernel)" { kernel_case sign-xz; }
@test "loads: .ko.zst signed by modsign sign (decompressed on the host, as kmod does)" { kernel_case sign-zst; }

@test "loads: installed by Kbuild's modules_install through kbuild/modsign-modules-install" {
	kernel_case kbuild
	# modsign signed it (cmd_sign) before Kbuild compressed it.
	run -0 grep -E '^  (MODSIGN|XZ) ' "$K/prep/kbuild.log"
	assert_match "$output" $'MODSIGN .*/extra/modsign_demo.ko\n  XZ .*/extra/modsign_demo.ko.xz'
}

@test "loads: built and installed by DKMS, signed by the POST_BUILD hook" {
	kernel_case dkms
	# DKMS signed it with its own key first; the hook replaced that signature.
	run -0 cat "$K/prep/dkms.log"
	assert_match "$output" "Running the post_build script:"
	assert_match "$output" "re-signed: \.\./[^ ]+/module/modsign_demo.ko"
}

@test "refused: unsigned" { kernel_case unsigned; }
@test "refused: one byte of the body flipped" { kernel_case body-flip; }
@test "refused: one bit of the signature flipped" { kernel_case sig-bitflip; }
@test "refused: signed by a key the kernel does not trust" { kernel_case untrusted; }
@test "refused: trailer field algo non-zero" { kernel_case trailer-algo; }
@test "refused: trailer padding non-zero" { kernel_case trailer-pad; }
@test "refused: a signature with signed attributes" { kernel_case authattrs; }
@test "refused: sha1, a hash the kernel lacks (modsign sign-file mode)" { kernel_case hash-sha1; }

@test "reference: Debian's sign-file cases get the verdicts of test/qemu/cases.txt" {
	local c bad=() n=0 line
	if grep -qx ref "$K/prep-failed"; then
		cat "$K/prep/ref.log" >&2
		return 1
	fi
	while read -r c _; do
		n=$((n + 1))
		line=$(case_line "ref-$c") || { bad+=("ref-$c: no verdict"); continue; }
		[[ $line == *" PASS" ]] || bad+=("$line | $(kmsg "ref-$c" | tr '\n' ' ')")
	done < <(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$QEMU_DIR/cases.txt")
	[ "$n" -ge 18 ]
	if [ "${#bad[@]}" -gt 0 ]; then
		printf '%s\n' "${bad[@]}" >&2
		return 1
	fi
}

# The file modsign verify judges for a case: the module as the kernel got it
# (.ko.xz/.ko.zst decompressed here, as the kernel or kmod does).
host_module() {
	local c=$1 f
	for f in "$K/cases/$c.ko" "$K/cases/$c.ko.xz" "$K/cases/$c.ko.zst"; do
		[ -f "$f" ] || continue
		case $f in
		*.xz) xz -dc "$f" >"$BATS_TEST_TMPDIR/$c.ko" && f=$BATS_TEST_TMPDIR/$c.ko ;;
		*.zst) zstd -q -dc "$f" >"$BATS_TEST_TMPDIR/$c.ko" && f=$BATS_TEST_TMPDIR/$c.ko ;;
		esac
		printf '%s\n' "$f"
		return 0
	done
	return 1
}

# verify_case NAME: sets VERIFY_RC and VERIFY_OUT (stdout and stderr).
verify_case() {
	local f certs=() t
	trusted
	for t in "${TRUSTED[@]}"; do certs+=(--cert "$t"); done
	f=$(host_module "$1") || { VERIFY_RC=none VERIFY_OUT="no case file"; return 0; }
	VERIFY_RC=0
	VERIFY_OUT=$(modsign verify --kernel-dir "$TREE" "${certs[@]}" "$f" 2>&1) || VERIFY_RC=$?
}

@test "differential: modsign verify --kernel-dir TREE accepts exactly what the kernel loads" {
	local c got_v got_n v bad=() n=0
	while read -r _ c _ _ got_v got_n _ _; do
		if [ -n "${NO_DIFF[$c]:-}" ]; then
			echo "not compared: $c: ${NO_DIFF[$c]}"
			continue
		fi
		n=$((n + 1))
		verify_case "$c"
		case $VERIFY_RC in
		0) v=load ;;
		3) v=refuse ;;
		*) v="error (exit $VERIFY_RC)" ;;
		esac
		[ "$v" = "$got_v" ] || bad+=("$c: kernel: $got_v ($got_n); modsign verify: $v: ${VERIFY_OUT//$'\n'/ | }")
	done < <(grep '^CASE ' "$K/results")
	echo "$n cases compared"
	[ "$n" -ge 30 ]
	if [ "${#bad[@]}" -gt 0 ]; then
		printf 'DISAGREE %s\n' "${bad[@]}" >&2
		return 1
	fi
}

# The kernel's reason for a refusal, as an errno: the one finit_module gave,
# or the one the log names when sig_enforce turned it into EKEYREJECTED.
kernel_reason() {
	local c=$1 n=$2 msgs
	msgs=$(kmsg "$c")
	case $msgs in
	*"Loading of unsigned module is rejected"*) echo ENODATA ;;
	*"Loading of module with unsupported crypto is rejected"*) echo ENOPKG ;;
	*"Loading of module with unavailable key is rejected"*) echo ENOKEY ;;
	*) echo "$n" ;;
	esac
}

@test "differential: modsign verify names the kernel's reason (errno) for every refusal" {
	local c got_v got_n want why bad=() n=0
	while read -r _ c _ _ got_v got_n _ _; do
		[ "$got_v" = refuse ] || continue
		[ -z "${NO_DIFF[$c]:-}" ] || continue
		n=$((n + 1))
		want=$(kernel_reason "$c" "$got_n")
		verify_case "$c"
		why=$(sed -n 's/^.*: rejected: [^(]*(\([A-Z]*\)[:)].*$/\1/p' <<<"$VERIFY_OUT" | head -n 1)
		[ "$why" = "$want" ] || bad+=("$c: kernel: $want; modsign verify: ${why:-?}: ${VERIFY_OUT//$'\n'/ | }")
	done < <(grep '^CASE ' "$K/results")
	echo "$n refusals compared"
	[ "$n" -ge 15 ]
	if [ "${#bad[@]}" -gt 0 ]; then
		printf 'DISAGREE %s\n' "${bad[@]}" >&2
		return 1
	fi
}
