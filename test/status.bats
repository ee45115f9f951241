#!/usr/bin/env bats
# modsign status: the signing-related state of a machine, read from fixture
# root trees (test/fixtures/status/<state>/) through --root.  The EFI
# variables are written at test time by test/fixtures/status/make-esl, from
# the test keys, which are generated per build directory.

# shellcheck disable=SC2154 # $output, $stderr, $status are set by bats' run
load test_helper

FIX=$BATS_TEST_DIRNAME/fixtures/status
MAKE_ESL=$FIX/make-esl
SHIM=605dab50-e046-4300-abb6-3dd810dd8b23
GLOBAL=8be4df61-93ca-11d2-aa0d-e398b8230b8c

setup_file() {
	ensure_test_keys
}

setup() {
	require_cmd jq jq
	# No test may see a managed key of the machine, nor a config file.
	export MODSIGN_KEY_DIR=$BATS_TEST_TMPDIR/no-managed-key
	export MODSIGN_CONFIG=$BATS_TEST_TMPDIR/no-modsign.conf
	CERT=$TEST_KEYS/rsa.der
	OTHER=$TEST_KEYS/other.der
	ROOT=$BATS_TEST_TMPDIR/root
}

# The subjectKeyIdentifier of a DER certificate, lowercase hex, as openssl prints it.
skid_of() {
	openssl x509 -inform DER -in "$1" -noout -ext subjectKeyIdentifier | tail -n 1 | tr -d ' :\n' |
		tr 'A-F' 'a-f'
}

# How the kernel names the test key in /proc/keys: its CN (which starts
# with the O's first 7 bytes, so the O is left out), then the SKID.
our_desc() { echo "modsign test key: $(skid_of "$CERT")"; }

# fixture NAME: copy the fixture tree NAME to $ROOT.
fixture() {
	rm -rf "$ROOT"
	cp -a "$FIX/$1" "$ROOT"
	EFIVARS=$ROOT/sys/firmware/efi/efivars
}

# efivar NAME GUID: write stdin as the efivarfs file NAME-GUID.
efivar() {
	mkdir -p "$EFIVARS"
	cat >"$EFIVARS/$1-$2"
}

secure_boot_on() {
	"$MAKE_ESL" var 01 | efivar SecureBoot "$GLOBAL"
	"$MAKE_ESL" var 00 | efivar SetupMode "$GLOBAL"
}

# The /proc/keys line of an X.509 key with description DESC.
add_proc_key() {
	printf '1f2e3d4c I------     1 perm 1f010000     0     0 asymmetri %s: X509.rsa %s []\n' \
		"$1" "${1: -8}" >>"$ROOT/proc/keys"
}

le32() {
	printf '%02x%02x%02x%02x' $(($1 & 255)) $(($1 >> 8 & 255)) $(($1 >> 16 & 255)) $(($1 >> 24 & 255))
}
X509_GUID_HEX=a159c0a5e494a74a87b5ab155c2bf072

# assert_text_matches_json ARGS...: `modsign status ARGS` and `--json` carry
# the same facts: every "key: value" line of a section equals the JSON
# member (yes/no for booleans; null for unknown, n/a, none, not set,
# unavailable), the list lines equal the arrays, the verdicts are equal.
assert_text_matches_json() {
	local text json section="" line key val jv
	text=$(modsign status "$@" 2>/dev/null)
	json=$(modsign status --json "$@" 2>/dev/null)
	jq -e 'type == "object"' <<<"$json" >/dev/null || { echo "not a JSON object: $json" >&2; return 1; }
	while IFS= read -r line; do
		case $line in
		"") continue ;;
		"["*"]") section=${line:1:-1}; continue ;;
		"verdict: "*)
			assert_equal "${line#verdict: }" "$(jq -r .verdict <<<"$json")" "verdict"
			continue ;;
		esac
		key=${line%%: *}
		val=${line#*: }
		case $key in
		taint)
			jq -e --arg v "$val" '.taint.taint | index($v) != null' <<<"$json" >/dev/null ||
				{ echo "taint line '$val' not in JSON" >&2; return 1; }
			continue ;;
		module)
			jq -e --arg v "$val" '.modules.module | map("\(.status) \(.path)" +
				(if .reason == "" then "" else " (\(.reason))" end)) | index($v) != null' \
				<<<"$json" >/dev/null || { echo "module line '$val' not in JSON" >&2; return 1; }
			continue ;;
		enforced_by)
			jv=$(jq -r '.boot.enforced_by | if length == 0 then "none" else join(", ") end' <<<"$json") ;;
		taint_flags)
			jv=$(jq -r '.taint.taint_flags | if . == "" then "none" else . end' <<<"$json") ;;
		*)
			jv=$(jq -r --arg s "$section" --arg k "$key" '.[$s] | if has($k) then .[$k] |
				if . == null then "null" elif . == true then "yes" elif . == false then "no"
				else tostring end else "MISSING" end' <<<"$json") ;;
		esac
		if [ "$jv" = null ]; then
			[[ $val =~ ^(unknown|n/a|none|not\ set|unavailable)( \(.*\))?$ ]] ||
				{ echo "[$section] $key: '$val' but JSON null" >&2; return 1; }
		else
			assert_equal "$val" "$jv" "[$section] $key"
		fi
	done <<<"$text"
	# and the JSON has nothing the text lacks
	local nkeys ntext
	nkeys=$(jq '[.kernel, .boot, .key, .taint, (.modules // {})] | map(keys | length) | add' <<<"$json")
	ntext=$(grep -E '^[A-Za-z_]+: ' <<<"$text" | grep -vE '^(verdict|taint|module): ' | cut -d: -f1 | sort -u | wc -l)
	assert_equal "$ntext" "$((nkeys - 1 - $(jq 'if .modules then 1 else 0 end' <<<"$json")))" "number of keys"
}

@test "(a) Secure Boot on, lockdown=integrity, key in MokListRT and in the kernel's keys: trusted" {
	fixture sb-enrolled
	secure_boot_on
	"$MAKE_ESL" list -a "$OTHER" "sha256:$(printf 'ab%.0s' {1..32})" "$CERT" | efivar MokListRT "$SHIM"
	add_proc_key "$(our_desc)"
	run -0 --separate-stderr modsign status --root "$ROOT" --cert "$CERT"
	assert_equal "$stderr" ""
	expected="[kernel]
release: 6.1.0-99-test
release_source: running
running: yes
config: $ROOT/lib/modules/6.1.0-99-test/build/include/config/auto.conf
CONFIG_MODULE_SIG: y
CONFIG_MODULE_SIG_FORCE: not set
CONFIG_MODULE_SIG_ALL: y
CONFIG_MODULE_SIG_HASH: sha256
CONFIG_MODULE_SIG_KEY: certs/signing_key.pem

[boot]
efi: yes
efivars: yes
secure_boot: enabled
setup_mode: no
lockdown: integrity
sig_enforce: N
loadable_modules: yes
enforcement: enforced
enforced_by: lockdown=integrity

[key]
cert: $CERT
key_description: $(our_desc)
mok_list: present
mok_list_source: efivars/MokListRT-$SHIM
mok_list_certificates: 2
mok_list_hashes: 1
in_mok_list: yes
import_pending: no
in_uefi_db: no
revoked: no
kernel_keyring: loaded
visible_keys: 3
trust: trusted

[taint]
tainted: 0
taint_flags: none

verdict: Secure Boot is on and lockdown=integrity: modules must be signed by a key the kernel trusts; the managed key is trusted by the running kernel: modules signed by it load"
	assert_equal "$output" "$expected" "output"
	assert_text_matches_json --root "$ROOT" --cert "$CERT"
	run -0 modsign status --json --root "$ROOT" --cert "$CERT"
	assert_equal "$(jq -r '[.boot.secure_boot, .boot.lockdown, .boot.enforcement, .key.trust,
		(.key.in_mok_list | tostring), .key.kernel_keyring] | join(" ")' <<<"$output")" \
		"enabled integrity enforced trusted true loaded"
}

@test "(a) enrolled in MokListRT but not among the visible kernel keys: enrolled, not loaded" {
	fixture sb-enrolled
	secure_boot_on
	"$MAKE_ESL" list -a "$CERT" | efivar MokListRT "$SHIM"
	run -0 --separate-stderr modsign status --root "$ROOT" --cert "$CERT"
	assert_match "$output" $'\nin_mok_list: yes\n'
	assert_match "$output" $'\nkernel_keyring: not-found\nvisible_keys: 2\ntrust: enrolled\n'
	assert_equal "${output##*$'\n'}" "verdict: Secure Boot is on and lockdown=integrity: modules must be signed by a key the kernel trusts; the managed key is enrolled in the MOK list but not among the kernel's keys in /proc/keys (which lists only the keys the reader may view: check as root, or reboot)"
	assert_text_matches_json --root "$ROOT" --cert "$CERT"
}

@test "(a) the MOK config table (mok-variables/MokListRT, no attributes) is preferred to the variable" {
	fixture sb-enrolled
	secure_boot_on
	"$MAKE_ESL" list -a "$OTHER" | efivar MokListRT "$SHIM"
	mkdir -p "$ROOT/sys/firmware/efi/mok-variables"
	"$MAKE_ESL" list "$OTHER" "$CERT" >"$ROOT/sys/firmware/efi/mok-variables/MokListRT"
	run -0 modsign status --root "$ROOT" --cert "$CERT"
	assert_match "$output" $'\nmok_list: present\nmok_list_source: mok-variables/MokListRT\nmok_list_certificates: 2\nmok_list_hashes: 0\nin_mok_list: yes\n'
}

@test "(a) the key in the UEFI db, and a key revoked in MokListXRT" {
	fixture sb-enrolled
	secure_boot_on
	"$MAKE_ESL" list -a "$CERT" | efivar db d719b2cb-3d3a-4596-a3bc-dad00e67656f
	run -0 modsign status --root "$ROOT" --cert "$CERT"
	assert_match "$output" $'\nin_mok_list: no\nimport_pending: no\nin_uefi_db: yes\nrevoked: no\n'
	assert_match "$output" $'\ntrust: enrolled\n'
	assert_match "$output" "the managed key is enrolled in the UEFI db but"
	"$MAKE_ESL" list -a "$CERT" | efivar MokListXRT "$SHIM"
	add_proc_key "$(our_desc)"
	run -0 modsign status --root "$ROOT" --cert "$CERT"
	assert_match "$output" $'\nrevoked: yes\nkernel_keyring: loaded\nvisible_keys: 3\ntrust: revoked\n'
	assert_match "$output" "the managed key is revoked \(in MokListXRT\): the kernel refuses modules signed by it"
}

@test "(b) Secure Boot on, key not enrolled, import pending in MokNew; config from /boot" {
	fixture sb-pending
	secure_boot_on
	"$MAKE_ESL" list -a "$OTHER" | efivar MokListRT "$SHIM"
	"$MAKE_ESL" list -a "$CERT" | efivar MokNew "$SHIM"
	run -0 --separate-stderr modsign status --root "$ROOT" --cert "$CERT"
	assert_equal "$stderr" ""
	expected="[kernel]
release: 6.1.0-99-test
release_source: running
running: yes
config: $ROOT/boot/config-6.1.0-99-test
CONFIG_MODULE_SIG: y
CONFIG_MODULE_SIG_FORCE: not set
CONFIG_MODULE_SIG_ALL: not set
CONFIG_MODULE_SIG_HASH: sha512
CONFIG_MODULE_SIG_KEY: 

[boot]
efi: yes
efivars: yes
secure_boot: enabled
setup_mode: no
lockdown: integrity
sig_enforce: N
loadable_modules: yes
enforcement: enforced
enforced_by: lockdown=integrity

[key]
cert: $CERT
key_description: $(our_desc)
mok_list: present
mok_list_source: efivars/MokListRT-$SHIM
mok_list_certificates: 1
mok_list_hashes: 0
in_mok_list: no
import_pending: yes
in_uefi_db: no
revoked: no
kernel_keyring: not-found
visible_keys: 2
trust: pending

[taint]
tainted: 0
taint_flags: none

verdict: Secure Boot is on and lockdown=integrity: modules must be signed by a key the kernel trusts; the managed key's import is pending -> reboot and confirm it in MokManager (Enroll MOK)"
	assert_equal "$output" "$expected" "output"
	assert_text_matches_json --root "$ROOT" --cert "$CERT"
	run -0 modsign status --json --root "$ROOT" --cert "$CERT"
	assert_equal "$(jq -c '[.key.import_pending, .key.in_mok_list, .key.trust, .kernel.CONFIG_MODULE_SIG_KEY, .kernel.CONFIG_MODULE_SIG_ALL]' <<<"$output")" \
		'[true,false,"pending","",null]'
}

@test "(b) not enrolled, nothing pending: the verdict says to run modsign enroll" {
	fixture sb-pending
	secure_boot_on
	"$MAKE_ESL" list -a "$OTHER" | efivar MokListRT "$SHIM"
	run -0 modsign status --root "$ROOT" --cert "$CERT"
	assert_match "$output" $'\nimport_pending: no\n'
	assert_match "$output" $'\ntrust: not-enrolled\n'
	assert_equal "${output##*$'\n'}" "verdict: Secure Boot is on and lockdown=integrity: modules must be signed by a key the kernel trusts; the managed key is NOT enrolled -> run: modsign enroll, then reboot and confirm in MokManager"
}

@test "(c) no EFI, sig_enforce=N, tainted with O and E, no kernel configuration" {
	fixture noefi-tainted
	run -0 --separate-stderr modsign status --root "$ROOT" --cert "$CERT"
	assert_equal "$stderr" ""
	expected="[kernel]
release: 6.1.0-99-test
release_source: running
running: yes
config: none (looked for $ROOT/lib/modules/6.1.0-99-test/build/include/config/auto.conf, $ROOT/lib/modules/6.1.0-99-test/build/.config, $ROOT/boot/config-6.1.0-99-test)
CONFIG_MODULE_SIG: unknown
CONFIG_MODULE_SIG_FORCE: unknown
CONFIG_MODULE_SIG_ALL: unknown
CONFIG_MODULE_SIG_HASH: unknown
CONFIG_MODULE_SIG_KEY: unknown

[boot]
efi: no
efivars: n/a
secure_boot: n/a
setup_mode: n/a
lockdown: none
sig_enforce: N
loadable_modules: yes
enforcement: not-enforced
enforced_by: none

[key]
cert: $CERT
key_description: $(our_desc)
mok_list: n/a
in_mok_list: n/a
import_pending: n/a
in_uefi_db: n/a
revoked: n/a
kernel_keyring: not-found
visible_keys: 2
trust: not-enrolled

[taint]
tainted: 12288
taint_flags: OE
taint: O: externally-built (out-of-tree) module was loaded
taint: E: unsigned module was loaded

verdict: signatures are not enforced (sig_enforce=N, lockdown=none): unsigned modules load but taint the kernel (E), a bad signature is still refused; the managed key is not trusted by the running kernel, and without EFI there is no MOK list to enroll it in (build it into the kernel with CONFIG_SYSTEM_TRUSTED_KEYS)"
	assert_equal "$output" "$expected" "output"
	assert_text_matches_json --root "$ROOT" --cert "$CERT"
	run -0 modsign status --json --root "$ROOT" --cert "$CERT"
	assert_equal "$(jq -c '[.boot.efi, .boot.secure_boot, .kernel.config, .taint.tainted, .taint.taint_flags, .taint.taint]' <<<"$output")" \
		'[false,"n/a",null,12288,"OE",["O: externally-built (out-of-tree) module was loaded","E: unsigned module was loaded"]]'
}

@test "(c) every taint bit is decoded with the kernel's letter, unknown bits as '?'" {
	fixture noefi-tainted
	echo $(((1 << 20) - 1 + (1 << 40))) >"$ROOT/proc/sys/kernel/tainted"
	run -0 modsign status --root "$ROOT" --cert "$CERT"
	assert_match "$output" $'\ntaint_flags: PFSRMBUDAWCIOELKXTNJ\\?\n'
	assert_match "$output" $'\ntaint: P: proprietary module was loaded\n'
	assert_match "$output" $'\ntaint: J: userspace used a mutating debug operation in fwctl\ntaint: \\?: unknown taint bit 40\n'
	assert_equal "$(grep -c '^taint: ' <<<"$output")" 21
	assert_text_matches_json --root "$ROOT" --cert "$CERT"
}

@test "(c) sig_enforce=Y alone enforces; CONFIG_MODULE_SIG unset means no check at all" {
	fixture noefi-tainted
	echo Y >"$ROOT/sys/module/module/parameters/sig_enforce"
	run -0 modsign status --root "$ROOT" --cert "$CERT"
	assert_match "$output" $'\nenforcement: enforced\nenforced_by: sig_enforce=Y\n'
	assert_equal "${output##*$'\n'}" "verdict: sig_enforce=Y: modules must be signed by a key the kernel trusts; the managed key is not trusted by the running kernel, and without EFI there is no MOK list to enroll it in (build it into the kernel with CONFIG_SYSTEM_TRUSTED_KEYS)"

	fixture sb-enrolled
	sed -i '/^CONFIG_MODULE_SIG=/d' "$ROOT/lib/modules/6.1.0-99-test/build/include/config/auto.conf"
	run -0 modsign status --root "$ROOT" --cert "$CERT"
	assert_match "$output" $'\nCONFIG_MODULE_SIG: not set\n'
	assert_match "$output" $'\nenforcement: no-signature-check\n'
	assert_equal "${output##*$'\n'}" "verdict: 6.1.0-99-test does not check module signatures (CONFIG_MODULE_SIG is not set): modules load whether signed or not"

	rm "$ROOT/proc/modules"
	run -0 modsign status --root "$ROOT" --cert "$CERT"
	assert_match "$output" $'\nloadable_modules: no\n'
	assert_equal "${output##*$'\n'}" "verdict: the running kernel cannot load modules (no /proc/modules: built without CONFIG_MODULES), so module signatures do not matter on it"
}

@test "(d) a malformed MokListRT: a clear message, no crash, the facts before the damage kept" {
	fixture malformed
	secure_boot_on
	local good_other good_ours
	good_other=$("$MAKE_ESL" list "$OTHER" | od -An -v -tx1 | tr -d ' \n')
	good_ours=$("$MAKE_ESL" list "$CERT" | od -An -v -tx1 | tr -d ' \n')
	local -a cases=(
		# hex after the attributes | mok_list_error | certificates counted
		"$(printf '00%.0s' {1..20})|list 1 at offset 0: 20 bytes left, less than a 28-byte list header|0"
		"${good_ours:0:$((${#good_ours} - 200))}|list 1 at offset 0: SignatureListSize $((${#good_ours} / 2)) exceeds the $((${#good_ours} / 2 - 100)) bytes left|0"
		"$X509_GUID_HEX$(le32 4294967295)$(le32 0)$(le32 100)|list 1 at offset 0: SignatureListSize 4294967295 exceeds the 28 bytes left|0"
		"$good_other$X509_GUID_HEX$(le32 10)$(le32 0)$(le32 0)|list 2 at offset $((${#good_other} / 2)): SignatureListSize 10 is less than the 28-byte header|1"
		"$X509_GUID_HEX$(le32 44)$(le32 20)$(le32 16)$(printf '00%.0s' {1..16})|list 1 at offset 0: SignatureHeaderSize 20 does not fit in SignatureListSize 44|0"
		"$X509_GUID_HEX$(le32 44)$(le32 0)$(le32 0)$(printf '00%.0s' {1..16})|list 1 at offset 0: SignatureSize 0 leaves no data after the 16-byte owner|0"
		"$X509_GUID_HEX$(le32 78)$(le32 0)$(le32 20)$(printf '00%.0s' {1..50})|list 1 at offset 0: 50 bytes of entries are not a whole number of 20-byte entries|0"
		"$good_ours$X509_GUID_HEX$(le32 28)$(le32 0)$(le32 17)|list 2 at offset $((${#good_ours} / 2)): 0 bytes of entries are not a whole number of 17-byte entries|1"
	)
	local c hex why n
	for c in "${cases[@]}"; do
		IFS='|' read -r hex why n <<<"$c"
		"$MAKE_ESL" var "$hex" | efivar MokListRT "$SHIM"
		run -0 --separate-stderr modsign status --root "$ROOT" --cert "$CERT"
		assert_match "$output" $'\nmok_list: malformed\nmok_list_source: efivars/MokListRT-'"$SHIM"$'\nmok_list_certificates: '"$n"$'\nmok_list_hashes: 0\nmok_list_error: '"$why"$'\n'
		assert_equal "$stderr" "modsign: warning: $EFIVARS/MokListRT-$SHIM: malformed EFI signature list: $why"
		assert_match "${output##*$'\n'}" "; the MOK list is malformed \(${why//\(/\\(}\)$"
		run -0 --separate-stderr modsign status --json --root "$ROOT" --cert "$CERT"
		assert_equal "$(jq -r .key.mok_list_error <<<"$output")" "$why"
	done
	# our certificate before the damage counts, as the kernel loads it too
	assert_equal "$(jq -r '[.key.in_mok_list, .key.trust] | map(tostring) | join(" ")' <<<"$output")" "true enrolled"
	assert_text_matches_json --root "$ROOT" --cert "$CERT"
}

@test "(d) an EFI variable shorter than its attributes, and odd SecureBoot values" {
	fixture malformed
	"$MAKE_ESL" raw 0600 | efivar MokListRT "$SHIM"
	"$MAKE_ESL" var 0101 | efivar SecureBoot "$GLOBAL"
	run -0 --separate-stderr modsign status --root "$ROOT" --cert "$CERT"
	assert_match "$output" $'\nsecure_boot: unknown\nsetup_mode: unknown\n'
	assert_match "$output" $'\nmok_list: unreadable\nmok_list_error: '"$EFIVARS/MokListRT-$SHIM"$': 2 bytes, shorter than the 4 bytes of attributes\nin_mok_list: unknown\n'
	assert_equal "$stderr" "modsign: warning: SecureBoot: not one byte of 0 or 1 after the attributes
modsign: warning: $EFIVARS/MokListRT-$SHIM: 2 bytes, shorter than the 4 bytes of attributes"
	# no SecureBoot variable: the firmware does not support Secure Boot
	rm "$EFIVARS/SecureBoot-$GLOBAL"
	run -0 modsign status --root "$ROOT" --cert "$CERT"
	assert_match "$output" $'\nsecure_boot: unsupported\n'
	# EFI without efivarfs mounted
	rm -r "$EFIVARS"
	run -0 --separate-stderr modsign status --root "$ROOT" --cert "$CERT"
	assert_match "$output" $'\nefi: yes\nefivars: no\nsecure_boot: unknown\n'
}

@test "--modules: unsigned, managed-key, other-key, corrupted, compressed, not a module" {
	fixture sb-enrolled
	secure_boot_on
	"$MAKE_ESL" list -a "$CERT" | efivar MokListRT "$SHIM"
	add_proc_key "$(our_desc)"
	local d=$BATS_TEST_TMPDIR/mods
	mkdir -p "$d/extra/sub"
	cp "$DEMO_KO" "$d/unsigned.ko"
	cp "$DEMO_KO" "$d/extra/sub/managed.ko"
	modsign sha256 "$TEST_KEYS/rsa.pem" "$TEST_KEYS/rsa.pem" "$d/extra/sub/managed.ko"
	cp "$DEMO_KO" "$d/other.ko"
	modsign sha256 "$TEST_KEYS/other.pem" "$TEST_KEYS/other.pem" "$d/other.ko"
	cp "$d/extra/sub/managed.ko" "$d/corrupt.ko"
	printf '\001' | dd of="$d/corrupt.ko" bs=1 seek=200 conv=notrunc 2>/dev/null
	gzip -n -c "$DEMO_KO" >"$d/comp.ko.gz"
	echo "not a module" >"$d/text.ko"
	echo "ignored" >"$d/README"
	ln -s "$d/unsigned.ko" "$d/link.ko"
	run -0 --separate-stderr modsign status --root "$ROOT" --cert "$CERT" --modules "$d"
	assert_equal "$stderr" ""
	expected="[modules]
modules_dir: $d
module: compressed-not-checked $d/comp.ko.gz (no decompressor in this build)
module: bad $d/corrupt.ko (bad signature: it does not match the signed data)
module: managed-key $d/extra/sub/managed.ko (signed by \"modsign test key\", sha256)
module: unknown-key $d/other.ko (no trusted key for signer issuer \"Untrusted test key\" serial SERIAL)
module: not-a-module $d/text.ko (not an ELF file)
module: unsigned $d/unsigned.ko (unsigned module: no \"~Module signature appended~\" marker)
modules_found: 6
modules_managed_key: 1
modules_unsigned: 1
modules_unknown_key: 1
modules_bad: 1
modules_unsupported: 0
modules_compressed: 1
modules_not_modules: 1
modules_error: 0

verdict: Secure Boot is on and lockdown=integrity: modules must be signed by a key the kernel trusts; the managed key is trusted by the running kernel: modules signed by it load; 3 module(s) under $d would be refused; 1 module(s) are signed by another key and load only if the kernel trusts it"
	# (the serial of the per-build "other" key varies)
	assert_equal "$(sed -nE '/^\[modules\]$/,$ { s/ serial [0-9A-F:]+\)$/ serial SERIAL)/; p; }' <<<"$output")" \
		"$expected" "modules section"
	assert_text_matches_json --root "$ROOT" --cert "$CERT" --modules "$d"
	run -0 modsign status --json --root "$ROOT" --cert "$CERT" --modules "$d"
	assert_equal "$(jq -r '.modules.module | map("\(.status)=\(.path | split("/") | last)") | join(" ")' <<<"$output")" \
		"compressed-not-checked=comp.ko.gz bad=corrupt.ko managed-key=managed.ko unknown-key=other.ko not-a-module=text.ko unsigned=unsigned.ko"
	# a single module file is accepted too
	run -0 modsign status --root "$ROOT" --cert "$CERT" --modules "$d/extra/sub/managed.ko"
	assert_match "$output" $'\nmodule: managed-key '"$d"$'/extra/sub/managed.ko \\(signed by "modsign test key", sha256\\)\nmodules_found: 1\n'
}

@test "--modules: not enforced, the managed key not trusted: only bad modules are refused" {
	fixture noefi-tainted
	local d=$BATS_TEST_TMPDIR/mods
	mkdir -p "$d"
	cp "$DEMO_KO" "$d/a.ko"
	cp "$DEMO_KO" "$d/b.ko"
	modsign sha256 "$TEST_KEYS/rsa.pem" "$TEST_KEYS/rsa.pem" "$d/b.ko"
	run -0 modsign status --root "$ROOT" --cert "$CERT" --modules "$d"
	assert_match "$output" $'\nmodule: unsigned '"$d"$'/a.ko .*\nmodule: managed-key '"$d"'/b.ko '
	[[ $output != *"would be refused"* ]]
	# enforced and the key not trusted: the managed-key module is refused too
	echo Y >"$ROOT/sys/module/module/parameters/sig_enforce"
	run -0 modsign status --root "$ROOT" --cert "$CERT" --modules "$d"
	assert_match "${output##*$'\n'}" "; 2 module\(s\) under $d would be refused$"
}

@test "the key's kernel description: O: CN, CN alone when it starts like the O, serial without SKID" {
	fixture noefi-tainted
	local k=$BATS_TEST_TMPDIR/k.pem c
	openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:prime256v1 -out "$k" 2>/dev/null
	c=$BATS_TEST_TMPDIR/oc.pem
	openssl req -x509 -new -key "$k" -out "$c" -days 10 -subj "/O=Example Corp/CN=Module signing key" 2>/dev/null
	run -0 modsign status --root "$ROOT" --cert "$c"
	assert_match "$output" $'\nkey_description: Example Corp: Module signing key: '"$(openssl x509 -in "$c" -outform DER | skid_of /dev/stdin)"$'\n'
	c=$BATS_TEST_TMPDIR/cn.pem
	openssl req -x509 -new -key "$k" -out "$c" -days 10 -subj "/O=Example/CN=Example module key" 2>/dev/null
	run -0 modsign status --root "$ROOT" --cert "$c"
	assert_match "$output" $'\nkey_description: Example module key: [0-9a-f]{40}\n'
	c=$BATS_TEST_TMPDIR/serial.pem
	openssl req -x509 -new -key "$k" -out "$c" -days 10 -subj "/CN=No SKID key" -set_serial 128 \
		-addext subjectKeyIdentifier=none -addext authorityKeyIdentifier=none 2>/dev/null
	run -0 modsign status --root "$ROOT" --cert "$c"
	assert_match "$output" $'\nkey_description: No SKID key: 0080\n'
	# and it is what status looks for in /proc/keys
	add_proc_key "No SKID key: 0080"
	run -0 modsign status --root "$ROOT" --cert "$c"
	assert_match "$output" $'\nkernel_keyring: loaded\n'
	# a longer description that merely starts the same does not match
	fixture noefi-tainted
	add_proc_key "No SKID key: 008012"
	run -0 modsign status --root "$ROOT" --cert "$c"
	assert_match "$output" $'\nkernel_keyring: not-found\nvisible_keys: 3\n'
}

@test "the managed key by default: MODSIGN_KEY_DIR/signing_key.x509; none yet is not an error" {
	fixture sb-pending
	secure_boot_on
	run -0 --separate-stderr modsign status --root "$ROOT"
	assert_equal "$stderr" ""
	assert_match "$output" $'\n\\[key\\]\ncert: none\nkey_description: n/a\nmok_list: absent\nin_mok_list: n/a\n'
	assert_match "$output" $'\ntrust: no-key\n'
	assert_match "${output##*$'\n'}" "; there is no managed key yet \(no $MODSIGN_KEY_DIR/signing_key.x509\)$"
	assert_text_matches_json --root "$ROOT"
	mkdir -p "$MODSIGN_KEY_DIR"
	cp "$CERT" "$MODSIGN_KEY_DIR/signing_key.x509"
	"$MAKE_ESL" list -a "$CERT" | efivar MokNew "$SHIM"
	run -0 modsign status --root "$ROOT"
	assert_match "$output" $'\ncert: '"$MODSIGN_KEY_DIR"$'/signing_key.x509\n'
	assert_match "$output" $'\nimport_pending: yes\n'
}

@test "key = and cert = in the config file: status looks for that certificate" {
	fixture sb-pending
	secure_boot_on
	unset MODSIGN_KEY_DIR
	cp "$CERT" "$BATS_TEST_TMPDIR/token-cert.der"
	printf 'key = pkcs11:token=nowhere;object=k\ncert = %s\n' "$BATS_TEST_TMPDIR/token-cert.der" >"$MODSIGN_CONFIG"
	"$MAKE_ESL" list -a "$CERT" | efivar MokNew "$SHIM"
	run -0 modsign status --root "$ROOT"
	assert_match "$output" $'\ncert: '"$BATS_TEST_TMPDIR"$'/token-cert.der\n'
	assert_match "$output" $'\nimport_pending: yes\n'
}

@test "--kernel-dir and --kver pick the target kernel; another kernel than the running one is said" {
	fixture sb-enrolled
	secure_boot_on
	local kd=$BATS_TEST_TMPDIR/kdir
	mkdir -p "$kd/include/config"
	echo 6.1.0-77-other >"$kd/include/config/kernel.release"
	printf 'CONFIG_MODULE_SIG=y\nCONFIG_MODULE_SIG_FORCE=y\nCONFIG_MODULE_SIG_HASH="sha384"\n' >"$kd/.config"
	run -0 modsign status --root "$ROOT" --cert "$CERT" --kernel-dir "$kd"
	assert_match "$output" $'^\\[kernel\\]\nrelease: 6.1.0-77-other\nrelease_source: --kernel-dir\nrunning: no\nconfig: '"$kd"$'/.config\nCONFIG_MODULE_SIG: y\nCONFIG_MODULE_SIG_FORCE: y\nCONFIG_MODULE_SIG_ALL: not set\nCONFIG_MODULE_SIG_HASH: sha384\n'
	assert_match "$output" $'\nenforced_by: lockdown=integrity, CONFIG_MODULE_SIG_FORCE=y\n'
	assert_match "${output##*$'\n'}" "^verdict: \(6.1.0-77-other is not the running kernel: judged with the running system's state\) Secure Boot is on and lockdown=integrity, CONFIG_MODULE_SIG_FORCE=y: modules must"
	# auto.conf wins over .config
	printf 'CONFIG_MODULE_SIG=y\nCONFIG_MODULE_SIG_HASH="sha512"\n' >"$kd/include/config/auto.conf"
	run -0 modsign status --root "$ROOT" --cert "$CERT" --kernel-dir "$kd"
	assert_match "$output" $'\nconfig: '"$kd"$'/include/config/auto.conf\n'
	assert_match "$output" $'\nCONFIG_MODULE_SIG_HASH: sha512\n'
	# --kver: ROOT/lib/modules/KVER/build, else ROOT/boot/config-KVER
	mkdir -p "$ROOT/boot"
	printf 'CONFIG_MODULE_SIG=y\nCONFIG_MODULE_SIG_HASH="sha224"\n' >"$ROOT/boot/config-6.1.0-55-old"
	run -0 modsign status --root "$ROOT" --cert "$CERT" --kver 6.1.0-55-old
	assert_match "$output" $'^\\[kernel\\]\nrelease: 6.1.0-55-old\nrelease_source: --kver\nrunning: no\nconfig: '"$ROOT"$'/boot/config-6.1.0-55-old\n'
	assert_match "$output" $'\nCONFIG_MODULE_SIG_HASH: sha224\n'
	run -0 modsign status --root "$ROOT" --cert "$CERT" --kver 6.1.0-99-test
	assert_match "$output" $'\nrunning: yes\n'
}

@test "errors: exit 1 and one line naming the file; usage: exit 2" {
	fixture noefi-tainted
	run -1 --separate-stderr modsign status --root "$ROOT" --cert "$BATS_TEST_TMPDIR/missing.der"
	assert_equal "$stderr" "modsign: $BATS_TEST_TMPDIR/missing.der: No such file or directory"
	assert_equal "$output" ""
	echo junk >"$BATS_TEST_TMPDIR/junk.der"
	run -1 --separate-stderr modsign status --root "$ROOT" --cert "$BATS_TEST_TMPDIR/junk.der"
	assert_one_line "$stderr"
	assert_match "$stderr" "^modsign: $BATS_TEST_TMPDIR/junk.der: no X.509 certificate found"
	run -1 --separate-stderr modsign status --root "$ROOT" --cert "$CERT" --modules "$BATS_TEST_TMPDIR/nodir"
	assert_equal "$stderr" "modsign: $BATS_TEST_TMPDIR/nodir: No such file or directory"
	run -1 --separate-stderr modsign status --root "$BATS_TEST_TMPDIR/noroot"
	assert_equal "$stderr" "modsign: $BATS_TEST_TMPDIR/noroot: No such file or directory"
	run -1 --separate-stderr modsign status --root "$ROOT" --kernel-dir "$CERT"
	assert_equal "$stderr" "modsign: $CERT: not a directory"

	run -2 --separate-stderr modsign status --kver 1 --kernel-dir /tmp
	assert_equal "$stderr" "modsign: status: --kver and --kernel-dir exclude each other (see 'modsign status --help')"
	run -2 --separate-stderr modsign status --bogus
	assert_equal "$stderr" "modsign: status: unknown option '--bogus' (see 'modsign status --help')"
	run -2 --separate-stderr modsign status --root
	assert_equal "$stderr" "modsign: status: option '--root' needs an argument (see 'modsign status --help')"
	run -2 --separate-stderr modsign status extra
	assert_equal "$stderr" "modsign: status: unexpected argument 'extra' (see 'modsign status --help')"
	run -2 --separate-stderr modsign status --kver ../x
	assert_equal "$stderr" "modsign: status: --kver '../x': not a kernel release (see 'modsign status --help')"
	run -0 modsign status --help
	assert_match "$output" "^Usage: modsign status \[--root DIR\] \[--kver KVER \| --kernel-dir DIR\] \[--cert FILE\]"
	assert_match "$output" $'\nExit status: 0 the status was read'
}

@test "this machine, --root /: reads whatever is there, exit 0, text and JSON agree" {
	run -0 --separate-stderr modsign status
	assert_match "${output##*$'\n'}" "^verdict: ."
	assert_match "$output" $'^\\[kernel\\]\nrelease: '"$(uname -r)"$'\nrelease_source: running\nrunning: yes\n'
	if [ ! -d /sys/firmware/efi ]; then
		assert_match "$output" $'\nefi: no\n'
	fi
	run -0 modsign status --root / --json
	jq -e '.verdict | length > 0' <<<"$output" >/dev/null
	assert_text_matches_json --root / --cert "$CERT"
}
