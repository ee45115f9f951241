#!/usr/bin/env bats
# Malformed inputs: one table, one row per input.  Every row runs one command
# on one hostile file and checks
#   - the documented exit code;
#   - exactly one diagnostic line on stderr naming the file (for a verify
#     rejection: the one verdict line on stdout naming the module);
#   - every input byte-for-byte untouched and nothing left beside it (the
#     working directory's listing and checksums are the same before and after).
# shellcheck disable=SC2030,SC2031,SC2154  # bats runs each test in a subshell; run sets $stderr

load test_helper

# ID | COMMAND | INPUT | EXIT | REGEX (ERE, after "modsign: INPUT: " on stderr,
# or after "INPUT: " on stdout for verify verdicts)
#
# COMMAND    what runs (in the directory holding INPUT)
#   sf       modsign sha256 rsa.pem rsa.pem INPUT         (sign-file mode)
#   sfcert   modsign sha256 rsa.pem INPUT demo.ko         (INPUT as the certificate)
#   verify   modsign verify --cert rsa.pem INPUT
#   vcert    modsign verify --cert INPUT signed.ko        (INPUT as the trusted cert)
#   vexp     modsign verify --cert INPUT INPUT.ko         (a module signed with INPUT)
#   info     modsign info INPUT
#   strip    modsign strip INPUT
#   sign     modsign sign --key rsa.pem --hash sha256 INPUT
#   signkey  modsign sign --key INPUT --hash sha256 demo.ko (INPUT as the key)
#   digest   modsign digest INPUT
#   attach   modsign attach --cert rsa.pem INPUT demo.ko  (INPUT as the returned signature)
#   attachm  modsign attach --cert rsa.pem SIG INPUT      (INPUT as the module; SIG valid for demo.ko)
TABLE='
sf-empty|sf|empty.ko|1|empty file, not a kernel module$
sf-elf-magic-3-bytes|sf|elf3.ko|1|not an ELF file, not a kernel module$
sf-trailer-marker-only|sf|marker.ko|1|not an ELF file, not a kernel module$
sf-trailer-marker-5|sf|marker5.ko|1|not an ELF file, not a kernel module$
sf-directory|sf|dir.ko|1|is a directory$
sf-symlink-loop|sf|loop.ko|1|Too many levels of symbolic links$
sf-fifo|sf|fifo.ko|1|not a regular file
sf-sparse-4g|sf|sparse.ko|1|(file too large|not an ELF file)
sf-xz-garbage|sf|garbage.ko.xz|1|(xz-compressed module: sign-file mode signs only uncompressed modules|not an ELF file, not a kernel module$)
sf-cert-is-a-key|sfcert|key-only.pem|1|no X.509 certificate found
sf-cert-random|sfcert|random.crt|1|no X.509 certificate found
sf-cert-empty|sfcert|empty.crt|1|empty file, expected an X.509 certificate$
sf-cert-der-truncated|sfcert|der-trunc.crt|1|not a DER X.509 certificate
verify-trailer-marker-only|verify|elf-marker.ko|3|rejected: unsupported crypto \(ENOPKG: .*not signed with expected PKCS#7 message\)$
verify-trailer-marker-5|verify|elf-marker5.ko|3|rejected: malformed \(EBADMSG: .*signature length points outside the file\)$
verify-sig-len-huge|verify|siglen-huge.ko|3|rejected: malformed \(EBADMSG: .*signature length points outside the file\)$
verify-sig-len-whole-file|verify|siglen-whole.ko|3|rejected: malformed \(EBADMSG: .*signature length points outside the file\)$
verify-sig-len-one-past|verify|siglen-outside.ko|3|rejected: malformed \(EBADMSG: .*signature length points outside the file\)$
verify-sig-len-zero|verify|siglen-zero.ko|3|rejected: malformed \(EBADMSG: 
verify-field-algo|verify|field-algo.ko|3|rejected: malformed \(EBADMSG: .*unexpected non-zero params\)$
verify-field-hash|verify|field-hash.ko|3|rejected: malformed \(EBADMSG: .*unexpected non-zero params\)$
verify-field-signer-len|verify|field-signer.ko|3|rejected: malformed \(EBADMSG: .*unexpected non-zero params\)$
verify-field-key-id-len|verify|field-keyid.ko|3|rejected: malformed \(EBADMSG: .*unexpected non-zero params\)$
verify-field-pad|verify|field-pad.ko|3|rejected: malformed \(EBADMSG: .*unexpected non-zero params\)$
verify-id-type-1|verify|id-type-1.ko|3|rejected: unsupported crypto \(ENOPKG: .*not signed with expected PKCS#7 message\)$
verify-cms-embedded-content|verify|cms-embedded.ko|3|rejected: malformed \(EBADMSG: .*non-detached data\)$
verify-cms-signed-attributes|verify|cms-attrs.ko|3|rejected: bad signature \(EKEYREJECTED: 
verify-digest-oid-unknown|verify|oid-unknown.ko|3|rejected: unsupported crypto \(ENOPKG: .*Unsupported digest algo
verify-digest-oid-wrong|verify|oid-sha384.ko|3|rejected: bad signature \(EKEYREJECTED: .*does not match the signed data\)$
verify-cms-garbage|verify|cms-garbage.ko|3|rejected: malformed \(EBADMSG: 
verify-cms-truncated|verify|cms-truncated.ko|3|rejected: malformed \(EBADMSG: 
verify-cms-too-long|verify|cms-toolong.ko|3|rejected: malformed \(EMSGSIZE: .*exceeds the kernel.s ASN.1 decoder limit of 65535\)$
verify-empty|verify|empty.ko|4|empty file, not a kernel module$
verify-zst-garbage|verify|garbage.ko.zst|4|corrupt zstd data
verify-sparse-4g|verify|sparse.ko|4|(file too large|not an ELF file)
verify-cert-is-a-key|vcert|key-only.pem|4|no X.509 certificate found
verify-cert-random|vcert|random.crt|4|no X.509 certificate found
verify-cert-empty|vcert|empty.crt|4|empty file, expected an X.509 certificate$
verify-cert-expired|vexp|expired.crt|0|ok \(signed by "expired", sha256; note: certificate expired; the kernel does not check validity dates\)$
info-cms-garbage|info|cms-garbage.ko|1|malformed signature: not a DER CMS message$
info-sig-len-huge|info|siglen-huge.ko|1|malformed signature: signature length points outside the file$
info-gz-garbage|info|garbage.ko.gz|1|corrupt gzip data
info-gz-truncated|info|truncated.ko.gz|1|truncated gzip data
info-xz-random|info|random.ko.xz|1|not an ELF file, not a kernel module$
info-xz-not-a-module|info|notelf.ko.xz|1|not an ELF file inside the xz (compression|data), not a kernel module$
info-zst-bomb|info|bomb.ko.zst|1|decompressed size exceeds [0-9]+ bytes$
info-directory|info|dir.ko|1|is a directory$
strip-sig-len-huge|strip|siglen-huge.ko|1|malformed signature trailer \(signature length points outside the file\), not stripping$
strip-field-key-id-len|strip|field-keyid.ko|1|malformed signature trailer \(signer name or key id lengths set
strip-empty|strip|empty.ko|1|empty file, not a kernel module$
strip-xz-garbage|strip|garbage.ko.xz|1|corrupt xz data
sign-empty|sign|empty.ko|1|empty file, not a kernel module$
sign-not-elf|sign|notelf.ko|1|not an ELF file, not a kernel module$
sign-zst-garbage|sign|garbage.ko.zst|1|corrupt zstd data
sign-symlink-loop|sign|loop.ko|1|Too many levels of symbolic links$
sign-fifo|sign|fifo.ko|1|not a regular file$
sign-key-is-a-cert|signkey|expired.crt|1|no PEM private key found
sign-key-empty|signkey|empty.crt|1|empty file, expected a PEM private key$
sign-key-random|signkey|random.crt|1|no PEM private key found
sign-key-encrypted-no-pin|signkey|enc.pem|1|private key is encrypted; set KBUILD_SIGN_PIN to its passphrase$
sign-sig-len-huge|sign|siglen-huge.ko|1|malformed signature trailer \(signature length points outside the file\); not touching it$
digest-sig-len-huge|digest|siglen-huge.ko|1|malformed signature trailer: cannot tell which bytes are signed$
digest-fifo|digest|fifo.ko|1|not a regular file$
digest-zst-bomb|digest|bomb.ko.zst|1|decompressed size exceeds [0-9]+ bytes$
attach-sig-empty|attach|empty.crt|3|empty signature file, not attaching it to demo.ko$
attach-sig-garbage|attach|garbage.p7s|3|refusing to attach it to demo.ko: 
attach-sig-truncated|attach|truncated.p7s|3|refusing to attach it to demo.ko: 
attach-sig-too-long|attach|toolong.p7s|3|refusing to attach it to demo.ko: PKCS#7 message of 70000 bytes exceeds the kernel.s ASN.1 decoder limit of 65535$
attach-sig-digest-oid-wrong|attach|oid-sha384.p7s|3|refusing to attach it to demo.ko: .*does not match the signed data$
attach-sig-fifo|attach|fifo.ko|1|not a regular file$
attach-module-sig-len-huge|attachm|siglen-huge.ko|1|malformed signature trailer: cannot tell which bytes are signed$
attach-module-xz-garbage|attachm|garbage.ko.xz|1|corrupt xz data
'

be32() { printf '%08x' "$1"; }
hexbytes() {
	local hex=$1 esc="" i
	for ((i = 0; i < ${#hex}; i += 2)); do
		esc+="\\x${hex:i:2}"
	done
	printf '%b' "$esc"
}
# Overwrite bytes (hex pairs) at an offset; a negative offset counts from the end.
put_bytes() {
	local f=$1 off=$2 hex=$3
	[ "$off" -lt 0 ] && off=$(($(stat -c %s "$f") + off))
	hexbytes "$hex" | dd of="$f" bs=1 seek="$off" conv=notrunc status=none
}
marker() { printf '~Module signature appended~\n'; }
# append_sig OUT MODULE DER: MODULE, the CMS blob, a PKCS#7 module_signature, the marker.
append_sig() {
	local out=$1 mod=$2 der=$3
	{
		cat "$mod" "$der"
		hexbytes "0000020000000000$(be32 "$(stat -c %s "$der")")"
		marker
	} >"$out"
}
# A copy of the signed module with some trailer bytes changed.
patched() {
	cp "$FX/signed.ko" "$2"
	put_bytes "$2" "$1" "$3"
}

setup_file() {
	require_cmd openssl openssl
	require_cmd python3 python3
	require_cmd zstd zstd
	require_cmd xz xz-utils
	ensure_test_keys
	export FX=$BATS_FILE_TMPDIR/fx
	mkdir -p "$FX"
	cp "$DEMO_KO" "$FX/demo.ko"
	cp "$DEMO_KO" "$FX/signed.ko"
	modsign sha256 "$TEST_KEYS/rsa.pem" "$TEST_KEYS/rsa.pem" "$FX/signed.ko"
	local size len
	size=$(stat -c %s "$FX/signed.ko")
	len=$((16#$(tail -c 32 "$FX/signed.ko" | head -c 4 | od -An -tx1 | tr -d ' \n')))
	tail -c $((len + 40)) "$FX/signed.ko" | head -c "$len" >"$FX/detached.der"
	echo "$size" >"$FX/size"
	# The CMS blob with its digest OIDs (sha256) replaced: by sha384's, and by
	# an OID no kernel knows; garbage; the blob cut short; 70000 random bytes.
	python3 - "$FX" <<'EOF'
import os, sys
fx = sys.argv[1]
d = open(fx + "/detached.der", "rb").read()
sha256 = bytes.fromhex("0609608648016503040201")
assert d.count(sha256) == 2
open(fx + "/oid-sha384.der", "wb").write(d.replace(sha256, bytes.fromhex("0609608648016503040202")))
open(fx + "/oid-unknown.der", "wb").write(d.replace(sha256, bytes.fromhex("06096086480165030402ff")))
open(fx + "/garbage.der", "wb").write(bytes((i * 37 + 11) % 256 for i in range(600)))
open(fx + "/truncated.der", "wb").write(d[:-20])
open(fx + "/toolong.der", "wb").write(os.urandom(70000))
EOF
	head -c 100 /dev/urandom >"$FX/small"
	openssl cms -sign -binary -outform DER -in "$FX/small" -signer "$TEST_KEYS/rsa.pem" \
		-inkey "$TEST_KEYS/rsa.pem" -nodetach -noattr -md sha256 -out "$FX/embedded.der"
	openssl cms -sign -binary -outform DER -in "$FX/demo.ko" -signer "$TEST_KEYS/rsa.pem" \
		-inkey "$TEST_KEYS/rsa.pem" -nocerts -md sha256 -out "$FX/attrs.der"
	# A certificate that expired yesterday (notAfter one day before notBefore).
	openssl req -new -key "$TEST_KEYS/rsa2048.pem" -subj /CN=expired -out "$FX/expired.csr" 2>/dev/null
	openssl x509 -req -in "$FX/expired.csr" -signkey "$TEST_KEYS/rsa2048.pem" -days -1 \
		-out "$FX/expired.crt" 2>/dev/null
	openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024 -out "$FX/key-only.pem" 2>/dev/null
	# 1100 MiB of zeros: above the 1 GiB decompression cap, a few KiB compressed.
	head -c 1100M /dev/zero | zstd -q -1 >"$FX/bomb.ko.zst"
}

# make_input NAME DIR: create the hostile input NAME in DIR.
make_input() {
	local name=$1 dir=$2 f=$2/$1 size
	size=$(cat "$FX/size")
	case $name in
	empty.ko | empty.crt) : >"$f" ;;
	elf3.ko) printf '\177EL' >"$f" ;;
	marker.ko) marker >"$f" ;;
	marker5.ko) { head -c 5 /dev/zero; marker; } >"$f" ;;
	elf-marker.ko) { cat "$FX/demo.ko"; marker; } >"$f" ;;
	elf-marker5.ko) { cat "$FX/demo.ko"; hexbytes 0000020000; marker; } >"$f" ;;
	dir.ko) mkdir "$f" ;;
	loop.ko) ln -s loop2.ko "$f" && ln -s loop.ko "$dir/loop2.ko" ;;
	fifo.ko) mkfifo "$f" ;;
	sparse.ko) truncate -s 4G "$f" ;;
	notelf.ko) head -c 4096 /dev/urandom >"$f" ;;
	garbage.ko.xz) { printf '\3757zXZ\0'; head -c 1000 /dev/urandom; } >"$f" ;;
	garbage.ko.gz) { printf '\37\213\10\0'; head -c 1000 /dev/urandom; } >"$f" ;;
	# zstd magic, a header without a content size, then a block of the
	# reserved type: corrupt wherever the random bytes after it lead.
	garbage.ko.zst) { printf '\50\265\57\375\0\0\377\377\377'; head -c 1000 /dev/urandom; } >"$f" ;;
	random.ko.xz) head -c 1000 /dev/urandom >"$f" ;;
	truncated.ko.gz) gzip -c "$FX/demo.ko" | head -c 5000 >"$f" ;;
	notelf.ko.xz) printf 'just text\n' | xz -c >"$f" ;;
	bomb.ko.zst | expired.crt | key-only.pem) cp "$FX/$name" "$f" ;;
	random.crt) head -c 800 /dev/urandom >"$f" ;;
	der-trunc.crt) openssl x509 -in "$TEST_KEYS/rsa.pem" -outform DER | head -c 300 >"$f" ;;
	enc.pem) cp "$TEST_KEYS/enc.pem" "$f" ;;
	garbage.p7s | truncated.p7s | toolong.p7s | oid-sha384.p7s) cp "$FX/${name%.p7s}.der" "$f" ;;
	siglen-huge.ko) patched -32 "$f" ffffffff ;;
	siglen-whole.ko) patched -32 "$f" "$(be32 $((size - 40)))" ;;
	siglen-outside.ko) patched -32 "$f" "$(be32 $((size - 39)))" ;;
	siglen-zero.ko) patched -32 "$f" 00000000 ;;
	field-algo.ko) patched -40 "$f" 01 ;;
	field-hash.ko) patched -39 "$f" 01 ;;
	id-type-1.ko) patched -38 "$f" 01 ;;
	field-signer.ko) patched -37 "$f" 01 ;;
	field-keyid.ko) patched -36 "$f" 01 ;;
	field-pad.ko) patched -34 "$f" 01 ;;
	cms-embedded.ko) append_sig "$f" "$FX/demo.ko" "$FX/embedded.der" ;;
	cms-attrs.ko) append_sig "$f" "$FX/demo.ko" "$FX/attrs.der" ;;
	oid-unknown.ko) append_sig "$f" "$FX/demo.ko" "$FX/oid-unknown.der" ;;
	oid-sha384.ko) append_sig "$f" "$FX/demo.ko" "$FX/oid-sha384.der" ;;
	cms-garbage.ko) append_sig "$f" "$FX/demo.ko" "$FX/garbage.der" ;;
	cms-truncated.ko) append_sig "$f" "$FX/demo.ko" "$FX/truncated.der" ;;
	cms-toolong.ko) append_sig "$f" "$FX/demo.ko" "$FX/toolong.der" ;;
	*) echo "make_input: no input named $name" >&2; return 1 ;;
	esac
}

# Everything in DIR: names, types, sizes, modes, times, link targets, and
# the checksum of every regular file under 64 MiB.
fingerprint() {
	(
		cd "$1" || exit 1
		find . -printf '%p %y %s %m %T@ %C@ %l\n' | sort
		find . -type f -size -64M -exec sha256sum {} + | sort
	)
}

run_case() {
	local id=$1 row cmd input code re dir before after named
	row=$(grep "^$id|" <<<"$TABLE")
	[ -n "$row" ] || { echo "no row $id in TABLE" >&2; return 1; }
	IFS='|' read -r _ cmd input code re <<<"$row"
	dir=$BATS_TEST_TMPDIR/in
	mkdir -p "$dir"
	make_input "$input" "$dir"
	cp "$FX/demo.ko" "$dir/demo.ko"
	cp "$FX/signed.ko" "$dir/signed.ko"
	local k=$TEST_KEYS/rsa.pem args
	named=$input
	case $cmd in
	sf) args=(sha256 "$k" "$k" "$input") ;;
	sfcert) args=(sha256 "$k" "$input" demo.ko) ;;
	verify) args=(verify --cert "$k" "$input") ;;
	vcert) args=(verify --cert "$input" signed.ko) ;;
	vexp)
		cp "$FX/demo.ko" "$dir/$input.ko"
		modsign sha256 "$TEST_KEYS/rsa2048.pem" "$dir/$input" "$dir/$input.ko"
		args=(verify --cert "$input" "$input.ko")
		named=$input.ko
		;;
	info) args=(info "$input") ;;
	strip) args=(strip "$input") ;;
	sign) args=(sign --key "$k" --hash sha256 "$input") ;;
	signkey) args=(sign --key "$input" --hash sha256 demo.ko) ;;
	digest) args=(digest "$input") ;;
	attach) args=(attach --cert "$k" "$input" demo.ko) ;;
	attachm) args=(attach --cert "$k" "$FX/detached.der" "$input") ;;
	*) echo "unknown command $cmd" >&2; return 1 ;;
	esac
	before=$(fingerprint "$dir")
	cd "$dir" || return 1
	# A hostile file must never make modsign hang (a FIFO, 4 GiB of zeros); the
	# decompression bomb (1 GiB of output before the cap) may take long under ASan.
	local limit=30
	[[ $input == bomb.* ]] && limit=180
	run -"$code" --separate-stderr timeout "$limit" "$MODSIGN_BIN" "${args[@]}" </dev/null
	cd - >/dev/null || return 1
	case $cmd:$code in
	verify:3 | vexp:0)
		assert_equal "$stderr" "" "stderr"
		assert_one_line "$output"
		assert_match "$output" "^$named: $re"
		;;
	verify:4 | vcert:4)
		assert_one_line "$stderr"
		assert_match "$stderr" "^modsign: $named: $re"
		[ "$cmd" = vcert ] || assert_equal "$output" "$named: unchecked (reason on stderr)" "stdout"
		;;
	sign:1)
		assert_one_line "$stderr"
		assert_match "$stderr" "^modsign: $named: $re"
		# A module found and failed is counted; a PATH that cannot be walked is not.
		[ -z "$output" ] ||
			assert_equal "$output" "failed: $named"$'\n'"0 signed, 0 skipped, 0 re-signed, 1 failed" "stdout"
		;;
	*)
		assert_one_line "$stderr"
		assert_match "$stderr" "^modsign: $named: $re"
		assert_equal "$output" "" "stdout"
		;;
	esac
	after=$(fingerprint "$dir")
	assert_equal "$after" "$before" "the inputs (listing and checksums)"
	assert_no_temp "$dir"
}

@test "the table has at least 30 rows, each with a test" {
	local ids n=0 id
	ids=$(grep -o '^[a-z0-9-]*|' <<<"$TABLE" | tr -d '|')
	for id in $ids; do
		n=$((n + 1))
		grep -q "^@test \"bad input: $id\"" "$BATS_TEST_FILENAME" || { echo "no test for $id" >&2; return 1; }
	done
	[ "$n" -ge 30 ]
	# No duplicate ids.
	assert_equal "$(sort <<<"$ids" | uniq -d)" "" "duplicate ids"
}

@test "bad input: sf-empty" { run_case sf-empty; }
@test "bad input: sign-sig-len-huge" { run_case sign-sig-len-huge; }
@test "bad input: digest-sig-len-huge" { run_case digest-sig-len-huge; }
@test "bad input: digest-fifo" { run_case digest-fifo; }
@test "bad input: digest-zst-bomb" { run_case digest-zst-bomb; }
@test "bad input: attach-sig-empty" { run_case attach-sig-empty; }
@test "bad input: attach-sig-garbage" { run_case attach-sig-garbage; }
@test "bad input: attach-sig-truncated" { run_case attach-sig-truncated; }
@test "bad input: attach-sig-too-long" { run_case attach-sig-too-long; }
@test "bad input: attach-sig-digest-oid-wrong" { run_case attach-sig-digest-oid-wrong; }
@test "bad input: attach-sig-fifo" { run_case attach-sig-fifo; }
@test "bad input: attach-module-sig-len-huge" { run_case attach-module-sig-len-huge; }
@test "bad input: attach-module-xz-garbage" { run_case attach-module-xz-garbage; }
@test "bad input: sf-elf-magic-3-bytes" { run_case sf-elf-magic-3-bytes; }
@test "bad input: sf-trailer-marker-only" { run_case sf-trailer-marker-only; }
@test "bad input: sf-trailer-marker-5" { run_case sf-trailer-marker-5; }
@test "bad input: sf-directory" { run_case sf-directory; }
@test "bad input: sf-symlink-loop" { run_case sf-symlink-loop; }
@test "bad input: sf-fifo" { run_case sf-fifo; }
@test "bad input: sf-sparse-4g" { run_case sf-sparse-4g; }
@test "bad input: sf-xz-garbage" { run_case sf-xz-garbage; }
@test "bad input: sf-cert-is-a-key" { run_case sf-cert-is-a-key; }
@test "bad input: sf-cert-random" { run_case sf-cert-random; }
@test "bad input: sf-cert-empty" { run_case sf-cert-empty; }
@test "bad input: sf-cert-der-truncated" { run_case sf-cert-der-truncated; }
@test "bad input: verify-trailer-marker-only" { run_case verify-trailer-marker-only; }
@test "bad input: verify-trailer-marker-5" { run_case verify-trailer-marker-5; }
@test "bad input: verify-sig-len-huge" { run_case verify-sig-len-huge; }
@test "bad input: verify-sig-len-whole-file" { run_case verify-sig-len-whole-file; }
@test "bad input: verify-sig-len-one-past" { run_case verify-sig-len-one-past; }
@test "bad input: verify-sig-len-zero" { run_case verify-sig-len-zero; }
@test "bad input: verify-field-algo" { run_case verify-field-algo; }
@test "bad input: verify-field-hash" { run_case verify-field-hash; }
@test "bad input: verify-field-signer-len" { run_case verify-field-signer-len; }
@test "bad input: verify-field-key-id-len" { run_case verify-field-key-id-len; }
@test "bad input: verify-field-pad" { run_case verify-field-pad; }
@test "bad input: verify-id-type-1" { run_case verify-id-type-1; }
@test "bad input: verify-cms-embedded-content" { run_case verify-cms-embedded-content; }
@test "bad input: verify-cms-signed-attributes" { run_case verify-cms-signed-attributes; }
@test "bad input: verify-digest-oid-unknown" { run_case verify-digest-oid-unknown; }
@test "bad input: verify-digest-oid-wrong" { run_case verify-digest-oid-wrong; }
@test "bad input: verify-cms-garbage" { run_case verify-cms-garbage; }
@test "bad input: verify-cms-truncated" { run_case verify-cms-truncated; }
@test "bad input: verify-cms-too-long" { run_case verify-cms-too-long; }
@test "bad input: verify-empty" { run_case verify-empty; }
@test "bad input: verify-zst-garbage" { run_case verify-zst-garbage; }
@test "bad input: verify-sparse-4g" { run_case verify-sparse-4g; }
@test "bad input: verify-cert-is-a-key" { run_case verify-cert-is-a-key; }
@test "bad input: verify-cert-random" { run_case verify-cert-random; }
@test "bad input: verify-cert-empty" { run_case verify-cert-empty; }
@test "bad input: verify-cert-expired" { run_case verify-cert-expired; }
@test "bad input: info-cms-garbage" { run_case info-cms-garbage; }
@test "bad input: info-sig-len-huge" { run_case info-sig-len-huge; }
@test "bad input: info-gz-garbage" { run_case info-gz-garbage; }
@test "bad input: info-gz-truncated" { run_case info-gz-truncated; }
@test "bad input: info-xz-random" { run_case info-xz-random; }
@test "bad input: info-xz-not-a-module" { run_case info-xz-not-a-module; }
@test "bad input: info-zst-bomb" { run_case info-zst-bomb; }
@test "bad input: info-directory" { run_case info-directory; }
@test "bad input: strip-sig-len-huge" { run_case strip-sig-len-huge; }
@test "bad input: strip-field-key-id-len" { run_case strip-field-key-id-len; }
@test "bad input: strip-empty" { run_case strip-empty; }
@test "bad input: strip-xz-garbage" { run_case strip-xz-garbage; }
@test "bad input: sign-empty" { run_case sign-empty; }
@test "bad input: sign-not-elf" { run_case sign-not-elf; }
@test "bad input: sign-zst-garbage" { run_case sign-zst-garbage; }
@test "bad input: sign-symlink-loop" { run_case sign-symlink-loop; }
@test "bad input: sign-fifo" { run_case sign-fifo; }
@test "bad input: sign-key-is-a-cert" { run_case sign-key-is-a-cert; }
@test "bad input: sign-key-empty" { run_case sign-key-empty; }
@test "bad input: sign-key-random" { run_case sign-key-random; }
@test "bad input: sign-key-encrypted-no-pin" { run_case sign-key-encrypted-no-pin; }
