#!/usr/bin/env bats
# Split signing: modsign digest names what to sign, a signing service signs it
# (here: openssl pkeyutl / openssl cms -sign / Debian's sign-file -d, outside
# modsign), modsign attach checks the returned signature and appends it.
# References: Debian's sign-file, sha*sum, openssl cms -verify, modsign strip.

# shellcheck disable=SC2154 # $output, $stderr and $lines are set by bats' run
load test_helper

setup_file() {
	ensure_test_keys
}

setup() {
	require_cmd "$SIGN_FILE" linux-kbuild-6.1
	require_cmd openssl openssl
	require_cmd jq jq
	cd "$BATS_TEST_TMPDIR" || return 1
}

K=$TEST_KEYS

# hex2bin: hex digits on stdin to bytes on stdout (no xxd needed)
hex2bin() {
	local hex
	hex=$(tr -d ' \n')
	# shellcheck disable=SC2059 # the format is made of \xHH escapes only
	printf "$(printf '%s' "$hex" | sed 's/../\\x&/g')"
}

# service_pkeyutl KEY HASH DIGESTHEX OUT: a service that signs a digest
service_pkeyutl() {
	printf '%s' "$3" | hex2bin >"$BATS_TEST_TMPDIR/svc.dgst"
	openssl pkeyutl -sign -inkey "$1" -pkeyopt "digest:$2" -in "$BATS_TEST_TMPDIR/svc.dgst" -out "$4"
}

# service_cms KEY HASH FILE OUT [openssl cms options]: a service that signs a file
service_cms() {
	local key=$1 hash=$2 in=$3 out=$4
	shift 4
	openssl cms -sign -binary -noattr -nocerts -nosmimecap -md "$hash" \
		-signer "$key" -inkey "$key" -in "$in" -outform DER -out "$out" "$@"
}

# the hex digest `modsign digest` prints for a module
digest_of() { modsign digest "$@" | cut -d' ' -f1; }

# ref_signed NAME HASH KEY [sign-file options]: the demo module signed by Debian's sign-file
ref_signed() {
	local f=$BATS_TEST_TMPDIR/$1 hash=$2 key=$3
	shift 3
	demo_copy "$f" >/dev/null
	"$SIGN_FILE" "$@" "$hash" "$key" "$key" "$f"
	echo "$f"
}

# the bytes of the signature value (last OCTET STRING) of a DER CMS blob
cms_sig_value() {
	local line off hl len
	line=$(openssl asn1parse -inform DER -in "$1" | grep 'OCTET STRING' | tail -n 1)
	off=${line%%:*}
	hl=$(sed -n 's/.*hl= *\([0-9]*\).*/\1/p' <<<"$line")
	len=$(sed -n 's/.* l= *\([0-9]*\).*/\1/p' <<<"$line")
	tail -c +$((off + hl + 1)) "$1" | head -c "$len"
}

# untouched FILE SHA: the file still has this content and nothing was left beside it
untouched() {
	assert_equal "$(sha "$1")" "$2" "$1 checksum"
	assert_no_temp "$(dirname "$1")"
}

# ---- modsign digest ---------------------------------------------------------

@test "digest: sha512 of the module without its signature, as sha512sum of a stripped copy says" {
	u=$(demo_copy "$BATS_TEST_TMPDIR/u.ko")
	s=$(ref_signed s.ko sha256 "$K/rsa.pem")
	"$SIGN_FILE" sha512 "$K/ec384.pem" "$K/ec384.pem" "$s" # stacked: two signatures
	cp "$s" stripped.ko
	run -0 modsign strip stripped.ko
	ref=$(sha512sum stripped.ko | cut -d' ' -f1)
	assert_equal "$ref" "$(sha512sum "$DEMO_KO" | cut -d' ' -f1)" "stripped copy vs the unsigned module"
	run -0 modsign digest "$u" "$s"
	assert_equal "${lines[0]}" "$ref  $u"
	assert_equal "${lines[1]}" "$ref  $s"
	assert_equal "${#lines[@]}" 2 "line count"
	for h in sha1 sha224 sha256 sha384 sha512 sha3-256 sha3-384 sha3-512; do
		want=$(openssl dgst "-$h" -r stripped.ko | cut -d' ' -f1)
		assert_equal "$(digest_of --hash "$h" "$s")" "$want" "$h digest"
	done
	# read-only: the module is not rewritten
	assert_equal "$(sha "$u")" "$(sha "$DEMO_KO")" "module"
}

@test "digest -o writes exactly the bytes to be signed; -o - writes them to stdout only" {
	s=$(ref_signed s.ko sha512 "$K/rsa.pem")
	cp "$s" stripped.ko
	modsign strip stripped.ko
	run -0 modsign digest -o tbs.bin "$s"
	assert_equal "$output" "$(sha512sum stripped.ko | cut -d' ' -f1)  $s"
	assert_same_file tbs.bin stripped.ko
	modsign digest -o - "$s" >stdout.bin
	assert_same_file stdout.bin stripped.ko
	# and a signature over those bytes verifies against the signed module's body
	"$SIGN_FILE" -d sha512 "$K/rsa.pem" "$K/rsa.pem" stripped.ko
	run -0 openssl cms -verify -binary -inform DER -in stripped.ko.p7s -content tbs.bin \
		-certfile "$K/rsa.pem" -CAfile "$K/rsa.pem" -purpose any -out /dev/null
	run -2 --separate-stderr modsign digest -o x.bin "$s" "$s"
	assert_match "$stderr" "^modsign: digest: -o FILE takes exactly one MODULE"
	run -1 --separate-stderr modsign digest -o "$s" "$s"
	assert_match "$stderr" "names the module itself"
	assert_no_temp "$BATS_TEST_TMPDIR"
}

@test "digest --json: file, hash, digest, length, compression, signatures (jq)" {
	s=$(ref_signed s.ko sha256 "$K/rsa.pem")
	u=$(demo_copy "$BATS_TEST_TMPDIR/u.ko")
	run -0 modsign digest --json --hash sha256 "$s" "$u"
	jq -e . <<<"$output" >/dev/null
	assert_equal "$(jq -r 'length' <<<"$output")" 2
	assert_equal "$(jq -r '.[0].file' <<<"$output")" "$s"
	assert_equal "$(jq -r '.[0].hash' <<<"$output")" sha256
	assert_equal "$(jq -r '.[0].digest' <<<"$output")" "$(sha256sum "$DEMO_KO" | cut -d' ' -f1)"
	assert_equal "$(jq -r '.[0].length' <<<"$output")" "$(stat -c %s "$DEMO_KO")"
	assert_equal "$(jq -r '.[0].compression' <<<"$output")" none
	assert_equal "$(jq -r '.[0].signatures' <<<"$output")" 1
	assert_equal "$(jq -r '.[1].signatures' <<<"$output")" 0
	assert_equal "$(jq -r '.[0].digest' <<<"$output")" "$(jq -r '.[1].digest' <<<"$output")"
}

@test "digest: errors and usage" {
	run -1 --separate-stderr modsign digest "$BATS_TEST_TMPDIR/nope.ko"
	assert_match "$stderr" "^modsign: $BATS_TEST_TMPDIR/nope.ko: No such file or directory$"
	echo hello >text.ko
	run -1 --separate-stderr modsign digest text.ko
	assert_match "$stderr" "^modsign: text.ko: not an ELF file"
	# one bad module does not stop the others
	u=$(demo_copy)
	run -1 --separate-stderr modsign digest text.ko "$u"
	assert_equal "$output" "$(sha512sum "$DEMO_KO" | cut -d' ' -f1)  $u"
	run -2 --separate-stderr modsign digest
	assert_match "$stderr" "^modsign: digest: no MODULE given \(see 'modsign digest --help'\)$"
	run -2 --separate-stderr modsign digest --hash md5 "$u"
	assert_match "$stderr" "md5: unknown hash algorithm"
	run -2 --separate-stderr modsign digest --bogus "$u"
	assert_match "$stderr" "unknown option '--bogus'"
	run -0 modsign digest --help
	assert_match "$output" "Usage: modsign digest"
}

# ---- round trips ------------------------------------------------------------

@test "digest -> openssl pkeyutl -> attach --raw: identical to sign-file's and modsign sign's output (RSA)" {
	for h in sha256 sha384 sha512; do
		ref=$(ref_signed "ref-$h.ko" "$h" "$K/rsa.pem")
		m=$(demo_copy "$BATS_TEST_TMPDIR/m-$h.ko")
		service_pkeyutl "$K/rsa.pem" "$h" "$(digest_of --hash "$h" "$m")" "m-$h.sig"
		run -0 --separate-stderr modsign attach --raw --hash "$h" --cert "$K/rsa.der" "m-$h.sig" "$m"
		assert_equal "$output" "$m: attached (signed by \"modsign test key\", $h)"
		assert_same_file "$ref" "$m"
		demo_copy "$BATS_TEST_TMPDIR/ms-$h.ko" >/dev/null
		modsign sign -q --key "$K/rsa.pem" --hash "$h" "ms-$h.ko"
		assert_same_file "$ref" "ms-$h.ko"
		run -0 modsign verify --cert "$K/rsa.pem" "$m"
	done
	# signer named by subjectKeyIdentifier (sign-file -k)
	ref=$(ref_signed ref-k.ko sha512 "$K/rsa.pem" -k)
	m=$(demo_copy "$BATS_TEST_TMPDIR/k.ko")
	service_pkeyutl "$K/rsa.pem" sha512 "$(digest_of "$m")" k.sig
	run -0 modsign attach --raw --keyid --cert "$K/rsa.pem" k.sig "$m"
	assert_same_file "$ref" "$m"
}

@test "ECDSA: a raw signature value re-wrapped by attach --raw gives the same bytes; pkeyutl round trip verifies" {
	for k in "" -k; do
		ref=$(ref_signed "ec$k.ko" sha384 "$K/ec384.pem" $k)
		# the CMS blob sign-file appended, and the signature value inside it
		body=$(stat -c %s "$DEMO_KO")
		len=$(($(stat -c %s "$ref") - body - 40))
		tail -c +$((body + 1)) "$ref" | head -c "$len" >"ec$k.p7s"
		cms_sig_value "ec$k.p7s" >"ec$k.sigval"
		m=$(demo_copy "$BATS_TEST_TMPDIR/ec$k-ours.ko")
		opt=()
		[ -z "$k" ] || opt=(--keyid)
		run -0 modsign attach --raw --hash sha384 "${opt[@]}" --cert "$K/ec384.pem" "ec$k.sigval" "$m"
		assert_same_file "$ref" "$m"
	done
	m=$(demo_copy "$BATS_TEST_TMPDIR/ec.ko")
	service_pkeyutl "$K/ec384.pem" sha384 "$(digest_of --hash sha384 "$m")" ec.sig
	run -0 modsign attach --raw --hash sha384 --cert "$K/ec384.pem" ec.sig "$m"
	run -0 modsign verify --cert "$K/ec384.pem" "$m"
	assert_match "$output" ": ok \(signed by \"modsign test key\", sha384\)$"
}

@test "a service signing the file (openssl cms -sign) -> attach: identical to sign-file's output; PEM too" {
	ref=$(ref_signed ref.ko sha512 "$K/rsa.pem")
	m=$(demo_copy "$BATS_TEST_TMPDIR/m.ko")
	modsign digest -o tbs.bin "$m" >/dev/null
	service_cms "$K/rsa.pem" sha512 tbs.bin svc.p7s
	run -0 modsign attach --cert "$K/rsa.pem" svc.p7s "$m"
	assert_same_file "$ref" "$m"
	m=$(demo_copy "$BATS_TEST_TMPDIR/p.ko")
	service_cms "$K/rsa.pem" sha512 tbs.bin svc.pem -outform PEM
	head -n 1 svc.pem | grep -q -- '-----BEGIN CMS-----'
	run -0 modsign attach --cert "$K/rsa.pem" svc.pem "$m"
	assert_same_file "$ref" "$m"
	# the PKCS7 label (openssl pkcs7 -outform PEM) is taken as well
	m=$(demo_copy "$BATS_TEST_TMPDIR/p7.ko")
	openssl pkcs7 -inform DER -in svc.p7s -outform PEM -out svc7.pem
	run -0 modsign attach --keyring "$TEST_KEYS" svc7.pem "$m"
	assert_same_file "$ref" "$m"
}

@test "-d then attach: identical to signing directly; sign-file's .p7s and modsign's are the same bytes" {
	for h in sha256 sha512; do
		ref=$(ref_signed "ref-$h.ko" "$h" "$K/rsa.pem")
		m=$(demo_copy "$BATS_TEST_TMPDIR/m-$h.ko")
		d=$(demo_copy "$BATS_TEST_TMPDIR/d-$h.ko")
		"$SIGN_FILE" -d "$h" "$K/rsa.pem" "$K/rsa.pem" "$d"
		run -0 modsign -d "$h" "$K/rsa.pem" "$K/rsa.pem" "$m"
		assert_same_file "$d.p7s" "$m.p7s"
		assert_same_file "$m" "$DEMO_KO"
		run -0 openssl cms -verify -binary -inform DER -in "$m.p7s" -content "$m" \
			-certfile "$K/rsa.pem" -CAfile "$K/rsa.pem" -purpose any -out /dev/null
		run -0 modsign attach --cert "$K/rsa.pem" "$d.p7s" "$m"
		assert_same_file "$ref" "$m"
	done
}

@test "modsign sign -d: MODULE.p7s for plain, signed and compressed modules, as sign-file -d makes it; modules untouched" {
	require_cmd xz xz-utils
	mkdir farm
	demo_copy "$BATS_TEST_TMPDIR/farm/plain.ko" >/dev/null
	ref_signed farm/signed.ko sha256 "$K/ec384.pem" >/dev/null
	demo_copy "$BATS_TEST_TMPDIR/farm/packed.ko" >/dev/null
	xz --check=crc32 --lzma2=dict=1MiB farm/packed.ko
	before=$(cd farm && sha256sum ./*.ko ./*.xz)
	run -0 --separate-stderr modsign sign -d --key "$K/rsa.pem" --hash sha512 farm
	assert_equal "$output" "signed: farm/packed.ko.xz (detached: packed.ko.xz.p7s)
signed: farm/plain.ko (detached: plain.ko.p7s)
signed: farm/signed.ko (detached: signed.ko.p7s)
3 signed, 0 skipped, 0 re-signed, 0 failed"
	assert_equal "$(cd farm && sha256sum ./*.ko ./*.xz)" "$before" "modules"
	# each .p7s is sign-file -d's for the unsigned, decompressed module
	d=$(demo_copy "$BATS_TEST_TMPDIR/d.ko")
	"$SIGN_FILE" -d sha512 "$K/rsa.pem" "$K/rsa.pem" "$d"
	for f in plain.ko signed.ko packed.ko.xz; do
		assert_same_file "$d.p7s" "farm/$f.p7s"
	done
	# back on the build host: attach gives what signing in place gives
	cp -r farm direct
	rm direct/*.p7s
	modsign sign -q --key "$K/rsa.pem" --hash sha512 direct
	for f in plain.ko signed.ko packed.ko.xz; do
		run -0 modsign attach --cert "$K/rsa.der" "farm/$f.p7s" "farm/$f"
		assert_same_file "direct/$f" "farm/$f"
	done
	assert_no_temp "$BATS_TEST_TMPDIR"
}

@test "sign-file mode -s: the same bytes as Debian's sign-file -s, with and without DEST" {
	u=$(demo_copy "$BATS_TEST_TMPDIR/u.ko")
	"$SIGN_FILE" -d sha512 "$K/rsa.pem" "$K/rsa.pem" "$u"
	demo_copy "$BATS_TEST_TMPDIR/ref.ko" >/dev/null
	demo_copy "$BATS_TEST_TMPDIR/ours.ko" >/dev/null
	"$SIGN_FILE" -s "$u.p7s" sha512 "$K/rsa.pem" ref.ko
	run -0 modsign -s "$u.p7s" sha512 "$K/rsa.pem" ours.ko
	assert_same_file ref.ko ours.ko
	"$SIGN_FILE" -s "$u.p7s" sha512 "$K/rsa.pem" "$u" ref-dest.ko
	run -0 modsign -s "$u.p7s" sha512 "$K/rsa.der" "$u" ours-dest.ko
	assert_same_file ref-dest.ko ours-dest.ko
	assert_same_file "$u" "$DEMO_KO"
	# and what attach writes is the same again
	run -0 modsign attach --cert "$K/rsa.pem" "$u.p7s" "$u"
	assert_same_file ref.ko "$u"
}

@test "sign-file mode -s refuses a signature for another module (Debian's sign-file appends it)" {
	a=$(demo_copy "$BATS_TEST_TMPDIR/a.ko")
	"$SIGN_FILE" -d sha512 "$K/rsa.pem" "$K/rsa.pem" "$a"
	b=$(demo_copy "$BATS_TEST_TMPDIR/b.ko")
	printf 'other module' >>"$b"
	before=$(sha "$b")
	cp "$b" ref.ko
	"$SIGN_FILE" -s "$a.p7s" sha512 "$K/rsa.pem" ref.ko # the reference does not check
	run -3 modsign verify --cert "$K/rsa.pem" ref.ko
	run -1 --separate-stderr modsign -s "$a.p7s" sha512 "$K/rsa.pem" "$b"
	assert_one_line "$stderr"
	assert_match "$stderr" "^modsign: $a.p7s: refusing to attach to $b: .*does not match the signed data"
	untouched "$b" "$before"
}

# ---- refusals ---------------------------------------------------------------

@test "attach refuses a signature returned for the wrong module: exit 3, one line, module untouched" {
	a=$(demo_copy "$BATS_TEST_TMPDIR/a.ko")
	b=$(demo_copy "$BATS_TEST_TMPDIR/b.ko")
	printf 'another build' >>"$b"
	before=$(sha "$b")
	modsign -d sha512 "$K/rsa.pem" "$K/rsa.pem" "$a"
	run -3 --separate-stderr modsign attach --cert "$K/rsa.pem" "$a.p7s" "$b"
	assert_equal "$output" ""
	assert_one_line "$stderr"
	assert_match "$stderr" "^modsign: $a.p7s: refusing to attach it to $b: bad signature: it does not match the signed data$"
	untouched "$b" "$before"
	# the raw form too
	service_pkeyutl "$K/rsa.pem" sha512 "$(digest_of "$a")" a.sig
	run -3 --separate-stderr modsign attach --raw --cert "$K/rsa.pem" a.sig "$b"
	assert_match "$stderr" "refusing to attach it to $b: bad signature"
	untouched "$b" "$before"
	# raw, but the wrong hash named
	run -3 --separate-stderr modsign attach --raw --hash sha256 --cert "$K/rsa.pem" a.sig "$a"
	assert_match "$stderr" "refusing to attach it to $a: bad signature"
	# a signed module keeps its own signature when the new one is refused
	s=$(ref_signed s.ko sha256 "$K/rsa.pem")
	cp "$s" s2.ko
	before=$(sha s2.ko)
	"$SIGN_FILE" -d sha512 "$K/rsa.pem" "$K/rsa.pem" "$b"
	run -3 --separate-stderr modsign attach --cert "$K/rsa.pem" "$b.p7s" s2.ko
	untouched s2.ko "$before"
}

@test "attach refuses garbage, truncated, empty and non-CMS PEM signatures" {
	m=$(demo_copy)
	before=$(sha "$m")
	modsign -d sha512 "$K/rsa.pem" "$K/rsa.pem" "$m"
	head -c 1000 /dev/urandom >garbage.p7s
	run -3 --separate-stderr modsign attach --cert "$K/rsa.pem" garbage.p7s "$m"
	assert_one_line "$stderr"
	assert_match "$stderr" "^modsign: garbage.p7s: refusing to attach it to $m: "
	untouched "$m" "$before"
	size=$(stat -c %s "$m.p7s")
	for n in 1 20 $((size / 2)) $((size - 1)); do
		head -c "$n" "$m.p7s" >trunc.p7s
		run -3 --separate-stderr modsign attach --cert "$K/rsa.pem" trunc.p7s "$m"
		assert_one_line "$stderr"
		assert_match "$stderr" "^modsign: trunc.p7s: refusing to attach it to $m: "
		untouched "$m" "$before"
	done
	: >empty.p7s
	run -3 --separate-stderr modsign attach --cert "$K/rsa.pem" empty.p7s "$m"
	assert_match "$stderr" "^modsign: empty.p7s: empty signature file, not attaching it to $m$"
	untouched "$m" "$before"
	run -3 --separate-stderr modsign attach --cert "$K/rsa.pem" "$K/rsa.pem" "$m"
	assert_one_line "$stderr"
	assert_match "$stderr" "is not a CMS signature"
	untouched "$m" "$before"
	# a bit flipped in the signature value
	cp "$m.p7s" flip.p7s
	printf '\x00' | dd of=flip.p7s bs=1 seek=$((size - 10)) conv=notrunc status=none
	run -3 --separate-stderr modsign attach --cert "$K/rsa.pem" flip.p7s "$m"
	assert_match "$stderr" "bad signature"
	untouched "$m" "$before"
}

@test "attach refuses a signature by another key than --cert / --keyring trusts" {
	m=$(demo_copy)
	before=$(sha "$m")
	modsign digest -o tbs.bin "$m" >/dev/null
	service_cms "$K/other.pem" sha512 tbs.bin other.p7s
	run -3 --separate-stderr modsign attach --cert "$K/rsa.pem" other.p7s "$m"
	assert_one_line "$stderr"
	assert_match "$stderr" "^modsign: other.p7s: refusing to attach it to $m: no trusted key for signer"
	untouched "$m" "$before"
	mkdir ring
	cp "$K/rsa.der" "$K/ec384.der" ring/
	run -3 --separate-stderr modsign attach --keyring ring other.p7s "$m"
	untouched "$m" "$before"
	# raw: a value made by another key, claimed for rsa.pem's certificate
	service_pkeyutl "$K/rsa2048.pem" sha512 "$(digest_of "$m")" other.sig
	run -3 --separate-stderr modsign attach --raw --cert "$K/rsa.pem" other.sig "$m"
	assert_match "$stderr" "bad signature"
	untouched "$m" "$before"
	# with the right certificate it is accepted
	cp "$K/other.der" ring/
	run -0 modsign attach --keyring ring other.p7s "$m"
	run -0 modsign verify --cert "$K/other.pem" "$m"
}

@test "attach refuses what the kernel refuses: signed attributes, embedded content" {
	m=$(demo_copy)
	before=$(sha "$m")
	modsign digest -o tbs.bin "$m" >/dev/null
	openssl cms -sign -binary -nocerts -nosmimecap -md sha512 -signer "$K/rsa.pem" -in tbs.bin \
		-outform DER -out attrs.p7s
	run -3 --separate-stderr modsign attach --cert "$K/rsa.pem" attrs.p7s "$m"
	assert_match "$stderr" "refusing to attach it to $m: Invalid module sig \(has authattrs\)"
	untouched "$m" "$before"
	openssl cms -sign -binary -noattr -nocerts -nodetach -md sha512 -signer "$K/rsa.pem" -in tbs.bin \
		-outform DER -out embedded.p7s
	run -3 --separate-stderr modsign attach --cert "$K/rsa.pem" embedded.p7s "$m"
	# (the module inside makes the message too large for the kernel's decoder before anything else)
	assert_match "$stderr" "refusing to attach it to $m: PKCS#7 message of [0-9]+ bytes exceeds the kernel's ASN.1 decoder limit"
	untouched "$m" "$before"
}

@test "without --cert: the certificate inside SIG is used (with a warning); none inside: exit 4" {
	m=$(demo_copy)
	before=$(sha "$m")
	modsign -d sha512 "$K/rsa.pem" "$K/rsa.pem" "$m"
	run -4 --separate-stderr modsign attach "$m.p7s" "$m"
	assert_one_line "$stderr"
	assert_match "$stderr" "^modsign: $m.p7s: cannot check it: it carries no certificate; give --cert FILE or --keyring DIR"
	untouched "$m" "$before"
	modsign digest -o tbs.bin "$m" >/dev/null
	openssl cms -sign -binary -noattr -nosmimecap -md sha512 -signer "$K/rsa.pem" -in tbs.bin \
		-outform DER -out withcert.p7s
	b=$(demo_copy "$BATS_TEST_TMPDIR/b.ko")
	printf 'other' >>"$b"
	bb=$(sha "$b")
	run -3 --separate-stderr modsign attach withcert.p7s "$b"
	assert_match "$stderr" "bad signature"
	untouched "$b" "$bb"
	run -0 --separate-stderr modsign attach withcert.p7s "$m"
	assert_match "$stderr" "^modsign: warning: withcert.p7s: checked against the certificate it carries only"
	# the kernel takes a signature that carries its certificate
	run -0 modsign verify --cert "$K/rsa.pem" "$m"
	run -4 --separate-stderr modsign attach --cert "$BATS_TEST_TMPDIR/nope.pem" withcert.p7s "$b"
	untouched "$b" "$bb"
}

# ---- what attach writes -----------------------------------------------------

@test "attach replaces existing signatures, as modsign sign does; the same signature again changes nothing" {
	ref=$(ref_signed ref.ko sha512 "$K/rsa.pem")
	s=$(ref_signed s.ko sha256 "$K/ec384.pem")
	"$SIGN_FILE" sha384 "$K/rsa2048.pem" "$K/rsa2048.pem" "$s" # stacked
	u=$(demo_copy "$BATS_TEST_TMPDIR/u.ko")
	"$SIGN_FILE" -d sha512 "$K/rsa.pem" "$K/rsa.pem" "$u"
	run -0 modsign attach --cert "$K/rsa.pem" "$u.p7s" "$s"
	assert_equal "$output" "$s: attached (signed by \"modsign test key\", sha512; replaced 2 signatures)"
	assert_same_file "$ref" "$s"
	before=$(stat -c '%i %y' "$s")
	run -0 modsign attach --cert "$K/rsa.pem" "$u.p7s" "$s"
	assert_match "$output" "already there, file unchanged"
	assert_equal "$(stat -c '%i %y' "$s")" "$before" "inode and mtime"
}

@test "attach: a module changed after it was read is not overwritten" {
	so=$BUILD/sync-hook.so
	[ -f "$so" ] || { echo "$so is missing: run make test-bins" >&2; return 1; }
	m=$(demo_copy)
	modsign -d sha512 "$K/rsa.pem" "$K/rsa.pem" "$m"
	# test/c/sync_hook.c runs SYNC_HOOK at modsign's first fsync: after the
	# module was read and checked, before the rename
	run -1 --separate-stderr env LD_PRELOAD="$so" \
		ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0" \
		SYNC_HOOK="echo more >>'$m'" "$MODSIGN_BIN" attach --cert "$K/rsa.pem" "$m.p7s" "$m"
	assert_equal "$stderr" "modsign: $m: changed while being signed"
	{ cat "$DEMO_KO"; echo more; } >want.ko
	assert_same_file want.ko "$m"
	assert_no_temp "$BATS_TEST_TMPDIR"
}

@test "attach keeps mode, writes through a symlink to its target, leaves no temporary file" {
	m=$(demo_copy "$BATS_TEST_TMPDIR/real.ko")
	chmod 0640 "$m"
	ln -s real.ko link.ko
	"$SIGN_FILE" -d sha512 "$K/rsa.pem" "$K/rsa.pem" "$m"
	ref=$(ref_signed ref.ko sha512 "$K/rsa.pem")
	run -0 modsign attach --cert "$K/rsa.pem" "$m.p7s" link.ko
	[ -L link.ko ]
	assert_same_file "$ref" "$m"
	assert_equal "$(stat -c %a "$m")" 640 mode
	assert_no_temp "$BATS_TEST_TMPDIR"
}

@test "compressed modules: digest of the module inside; the round trip equals modsign sign" {
	require_cmd xz xz-utils
	require_cmd zstd zstd
	require_cmd gzip gzip
	for z in gz xz zst; do
		demo_copy "$BATS_TEST_TMPDIR/ref.ko" >/dev/null
		case $z in
		gz) gzip -n -f ref.ko ;;
		xz) xz --check=crc32 --lzma2=dict=1MiB -f ref.ko ;;
		zst) zstd -q --rm -f ref.ko ;;
		esac
		cp "ref.ko.$z" "m.ko.$z"
		modsign sign -q --key "$K/rsa.pem" --hash sha512 "ref.ko.$z"
		assert_equal "$(digest_of "m.ko.$z")" "$(sha512sum "$DEMO_KO" | cut -d' ' -f1)" "digest of m.ko.$z"
		assert_equal "$(digest_of "ref.ko.$z")" "$(sha512sum "$DEMO_KO" | cut -d' ' -f1)" "digest of signed ref.ko.$z"
		run -0 modsign digest --json "m.ko.$z"
		case $z in gz) fmt=gzip ;; xz) fmt=xz ;; zst) fmt=zstd ;; esac
		assert_equal "$(jq -r '.[0].compression' <<<"$output")" "$fmt"
		service_pkeyutl "$K/rsa.pem" sha512 "$(digest_of "m.ko.$z")" "m.$z.sig"
		run -0 modsign attach --raw --cert "$K/rsa.pem" "m.$z.sig" "m.ko.$z"
		assert_same_file "ref.ko.$z" "m.ko.$z"
		run -0 modsign verify --cert "$K/rsa.pem" "m.ko.$z"
		# a .p7s over the decompressed module, from -o and sign-file -d
		modsign digest -o "plain.$z" "m.ko.$z" >/dev/null
		"$SIGN_FILE" -d sha512 "$K/rsa.pem" "$K/rsa.pem" "plain.$z"
		run -0 modsign attach --cert "$K/rsa.pem" "plain.$z.p7s" "m.ko.$z"
		assert_match "$output" "already there, file unchanged"
	done
}

@test "attach: usage errors exit 2, unreadable files exit 1" {
	m=$(demo_copy)
	modsign -d sha512 "$K/rsa.pem" "$K/rsa.pem" "$m"
	run -2 --separate-stderr modsign attach "$m.p7s"
	assert_match "$stderr" "^modsign: attach: expected SIG MODULE \(see 'modsign attach --help'\)$"
	run -2 --separate-stderr modsign attach --hash sha256 --cert "$K/rsa.pem" "$m.p7s" "$m"
	assert_match "$stderr" "describe a --raw signature"
	run -2 --separate-stderr modsign attach --raw "$m.p7s" "$m"
	assert_match "$stderr" "--raw needs --cert FILE"
	run -2 --separate-stderr modsign attach --raw --hash md5 --cert "$K/rsa.pem" "$m.p7s" "$m"
	assert_match "$stderr" "md5: unknown hash algorithm"
	run -2 --separate-stderr modsign attach --cert
	assert_match "$stderr" "option '--cert' needs an argument"
	run -1 --separate-stderr modsign attach --cert "$K/rsa.pem" nope.p7s "$m"
	assert_match "$stderr" "^modsign: nope.p7s: No such file or directory$"
	run -1 --separate-stderr modsign attach --cert "$K/rsa.pem" "$m.p7s" nope.ko
	assert_match "$stderr" "^modsign: nope.ko: No such file or directory$"
	run -0 modsign attach --help
	assert_match "$output" "Usage: modsign attach"
	assert_same_file "$m" "$DEMO_KO"
}

@test "README and the man page describe digest and attach with --help's synopsis" {
	run -0 modsign --help
	for c in digest attach; do
		syn=$(grep -E "^ +modsign $c " <<<"$output" | sed 's/^ *//')
		[ -n "$syn" ]
		grep -qxF "    $syn" "$TOP/README.md"
		grep -qxF ".B modsign $c" "$TOP/man/modsign.1"
		grep -qxF ".B $c" "$TOP/man/modsign.1"
		run -0 modsign "$c" --help
		run -0 modsign --help
	done
}
