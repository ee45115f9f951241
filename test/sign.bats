#!/usr/bin/env bats
# modsign sign: batch signing with the managed key, compressed modules,
# idempotence, re-signing, hash choice, failures and concurrency.

# shellcheck disable=SC2154,SC2030,SC2031 # bats: run sets $output/$stderr; each @test is a subshell
load test_helper

setup_file() {
	ensure_test_keys
	# One managed key for the suite (RSA-4096 generation is slow).
	export MODSIGN_KEY_DIR=$BATS_FILE_TMPDIR/managed
	"$MODSIGN_BIN" keygen "$MODSIGN_KEY_DIR" >/dev/null
}

setup() {
	export MODSIGN_CONFIG=$BATS_TEST_TMPDIR/none.conf
}

# A tree with one module of each kind.
make_tree() {
	local t=$BATS_TEST_TMPDIR/tree
	mkdir -p "$t/a/b"
	cp "$DEMO_KO" "$t/plain.ko"
	cp "$DEMO_KO" "$t/a/gz.ko" && gzip -n "$t/a/gz.ko"
	cp "$DEMO_KO" "$t/a/xz.ko" && xz --check=crc32 --lzma2=dict=1MiB "$t/a/xz.ko"
	cp "$DEMO_KO" "$t/a/b/zst.ko" && zstd -q --rm "$t/a/b/zst.ko"
	echo "$t"
}

# decompressed FILE: the module bytes, decompressed with the standard tool.
decompressed() {
	case $1 in
	*.gz) gzip -dc "$1" ;;
	*.xz) xz -dc "$1" ;;
	*.zst) zstd -qdc "$1" ;;
	*) cat "$1" ;;
	esac
}

# assert_verifies FILE CERT: decompress with the standard tool, then verify.
assert_verifies() {
	decompressed "$1" >"$BATS_TEST_TMPDIR/check.ko"
	run -0 modsign verify --cert "$2" "$BATS_TEST_TMPDIR/check.ko"
	# Exactly one signature: stripping it gives back the original module.
	run -0 modsign strip "$BATS_TEST_TMPDIR/check.ko"
	assert_same_file "$BATS_TEST_TMPDIR/check.ko" "$DEMO_KO"
}

@test "signs .ko, .ko.gz, .ko.xz and .ko.zst in a tree with the managed key" {
	t=$(make_tree)
	run -0 --separate-stderr modsign sign --hash sha256 "$t"
	assert_equal "${lines[-1]}" "4 signed, 0 skipped, 0 re-signed, 0 failed"
	assert_equal "${lines[0]}" "signed: $t/a/b/zst.ko.zst"
	for f in "$t/plain.ko" "$t/a/gz.ko.gz" "$t/a/xz.ko.xz" "$t/a/b/zst.ko.zst"; do
		assert_verifies "$f" "$MODSIGN_KEY_DIR/signing_key.x509"
	done
	assert_no_temp "$t"
}

@test "compressed output: gzip without name or time, xz with CRC32 and a 1 MiB dictionary" {
	t=$(make_tree)
	run -0 modsign sign --hash sha256 "$t"
	run -0 xz -lvv "$t/a/xz.ko.xz"
	assert_match "$output" "CRC32"
	assert_match "$output" "Dict:1 MiB|dict=1MiB"
	[[ $output != *CRC64* ]]
	assert_equal "$(od -An -tx1 -j4 -N4 "$t/a/gz.ko.gz" | tr -d ' ')" 00000000 "gzip mtime"
	assert_equal "$(( $(od -An -tu1 -j3 -N1 "$t/a/gz.ko.gz") & 8 ))" 0 "gzip FNAME flag"
	run -0 zstd -t "$t/a/b/zst.ko.zst"
}

@test "a second run skips everything; nothing is rewritten" {
	t=$(make_tree)
	run -0 modsign sign --hash sha256 "$t"
	before=$(find "$t" -type f -printf '%p %i %Y\n' | sort; sha256sum "$t"/*.ko "$t"/a/*.* "$t"/a/b/*)
	run -0 --separate-stderr modsign sign --hash sha256 "$t"
	assert_equal "${lines[-1]}" "0 signed, 4 skipped, 0 re-signed, 0 failed"
	assert_match "$output" "skipped: $t/plain.ko \(already signed by this key\)"
	after=$(find "$t" -type f -printf '%p %i %Y\n' | sort; sha256sum "$t"/*.ko "$t"/a/*.* "$t"/a/b/*)
	assert_equal "$after" "$before" "tree"	assert_no_temp "$t"
}

@test "RSA: the batch output is byte-identical to sign-file's" {
	require_cmd "$SIGN_FILE" linux-kbuild-6.1
	cp "$DEMO_KO" "$BATS_TEST_TMPDIR/ref.ko"
	cp "$DEMO_KO" "$BATS_TEST_TMPDIR/ours.ko"
	"$SIGN_FILE" sha512 "$TEST_KEYS/rsa.pem" "$TEST_KEYS/rsa.pem" "$BATS_TEST_TMPDIR/ref.ko"
	run -0 modsign sign --key "$TEST_KEYS/rsa.pem" --hash sha512 "$BATS_TEST_TMPDIR/ours.ko"
	assert_same_file "$BATS_TEST_TMPDIR/ref.ko" "$BATS_TEST_TMPDIR/ours.ko"
}

@test "signed by another key: re-signed, the old signature replaced, never stacked" {
	m=$(demo_copy)
	"$MODSIGN_BIN" sha256 "$TEST_KEYS/other.pem" "$TEST_KEYS/other.pem" "$m"
	run -0 modsign sign --hash sha256 "$m"
	assert_equal "${lines[0]}" "re-signed: $m (replaced a signature by another key)"
	assert_equal "${lines[-1]}" "0 signed, 0 skipped, 1 re-signed, 0 failed"
	assert_verifies "$m" "$MODSIGN_KEY_DIR/signing_key.x509"
}

@test "a module signed twice is cleaned up to one signature" {
	m=$(demo_copy)
	"$MODSIGN_BIN" sha256 "$TEST_KEYS/rsa.pem" "$TEST_KEYS/rsa.pem" "$m"
	"$MODSIGN_BIN" sha256 "$TEST_KEYS/rsa.pem" "$TEST_KEYS/rsa.pem" "$m" 2>/dev/null
	run -0 modsign sign --key "$TEST_KEYS/rsa.pem" --hash sha256 "$m"
	assert_equal "${lines[0]}" "re-signed: $m (replaced 2 stacked signatures)"
	assert_verifies "$m" "$TEST_KEYS/rsa.der"
}

@test "re-sign installed modules after a key change" {
	t=$(make_tree)
	run -0 modsign sign --hash sha256 "$t"
	MODSIGN_KEY_DIR=$BATS_TEST_TMPDIR/newkey run -0 modsign sign --key "$TEST_KEYS/rsa2048.pem" --hash sha256 "$t"
	assert_equal "${lines[-1]}" "0 signed, 0 skipped, 4 re-signed, 0 failed"
	for f in "$t/plain.ko" "$t/a/gz.ko.gz" "$t/a/xz.ko.xz" "$t/a/b/zst.ko.zst"; do
		assert_verifies "$f" "$TEST_KEYS/rsa2048.der"
	done
}

@test "hash from the kernel tree: auto.conf, else .config; --hash wins; else sha512 with a warning" {
	k=$BATS_TEST_TMPDIR/kernel
	mkdir -p "$k/include/config"
	echo 'CONFIG_MODULE_SIG_HASH="sha384"' >"$k/include/config/auto.conf"
	echo 'CONFIG_MODULE_SIG_HASH="sha224"' >"$k/.config"
	m=$(demo_copy)
	run -0 modsign sign --key "$TEST_KEYS/rsa.pem" --kernel-dir "$k" "$m"
	assert_equal "$(modinfo -F sig_hashalgo "$m")" sha384
	rm "$k/include/config/auto.conf"
	m=$(demo_copy)
	run -0 modsign sign --key "$TEST_KEYS/rsa.pem" --kernel-dir "$k" "$m"
	assert_equal "$(modinfo -F sig_hashalgo "$m")" sha224
	m=$(demo_copy)
	run -0 modsign sign --key "$TEST_KEYS/rsa.pem" --kernel-dir "$k" --hash sha256 "$m"
	assert_equal "$(modinfo -F sig_hashalgo "$m")" sha256
	rm "$k/.config"
	m=$(demo_copy)
	run -0 --separate-stderr modsign sign --key "$TEST_KEYS/rsa.pem" --kernel-dir "$k" "$m"
	assert_equal "$(modinfo -F sig_hashalgo "$m")" sha512
	assert_match "$stderr" "no CONFIG_MODULE_SIG_HASH in $k; signing with sha512"
}

@test "--kver reads /lib/modules/KVER/build (Debian headers: sha256)" {
	kdir=$("$TOP/scripts/kdir")
	kver=$(basename "$(dirname "$kdir")")
	m=$(demo_copy)
	run -0 modsign sign --key "$TEST_KEYS/rsa.pem" --kver "$kver" "$m"
	assert_equal "$(modinfo -F sig_hashalgo "$m")" "$(sed -n 's/^CONFIG_MODULE_SIG_HASH="\{0,1\}\([^"]*\)"\{0,1\}$/\1/p' "$kdir/include/config/auto.conf")"
}

@test "mode and owner are kept" {
	m=$(demo_copy)
	chmod 0640 "$m"
	chown 1234:5678 "$m" 2>/dev/null || skip "cannot chown here (needs root)"
	run -0 modsign sign --hash sha256 "$m"
	assert_equal "$(stat -c '%a %u %g' "$m")" "640 1234 5678"
}

@test "a failing module does not stop the others; exit 1 and a summary" {
	t=$BATS_TEST_TMPDIR/t
	mkdir "$t"
	cp "$DEMO_KO" "$t/a.ko"
	echo "not a module" >"$t/b.ko"
	printf 'garbage' | gzip >"$t/c.ko.gz"
	cp "$DEMO_KO" "$t/d.ko"
	b=$(sha "$t/b.ko") c=$(sha "$t/c.ko.gz")
	run -1 --separate-stderr modsign sign --hash sha256 "$t"
	assert_equal "${lines[-1]}" "2 signed, 0 skipped, 0 re-signed, 2 failed"
	assert_match "$output" "failed: $t/b.ko"
	assert_match "$stderr" "$t/b.ko: not an ELF file"
	assert_match "$stderr" "$t/c.ko.gz: not an ELF file"
	assert_equal "$(sha "$t/b.ko") $(sha "$t/c.ko.gz")" "$b $c"
	assert_verifies "$t/d.ko" "$MODSIGN_KEY_DIR/signing_key.x509"	assert_no_temp "$t"
}

@test "a corrupt compressed module fails clearly and stays untouched" {
	t=$BATS_TEST_TMPDIR/t
	mkdir "$t"
	cp "$DEMO_KO" "$t/x.ko" && xz "$t/x.ko"
	head -c 2000 "$t/x.ko.xz" >"$t/cut.ko.xz"
	before=$(sha "$t/cut.ko.xz")
	run -1 --separate-stderr modsign sign --hash sha256 "$t/cut.ko.xz"
	assert_one_line "$stderr"
	assert_match "$stderr" "^modsign: $t/cut.ko.xz: "
	assert_equal "$(sha "$t/cut.ko.xz")" "$before"
}

@test "symlinks inside a walked tree are not followed; a named symlink signs its target" {
	t=$BATS_TEST_TMPDIR/t
	mkdir "$t"
	cp "$DEMO_KO" "$BATS_TEST_TMPDIR/outside.ko"
	ln -s ../outside.ko "$t/link.ko"
	run -0 modsign sign --hash sha256 "$t"
	assert_equal "${lines[-1]}" "0 signed, 0 skipped, 0 re-signed, 0 failed"
	assert_same_file "$BATS_TEST_TMPDIR/outside.ko" "$DEMO_KO"
	run -0 modsign sign --hash sha256 "$t/link.ko"
	[ -L "$t/link.ko" ]
	assert_verifies "$BATS_TEST_TMPDIR/outside.ko" "$MODSIGN_KEY_DIR/signing_key.x509"
}

@test "-j 1 and -j 4 give the same bytes" {
	for j in 1 4; do
		mkdir -p "$BATS_TEST_TMPDIR/j$j"
		for i in 1 2 3 4 5 6; do cp "$DEMO_KO" "$BATS_TEST_TMPDIR/j$j/m$i.ko"; done
		run -0 modsign sign --key "$TEST_KEYS/rsa2048.pem" --hash sha256 -j "$j" "$BATS_TEST_TMPDIR/j$j"
	done
	for i in 1 2 3 4 5 6; do
		assert_same_file "$BATS_TEST_TMPDIR/j1/m$i.ko" "$BATS_TEST_TMPDIR/j4/m$i.ko"
	done
}

@test "--sync file fsyncs every module; --sync batch uses syncfs; the bytes are the same" {
	require_cmd strace strace
	for mode in file batch; do
		mkdir -p "$BATS_TEST_TMPDIR/$mode"
		for i in 1 2 3 4 5; do cp "$DEMO_KO" "$BATS_TEST_TMPDIR/$mode/m$i.ko"; done
		# (LeakSanitizer cannot run under ptrace.)
		ASAN_OPTIONS=detect_leaks=0 run -0 strace -f -qq -e trace=fsync,fdatasync,syncfs -o "$BATS_TEST_TMPDIR/$mode.trace" \
			"$MODSIGN_BIN" sign --sync "$mode" --key "$TEST_KEYS/rsa2048.pem" --hash sha256 "$BATS_TEST_TMPDIR/$mode"
		[ "${lines[5]}" = "5 signed, 0 skipped, 0 re-signed, 0 failed" ]
	done
	# file: one fsync of each module and one of its directory; no syncfs.
	run -1 grep -c 'syncfs(' "$BATS_TEST_TMPDIR/file.trace"
	run -0 grep -c '^[0-9]* *fsync(' "$BATS_TEST_TMPDIR/file.trace"
	[ "$output" -eq 10 ]
	# batch: no fsync per module; syncfs before the renames and at the end.
	run -1 grep -c '^[0-9]* *fsync(' "$BATS_TEST_TMPDIR/batch.trace"
	run -0 grep -c 'syncfs(' "$BATS_TEST_TMPDIR/batch.trace"
	[ "$output" -ge 2 ]
	for i in 1 2 3 4 5; do
		assert_same_file "$BATS_TEST_TMPDIR/file/m$i.ko" "$BATS_TEST_TMPDIR/batch/m$i.ko"
	done
	# One module (Kbuild's cmd_sign): fsync, not syncfs, whatever --sync says.
	cp "$DEMO_KO" "$BATS_TEST_TMPDIR/one.ko"
	ASAN_OPTIONS=detect_leaks=0 run -0 strace -f -qq -e trace=fsync,fdatasync,syncfs -o "$BATS_TEST_TMPDIR/one.trace" \
		"$MODSIGN_BIN" sign --key "$TEST_KEYS/rsa2048.pem" --hash sha256 "$BATS_TEST_TMPDIR/one.ko"
	run -1 grep -c 'syncfs(' "$BATS_TEST_TMPDIR/one.trace"
	run -0 grep -c '^[0-9]* *fsync(' "$BATS_TEST_TMPDIR/one.trace"
	[ "$output" -eq 2 ]
	run -2 --separate-stderr modsign sign --sync never "$BATS_TEST_TMPDIR/file"
	[ "$stderr" = "modsign: --sync never: expected batch or file" ]
}

@test "--sync batch syncs whole groups: 300 modules, 3 syncfs (256, then 44, then the last renames)" {
	require_cmd strace strace
	local t=$BATS_TEST_TMPDIR/many
	mkdir "$t"
	for i in $(seq 300); do cp "$DEMO_KO" "$t/m$i.ko"; done
	ASAN_OPTIONS=detect_leaks=0 run -0 strace -f -qq -e trace=fsync,fdatasync,syncfs -o "$BATS_TEST_TMPDIR/many.trace" \
		"$MODSIGN_BIN" sign -j2 --key "$TEST_KEYS/rsa2048.pem" --hash sha256 "$t"
	assert_equal "${lines[-1]}" "300 signed, 0 skipped, 0 re-signed, 0 failed"
	# A syncfs per file written would be a journal commit per file: slower
	# than fsync.  (Before groups were waited for, this run made ~150.)
	run -0 grep -c 'syncfs(' "$BATS_TEST_TMPDIR/many.trace"
	assert_equal "$output" 3
	run -1 grep -c 'fsync(' "$BATS_TEST_TMPDIR/many.trace"
	run -0 modsign verify --cert "$TEST_KEYS/rsa2048.pem" "$t"/*.ko
	assert_no_temp "$t"
}

@test "a low descriptor limit: fewer temporary files made ahead, or none; every module is still signed" {
	local t=$BATS_TEST_TMPDIR/t lim
	# 1600: room for 64 made ahead beside the batch's 1536; 1024: none.
	for lim in 1600 1024; do
		rm -rf "$t" && mkdir "$t"
		for i in $(seq 300); do cp "$DEMO_KO" "$t/m$i.ko"; done
		# shellcheck disable=SC2016 # expanded by that bash
		run -0 --separate-stderr bash -c 'ulimit -n "$1" && exec "$2" sign -j2 --key "$3" --hash sha256 "$4"' _ \
			"$lim" "$MODSIGN_BIN" "$TEST_KEYS/rsa2048.pem" "$t"
		assert_equal "${lines[-1]}" "300 signed, 0 skipped, 0 re-signed, 0 failed"
		assert_equal "$stderr" ""
		run -0 modsign verify --cert "$TEST_KEYS/rsa2048.pem" "$t"/*.ko
		assert_no_temp "$t"
	done
}

@test "no key yet: exactly one managed key is created, 0700 dir, 0600 key, RSA-4096; 8 parallel runs share it" {
	export MODSIGN_KEY_DIR=$BATS_TEST_TMPDIR/fresh/keys
	for i in 1 2 3 4 5 6 7 8; do
		mkdir "$BATS_TEST_TMPDIR/m$i"
		cp "$DEMO_KO" "$BATS_TEST_TMPDIR/m$i/demo.ko"
	done
	pids=()
	for i in 1 2 3 4 5 6 7 8; do
		"$MODSIGN_BIN" sign --hash sha256 "$BATS_TEST_TMPDIR/m$i" >"$BATS_TEST_TMPDIR/out$i" 2>"$BATS_TEST_TMPDIR/err$i" &
		pids+=($!)
	done
	for p in "${pids[@]}"; do wait "$p"; done
	assert_equal "$(cat "$BATS_TEST_TMPDIR"/err* | grep -c 'created the managed signing key')" 1 "keys created"
	assert_equal "$(stat -c %a "$MODSIGN_KEY_DIR")" 700 "dir mode"
	assert_equal "$(stat -c %a "$MODSIGN_KEY_DIR/signing_key.pem")" 600 "key mode"
	run -0 openssl x509 -in "$MODSIGN_KEY_DIR/signing_key.x509" -inform DER -noout -text
	assert_match "$output" "Public-Key: \(4096 bit\)"
	for i in 1 2 3 4 5 6 7 8; do
		assert_verifies "$BATS_TEST_TMPDIR/m$i/demo.ko" "$MODSIGN_KEY_DIR/signing_key.x509"
	done
	assert_no_temp "$MODSIGN_KEY_DIR"
}

@test "a half-present managed key is never regenerated" {
	export MODSIGN_KEY_DIR=$BATS_TEST_TMPDIR/half
	mkdir -m 700 "$MODSIGN_KEY_DIR"
	cp "$TEST_KEYS/rsa.der" "$MODSIGN_KEY_DIR/signing_key.x509"
	m=$(demo_copy)
	run -1 --separate-stderr modsign sign --hash sha256 "$m"
	assert_one_line "$stderr"
	assert_match "$stderr" "signing_key.pem: missing, but .*signing_key.x509 exists; not regenerating"
	assert_equal "$(ls "$MODSIGN_KEY_DIR")" signing_key.x509
	assert_same_file "$m" "$DEMO_KO"
	rm "$MODSIGN_KEY_DIR/signing_key.x509"
	cp "$TEST_KEYS/rsa.pem" "$MODSIGN_KEY_DIR/signing_key.pem"
	run -1 --separate-stderr modsign sign --hash sha256 "$m"
	assert_match "$stderr" "signing_key.x509: missing, but .*signing_key.pem exists; not regenerating"
	assert_same_file "$MODSIGN_KEY_DIR/signing_key.pem" "$TEST_KEYS/rsa.pem"
}

@test "zlib, liblzma and libzstd are loaded only for a module that needs one; a missing one is a clear error" {
	t=$(make_tree)
	k=(--key "$TEST_KEYS/rsa2048.pem" --hash sha256)
	# ld.so names every library it loads (LD_DEBUG=files).
	run -0 --separate-stderr env LD_DEBUG=files "$MODSIGN_BIN" sign "${k[@]}" "$t/plain.ko"
	[[ $stderr != *libz.so* && $stderr != *liblzma.so* && $stderr != *libzstd.so* ]]
	run -0 --separate-stderr env LD_DEBUG=files "$MODSIGN_BIN" sign "${k[@]}" "$t/a/b/zst.ko.zst"
	[[ $stderr == *"file=libzstd.so.1 [0];  dynamically loaded by"* ]]
	[[ $stderr != *libz.so* && $stderr != *liblzma.so* ]]
	assert_verifies "$t/a/b/zst.ko.zst" "$TEST_KEYS/rsa2048.pem"
	# Without libzstd (a private mount namespace hides it): the .zst module
	# fails in one line naming the package, stays untouched; the rest signs.
	if [ "$(id -u)" != 0 ] && [ -z "${CI:-}" ]; then
		skip "hiding a library needs root (unshare -m) and this is not root"
	fi
	cached=$(ldconfig -p | awk '$1 == "libzstd.so.1" { print $NF; exit }')
	lib=$(realpath "$cached")
	rm "$t/a/b/zst.ko.zst"
	cp "$DEMO_KO" "$t/a/b/zst.ko" && zstd -q --rm "$t/a/b/zst.ko"
	before=$(sha "$t/a/b/zst.ko.zst")
	# shellcheck disable=SC2016 # $1 and $@ are the inner shell's
	run -1 --separate-stderr unshare -m sh -c 'mount --bind /dev/null "$1" && shift && exec "$@"' _ "$lib" \
		"$MODSIGN_BIN" sign "${k[@]}" "$t"
	assert_equal "$stderr" \
		"modsign: $t/a/b/zst.ko.zst: cannot load libzstd.so.1: $cached: file too short (apt-get install libzstd1)"
	assert_equal "${lines[-1]}" "2 signed, 1 skipped, 0 re-signed, 1 failed"
	assert_equal "$(sha "$t/a/b/zst.ko.zst")" "$before"
	assert_no_temp "$t"
}

@test "a damaged managed key is an error, not replaced" {
	export MODSIGN_KEY_DIR=$BATS_TEST_TMPDIR/damaged
	mkdir -m 700 "$MODSIGN_KEY_DIR"
	echo "garbage" >"$MODSIGN_KEY_DIR/signing_key.pem"
	chmod 600 "$MODSIGN_KEY_DIR/signing_key.pem"
	cp "$TEST_KEYS/rsa.der" "$MODSIGN_KEY_DIR/signing_key.x509"
	m=$(demo_copy)
	run -1 --separate-stderr modsign sign --hash sha256 "$m"
	assert_match "$stderr" "signing_key.pem: no PEM private key found"
	assert_equal "$(cat "$MODSIGN_KEY_DIR/signing_key.pem")" garbage
}

@test "the key directory comes from MODSIGN_KEY_DIR, else the config file" {
	unset MODSIGN_KEY_DIR
	cfg=$BATS_TEST_TMPDIR/modsign.conf
	printf 'key_dir = %s\n' "$BATS_FILE_TMPDIR/managed" >"$cfg"
	m=$(demo_copy)
	MODSIGN_CONFIG=$cfg run -0 modsign sign --hash sha256 "$m"
	assert_verifies "$m" "$BATS_FILE_TMPDIR/managed/signing_key.x509"
}

@test "usage errors exit 2" {
	run -2 --separate-stderr modsign sign
	assert_match "$stderr" "Usage: modsign sign"
	run -2 --separate-stderr modsign sign --kver 1 --kernel-dir /x m.ko
	run -2 --separate-stderr modsign sign --cert c.pem m.ko
	run -2 --separate-stderr modsign sign -j 0 m.ko
	run -1 --separate-stderr modsign sign --hash md5 m.ko
	assert_match "$stderr" "md5: unknown hash algorithm"
}

@test "on a terminal a progress line is shown on stderr; nothing extra when it is not a terminal" {
	require_cmd script bsdutils
	for d in tty notty; do
		mkdir "$BATS_TEST_TMPDIR/$d"
		for i in 1 2 3 4 5 6; do cp "$DEMO_KO" "$BATS_TEST_TMPDIR/$d/m$i.ko"; done
	done
	run -0 script -qec "$MODSIGN_BIN sign --key $TEST_KEYS/rsa2048.pem --hash sha256 -j 2 $BATS_TEST_TMPDIR/tty" /dev/null
	assert_match "$output" "modsign: signing 6/6 modules"
	run -0 --separate-stderr modsign sign --key "$TEST_KEYS/rsa2048.pem" --hash sha256 -j 2 "$BATS_TEST_TMPDIR/notty"
	assert_equal "$stderr" "" "stderr"
	assert_equal "${lines[-1]}" "6 signed, 0 skipped, 0 re-signed, 0 failed"
}
