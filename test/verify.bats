#!/usr/bin/env bats
# modsign verify: the kernel's acceptance rules, checked against modules signed
# by Debian's real sign-file and compared with `openssl cms -verify`.
# shellcheck disable=SC2030,SC2031  # bats runs each test in a subshell

load test_helper

# The signed bytes and the CMS blob of a signed module, cut out with the
# trailer's own sig_len (big-endian u32 at end-32).
sig_len() {
	local f=$1 size
	size=$(stat -c %s "$f")
	od -An -tu1 -j $((size - 32)) -N 4 "$f" | awk '{ print $1 * 16777216 + $2 * 65536 + $3 * 256 + $4 }'
}
split_sig() {
	local f=$1 body=$2 sig=$3 size len
	size=$(stat -c %s "$f")
	len=$(sig_len "$f")
	head -c $((size - 40 - len)) "$f" >"$body"
	tail -c $((len + 40)) "$f" | head -c "$len" >"$sig"
}

# Overwrite bytes (hex pairs) at an offset; a negative offset counts from the end.
put_bytes() {
	local f=$1 off=$2 hex=$3 esc="" i
	[ "$off" -lt 0 ] && off=$(($(stat -c %s "$f") + off))
	for ((i = 0; i < ${#hex}; i += 2)); do
		esc+="\\x${hex:i:2}"
	done
	printf '%b' "$esc" | dd of="$f" bs=1 seek="$off" conv=notrunc status=none
}
# Flip the lowest bit of one byte.
flip_bit() {
	local f=$1 off=$2 b
	[ "$off" -lt 0 ] && off=$(($(stat -c %s "$f") + off))
	b=$(od -An -tu1 -j "$off" -N 1 "$f" | tr -d ' ')
	put_bytes "$f" "$off" "$(printf '%02x' $((b ^ 1)))"
}

# openssl's view of a module signature: verify SIG over BODY with CERT only.
openssl_verify() {
	local mod=$1 cert=$2 tmp
	tmp=$(mktemp -d "$BATS_TEST_TMPDIR/ossl.XXXXXX")
	split_sig "$mod" "$tmp/body" "$tmp/sig"
	openssl cms -verify -binary -inform DER -in "$tmp/sig" -content "$tmp/body" \
		-certfile "$cert" -nointern -noverify -out /dev/null 2>/dev/null
}

# Attach a raw CMS blob with the real sign-file -s.
attach() {
	local sig=$1 out=$2
	cp "$DEMO_KO" "$out"
	"$SIGN_FILE" -s "$sig" sha256 "$TEST_KEYS/rsa.pem" "$out"
}

# A raw CMS signature of the demo module made by openssl itself.
ossl_sign() {
	local out=$1 key=$2
	shift 2
	openssl cms -sign -binary -outform DER -in "$DEMO_KO" -signer "$key" -inkey "$key" \
		-out "$out" "$@" 2>/dev/null
}

setup_file() {
	require_cmd "$SIGN_FILE" linux-kbuild-6.1
	require_cmd openssl openssl
	ensure_test_keys
	export FX=$BATS_FILE_TMPDIR/fx
	mkdir -p "$FX"
	local h k kflag
	for h in sha1 sha224 sha256 sha384 sha512; do
		for k in rsa rsa2048 ec256 ec384; do
			for kflag in "" -k; do
				cp "$DEMO_KO" "$FX/$h-$k$kflag.ko"
				"$SIGN_FILE" $kflag "$h" "$TEST_KEYS/$k.pem" "$TEST_KEYS/$k.pem" "$FX/$h-$k$kflag.ko"
			done
		done
	done
	cp "$DEMO_KO" "$FX/unsigned.ko"
}

# The four certificates the signed fixtures need.
all_certs=(--cert "$TEST_KEYS/rsa.pem" --cert "$TEST_KEYS/rsa2048.pem"
	--cert "$TEST_KEYS/ec256.pem" --cert "$TEST_KEYS/ec384.pem")

# ---- accepted -----------------------------------------------------------------

@test "verify: every sign-file signature (RSA-4096/2048, P-256/384, sha1..sha512, +-k) is ok, as openssl agrees" {
	local h k kflag f n=0
	run -0 --separate-stderr modsign verify "${all_certs[@]}" "$FX"/sha*.ko
	assert_equal "$(wc -l <<<"$output")" 40 "number of lines"
	[ -z "$stderr" ]
	for h in sha1 sha224 sha256 sha384 sha512; do
		for k in rsa rsa2048 ec256 ec384; do
			for kflag in "" -k; do
				f=$FX/$h-$k$kflag.ko
				grep -Fxq "$f: ok (signed by \"modsign test key\", $h)" <<<"$output" ||
					{ echo "no ok line for $f" >&2; return 1; }
				openssl_verify "$f" "$TEST_KEYS/$k.pem"
				n=$((n + 1))
			done
		done
	done
	assert_equal "$n" 40
}

@test "verify: a DER certificate and a --keyring directory work like --cert PEM" {
	local kr=$BATS_TEST_TMPDIR/keyring
	mkdir "$kr"
	cp "$TEST_KEYS/rsa.der" "$kr/a.der"
	openssl x509 -in "$TEST_KEYS/ec384.pem" -out "$kr/b.crt"
	openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024 -out "$kr/MOK.priv" 2>/dev/null
	run -0 modsign verify --cert "$TEST_KEYS/rsa.der" "$FX/sha256-rsa.ko"
	assert_equal "$output" "$FX/sha256-rsa.ko: ok (signed by \"modsign test key\", sha256)"
	run -0 --separate-stderr modsign verify --keyring "$kr" "$FX/sha256-rsa-k.ko" "$FX/sha512-ec384.ko"
	assert_equal "${lines[0]}" "$FX/sha256-rsa-k.ko: ok (signed by \"modsign test key\", sha256)"
	assert_equal "${lines[1]}" "$FX/sha512-ec384.ko: ok (signed by \"modsign test key\", sha512)"
	assert_equal "$stderr" "modsign: warning: $kr/MOK.priv: no certificate in it, skipped"
	# a keyring without any certificate cannot check anything
	rm "$kr"/a.der "$kr"/b.crt
	run -4 --separate-stderr modsign verify --keyring "$kr" "$FX/sha256-rsa.ko"
	[ -z "$output" ]
	assert_match "$stderr" "$kr: no certificates found"
}

@test "verify: a PEM file with several certificates trusts all of them" {
	cat "$TEST_KEYS/other.pem" "$TEST_KEYS/rsa2048.pem" "$TEST_KEYS/ec256.pem" >"$BATS_TEST_TMPDIR/bundle.pem"
	run -0 modsign verify --cert "$BATS_TEST_TMPDIR/bundle.pem" "$FX/sha384-rsa2048.ko" "$FX/sha1-ec256-k.ko"
	assert_equal "${#lines[@]}" 2
}

@test "verify: the outermost of two signatures is the one judged, as the kernel does" {
	local m=$BATS_TEST_TMPDIR/twice.ko
	cp "$FX/sha256-rsa.ko" "$m"
	"$SIGN_FILE" sha256 "$TEST_KEYS/other.pem" "$TEST_KEYS/other.pem" "$m"
	run -3 modsign verify --cert "$TEST_KEYS/rsa.pem" "$m"
	assert_match "$output" "rejected: key not available \(ENOKEY: "
	run -0 modsign verify --cert "$TEST_KEYS/other.pem" "$m"
	assert_equal "$output" "$m: ok (signed by \"Untrusted test key\", sha256)"
}

@test "verify: an expired certificate is accepted with a note (the kernel checks no dates); openssl -CAfile refuses it" {
	local d=$BATS_TEST_TMPDIR/ca m=$BATS_TEST_TMPDIR/exp.ko
	mkdir "$d"
	touch "$d/index.txt"
	echo 01 >"$d/serial"
	cat >"$d/ca.cnf" <<-EOF
		[ ca ]
		default_ca = d
		[ d ]
		database = $d/index.txt
		serial = $d/serial
		new_certs_dir = $d
		default_md = sha256
		policy = p
		unique_subject = no
		[ p ]
		commonName = supplied
		[ ext ]
		subjectKeyIdentifier = hash
		basicConstraints = critical,CA:FALSE
	EOF
	openssl req -new -nodes -newkey rsa:2048 -keyout "$d/exp.key" -out "$d/exp.csr" -subj "/CN=Expired key" 2>/dev/null
	openssl ca -batch -config "$d/ca.cnf" -selfsign -keyfile "$d/exp.key" -in "$d/exp.csr" \
		-out "$d/exp.crt" -startdate 20000101000000Z -enddate 20010101000000Z -extensions ext 2>/dev/null
	cp "$DEMO_KO" "$m"
	"$SIGN_FILE" sha256 "$d/exp.key" "$d/exp.crt" "$m"
	run -0 modsign verify --cert "$d/exp.crt" "$m"
	assert_equal "$output" "$m: ok (signed by \"Expired key\", sha256; note: certificate expired; the kernel does not check validity dates)"
	openssl_verify "$m" "$d/exp.crt"
	split_sig "$m" "$BATS_TEST_TMPDIR/b" "$BATS_TEST_TMPDIR/s"
	run ! openssl cms -verify -binary -inform DER -in "$BATS_TEST_TMPDIR/s" -content "$BATS_TEST_TMPDIR/b" \
		-certfile "$d/exp.crt" -nointern -CAfile "$d/exp.crt" -out /dev/null
	assert_match "$output" "certificate has expired"
}

@test "verify: a signer certificate carried in the message chains to a trusted CA" {
	local d=$BATS_TEST_TMPDIR m=$BATS_TEST_TMPDIR/chain.ko
	openssl req -x509 -new -nodes -newkey rsa:2048 -keyout "$d/ca.key" -out "$d/ca.crt" -subj "/CN=Test CA" \
		-days 3650 -addext basicConstraints=critical,CA:TRUE -addext keyUsage=keyCertSign 2>/dev/null
	openssl req -new -nodes -newkey rsa:2048 -keyout "$d/leaf.key" -out "$d/leaf.csr" -subj "/CN=Leaf signer" 2>/dev/null
	printf 'subjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid,issuer\n' >"$d/ext"
	openssl x509 -req -in "$d/leaf.csr" -CA "$d/ca.crt" -CAkey "$d/ca.key" -CAcreateserial \
		-out "$d/leaf.crt" -days 365 -extfile "$d/ext" 2>/dev/null
	openssl cms -sign -binary -noattr -outform DER -md sha256 -in "$DEMO_KO" \
		-signer "$d/leaf.crt" -inkey "$d/leaf.key" -out "$d/chain.p7s"
	attach "$d/chain.p7s" "$m"
	run -0 modsign verify --cert "$d/ca.crt" "$m"
	assert_equal "$output" "$m: ok (signed by \"Leaf signer\", sha256)"
	run -3 modsign verify --cert "$TEST_KEYS/rsa.pem" "$m"
	assert_match "$output" "rejected: key not available \(ENOKEY: Required key not available; no trusted key for signer issuer \"Test CA\" serial "
}

@test "verify: a compressed module (.ko.gz/.xz/.zst) is judged by its decompressed bytes" {
	require_cmd xz xz-utils
	require_cmd zstd zstd
	local d=$BATS_TEST_TMPDIR
	cp "$FX/sha256-rsa.ko" "$d/good.ko"
	cp "$FX/sha256-rsa.ko" "$d/bad.ko"
	flip_bit "$d/bad.ko" 3000
	for m in good bad; do
		gzip -n -k "$d/$m.ko"
		xz --check=crc32 --lzma2=dict=1MiB -k "$d/$m.ko"
		zstd -q -k "$d/$m.ko" -o "$d/$m.ko.zst"
	done
	run -0 modsign verify --cert "$TEST_KEYS/rsa.pem" "$d/good.ko.gz" "$d/good.ko.xz" "$d/good.ko.zst"
	assert_equal "${lines[1]}" "$d/good.ko.xz: ok (signed by \"modsign test key\", sha256)"
	run -3 modsign verify --cert "$TEST_KEYS/rsa.pem" "$d/bad.ko.gz" "$d/bad.ko.xz" "$d/bad.ko.zst"
	assert_equal "$(grep -c ': rejected: bad signature (EKEYREJECTED' <<<"$output")" 3
	echo "not a module" | xz >"$d/junk.ko.xz"
	run -4 --separate-stderr modsign verify --cert "$TEST_KEYS/rsa.pem" "$d/junk.ko.xz"
	assert_equal "$stderr" "modsign: $d/junk.ko.xz: not an ELF file inside the xz data, not a kernel module"
}

@test "verify: a .ko.xz with xz's default CRC64 check, a .ko.gz with a comment: ok, with a warning the kernel cannot decompress it" {
	require_cmd xz xz-utils
	local d=$BATS_TEST_TMPDIR
	cp "$FX/sha256-rsa.ko" "$d/m.ko"
	xz -k "$d/m.ko"
	run -0 xz -lvv "$d/m.ko.xz"
	assert_match "$output" "CRC64"
	gzip -n -k "$d/m.ko"
	# FCOMMENT (flag 0x10) and the comment "x" before the deflate data
	{
		printf '\x1f\x8b\x08\x10\x00\x00\x00\x00\x00\x03x\x00'
		tail -c +11 "$d/m.ko.gz"
	} >"$d/c.ko.gz"
	run -0 gzip -t "$d/c.ko.gz"
	for m in m.ko.xz c.ko.gz; do
		run -0 --separate-stderr modsign verify --cert "$TEST_KEYS/rsa.pem" "$d/$m"
		assert_equal "$output" "$d/$m: ok (signed by \"modsign test key\", sha256)"
		assert_one_line "$stderr"
	done
	assert_equal "$stderr" "modsign: warning: $d/c.ko.gz: gzip header with an extra field, comment or header CRC: the kernel's loader skips only a file name; the kernel cannot decompress it itself (CONFIG_MODULE_DECOMPRESS)"
	run -0 --separate-stderr modsign verify --cert "$TEST_KEYS/rsa.pem" "$d/m.ko.xz"
	assert_equal "$stderr" "modsign: warning: $d/m.ko.xz: xz integrity check CRC64: the kernel's xz decoder knows only CRC32 (xz --check=crc32); the kernel cannot decompress it itself (CONFIG_MODULE_DECOMPRESS)"
	# Kbuild's parameters: no warning
	xz --check=crc32 --lzma2=dict=1MiB -c "$d/m.ko" >"$d/k.ko.xz"
	run -0 --separate-stderr modsign verify --cert "$TEST_KEYS/rsa.pem" "$d/k.ko.xz" "$d/m.ko.gz"
	assert_equal "$stderr" ""
}

# ---- rejected -----------------------------------------------------------------

@test "verify: an unsigned module is rejected: unsigned (ENODATA)" {
	run -3 --separate-stderr modsign verify --cert "$TEST_KEYS/rsa.pem" "$FX/unsigned.ko"
	assert_equal "$output" "$FX/unsigned.ko: rejected: unsigned (ENODATA: No data available; unsigned module: no \"~Module signature appended~\" marker)"
	[ -z "$stderr" ]
}

@test "verify: one body byte changed is a bad signature (EKEYREJECTED); openssl fails too" {
	local m=$BATS_TEST_TMPDIR/body.ko
	cp "$FX/sha256-rsa.ko" "$m"
	flip_bit "$m" 1000
	run -3 modsign verify --cert "$TEST_KEYS/rsa.pem" "$m"
	assert_equal "$output" "$m: rejected: bad signature (EKEYREJECTED: Key was rejected by service; bad signature: it does not match the signed data)"
	run ! openssl_verify "$m" "$TEST_KEYS/rsa.pem"
}

@test "verify: one bit of the RSA and of the ECDSA signature value flipped is a bad signature; openssl fails too" {
	local m
	for k in rsa ec384; do
		m=$BATS_TEST_TMPDIR/sig-$k.ko
		cp "$FX/sha256-$k.ko" "$m"
		# the signature value ends the CMS blob, just before the 40-byte trailer
		flip_bit "$m" -50
		openssl_verify "$FX/sha256-$k.ko" "$TEST_KEYS/$k.pem"
		run ! openssl_verify "$m" "$TEST_KEYS/$k.pem"
		run -3 modsign verify --cert "$TEST_KEYS/$k.pem" "$m"
		assert_match "$output" "^$m: rejected: bad signature \(EKEYREJECTED: Key was rejected by service; "
	done
}

@test "verify: a key that is not trusted gives key not available (ENOKEY) naming the signer; openssl finds no signer either" {
	local serial
	serial=$(openssl x509 -in "$TEST_KEYS/rsa.pem" -noout -serial | sed 's/^serial=//; s/../&:/g; s/:$//')
	run -3 modsign verify --cert "$TEST_KEYS/other.pem" "$FX/sha256-rsa.ko"
	assert_equal "$output" "$FX/sha256-rsa.ko: rejected: key not available (ENOKEY: Required key not available; no trusted key for signer issuer \"modsign test key\" serial $serial)"
	run ! openssl_verify "$FX/sha256-rsa.ko" "$TEST_KEYS/other.pem"

	local skid
	skid=$(openssl x509 -in "$TEST_KEYS/rsa.pem" -noout -ext subjectKeyIdentifier | tail -1 | tr -d ' ')
	run -3 modsign verify --cert "$TEST_KEYS/other.pem" "$FX/sha256-rsa-k.ko"
	assert_match "$output" "no trusted key for signer subjectKeyIdentifier $skid\)$"
}

@test "verify: non-zero trailer fields are malformed (EBADMSG), id_type != 2 is unsupported crypto (ENOPKG)" {
	local m=$BATS_TEST_TMPDIR/t.ko
	# struct module_signature is at end-40: algo hash id_type signer_len key_id_len pad[3] sig_len[4]
	for off in -40 -39 -37 -36 -35 -34 -33; do
		cp "$FX/sha256-rsa.ko" "$m"
		put_bytes "$m" "$off" 01
		run -3 modsign verify --cert "$TEST_KEYS/rsa.pem" "$m"
		assert_equal "$output" "$m: rejected: malformed (EBADMSG: Bad message; PKCS#7 signature info has unexpected non-zero params)"
	done
	cp "$FX/sha256-rsa.ko" "$m"
	put_bytes "$m" -38 01
	run -3 modsign verify --cert "$TEST_KEYS/rsa.pem" "$m"
	assert_equal "$output" "$m: rejected: unsupported crypto (ENOPKG: Package not installed; not signed with expected PKCS#7 message)"
}

@test "verify: sig_len beyond the file and a truncated trailer are malformed (EBADMSG)" {
	local m=$BATS_TEST_TMPDIR/t.ko
	cp "$FX/sha256-rsa.ko" "$m"
	put_bytes "$m" -32 7fffffff
	run -3 modsign verify --cert "$TEST_KEYS/rsa.pem" "$m"
	assert_equal "$output" "$m: rejected: malformed (EBADMSG: Bad message; signature length points outside the file)"
	# ELF magic, 8 bytes, then the marker: no room for struct module_signature
	printf '\177ELF\0\0\0\0\0\0\0\0~Module signature appended~\n' >"$m"
	run -3 modsign verify --cert "$TEST_KEYS/rsa.pem" "$m"
	assert_equal "$output" "$m: rejected: malformed (EBADMSG: Bad message; truncated signature trailer)"
}

@test "verify: garbage instead of CMS is malformed (EBADMSG); openssl cannot parse it either" {
	local m=$BATS_TEST_TMPDIR/g.ko len
	cp "$FX/sha256-rsa.ko" "$m"
	len=$(sig_len "$m")
	head -c "$len" /dev/zero | tr '\0' 'G' | dd of="$m" bs=1 seek=$(($(stat -c %s "$m") - 40 - len)) conv=notrunc status=none
	run -3 modsign verify --cert "$TEST_KEYS/rsa.pem" "$m"
	assert_equal "$output" "$m: rejected: malformed (EBADMSG: Bad message; Unexpected tag 47, expected 30)"
	run ! openssl_verify "$m" "$TEST_KEYS/rsa.pem"
}

@test "verify: CMS with signed attributes is refused (EKEYREJECTED), although openssl accepts it" {
	local d=$BATS_TEST_TMPDIR
	# openssl's default attributes include S/MIME capabilities: refused while parsing
	ossl_sign "$d/attrs.p7s" "$TEST_KEYS/rsa.pem" -nocerts -md sha256
	attach "$d/attrs.p7s" "$d/attrs.ko"
	run -3 modsign verify --cert "$TEST_KEYS/rsa.pem" "$d/attrs.ko"
	assert_equal "$output" "$d/attrs.ko: rejected: bad signature (EKEYREJECTED: Key was rejected by service; S/MIME Caps only allowed with Authenticode)"
	openssl_verify "$d/attrs.ko" "$TEST_KEYS/rsa.pem"
	# without them, pkcs7_verify's own rule
	ossl_sign "$d/attrs2.p7s" "$TEST_KEYS/rsa.pem" -nocerts -nosmimecap -md sha256
	attach "$d/attrs2.p7s" "$d/attrs2.ko"
	run -3 modsign verify --cert "$TEST_KEYS/rsa.pem" "$d/attrs2.ko"
	assert_equal "$output" "$d/attrs2.ko: rejected: bad signature (EKEYREJECTED: Key was rejected by service; Invalid module sig (has authattrs))"
	openssl_verify "$d/attrs2.ko" "$TEST_KEYS/rsa.pem"
}

@test "verify: embedded content is malformed: EBADMSG (non-detached) or EMSGSIZE (over 65535 bytes)" {
	local d=$BATS_TEST_TMPDIR
	echo hello >"$d/small"
	openssl cms -sign -binary -nocerts -noattr -nodetach -outform DER -md sha256 -in "$d/small" \
		-signer "$TEST_KEYS/rsa.pem" -inkey "$TEST_KEYS/rsa.pem" -out "$d/small.p7s"
	attach "$d/small.p7s" "$d/small.ko"
	run -3 modsign verify --cert "$TEST_KEYS/rsa.pem" "$d/small.ko"
	assert_equal "$output" "$d/small.ko: rejected: malformed (EBADMSG: Bad message; PKCS#7 signature with non-detached data)"
	# the whole module inside the CMS: too big for the kernel's ASN.1 decoder
	ossl_sign "$d/big.p7s" "$TEST_KEYS/rsa.pem" -nocerts -noattr -nodetach -md sha256
	attach "$d/big.p7s" "$d/big.ko"
	run -3 modsign verify --cert "$TEST_KEYS/rsa.pem" "$d/big.ko"
	assert_match "$output" "^$d/big.ko: rejected: malformed \(EMSGSIZE: Message too long; PKCS#7 message of [0-9]+ bytes exceeds the kernel's ASN.1 decoder limit of 65535\)$"
}

@test "verify: digests and signature algorithms the kernel cannot use, although openssl verifies them" {
	local d=$BATS_TEST_TMPDIR
	# sha3-256: unknown to the 6.1 PKCS#7 parser
	ossl_sign "$d/sha3.p7s" "$TEST_KEYS/rsa.pem" -nocerts -noattr -md sha3-256
	attach "$d/sha3.p7s" "$d/sha3.ko"
	run -3 modsign verify --cert "$TEST_KEYS/rsa.pem" "$d/sha3.ko"
	assert_equal "$output" "$d/sha3.ko: rejected: unsupported crypto (ENOPKG: Package not installed; Unsupported digest algo 2.16.840.1.101.3.4.2.8 (sha3-256))"
	openssl_verify "$d/sha3.ko" "$TEST_KEYS/rsa.pem"
	# RSA-PSS: unknown signature algorithm
	ossl_sign "$d/pss.p7s" "$TEST_KEYS/rsa.pem" -nocerts -noattr -md sha256 -keyopt rsa_padding_mode:pss
	attach "$d/pss.p7s" "$d/pss.ko"
	run -3 modsign verify --cert "$TEST_KEYS/rsa.pem" "$d/pss.ko"
	assert_equal "$output" "$d/pss.ko: rejected: unsupported crypto (ENOPKG: Package not installed; Unsupported pkey algo 1.2.840.113549.1.1.10 (rsassaPss))"
	openssl_verify "$d/pss.ko" "$TEST_KEYS/rsa.pem"
	# md5: the parser knows it, but rsa-pkcs1pad has no md5 DigestInfo, so the
	# trusted key rejects it (and an untrusted one is simply not available)
	ossl_sign "$d/md5.p7s" "$TEST_KEYS/rsa.pem" -nocerts -noattr -md md5
	attach "$d/md5.p7s" "$d/md5.ko"
	run -3 modsign verify --cert "$TEST_KEYS/rsa.pem" "$d/md5.ko"
	assert_equal "$output" "$d/md5.ko: rejected: bad signature (EKEYREJECTED: Key was rejected by service; the kernel has no RSA PKCS#1 v1.5 encoding for md5)"
	openssl_verify "$d/md5.ko" "$TEST_KEYS/rsa.pem"
	run -3 modsign verify --cert "$TEST_KEYS/other.pem" "$d/md5.ko"
	assert_match "$output" "rejected: key not available \(ENOKEY"
}

@test "verify: an RSA key size the kernel's rsa does not take (1280 bits) is rejected; openssl accepts" {
	local d=$BATS_TEST_TMPDIR
	openssl req -x509 -new -nodes -newkey rsa:1280 -keyout "$d/k1280.pem" -out "$d/k1280.pem" \
		-subj "/CN=Odd size" -days 30 2>/dev/null
	cp "$DEMO_KO" "$d/odd.ko"
	"$SIGN_FILE" sha256 "$d/k1280.pem" "$d/k1280.pem" "$d/odd.ko"
	run -3 modsign verify --cert "$d/k1280.pem" "$d/odd.ko"
	assert_equal "$output" "$d/odd.ko: rejected: bad signature (EKEYREJECTED: Key was rejected by service; the kernel does not take 1280-bit RSA keys)"
	openssl_verify "$d/odd.ko" "$d/k1280.pem"
}

@test "verify: a certificate whose key the kernel cannot load is ignored with a warning" {
	local d=$BATS_TEST_TMPDIR
	openssl req -x509 -new -nodes -newkey ed25519 -keyout "$d/ed.pem" -out "$d/ed.pem" \
		-subj "/CN=Edwards" -days 30 2>/dev/null
	run -3 --separate-stderr modsign verify --cert "$d/ed.pem" --cert "$TEST_KEYS/other.pem" "$FX/sha256-rsa.ko"
	assert_match "$output" "rejected: key not available"
	assert_equal "$stderr" "modsign: warning: $d/ed.pem: certificate \"Edwards\" ignored: key type not supported by the kernel (only RSA and ECDSA P-192/P-256/P-384)"
}

@test "verify: with two signers one trusted valid signature suffices, but a trusted bad one rejects" {
	local d=$BATS_TEST_TMPDIR ok=0 bad=0
	ossl_sign "$d/two.p7s" "$TEST_KEYS/rsa.pem" -nocerts -noattr -md sha256 \
		-signer "$TEST_KEYS/other.pem" -inkey "$TEST_KEYS/other.pem"
	attach "$d/two.p7s" "$d/two.ko"
	run -0 modsign verify --cert "$TEST_KEYS/rsa.pem" "$d/two.ko"
	run -0 modsign verify --cert "$TEST_KEYS/other.pem" "$d/two.ko"
	# break the signature of the last SignerInfo only
	cp "$d/two.ko" "$d/two-bad.ko"
	flip_bit "$d/two-bad.ko" -50
	run -3 modsign verify --cert "$TEST_KEYS/rsa.pem" --cert "$TEST_KEYS/other.pem" "$d/two-bad.ko"
	assert_match "$output" "rejected: bad signature \(EKEYREJECTED: Key was rejected by service; signer [12]: bad signature"
	for k in rsa other; do
		if modsign verify -q --cert "$TEST_KEYS/$k.pem" "$d/two-bad.ko"; then
			ok=$((ok + 1))
		else
			bad=$((bad + 1))
		fi
	done
	assert_equal "$ok/$bad" "1/1" "ok/rejected when trusting one signer at a time"
}

# ---- could not check, usage ----------------------------------------------------

@test "verify: modules that cannot be read are unchecked (exit 4), which wins over rejected" {
	local d=$BATS_TEST_TMPDIR
	mkdir "$d/dir.ko"
	echo "not elf" >"$d/text.ko"
	: >"$d/empty.ko"
	for f in "$d/missing.ko" "$d/dir.ko" "$d/text.ko" "$d/empty.ko"; do
		run -4 --separate-stderr modsign verify --cert "$TEST_KEYS/rsa.pem" "$f"
		assert_equal "$output" "$f: unchecked (reason on stderr)"
		assert_one_line "$stderr"
		assert_match "$stderr" "^modsign: $f: "
	done
	run -4 --separate-stderr modsign verify --cert "$TEST_KEYS/rsa.pem" "$FX/unsigned.ko" "$d/missing.ko" "$FX/sha256-rsa.ko"
	assert_equal "${#lines[@]}" 3
	assert_match "${lines[0]}" "rejected: unsigned"
	assert_match "${lines[1]}" "unchecked"
	assert_match "${lines[2]}" ": ok "
}

@test "verify: a missing or unusable certificate file means nothing can be checked (exit 4)" {
	local d=$BATS_TEST_TMPDIR
	echo garbage >"$d/garbage.pem"
	for c in "$d/missing.pem" "$d/garbage.pem" "$d"; do
		run -4 --separate-stderr modsign verify --cert "$c" "$FX/sha256-rsa.ko"
		[ -z "$output" ]
		assert_one_line "$stderr"
		assert_match "$stderr" "^modsign: $c: "
	done
	run -4 --separate-stderr modsign verify --keyring "$d/nodir" "$FX/sha256-rsa.ko"
	assert_equal "$stderr" "modsign: $d/nodir: No such file or directory"
}

@test "verify: usage errors exit 2 with one line" {
	run -2 --separate-stderr modsign verify "$FX/sha256-rsa.ko"
	assert_equal "$stderr" "modsign: verify: no trusted certificates: give --cert FILE or --keyring DIR (see 'modsign verify --help')"
	run -2 --separate-stderr modsign verify --cert "$TEST_KEYS/rsa.pem"
	assert_equal "$stderr" "modsign: verify: no MODULE given (see 'modsign verify --help')"
	run -2 --separate-stderr modsign verify --frobnicate --cert "$TEST_KEYS/rsa.pem" "$FX/sha256-rsa.ko"
	assert_one_line "$stderr"
	run -2 --separate-stderr modsign verify "$FX/sha256-rsa.ko" --cert
	assert_equal "$stderr" "modsign: verify: option '-c' needs an argument (see 'modsign verify --help')"
	[ -z "$output" ]
	run -0 modsign verify --help
	assert_equal "${lines[0]}" "Usage: modsign verify [--cert FILE]... [--keyring DIR]... [--kernel-dir DIR] [--json] [-q] MODULE..."
	assert_match "$output" "Exit status: 0 every module would be loaded; 3 at least one would be rejected;"
}

@test "verify: inputs are never modified" {
	local before after
	cp "$FX/sha256-rsa.ko" "$BATS_TEST_TMPDIR/m.ko"
	before=$(sha256sum "$BATS_TEST_TMPDIR/m.ko" "$FX/unsigned.ko" "$TEST_KEYS/rsa.pem" "$TEST_KEYS/other.pem")
	run -0 modsign verify --cert "$TEST_KEYS/rsa.pem" "$BATS_TEST_TMPDIR/m.ko"
	run -3 modsign verify --cert "$TEST_KEYS/other.pem" --json "$BATS_TEST_TMPDIR/m.ko" "$FX/unsigned.ko"
	after=$(sha256sum "$BATS_TEST_TMPDIR/m.ko" "$FX/unsigned.ko" "$TEST_KEYS/rsa.pem" "$TEST_KEYS/other.pem")
	assert_equal "$after" "$before"
	assert_no_temp "$BATS_TEST_TMPDIR"
}

@test "verify: --json is a valid array with file, verdict, errno, reason, signer, hash" {
	require_cmd jq jq
	run -4 --separate-stderr modsign verify --json --cert "$TEST_KEYS/rsa.pem" \
		"$FX/sha384-rsa.ko" "$FX/unsigned.ko" "$FX/sha256-ec256.ko" "$BATS_TEST_TMPDIR/missing.ko"
	jq -e . <<<"$output" >/dev/null
	assert_equal "$(jq -r 'length' <<<"$output")" 4
	assert_equal "$(jq -c '.[0] | [.file, .verdict, .errno, .signer, .hash, .loads_without_enforcement]' <<<"$output")" \
		"[\"$FX/sha384-rsa.ko\",\"ok\",null,\"modsign test key\",\"sha384\",true]"
	assert_equal "$(jq -c '.[1] | [.verdict, .errno]' <<<"$output")" '["unsigned","ENODATA"]'
	assert_equal "$(jq -c '.[2] | [.verdict, .errno, .hash, .loads_without_enforcement]' <<<"$output")" \
		'["no-key","ENOKEY","sha256",true]'
	assert_match "$(jq -r '.[2].signer' <<<"$output")" '^issuer "modsign test key" serial [0-9A-F:]+$'
	assert_equal "$(jq -c '.[3] | [.verdict, .errno]' <<<"$output")" '["unchecked",null]'
	assert_equal "$(jq -r '[.[] | keys | join(",")] | unique | .[]' <<<"$output")" \
		"errno,file,hash,loads_without_enforcement,note,reason,signer,verdict"
	# a bad signature is fatal even without enforcement
	cp "$FX/sha256-rsa.ko" "$BATS_TEST_TMPDIR/bad.ko"
	flip_bit "$BATS_TEST_TMPDIR/bad.ko" 2000
	run -3 modsign verify --json --cert "$TEST_KEYS/rsa.pem" "$BATS_TEST_TMPDIR/bad.ko"
	assert_equal "$(jq -c '.[0] | [.verdict, .errno, .loads_without_enforcement]' <<<"$output")" \
		'["bad-signature","EKEYREJECTED",false]'
	python3 -m json.tool <<<"$output" >/dev/null
	# file names are escaped, whatever they hold
	local odd=$BATS_TEST_TMPDIR/we\"ird\\name.ko
	cp "$FX/sha256-rsa.ko" "$odd"
	run -0 modsign verify --json --cert "$TEST_KEYS/rsa.pem" "$odd"
	assert_equal "$(jq -r '.[0].file' <<<"$output")" "$odd"
}

@test "verify: -q prints nothing; the exit status tells" {
	run -0 --separate-stderr modsign verify -q --cert "$TEST_KEYS/rsa.pem" "$FX/sha256-rsa.ko"
	[ -z "$output" ] && [ -z "$stderr" ]
	run -3 --separate-stderr modsign verify --quiet --cert "$TEST_KEYS/rsa.pem" "$FX/unsigned.ko"
	[ -z "$output" ] && [ -z "$stderr" ]
	run -4 --separate-stderr modsign verify -q --cert "$TEST_KEYS/rsa.pem" "$BATS_TEST_TMPDIR/missing.ko"
	[ -z "$output" ]
	assert_one_line "$stderr"
}

# ---- the -s path of sign-file mode, which uses verify_cms ------------------------

@test "verify: -s attaches a raw signature exactly as sign-file -s, after checking it" {
	local d=$BATS_TEST_TMPDIR
	cp "$DEMO_KO" "$d/p.ko"
	"$SIGN_FILE" -d sha256 "$TEST_KEYS/rsa.pem" "$TEST_KEYS/rsa.pem" "$d/p.ko"
	cp "$DEMO_KO" "$d/ref.ko"
	cp "$DEMO_KO" "$d/mine.ko"
	"$SIGN_FILE" -s "$d/p.ko.p7s" sha256 "$TEST_KEYS/rsa.pem" "$d/ref.ko"
	run -0 modsign -s "$d/p.ko.p7s" sha256 "$TEST_KEYS/rsa.pem" "$d/mine.ko"
	assert_same_file "$d/mine.ko" "$d/ref.ko"
	run -0 modsign verify --cert "$TEST_KEYS/rsa.pem" "$d/mine.ko"
}

@test "verify: -s refuses a raw signature of another module, of another key, or with attributes (exit 1, untouched)" {
	local d=$BATS_TEST_TMPDIR before
	cp "$DEMO_KO" "$d/p.ko"
	"$SIGN_FILE" -d sha256 "$TEST_KEYS/rsa.pem" "$TEST_KEYS/rsa.pem" "$d/p.ko"
	cp "$DEMO_KO" "$d/other.ko"
	flip_bit "$d/other.ko" 600
	before=$(sha "$d/other.ko")
	run -1 --separate-stderr modsign -s "$d/p.ko.p7s" sha256 "$TEST_KEYS/rsa.pem" "$d/other.ko"
	assert_equal "$stderr" "modsign: $d/p.ko.p7s: refusing to attach to $d/other.ko: bad signature: it does not match the signed data"
	assert_equal "$(sha "$d/other.ko")" "$before"
	assert_no_temp "$d"

	cp "$DEMO_KO" "$d/m.ko"
	before=$(sha "$d/m.ko")
	run -1 --separate-stderr modsign -s "$d/p.ko.p7s" sha256 "$TEST_KEYS/other.pem" "$d/m.ko"
	assert_match "$stderr" "refusing to attach to $d/m.ko: no trusted key for signer issuer "
	ossl_sign "$d/attrs.p7s" "$TEST_KEYS/rsa.pem" -nocerts -nosmimecap -md sha256
	run -1 --separate-stderr modsign -s "$d/attrs.p7s" sha256 "$TEST_KEYS/rsa.pem" "$d/m.ko"
	assert_equal "$stderr" "modsign: $d/attrs.p7s: refusing to attach to $d/m.ko: Invalid module sig (has authattrs)"
	assert_equal "$(sha "$d/m.ko")" "$before"
}

@test "--kernel-dir: a hash or key type the kernel was built without is refused" {
	k=$BATS_TEST_TMPDIR/kernel
	mkdir -p "$k/include/config"
	printf 'CONFIG_CRYPTO_SHA256=y\nCONFIG_CRYPTO_SHA512=m\nCONFIG_CRYPTO_RSA=y\n' >"$k/include/config/auto.conf"
	m=$(demo_copy "$BATS_TEST_TMPDIR/sha1.ko")
	"$MODSIGN_BIN" sha1 "$TEST_KEYS/rsa.pem" "$TEST_KEYS/rsa.pem" "$m"
	run -3 modsign verify --kernel-dir "$k" --cert "$TEST_KEYS/rsa.der" "$m"
	assert_equal "$output" "$m: rejected: unsupported crypto (ENOPKG: Package not installed; $k has no sha1 (its CONFIG_CRYPTO_SHA* is not set))"
	run -0 modsign verify --cert "$TEST_KEYS/rsa.der" "$m"
	for h in sha224 sha256 sha384 sha512; do
		m=$(demo_copy "$BATS_TEST_TMPDIR/$h.ko")
		"$MODSIGN_BIN" "$h" "$TEST_KEYS/rsa.pem" "$TEST_KEYS/rsa.pem" "$m"
		run -0 modsign verify --kernel-dir "$k" --cert "$TEST_KEYS/rsa.der" "$m"
	done
	# No CONFIG_CRYPTO_ECDSA: the kernel cannot even load an ECDSA certificate.
	m=$(demo_copy "$BATS_TEST_TMPDIR/ec.ko")
	"$MODSIGN_BIN" sha384 "$TEST_KEYS/ec384.pem" "$TEST_KEYS/ec384.pem" "$m"
	run -3 modsign verify --kernel-dir "$k" --cert "$TEST_KEYS/ec384.der" "$m"
	assert_match "$output" "rejected: key not available \(ENOKEY"
	echo CONFIG_CRYPTO_ECDSA=y >>"$k/include/config/auto.conf"
	run -0 modsign verify --kernel-dir "$k" --cert "$TEST_KEYS/ec384.der" "$m"
}

@test "--kernel-dir: not a configured kernel tree could not be checked" {
	m=$(demo_copy)
	run -4 --separate-stderr modsign verify --kernel-dir "$BATS_TEST_TMPDIR" --cert "$TEST_KEYS/rsa.der" "$m"
	assert_one_line "$stderr"
	assert_match "$stderr" "$BATS_TEST_TMPDIR: no include/config/auto.conf or .config"
}
