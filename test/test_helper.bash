# shellcheck shell=bash
# Shared setup for modsign's bats suites.  Load with: load test_helper
#
# Environment:
#   MODSIGN_BIN    the binary under test (default build/modsign; 'make check'
#                  runs every suite again with the sanitizer build)
#   MODSIGN_BUILD  the build directory (default build/)

bats_require_minimum_version 1.5.0

TOP=$(cd "$BATS_TEST_DIRNAME/.." && pwd)
BUILD=${MODSIGN_BUILD:-$TOP/build}
MODSIGN_BIN=${MODSIGN_BIN:-$BUILD/modsign}
DEMO_KO=$BUILD/fixtures/modsign_demo.ko
SIGN_FILE=${SIGN_FILE:-/usr/lib/linux-kbuild-6.1/scripts/sign-file}
TEST_KEYS=$BUILD/test-keys
export TOP BUILD MODSIGN_BIN DEMO_KO SIGN_FILE TEST_KEYS
# No key must ever be unlocked by an inherited PIN.
unset KBUILD_SIGN_PIN

# The program under test, wherever it was built.
modsign() { "$MODSIGN_BIN" "$@"; }

# Fail (in CI) or skip (elsewhere, saying what is missing) when a tool is absent.
require_cmd() {
	local cmd=$1 pkg=$2
	command -v "$cmd" >/dev/null 2>&1 && return 0
	[ -x "$cmd" ] && return 0
	if [ -n "${CI:-}" ]; then
		echo "$cmd is missing (apt-get install $pkg); CI must have it" >&2
		return 1
	fi
	skip "$cmd is not installed here (apt-get install $pkg)"
}

# Keys shared by every suite, generated once per build directory with the
# real openssl (flock: suites may run in parallel).
#   rsa.pem      RSA-4096 key + cert from test/fixtures/test.genkey
#   rsa2048.pem  RSA-2048           other.pem  another RSA-2048 (untrusted)
#   ec256.pem    ECDSA P-256        ec384.pem  ECDSA P-384
#   enc.pem      RSA-2048 key encrypted with passphrase "s3cret-pin" (cert: enc.crt)
#   *.der        the certificates in DER
ensure_test_keys() {
	mkdir -p "$TEST_KEYS"
	(
		flock 9
		[ -f "$TEST_KEYS/.done" ] && exit 0
		cd "$TEST_KEYS" || exit 1
		local tpl=$TOP/test/fixtures/test.genkey
		req() { openssl req -new -nodes -utf8 -sha256 -days 36500 -batch -x509 -config "$tpl" "$@" 2>/dev/null; }
		req -newkey rsa:4096 -out rsa.pem -keyout rsa.pem
		req -newkey rsa:2048 -out rsa2048.pem -keyout rsa2048.pem
		req -newkey rsa:2048 -out other.pem -keyout other.pem -subj "/CN=Untrusted test key"
		req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -out ec256.pem -keyout ec256.pem
		req -newkey ec -pkeyopt ec_paramgen_curve:secp384r1 -out ec384.pem -keyout ec384.pem
		openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -aes-256-cbc \
			-pass pass:s3cret-pin -out enc.pem 2>/dev/null
		openssl req -new -x509 -utf8 -sha256 -days 36500 -batch -config "$tpl" \
			-key enc.pem -passin pass:s3cret-pin -out enc.crt 2>/dev/null
		for k in rsa rsa2048 other ec256 ec384; do
			openssl x509 -in "$k.pem" -outform DER -out "$k.der"
		done
		chmod 600 ./*.pem
		touch .done
	) 9>"$TEST_KEYS.lock"
}

# A fresh copy of the unsigned demo module in the test's temporary directory.
demo_copy() {
	local dest=${1:-$BATS_TEST_TMPDIR/demo.ko}
	cp "$DEMO_KO" "$dest"
	echo "$dest"
}

sha() { sha256sum "$1" | cut -d' ' -f1; }

# assert_equal ACTUAL EXPECTED [WHAT]
assert_equal() {
	if [ "$1" != "$2" ]; then
		printf '%s differs:\n  actual:   %s\n  expected: %s\n' "${3:-value}" "$1" "$2" >&2
		return 1
	fi
}

# assert_same_file A B: byte-identical
assert_same_file() {
	cmp "$1" "$2" >&2 || { echo "files differ: $1 $2" >&2; return 1; }
}

# assert_match TEXT REGEX
assert_match() {
	[[ $1 =~ $2 ]] || { printf 'no match for /%s/ in:\n%s\n' "$2" "$1" >&2; return 1; }
}

# assert_one_line TEXT: a single line
assert_one_line() {
	if [ -z "$1" ] || [ "$(printf '%s\n' "$1" | wc -l)" -ne 1 ]; then
		printf 'expected exactly one line, got:\n%s\n' "$1" >&2
		return 1
	fi
}

# No temporary files left beside a target.
assert_no_temp() {
	local dir=$1 left
	left=$(find "$dir" -name '*.~modsign~*' -o -name '*.~signed~*')
	[ -z "$left" ] || { echo "temporary files left: $left" >&2; return 1; }
}

# kernel_tree: KDIR, the kernel build tree the tests build against
# (scripts/kdir), and KVER, its release.
kernel_tree() {
	KDIR=$("$TOP/scripts/kdir")
	if [[ $KDIR == /lib/modules/*/build ]]; then
		KVER=${KDIR%/build}
		KVER=${KVER##*/}
	else
		KVER=$(make -s -C "$KDIR" kernelrelease)
	fi
}

# compress_like_kbuild FILE: FILE.xz, FILE.zst and FILE.gz beside FILE, made
# the way Kbuild compresses modules.
compress_like_kbuild() {
	xz --check=crc32 --lzma2=dict=1MiB -k "$1"
	zstd -q -k "$1"
	gzip -n -k "$1"
}
