#!/usr/bin/env bats
# The sign-file command line: byte-identical to the kernel's own scripts/sign-file.

# shellcheck disable=SC2154 # $output and $stderr are set by bats' run
load test_helper

setup_file() {
	ensure_test_keys
}

setup() {
	require_cmd "$SIGN_FILE" linux-kbuild-6.1
}

# sign_both ARGS...: sign one copy with sign-file and one with modsign, same args.
# The module is the last argument's placeholder MOD.
sign_both() {
	cp "$DEMO_KO" "$BATS_TEST_TMPDIR/ref.ko"
	cp "$DEMO_KO" "$BATS_TEST_TMPDIR/ours.ko"
	"$SIGN_FILE" "${@/MOD/$BATS_TEST_TMPDIR/ref.ko}"
	modsign "${@/MOD/$BATS_TEST_TMPDIR/ours.ko}"
}

@test "RSA-4096: byte-identical to sign-file for every hash, by issuer+serial and by SKID" {
	for h in sha1 sha224 sha256 sha384 sha512; do
		for k in "" -k; do
			# shellcheck disable=SC2086
			sign_both $k "$h" "$TEST_KEYS/rsa.pem" "$TEST_KEYS/rsa.pem" MOD
			assert_same_file "$BATS_TEST_TMPDIR/ref.ko" "$BATS_TEST_TMPDIR/ours.ko"
		done
	done
}

@test "RSA-2048 with a DER certificate: byte-identical to sign-file" {
	for h in sha256 sha512; do
		sign_both "$h" "$TEST_KEYS/rsa2048.pem" "$TEST_KEYS/rsa2048.der" MOD
		assert_same_file "$BATS_TEST_TMPDIR/ref.ko" "$BATS_TEST_TMPDIR/ours.ko"
	done
}

@test "the signature is really appended: marker, zero fields, id_type 2, sig_len" {
	sign_both sha256 "$TEST_KEYS/rsa.pem" "$TEST_KEYS/rsa.pem" MOD
	f=$BATS_TEST_TMPDIR/ours.ko
	assert_equal "$(tail -c 28 "$f")" "~Module signature appended~"
	info=$(tail -c 40 "$f" | head -c 12 | od -An -tx1 | tr -d ' \n')
	assert_equal "${info:0:16}" "0000020000000000" "module_signature fields"
	sig_len=$((16#${info:16:8}))
	total=$(stat -c %s "$f")
	orig=$(stat -c %s "$DEMO_KO")
	assert_equal "$((orig + sig_len + 40))" "$total" "size"
	head -c "$orig" "$f" | cmp - "$DEMO_KO"
}

@test "-p writes MODULE.p7s identical to sign-file's, and signs the module" {
	sign_both -p sha512 "$TEST_KEYS/rsa.pem" "$TEST_KEYS/rsa.pem" MOD
	assert_same_file "$BATS_TEST_TMPDIR/ref.ko.p7s" "$BATS_TEST_TMPDIR/ours.ko.p7s"
	assert_same_file "$BATS_TEST_TMPDIR/ref.ko" "$BATS_TEST_TMPDIR/ours.ko"
}

@test "-d writes only MODULE.p7s, identical to sign-file's; the module is untouched" {
	for k in "" -k; do
		# shellcheck disable=SC2086
		sign_both -d $k sha256 "$TEST_KEYS/rsa.pem" "$TEST_KEYS/rsa.pem" MOD
		assert_same_file "$BATS_TEST_TMPDIR/ref.ko.p7s" "$BATS_TEST_TMPDIR/ours.ko.p7s"
		assert_same_file "$DEMO_KO" "$BATS_TEST_TMPDIR/ours.ko"
	done
}

@test "the .p7s verifies with openssl cms -verify against the module" {
	m=$(demo_copy)
	run -0 modsign -d sha384 "$TEST_KEYS/rsa.pem" "$TEST_KEYS/rsa.pem" "$m"
	run -0 openssl cms -verify -binary -inform DER -in "$m.p7s" -content "$m" \
		-certfile "$TEST_KEYS/rsa.pem" -nointern -noverify -out /dev/null
}

@test "DEST: writes the signed module to DEST, identical to sign-file; MODULE untouched" {
	cp "$DEMO_KO" "$BATS_TEST_TMPDIR/in.ko"
	"$SIGN_FILE" sha256 "$TEST_KEYS/rsa.pem" "$TEST_KEYS/rsa.pem" "$BATS_TEST_TMPDIR/in.ko" "$BATS_TEST_TMPDIR/ref.ko"
	run -0 modsign sha256 "$TEST_KEYS/rsa.pem" "$TEST_KEYS/rsa.pem" "$BATS_TEST_TMPDIR/in.ko" "$BATS_TEST_TMPDIR/ours.ko"
	assert_same_file "$BATS_TEST_TMPDIR/ref.ko" "$BATS_TEST_TMPDIR/ours.ko"
	assert_same_file "$DEMO_KO" "$BATS_TEST_TMPDIR/in.ko"
}

@test "called as sign-file through a symlink, it takes the same command line" {
	ln -s "$MODSIGN_BIN" "$BATS_TEST_TMPDIR/sign-file"
	cp "$DEMO_KO" "$BATS_TEST_TMPDIR/ref.ko"
	cp "$DEMO_KO" "$BATS_TEST_TMPDIR/ours.ko"
	"$SIGN_FILE" -k sha256 "$TEST_KEYS/rsa.pem" "$TEST_KEYS/rsa.der" "$BATS_TEST_TMPDIR/ref.ko"
	run -0 "$BATS_TEST_TMPDIR/sign-file" -k sha256 "$TEST_KEYS/rsa.pem" "$TEST_KEYS/rsa.der" "$BATS_TEST_TMPDIR/ours.ko"
	assert_same_file "$BATS_TEST_TMPDIR/ref.ko" "$BATS_TEST_TMPDIR/ours.ko"
	run -2 --separate-stderr "$BATS_TEST_TMPDIR/sign-file" sha256
	assert_match "$stderr" "^Usage: sign-file "
}

@test "ECDSA P-256 and P-384: same structure as sign-file's, and openssl cms -verify accepts" {
	for k in ec256 ec384; do
		for h in sha256 sha384 sha512; do
			sign_both "$h" "$TEST_KEYS/$k.pem" "$TEST_KEYS/$k.pem" MOD
			for f in ref ours; do
				m=$BATS_TEST_TMPDIR/$f.ko
				orig=$(stat -c %s "$DEMO_KO")
				sig_len=$(( $(stat -c %s "$m") - orig - 40 ))
				tail -c +"$((orig + 1))" "$m" | head -c "$sig_len" >"$m.sig"
				openssl cms -verify -binary -inform DER -in "$m.sig" -content "$DEMO_KO" \
					-certfile "$TEST_KEYS/$k.pem" -nointern -noverify -out /dev/null
				# The structure, less the signature value itself.
				openssl cms -cmsout -print -inform DER -in "$m.sig" |
					grep -v -e 'signature:' -e '^ *[0-9a-f]\{4\} - ' >"$m.struct"
			done
			assert_same_file "$BATS_TEST_TMPDIR/ref.ko.struct" "$BATS_TEST_TMPDIR/ours.ko.struct"
			assert_equal "$(tail -c 40 "$BATS_TEST_TMPDIR/ours.ko" | head -c 8 | od -An -tx1 | tr -d ' \n')" "0000020000000000"
		done
	done
}

# rand_run LOG CMD...: run CMD with rand-log.so, which writes to LOG the name
# of every random generator OpenSSL is asked for.
rand_run() {
	local log=$1 so=$BUILD/rand-log.so
	shift
	[ -f "$so" ] || { echo "$so is missing: run make test-bins" >&2; return 1; }
	rm -f "$log"
	RAND_LOG=$log LD_PRELOAD=$so ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0" "$@"
}

@test "random bytes come from HASH-DRBG, or from the generator openssl.cnf names; output unchanged" {
	local log=$BATS_TEST_TMPDIR/rand.log cnf=$BATS_TEST_TMPDIR/openssl.cnf
	local ref=$BATS_TEST_TMPDIR/ref.ko ours=$BATS_TEST_TMPDIR/ours.ko
	# OpenSSL's default, as sign-file gets it: CTR-DRBG.
	cp "$DEMO_KO" "$ref"
	rand_run "$log" "$SIGN_FILE" sha512 "$TEST_KEYS/rsa.pem" "$TEST_KEYS/rsa.pem" "$ref"
	grep -qx CTR-DRBG "$log"
	run ! grep -x HASH-DRBG "$log"
	# modsign asks for HASH-DRBG; RSA signatures stay byte-identical.
	cp "$DEMO_KO" "$ours"
	rand_run "$log" "$MODSIGN_BIN" sha512 "$TEST_KEYS/rsa.pem" "$TEST_KEYS/rsa.pem" "$ours"
	grep -qx HASH-DRBG "$log"
	run ! grep -x CTR-DRBG "$log"
	assert_same_file "$ref" "$ours"
	# An ECDSA signature, whose nonce is drawn from it, verifies.
	cp "$DEMO_KO" "$ours"
	rand_run "$log" "$MODSIGN_BIN" sha384 "$TEST_KEYS/ec384.pem" "$TEST_KEYS/ec384.pem" "$ours"
	grep -qx HASH-DRBG "$log"
	modsign verify --cert "$TEST_KEYS/ec384.pem" "$ours"
	# A random section in openssl.cnf still decides.
	printf 'openssl_conf = init\n[init]\nrandom = rand\n[rand]\nrandom = CTR-DRBG\n' >"$cnf"
	cp "$DEMO_KO" "$ours"
	OPENSSL_CONF=$cnf rand_run "$log" "$MODSIGN_BIN" sha512 "$TEST_KEYS/rsa.pem" "$TEST_KEYS/rsa.pem" "$ours"
	grep -qx CTR-DRBG "$log"
	run ! grep -x HASH-DRBG "$log"
	assert_same_file "$ref" "$ours"
}

@test "an encrypted key is unlocked with KBUILD_SIGN_PIN, byte-identical to sign-file" {
	cp "$DEMO_KO" "$BATS_TEST_TMPDIR/ref.ko"
	cp "$DEMO_KO" "$BATS_TEST_TMPDIR/ours.ko"
	KBUILD_SIGN_PIN=s3cret-pin "$SIGN_FILE" sha256 "$TEST_KEYS/enc.pem" "$TEST_KEYS/enc.crt" "$BATS_TEST_TMPDIR/ref.ko"
	KBUILD_SIGN_PIN=s3cret-pin run -0 --separate-stderr modsign sha256 "$TEST_KEYS/enc.pem" "$TEST_KEYS/enc.crt" "$BATS_TEST_TMPDIR/ours.ko"
	assert_same_file "$BATS_TEST_TMPDIR/ref.ko" "$BATS_TEST_TMPDIR/ours.ko"
	[[ "$output$stderr" != *s3cret-pin* ]]
}

@test "mode of the module is kept; no temporary file is left" {
	m=$(demo_copy)
	chmod 0640 "$m"
	run -0 modsign sha256 "$TEST_KEYS/rsa.pem" "$TEST_KEYS/rsa.pem" "$m"
	assert_equal "$(stat -c %a "$m")" 640 mode
	assert_no_temp "$BATS_TEST_TMPDIR"
}

# trace_sync FILE ARGS...: run modsign under strace, logging fsync and rename.
trace_sync() {
	local trace=$1
	shift
	# (LeakSanitizer cannot run under ptrace.)
	ASAN_OPTIONS=detect_leaks=0 run -0 strace -f -qq -e trace=fsync,fdatasync,syncfs,rename,renameat,renameat2 \
		-o "$trace" "$MODSIGN_BIN" "$@"
}

@test "the signed module is fsynced before its rename; nothing is synced after it (as Kbuild's own copy)" {
	require_cmd strace strace
	local t=$BATS_TEST_TMPDIR
	cp "$DEMO_KO" "$t/ref.ko"
	"$SIGN_FILE" -p sha512 "$TEST_KEYS/rsa.pem" "$TEST_KEYS/rsa.pem" "$t/ref.ko"
	# With a key (the module part is written and fsynced by a second thread),
	# and attaching a detached signature (-s).
	cp "$DEMO_KO" "$t/key.ko"
	trace_sync "$t/key.trace" sha512 "$TEST_KEYS/rsa.pem" "$TEST_KEYS/rsa.pem" "$t/key.ko"
	cp "$DEMO_KO" "$t/raw.ko"
	trace_sync "$t/raw.trace" -s "$t/ref.ko.p7s" sha512 "$TEST_KEYS/rsa.pem" "$t/raw.ko"
	for k in key raw; do
		assert_same_file "$t/ref.ko" "$t/$k.ko"
		# The calls, in order, with the pids cut off: fsyncs, then one rename, then nothing.
		run -0 sed -E 's/^[0-9]+ +//; s/\(.*//' "$t/$k.trace"
		[ "${lines[-1]}" = rename ] || [ "${lines[-1]}" = renameat ] || [ "${lines[-1]}" = renameat2 ]
		[ "${#lines[@]}" -ge 2 ]
		for l in "${lines[@]:0:${#lines[@]}-1}"; do [ "$l" = fsync ]; done
		run -0 grep -c "\"$t/$k.ko.~modsign~[A-Za-z0-9]*\", \"$t/$k.ko\"" "$t/$k.trace"
	done
	assert_no_temp "$t"
}

@test "an already signed module gets a second signature, as with sign-file, and a warning" {
	cp "$DEMO_KO" "$BATS_TEST_TMPDIR/ref.ko"
	cp "$DEMO_KO" "$BATS_TEST_TMPDIR/ours.ko"
	for _ in 1 2; do
		"$SIGN_FILE" sha256 "$TEST_KEYS/rsa.pem" "$TEST_KEYS/rsa.pem" "$BATS_TEST_TMPDIR/ref.ko"
	done
	run -0 modsign sha256 "$TEST_KEYS/rsa.pem" "$TEST_KEYS/rsa.pem" "$BATS_TEST_TMPDIR/ours.ko"
	run -0 --separate-stderr modsign sha256 "$TEST_KEYS/rsa.pem" "$TEST_KEYS/rsa.pem" "$BATS_TEST_TMPDIR/ours.ko"
	assert_match "$stderr" "already signed"
	assert_same_file "$BATS_TEST_TMPDIR/ref.ko" "$BATS_TEST_TMPDIR/ours.ko"
}

# --- bad input: one line on stderr naming the file and the reason, exit code, input untouched

# bad CODE REGEX ARGS...: run modsign, check exit code, one stderr line, the module untouched.
bad() {
	local code=$1 re=$2
	shift 2
	local m=$BATS_TEST_TMPDIR/demo.ko before=""
	[ -f "$m" ] && before=$(sha "$m")
	run "-$code" --separate-stderr modsign "$@"
	assert_one_line "$stderr"
	assert_match "$stderr" "$re"
	[ -z "$before" ] || assert_equal "$(sha "$m")" "$before" "module checksum"
	assert_no_temp "$BATS_TEST_TMPDIR"
}

@test "usage errors exit 2" {
	run -2 --separate-stderr modsign sha256 a b
	assert_match "$stderr" "Usage: modsign \[-dpk\] HASH KEY X509 MODULE \[DEST\]"
	run -2 --separate-stderr modsign -x sha256 a b c
	assert_match "$stderr" "unknown option"
	run -2 --separate-stderr modsign -s -p sig sha256 c m
}

@test "missing, empty, directory, not ELF module" {
	k=$TEST_KEYS/rsa.pem
	bad 1 "^modsign: $BATS_TEST_TMPDIR/nope.ko: No such file or directory$" sha256 "$k" "$k" "$BATS_TEST_TMPDIR/nope.ko"
	: >"$BATS_TEST_TMPDIR/empty.ko"
	bad 1 "^modsign: $BATS_TEST_TMPDIR/empty.ko: empty file" sha256 "$k" "$k" "$BATS_TEST_TMPDIR/empty.ko"
	[ ! -s "$BATS_TEST_TMPDIR/empty.ko" ]
	mkdir "$BATS_TEST_TMPDIR/dir.ko"
	bad 1 "^modsign: $BATS_TEST_TMPDIR/dir.ko: is a directory$" sha256 "$k" "$k" "$BATS_TEST_TMPDIR/dir.ko"
	echo "hello" >"$BATS_TEST_TMPDIR/text.ko"
	bad 1 "^modsign: $BATS_TEST_TMPDIR/text.ko: not an ELF file" sha256 "$k" "$k" "$BATS_TEST_TMPDIR/text.ko"
	assert_equal "$(cat "$BATS_TEST_TMPDIR/text.ko")" hello
}

@test "unknown hash" {
	m=$(demo_copy)
	bad 1 "^modsign: md5: unknown hash algorithm" md5 "$TEST_KEYS/rsa.pem" "$TEST_KEYS/rsa.pem" "$m"
	bad 1 "^modsign: whirlpool: unknown hash algorithm" whirlpool "$TEST_KEYS/rsa.pem" "$TEST_KEYS/rsa.pem" "$m"
}

@test "encrypted key: no PIN, wrong PIN; the PIN is never printed" {
	m=$(demo_copy)
	bad 1 "^modsign: $TEST_KEYS/enc.pem: private key is encrypted; set KBUILD_SIGN_PIN" sha256 "$TEST_KEYS/enc.pem" "$TEST_KEYS/enc.crt" "$m"
	export KBUILD_SIGN_PIN=wrong-pin-value
	bad 1 "^modsign: $TEST_KEYS/enc.pem: cannot decrypt private key: wrong KBUILD_SIGN_PIN$" sha256 "$TEST_KEYS/enc.pem" "$TEST_KEYS/enc.crt" "$m"
	[[ "$stderr$output" != *wrong-pin-value* ]]
}

@test "key and certificate that do not match" {
	m=$(demo_copy)
	bad 1 "^modsign: $TEST_KEYS/rsa.pem: private key does not match the certificate $TEST_KEYS/other.der" \
		sha256 "$TEST_KEYS/rsa.pem" "$TEST_KEYS/other.der" "$m"
}

@test "missing or garbage key and certificate files" {
	m=$(demo_copy)
	bad 1 "^modsign: $BATS_TEST_TMPDIR/none.pem: No such file or directory$" sha256 "$BATS_TEST_TMPDIR/none.pem" "$TEST_KEYS/rsa.pem" "$m"
	echo garbage >"$BATS_TEST_TMPDIR/garbage.pem"
	bad 1 "^modsign: $BATS_TEST_TMPDIR/garbage.pem: no PEM private key found" sha256 "$BATS_TEST_TMPDIR/garbage.pem" "$TEST_KEYS/rsa.pem" "$m"
	bad 1 "^modsign: $BATS_TEST_TMPDIR/garbage.pem: no X.509 certificate found" sha256 "$TEST_KEYS/rsa.pem" "$BATS_TEST_TMPDIR/garbage.pem" "$m"
	printf '\x30\x82\x01\x00garbage' >"$BATS_TEST_TMPDIR/bad.der"
	bad 1 "^modsign: $BATS_TEST_TMPDIR/bad.der: not a DER X.509 certificate" sha256 "$TEST_KEYS/rsa.pem" "$BATS_TEST_TMPDIR/bad.der" "$m"
}

# mount_tmpfs DIR OPTIONS: a small tmpfs for full-disk and read-only cases.
mounted=()
mount_tmpfs() {
	mkdir -p "$1"
	mount -t tmpfs -o "$2" tmpfs "$1" 2>/dev/null ||
		skip "cannot mount a tmpfs here (needs root): $2"
	mounted+=("$1")
}

teardown() {
	local d
	for d in "${mounted[@]}"; do
		umount "$d" 2>/dev/null || true
	done
}

@test "read-only target: error, module untouched" {
	d=$BATS_TEST_TMPDIR/ro
	mount_tmpfs "$d" size=1m
	cp "$DEMO_KO" "$d/demo.ko"
	mount -o remount,ro "$d"
	run -1 --separate-stderr modsign sha256 "$TEST_KEYS/rsa.pem" "$TEST_KEYS/rsa.pem" "$d/demo.ko"
	assert_same_file "$d/demo.ko" "$DEMO_KO"
	assert_one_line "$stderr"
	assert_match "$stderr" "^modsign: $d/demo.ko: cannot create temporary file: Read-only file system$"
}

@test "full disk: error, module byte-for-byte untouched, no temporary file left" {
	d=$BATS_TEST_TMPDIR/full
	size=$(( $(stat -c %s "$DEMO_KO") / 1024 + 40 ))
	mount_tmpfs "$d" "size=${size}k"
	cp "$DEMO_KO" "$d/demo.ko"
	# Fill what is left, so the signed copy cannot be written.
	dd if=/dev/zero of="$d/filler" bs=1k count=$((size - 4)) 2>/dev/null || true
	run -1 --separate-stderr modsign sha256 "$TEST_KEYS/rsa.pem" "$TEST_KEYS/rsa.pem" "$d/demo.ko"
	left=$(find "$d" -name '*~modsign~*')
	same=$(cmp "$d/demo.ko" "$DEMO_KO" && echo same)
	assert_one_line "$stderr"
	assert_match "$stderr" "^modsign: $d/demo.ko: cannot write: No space left on device$"
	assert_equal "$left" "" "temporary files"
	assert_equal "$same" same
}

@test "-p: the .p7s is written atomically too; a failure leaves no temp" {
	m=$(demo_copy)
	mkdir "$m.p7s"
	run -1 --separate-stderr modsign -p sha256 "$TEST_KEYS/rsa.pem" "$TEST_KEYS/rsa.pem" "$m"
	assert_one_line "$stderr"
	assert_match "$stderr" "$m.p7s: cannot replace: Is a directory"
	assert_same_file "$m" "$DEMO_KO"
	assert_no_temp "$BATS_TEST_TMPDIR"
}
