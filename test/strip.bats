#!/usr/bin/env bats
# modsign strip: back to the unsigned module, byte for byte.

# shellcheck disable=SC2154 # $output, $stderr and $lines are set by bats' run
load test_helper

setup_file() {
	ensure_test_keys
}

setup() {
	require_cmd "$SIGN_FILE" linux-kbuild-6.1
}

# signed NAME HASH KEY [sign-file options]: a demo module signed by sign-file.
signed() {
	local f=$BATS_TEST_TMPDIR/$1 hash=$2 key=$3
	shift 3
	demo_copy "$f" >/dev/null
	"$SIGN_FILE" "$@" "$hash" "$key" "$key" "$f"
	echo "$f"
}

# append_trailer FILE SIG_LEN [ALGO HASH ID_TYPE SIGNER_LEN KEY_ID_LEN]: the
# 12-byte struct module_signature and the marker, with the given fields.
append_trailer() {
	local f=$1 n=$2 fmt="" b
	for b in "${3:-0}" "${4:-0}" "${5:-2}" "${6:-0}" "${7:-0}" 0 0 0 \
		$((n >> 24 & 255)) $((n >> 16 & 255)) $((n >> 8 & 255)) $((n & 255)); do
		fmt+=$(printf '\\x%02x' "$b")
	done
	# shellcheck disable=SC2059 # the format is made of \xHH escapes only
	printf "$fmt" >>"$f"
	printf '~Module signature appended~\n' >>"$f"
}

# identity of a file: inode, size, mtime with nanoseconds, mode, content
ident() { stat -c '%i %s %y %a' "$1" && sha "$1"; }

@test "RSA and ECDSA, every hash, issuer+serial and SKID: stripped bytes equal the unsigned module" {
	for k in rsa rsa2048 ec256 ec384; do
		for h in sha1 sha224 sha256 sha384 sha512; do
			for o in "" -k; do
				# shellcheck disable=SC2086
				f=$(signed m.ko "$h" "$TEST_KEYS/$k.pem" $o)
				! cmp -s "$f" "$DEMO_KO"
				run -0 --separate-stderr modsign strip "$f"
				assert_equal "$output" "$f: stripped 1 signature"
				assert_equal "$stderr" ""
				assert_same_file "$f" "$DEMO_KO"
			done
		done
	done
	assert_no_temp "$BATS_TEST_TMPDIR"
}

@test "after strip, modinfo shows no signature and sign-file gives the same bytes as signing the original" {
	require_cmd modinfo kmod
	f=$(signed m.ko sha512 "$TEST_KEYS/rsa.pem")
	cp "$f" "$BATS_TEST_TMPDIR/signed-once.ko"
	run -0 modsign strip "$f"
	run -0 modinfo "$f"
	[[ $output != *sig_id* && $output != *signature:* ]]
	"$SIGN_FILE" sha512 "$TEST_KEYS/rsa.pem" "$TEST_KEYS/rsa.pem" "$f"
	assert_same_file "$f" "$BATS_TEST_TMPDIR/signed-once.ko"
}

@test "mode and owner are kept; the file is replaced atomically" {
	f=$(signed m.ko sha256 "$TEST_KEYS/rsa.pem")
	chmod 0640 "$f"
	if [ "$(id -u)" -eq 0 ]; then
		chown 1234:2345 "$f"
	fi
	owner=$(stat -c '%u:%g' "$f")
	inode=$(stat -c %i "$f")
	run -0 modsign strip "$f"
	assert_equal "$(stat -c %a "$f")" 640 mode
	assert_equal "$(stat -c '%u:%g' "$f")" "$owner" owner
	[ "$(stat -c %i "$f")" != "$inode" ] # a new file renamed into place
	assert_same_file "$f" "$DEMO_KO"
	assert_no_temp "$BATS_TEST_TMPDIR"
}

@test "signed twice (sign-file run twice stacks signatures): stripped down to the original" {
	f=$(signed m.ko sha256 "$TEST_KEYS/rsa.pem")
	"$SIGN_FILE" sha384 "$TEST_KEYS/ec384.pem" "$TEST_KEYS/ec384.pem" "$f"
	"$SIGN_FILE" -k sha1 "$TEST_KEYS/rsa2048.pem" "$TEST_KEYS/rsa2048.pem" "$f"
	run -0 --separate-stderr modsign strip "$f"
	assert_equal "$output" "$f: stripped 3 signatures"
	assert_one_line "$stderr"
	assert_match "$stderr" "signed 3 times"
	assert_same_file "$f" "$DEMO_KO"
}

@test "unsigned module: a no-op, the file not even rewritten (inode, mtime kept), exit 0" {
	f=$(demo_copy)
	touch -d '2001-02-03 04:05:06.789' "$f"
	before=$(ident "$f")
	run -0 --separate-stderr modsign strip "$f"
	assert_equal "$output" ""
	assert_equal "$stderr" "modsign: $f: not signed, nothing to strip"
	assert_equal "$(ident "$f")" "$before"
	# stripping twice: the second run is the no-op
	g=$(signed g.ko sha256 "$TEST_KEYS/rsa.pem")
	run -0 modsign strip "$g"
	before=$(ident "$g")
	run -0 --separate-stderr modsign strip "$g"
	assert_match "$stderr" "not signed, nothing to strip"
	assert_equal "$(ident "$g")" "$before"
}

@test "a trailer whose bounds cannot be trusted: one-line error, exit 1, untouched, no temp file" {
	f=$(demo_copy "$BATS_TEST_TMPDIR/huge.ko")
	append_trailer "$f" 100000000
	g=$BATS_TEST_TMPDIR/trunc.ko
	printf '\177ELF~Module signature appended~\n' >"$g"
	h=$(demo_copy "$BATS_TEST_TMPDIR/legacy.ko")
	{
		printf 'Legacy Signer'
		head -c 84 /dev/urandom
	} >>"$h"
	append_trailer "$h" 64 1 4 1 13 20
	for m in "$f" "$g" "$h"; do
		before=$(ident "$m")
		run -1 --separate-stderr modsign strip "$m"
		assert_equal "$output" ""
		assert_one_line "$stderr"
		assert_match "$stderr" "^modsign: $m: malformed signature trailer \\(.*\\), not stripping$"
		assert_equal "$(ident "$m")" "$before"
	done
	assert_match "$(modsign strip "$f" 2>&1)" "signature length points outside the file"
	assert_no_temp "$BATS_TEST_TMPDIR"
}

@test "a signature the kernel would refuse but whose extent is sound is removed, with a warning" {
	# garbage instead of CMS, and a non-zero hash field: the bounds are still exact
	f=$(demo_copy "$BATS_TEST_TMPDIR/garbage.ko")
	head -c 300 /dev/urandom >>"$f"
	append_trailer "$f" 300 0 4
	run -0 --separate-stderr modsign strip "$f"
	assert_equal "$output" "$f: stripped 1 signature"
	assert_match "$stderr" "warning: .*garbage.ko: removing a signature the kernel would refuse: PKCS#7 signature info has unexpected non-zero params"
	assert_same_file "$f" "$DEMO_KO"
}

@test "compressed modules: stripped inside and compressed again as Kbuild does" {
	require_cmd xz xz-utils
	require_cmd zstd zstd
	f=$(signed c.ko sha256 "$TEST_KEYS/rsa.pem")
	compress_like_kbuild "$f"
	chmod 0600 "$f.xz"
	run -0 --separate-stderr modsign strip "$f.xz" "$f.zst" "$f.gz"
	assert_equal "${lines[0]}" "$f.xz: stripped 1 signature"
	xz -dc "$f.xz" | cmp - "$DEMO_KO"
	zstd -q -dc "$f.zst" | cmp - "$DEMO_KO"
	gzip -dc "$f.gz" | cmp - "$DEMO_KO"
	# the same bytes Kbuild's modules_install compression gives the unsigned module
	xz --check=crc32 --lzma2=dict=1MiB -c "$DEMO_KO" | cmp - "$f.xz"
	zstd -q -c "$DEMO_KO" | cmp - "$f.zst"
	assert_equal "$(stat -c %a "$f.xz")" 600 mode
	# corrupt compressed data: an error, untouched
	printf 'garbage' >>"$f.zst"
	before=$(ident "$f.zst")
	run -1 --separate-stderr modsign strip "$f.zst"
	assert_one_line "$stderr"
	assert_equal "$(ident "$f.zst")" "$before"
	assert_no_temp "$BATS_TEST_TMPDIR"
}

@test "bad input: missing, directory, empty, not ELF: one line naming the file, exit 1, no temp" {
	: >"$BATS_TEST_TMPDIR/empty.ko"
	echo "not a module" >"$BATS_TEST_TMPDIR/text.ko"
	mkdir "$BATS_TEST_TMPDIR/dir.ko"
	for f in "$BATS_TEST_TMPDIR/missing.ko" "$BATS_TEST_TMPDIR/dir.ko" "$BATS_TEST_TMPDIR/empty.ko" "$BATS_TEST_TMPDIR/text.ko"; do
		run -1 --separate-stderr modsign strip "$f"
		assert_equal "$output" ""
		assert_one_line "$stderr"
		assert_match "$stderr" "^modsign: $f: "
	done
	[ ! -e "$BATS_TEST_TMPDIR/missing.ko" ]
	[ ! -s "$BATS_TEST_TMPDIR/empty.ko" ]
	assert_equal "$(cat "$BATS_TEST_TMPDIR/text.ko")" "not a module"
	assert_no_temp "$BATS_TEST_TMPDIR"
}

@test "several modules: each handled, a failure does not stop the others, exit 1" {
	a=$(signed a.ko sha256 "$TEST_KEYS/rsa.pem")
	b=$(demo_copy "$BATS_TEST_TMPDIR/b.ko")
	c=$(signed c.ko sha512 "$TEST_KEYS/ec256.pem")
	run -1 --separate-stderr modsign strip "$a" "$BATS_TEST_TMPDIR/missing.ko" "$b" "$c"
	assert_equal "$output" "$(printf '%s: stripped 1 signature\n%s: stripped 1 signature' "$a" "$c")"
	assert_equal "$(wc -l <<<"$stderr")" 2
	assert_match "$stderr" "missing.ko: "
	assert_match "$stderr" "b.ko: not signed, nothing to strip"
	for m in "$a" "$b" "$c"; do
		assert_same_file "$m" "$DEMO_KO"
	done
}

@test "through a symbolic link: the target is stripped, the link stays a link" {
	f=$(signed real.ko sha256 "$TEST_KEYS/rsa.pem")
	ln -s real.ko "$BATS_TEST_TMPDIR/link.ko"
	run -0 modsign strip "$BATS_TEST_TMPDIR/link.ko"
	[ -L "$BATS_TEST_TMPDIR/link.ko" ]
	assert_same_file "$f" "$DEMO_KO"
}

@test "usage: no module or an unknown option is exit 2; --help is exit 0" {
	run -2 --separate-stderr modsign strip
	assert_match "$stderr" "Usage: modsign strip MODULE\\.\\.\\."
	run -2 --separate-stderr modsign strip -x "$DEMO_KO"
	assert_match "$stderr" "unknown option '-x'"
	run -0 modsign strip --help
	assert_equal "${lines[0]}" "Usage: modsign strip MODULE..."
}
