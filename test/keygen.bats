#!/usr/bin/env bats
# modsign keygen: the key pair openssl req makes from the same x509.genkey
# template, field by field; never overwriting; nothing left behind on errors.

# shellcheck disable=SC2154 # $output and $stderr are set by bats' run
load test_helper

# Shared keys, made once (RSA-4096 takes seconds):
#   $K/rsa     modsign keygen with the default template (found next to the binary)
#   $K/ec      modsign keygen --template x509/x509-ecdsa.genkey
#   $K/ref-rsa.pem, $K/ref-ec.pem   openssl req from the same templates
# $K/t2048.genkey is x509/x509.genkey with 2048 bits, for the cheaper tests.
setup_file() {
	local k=$BATS_FILE_TMPDIR rc
	unset MODSIGN_TEMPLATE_DIR
	sed 's/^default_bits = 4096$/default_bits = 2048/' "$TOP/x509/x509.genkey" >"$k/t2048.genkey"
	for d in rsa ec; do
		rc=0
		if [ "$d" = rsa ]; then
			modsign keygen "$k/rsa" >"$k/rsa.out" 2>"$k/rsa.err" || rc=$?
		else
			modsign keygen --template "$TOP/x509/x509-ecdsa.genkey" "$k/ec" \
				>"$k/ec.out" 2>"$k/ec.err" || rc=$?
		fi
		echo "$rc" >"$k/$d.rc"
	done
	openssl req -new -nodes -utf8 -sha512 -days 36500 -batch -x509 \
		-config "$TOP/x509/x509.genkey" \
		-outform PEM -out "$k/ref-rsa.pem" -keyout "$k/ref-rsa.pem" 2>/dev/null
	openssl req -new -nodes -utf8 -sha512 -days 36500 -batch -x509 \
		-config "$TOP/x509/x509-ecdsa.genkey" \
		-newkey ec -pkeyopt ec_paramgen_curve:secp384r1 \
		-outform PEM -out "$k/ref-ec.pem" -keyout "$k/ref-ec.pem" 2>/dev/null
}

setup() {
	K=$BATS_FILE_TMPDIR
	T2048=$K/t2048.genkey
	unset MODSIGN_TEMPLATE_DIR
}

teardown() {
	# The read-only directory test makes one immutable, the full-disk one mounts.
	[ ! -e "$BATS_TEST_TMPDIR/ro" ] || chattr -i "$BATS_TEST_TMPDIR/ro" 2>/dev/null || true
	! mountpoint -q "$BATS_TEST_TMPDIR/full" 2>/dev/null || umount "$BATS_TEST_TMPDIR/full"
}

# The certificate's ASN.1 structure, with what must differ between two
# certificates blanked: offsets and lengths, the serial, the dates, and
# (unless KEEP_KEYIDS) the key identifiers.  Everything else - version,
# algorithms, subject and issuer with their string types, each extension
# with its critical flag and value, curve - is kept.
cert_shape() {
	openssl x509 -in "$1" -outform DER | openssl asn1parse -inform DER -i |
		sed -E 's/^ *[0-9]+:(d=[0-9]+) +hl= *[0-9]+ +l= *[0-9]+ +/\1 /' |
		awk -v keep="${KEEP_KEYIDS:-}" '
			/(UTCTIME|GENERALIZEDTIME) +:/ { sub(/:[0-9]+Z$/, ":<time>") }
			/^d=2 +prim: +INTEGER/ && !serial { sub(/:[0-9A-F]+$/, ":<serial>"); serial = 1 }
			keyid && /HEX DUMP/ { if (!keep) sub(/\]:[0-9A-F]+$/, "]:<keyid>"); keyid = 0 }
			/Key Identifier/ { keyid = 1 }
			{ print }'
}

# `openssl x509 -text` of a certificate, cached per path (openssl is slow to start).
text() {
	local c=$BATS_FILE_TMPDIR/.text/${1//\//_}
	[ -s "$c" ] || { mkdir -p "${c%/*}" && openssl x509 -in "$1" -noout -text >"$c"; } || return 1
	cat "$c"
}

# The first line of the text matching a regex, trimmed.
text_line() { text "$1" | grep -m1 -E "$2" | sed -E 's/^ +//'; }

# Days between notBefore and notAfter; fails unless a whole number.
cert_days() {
	local t nb na
	t=$(text "$1")
	nb=$(date -ud "$(sed -n 's/^ *Not Before: //p' <<<"$t")" +%s)
	na=$(date -ud "$(sed -n 's/^ *Not After : //p' <<<"$t")" +%s)
	[ $(((na - nb) % 86400)) -eq 0 ] || { echo "validity of $1 is not whole days" >&2; return 1; }
	echo $(((na - nb) / 86400))
}

# One extension's text as openssl prints it, e.g. ext_text FILE keyUsage
ext_text() { openssl x509 -in "$1" -noout -ext "$2"; }

# A key identifier extension's value (hex with colons; AKID without "keyid:").
ext_value() {
	text "$1" | awk -v n="$2" 'f { gsub(/ /, ""); sub(/^keyid:/, ""); print; exit } index($0, n) { f = 1 }'
}
skid() { ext_value "$1" "X509v3 Subject Key Identifier:"; }
akid() { ext_value "$1" "X509v3 Authority Key Identifier:"; }

# A 2048-bit variant of the default template with some lines changed (sed script).
tpl() {
	local out=$BATS_TEST_TMPDIR/${2:-t}.genkey
	sed -e "$1" "$T2048" >"$out"
	echo "$out"
}

# The pair in DIR is whole: the DER is the PEM's certificate, and the PEM's
# private key belongs to it.
assert_pair() {
	local d=$1
	openssl x509 -in "$d/signing_key.pem" -outform DER | cmp - "$d/signing_key.x509" >&2
	assert_equal "$(openssl x509 -in "$d/signing_key.x509" -inform DER -noout -pubkey)" \
		"$(openssl pkey -in "$d/signing_key.pem" -pubout)" "public key of cert and key"
}

@test "default template: writes both files, prints their paths, nothing on stderr" {
	assert_equal "$(cat "$K/rsa.rc")" 0 "exit code"
	assert_equal "$(cat "$K/rsa.out")" "wrote $K/rsa/signing_key.pem
wrote $K/rsa/signing_key.x509" "stdout"
	assert_equal "$(cat "$K/rsa.err")" "" "stderr"
	assert_equal "$(ls -A "$K/rsa")" "signing_key.pem
signing_key.x509" "files in DIR"
	assert_equal "$(text_line "$K/rsa/signing_key.pem" 'Subject:')" \
		"Subject: O = modsign, CN = modsign automatically generated module signing key"
}

@test "file modes: DIR 0700 (created), signing_key.pem 0600, signing_key.x509 0644" {
	assert_equal "$(stat -c %a "$K/rsa")" 700 "DIR mode"
	assert_equal "$(stat -c %a "$K/rsa/signing_key.pem")" 600 "pem mode"
	assert_equal "$(stat -c %a "$K/rsa/signing_key.x509")" 644 "x509 mode"
	assert_equal "$(stat -c %a "$K/ec/signing_key.pem")" 600 "ec pem mode"
}

@test "signing_key.pem: an unencrypted PKCS#8 key, then the certificate, nothing else" {
	for d in rsa ec; do
		assert_equal "$(grep -- '-----' "$K/$d/signing_key.pem")" "-----BEGIN PRIVATE KEY-----
-----END PRIVATE KEY-----
-----BEGIN CERTIFICATE-----
-----END CERTIFICATE-----" "$d PEM blocks"
		# openssl req -nodes writes the same kind of file.
		assert_equal "$(grep -- '-----BEGIN' "$K/ref-$d.pem")" "-----BEGIN PRIVATE KEY-----
-----BEGIN CERTIFICATE-----" "reference $d PEM blocks"
	done
}

@test "signing_key.x509 is the PEM's certificate in DER, and the key matches it" {
	for d in rsa ec; do
		assert_pair "$K/$d"
		# What `openssl x509 -outform DER` makes, byte for byte.
		openssl x509 -in "$K/$d/signing_key.pem" -outform DER -out "$BATS_TEST_TMPDIR/$d.der"
		assert_same_file "$BATS_TEST_TMPDIR/$d.der" "$K/$d/signing_key.x509"
	done
}

@test "RSA: same subject, version, key, signature algorithm and validity as openssl req" {
	local ours=$K/rsa/signing_key.pem ref=$K/ref-rsa.pem
	names=$(openssl x509 -in "$ours" -noout -subject -issuer -nameopt RFC2253)
	assert_equal "$names" "$(openssl x509 -in "$ref" -noout -subject -issuer -nameopt RFC2253)" \
		"subject and issuer"
	assert_equal "$(sed -n 2p <<<"$names")" "$(sed -n 's/^subject/issuer/p' <<<"$names")" \
		"issuer == subject"
	assert_equal "$(text_line "$ours" 'Version:')" "Version: 3 (0x2)"
	assert_equal "$(text_line "$ref" 'Version:')" "Version: 3 (0x2)"
	for f in 'Public Key Algorithm:' 'Public-Key:' 'Exponent:' 'Signature Algorithm:'; do
		assert_equal "$(text_line "$ours" "$f")" "$(text_line "$ref" "$f")" "$f"
	done
	assert_equal "$(text_line "$ours" 'Public-Key:')" "Public-Key: (4096 bit)"
	assert_equal "$(text_line "$ours" 'Signature Algorithm:')" "Signature Algorithm: sha512WithRSAEncryption"
	assert_equal "$(cert_days "$ours")" 36500 "validity (days)"
	assert_equal "$(cert_days "$ref")" 36500 "reference validity (days)"
	# Valid from now.
	nb=$(date -ud "$(text "$ours" | sed -n 's/^ *Not Before: //p')" +%s)
	made=$(stat -c %Y "$ours")
	[ $((made - nb)) -ge 0 ] && [ $((made - nb)) -lt 120 ]
}

@test "RSA: same extensions as openssl req, critical flags included; SKID is the key's" {
	local ours=$K/rsa/signing_key.pem ref=$K/ref-rsa.pem
	assert_equal "$(ext_text "$ours" basicConstraints,keyUsage)" \
		"$(ext_text "$ref" basicConstraints,keyUsage)" "basicConstraints, keyUsage"
	assert_equal "$(ext_text "$ours" basicConstraints)" "X509v3 Basic Constraints: critical
    CA:FALSE"
	assert_equal "$(ext_text "$ours" keyUsage)" "X509v3 Key Usage: 
    Digital Signature"
	assert_match "$(skid "$ours")" '^([0-9A-F]{2}:){19}[0-9A-F]{2}$'
	assert_match "$(skid "$ref")" '^([0-9A-F]{2}:){19}[0-9A-F]{2}$'
	# authorityKeyIdentifier=keyid: openssl 3 leaves it off a self-signed
	# certificate (older openssl wrote keyid == SKID); do exactly what it does.
	assert_equal "$(ext_text "$ours" authorityKeyIdentifier | wc -l)" \
		"$(ext_text "$ref" authorityKeyIdentifier | wc -l)" "authorityKeyIdentifier present"
	if [ -n "$(akid "$ours")" ]; then
		assert_equal "$(akid "$ours")" "$(skid "$ours")" "AKID keyid"
	fi
	# The same extensions in the same order, and nothing else.
	assert_equal "$(text "$ours" | sed -n '/X509v3 extensions:/,/Signature Algorithm/p' | grep -E '^ {12}[A-Z]')" \
		"$(text "$ref" | sed -n '/X509v3 extensions:/,/Signature Algorithm/p' | grep -E '^ {12}[A-Z]')" \
		"extension list"
}

@test "RSA: the whole ASN.1 structure equals openssl req's but for serial, dates, key ids" {
	diff -u <(cert_shape "$K/ref-rsa.pem") <(cert_shape "$K/rsa/signing_key.pem") >&2
	# 159-bit positive serials, like openssl req's.
	serial=$(openssl x509 -in "$K/rsa/signing_key.pem" -noout -serial | cut -d= -f2)
	[ "${#serial}" -le 40 ] && [ "${#serial}" -ge 30 ]
	[[ $serial =~ ^[0-7] ]] || [ "${#serial}" -lt 40 ]
}

@test "openssl req with modsign's key and template: the same certificate, key ids included" {
	# From our own key, openssl must compute the very same SKID and fields.
	for d in rsa ec; do
		tpl=$TOP/x509/x509.genkey
		[ "$d" = rsa ] || tpl=$TOP/x509/x509-ecdsa.genkey
		openssl req -new -utf8 -sha512 -days 36500 -batch -x509 -config "$tpl" \
			-key "$K/$d/signing_key.pem" -out "$BATS_TEST_TMPDIR/$d.crt" 2>/dev/null
		KEEP_KEYIDS=1 cert_shape "$BATS_TEST_TMPDIR/$d.crt" >"$BATS_TEST_TMPDIR/ref.shape"
		KEEP_KEYIDS=1 cert_shape "$K/$d/signing_key.pem" >"$BATS_TEST_TMPDIR/ours.shape"
		diff -u "$BATS_TEST_TMPDIR/ref.shape" "$BATS_TEST_TMPDIR/ours.shape" >&2
	done
}

@test "ECDSA P-384: same fields and structure as openssl req -newkey ec secp384r1" {
	assert_equal "$(cat "$K/ec.rc")" 0 "exit code"
	assert_equal "$(cat "$K/ec.err")" "" "stderr"
	local ours=$K/ec/signing_key.pem ref=$K/ref-ec.pem
	assert_equal "$(openssl x509 -in "$ours" -noout -subject -nameopt RFC2253)" \
		"$(openssl x509 -in "$ref" -noout -subject -nameopt RFC2253)" "subject"
	for f in 'Version:' 'Public Key Algorithm:' 'Public-Key:' 'ASN1 OID:' 'NIST CURVE:' \
		'Signature Algorithm:'; do
		assert_equal "$(text_line "$ours" "$f")" "$(text_line "$ref" "$f")" "$f"
	done
	assert_equal "$(text_line "$ours" 'Public-Key:')" "Public-Key: (384 bit)"
	assert_equal "$(text_line "$ours" 'ASN1 OID:')" "ASN1 OID: secp384r1"
	assert_equal "$(text_line "$ours" 'Signature Algorithm:')" "Signature Algorithm: ecdsa-with-SHA512"
	assert_equal "$(ext_text "$ours" basicConstraints,keyUsage)" \
		"$(ext_text "$ref" basicConstraints,keyUsage)" "basicConstraints, keyUsage"
	assert_match "$(skid "$ours")" '^([0-9A-F]{2}:){19}[0-9A-F]{2}$'
	assert_equal "$(cert_days "$ours")" 36500 "validity (days)"
	diff -u <(cert_shape "$ref") <(cert_shape "$ours") >&2
}

@test "the keys sign a module with Debian's sign-file; modinfo names the template's CN" {
	require_cmd "$SIGN_FILE" linux-kbuild-6.1
	require_cmd modinfo kmod
	for d in rsa ec; do
		m=$(demo_copy "$BATS_TEST_TMPDIR/$d.ko")
		"$SIGN_FILE" sha256 "$K/$d/signing_key.pem" "$K/$d/signing_key.x509" "$m"
		cn=$(openssl x509 -in "$K/$d/signing_key.pem" -noout -subject -nameopt multiline |
			sed -n 's/^ *commonName *= //p')
		assert_equal "$(modinfo -F signer "$m")" "$cn" "$d signer"
		assert_equal "$(modinfo -F sig_hashalgo "$m")" sha256 "$d sig_hashalgo"
		# And the signature verifies against the certificate.
		size=$(stat -c %s "$m")
		siglen=$(tail -c 32 "$m" | head -c 4 | od -An -tu1 |
			awk '{ print $1 * 16777216 + $2 * 65536 + $3 * 256 + $4 }')
		head -c $((size - 40 - siglen)) "$m" >"$BATS_TEST_TMPDIR/body"
		tail -c $((siglen + 40)) "$m" | head -c "$siglen" >"$BATS_TEST_TMPDIR/sig"
		cmp "$BATS_TEST_TMPDIR/body" "$DEMO_KO"
		openssl cms -verify -binary -inform DER -in "$BATS_TEST_TMPDIR/sig" \
			-content "$BATS_TEST_TMPDIR/body" -certfile "$K/$d/signing_key.pem" \
			-noverify -out /dev/null
	done
}

@test "--hash sha256 --days 30: sha256WithRSAEncryption, 30 days, as openssl req -sha256 -days 30" {
	d=$BATS_TEST_TMPDIR/k
	run -0 --separate-stderr modsign keygen --template "$T2048" --hash sha256 --days 30 "$d"
	assert_equal "$stderr" ""
	openssl req -new -nodes -utf8 -sha256 -days 30 -batch -x509 -config "$T2048" \
		-out "$BATS_TEST_TMPDIR/ref.pem" -keyout "$BATS_TEST_TMPDIR/ref.pem" 2>/dev/null
	assert_equal "$(text_line "$d/signing_key.pem" 'Signature Algorithm:')" \
		"Signature Algorithm: sha256WithRSAEncryption"
	assert_equal "$(text_line "$d/signing_key.pem" 'Public-Key:')" "Public-Key: (2048 bit)"
	assert_equal "$(cert_days "$d/signing_key.pem")" 30 "validity (days)"
	assert_equal "$(cert_days "$BATS_TEST_TMPDIR/ref.pem")" 30 "reference validity"
	diff -u <(cert_shape "$BATS_TEST_TMPDIR/ref.pem") <(cert_shape "$d/signing_key.pem") >&2
	assert_pair "$d"
}

@test "the template's default_md is the default hash; --hash overrides it" {
	t=$(tpl 's/^\[ req \]$/[ req ]\ndefault_md = sha384/')
	run -0 modsign keygen --template "$t" "$BATS_TEST_TMPDIR/a"
	assert_equal "$(text_line "$BATS_TEST_TMPDIR/a/signing_key.pem" 'Signature Algorithm:')" \
		"Signature Algorithm: sha384WithRSAEncryption"
	run -0 modsign keygen --template "$t" --hash sha256 "$BATS_TEST_TMPDIR/b"
	assert_equal "$(text_line "$BATS_TEST_TMPDIR/b/signing_key.pem" 'Signature Algorithm:')" \
		"Signature Algorithm: sha256WithRSAEncryption"
	# Without default_md: sha512.
	run -0 modsign keygen --template "$T2048" "$BATS_TEST_TMPDIR/c"
	assert_equal "$(text_line "$BATS_TEST_TMPDIR/c/signing_key.pem" 'Signature Algorithm:')" \
		"Signature Algorithm: sha512WithRSAEncryption"
}

@test "repeated fields (0.OU, 1.OU), a multi-valued RDN, UTF-8 and keyid:always, as openssl req" {
	t=$BATS_TEST_TMPDIR/multi.genkey
	cat >"$t" <<'EOF'
[ req ]
default_bits = 2048
distinguished_name = dn
prompt = no
string_mask = utf8only
x509_extensions = ext
modsign_key_type = ec
modsign_ec_curve = prime256v1

[ dn ]
C = DE
0.OU = first unit
1.OU = second unit
CN = Grüße, signing key
+emailAddress = keys@example.invalid

[ ext ]
basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature
subjectKeyIdentifier=hash
authorityKeyIdentifier=keyid:always
EOF
	run -0 modsign keygen --template "$t" "$BATS_TEST_TMPDIR/k"
	ours=$BATS_TEST_TMPDIR/k/signing_key.pem
	openssl req -new -utf8 -sha512 -days 36500 -batch -x509 -config "$t" \
		-key "$ours" -out "$BATS_TEST_TMPDIR/ref.crt" 2>/dev/null
	assert_equal "$(openssl x509 -in "$ours" -noout -subject -nameopt RFC2253)" \
		'subject=emailAddress=keys@example.invalid+CN=Gr\C3\BC\C3\9Fe\, signing key,OU=second unit,OU=first unit,C=DE'
	KEEP_KEYIDS=1 cert_shape "$BATS_TEST_TMPDIR/ref.crt" >"$BATS_TEST_TMPDIR/ref.shape"
	KEEP_KEYIDS=1 cert_shape "$ours" >"$BATS_TEST_TMPDIR/ours.shape"
	diff -u "$BATS_TEST_TMPDIR/ref.shape" "$BATS_TEST_TMPDIR/ours.shape" >&2
	assert_equal "$(text_line "$ours" 'ASN1 OID:')" "ASN1 OID: prime256v1"
	assert_equal "$(akid "$ours")" "$(skid "$ours")" "AKID keyid == SKID"
	assert_equal "$(ext_text "$ours" keyUsage | head -1)" "X509v3 Key Usage: critical"
}

@test "refuses to overwrite an existing key: exit 1, one line, both files untouched" {
	d=$BATS_TEST_TMPDIR/k
	cp -a "$K/rsa" "$d"
	before=$(sha "$d/signing_key.pem") before_der=$(sha "$d/signing_key.x509")
	run -1 --separate-stderr modsign keygen --template "$T2048" "$d"
	assert_equal "$stderr" "modsign: $d/signing_key.pem: already exists, not overwriting"
	assert_equal "$output" "" "stdout"
	assert_equal "$(sha "$d/signing_key.pem")" "$before" "signing_key.pem"
	assert_equal "$(sha "$d/signing_key.x509")" "$before_der" "signing_key.x509"
	assert_equal "$(ls -A "$d")" "signing_key.pem
signing_key.x509" "files in DIR"
	# Even when the DER was removed: the private key is what matters.
	rm "$d/signing_key.x509"
	run -1 --separate-stderr modsign keygen "$d/"
	assert_equal "$stderr" "modsign: $d/signing_key.pem: already exists, not overwriting"
	assert_equal "$(sha "$d/signing_key.pem")" "$before" "signing_key.pem"
	[ ! -e "$d/signing_key.x509" ]
	assert_no_temp "$d"
}

@test "a DER without its PEM (an interrupted keygen) is reported, not overwritten" {
	d=$BATS_TEST_TMPDIR/k
	mkdir "$d"
	cp "$K/rsa/signing_key.x509" "$d/"
	run -1 --separate-stderr modsign keygen --template "$T2048" "$d"
	assert_one_line "$stderr"
	assert_equal "$stderr" "modsign: $d/signing_key.x509: already exists, not overwriting (without $d/signing_key.pem: an interrupted keygen? remove it to make a new key)"
	assert_same_file "$d/signing_key.x509" "$K/rsa/signing_key.x509"
	[ ! -e "$d/signing_key.pem" ]
	assert_no_temp "$d"
}

@test "eight keygens at once on one DIR: one succeeds, seven say 'already exists', one whole pair" {
	d=$BATS_TEST_TMPDIR/race
	for i in 1 2 3 4 5 6 7 8; do
		(
			rc=0
			modsign keygen --template "$T2048" "$d" >"$BATS_TEST_TMPDIR/out.$i" \
				2>"$BATS_TEST_TMPDIR/err.$i" || rc=$?
			echo "$rc" >"$BATS_TEST_TMPDIR/rc.$i"
		) &
	done
	wait
	ok=0 refused=0
	for i in 1 2 3 4 5 6 7 8; do
		rc=$(cat "$BATS_TEST_TMPDIR/rc.$i")
		if [ "$rc" -eq 0 ]; then
			ok=$((ok + 1))
			assert_equal "$(cat "$BATS_TEST_TMPDIR/err.$i")" "" "stderr of the winner"
		else
			assert_equal "$rc" 1 "exit code of a loser"
			err=$(cat "$BATS_TEST_TMPDIR/err.$i")
			assert_one_line "$err"
			assert_match "$err" "^modsign: ${d//./\\.}/signing_key\.(pem|x509): already exists, not overwriting$"
			assert_equal "$(cat "$BATS_TEST_TMPDIR/out.$i")" "" "stdout of a loser"
			refused=$((refused + 1))
		fi
	done
	assert_equal "$ok" 1 "winners"
	assert_equal "$refused" 7 "refused"
	assert_equal "$(ls -A "$d")" "signing_key.pem
signing_key.x509" "files in DIR"
	assert_pair "$d"
	assert_equal "$(stat -c %a "$d/signing_key.pem")" 600 "pem mode"
	assert_no_temp "$d"
}

@test "missing template: exit 1, one line naming it, DIR not created" {
	run -1 --separate-stderr modsign keygen --template "$BATS_TEST_TMPDIR/nope.genkey" "$BATS_TEST_TMPDIR/k"
	assert_equal "$stderr" "modsign: $BATS_TEST_TMPDIR/nope.genkey: No such file or directory"
	[ ! -e "$BATS_TEST_TMPDIR/k" ]
	run -1 --separate-stderr modsign keygen --template "$BATS_TEST_TMPDIR" "$BATS_TEST_TMPDIR/k"
	assert_equal "$stderr" "modsign: $BATS_TEST_TMPDIR: is a directory"
}

@test "template with a syntax error: exit 1, one line with FILE:LINE and NCONF's reason" {
	t=$(tpl '3s/.*/this line has no equals sign/')
	run -1 --separate-stderr modsign keygen --template "$t" "$BATS_TEST_TMPDIR/k"
	assert_equal "$stderr" "modsign: $t:3: missing equal sign"
	# openssl req refuses it too.
	run ! openssl req -new -nodes -x509 -batch -config "$t" -out /dev/null -keyout /dev/null
	# shellcheck disable=SC2016 # an OpenSSL config variable, not a shell one
	t=$(tpl 's/^O = modsign$/O = $undefined_variable/')
	line=$(grep -n undefined_variable "$t" | cut -d: -f1)
	run -1 --separate-stderr modsign keygen --template "$t" "$BATS_TEST_TMPDIR/k"
	assert_equal "$stderr" "modsign: $t:$line: variable has no value"
	[ ! -e "$BATS_TEST_TMPDIR/k" ]
}

@test "bad templates: each one line naming the file and what is wrong, exit 1, nothing made" {
	while IFS='|' read -r script expect; do
		t=$(tpl "$script")
		run -1 --separate-stderr modsign keygen --template "$t" "$BATS_TEST_TMPDIR/k"
		assert_one_line "$stderr"
		assert_match "$stderr" "^modsign: ${t//./\\.}: $expect"
		assert_equal "$output" "" "stdout"
		[ ! -e "$BATS_TEST_TMPDIR/k" ] || { echo "DIR created for: $script" >&2; false; }
	done <<'EOF'
s/^default_bits = 2048$/default_bits = 1024/|\[ req \] default_bits = 1024: expected a number of bits from 2048 to 16384$
s/^default_bits = 2048$/default_bits = 4k/|\[ req \] default_bits = 4k: expected a number of bits
s/^modsign_key_type = rsa$/modsign_key_type = dsa/|\[ req \] modsign_key_type = dsa: unknown key type \(rsa, ec\)$
s/^modsign_key_type = rsa$/modsign_key_type = ec\nmodsign_ec_curve = secp521r1/|\[ req \] modsign_ec_curve = secp521r1: unknown curve
s/^modsign_key_type = rsa$/modsign_key_type = ec\nmodsign_ec_curve = nosuchcurve/|\[ req \] modsign_ec_curve = nosuchcurve: unknown curve
s/^\[ req \]$/[ request ]/|no \[ req \] section$
s/^distinguished_name = .*//|\[ req \] has no distinguished_name$
s/^distinguished_name = .*/distinguished_name = nosuch/|no \[ nosuch \] section \(named by distinguished_name\)$
s/^x509_extensions = .*/x509_extensions = nosuch/|no \[ nosuch \] section \(named by x509_extensions\)$
s/^prompt = no$//|\[ req \] needs prompt = no
s/^keyUsage=.*/keyUsage=digitalSignatur/|\[ myexts \]: bad extension: .*unknown bit string argument
s/^O = modsign$/XYZ = modsign/|\[ req_distinguished_name \] XYZ = modsign: .*unknown object name
s/^O = modsign$/C = DEU/|\[ req_distinguished_name \] C = DEU: .*string too long
s/^CN = .*//;s/^O = .*//|\[ req_distinguished_name \] has no subject fields$
s/^string_mask = .*/string_mask = bogus/|\[ req \] string_mask = bogus: invalid
s/^\[ req \]$/[ req ]\ndefault_md = md5/|\[ req \] default_md = md5: not a hash the kernel accepts
EOF
	assert_no_temp "$BATS_TEST_TMPDIR"
}

@test "command line errors exit 2 with one line: unknown hash, bad --days, options, DIR" {
	d=$BATS_TEST_TMPDIR/k
	run -2 --separate-stderr modsign keygen --hash md5 "$d"
	assert_one_line "$stderr"
	assert_match "$stderr" '^modsign: --hash md5: unknown hash algorithm \(expected one of: sha1, .*sha512'
	for days in 0 -1 x 30x 1000001 ''; do
		run -2 --separate-stderr modsign keygen --days "$days" "$d"
		assert_equal "$stderr" "modsign: --days $days: expected a number of days from 1 to 1000000"
	done
	run -2 --separate-stderr modsign keygen --frobnicate "$d"
	assert_equal "$stderr" "modsign: keygen: unknown option '--frobnicate' (see 'modsign keygen --help')"
	run -2 --separate-stderr modsign keygen "$d" --template
	assert_equal "$stderr" "modsign: keygen: option '--template' needs an argument (see 'modsign keygen --help')"
	run -2 --separate-stderr modsign keygen
	assert_equal "$stderr" "modsign: keygen: missing DIR (see 'modsign keygen --help')"
	run -2 --separate-stderr modsign keygen "$d" "$d.2"
	assert_one_line "$stderr"
	[ ! -e "$d" ] && [ ! -e "$d.2" ]
}

@test "--help: the usage line and the exit codes, on stdout, exit 0" {
	run -0 --separate-stderr modsign keygen --help
	assert_equal "${lines[0]}" "Usage: modsign keygen [--template FILE] [--hash H] [--days N] [--pkcs11 URI] DIR"
	assert_match "$output" "Exit status: 0 key created; 1 error"
	assert_match "$output" "Hashes: sha1, sha224, sha256, sha384, sha512"
	assert_equal "$stderr" ""
}

@test "DIR under a regular file (ENOTDIR): exit 1, one line, nothing left" {
	w=$BATS_TEST_TMPDIR/w
	mkdir "$w"
	touch "$w/file"
	run -1 --separate-stderr modsign keygen --template "$T2048" "$w/file/sub"
	assert_equal "$stderr" "modsign: $w/file/sub: cannot create directory: Not a directory"
	run -1 --separate-stderr modsign keygen --template "$T2048" "$w/file"
	assert_equal "$stderr" "modsign: $w/file: not a directory"
	run -1 --separate-stderr modsign keygen --template "$T2048" "$w/no/such/dir"
	assert_equal "$stderr" "modsign: $w/no/such/dir: cannot create directory: No such file or directory"
	assert_equal "$(ls -A "$w")" "file"
}

@test "read-only DIR: exit 1, one line naming DIR, nothing written" {
	d=$BATS_TEST_TMPDIR/ro
	mkdir "$d"
	if [ "$(id -u)" -eq 0 ]; then
		chattr +i "$d" 2>/dev/null || skip "chattr +i is not supported on this filesystem"
	else
		chmod 555 "$d"
	fi
	run -1 --separate-stderr modsign keygen --template "$T2048" "$d"
	assert_one_line "$stderr"
	assert_match "$stderr" "^modsign: $d: cannot write: (Operation not permitted|Permission denied)$"
	assert_equal "$(ls -A "$d")" ""
}

@test "full disk while writing signing_key.pem: the DER is removed again, nothing left" {
	[ "$(id -u)" -eq 0 ] || skip "needs root to mount a small tmpfs"
	d=$BATS_TEST_TMPDIR/full
	mkdir "$d"
	# One page: the DER fits, the PEM (key + certificate) does not.
	mount -t tmpfs -o size=4k,mode=0700 tmpfs "$d" || skip "cannot mount a tmpfs here"
	run -1 --separate-stderr modsign keygen --template "$T2048" "$d"
	ls -A "$d" >"$BATS_TEST_TMPDIR/left"
	umount "$d"
	assert_one_line "$stderr"
	assert_equal "$stderr" "modsign: $d/signing_key.pem: cannot write: No space left on device"
	assert_equal "$(cat "$BATS_TEST_TMPDIR/left")" "" "files left in DIR"
}

@test "template lookup: \$MODSIGN_TEMPLATE_DIR wins, and is the only place tried when set" {
	tdir=$BATS_TEST_TMPDIR/templates
	mkdir "$tdir"
	sed 's/^CN = .*/CN = from MODSIGN_TEMPLATE_DIR/' "$T2048" >"$tdir/x509.genkey"
	MODSIGN_TEMPLATE_DIR=$tdir run -0 modsign keygen "$BATS_TEST_TMPDIR/k"
	assert_equal "$(text_line "$BATS_TEST_TMPDIR/k/signing_key.pem" 'Subject:')" \
		"Subject: O = modsign, CN = from MODSIGN_TEMPLATE_DIR"
	mkdir "$BATS_TEST_TMPDIR/empty"
	MODSIGN_TEMPLATE_DIR=$BATS_TEST_TMPDIR/empty run -1 --separate-stderr modsign keygen "$BATS_TEST_TMPDIR/k2"
	assert_equal "$stderr" \
		"modsign: $BATS_TEST_TMPDIR/empty/x509.genkey: No such file or directory (from MODSIGN_TEMPLATE_DIR)"
	[ ! -e "$BATS_TEST_TMPDIR/k2" ]
}
