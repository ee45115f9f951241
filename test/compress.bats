#!/usr/bin/env bats
# Compressed modules: signer/compress.c against the real gzip, xz and zstd,
# through the test binary test-compress (test/c/test_compress.c).
#
# test-compress lives beside the modsign under test: $BUILD/test-compress for
# build/modsign, $BUILD/asan/test-compress for the sanitizer build.

# shellcheck disable=SC2154 # $output and $stderr are set by bats' run
load test_helper

FORMATS="gzip xz zstd"

setup_file() {
	TC=$(dirname "$MODSIGN_BIN")/test-compress
	export TC
}

setup() {
	require_cmd gzip gzip
	require_cmd xz xz-utils
	require_cmd zstd zstd
	if [ ! -x "$TC" ]; then
		echo "$TC is missing: run make (it builds the test binaries)" >&2
		return 1
	fi
	cd "$BATS_TEST_TMPDIR" || return 1
}

tc() { "$TC" "$@"; }

suffix() {
	case $1 in
	gzip) echo gz ;;
	xz) echo xz ;;
	zstd) echo zst ;;
	esac
}

# kbuild_compress FMT FILE: compress FILE in place exactly as Kbuild's
# scripts/Makefile.modinst (6.1) does; prints the new file's name.
kbuild_compress() {
	case $1 in
	gzip) gzip -n -f "$2" ;;
	xz) xz --check=crc32 --lzma2=dict=1MiB -f "$2" ;;
	zstd) zstd -T0 --rm -f -q "$2" ;;
	esac
	echo "$2.$(suffix "$1")"
}

# ref_decompress FMT IN OUT: the standard tool
ref_decompress() {
	case $1 in
	gzip) gzip -dc "$2" >"$3" ;;
	xz) xz -dc "$2" >"$3" ;;
	zstd) zstd -q -dc "$2" >"$3" ;;
	esac
}

# ref_test FMT FILE: does the standard tool accept FILE (exit 0, no warning)?
ref_test() {
	case $1 in
	gzip) gzip -t "$2" ;;
	xz) xz -t "$2" ;;
	zstd) zstd -q -t "$2" ;;
	esac
}

# flip_byte FILE OFFSET: change one byte in place (adds 0x55).
flip_byte() {
	dd if="$1" bs=1 skip="$2" count=1 status=none |
		LC_ALL=C tr '\000-\377' '\125-\377\000-\124' |
		dd of="$1" bs=1 seek="$2" conv=notrunc status=none
}

# Inputs: the demo module, empty, 1 byte, 1 MiB of random bytes.
make_inputs() {
	cp "$DEMO_KO" demo.ko
	: >empty.ko
	printf x >one.ko
	head -c 1M /dev/urandom >random.ko
	echo "demo.ko empty.ko one.ko random.ko"
}

@test "unit tests: test-compress roundtrip (round trips, edges, damage, bombs)" {
	run -0 tc roundtrip
	assert_match "$output" $'\n1\\.\\.[0-9]+$'
	if [[ $output == *"not ok"* ]]; then
		echo "$output" >&2
		return 1
	fi
}

@test "our output decompresses with gzip -dc, xz -dc and zstd -dc to the input" {
	for f in $(make_inputs); do
		for fmt in $FORMATS; do
			run -0 tc compress "$fmt" "$f" "$f.ours"
			ref_decompress "$fmt" "$f.ours" back
			assert_same_file "$f" back
			ref_test "$fmt" "$f.ours"
		done
	done
}

@test "Kbuild's own gzip, xz and zstd output decompresses with ours to the input" {
	for f in $(make_inputs); do
		for fmt in $FORMATS; do
			cp "$f" kb.ko
			z=$(kbuild_compress "$fmt" kb.ko)
			run -0 tc decompress "$fmt" "$z" back
			assert_same_file "$f" back
			run -0 tc decompress auto "$z" back
			assert_same_file "$f" back
		done
	done
}

@test "xz and zstd: byte-identical to Kbuild's xz and zstd -T0 commands" {
	for f in $(make_inputs); do
		for fmt in xz zstd; do
			cp "$f" kb.ko
			z=$(kbuild_compress "$fmt" kb.ko)
			run -0 tc compress "$fmt" "$f" ours
			assert_same_file "$z" ours
		done
	done
}

@test "zstd: byte-identical to Kbuild's zstd -T0 beyond one 8 MiB job (multi-threaded mode)" {
	seq 1 1500000 >big.ko # 10.4 MiB
	cp big.ko kb.ko
	z=$(kbuild_compress zstd kb.ko)
	run -0 tc compress zstd big.ko ours
	assert_same_file "$z" ours
}

@test "zstd: byte-identical to the zstd tool's default (zstd -q FILE)" {
	for f in $(make_inputs); do
		zstd -q -f "$f" -o ref.zst
		run -0 tc compress zstd "$f" ours.zst
		assert_same_file ref.zst ours.zst
	done
}

@test "gzip: header and trailer identical to gzip -n (no name, mtime 0, OS Unix); body decompresses the same" {
	# zlib's deflate is not GNU gzip's: the compressed body may differ in
	# bytes, never in what it decompresses to.
	for f in $(make_inputs); do
		gzip -n -c "$f" >ref.gz
		run -0 tc compress gzip "$f" ours.gz
		assert_equal "$(head -c 10 ours.gz | od -An -tx1 | tr -d ' ')" \
			"1f8b0800000000000003" "gzip header (ID CM FLG MTIME XFL OS)"
		assert_equal "$(head -c 10 ours.gz | od -An -tx1)" "$(head -c 10 ref.gz | od -An -tx1)" "header vs gzip -n"
		assert_equal "$(tail -c 8 ours.gz | od -An -tx1)" "$(tail -c 8 ref.gz | od -An -tx1)" "CRC32 and ISIZE vs gzip -n"
	done
	# what gzip -l -v -N reports: no stored name, so the name is the file's
	run -0 gzip -lvN ours.gz
	assert_match "$output" "ours\$"
}

@test "xz -lvv: one stream, CRC32, LZMA2 with a 1 MiB dictionary, like Kbuild's" {
	cp "$DEMO_KO" demo.ko
	run -0 tc compress xz demo.ko demo.ko.xz
	run -0 xz --robot -lvv demo.ko.xz
	# file: streams blocks compressed uncompressed ratio check padding
	assert_match "$output" $'\nfile\t1\t1\t[0-9]+\t'"$(stat -c %s demo.ko)"$'\t[0-9.]+\tCRC32\t0\n'
	assert_match "$output" $'\nblock\t1\t1\t1\t[^\n]*\tCRC32\t[0-9a-f]{8}\t[^\n]*\t--lzma2=dict=1MiB\n'
	run -0 xz -lvv demo.ko.xz
	assert_match "$output" "Check: +CRC32"
	assert_match "$output" "--lzma2=dict=1MiB"
	kbuild=$(cp "$DEMO_KO" kb.ko && kbuild_compress xz kb.ko)
	run -0 xz --robot -lvv "$kbuild"
	assert_match "$output" $'\tCRC32\t[0-9a-f]{8}\t[^\n]*\t--lzma2=dict=1MiB\n'
}

@test "zstd -lv: content size in the frame and an XXH64 checksum, like Kbuild's" {
	cp "$DEMO_KO" demo.ko
	run -0 tc compress zstd demo.ko demo.ko.zst
	run -0 zstd -lv demo.ko.zst
	assert_match "$output" "Decompressed Size: .*\\($(stat -c %s demo.ko) B\\)"
	assert_match "$output" "Check: XXH64"
}

@test "modinfo (kmod) reads our .ko.xz and .ko.zst like the plain module" {
	require_cmd modinfo kmod
	cp "$DEMO_KO" demo.ko
	want=$(modinfo -F vermagic demo.ko)
	[ -n "$want" ]
	for fmt in xz zstd; do
		if ! kmod --version | grep -q "+${fmt^^}"; then
			skip "this kmod was built without ${fmt^^}"
		fi
		run -0 tc compress "$fmt" demo.ko "demo.ko.$(suffix "$fmt")"
		run -0 modinfo -F vermagic "demo.ko.$(suffix "$fmt")"
		assert_equal "$output" "$want" "vermagic of demo.ko.$(suffix "$fmt")"
	done
}

@test "multi-member gzip and concatenated xz/zstd files decompress whole, as the standard tools do" {
	cp "$DEMO_KO" a.ko
	printf 'second member\n' >b.ko
	for fmt in $FORMATS; do
		cp a.ko x.ko && mv "$(kbuild_compress "$fmt" x.ko)" za
		cp b.ko x.ko && mv "$(kbuild_compress "$fmt" x.ko)" zb
		cat za zb >cat.z
		ref_decompress "$fmt" cat.z ref
		run -0 tc decompress "$fmt" cat.z ours
		assert_same_file ref ours
		cat a.ko b.ko | cmp - ours
	done
}

@test "corrupt, truncated and trailing garbage: a one-line error naming the file, exit 1, no output" {
	cp "$DEMO_KO" demo.ko
	for fmt in $FORMATS; do
		run -0 tc compress "$fmt" demo.ko good
		size=$(stat -c %s good)

		# one byte flipped in the middle
		cp good bad
		mid=$((size / 2))
		flip_byte bad "$mid"
		run ! cmp -s good bad
		run ! ref_test "$fmt" bad
		run -1 --separate-stderr tc decompress "$fmt" bad out
		assert_one_line "$stderr"
		assert_match "$stderr" "^test-compress: bad: (corrupt|truncated) $fmt data"
		[ ! -e out ]

		# truncated
		head -c $((size - 5)) good >short
		run ! ref_test "$fmt" short
		run -1 --separate-stderr tc decompress "$fmt" short out
		assert_one_line "$stderr"
		assert_match "$stderr" "^test-compress: short: truncated $fmt data"
		[ ! -e out ]

		# trailing garbage
		{ cat good; printf 'trailing garbage'; } >trail
		run ! ref_test "$fmt" trail
		run -1 --separate-stderr tc decompress "$fmt" trail out
		assert_one_line "$stderr"
		assert_equal "$stderr" "test-compress: trail: trailing garbage after $fmt data"
		[ ! -e out ]

		# not this format at all
		run -1 --separate-stderr tc decompress "$fmt" demo.ko out
		assert_equal "$stderr" "test-compress: demo.ko: not $fmt data (no $fmt magic)"
		[ ! -e out ]
	done
}

@test "decompression bomb: 10 MiB of zeros under a 1 MiB cap is an 'exceeds' error" {
	head -c 10M /dev/zero >zeros.ko
	for fmt in $FORMATS; do
		z=$(cp zeros.ko x.ko && kbuild_compress "$fmt" x.ko)
		# zstd declares the size in the frame header: refused at once
		declared=
		[ "$fmt" = zstd ] && declared=" (a zstd header declares 10485760)"
		run -1 --separate-stderr tc decompress "$fmt" "$z" "out-$fmt" --cap 1048576
		assert_one_line "$stderr"
		assert_equal "$stderr" "test-compress: $z: decompressed size exceeds 1048576 bytes$declared"
		[ ! -e "out-$fmt" ]
		# the cap is inclusive, and the default cap (1 GiB) lets it through
		run -1 --separate-stderr tc decompress "$fmt" "$z" "out-$fmt" --cap 10485759
		assert_equal "$stderr" "test-compress: $z: decompressed size exceeds 10485759 bytes$declared"
		run -0 tc decompress "$fmt" "$z" "out-$fmt" --cap 10485760
		assert_same_file zeros.ko "out-$fmt"
		run -0 tc decompress "$fmt" "$z" "out2-$fmt"
		assert_same_file zeros.ko "out2-$fmt"
	done
}

@test "zstd bomb without a declared size (zstd on a pipe): stopped at the cap as it grows" {
	head -c 10M /dev/zero | zstd -q -c >pipe.zst
	run -0 zstd -lv pipe.zst
	assert_match "$output" "Window Size: "
	[[ $output != *"Decompressed Size"* ]]
	run -1 --separate-stderr tc decompress zstd pipe.zst out --cap 1048576
	assert_equal "$stderr" "test-compress: pipe.zst: decompressed size exceeds 1048576 bytes"
	[ ! -e out ]
	run -0 tc decompress zstd pipe.zst out --cap 10485760
	assert_equal "$(wc -c <out)" 10485760
}

@test "zstd frame declaring 2 GiB: refused from its header, before decompressing (64 KiB file)" {
	# A real frame (RFC 8878): 8-byte content size 2^31, 128 KiB window, then
	# 16384 RLE blocks of 128 KiB, the last one flagged last.
	{
		printf '\x28\xb5\x2f\xfd\xc0\x38\x00\x00\x00\x80\x00\x00\x00\x00'
		printf '\x02\x00\x10z%.0s' $(seq 16383)
		printf '\x03\x00\x10z'
	} >bomb.ko.zst
	assert_equal "$(wc -c <bomb.ko.zst)" 65550
	run -0 zstd -lv bomb.ko.zst
	assert_match "$output" "Decompressed Size: 2.00 GiB \(2147483648 B\)"
	# the first 4 MiB are what the header promises: zstd itself decodes it
	run -0 bash -c 'zstd -q -dc bomb.ko.zst 2>/dev/null | head -c 4194304 | tr -d z | wc -c'
	assert_equal "$output" 0
	want="test-compress: bomb.ko.zst: decompressed size exceeds 1073741824 bytes (a zstd header declares 2147483648)"
	if [[ $TC == */asan/* ]]; then
		# AddressSanitizer reserves terabytes of address space: no ulimit -v
		run -1 --separate-stderr tc decompress zstd bomb.ko.zst out
	else
		# 256 MiB of address space: decoding towards the 1 GiB cap runs out
		# of memory long before reaching it, as the same frame without its
		# content size shows (FCS flag cleared, the 8 bytes dropped)
		{
			printf '\x28\xb5\x2f\xfd\x00\x38'
			tail -c +15 bomb.ko.zst
		} >undeclared.ko.zst
		# shellcheck disable=SC2016 # $0 and $@ are the inner shell's
		run -1 --separate-stderr bash -c 'ulimit -v 262144 && exec "$0" "$@"' \
			"$TC" decompress zstd undeclared.ko.zst out
		assert_match "$stderr" "^test-compress: undeclared.ko.zst: out of memory"
		# shellcheck disable=SC2016
		run -1 --separate-stderr bash -c 'ulimit -v 262144 && exec "$0" "$@"' \
			"$TC" decompress zstd bomb.ko.zst out
	fi
	assert_equal "$stderr" "$want"
	[ ! -e out ]
}

@test "detect: the format by magic bytes, whatever the name" {
	cp "$DEMO_KO" demo.ko
	for fmt in $FORMATS; do
		kb=$(cp demo.ko "k-$fmt.ko" && kbuild_compress "$fmt" "k-$fmt.ko")
		mv "$kb" "k-$fmt.bin"
		run -0 tc detect "k-$fmt.bin"
		assert_equal "$output" "$fmt"
	done
	run -0 tc detect demo.ko
	assert_equal "$output" none
	: >empty
	run -0 tc detect empty
	assert_equal "$output" none
}

@test "usage errors exit 2" {
	run -2 tc
	run -2 tc compress bzip2 "$DEMO_KO" out
	run -2 tc compress auto "$DEMO_KO" out
	run -2 tc decompress gzip "$DEMO_KO" out --cap lots
	run -2 tc frobnicate
	[ ! -e out ]
}
