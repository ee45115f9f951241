#!/usr/bin/env bats
# modsign enroll: `mokutil --import` of the managed certificate.
#
# mokutil is replaced by a fake (MODSIGN_MOKUTIL) that records its arguments,
# the certificate it was given and a line read from its stdin: the real one
# writes EFI variables (MokNew, MokAuth) and the enrolment completes only in
# MokManager after a reboot, which no test can do.  The EFI state comes from
# fixture root trees (--root), as for modsign status.

# shellcheck disable=SC2154 # $output, $stderr, $status are set by bats' run
# shellcheck disable=SC2030,SC2031 # each @test runs in its own subshell: its exports are its own
load test_helper

FIX=$BATS_TEST_DIRNAME/fixtures/status
MAKE_ESL=$FIX/make-esl
SHIM=605dab50-e046-4300-abb6-3dd810dd8b23

setup_file() {
	ensure_test_keys
}

setup() {
	export MODSIGN_KEY_DIR=$BATS_TEST_TMPDIR/keys
	export MODSIGN_CONFIG=$BATS_TEST_TMPDIR/no-modsign.conf
	mkdir -p "$MODSIGN_KEY_DIR"
	cp "$TEST_KEYS/rsa.der" "$MODSIGN_KEY_DIR/signing_key.x509"
	CERT=$MODSIGN_KEY_DIR/signing_key.x509
	ROOT=$BATS_TEST_TMPDIR/root
	cp -a "$FIX/sb-pending" "$ROOT"
	EFIVARS=$ROOT/sys/firmware/efi/efivars
	mkdir -p "$EFIVARS"
	"$MAKE_ESL" var 01 >"$EFIVARS/SecureBoot-8be4df61-93ca-11d2-aa0d-e398b8230b8c"
	# The fake mokutil: records argv, a copy of the file to import and the
	# line it reads from stdin (the password prompt of the real one).
	LOG=$BATS_TEST_TMPDIR/mokutil.log
	export MODSIGN_MOKUTIL=$BATS_TEST_TMPDIR/mokutil
	cat >"$MODSIGN_MOKUTIL" <<-EOF
		#!/usr/bin/env bash
		printf '%s\n' "\$@" >"$LOG"
		cp "\$2" "$BATS_TEST_TMPDIR/imported.der"
		IFS= read -r pw || pw="<no stdin>"
		printf 'stdin=%s\n' "\$pw" >>"$LOG"
		echo "fake mokutil: input password:"
		exit \${FAKE_MOKUTIL_EXIT:-0}
	EOF
	chmod +x "$MODSIGN_MOKUTIL"
}

STEPS_DER='To enroll the certificate as a Machine Owner Key (MOK):
  1. install mokutil:     apt-get install mokutil
  2. request the import: mokutil --import CERT
     (mokutil asks for a one-time password: choose one)
  3. reboot: shim starts MokManager; choose "Enroll MOK", "Continue",
     "Yes", enter the password, then "Reboot"
  4. check:              modsign status   (trust: trusted)'

AFTER='The import is requested.  Now:
  1. reboot: shim starts MokManager; choose "Enroll MOK", "Continue",
     "Yes", enter the password you just chose, then "Reboot"
  2. check:  modsign status   (trust: trusted)'

@test "runs mokutil --import on the managed DER certificate, with the terminal passed through" {
	run -0 --separate-stderr modsign enroll --root "$ROOT" <<<"s3cret"
	assert_equal "$stderr" ""
	assert_equal "$(cat "$LOG")" "--import
$CERT
stdin=s3cret"
	assert_same_file "$BATS_TEST_TMPDIR/imported.der" "$TEST_KEYS/rsa.der"
	assert_equal "$output" "running: $MODSIGN_MOKUTIL --import $CERT
(mokutil asks for a one-time password: you type it again in MokManager after the reboot)
fake mokutil: input password:
$AFTER"
}

@test "a PEM --cert is converted to a temporary DER file, removed afterwards" {
	export TMPDIR=$BATS_TEST_TMPDIR/tmp
	mkdir -p "$TMPDIR"
	run -0 --separate-stderr modsign enroll --root "$ROOT" --cert "$TEST_KEYS/rsa.pem" </dev/null
	assert_same_file "$BATS_TEST_TMPDIR/imported.der" "$TEST_KEYS/rsa.der"
	assert_match "$(sed -n 2p "$LOG")" "^$TMPDIR/modsign-enroll-[A-Za-z0-9]{6}\.der$"
	assert_equal "$(ls -A "$TMPDIR")" ""
	assert_equal "$(sed -n 3p "$LOG")" "stdin=<no stdin>"
}

@test "key = and cert = in the config file: that certificate is imported" {
	unset MODSIGN_KEY_DIR
	printf 'key = %s\ncert = %s\n' "$TEST_KEYS/other.pem" "$TEST_KEYS/other.der" >"$MODSIGN_CONFIG"
	run -0 --separate-stderr modsign enroll --root "$ROOT" </dev/null
	assert_equal "$(sed -n 2p "$LOG")" "$TEST_KEYS/other.der"
	assert_same_file "$BATS_TEST_TMPDIR/imported.der" "$TEST_KEYS/other.der"
	# Without cert =, the key file's own certificate (PEM: converted to DER).
	printf 'key = %s\n' "$TEST_KEYS/other.pem" >"$MODSIGN_CONFIG"
	run -0 --separate-stderr modsign enroll --root "$ROOT" </dev/null
	assert_same_file "$BATS_TEST_TMPDIR/imported.der" "$TEST_KEYS/other.der"
}

@test "already in MokListRT: says so, exit 0, mokutil not run" {
	"$MAKE_ESL" list -a "$TEST_KEYS/other.der" "$TEST_KEYS/rsa.der" >"$EFIVARS/MokListRT-$SHIM"
	run -0 --separate-stderr modsign enroll --root "$ROOT"
	assert_equal "$output" "$CERT is already enrolled in the MOK list (MokListRT): nothing to do"
	assert_equal "$stderr" ""
	[ ! -e "$LOG" ]
	# the same certificate given as PEM is recognised too
	run -0 modsign enroll --root "$ROOT" --cert "$TEST_KEYS/rsa.pem"
	assert_equal "$output" "$TEST_KEYS/rsa.pem is already enrolled in the MOK list (MokListRT): nothing to do"
	[ ! -e "$LOG" ]
}

@test "import already pending in MokNew: says so, exit 0, mokutil not run" {
	"$MAKE_ESL" list -a "$TEST_KEYS/other.der" >"$EFIVARS/MokListRT-$SHIM"
	"$MAKE_ESL" list -a "$TEST_KEYS/rsa.der" >"$EFIVARS/MokNew-$SHIM"
	run -0 --separate-stderr modsign enroll --root "$ROOT"
	assert_equal "$output" "the import of $CERT is already pending: reboot and confirm it in MokManager (\"Enroll MOK\"); to cancel it: mokutil --revoke-import"
	[ ! -e "$LOG" ]
}

@test "another key in MokListRT, a malformed MokListRT: the import is requested" {
	"$MAKE_ESL" list -a "$TEST_KEYS/other.der" >"$EFIVARS/MokListRT-$SHIM"
	run -0 modsign enroll --root "$ROOT" </dev/null
	assert_equal "$(sed -n 2p "$LOG")" "$CERT"
	rm "$LOG"
	"$MAKE_ESL" var 0011 >"$EFIVARS/MokListRT-$SHIM"
	run -0 --separate-stderr modsign enroll --root "$ROOT" </dev/null
	assert_equal "$stderr" "modsign: warning: $EFIVARS/MokListRT-$SHIM: malformed EFI signature list: list 1 at offset 0: 2 bytes left, less than a 28-byte list header"
	assert_equal "$(sed -n 2p "$LOG")" "$CERT"
}

@test "no mokutil: the exact steps, exit 1" {
	export MODSIGN_MOKUTIL=$BATS_TEST_TMPDIR/absent/mokutil
	run -1 --separate-stderr modsign enroll --root "$ROOT"
	assert_equal "$stderr" "modsign: enroll: MODSIGN_MOKUTIL=$MODSIGN_MOKUTIL: No such file or directory"
	assert_equal "$output" "${STEPS_DER/CERT/$CERT}"
	# not on PATH either
	unset MODSIGN_MOKUTIL
	no_mokutil_on_path() { PATH=$BATS_TEST_TMPDIR/empty-path modsign "$@"; }
	run -1 --separate-stderr no_mokutil_on_path enroll --root "$ROOT"
	assert_equal "$stderr" "modsign: enroll: mokutil is not installed (apt-get install mokutil)"
	assert_equal "$output" "${STEPS_DER/CERT/$CERT}"
	# a PEM certificate: the steps convert it first
	run -1 no_mokutil_on_path enroll --root "$ROOT" --cert "$TEST_KEYS/rsa.pem"
	assert_match "$output" $'\n  2. convert it to DER:  openssl x509 -in '"$TEST_KEYS"$'/rsa.pem -outform DER -out modsign-mok.der\n  3. request the import: mokutil --import modsign-mok.der\n'
	assert_match "$output" $'\n  5. check:              modsign status   \\(trust: trusted\\)$'
}

@test "no EFI: the steps, exit 1, mokutil not run" {
	rm -r "$ROOT/sys/firmware/efi"
	run -1 --separate-stderr modsign enroll --root "$ROOT"
	assert_equal "$stderr" "modsign: enroll: this system was not booted with EFI (no $ROOT/sys/firmware/efi): it has no MOK list, its kernel trusts only its built-in keys"
	assert_equal "$output" "On a machine booted with EFI through shim:
${STEPS_DER/CERT/$CERT}"
	[ ! -e "$LOG" ]
	# a path that needs quoting is quoted
	cp "$CERT" "$BATS_TEST_TMPDIR/it's mine.der"
	run -1 modsign enroll --root "$ROOT" --cert "$BATS_TEST_TMPDIR/it's mine.der"
	[[ $output == *$'\n'"  2. request the import: mokutil --import '$BATS_TEST_TMPDIR/it'\\''s mine.der'"$'\n'* ]]
}

@test "this machine without EFI: the steps, exit 1" {
	[ ! -d /sys/firmware/efi ] || skip "this machine was booted with EFI"
	run -1 --separate-stderr modsign enroll
	assert_equal "$stderr" "modsign: enroll: this system was not booted with EFI (no /sys/firmware/efi): it has no MOK list, its kernel trusts only its built-in keys"
	[ ! -e "$LOG" ]
}

@test "mokutil fails: exit 1 with one line" {
	export FAKE_MOKUTIL_EXIT=3
	run -1 --separate-stderr modsign enroll --root "$ROOT" </dev/null
	assert_equal "$stderr" "modsign: enroll: $MODSIGN_MOKUTIL --import $CERT failed (exit status 3)"
	[[ $output != *"The import is requested"* ]]
}

@test "no managed key, a bad certificate: exit 1 with one line; usage: exit 2" {
	rm "$CERT"
	run -1 --separate-stderr modsign enroll --root "$ROOT"
	assert_equal "$stderr" "modsign: $CERT: no managed key yet (the first 'modsign sign' creates it)"
	assert_equal "$output" ""
	run -1 --separate-stderr modsign enroll --root "$ROOT" --cert "$BATS_TEST_TMPDIR/missing.der"
	assert_equal "$stderr" "modsign: $BATS_TEST_TMPDIR/missing.der: No such file or directory"
	echo junk >"$BATS_TEST_TMPDIR/junk.der"
	run -1 --separate-stderr modsign enroll --root "$ROOT" --cert "$BATS_TEST_TMPDIR/junk.der"
	assert_one_line "$stderr"
	[ ! -e "$LOG" ]

	run -2 --separate-stderr modsign enroll --bogus
	assert_equal "$stderr" "modsign: enroll: unknown option '--bogus' (see 'modsign enroll --help')"
	run -2 --separate-stderr modsign enroll --cert
	assert_equal "$stderr" "modsign: enroll: option '--cert' needs an argument (see 'modsign enroll --help')"
	run -2 --separate-stderr modsign enroll extra
	assert_equal "$stderr" "modsign: enroll: unexpected argument 'extra' (see 'modsign enroll --help')"
	run -0 modsign enroll --help
	assert_match "$output" "^Usage: modsign enroll \[--root DIR\] \[--cert FILE\]"
}
