#!/usr/bin/env bats
# `make demo` (scripts/demo) and `make install`: the README's promises.

# shellcheck disable=SC2154 # bats: run sets $output
load test_helper

@test "make demo's script: key from the template, sign, verify ok, info equals modinfo" {
	b=$BATS_TEST_TMPDIR/build
	mkdir -p "$b/fixtures"
	ln -s "$MODSIGN_BIN" "$b/modsign"
	cp "$BUILD/fixtures/modsign_demo.ko" "$BUILD/fixtures/kdir" "$b/fixtures/"
	run -0 "$TOP/scripts/demo" "$b"
	assert_match "$output" "wrote $b/demo-key/signing_key.pem"
	assert_match "$output" "$b/demo/modsign_demo.ko: ok \(signed by \"modsign automatically generated module signing key\", sha512\)"
	assert_equal "$(stat -c %a "$b/demo-key/signing_key.pem")" 600 "key mode"
	# What the demo shows from modsign info is what modinfo prints.
	modinfo "$b/demo/modsign_demo.ko" | sed -n '/^sig_id:/,$p' >"$BATS_TEST_TMPDIR/modinfo"
	"$MODSIGN_BIN" info "$b/demo/modsign_demo.ko" | sed -n '/^sig_id:/,$p' >"$BATS_TEST_TMPDIR/info"
	assert_same_file "$BATS_TEST_TMPDIR/info" "$BATS_TEST_TMPDIR/modinfo"
	# A second run reuses the key: never overwritten.
	before=$(sha "$b/demo-key/signing_key.pem")
	run -0 "$TOP/scripts/demo" "$b"
	assert_match "$output" "reusing the key"
	assert_equal "$(sha "$b/demo-key/signing_key.pem")" "$before"
}

@test "make install honours PREFIX and DESTDIR: binary, sign-file link, templates, man page, hooks" {
	d=$BATS_TEST_TMPDIR/dest
	run -0 make -s -C "$TOP" BUILD="$BUILD" DESTDIR="$d" install
	for f in bin/modsign bin/sign-file bin/modsign-modules-install share/modsign/x509.genkey \
		share/modsign/x509-ecdsa.genkey share/modsign/modsign.mk share/man/man1/modsign.1 \
		share/modsign/dkms-hooks/modsign-post-build share/modsign/dkms-hooks/framework.conf.d/modsign.conf; do
		[ -e "$d/usr/local/$f" ] || { echo "missing: $f" >&2; false; }
	done
	assert_equal "$(readlink "$d/usr/local/bin/sign-file")" modsign
	run -0 "$d/usr/local/bin/modsign" --version
	run -0 man -l "$d/usr/local/share/man/man1/modsign.1"
	assert_match "$output" "modsign +- +sign +Linux +kernel +modules"
}
