#!/usr/bin/env bats
# kbuild/: `make modules_install` signing with modsign, with the real Kbuild
# of the installed kernel headers (Debian's linux-headers: no signing key).
# Never touches /var/lib/modsign: MODSIGN_KEY_DIR is always a test directory.
# shellcheck disable=SC2154 # $output, $stderr and $status are set by bats' run

load test_helper

setup_file() {
	ensure_test_keys
	kernel_tree
	# The demo module, built once for every test (Kbuild leaves it unsigned).
	DEMO_SRC=$BATS_FILE_TMPDIR/demo
	cp -r "$TOP/test/fixtures/demo" "$DEMO_SRC"
	make -s -C "$KDIR" M="$DEMO_SRC" modules >"$BATS_FILE_TMPDIR/build.log" 2>&1 ||
		{ cat "$BATS_FILE_TMPDIR/build.log" >&2; return 1; }
	# A managed key directory shared by the tests (the RSA-4096 test key).
	KEYS=$BATS_FILE_TMPDIR/keys
	mkdir -m 0700 "$KEYS"
	cp "$TEST_KEYS/rsa.pem" "$KEYS/signing_key.pem"
	cp "$TEST_KEYS/rsa.der" "$KEYS/signing_key.x509"
	chmod 600 "$KEYS/signing_key.pem"
	export KDIR KVER DEMO_SRC KEYS
}

setup() {
	export MODSIGN_KEY_DIR=$KEYS MODSIGN=$MODSIGN_BIN
	ROOT=$BATS_TEST_TMPDIR/root
	MODLIB=$ROOT/lib/modules/$KVER
	WRAPPER=$TOP/kbuild/modsign-modules-install
}

# modsign_install [MAKE-ARG...]: the wrapper on the demo module, into $ROOT.
modsign_install() {
	"$WRAPPER" -C "$KDIR" M="$DEMO_SRC" INSTALL_MOD_PATH="$ROOT" "$@"
}

# cms_verify MODULE CERT_DER: check the appended signature with openssl cms
# alone (independent of modsign): the CMS blob is cut out by the trailer's
# big-endian sig_len and verified over every byte before it.
cms_verify() {
	local m=$1 dir=$BATS_TEST_TMPDIR/cms size siglen
	mkdir -p "$dir"
	size=$(stat -c %s "$m")
	[ "$(tail -c 28 "$m")" = "~Module signature appended~" ] || { echo "$m: no signature marker" >&2; return 1; }
	siglen=$(tail -c 32 "$m" | head -c 4 | od -An -tu1 | awk '{ print $1 * 16777216 + $2 * 65536 + $3 * 256 + $4 }')
	head -c $((size - 40 - siglen)) "$m" >"$dir/body"
	tail -c $((40 + siglen)) "$m" | head -c "$siglen" >"$dir/sig.der"
	openssl x509 -inform DER -in "$2" -out "$dir/cert.pem"
	openssl cms -verify -binary -inform DER -in "$dir/sig.der" -content "$dir/body" \
		-certfile "$dir/cert.pem" -nointern -noverify -out /dev/null 2>"$dir/err"
}

# Line number of the first line of $output matching REGEX.
line_of() {
	printf '%s\n' "$output" | grep -n -m1 -E "$1" | cut -d: -f1
}

@test "baseline: plain Kbuild on distribution headers prints the SSL error and installs an unsigned module" {
	[ ! -e "$KDIR/certs/signing_key.pem" ]
	run -0 --separate-stderr make -C "$KDIR" M="$DEMO_SRC" modules_install INSTALL_MOD_PATH="$ROOT"
	assert_match "$stderr" "SSL error"
	assert_match "$stderr" "sign-file: "
	assert_match "$output" "SIGN +$MODLIB/extra/modsign_demo.ko"
	[ -f "$MODLIB/extra/modsign_demo.ko" ]
	run -0 modinfo -F sig_id "$MODLIB/extra/modsign_demo.ko"
	assert_equal "$output" "" "sig_id of the module Kbuild installed"
	run -3 modsign verify --cert "$KEYS/signing_key.x509" "$MODLIB/extra/modsign_demo.ko"
	assert_match "$output" "unsigned"
}

@test "wrapper: modules_install signs the installed module with the managed key (extra/, kernel's hash)" {
	run -0 --separate-stderr modsign_install
	assert_match "$output" "MODSIGN +$MODLIB/extra/modsign_demo.ko"
	[[ $stderr != *"SSL error"* ]] || { echo "$stderr" >&2; false; }
	m=$MODLIB/extra/modsign_demo.ko
	[ -f "$m" ]
	[ "$(find "$ROOT" -name '*.ko*' | wc -l)" -eq 1 ]
	run -0 modsign verify --cert "$KEYS/signing_key.x509" "$m"
	run -3 modsign verify --cert "$TEST_KEYS/other.der" "$m"
	cms_verify "$m" "$KEYS/signing_key.x509"
	run ! cms_verify "$m" "$TEST_KEYS/other.der"
	# The hash comes from the kernel tree's CONFIG_MODULE_SIG_HASH.
	want=$(sed -n 's/^CONFIG_MODULE_SIG_HASH="\{0,1\}\([^"]*\)"\{0,1\}$/\1/p' "$KDIR/include/config/auto.conf")
	[ -n "$want" ]
	run -0 modinfo -F sig_hashalgo "$m"
	assert_equal "$output" "$want" "sig_hashalgo"
	# Exactly one signature, byte for byte the one sign-file makes with that key.
	cp "$DEMO_SRC/modsign_demo.ko" "$BATS_TEST_TMPDIR/ref.ko"
	"$SIGN_FILE" "$want" "$KEYS/signing_key.pem" "$KEYS/signing_key.x509" "$BATS_TEST_TMPDIR/ref.ko"
	assert_same_file "$m" "$BATS_TEST_TMPDIR/ref.ko"
}

@test "wrapper: signs even where Kbuild would not (CONFIG_MODULE_SIG_ALL unset)" {
	run -0 make -C "$KDIR" M="$DEMO_SRC" modules_install INSTALL_MOD_PATH="$ROOT" CONFIG_MODULE_SIG_ALL=
	[[ $output != *SIGN* ]]
	rm -r "$ROOT"
	run -0 modsign_install CONFIG_MODULE_SIG_ALL=
	assert_match "$output" "MODSIGN +$MODLIB/extra/modsign_demo.ko"
	run -0 modsign verify --cert "$KEYS/signing_key.x509" "$MODLIB/extra/modsign_demo.ko"
}

@test "wrapper: INSTALL_MOD_DIR is honoured" {
	run -0 modsign_install INSTALL_MOD_DIR=custom
	[ -f "$MODLIB/custom/modsign_demo.ko" ]
	[ ! -e "$MODLIB/extra" ]
	run -0 modsign verify --cert "$KEYS/signing_key.x509" "$MODLIB/custom/modsign_demo.ko"
}

@test "wrapper: INSTALL_MOD_STRIP=1 strips before signing (no .debug_info, signature valid)" {
	run -0 readelf -S "$DEMO_SRC/modsign_demo.ko"
	assert_match "$output" "\.debug_info"
	run -0 modsign_install INSTALL_MOD_STRIP=1
	a=$(line_of "STRIP +$MODLIB/extra/modsign_demo.ko") b=$(line_of "MODSIGN +$MODLIB/extra/modsign_demo.ko")
	[ -n "$a" ] && [ -n "$b" ] && [ "$a" -lt "$b" ]
	m=$MODLIB/extra/modsign_demo.ko
	run -0 readelf -S "$m"
	[[ $output != *.debug_info* ]]
	run -0 modsign verify --cert "$KEYS/signing_key.x509" "$m"
	cms_verify "$m" "$KEYS/signing_key.x509"
}

@test "wrapper: CONFIG_MODULE_COMPRESS_XZ=y compresses after signing, with CRC32" {
	run -0 modsign_install CONFIG_MODULE_COMPRESS_XZ=y
	a=$(line_of "MODSIGN +$MODLIB/extra/modsign_demo.ko$") b=$(line_of "XZ +$MODLIB/extra/modsign_demo.ko.xz")
	[ -n "$a" ] && [ -n "$b" ] && [ "$a" -lt "$b" ]
	[ ! -e "$MODLIB/extra/modsign_demo.ko" ]
	x=$MODLIB/extra/modsign_demo.ko.xz
	run -0 xz -lvv "$x"
	assert_match "$output" "Check: +CRC32"
	assert_match "$output" "dict=1MiB"
	xz -dc "$x" >"$BATS_TEST_TMPDIR/m.ko"
	run -0 modsign verify --cert "$KEYS/signing_key.x509" "$BATS_TEST_TMPDIR/m.ko"
	cms_verify "$BATS_TEST_TMPDIR/m.ko" "$KEYS/signing_key.x509"
}

@test "wrapper: gzip and zstd compression also come after signing" {
	require_cmd zstd zstd
	run -0 modsign_install CONFIG_MODULE_COMPRESS_GZIP=y
	gzip -dc "$MODLIB/extra/modsign_demo.ko.gz" >"$BATS_TEST_TMPDIR/g.ko"
	run -0 modsign verify --cert "$KEYS/signing_key.x509" "$BATS_TEST_TMPDIR/g.ko"
	run -0 modsign_install CONFIG_MODULE_COMPRESS_ZSTD=y
	zstd -q -dc "$MODLIB/extra/modsign_demo.ko.zst" >"$BATS_TEST_TMPDIR/z.ko"
	run -0 modsign verify --cert "$KEYS/signing_key.x509" "$BATS_TEST_TMPDIR/z.ko"
}

@test "wrapper: a module modsign cannot sign fails the install and is not left installed" {
	bad=$BATS_TEST_TMPDIR/halfkey
	mkdir -m 0700 "$bad"
	cp "$KEYS/signing_key.x509" "$bad/"
	MODSIGN_KEY_DIR=$bad run --separate-stderr modsign_install
	[ "$status" -ne 0 ]
	assert_match "$stderr" "signing_key.pem"
	assert_match "$stderr" "Deleting file '$MODLIB/extra/modsign_demo.ko'"
	[ -z "$(find "$ROOT" -name '*.ko*')" ]
	# and modsign did not make a key over the half-present one
	[ ! -e "$bad/signing_key.pem" ]
	assert_same_file "$bad/signing_key.x509" "$KEYS/signing_key.x509"
}

@test "wrapper: creates the managed key on first use (0600 key, DER certificate) and signs with it" {
	export MODSIGN_KEY_DIR=$BATS_TEST_TMPDIR/newkeys
	run -0 modsign_install
	[ "$(stat -c %a "$MODSIGN_KEY_DIR/signing_key.pem")" = 600 ]
	openssl x509 -inform DER -in "$MODSIGN_KEY_DIR/signing_key.x509" -noout
	run -0 modsign verify --cert "$MODSIGN_KEY_DIR/signing_key.x509" "$MODLIB/extra/modsign_demo.ko"
	run -3 modsign verify --cert "$KEYS/signing_key.x509" "$MODLIB/extra/modsign_demo.ko"
}

@test "wrapper: modsign missing -> exit 1 with a message, make not run" {
	MODSIGN=$BATS_TEST_TMPDIR/nowhere/modsign run -1 --separate-stderr modsign_install
	assert_one_line "$stderr"
	assert_match "$stderr" "^modsign-modules-install: MODSIGN=.*nowhere/modsign is not an executable file$"
	[ ! -e "$ROOT" ]
}

@test "wrapper: passes the goal through (modules_sign is not a goal for external modules in 6.1)" {
	run -2 --separate-stderr modsign_install modules_sign
	assert_match "$stderr" "No rule to make target 'modules_sign'"
	[ ! -e "$ROOT" ]
}

@test "wrapper: --help prints the usage" {
	run -0 "$WRAPPER" --help
	assert_match "$output" "^usage: modsign-modules-install \[MAKE-ARGUMENT...\]"
}

@test "modsign.mk: an external module's own modules_install signs with the managed key" {
	src=$BATS_TEST_TMPDIR/mk
	mkdir "$src"
	cp "$TOP/test/fixtures/demo/modsign_demo.c" "$TOP/test/fixtures/kbuild-mk/Makefile" "$src/"
	cp "$DEMO_SRC/modsign_demo.ko" "$DEMO_SRC/modules.order" "$DEMO_SRC/Module.symvers" "$src/"
	sed -i "s|$DEMO_SRC|$src|" "$src/modules.order"
	run -0 --separate-stderr make -C "$src" KDIR="$KDIR" MODSIGN_MK="$TOP/kbuild/modsign.mk" \
		modules_install INSTALL_MOD_PATH="$ROOT" INSTALL_MOD_STRIP=1
	assert_match "$output" "MODSIGN +$MODLIB/extra/modsign_demo.ko"
	m=$MODLIB/extra/modsign_demo.ko
	run -0 modsign verify --cert "$KEYS/signing_key.x509" "$m"
	run -0 readelf -S "$m"
	[[ $output != *.debug_info* ]]
}
