#!/usr/bin/env bats
# Private keys: file modes (warn like ssh; refuse in managed mode unless
# MODSIGN_ALLOW_OPEN_KEY=1), KBUILD_SIGN_PIN (a wrong PIN is an error, never
# a prompt), no key material or PIN in any output, and concurrent creation of
# the managed key.
# shellcheck disable=SC2030,SC2031,SC2154  # bats runs each test in a subshell; run sets $output/$stderr

load test_helper

PIN=s3cret-pin

setup_file() {
	require_cmd openssl openssl
	ensure_test_keys
}

setup() {
	unset MODSIGN_ALLOW_OPEN_KEY KBUILD_SIGN_PIN
	export MODSIGN_CONFIG=$BATS_TEST_TMPDIR/no-such.conf
}

# verify_ok MODULE CERT: the kernel would accept MODULE signed by CERT's key.
verify_ok() {
	run -0 modsign verify -q --cert "$2" "$1"
}

# A copy of a test key with the given mode.
key_with_mode() {
	local mode=$1 dest=$BATS_TEST_TMPDIR/key-$1.pem
	cp "$TEST_KEYS/rsa2048.pem" "$dest"
	chmod "$mode" "$dest"
	echo "$dest"
}

@test "keys: a key readable by others is used with one ssh-like warning (sign-file mode)" {
	local key mod
	key=$(key_with_mode 644)
	mod=$(demo_copy)
	run -0 --separate-stderr modsign sha256 "$key" "$key" "$mod"
	assert_equal "$stderr" "modsign: warning: $key: private key is accessible by others (mode 0644); chmod 600 it" "stderr"
	assert_equal "$output" "" "stdout"
	verify_ok "$mod" "$TEST_KEYS/rsa2048.pem"
}

@test "keys: group-readable (0640) and group-writable (0620) keys warn; 0600 and 0400 do not" {
	local key mod mode
	for mode in 640 620; do
		key=$(key_with_mode "$mode")
		mod=$(demo_copy "$BATS_TEST_TMPDIR/m$mode.ko")
		run -0 --separate-stderr modsign sha256 "$key" "$key" "$mod"
		assert_equal "$stderr" "modsign: warning: $key: private key is accessible by others (mode 0$mode); chmod 600 it" "stderr"
	done
	for mode in 600 400; do
		key=$(key_with_mode "$mode")
		mod=$(demo_copy "$BATS_TEST_TMPDIR/m$mode.ko")
		run -0 --separate-stderr modsign sha256 "$key" "$key" "$mod"
		assert_equal "$stderr" "" "stderr for mode $mode"
	done
}

@test "keys: 'sign --key' with an open key warns once and signs" {
	local key dir
	key=$(key_with_mode 604)
	dir=$BATS_TEST_TMPDIR/tree
	mkdir -p "$dir"
	demo_copy "$dir/a.ko" >/dev/null
	demo_copy "$dir/b.ko" >/dev/null
	run -0 --separate-stderr modsign sign --key "$key" --hash sha256 -q "$dir"
	assert_equal "$stderr" "modsign: warning: $key: private key is accessible by others (mode 0604); chmod 600 it" "stderr"
	verify_ok "$dir/a.ko" "$TEST_KEYS/rsa2048.pem"
	verify_ok "$dir/b.ko" "$TEST_KEYS/rsa2048.pem"
}

@test "keys: the managed key is created 0600 in a 0700 directory" {
	export MODSIGN_KEY_DIR=$BATS_TEST_TMPDIR/keys
	local mod
	mod=$(demo_copy)
	run -0 --separate-stderr modsign sign --hash sha256 -q "$mod"
	assert_equal "$(stat -c %a "$MODSIGN_KEY_DIR")" 700 "key directory mode"
	assert_equal "$(stat -c %a "$MODSIGN_KEY_DIR/signing_key.pem")" 600 "key mode"
	verify_ok "$mod" "$MODSIGN_KEY_DIR/signing_key.x509"
}

@test "keys: managed mode refuses a key readable by others, untouched module, unless MODSIGN_ALLOW_OPEN_KEY=1" {
	export MODSIGN_KEY_DIR=$BATS_TEST_TMPDIR/keys
	local pem=$MODSIGN_KEY_DIR/signing_key.pem mod before
	run -0 modsign keygen "$MODSIGN_KEY_DIR"
	chmod 644 "$pem"
	mod=$(demo_copy)
	before=$(sha "$mod")
	run -1 --separate-stderr modsign sign --hash sha256 "$mod"
	assert_one_line "$stderr"
	assert_equal "$stderr" "modsign: $pem: private key is accessible by others (mode 0644); chmod 600 it (or set MODSIGN_ALLOW_OPEN_KEY=1 to use it anyway)" "stderr"
	assert_equal "$(sha "$mod")" "$before" "module checksum"
	assert_no_temp "$BATS_TEST_TMPDIR"
	# Only the exact value 1 overrides.
	MODSIGN_ALLOW_OPEN_KEY=yes run -1 modsign sign --hash sha256 "$mod"
	assert_equal "$(sha "$mod")" "$before" "module checksum"
	MODSIGN_ALLOW_OPEN_KEY=1 run -0 --separate-stderr modsign sign --hash sha256 -q "$mod"
	assert_equal "$stderr" "modsign: warning: $pem: private key is accessible by others (mode 0644); chmod 600 it" "stderr"
	verify_ok "$mod" "$MODSIGN_KEY_DIR/signing_key.x509"
	# Once fixed, no word.
	chmod 600 "$pem"
	mod=$(demo_copy "$BATS_TEST_TMPDIR/again.ko")
	run -0 --separate-stderr modsign sign --hash sha256 -q "$mod"
	assert_equal "$stderr" "" "stderr"
}

@test "keys: each key loads with exactly the numbers OpenSSL's own PEM reader finds (test-key)" {
	# RSA keys in PKCS#8 are built from their numbers by modsign itself
	# (signer/key.c, rsa_fromdata), the others by OpenSSL's decoders.
	# test-key (test/c/test_key.c) compares every number of the loaded key
	# with OpenSSL's own reading of the file, for these files and for
	# malformed variants of the two-prime RSA ones that it writes.
	local tk d=$BATS_TEST_TMPDIR
	tk=$(dirname "$MODSIGN_BIN")/test-key
	[ -x "$tk" ] || { echo "$tk is missing: run make test-bins" >&2; return 1; }
	openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -pkeyopt rsa_keygen_primes:3 \
		-out "$d/rsa3.pem" 2>/dev/null
	openssl rsa -in "$TEST_KEYS/rsa2048.pem" -traditional -out "$d/pkcs1.pem" 2>/dev/null
	chmod 600 "$d"/*.pem
	run -0 --separate-stderr env KBUILD_SIGN_PIN=$PIN "$tk" "$d" "$TEST_KEYS/rsa.pem" "$TEST_KEYS/rsa2048.pem" \
		"$TEST_KEYS/ec256.pem" "$TEST_KEYS/ec384.pem" "$TEST_KEYS/enc.pem" "$d/rsa3.pem" "$d/pkcs1.pem"
	echo "$output"
	[ -z "$stderr" ]
	# 7 files, and 7 variants of each of the two two-prime RSA PKCS#8 keys.
	[ "$(grep -c '^ok ' <<<"$output")" -eq 21 ]
	[ "$(grep -c '^not ok' <<<"$output")" = 0 ]
	[ "$(tail -n 1 <<<"$output")" = "1..21" ]
	grep -qx "ok 1 - $TEST_KEYS/rsa.pem: the same numbers as OpenSSL's reader" <<<"$output"
	grep -q "rsa3.pem: the same numbers as OpenSSL's reader" <<<"$output"
	grep -q "pkcs1.pem: the same numbers as OpenSSL's reader" <<<"$output"
	grep -q "enc.pem: the same numbers as OpenSSL's reader" <<<"$output"
	grep -q "exponent1 and exponent2 swapped: the same numbers as OpenSSL's reader" <<<"$output"
	[ -z "$(find "$d" -name 'variant-*')" ]
}

@test "keys: an encrypted key signs with the right KBUILD_SIGN_PIN" {
	local mod
	mod=$(demo_copy)
	KBUILD_SIGN_PIN=$PIN run -0 --separate-stderr modsign sha256 "$TEST_KEYS/enc.pem" "$TEST_KEYS/enc.crt" "$mod"
	assert_equal "$stderr" "" "stderr"
	verify_ok "$mod" "$TEST_KEYS/enc.crt"
}

@test "keys: a wrong or missing PIN is one clear error at once, never a prompt (no tty, and on a pty)" {
	local mod before k=$TEST_KEYS/enc.pem c=$TEST_KEYS/enc.crt
	mod=$(demo_copy)
	before=$(sha "$mod")
	KBUILD_SIGN_PIN=wrong-pin run -1 --separate-stderr timeout 10 "$MODSIGN_BIN" sha256 "$k" "$c" "$mod" </dev/null
	assert_equal "$stderr" "modsign: $k: cannot decrypt private key: wrong KBUILD_SIGN_PIN" "stderr"
	KBUILD_SIGN_PIN=wrong-pin run -1 --separate-stderr timeout 10 "$MODSIGN_BIN" sign --key "$k" --cert "$c" --hash sha256 "$mod" </dev/null
	assert_equal "$stderr" "modsign: $k: cannot decrypt private key: wrong KBUILD_SIGN_PIN" "stderr"
	run -1 --separate-stderr timeout 10 "$MODSIGN_BIN" sha256 "$k" "$c" "$mod" </dev/null
	assert_equal "$stderr" "modsign: $k: private key is encrypted; set KBUILD_SIGN_PIN to its passphrase" "stderr"
	KBUILD_SIGN_PIN='' run -1 --separate-stderr timeout 10 "$MODSIGN_BIN" sha256 "$k" "$c" "$mod" </dev/null
	assert_match "$stderr" "^modsign: $k: (cannot decrypt private key: wrong KBUILD_SIGN_PIN|private key is encrypted)"
	assert_equal "$(sha "$mod")" "$before" "module checksum"
	# On a terminal too: script(1) gives modsign a pty as stdin/stdout/stderr.
	require_cmd script bsdutils
	KBUILD_SIGN_PIN=wrong-pin run -1 timeout 10 script -qec "'$MODSIGN_BIN' sha256 '$k' '$c' '$mod'" /dev/null </dev/null
	assert_match "$output" "cannot decrypt private key: wrong KBUILD_SIGN_PIN"
	run -1 timeout 10 script -qec "'$MODSIGN_BIN' sha256 '$k' '$c' '$mod'" /dev/null </dev/null
	assert_match "$output" "private key is encrypted; set KBUILD_SIGN_PIN"
	assert_equal "$(sha "$mod")" "$before" "module checksum"
}

# Three lines of the base64 body of a PEM private key (never its first or
# last, which are also in public data's shape).
key_lines() {
	sed -n '/-----BEGIN .*PRIVATE KEY-----/,/-----END .*PRIVATE KEY-----/p' "$1" | sed -n '3p;6p;9p'
}

@test "keys: no PIN and no private key bytes in any output" {
	export MODSIGN_KEY_DIR=$BATS_TEST_TMPDIR/managed
	local log=$BATS_TEST_TMPDIR/all-output t=$BATS_TEST_TMPDIR mod k=$TEST_KEYS/enc.pem c=$TEST_KEYS/enc.crt
	mod=$(demo_copy)
	{
		export KBUILD_SIGN_PIN=$PIN
		modsign sha256 "$k" "$c" "$mod"
		modsign -p sha256 "$k" "$c" "$mod"
		modsign sign --key "$k" --cert "$c" --hash sha256 "$mod"
		KBUILD_SIGN_PIN=not-$PIN modsign sha256 "$k" "$c" "$mod"
		KBUILD_SIGN_PIN=not-$PIN modsign sign --key "$k" --cert "$c" --hash sha256 "$mod"
		modsign keygen "$t/kg"
		modsign keygen "$t/kg"
		modsign sign --hash sha256 "$mod"
		chmod 644 "$MODSIGN_KEY_DIR/signing_key.pem"
		modsign sign --hash sha256 "$mod"
		MODSIGN_ALLOW_OPEN_KEY=1 modsign sign --hash sha256 "$mod"
		modsign verify --cert "$c" --cert "$MODSIGN_KEY_DIR/signing_key.pem" "$mod"
		modsign verify --json --cert "$k" "$mod"
		modsign info "$mod" "$mod.p7s"
		modsign info --json "$mod"
		modsign status --cert "$c"
		modsign status --json
		modsign sha256 "$c" "$k" "$mod"
		modsign sha256 "$TEST_KEYS/rsa.pem" "$k" "$mod"
		modsign strip "$mod"
	} >"$log" 2>&1 </dev/null || true
	[ -s "$log" ]
	if grep -n -F -e "$PIN" "$log"; then
		echo "the PIN appears in the output above" >&2
		return 1
	fi
	local pem lines
	for pem in "$TEST_KEYS/enc.pem" "$TEST_KEYS/rsa.pem" "$t/kg/signing_key.pem" "$MODSIGN_KEY_DIR/signing_key.pem"; do
		lines=$(key_lines "$pem")
		assert_equal "$(wc -l <<<"$lines")" 3 "key lines of $pem"
		if grep -n -F -e "$lines" "$log"; then
			echo "a line of $pem's private key appears in the output above" >&2
			return 1
		fi
	done
}

@test "keys: 16 concurrent 'modsign sign' on an empty key directory create exactly one key" {
	export MODSIGN_KEY_DIR=$BATS_TEST_TMPDIR/keys
	local i pids=() rc=0 created
	for i in $(seq 1 16); do
		demo_copy "$BATS_TEST_TMPDIR/m$i.ko" >/dev/null
	done
	for i in $(seq 1 16); do
		"$MODSIGN_BIN" sign --hash sha256 -q "$BATS_TEST_TMPDIR/m$i.ko" >"$BATS_TEST_TMPDIR/out$i" 2>&1 &
		pids+=($!)
	done
	for i in "${pids[@]}"; do
		wait "$i" || rc=1
	done
	cat "$BATS_TEST_TMPDIR"/out* >&2
	assert_equal "$rc" 0 "every process's exit status"
	assert_equal "$(find "$MODSIGN_KEY_DIR" -mindepth 1 -not -name .lock -printf '%f %m\n' | sort)" \
		"signing_key.pem 600"$'\n'"signing_key.x509 644" "key directory"
	created=$(cat "$BATS_TEST_TMPDIR"/out* | grep -c 'created the managed signing key')
	assert_equal "$created" 1 "key creations"
	openssl pkey -in "$MODSIGN_KEY_DIR/signing_key.pem" -noout
	for i in $(seq 1 16); do
		verify_ok "$BATS_TEST_TMPDIR/m$i.ko" "$MODSIGN_KEY_DIR/signing_key.x509"
	done
}
