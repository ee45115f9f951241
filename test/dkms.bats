#!/usr/bin/env bats
# dkms-hooks/ and dkms.conf, end to end with the real dkms (Debian 3.0.10) and
# the installed kernel headers, without touching the system:
#   - dkms --dkmstree/--sourcetree/--installtree point into $BATS_*_TMPDIR,
#     and `dkms install --no-depmod` (depmod would write /lib/modules/KVER);
#   - DKMS's own key (mok_signing_key, mok_certificate) and the framework.conf.d
#     drop-in's settings reach DKMS through the environment: DKMS 3.0.10 never
#     initialises sign_file/mok_signing_key/mok_certificate before reading
#     /etc/dkms/framework.conf{,.d/*.conf}, and its safe_source passes
#     inherited values through when no file sets them (checked in setup_file).
#     The drop-in itself is sourced with its paths moved to test directories.
#   - MODSIGN_KEY_DIR is a test directory; /var/lib/modsign is never used.
# DKMS compresses modules only when /lib/modules/KVER/modules.dep lists
# compressed ones (not the case for bare headers), so the hook's handling of
# DKMS's .ko.xz/.gz/.zst is tested on a DKMS-like directory layout instead.

# shellcheck disable=SC2154,SC2030,SC2031,SC2153 # bats: run sets $output/$stderr; each @test is a subshell; SIGN_FILE is from test_helper
load test_helper

PKG=modsign-demo
VER=1.0

setup_file() {
	require_cmd dkms dkms
	ensure_test_keys
	local f
	for f in /etc/dkms/framework.conf /etc/dkms/framework.conf.d/*.conf; do
		[ -e "$f" ] || continue
		if grep -Eq '^[[:space:]]*(export[[:space:]]+)?(sign_file|mok_signing_key|mok_certificate)=' "$f"; then
			echo "$f sets DKMS's signing variables: these tests could not keep DKMS away from that key" >&2
			return 1
		fi
	done
	kernel_tree
	ARCH=$(uname -m)
	F=$BATS_FILE_TMPDIR
	# modsign on PATH, as the hook looks for it.
	PATH=$(dirname "$MODSIGN_BIN"):$PATH
	export KDIR KVER ARCH F PATH
	unset MODSIGN sign_file mok_signing_key mok_certificate
	export MODSIGN_CONFIG=$F/no-modsign.conf

	# The package as a vendor ships it.
	make_package "$F/src"

	# Scenario 1, the hook alone: DKMS signs with its own (generated) key,
	# then the hook re-signs with the managed key, created on first use.
	export MODSIGN_KEY_DIR=$F/keys
	export mok_signing_key=$F/dkms-mok/mok.key mok_certificate=$F/dkms-mok/mok.pub
	mkdir -p "$F/dkms-mok"
	dkms_steps 1 "$F/src"
}

setup() {
	export MODSIGN_KEY_DIR=$F/keys
	unset MODSIGN sign_file mok_signing_key mok_certificate
}

# make_package DIR: DIR/modsign-demo-1.0 = dkms.conf, dkms-hooks/, test/fixtures/demo/
make_package() {
	local p=$1/$PKG-$VER
	mkdir -p "$p/test/fixtures"
	cp -a "$TOP/dkms.conf" "$TOP/dkms-hooks" "$p/"
	cp -a "$TOP/test/fixtures/demo" "$p/test/fixtures/"
}

# dkms_steps N SOURCETREE: dkms add, build and install into tree N; each
# step's output in $F/N.<step>.out and its status in $F/N.<step>.rc.
dkms_steps() {
	local n=$1 src=$2 step rc
	mkdir -p "$F/tree$n" "$F/inst$n/$KVER"
	for step in add build install; do
		set -- "$step"
		[ "$step" = add ] || set -- "$@" -k "$KVER"
		[ "$step" = install ] && set -- "$@" --no-depmod
		rc=0
		dkms --dkmstree "$F/tree$n" --sourcetree "$src" --installtree "$F/inst$n" \
			"$@" "$PKG/$VER" >"$F/$n.$step.out" 2>&1 || rc=$?
		echo "$rc" >"$F/$n.$step.rc"
	done
}

# dkms_rc N STEP: assert the saved exit status, showing the output otherwise.
dkms_rc() {
	local got
	got=$(cat "$F/$1.$2.rc")
	[ "$got" = "$3" ] || { echo "dkms $2 (tree $1) exited $got, expected $3:" >&2; cat "$F/$1.$2.out" >&2; return 1; }
}

built() { echo "$F/tree$1/$PKG/$VER/$KVER/$ARCH/module/modsign_demo.ko"; }
installed() { echo "$F/inst$1/$KVER/updates/dkms/modsign_demo.ko"; }

# one_signature MODULE CERT: verifies against CERT, and carries one signature.
one_signature() {
	local c=$BATS_TEST_TMPDIR/one.ko
	cp "$1" "$c"
	run -0 modsign verify --cert "$2" "$c"
	run -0 modsign strip "$c"
	[ "$(tail -c 28 "$c")" != "~Module signature appended~" ] || { echo "$1: more than one signature" >&2; return 1; }
}

# A DKMS-like layout for running the hook by hand: $HB is the build
# directory (the hook's cwd), $HM the module directory.
hook_layout() {
	HB=$BATS_TEST_TMPDIR/dk/build
	HM=$BATS_TEST_TMPDIR/dk/$KVER/$ARCH/module
	mkdir -p "$HB/dkms-hooks" "$HM"
	cp -a "$TOP/dkms-hooks/modsign-post-build" "$HB/dkms-hooks/"
}

@test "dkms.conf: dkms add, build and install of the demo module succeed" {
	dkms_rc 1 add 0
	dkms_rc 1 build 0
	dkms_rc 1 install 0
	run -0 dkms --dkmstree "$F/tree1" --sourcetree "$F/src" --installtree "$F/inst1" status
	assert_equal "$output" "$PKG/$VER, $KVER, $ARCH: installed"
}

@test "hook: the installed module verifies against the managed certificate (created on first use)" {
	[ -f "$MODSIGN_KEY_DIR/signing_key.pem" ]
	[ "$(stat -c %a "$MODSIGN_KEY_DIR/signing_key.pem")" = 600 ]
	one_signature "$(installed 1)" "$MODSIGN_KEY_DIR/signing_key.x509"
	run -0 modinfo -F sig_hashalgo "$(installed 1)"
	assert_equal "$output" "$(sed -n 's/^CONFIG_MODULE_SIG_HASH="\(.*\)"$/\1/p' "$KDIR/.config")" "hash"
}

@test "hook: the module in \$dkmstree/<module>/<version>/KVER/ARCH/module/ is the signed one" {
	one_signature "$(built 1)" "$MODSIGN_KEY_DIR/signing_key.x509"
	assert_same_file "$(built 1)" "$(installed 1)"
}

@test "hook: DKMS signed with its own key first; the hook replaced that signature" {
	out=$(cat "$F/1.build.out")
	assert_match "$out" "Signing key: $F/dkms-mok/mok.key"
	assert_match "$out" "Signing module "
	assert_match "$out" "Running the post_build script:"
	assert_match "$out" "re-signed: \.\./$KVER/$ARCH/module/modsign_demo.ko"
	assert_match "$out" "0 signed, 0 skipped, 1 re-signed, 0 failed"
	# DKMS really made its key, and the final signature is not by it.
	openssl x509 -inform DER -in "$F/dkms-mok/mok.pub" -noout
	run -3 modsign verify --cert "$F/dkms-mok/mok.pub" "$(installed 1)"
	run -0 modinfo -F signer "$(installed 1)"
	[ "$output" != "DKMS module signing key" ]
}

@test "hook + failure: a broken managed key leaves nothing to install; DKMS does not make its own key" {
	# The drop-in (sourced, as DKMS would) with a managed key that lost its
	# private half: DKMS must not regenerate it, the hook must not sign.
	keys=$BATS_TEST_TMPDIR/halfkey
	mkdir -m 0700 "$keys"
	cp "$TEST_KEYS/rsa.der" "$keys/signing_key.x509"
	dropin_env "$keys"
	[ ! -e "$sign_file" ]
	export MODSIGN_KEY_DIR=$keys
	dkms_steps 2 "$F/src"
	dkms_rc 2 build 0 # DKMS 3.0.10 ignores a POST_BUILD hook's exit status
	out=$(cat "$F/2.build.out")
	assert_match "$out" "modules won't be signed"
	[[ $out != *"generating self signed certificate"* ]]
	assert_match "$out" "modsign-post-build: .*signing_key.pem"
	assert_match "$out" "modsign-post-build: removed unsigned module \.\./$KVER/$ARCH/module/modsign_demo.ko"
	assert_match "$out" "were NOT signed and will not be installed"
	[ ! -e "$keys/signing_key.pem" ]
	assert_same_file "$keys/signing_key.x509" "$TEST_KEYS/rsa.der"
	[ -z "$(find "$F/tree2/$PKG/$VER/$KVER/$ARCH/module" -name '*.ko*')" ]
	# dkms install refuses, and nothing is installed.
	dkms_rc 2 install 3
	assert_match "$(cat "$F/2.install.out")" "already been built"
	[ -z "$(find "$F/inst2" -name '*.ko*')" ]
	run -0 dkms --dkmstree "$F/tree2" --sourcetree "$F/src" --installtree "$F/inst2" status
	assert_equal "$output" "$PKG/$VER: added"
}

# dropin_env KEYDIR: source dkms-hooks/framework.conf.d/modsign.conf as DKMS
# would, with /var/lib/modsign -> KEYDIR and /usr/local/bin/modsign ->
# $MODSIGN_BIN, and export what it set.
dropin_env() {
	local d=$BATS_TEST_TMPDIR/modsign.conf
	sed -e "s|/var/lib/modsign|$1|g" -e "s|/usr/local/bin/modsign|$MODSIGN_BIN|g" \
		"$TOP/dkms-hooks/framework.conf.d/modsign.conf" >"$d"
	! grep -q '/var/lib/modsign\|/usr/local/bin' "$d"
	# shellcheck disable=SC1090
	. "$d" >/dev/null
	export sign_file mok_signing_key mok_certificate
}

@test "drop-in: sets sign_file, mok_signing_key, mok_certificate to modsign and the managed key" {
	# Read, not sourced: with its real paths it would create /var/lib/modsign.
	d=$TOP/dkms-hooks/framework.conf.d/modsign.conf
	run -0 grep -E '^(sign_file|mok_signing_key|mok_certificate)=' "$d"
	assert_equal "$output" 'sign_file="/usr/local/bin/modsign"
mok_signing_key="/var/lib/modsign/signing_key.pem"
mok_certificate="/var/lib/modsign/signing_key.x509"'
	bash -n "$d"
}

@test "drop-in: creates a missing managed key; with one file missing it disables DKMS signing and creates nothing" {
	k=$BATS_TEST_TMPDIR/k
	(dropin_env "$k" && [ "$sign_file" = "$MODSIGN_BIN" ])
	[ -f "$k/signing_key.pem" ] && [ -f "$k/signing_key.x509" ]
	run -0 modsign sign --key "$k/signing_key.pem" --cert "$k/signing_key.x509" "$(demo_copy)"
	rm "$k/signing_key.pem"
	(dropin_env "$k" && [ ! -e "$sign_file" ] && [[ $sign_file == *"run: modsign keygen $k"* ]])
	[ ! -e "$k/signing_key.pem" ]
}

@test "drop-in alone: DKMS signs with modsign and the managed key; an absolute POST_BUILD is not run" {
	# The package with POST_BUILD given as an absolute path.
	make_package "$F/src3"
	conf=$F/src3/$PKG-$VER/dkms.conf
	sed -i "s|^POST_BUILD=\"dkms-hooks/|POST_BUILD=\"$F/src3/$PKG-$VER/dkms-hooks/|" "$conf"
	grep -q "^POST_BUILD=\"/" "$conf"
	export MODSIGN_KEY_DIR=$BATS_TEST_TMPDIR/k3
	dropin_env "$MODSIGN_KEY_DIR"
	dkms_steps 3 "$F/src3"
	dkms_rc 3 build 0
	dkms_rc 3 install 0
	out=$(cat "$F/3.build.out")
	assert_match "$out" "Sign command: $MODSIGN_BIN"
	assert_match "$out" "Signing key: $MODSIGN_KEY_DIR/signing_key.pem"
	assert_match "$out" "The post_build script is not executable"
	[[ $out != *"Running the post_build script"* ]]
	[[ $out != *"generating self signed certificate"* ]]
	one_signature "$(installed 3)" "$MODSIGN_KEY_DIR/signing_key.x509"
	run -0 modinfo -F sig_hashalgo "$(installed 3)"
	assert_equal "$output" "$(sed -n 's/^CONFIG_MODULE_SIG_HASH="\(.*\)"$/\1/p' "$KDIR/.config")" "hash"
}

@test "drop-in + hook: DKMS signs with modsign, the hook finds the module signed by the key and skips it" {
	export MODSIGN_KEY_DIR=$F/keys
	dropin_env "$MODSIGN_KEY_DIR"
	dkms_steps 4 "$F/src"
	dkms_rc 4 build 0
	dkms_rc 4 install 0
	out=$(cat "$F/4.build.out")
	assert_match "$out" "Sign command: $MODSIGN_BIN"
	assert_match "$out" "skipped: \.\./$KVER/$ARCH/module/modsign_demo.ko \(already signed by this key\)"
	assert_match "$out" "0 signed, 1 skipped, 0 re-signed, 0 failed"
	one_signature "$(installed 4)" "$MODSIGN_KEY_DIR/signing_key.x509"
}

@test "hook by hand: re-signs DKMS's CRC64 .ko.xz, .ko.gz and .ko.zst and repacks xz with CRC32" {
	require_cmd zstd zstd
	hook_layout
	# As DKMS 3.0.10 makes them: signed with its key, then xz -f (CRC64),
	# gzip -9f, zstd -20.
	for c in xz gz zst; do
		cp "$DEMO_KO" "$HM/$c.ko"
		"$SIGN_FILE" sha256 "$TEST_KEYS/other.pem" "$TEST_KEYS/other.der" "$HM/$c.ko"
	done
	xz -f "$HM/xz.ko"
	gzip -9f "$HM/gz.ko"
	zstd -q -f -T0 -20 --ultra --rm "$HM/zst.ko"
	run -0 xz -lvv "$HM/xz.ko.xz"
	assert_match "$output" "Check: +CRC64"
	cd "$HB"
	run -0 --separate-stderr dkms-hooks/modsign-post-build "$KVER" "$ARCH"
	assert_equal "${lines[-1]}" "0 signed, 0 skipped, 3 re-signed, 0 failed"
	run -0 xz -lvv "$HM/xz.ko.xz"
	assert_match "$output" "Check: +CRC32"
	xz -dc "$HM/xz.ko.xz" >"$BATS_TEST_TMPDIR/x.ko"
	gzip -dc "$HM/gz.ko.gz" >"$BATS_TEST_TMPDIR/g.ko"
	zstd -q -dc "$HM/zst.ko.zst" >"$BATS_TEST_TMPDIR/z.ko"
	for m in x g z; do
		one_signature "$BATS_TEST_TMPDIR/$m.ko" "$MODSIGN_KEY_DIR/signing_key.x509"
	done
}

@test "hook by hand: a .ko.xz already signed by the managed key is skipped but repacked with CRC32" {
	hook_layout
	# As DKMS makes it with the drop-in: signed by modsign, then xz -f (CRC64).
	cp "$DEMO_KO" "$HM/m.ko"
	modsign sign -q "$HM/m.ko"
	cp "$HM/m.ko" "$BATS_TEST_TMPDIR/signed.ko"
	xz -f "$HM/m.ko"
	chmod 0640 "$HM/m.ko.xz"
	cd "$HB"
	run -0 --separate-stderr dkms-hooks/modsign-post-build "$KVER" "$ARCH"
	assert_match "$output" "skipped: \.\./$KVER/$ARCH/module/m.ko.xz \(already signed by this key\)"
	assert_match "$output" "modsign-post-build: recompressed \.\./$KVER/$ARCH/module/m.ko.xz with the CRC32 check the kernel needs \(was CRC64\)"
	run -0 xz -lvv "$HM/m.ko.xz"
	assert_match "$output" "Check: +CRC32"
	assert_match "$output" "dict=1MiB"
	[ "$(stat -c %a "$HM/m.ko.xz")" = 640 ]
	xz -dc "$HM/m.ko.xz" >"$BATS_TEST_TMPDIR/m.ko"
	assert_same_file "$BATS_TEST_TMPDIR/m.ko" "$BATS_TEST_TMPDIR/signed.ko"
	[ -z "$(find "$HM" -name '*~*')" ]
	# Second run: nothing left to do.
	run -0 dkms-hooks/modsign-post-build "$KVER" "$ARCH"
	[[ $output != *recompressed* ]]
}

@test "hook by hand: modsign not found -> exit 1, the unsigned modules are removed" {
	hook_layout
	cp "$DEMO_KO" "$HM/a.ko"
	cp "$DEMO_KO" "$HM/b.ko" && xz "$HM/b.ko"
	touch "$HM/notes.txt"
	cd "$HB"
	MODSIGN=$BATS_TEST_TMPDIR/nowhere run -1 --separate-stderr dkms-hooks/modsign-post-build "$KVER" "$ARCH"
	assert_equal "$output" ""
	assert_match "$stderr" "modsign-post-build: MODSIGN=.*/nowhere is not an executable file"
	assert_match "$stderr" "removed unsigned module \.\./$KVER/$ARCH/module/a.ko"
	assert_match "$stderr" "removed unsigned module \.\./$KVER/$ARCH/module/b.ko.xz"
	[ ! -e "$HM/a.ko" ] && [ ! -e "$HM/b.ko.xz" ] && [ -e "$HM/notes.txt" ]
}

@test "hook by hand: usage errors and a missing module directory" {
	hook_layout
	cd "$HB"
	run -2 --separate-stderr dkms-hooks/modsign-post-build
	assert_equal "$stderr" "usage: modsign-post-build KERNELVER [ARCH [KERNEL_DIR]]"
	run -2 dkms-hooks/modsign-post-build a b c d
	run -1 --separate-stderr dkms-hooks/modsign-post-build 0.0-none "$ARCH"
	assert_one_line "$stderr"
	assert_match "$stderr" "0.0-none/$ARCH/module: no such directory"
}
