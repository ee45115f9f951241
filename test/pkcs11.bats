#!/usr/bin/env bats
# Keys on a PKCS#11 token: a SoftHSM2 token made in $BATS_FILE_TMPDIR holds
# the RSA-4096 and ECDSA P-384 test keys (softhsm2-util --import, PKCS#8)
# and the RSA certificate (pkcs11-tool).  modsign reaches it through the
# libp11 engine (Debian 12's OpenSSL 3.0 has no pkcs11 provider), directly
# with PKCS11_MODULE_PATH, and remotely through `p11-kit server` and
# p11-kit-client.so.  RSA signatures are deterministic: whatever path the
# key takes, the bytes must be those of the same key read from a file.
# shellcheck disable=SC2154,SC2030,SC2031 # bats: run sets $output/$stderr/$status; each @test is a subshell

load test_helper

SOFTHSM_MODULE=/usr/lib/softhsm/libsofthsm2.so
CLIENT_MODULE=/usr/lib/x86_64-linux-gnu/pkcs11/p11-kit-client.so
ENGINE_SO=/usr/lib/x86_64-linux-gnu/engines-3/pkcs11.so
PIN=s3cr3t-7391
WRONG_PIN=wr0ng-5522
TOKEN=modsign-test
RSA_URI="pkcs11:token=$TOKEN;object=rsa"
EC_URI="pkcs11:token=$TOKEN;object=ec384"

# What the tests need; checked in setup() (bats 1.8: no skip in setup_file).
TOOLS=(
	"softhsm2-util softhsm2"
	"$SOFTHSM_MODULE softhsm2"
	"$ENGINE_SO libengine-pkcs11-openssl"
	"pkcs11-tool opensc"
	"p11-kit p11-kit"
	"$CLIENT_MODULE p11-kit-modules"
)

have_tools() {
	local t
	for t in "${TOOLS[@]}"; do
		command -v "${t% *}" >/dev/null 2>&1 || [ -e "${t% *}" ] || return 1
	done
}

p11tool() { pkcs11-tool --module "$SOFTHSM_MODULE" --token-label "$TOKEN" "$@"; }

setup_file() {
	ensure_test_keys
	have_tools || return 0
	T=$BATS_FILE_TMPDIR
	mkdir -p "$T/tokens"
	printf 'directories.tokendir = %s\nobjectstore.backend = file\nlog.level = ERROR\n' "$T/tokens" >"$T/softhsm2.conf"
	export SOFTHSM2_CONF=$T/softhsm2.conf
	softhsm2-util --init-token --free --label "$TOKEN" --pin "$PIN" --so-pin 12345678 >/dev/null
	openssl pkcs8 -topk8 -nocrypt -in "$TEST_KEYS/rsa.pem" -out "$T/rsa.p8"
	openssl pkcs8 -topk8 -nocrypt -in "$TEST_KEYS/ec384.pem" -out "$T/ec384.p8"
	softhsm2-util --import "$T/rsa.p8" --token "$TOKEN" --label rsa --id 01 --pin "$PIN" >/dev/null
	softhsm2-util --import "$T/ec384.p8" --token "$TOKEN" --label ec384 --id 02 --pin "$PIN" >/dev/null
	rm -f "$T/rsa.p8" "$T/ec384.p8"
	p11tool --login --pin "$PIN" --write-object "$TEST_KEYS/rsa.der" --type cert --id 01 --label rsa >/dev/null 2>&1
	echo "$PIN" >"$T/pin"
	chmod 600 "$T/pin"
	export T
}

setup() {
	local t
	for t in "${TOOLS[@]}"; do
		case $t in
		/*) [ -e "${t% *}" ] || require_cmd "${t% *}" "${t#* }" ;;
		*) require_cmd "${t% *}" "${t#* }" ;;
		esac
	done
	export SOFTHSM2_CONF=$T/softhsm2.conf PKCS11_MODULE_PATH=$SOFTHSM_MODULE
	export MODSIGN_CONFIG=$BATS_TEST_TMPDIR/no-modsign.conf MODSIGN_KEY_DIR=$BATS_TEST_TMPDIR/keys
	unset KBUILD_SIGN_PIN P11_KIT_SERVER_ADDRESS
}

teardown() {
	if [ -f "$BATS_TEST_TMPDIR/server.pid" ]; then
		kill "$(cat "$BATS_TEST_TMPDIR/server.pid")" 2>/dev/null || true
	fi
}

# ref HASH OUT: the demo module signed with the RSA test key from its file.
ref() {
	cp "$DEMO_KO" "$2"
	modsign "$1" "$TEST_KEYS/rsa.pem" "$TEST_KEYS/rsa.der" "$2"
}

# no_secret TEXT...: neither PIN appears.
no_secret() {
	local s
	for s in "$@"; do
		[[ $s != *"$PIN"* && $s != *"$WRONG_PIN"* ]] || { echo "a PIN was printed: $s" >&2; return 1; }
	done
}

# cms_verify MODULE CERT: openssl cms alone checks the appended signature.
cms_verify() {
	local m=$1 d=$BATS_TEST_TMPDIR/cms size siglen
	mkdir -p "$d"
	size=$(stat -c %s "$m")
	siglen=$(tail -c 32 "$m" | head -c 4 | od -An -tu1 | awk '{ print $1 * 16777216 + $2 * 65536 + $3 * 256 + $4 }')
	head -c $((size - 40 - siglen)) "$m" >"$d/body"
	tail -c $((40 + siglen)) "$m" | head -c "$siglen" >"$d/sig.der"
	openssl x509 -in "$2" -out "$d/cert.pem"
	openssl cms -verify -binary -inform DER -in "$d/sig.der" -content "$d/body" \
		-certfile "$d/cert.pem" -nointern -noverify -out /dev/null
}

# --- the same bytes as the key from a file ----------------------------------------

@test "sign-file mode: a pkcs11: key gives the bytes of the same RSA key from a file (sha256, sha512, -k)" {
	for h in sha256 sha512; do
		ref "$h" "$BATS_TEST_TMPDIR/ref.ko"
		m=$(demo_copy)
		KBUILD_SIGN_PIN=$PIN run -0 --separate-stderr modsign "$h" "$RSA_URI" "$TEST_KEYS/rsa.der" "$m"
		assert_equal "$stderr" "" "stderr"
		assert_same_file "$m" "$BATS_TEST_TMPDIR/ref.ko"
		# and the bytes of Debian's sign-file with the key file
		cp "$DEMO_KO" "$BATS_TEST_TMPDIR/sf.ko"
		"$SIGN_FILE" "$h" "$TEST_KEYS/rsa.pem" "$TEST_KEYS/rsa.der" "$BATS_TEST_TMPDIR/sf.ko"
		assert_same_file "$m" "$BATS_TEST_TMPDIR/sf.ko"
	done
	cp "$DEMO_KO" "$BATS_TEST_TMPDIR/refk.ko"
	modsign -k sha256 "$TEST_KEYS/rsa.pem" "$TEST_KEYS/rsa.der" "$BATS_TEST_TMPDIR/refk.ko"
	m=$(demo_copy)
	KBUILD_SIGN_PIN=$PIN modsign -k sha256 "$RSA_URI" "$TEST_KEYS/rsa.der" "$m"
	assert_same_file "$m" "$BATS_TEST_TMPDIR/refk.ko"
}

@test "sign-file mode: the certificate from the token too (X509 a pkcs11: URI), and -d .p7s" {
	ref sha256 "$BATS_TEST_TMPDIR/ref.ko"
	m=$(demo_copy)
	KBUILD_SIGN_PIN=$PIN run -0 modsign sha256 "$RSA_URI" "$RSA_URI" "$m"
	assert_same_file "$m" "$BATS_TEST_TMPDIR/ref.ko"
	# the certificate URI may name the certificate by type and id
	m=$(demo_copy)
	KBUILD_SIGN_PIN=$PIN run -0 modsign sha256 "$RSA_URI" "pkcs11:token=$TOKEN;id=%01;type=cert" "$m"
	assert_same_file "$m" "$BATS_TEST_TMPDIR/ref.ko"
	# -d: the detached signature equals the file key's
	cp "$DEMO_KO" "$BATS_TEST_TMPDIR/d1.ko"
	cp "$DEMO_KO" "$BATS_TEST_TMPDIR/d2.ko"
	modsign -d sha256 "$TEST_KEYS/rsa.pem" "$TEST_KEYS/rsa.der" "$BATS_TEST_TMPDIR/d1.ko"
	KBUILD_SIGN_PIN=$PIN modsign -d sha256 "$RSA_URI" "$RSA_URI" "$BATS_TEST_TMPDIR/d2.ko"
	assert_same_file "$BATS_TEST_TMPDIR/d1.ko.p7s" "$BATS_TEST_TMPDIR/d2.ko.p7s"
	assert_same_file "$BATS_TEST_TMPDIR/d2.ko" "$DEMO_KO"
}

@test "modsign sign --key URI: batch -j1 and -j2 sign every module like the key file does" {
	for d in file j1 j2 tokcert; do
		mkdir -p "$BATS_TEST_TMPDIR/$d/sub"
		for i in 1 2 3 4 5 6 7 8; do cp "$DEMO_KO" "$BATS_TEST_TMPDIR/$d/sub/m$i.ko"; done
		gzip -n "$BATS_TEST_TMPDIR/$d/sub/m8.ko"
	done
	run -0 modsign sign -q --hash sha256 --key "$TEST_KEYS/rsa.pem" --cert "$TEST_KEYS/rsa.der" "$BATS_TEST_TMPDIR/file"
	KBUILD_SIGN_PIN=$PIN run -0 --separate-stderr modsign sign --hash sha256 --key "$RSA_URI" \
		--cert "$TEST_KEYS/rsa.der" -j1 "$BATS_TEST_TMPDIR/j1"
	assert_equal "${lines[-1]}" "8 signed, 0 skipped, 0 re-signed, 0 failed"
	KBUILD_SIGN_PIN=$PIN run -0 --separate-stderr modsign sign --hash sha256 --key "$RSA_URI" \
		--cert "$TEST_KEYS/rsa.der" -j2 "$BATS_TEST_TMPDIR/j2"
	assert_equal "${lines[-1]}" "8 signed, 0 skipped, 0 re-signed, 0 failed"
	assert_equal "$stderr" "" "stderr"
	# without --cert: the certificate on the token, under the key's URI
	KBUILD_SIGN_PIN=$PIN run -0 modsign sign --hash sha256 --key "$RSA_URI" -j2 "$BATS_TEST_TMPDIR/tokcert"
	diff -r "$BATS_TEST_TMPDIR/file" "$BATS_TEST_TMPDIR/j1"
	diff -r "$BATS_TEST_TMPDIR/file" "$BATS_TEST_TMPDIR/j2"
	diff -r "$BATS_TEST_TMPDIR/file" "$BATS_TEST_TMPDIR/tokcert"
	# A second run finds them signed by this key.
	KBUILD_SIGN_PIN=$PIN run -0 modsign sign --hash sha256 --key "$RSA_URI" -j2 "$BATS_TEST_TMPDIR/j2"
	assert_equal "${lines[-1]}" "0 signed, 8 skipped, 0 re-signed, 0 failed"
}

@test "config file: key = URI and cert = FILE make the token key the managed key (modsign sign without --key)" {
	printf 'key = %s\ncert = %s\n' "$RSA_URI" "$TEST_KEYS/rsa.der" >"$BATS_TEST_TMPDIR/modsign.conf"
	unset MODSIGN_KEY_DIR
	m=$(demo_copy)
	ref sha256 "$BATS_TEST_TMPDIR/ref.ko"
	MODSIGN_CONFIG=$BATS_TEST_TMPDIR/modsign.conf KBUILD_SIGN_PIN=$PIN run -0 modsign sign -q --hash sha256 "$m"
	assert_same_file "$m" "$BATS_TEST_TMPDIR/ref.ko"
	# cert unset: the certificate on the token
	printf 'key = %s?pin-source=file:%s\n' "$RSA_URI" "$T/pin" >"$BATS_TEST_TMPDIR/modsign.conf"
	m=$(demo_copy)
	MODSIGN_CONFIG=$BATS_TEST_TMPDIR/modsign.conf run -0 modsign sign -q --hash sha256 "$m"
	assert_same_file "$m" "$BATS_TEST_TMPDIR/ref.ko"
}

# --- ECDSA -----------------------------------------------------------------------

@test "ECDSA P-384 on the token: sign-file mode and modsign sign verify (modsign verify, openssl cms)" {
	m=$(demo_copy)
	KBUILD_SIGN_PIN=$PIN run -0 --separate-stderr modsign sha384 "$EC_URI" "$TEST_KEYS/ec384.der" "$m"
	assert_equal "$stderr" "" "stderr"
	run -0 modsign verify --cert "$TEST_KEYS/ec384.der" "$m"
	assert_match "$output" ": ok \(signed by .*, sha384\)"
	run -3 modsign verify --cert "$TEST_KEYS/rsa.der" "$m"
	cms_verify "$m" "$TEST_KEYS/ec384.der"
	run -0 modinfo -F sig_hashalgo "$m"
	assert_equal "$output" sha384
	# two workers sharing the token key
	mkdir "$BATS_TEST_TMPDIR/b"
	for i in $(seq 1 12); do cp "$DEMO_KO" "$BATS_TEST_TMPDIR/b/m$i.ko"; done
	KBUILD_SIGN_PIN=$PIN run -0 modsign sign --hash sha384 --key "$EC_URI" --cert "$TEST_KEYS/ec384.der" -j2 "$BATS_TEST_TMPDIR/b"
	assert_equal "${lines[-1]}" "12 signed, 0 skipped, 0 re-signed, 0 failed"
	run -0 modsign verify --cert "$TEST_KEYS/ec384.der" "$BATS_TEST_TMPDIR"/b/*.ko
	cms_verify "$BATS_TEST_TMPDIR/b/m7.ko" "$TEST_KEYS/ec384.der"
}

# --- the PIN ---------------------------------------------------------------------

@test "PIN: from KBUILD_SIGN_PIN, pin-value (path or query) and pin-source=file: (and a bare path)" {
	ref sha256 "$BATS_TEST_TMPDIR/ref.ko"
	for how in env "$RSA_URI;pin-value=$PIN" "$RSA_URI?pin-value=$PIN" \
		"$RSA_URI?pin-source=file:$T/pin" "$RSA_URI;pin-source=$T/pin"; do
		m=$(demo_copy)
		if [ "$how" = env ]; then
			KBUILD_SIGN_PIN=$PIN run -0 --separate-stderr modsign sha256 "$RSA_URI" "$TEST_KEYS/rsa.der" "$m"
		else
			run -0 --separate-stderr modsign sha256 "$how" "$TEST_KEYS/rsa.der" "$m"
		fi
		assert_equal "$stderr" "" "stderr ($how)"
		assert_same_file "$m" "$BATS_TEST_TMPDIR/ref.ko"
	done
	# The URI's PIN wins over KBUILD_SIGN_PIN.
	m=$(demo_copy)
	KBUILD_SIGN_PIN=$WRONG_PIN run -0 modsign sha256 "$RSA_URI;pin-value=$PIN" "$TEST_KEYS/rsa.der" "$m"
}

@test "URI forms: percent-encoding, slot-id, serial and model, ignored attributes, the default module, bad values" {
	ref sha256 "$BATS_TEST_TMPDIR/ref.ko"
	export KBUILD_SIGN_PIN=$PIN
	serial=$(softhsm2-util --show-slots | awk -v t="$TOKEN" '/Serial number:/ { s = $3 } /Label:/ && $2 == t { print s; exit }')
	slot=$(softhsm2-util --show-slots | awk -v t="$TOKEN" '/^Slot / { n = $2 } /Label:/ && $2 == t { print n; exit }')
	[ -n "$serial" ] && [ -n "$slot" ]
	# (the slot-id form matters: libp11 knows no slot-id, and the token has
	# a free slot beside it that a bare "first token" would pick)
	for u in "pkcs11:token=%6d%6f%64sign-test;object=rs%61" "pkcs11:token=$TOKEN;id=%01" \
		"pkcs11:slot-id=$slot;object=rsa" "pkcs11:serial=$serial;object=rsa" \
		"pkcs11:model=SoftHSM%20v2;object=rsa;slot-description=anything;type=private" "pkcs11:object=rsa"; do
		m=$(demo_copy)
		run -0 --separate-stderr modsign sha256 "$u" "$u" "$m"
		assert_equal "$stderr" "" "stderr ($u)"
		assert_same_file "$m" "$BATS_TEST_TMPDIR/ref.ko"
	done
	# Without PKCS11_MODULE_PATH: p11-kit-proxy.so, which loads the modules
	# registered with p11-kit (softhsm2 registers itself).
	m=$(demo_copy)
	(unset PKCS11_MODULE_PATH && modsign sha256 "$RSA_URI" "$RSA_URI" "$m")
	assert_same_file "$m" "$BATS_TEST_TMPDIR/ref.ko"
	m=$(demo_copy)
	run -1 --separate-stderr modsign sha256 "pkcs11:token=$TOKEN;object=rs%zz" "$TEST_KEYS/rsa.der" "$m"
	assert_equal "$stderr" "modsign: pkcs11:token=$TOKEN;object=rs%zz: bad value for object"
	run -1 --separate-stderr modsign sha256 "pkcs11:token=$TOKEN;rsa" "$TEST_KEYS/rsa.der" "$m"
	assert_equal "$stderr" "modsign: pkcs11:token=$TOKEN;rsa: 'rsa' is not an attribute=value pair"
	run -1 --separate-stderr modsign sha256 "pkcs11:slot-id=x;object=rsa" "$TEST_KEYS/rsa.der" "$m"
	assert_equal "$stderr" "modsign: pkcs11:slot-id=x;object=rsa: bad value for slot-id"
	assert_same_file "$m" "$DEMO_KO"
}

# check_refused STATUS-LINE-REGEX ARGS...: exit 1, one line on stderr
# matching, nothing on stdout, no PIN anywhere, module untouched.
check_refused() {
	local want=$1
	shift
	m=$(demo_copy)
	run -1 --separate-stderr modsign sha256 "$@" "$m"
	assert_one_line "$stderr"
	assert_match "$stderr" "$want"
	assert_equal "$output" "" "stdout"
	no_secret "$stderr" "$output"
	assert_same_file "$m" "$DEMO_KO"
	assert_no_temp "$BATS_TEST_TMPDIR"
}

@test "errors: a wrong PIN (URI or KBUILD_SIGN_PIN) is one clear line, the PIN redacted, the module untouched" {
	check_refused "^modsign: $RSA_URI;pin-value=REDACTED: wrong PIN \(CKR_PIN_INCORRECT\)$" \
		"$RSA_URI;pin-value=$WRONG_PIN" "$TEST_KEYS/rsa.der"
	check_refused "^modsign: pkcs11:token=$TOKEN;object=rsa\?pin-value=REDACTED: wrong PIN" \
		"$RSA_URI?pin-value=$WRONG_PIN" "$TEST_KEYS/rsa.der"
	check_refused "^modsign: pkcs11:pin-value=REDACTED;token=$TOKEN;object=rsa;pin-value=REDACTED: wrong PIN" \
		"pkcs11:pin-value=$PIN;token=$TOKEN;object=rsa;pin-value=$WRONG_PIN" "$TEST_KEYS/rsa.der"
	export KBUILD_SIGN_PIN=$WRONG_PIN
	check_refused "^modsign: $RSA_URI: wrong PIN \(CKR_PIN_INCORRECT\)$" "$RSA_URI" "$TEST_KEYS/rsa.der"
	# modsign sign too: the key is loaded once, before any module
	m=$(demo_copy)
	run -1 --separate-stderr modsign sign --hash sha256 --key "$RSA_URI;pin-value=$WRONG_PIN" --cert "$TEST_KEYS/rsa.der" "$m"
	assert_one_line "$stderr"
	assert_match "$stderr" "pin-value=REDACTED: wrong PIN"
	no_secret "$stderr" "$output"
	assert_same_file "$m" "$DEMO_KO"
	# the token still works with the right PIN (not locked)
	KBUILD_SIGN_PIN=$PIN run -0 modsign sha256 "$RSA_URI" "$TEST_KEYS/rsa.der" "$m"
}

@test "errors: no PIN, a missing token, a missing object, a missing certificate, an unreadable pin-source" {
	check_refused "^modsign: $RSA_URI: the token needs a PIN: set KBUILD_SIGN_PIN, or pin-value or pin-source in the URI$" \
		"$RSA_URI" "$TEST_KEYS/rsa.der"
	export KBUILD_SIGN_PIN=$PIN
	check_refused "^modsign: pkcs11:token=no-such-token;object=rsa: no such token \(" \
		"pkcs11:token=no-such-token;object=rsa" "$TEST_KEYS/rsa.der"
	check_refused "^modsign: pkcs11:token=$TOKEN;object=nope: no such private key on the token$" \
		"pkcs11:token=$TOKEN;object=nope" "$TEST_KEYS/rsa.der"
	check_refused "^modsign: $EC_URI: no such certificate on the token$" "$EC_URI" "$EC_URI"
	unset KBUILD_SIGN_PIN
	check_refused "^modsign: $RSA_URI\?pin-source=file:$T/nonexistent: cannot read the PIN from pin-source: No such file or directory$" \
		"$RSA_URI?pin-source=file:$T/nonexistent" "$TEST_KEYS/rsa.der"
	# a key that is not the certificate's: both named, the PIN redacted
	check_refused "^modsign: $EC_URI;pin-value=REDACTED: private key does not match the certificate $TEST_KEYS/rsa.der$" \
		"$EC_URI;pin-value=$PIN" "$TEST_KEYS/rsa.der"
}

@test "errors: no PKCS#11 module, and no engine or provider in OpenSSL" {
	export KBUILD_SIGN_PIN=$PIN
	PKCS11_MODULE_PATH=$T/no-such-module.so check_refused \
		"^modsign: $RSA_URI: cannot load the PKCS#11 module $T/no-such-module.so \(set PKCS11_MODULE_PATH or module-path\): " \
		"$RSA_URI" "$TEST_KEYS/rsa.der"
	mkdir -p "$BATS_TEST_TMPDIR/no-engines"
	OPENSSL_ENGINES=$BATS_TEST_TMPDIR/no-engines check_refused \
		"^modsign: $RSA_URI;pin-value=REDACTED: no PKCS#11 support in this OpenSSL: no provider for pkcs11: URIs and no \"pkcs11\" engine \(on Debian: apt-get install libengine-pkcs11-openssl\)$" \
		"$RSA_URI;pin-value=$PIN" "$TEST_KEYS/rsa.der"
	# module-path in the URI names the module
	m=$(demo_copy)
	PKCS11_MODULE_PATH=$T/no-such-module.so run -0 modsign sha256 "$RSA_URI?module-path=$SOFTHSM_MODULE" "$TEST_KEYS/rsa.der" "$m"
}

# --- keygen --pkcs11 ---------------------------------------------------------------

@test "keygen --pkcs11: RSA-4096 key pair made on the token, only the certificate on disk; it signs and verifies" {
	d=$BATS_TEST_TMPDIR/k
	uri="pkcs11:token=$TOKEN;object=made-rsa"
	KBUILD_SIGN_PIN=$PIN run -0 --separate-stderr modsign keygen --pkcs11 "$uri" "$d"
	assert_equal "${lines[0]}" "created the key pair and stored the certificate on the token: $uri"
	assert_equal "$(ls "$d")" "signing_key.pem
signing_key.x509"
	run ! grep -q "PRIVATE KEY" "$d/signing_key.pem"
	[ "$(grep -c "BEGIN CERTIFICATE" "$d/signing_key.pem")" -eq 1 ]
	[ "$(stat -c %a "$d/signing_key.pem")" = 644 ]
	run -0 openssl x509 -inform DER -in "$d/signing_key.x509" -noout -text
	assert_match "$output" "Public-Key: \(4096 bit\)"
	assert_match "$output" "Signature Algorithm: sha512WithRSAEncryption"
	cmp <(openssl x509 -in "$d/signing_key.pem" -outform DER) "$d/signing_key.x509"
	# The private key is on the token, not extractable; the certificate too.
	run -0 p11tool --login --pin "$PIN" --list-objects --type privkey --label made-rsa
	assert_match "$output" "Private Key Object; RSA"
	assert_match "$output" "Access: +sensitive, always sensitive, never extractable, local"
	run -0 p11tool --list-objects --type cert --label made-rsa
	assert_match "$output" "Certificate Object"
	# Signing with it verifies.
	m=$(demo_copy)
	KBUILD_SIGN_PIN=$PIN run -0 modsign sign -q --hash sha256 --key "$uri" "$m"
	run -0 modsign verify --cert "$d/signing_key.x509" "$m"
	cms_verify "$m" "$d/signing_key.x509"
	# Never twice: the label is taken; nothing is written.
	KBUILD_SIGN_PIN=$PIN run -1 --separate-stderr modsign keygen --pkcs11 "$uri" "$BATS_TEST_TMPDIR/k2"
	assert_match "$stderr" "already holds a private key with this label/id, not overwriting"
	[ ! -e "$BATS_TEST_TMPDIR/k2" ]
}

@test "keygen --pkcs11 with the ECDSA template: a P-384 key on the token; errors need object= and refuse an existing DIR key" {
	d=$BATS_TEST_TMPDIR/k
	uri="pkcs11:token=$TOKEN;object=made-ec;id=%ab%cd?pin-source=file:$T/pin"
	run -0 modsign keygen --template "$TOP/x509/x509-ecdsa.genkey" --pkcs11 "$uri" "$d"
	run -0 openssl x509 -in "$d/signing_key.pem" -noout -text
	assert_match "$output" "NIST CURVE: P-384"
	m=$(demo_copy)
	run -0 modsign sha384 "$uri" "$d/signing_key.x509" "$m"
	run -0 modsign verify --cert "$d/signing_key.x509" "$m"
	cms_verify "$m" "$d/signing_key.x509"
	# the id given in the URI is the objects' CKA_ID
	run -0 p11tool --login --pin "$PIN" --list-objects --id abcd
	assert_match "$output" "label: +made-ec"
	# object= is required; usage error for a non-URI
	KBUILD_SIGN_PIN=$PIN run -1 --separate-stderr modsign keygen --pkcs11 "pkcs11:token=$TOKEN" "$BATS_TEST_TMPDIR/k3"
	assert_match "$stderr" "name the new key with object=LABEL in the URI"
	run -2 modsign keygen --pkcs11 /some/file "$BATS_TEST_TMPDIR/k3"
	[ ! -e "$BATS_TEST_TMPDIR/k3" ]
	# an existing key in DIR: refused before the token is touched
	KBUILD_SIGN_PIN=$PIN run -1 --separate-stderr modsign keygen --pkcs11 "pkcs11:token=$TOKEN;object=other" "$d"
	assert_match "$stderr" "already exists, not overwriting"
	run -0 p11tool --login --pin "$PIN" --list-objects
	[[ $output != *"label:      other"* ]]
}

# --- a key on another machine: p11-kit server ------------------------------------

# start_server: p11-kit server exporting the test token on a socket in the
# test's directory; sets SOCKET.  Stopped in teardown.
start_server() {
	SOCKET=$BATS_TEST_TMPDIR/p11-kit.sock
	p11-kit server -f --provider "$SOFTHSM_MODULE" -n "$SOCKET" "pkcs11:token=$TOKEN" \
		>"$BATS_TEST_TMPDIR/server.log" 2>&1 &
	echo $! >"$BATS_TEST_TMPDIR/server.pid"
	for _ in $(seq 50); do
		[ -S "$SOCKET" ] && return 0
		sleep 0.1
	done
	cat "$BATS_TEST_TMPDIR/server.log" >&2
	return 1
}

@test "p11-kit remote: signing through p11-kit-client.so and a p11-kit server socket gives the local token's bytes" {
	start_server
	ref sha256 "$BATS_TEST_TMPDIR/ref.ko"
	export P11_KIT_SERVER_ADDRESS=unix:path=$SOCKET PKCS11_MODULE_PATH=$CLIENT_MODULE KBUILD_SIGN_PIN=$PIN
	# the client sees no SoftHSM configuration at all
	unset SOFTHSM2_CONF
	m=$(demo_copy)
	run -0 --separate-stderr modsign sha256 "$RSA_URI" "$RSA_URI" "$m"
	assert_equal "$stderr" "" "stderr"
	assert_same_file "$m" "$BATS_TEST_TMPDIR/ref.ko"
	# batch, two workers
	mkdir "$BATS_TEST_TMPDIR/b"
	for i in 1 2 3 4 5 6; do cp "$DEMO_KO" "$BATS_TEST_TMPDIR/b/m$i.ko"; done
	run -0 modsign sign --hash sha256 --key "$RSA_URI" -j2 "$BATS_TEST_TMPDIR/b"
	assert_equal "${lines[-1]}" "6 signed, 0 skipped, 0 re-signed, 0 failed"
	for i in 1 2 3 4 5 6; do assert_same_file "$BATS_TEST_TMPDIR/b/m$i.ko" "$BATS_TEST_TMPDIR/ref.ko"; done
	# ECDSA through the socket verifies
	m=$(demo_copy)
	run -0 modsign sha384 "$EC_URI" "$TEST_KEYS/ec384.der" "$m"
	run -0 modsign verify --cert "$TEST_KEYS/ec384.der" "$m"
	# errors come through the socket too, and the server survives them
	check_refused "^modsign: $RSA_URI;pin-value=REDACTED: wrong PIN" "$RSA_URI;pin-value=$WRONG_PIN" "$TEST_KEYS/rsa.der"
	check_refused "^modsign: pkcs11:token=$TOKEN;object=nope: no such private key on the token$" \
		"pkcs11:token=$TOKEN;object=nope" "$TEST_KEYS/rsa.der"
	kill -0 "$(cat "$BATS_TEST_TMPDIR/server.pid")"
	# with the server gone: a clear error
	kill "$(cat "$BATS_TEST_TMPDIR/server.pid")"
	wait "$(cat "$BATS_TEST_TMPDIR/server.pid")" 2>/dev/null || true
	m=$(demo_copy)
	run -1 --separate-stderr modsign sha256 "$RSA_URI" "$TEST_KEYS/rsa.der" "$m"
	assert_one_line "$stderr"
	assert_same_file "$m" "$DEMO_KO"
}

# --- Kbuild and DKMS ---------------------------------------------------------------

@test "Kbuild: modsign-modules-install and modsign.mk with --key pkcs11:... in MODSIGN_SIGN_FLAGS sign the installed module" {
	kdir=$("$TOP/scripts/kdir")
	src=$BATS_TEST_TMPDIR/demo
	cp -r "$TOP/test/fixtures/demo" "$src"
	make -s -C "$kdir" M="$src" modules >"$BATS_TEST_TMPDIR/build.log" 2>&1 || { cat "$BATS_TEST_TMPDIR/build.log" >&2; false; }
	root=$BATS_TEST_TMPDIR/root
	# The URI's ';' and '?' must reach modsign unsplit: shell-quoted in the recipe.
	MODSIGN=$MODSIGN_BIN MODSIGN_SIGN_FLAGS="--key $RSA_URI?pin-source=file:$T/pin --cert $TEST_KEYS/rsa.der" \
		run -0 --separate-stderr "$TOP/kbuild/modsign-modules-install" -C "$kdir" M="$src" INSTALL_MOD_PATH="$root"
	m=$(find "$root" -name 'modsign_demo.ko*')
	[ -n "$m" ]
	run -0 modsign verify --cert "$TEST_KEYS/rsa.der" "$m"
	hash=$(modinfo -F sig_hashalgo "$m")
	cp "$src/modsign_demo.ko" "$BATS_TEST_TMPDIR/ref.ko"
	modsign "$hash" "$TEST_KEYS/rsa.pem" "$TEST_KEYS/rsa.der" "$BATS_TEST_TMPDIR/ref.ko"
	assert_same_file "$m" "$BATS_TEST_TMPDIR/ref.ko"
	# kbuild/modsign.mk: the flags reach the recipe's shell as written, inside
	# single quotes: the URI goes in double quotes.
	mk=$BATS_TEST_TMPDIR/mk
	mkdir "$mk"
	cp "$TOP/test/fixtures/demo/modsign_demo.c" "$TOP/test/fixtures/kbuild-mk/Makefile" "$mk/"
	cp "$src/modsign_demo.ko" "$src/modules.order" "$src/Module.symvers" "$mk/"
	sed -i "s|$src|$mk|" "$mk/modules.order"
	run -0 --separate-stderr make -C "$mk" KDIR="$kdir" MODSIGN_MK="$TOP/kbuild/modsign.mk" MODSIGN="$MODSIGN_BIN" \
		MODSIGN_SIGN_FLAGS="--key \"$RSA_URI?pin-source=file:$T/pin\" --cert $TEST_KEYS/rsa.der" \
		modules_install INSTALL_MOD_PATH="$BATS_TEST_TMPDIR/root2"
	m=$(find "$BATS_TEST_TMPDIR/root2" -name "modsign_demo.ko*")
	[ -n "$m" ] || { echo "$output $stderr" >&2; false; }
	assert_same_file "$m" "$BATS_TEST_TMPDIR/ref.ko"
}

@test "DKMS: the POST_BUILD hook signs with key = URI from the config file; the drop-in passes a pkcs11: key to DKMS's sign_file" {
	# The hook by hand, in a DKMS-like layout (see test/dkms.bats).
	hb=$BATS_TEST_TMPDIR/dk/build
	hm=$BATS_TEST_TMPDIR/dk/6.1.0-test/x86_64/module
	mkdir -p "$hb/dkms-hooks" "$hm"
	cp -a "$TOP/dkms-hooks/modsign-post-build" "$hb/dkms-hooks/"
	cp "$DEMO_KO" "$hm/modsign_demo.ko"
	printf 'key = %s?pin-source=file:%s\ncert = %s\n' "$RSA_URI" "$T/pin" "$TEST_KEYS/rsa.der" >"$BATS_TEST_TMPDIR/modsign.conf"
	unset MODSIGN_KEY_DIR
	export MODSIGN_CONFIG=$BATS_TEST_TMPDIR/modsign.conf MODSIGN=$MODSIGN_BIN
	cd "$hb"
	run -0 --separate-stderr dkms-hooks/modsign-post-build 6.1.0-test x86_64 "$BATS_TEST_TMPDIR/no-tree"
	assert_match "$output" "1 signed, 0 skipped, 0 re-signed, 0 failed"
	run -0 modsign verify --cert "$TEST_KEYS/rsa.der" "$hm/modsign_demo.ko"
	# The drop-in with mok_signing_key set to a URI, sourced as DKMS does:
	# sign_file stays modsign, no key is generated, and DKMS's call works.
	d=$BATS_TEST_TMPDIR/dropin.conf
	sed -e "s|^mok_signing_key=.*|mok_signing_key=\"$RSA_URI?pin-source=file:$T/pin\"|" \
		-e "s|^mok_certificate=.*|mok_certificate=\"$TEST_KEYS/rsa.der\"|" \
		-e "s|/usr/local/bin/modsign|$MODSIGN_BIN|g" "$TOP/dkms-hooks/framework.conf.d/modsign.conf" >"$d"
	(
		# shellcheck disable=SC1090
		. "$d"
		[ "$sign_file" = "$MODSIGN_BIN" ]
		m=$(demo_copy)
		"$sign_file" sha512 "$mok_signing_key" "$mok_certificate" "$m"
		modsign verify --cert "$TEST_KEYS/rsa.der" "$m"
	)
}
