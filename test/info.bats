#!/usr/bin/env bats
# modsign info: the signature fields exactly as kmod's modinfo prints them.

# shellcheck disable=SC2154 # $output, $stderr and $lines are set by bats' run
load test_helper

setup_file() {
	ensure_test_keys
	# Certificates with the shapes that show modinfo's formatting rules.
	local d=$BATS_FILE_TMPDIR
	req() { openssl req -new -nodes -utf8 -sha256 -days 3650 -batch -x509 "$@" 2>/dev/null; }
	# RSA-1280: a 160-byte signature, exactly 8 lines of 20 bytes
	req -newkey rsa:1280 -subj "/CN=Twenty times eight" -out "$d/rsa1280.pem" -keyout "$d/rsa1280.pem"
	# serial longer than 20 bytes: sig_key wraps like signature
	req -newkey rsa:2048 -subj "/CN=Long serial" -set_serial 0x0102030405060708090A0B0C0D0E0F101112131415161718191A \
		-out "$d/longserial.pem" -keyout "$d/longserial.pem"
	# serial 0: modinfo prints an empty sig_key
	req -newkey rsa:2048 -subj "/CN=Serial zero" -set_serial 0 -out "$d/serial0.pem" -keyout "$d/serial0.pem"
	# no CN: modinfo prints the issuer's last attribute
	req -newkey rsa:2048 -subj "/O=Org only/OU=Unit last" -out "$d/nocn.pem" -keyout "$d/nocn.pem"
	# a CN that needs JSON escaping
	req -newkey rsa:2048 -subj "/CN=Ünïcødé \"quoted\" back\\\\slash" -out "$d/utf8.pem" -keyout "$d/utf8.pem"
}

setup() {
	require_cmd "$SIGN_FILE" linux-kbuild-6.1
	require_cmd modinfo kmod
}

# What modinfo prints for FILE..., reduced to the lines modsign info prints.
modinfo_sig() {
	modinfo "$@" | grep -E $'^(filename|sig_id|signer|sig_key|sig_hashalgo|signature):|^\t\t'
}

# signed NAME HASH KEY [sign-file options]: a demo module signed by sign-file.
signed() {
	local f=$BATS_TEST_TMPDIR/$1 hash=$2 key=$3
	shift 3
	demo_copy "$f" >/dev/null
	"$SIGN_FILE" "$@" "$hash" "$key" "$key" "$f"
	echo "$f"
}

# same_as_modinfo FILE...: modsign info prints exactly modinfo's lines.
same_as_modinfo() {
	run -0 --separate-stderr modsign info "$@"
	assert_equal "$output" "$(modinfo_sig "$@")" "modsign info $*"
}

# one field's value (first line) from text output
field() { sed -n "s/^$1: *//p" <<<"$2"; }

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

@test "RSA-4096: same lines as modinfo for sha1, sha224, sha256, sha384, sha512" {
	for h in sha1 sha224 sha256 sha384 sha512; do
		f=$(signed "rsa-$h.ko" "$h" "$TEST_KEYS/rsa.pem")
		same_as_modinfo "$f"
		assert_equal "$(field sig_hashalgo "$output")" "$h"
	done
}

@test "RSA-4096: the exact layout (field order, alignment, 20 bytes a line, no trailing colon)" {
	f=$(signed rsa.ko sha256 "$TEST_KEYS/rsa.pem")
	run -0 --separate-stderr modsign info "$f"
	assert_equal "${lines[0]}" "filename:       $f"
	assert_equal "${lines[1]}" "sig_id:         PKCS#7"
	assert_equal "${lines[2]}" "signer:         modsign test key"
	serial=$(openssl x509 -in "$TEST_KEYS/rsa.pem" -noout -serial | sed 's/^serial=//; s/../&:/g; s/:$//')
	assert_equal "${lines[3]}" "sig_key:        $serial"
	assert_equal "${lines[4]}" "sig_hashalgo:   sha256"
	assert_match "${lines[5]}" '^signature:      ([0-9A-F]{2}:){20}$'
	# 512 bytes: the first line, 24 full continuation lines, then 12 bytes
	assert_equal "${#lines[@]}" 31
	for i in $(seq 6 29); do
		assert_match "${lines[$i]}" $'^\t\t([0-9A-F]{2}:){20}$'
	done
	assert_match "${lines[30]}" $'^\t\t([0-9A-F]{2}:){11}[0-9A-F]{2}$'
	assert_equal "$stderr" ""
}

@test "RSA-2048, ECDSA P-256 and P-384 (variable-length DER signatures): same as modinfo" {
	for k in rsa2048 ec256 ec384; do
		for h in sha1 sha256 sha384 sha512; do
			f=$(signed "$k-$h.ko" "$h" "$TEST_KEYS/$k.pem")
			same_as_modinfo "$f"
		done
	done
}

@test "a 160-byte signature (a multiple of 20): no empty continuation line, same as modinfo" {
	f=$(signed r1280.ko sha256 "$BATS_FILE_TMPDIR/rsa1280.pem")
	same_as_modinfo "$f"
	assert_equal "${#lines[@]}" 13
	assert_match "${lines[12]}" $'^\t\t([0-9A-F]{2}:){19}[0-9A-F]{2}$'
}

@test "modinfo's quirks: long serial wraps, serial 0 is empty, no CN shows the last attribute" {
	f=$(signed long.ko sha256 "$BATS_FILE_TMPDIR/longserial.pem")
	same_as_modinfo "$f"
	assert_equal "${lines[3]}" "sig_key:        01:02:03:04:05:06:07:08:09:0A:0B:0C:0D:0E:0F:10:11:12:13:14:"
	assert_equal "${lines[4]}" $'\t\t15:16:17:18:19:1A'
	f=$(signed zero.ko sha256 "$BATS_FILE_TMPDIR/serial0.pem")
	same_as_modinfo "$f"
	assert_equal "${lines[3]}" "sig_key:        "
	f=$(signed nocn.ko sha256 "$BATS_FILE_TMPDIR/nocn.pem")
	same_as_modinfo "$f"
	assert_equal "${lines[2]}" "signer:         Unit last"
}

@test "signer named by subjectKeyIdentifier (-k): like modinfo, no fields; stderr says what it is" {
	skid=$(openssl x509 -in "$TEST_KEYS/rsa.pem" -noout -ext subjectKeyIdentifier | tail -1 | tr -d ' ')
	for k in rsa ec256; do
		f=$(signed "skid-$k.ko" sha256 "$TEST_KEYS/$k.pem" -k)
		same_as_modinfo "$f"
		assert_equal "$output" "filename:       $f"
	done
	f=$BATS_TEST_TMPDIR/skid-rsa.ko
	run -0 --separate-stderr modsign info "$f"
	assert_one_line "$stderr"
	assert_match "$stderr" "skid-rsa.ko: signed \\(PKCS#7, sha256, subjectKeyIdentifier $skid\\), but modinfo shows no signature fields"
	run -0 modsign info --json "$f"
	assert_equal "$(jq -r '.[0] | [.signed, .sig_id, .signer, .sig_key, .sig_hashalgo, .signer_id, .modinfo] | @tsv' <<<"$output")" \
		"$(printf 'true\tPKCS#7\t\t%s\tsha256\tskid\tfalse' "$skid")"
}

@test "a digest kmod 30 does not name (sha3-256): like modinfo, no fields; stderr says so" {
	f=$(signed sha3.ko sha3-256 "$TEST_KEYS/rsa.pem")
	same_as_modinfo "$f"
	assert_equal "$output" "filename:       $f"
	assert_match "$stderr" "sha3.ko: signed \\(PKCS#7, sha3-256, sig_key [0-9A-F:]+\\), but modinfo shows no signature fields"
}

@test "pre-PKCS#7 trailer (id_type X509 with signer name and key id): same as modinfo" {
	f=$(demo_copy)
	{
		printf 'Legacy Signer'
		head -c 20 /dev/urandom
		head -c 64 /dev/urandom
	} >>"$f"
	append_trailer "$f" 64 1 4 1 13 20
	same_as_modinfo "$f"
	assert_equal "${lines[1]}" "sig_id:         X509"
	assert_equal "${lines[2]}" "signer:         Legacy Signer"
	assert_equal "${lines[4]}" "sig_hashalgo:   sha256"
	assert_match "$stderr" "the kernel would refuse this signature: not signed with expected PKCS#7 message"
}

@test "compressed modules (.ko.xz, .ko.zst): read inside, the same as modinfo; .ko.gz too" {
	require_cmd xz xz-utils
	require_cmd zstd zstd
	f=$(signed c.ko sha256 "$TEST_KEYS/rsa2048.pem")
	compress_like_kbuild "$f"
	same_as_modinfo "$f.xz" "$f.zst"
	assert_equal "$(grep -c '^sig_id:' <<<"$output")" 2
	# Debian's kmod reads no gzip: compare with the uncompressed module
	run -0 --separate-stderr modsign info "$f.gz"
	assert_equal "$output" "$(modinfo_sig "$f" | sed "1s|\$|.gz|")"
	printf 'garbage' >>"$f.xz"
	run -1 --separate-stderr modsign info "$f.xz"
	assert_one_line "$stderr"
	assert_match "$stderr" "^modsign: $f.xz: "
}

@test "unsigned module: only the filename line (as modinfo), a note on stderr, exit 0" {
	f=$(demo_copy)
	same_as_modinfo "$f"
	assert_equal "$output" "filename:       $f"
	assert_equal "$stderr" "modsign: $f: not signed"
}

@test "several modules, relative paths: the same as modinfo given the same arguments" {
	mkdir "$BATS_TEST_TMPDIR/d"
	cd "$BATS_TEST_TMPDIR/d"
	demo_copy plain.ko >/dev/null
	signed d/rsa.ko sha512 "$TEST_KEYS/rsa.pem" >/dev/null
	signed d/ec.ko sha384 "$TEST_KEYS/ec384.pem" >/dev/null
	signed d/skid.ko sha256 "$TEST_KEYS/rsa2048.pem" -k >/dev/null
	same_as_modinfo rsa.ko plain.ko ./ec.ko ../d/skid.ko
	assert_equal "$(grep -c '^filename:' <<<"$output")" 4
	assert_equal "${lines[0]}" "filename:       $BATS_TEST_TMPDIR/d/rsa.ko"
}

@test "--json: valid, one object per module, values equal to the text output" {
	for k in rsa ec256; do
		f=$(signed "j-$k.ko" sha256 "$TEST_KEYS/$k.pem")
		run -0 --separate-stderr modsign info "$f"
		text=$output
		run -0 --separate-stderr modsign info --json "$f"
		jq -e . <<<"$output" >/dev/null
		assert_equal "$(jq length <<<"$output")" 1
		for key in sig_id signer sig_key sig_hashalgo; do
			assert_equal "$(jq -r ".[0].$key" <<<"$output")" "$(field "$key" "$text")" "$key"
		done
		sig_text=$(sed -n '/^signature:/,$p' <<<"$text" | sed 's/^signature: *//; s/^\t\t//' | tr -d '\n')
		assert_equal "$(jq -r '.[0].signature' <<<"$output")" "$sig_text" signature
		assert_equal "$(jq -r '.[0].file' <<<"$output")" "$(field filename "$text")" file
		assert_equal "$(jq -r '.[0] | [.signed, .signer_id, .modinfo] | @tsv' <<<"$output")" \
			"$(printf 'true\tissuer-serial\ttrue')"
	done
}

@test "--json: unsigned and signed modules together; a signer CN that needs escaping" {
	u=$(demo_copy)
	s=$(signed utf8.ko sha256 "$BATS_FILE_TMPDIR/utf8.pem")
	run -0 --separate-stderr modsign info --json "$u" "$s"
	jq -e . <<<"$output" >/dev/null
	assert_equal "$(jq length <<<"$output")" 2
	assert_equal "$(jq -c '.[0] | del(.file)' <<<"$output")" \
		'{"signed":false,"sig_id":null,"signer":null,"sig_key":null,"sig_hashalgo":null,"signature":null,"signer_id":null,"modinfo":false}'
	assert_equal "$(jq -r '.[1].signer' <<<"$output")" 'Ünïcødé "quoted" back\slash'
	assert_equal "$(jq -r '.[1].signer' <<<"$output")" "$(field signer "$(modinfo_sig "$s")")"
	assert_match "$output" '"signer": "Ünïcødé \\"quoted\\" back\\\\slash"'
}

@test "--json: a module that cannot be read is left out, the JSON stays valid, exit 1" {
	s=$(signed ok.ko sha256 "$TEST_KEYS/rsa.pem")
	run -1 --separate-stderr modsign info --json "$BATS_TEST_TMPDIR/missing.ko" "$s"
	jq -e . <<<"$output" >/dev/null
	assert_equal "$(jq -r '.[].file' <<<"$output")" "$s"
	assert_one_line "$stderr"
	run -1 --separate-stderr modsign info --json "$BATS_TEST_TMPDIR/missing.ko"
	assert_equal "$output" "[]"
}

@test "bad input: missing, directory, empty, not ELF: one line naming the file, exit 1" {
	: >"$BATS_TEST_TMPDIR/empty.ko"
	echo "not a module" >"$BATS_TEST_TMPDIR/text.ko"
	for f in "$BATS_TEST_TMPDIR/missing.ko" "$BATS_TEST_TMPDIR" "$BATS_TEST_TMPDIR/empty.ko" "$BATS_TEST_TMPDIR/text.ko"; do
		run -1 --separate-stderr modsign info "$f"
		assert_equal "$output" ""
		assert_one_line "$stderr"
		assert_match "$stderr" "^modsign: $f: "
	done
}

@test "malformed signatures: garbage CMS, sig_len past the file, truncated trailer: exit 1" {
	f=$(demo_copy "$BATS_TEST_TMPDIR/garbage.ko")
	head -c 300 /dev/zero | tr '\0' 'x' >>"$f"
	append_trailer "$f" 300
	run -1 --separate-stderr modsign info "$f"
	assert_one_line "$stderr"
	assert_match "$stderr" "garbage.ko: malformed signature: not a DER CMS message"
	assert_equal "$output" ""

	f=$(demo_copy "$BATS_TEST_TMPDIR/huge.ko")
	append_trailer "$f" 100000000
	run -1 --separate-stderr modsign info "$f"
	assert_match "$stderr" "huge.ko: malformed signature: signature length points outside the file"

	f=$BATS_TEST_TMPDIR/trunc.ko
	printf '\177ELF~Module signature appended~\n' >"$f"
	run -1 --separate-stderr modsign info "$f"
	assert_match "$stderr" "trunc.ko: malformed signature: truncated signature trailer"
	# modinfo prints no signature for any of them either
	for m in garbage huge; do
		assert_equal "$(modinfo_sig "$BATS_TEST_TMPDIR/$m.ko")" "filename:       $BATS_TEST_TMPDIR/$m.ko"
	done
}

@test "one bad module among good ones: the others are printed, exit 1" {
	s=$(signed ok.ko sha256 "$TEST_KEYS/rsa.pem")
	run -1 --separate-stderr modsign info "$BATS_TEST_TMPDIR/missing.ko" "$s"
	assert_equal "$output" "$(modinfo_sig "$s")"
	assert_one_line "$stderr"
}

@test "usage: no module or an unknown option is exit 2; --help is exit 0" {
	run -2 --separate-stderr modsign info
	assert_match "$stderr" "Usage: modsign info \\[--json\\] MODULE\\.\\.\\."
	run -2 --separate-stderr modsign info --bogus "$DEMO_KO"
	assert_match "$stderr" "unknown option '--bogus'"
	run -0 modsign info --help
	assert_match "${lines[0]}" "^Usage: modsign info \\[--json\\] MODULE\\.\\.\\.$"
}
