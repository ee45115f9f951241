#!/usr/bin/env bats
# The symlink and hard link policy of `modsign sign` (README: "Symlinks and
# hard links"): walks never follow a symbolic link, so never leave the tree
# they were given; a path named on the command line is followed; a module
# with several hard links is replaced under each name signed.

# shellcheck disable=SC2154 # bats: run sets $output/$stderr/$lines
load test_helper

setup_file() {
	ensure_test_keys
}

setup() {
	export MODSIGN_CONFIG=$BATS_TEST_TMPDIR/none.conf
	KEY=$TEST_KEYS/rsa2048.pem
	CERT=$TEST_KEYS/rsa2048.der
	T=$BATS_TEST_TMPDIR/tree
	O=$BATS_TEST_TMPDIR/outside
	mkdir -p "$T" "$O"
	cp "$DEMO_KO" "$O/out.ko"
	cp "$DEMO_KO" "$O/out2.ko"
}

sign() { modsign sign --key "$KEY" --hash sha256 "$@"; }

@test "a symlink to a module outside the tree is not followed: a warning, the target untouched" {
	cp "$DEMO_KO" "$T/in.ko"
	ln -s "$O/out.ko" "$T/link.ko"
	ln -s ../outside/out2.ko "$T/rel.ko.xz"
	run -0 --separate-stderr sign "$T"
	assert_equal "$output" "signed: $T/in.ko
1 signed, 0 skipped, 0 re-signed, 0 failed"
	assert_equal "$(sort <<<"$stderr")" "modsign: warning: $T/link.ko: symbolic link, not followed
modsign: warning: $T/rel.ko.xz: symbolic link, not followed"
	assert_same_file "$O/out.ko" "$DEMO_KO"
	assert_same_file "$O/out2.ko" "$DEMO_KO"
	[ -L "$T/link.ko" ] && [ -L "$T/rel.ko.xz" ]
	# -q: no warning.
	run -0 --separate-stderr sign -q "$T"
	assert_equal "$stderr" ""
}

@test "a symlinked directory inside the tree is not entered, even when it points inside" {
	mkdir -p "$O/sub" "$T/real"
	cp "$DEMO_KO" "$O/sub/deep.ko"
	cp "$DEMO_KO" "$T/real/r.ko"
	ln -s "$O/sub" "$T/dirlink"
	ln -s real "$T/samelink"
	run -0 --separate-stderr sign "$T"
	assert_equal "$output" "signed: $T/real/r.ko
1 signed, 0 skipped, 0 re-signed, 0 failed"
	assert_equal "$stderr" ""
	assert_same_file "$O/sub/deep.ko" "$DEMO_KO"
}

@test "symlink loops inside a tree end the walk normally" {
	cp "$DEMO_KO" "$T/in.ko"
	ln -s loop2.ko "$T/loop1.ko"
	ln -s loop1.ko "$T/loop2.ko"
	mkdir "$T/d"
	ln -s .. "$T/d/up"
	ln -s ../d "$T/d/self"
	run -0 --separate-stderr timeout 60 "$MODSIGN_BIN" sign --key "$KEY" --hash sha256 "$T"
	assert_equal "$output" "signed: $T/in.ko
1 signed, 0 skipped, 0 re-signed, 0 failed"
	assert_equal "$(sort <<<"$stderr")" "modsign: warning: $T/loop1.ko: symbolic link, not followed
modsign: warning: $T/loop2.ko: symbolic link, not followed"
}

@test "paths named on the command line are followed: a module is signed in its target, a directory is walked" {
	ln -s "$O/out.ko" "$T/link.ko"
	run -0 --separate-stderr sign "$T/link.ko"
	assert_equal "$output" "signed: $O/out.ko
1 signed, 0 skipped, 0 re-signed, 0 failed"
	[ -L "$T/link.ko" ]
	run -0 modsign verify --cert "$CERT" "$O/out.ko"
	# A directory named through a symlink: its target is the tree given,
	# walked without following the links inside it.
	mkdir -p "$O/d"
	cp "$DEMO_KO" "$O/d/x.ko"
	ln -s "$BATS_TEST_TMPDIR/elsewhere.ko" "$O/d/y.ko"
	ln -s "$O/d" "$T/dlink"
	run -0 --separate-stderr sign "$T/dlink"
	assert_equal "$output" "signed: $O/d/x.ko
1 signed, 0 skipped, 0 re-signed, 0 failed"
	assert_equal "$stderr" "modsign: warning: $O/d/y.ko: symbolic link, not followed"
}

@test "hard links: each name signed is replaced (the link is broken); a name not signed keeps the old bytes" {
	cp "$DEMO_KO" "$T/a.ko"
	ln "$T/a.ko" "$T/b.ko"
	ln "$T/a.ko" "$O/c.ko"
	# Both names in the tree: both signed, as separate files now.
	run -0 --separate-stderr sign -j2 "$T"
	assert_equal "$output" "signed: $T/a.ko
signed: $T/b.ko
2 signed, 0 skipped, 0 re-signed, 0 failed"
	assert_equal "$stderr" ""
	run -0 modsign verify --cert "$CERT" "$T/a.ko" "$T/b.ko"
	assert_same_file "$T/a.ko" "$T/b.ko"
	[ "$(stat -c %h "$T/a.ko")" = 1 ] && [ "$(stat -c %h "$T/b.ko")" = 1 ]
	[ "$(stat -c %i "$T/a.ko")" != "$(stat -c %i "$T/b.ko")" ]
	# The name outside the tree keeps the unsigned module.
	assert_same_file "$O/c.ko" "$DEMO_KO"
	# One name given: only that name changes.
	cp "$DEMO_KO" "$O/p.ko"
	ln "$O/p.ko" "$O/q.ko"
	run -0 sign "$O/p.ko"
	run -0 modsign verify --cert "$CERT" "$O/p.ko"
	assert_same_file "$O/q.ko" "$DEMO_KO"
}
