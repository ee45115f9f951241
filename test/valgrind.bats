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

@test "valgrind: digest and attach (CMS, --raw, PEM, refused, unchecked, compressed)" {
	require_cmd xz xz-utils
	k=$TEST_KEYS/rsa2048.pem
	m=$(demo_copy)
	cd "$BATS_TEST_TMPDIR" || return 1
	run -0 vg digest --json "$m"
	run -0 vg digest --hash sha256 -o tbs.bin "$m"
	run -0 modsign -d sha256 "$k" "$k" tbs.bin
	run -0 vg attach --cert "$k" tbs.bin.p7s "$m"
	openssl cms -sign -binary -noattr -nosmimecap -md sha256 -signer "$k" -in tbs.bin -outform PEM -out with-cert.pem
	run -0 --separate-stderr vg attach with-cert.pem "$m"
	run -4 --separate-stderr vg attach tbs.bin.p7s "$m"
	openssl dgst -sha256 -binary tbs.bin >tbs.dgst
	openssl pkeyutl -sign -inkey "$TEST_KEYS/ec384.pem" -pkeyopt digest:sha256 -in tbs.dgst -out ec.sig
	run -0 vg attach --raw --hash sha256 --keyid --cert "$TEST_KEYS/ec384.pem" ec.sig "$m"
	printf 'x' >>tbs.bin
	run -3 --separate-stderr vg attach --cert "$k" tbs.bin.p7s tbs.bin
	xz --check=crc32 -k "$m"
	run -0 vg attach --cert "$k" with-cert.pem "$m.xz"
	run -2 --separate-stderr vg attach --raw tbs.bin.p7s "$m"
	run -0 vg sign -d -j 1 --key "$k" --hash sha256 "$m" "$m.xz"
}

@test "valgrind: sign a tree (workers, batch, temporary files made ahead; skipped, compressed, failing)" {
	local t=$BATS_TEST_TMPDIR/t i
	mkdir "$t"
	for i in 1 2 3 4 5 6; do cp "$DEMO_KO" "$t/m$i.ko"; done
	cp "$DEMO_KO" "$t/x.ko" && xz --check=crc32 "$t/x.ko"
	echo "not a module" >"$t/bad.ko"
	run -0 modsign sign --key "$TEST_KEYS/rsa2048.pem" --hash sha256 "$t/m1.ko"
	run -1 --separate-stderr vg sign -j 2 --key "$TEST_KEYS/rsa2048.pem" --hash sha256 "$t"
	assert_equal "${lines[-1]}" "6 signed, 1 skipped, 0 re-signed, 1 failed"
	assert_equal "$stderr" "modsign: $t/bad.ko: not an ELF file, not a kernel module"
	run -0 modsign verify --cert "$TEST_KEYS/rsa2048.pem" "$t"/m*.ko "$t/x.ko.xz"
	assert_no_temp "$t"
}
