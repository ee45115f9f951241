#!/usr/bin/env bats
# Every command once under valgrind: no invalid access, no uninitialised use,
# no definite or indirect leak.  (Not run with the sanitizer build.)

# shellcheck disable=SC2154 # $output and $stderr are set by bats' run
load test_helper

setup_file() {
	ensure_test_keys
}

setup() {
	require_cmd valgrind valgrind
}

# vg ARGS...: modsign under valgrind; valgrind's own findings exit 99.
vg() {
	valgrind -q --error-exitcode=99 --leak-check=full \
		--errors-for-leak-kinds=definite,indirect --show-leak-kinds=definite,indirect \
		"$MODSIGN_BIN" "$@"
}

@test "valgrind: sign-file mode, RSA and ECDSA, -p and -k" {
	m=$(demo_copy)
	run -0 vg -p sha256 "$TEST_KEYS/rsa2048.pem" "$TEST_KEYS/rsa2048.pem" "$m"
	m2=$(demo_copy "$BATS_TEST_TMPDIR/ec.ko")
	run -0 vg -k sha384 "$TEST_KEYS/ec384.pem" "$TEST_KEYS/ec384.der" "$m2"
}

@test "valgrind: error paths (bad key, wrong PIN, not ELF)" {
	m=$(demo_copy)
	run -1 vg sha256 "$TEST_KEYS/rsa2048.pem" "$TEST_KEYS/other.der" "$m"
	KBUILD_SIGN_PIN=wrong run -1 vg sha256 "$TEST_KEYS/enc.pem" "$TEST_KEYS/enc.crt" "$m"
	echo text >"$BATS_TEST_TMPDIR/t.ko"
	run -1 vg sha256 "$TEST_KEYS/rsa2048.pem" "$TEST_KEYS/rsa2048.pem" "$BATS_TEST_TMPDIR/t.ko"
	run -2 vg sha256
}
