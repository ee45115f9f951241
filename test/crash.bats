#!/usr/bin/env bats
# Crash and fault safety of `modsign sign`: SIGKILL at random moments of a
# batch, stale temporary files, and a module changed while being signed.

# shellcheck disable=SC2154,SC2016 # bats: run sets $output/$stderr/$lines; awk and sh code in single quotes
load test_helper

# The corpus: 308 modules, every one with different bytes (a name appended
# after the ELF data, which signing does not parse): 240 plain, 8 big ones
# (0.25 to 2 MiB of random data appended) and 30 .ko.gz, 15 .ko.xz, 15 .ko.zst.
make_corpus() {
	local c=$1 d i f
	for d in 0 1 2 3 4 5 6 7 8 9; do
		mkdir -p "$c/d$d"
		for i in $(seq -w 0 23); do
			f=$c/d$d/m$i.ko
			cp "$DEMO_KO" "$f" && printf 'pad %s\n' "$f" >>"$f"
		done
	done
	mkdir -p "$c/big" "$c/gz" "$c/xz/deeper" "$c/zst"
	for i in 1 2 3 4 5 6 7 8; do
		cp "$DEMO_KO" "$c/big/big$i.ko" && head -c $((i * 256 * 1024)) /dev/urandom >>"$c/big/big$i.ko"
	done
	for i in $(seq -w 0 29); do
		f=$c/gz/g$i.ko
		cp "$DEMO_KO" "$f" && printf 'pad %s\n' "$f" >>"$f" && gzip -n "$f"
	done
	for i in $(seq -w 0 14); do
		f=$c/xz/deeper/x$i.ko
		cp "$DEMO_KO" "$f" && printf 'pad %s\n' "$f" >>"$f" && xz --check=crc32 --lzma2=dict=1MiB "$f"
		f=$c/zst/z$i.ko
		cp "$DEMO_KO" "$f" && printf 'pad %s\n' "$f" >>"$f" && zstd -q --rm "$f"
	done
}

# sums DIR: "SHA256  ./PATH" of every file but temporary ones, sorted by path.
sums() {
	(cd "$1" && find . -type f ! -name '*.~modsign~*' -print0 | sort -z | xargs -0 sha256sum)
}

setup_file() {
	ensure_test_keys
	export KEY=$TEST_KEYS/rsa2048.pem CERT=$TEST_KEYS/rsa2048.der
	export ORIG=$BATS_FILE_TMPDIR/orig REF=$BATS_FILE_TMPDIR/ref
	make_corpus "$ORIG"
	cp -a "$ORIG" "$REF"
	# The reference: one uninterrupted run (RSA is deterministic, so every
	# module has exactly one correct signed form), timed to spread the kills.
	local t0 t1
	t0=$(date +%s%N)
	MODSIGN_CONFIG=/nonexistent "$MODSIGN_BIN" sign -j2 -q --key "$KEY" --hash sha256 "$REF"
	t1=$(date +%s%N)
	echo $(((t1 - t0) / 1000000)) >"$BATS_FILE_TMPDIR/run-ms"
	sums "$ORIG" >"$BATS_FILE_TMPDIR/orig.sums"
	sums "$REF" >"$BATS_FILE_TMPDIR/ref.sums"
}

setup() {
	export MODSIGN_CONFIG=$BATS_TEST_TMPDIR/none.conf
	# env "${hook[@]}" SYNC_HOOK=COMMAND modsign ...: modsign with the
	# sync-hook.so shim (test/c/sync_hook.c), which runs COMMAND before its
	# first fsync/syncfs: after the module was read and its signed copy
	# written (in sign-file mode: the module part of that copy, while the
	# signature is being made), before the check and the rename.
	local so=$BUILD/sync-hook.so
	[ -f "$so" ] || { echo "$so is missing: run make test-bins" >&2; return 1; }
	hook=(LD_PRELOAD="$so" ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0")
}

# check_state DIR: every module of DIR is byte-identical to its original or
# to its signed reference, and nothing but modules and modsign's temporary
# files is there.  Sets n_orig, n_signed, n_temps; writes the signed ones'
# paths to $BATS_TEST_TMPDIR/signed.list.
check_state() {
	local w=$1 bad
	sums "$w" >"$BATS_TEST_TMPDIR/now.sums"
	diff <(cut -d' ' -f3- "$BATS_FILE_TMPDIR/orig.sums") <(cut -d' ' -f3- "$BATS_TEST_TMPDIR/now.sums") >&2 ||
		{ echo "the set of modules changed" >&2; return 1; }
	bad=$(paste -d' ' "$BATS_FILE_TMPDIR/orig.sums" "$BATS_FILE_TMPDIR/ref.sums" "$BATS_TEST_TMPDIR/now.sums" |
		awk -v list="$BATS_TEST_TMPDIR/signed.list" '
			BEGIN { printf "" >list }
			$5 == $1 { next }
			$5 == $3 { print $6 >list; next }
			{ print "neither original nor completely signed: " $6 }')
	[ -z "$bad" ] || { echo "$bad" >&2; return 1; }
	n_signed=$(wc -l <"$BATS_TEST_TMPDIR/signed.list")
	n_orig=$(($(wc -l <"$BATS_TEST_TMPDIR/now.sums") - n_signed))
	# Temporary files: only modsign's own name pattern, regular files.
	bad=$(find "$w" -name '*~modsign~*' ! \( -type f -regextype posix-extended \
		-regex '.*\.ko(\.gz|\.xz|\.zst)?\.~modsign~[A-Za-z0-9]{6}' \))
	[ -z "$bad" ] || { echo "unexpected files: $bad" >&2; return 1; }
	n_temps=$(find "$w" -name '*.~modsign~*' | wc -l)
	# The signed ones also verify (their bytes are the reference's, which
	# verify; each path is checked again once, for speed).
	touch "$BATS_TEST_TMPDIR/verified.list"
	sort "$BATS_TEST_TMPDIR/signed.list" | comm -23 - "$BATS_TEST_TMPDIR/verified.list" >"$BATS_TEST_TMPDIR/new.list"
	if [ -s "$BATS_TEST_TMPDIR/new.list" ]; then
		(cd "$w" && xargs -a "$BATS_TEST_TMPDIR/new.list" "$MODSIGN_BIN" verify -q --cert "$CERT") >&2 ||
			{ echo "a signed module does not verify" >&2; return 1; }
		sort -o "$BATS_TEST_TMPDIR/verified.list" "$BATS_TEST_TMPDIR/verified.list" "$BATS_TEST_TMPDIR/new.list"
	fi
}

@test "the reference run signs all 308 modules; they verify; plain ones match Debian's sign-file" {
	require_cmd "$SIGN_FILE" linux-kbuild-6.1
	mapfile -t all < <(find "$REF" -type f | sort)
	run -0 modsign verify --cert "$CERT" "${all[@]}"
	assert_equal "${#lines[@]}" 308 "verified modules"
	run -1 grep -v ': ok (signed by "modsign test key", sha256)$' <<<"$output"
	# No module is left as it was.
	run -0 paste -d' ' "$BATS_FILE_TMPDIR/orig.sums" "$BATS_FILE_TMPDIR/ref.sums"
	run -0 awk '$1 == $3 || $2 != $4' <<<"$output"
	assert_equal "$output" "" "modules left unsigned"
	for f in "$ORIG"/d0/*.ko "$ORIG"/big/*.ko; do
		cp "$f" "$BATS_TEST_TMPDIR/x.ko"
		"$SIGN_FILE" sha256 "$KEY" "$KEY" "$BATS_TEST_TMPDIR/x.ko"
		assert_same_file "$BATS_TEST_TMPDIR/x.ko" "$REF/${f#"$ORIG"/}"
	done
	# Compressed: the decompressed reference is the decompressed original, signed.
	for f in gz/g00.ko.gz xz/deeper/x00.ko.xz zst/z00.ko.zst; do
		case $f in
		*.gz) un=(gzip -dc) ;; *.xz) un=(xz -dc) ;; *) un=(zstd -qdc) ;;
		esac
		"${un[@]}" "$ORIG/$f" >"$BATS_TEST_TMPDIR/o.ko"
		"${un[@]}" "$REF/$f" >"$BATS_TEST_TMPDIR/r.ko"
		"$SIGN_FILE" sha256 "$KEY" "$KEY" "$BATS_TEST_TMPDIR/o.ko"
		assert_same_file "$BATS_TEST_TMPDIR/o.ko" "$BATS_TEST_TMPDIR/r.ko"
	done
}

@test "50 SIGKILLs at random moments of a batch: every module is its original or completely signed; a rerun finishes the job" {
	local w=$BATS_TEST_TMPDIR/work t d i pid rc mixed=0 temps_seen=0 early=0 finished=0
	cp -a "$ORIG" "$w"
	t=$(cat "$BATS_FILE_TMPDIR/run-ms")
	[ "$t" -ge 100 ] || t=100
	for ((i = 1; i <= 50; i++)); do
		# Every 5th kill lands in the first 40 ms (start, key loading, the
		# walk); the others anywhere in the time a whole run takes.
		if ((i % 5 == 0)); then d=$((RANDOM % 40)); else d=$((RANDOM % t)); fi
		((d < 40)) && early=$((early + 1))
		"$MODSIGN_BIN" sign -j2 -q --key "$KEY" --hash sha256 "$w" >"$BATS_TEST_TMPDIR/out" 2>&1 &
		pid=$!
		sleep "$(printf '%d.%03d' $((d / 1000)) $((d % 1000)))" &
		spid=$!
		rc=0
		wait -n -p first "$pid" "$spid" || rc=$?
		if [ "$first" = "$pid" ]; then
			kill "$spid" && wait "$spid" || true # modsign ended first: rc is its status
		else
			kill -KILL "$pid" 2>/dev/null || true
			rc=0
			wait "$pid" || rc=$?
		fi
		if [ "$rc" -ne 137 ] && [ "$rc" -ne 0 ]; then
			echo "kill $i after $d ms: exit $rc" >&2
			cat "$BATS_TEST_TMPDIR/out" >&2
			return 1
		fi
		check_state "$w" || { echo "after kill $i at $d ms (exit $rc)" >&2; return 1; }
		echo "$(date +%T.%N) kill $i at $d ms: exit $rc, $n_orig original, $n_signed signed, $n_temps temporary files" >&2
		if [ "$rc" -eq 0 ]; then
			# A run that was not killed finished everything and left nothing.
			finished=$((finished + 1))
			assert_equal "$n_orig $n_temps" "0 0" "unsigned modules and temporary files after a complete run"
		fi
		((n_orig > 0 && n_signed > 0)) && mixed=$((mixed + 1))
		((n_temps > 0)) && temps_seen=$((temps_seen + 1))
		# Give the next run work: a random third of the signed modules go
		# back to their original bytes (signed ones otherwise accumulate
		# and later kills would only meet modules being skipped).
		awk -v seed="$RANDOM" 'BEGIN { srand(seed) } rand() < 1 / 3' "$BATS_TEST_TMPDIR/signed.list" |
			(cd "$ORIG" && xargs -r cp --parents -t "$w")
	done
	echo "$mixed kills left a partly signed tree, $temps_seen left temporary files, $early were early, $finished runs finished" >&2
	# The kills did land mid-batch (else this test would prove little).
	[ "$mixed" -ge 5 ]
	[ "$temps_seen" -ge 1 ]

	# The rerun: finishes the job, removes every stale temporary file.
	temps=$(find "$w" -name '*.~modsign~*' | sort)
	run -0 --separate-stderr modsign sign -j2 --key "$KEY" --hash sha256 "$w"
	assert_equal "$(grep '^removed: ' <<<"$output" | sort)" \
		"$(while read -r f; do [ -n "$f" ] && echo "removed: $f (stale temporary file)"; done <<<"$temps")" "removed"
	assert_match "${lines[-1]}" "^[0-9]+ signed, [0-9]+ skipped, 0 re-signed, 0 failed$"
	check_state "$w"
	assert_equal "$n_orig $n_signed $n_temps" "0 308 0" "original, signed, temporary"
	assert_no_temp "$w"
	sums "$w" >"$BATS_TEST_TMPDIR/final.sums"
	assert_same_file "$BATS_TEST_TMPDIR/final.sums" "$BATS_FILE_TMPDIR/ref.sums"
}

# pause_hook DIR: a SYNC_HOOK that signals DIR/paused and waits for DIR/go
# (at most 60 s): modsign stopped with its signed copy written, not renamed.
pause_hook() {
	printf 'touch %q/paused; i=0; while [ ! -e %q/go ] && [ $i -lt 1200 ]; do sleep 0.05; i=$((i+1)); done' "$1" "$1"
}

wait_paused() {
	local i
	for ((i = 0; i < 1200; i++)); do
		[ -e "$1/paused" ] && return 0
		sleep 0.05
	done
	echo "modsign never reached its first sync" >&2
	return 1
}

@test "killed between writing and renaming: only the complete temporary file is left; a rerun removes it" {
	local p=$BATS_TEST_TMPDIR
	mkdir "$p/t"
	cp "$ORIG/d1/m00.ko" "$p/t/m.ko"
	env "${hook[@]}" SYNC_HOOK="$(pause_hook "$p")" "$MODSIGN_BIN" sign --key "$KEY" --hash sha256 "$p/t" >"$p/out" 2>&1 &
	pid=$!
	wait_paused "$p"
	run -0 find "$p/t" -name 'm.ko.~modsign~*'
	assert_one_line "$output"
	tmp=$output
	# The copy is complete (the signed bytes) and the module untouched.
	assert_same_file "$tmp" "$REF/d1/m00.ko"
	assert_same_file "$p/t/m.ko" "$ORIG/d1/m00.ko"
	kill -KILL "$pid"
	touch "$p/go"
	rc=0
	wait "$pid" || rc=$?
	assert_equal "$rc" 137 "exit status"
	assert_same_file "$p/t/m.ko" "$ORIG/d1/m00.ko"
	[ -f "$tmp" ]
	# A rerun naming the module removes it, and signs.
	run -0 --separate-stderr modsign sign --key "$KEY" --hash sha256 "$p/t/m.ko"
	assert_equal "$output" "removed: $tmp (stale temporary file)
signed: $p/t/m.ko
1 signed, 0 skipped, 0 re-signed, 0 failed"
	assert_same_file "$p/t/m.ko" "$REF/d1/m00.ko"
	assert_no_temp "$p/t"
}

@test "the temporary file of a modsign still running is not removed by another run" {
	local p=$BATS_TEST_TMPDIR
	mkdir "$p/t"
	# Signed by the other key: run A re-signs it with KEY; run B, with the
	# other key, finds it already signed and walks past A's temporary file.
	cp "$ORIG/d1/m00.ko" "$p/t/m.ko"
	run -0 modsign sign --key "$TEST_KEYS/other.pem" --hash sha256 "$p/t/m.ko"
	cp "$p/t/m.ko" "$p/other-signed.ko"
	env "${hook[@]}" SYNC_HOOK="$(pause_hook "$p")" "$MODSIGN_BIN" sign --key "$KEY" --hash sha256 "$p/t" >"$p/out" 2>&1 &
	pid=$!
	wait_paused "$p"
	run -0 find "$p/t" -name 'm.ko.~modsign~*'
	tmp=$output
	run -0 --separate-stderr modsign sign --key "$TEST_KEYS/other.pem" --hash sha256 "$p/t"
	assert_equal "$output" "skipped: $p/t/m.ko (already signed by this key)
0 signed, 1 skipped, 0 re-signed, 0 failed"
	[ -f "$tmp" ]
	run -0 --separate-stderr modsign sign --key "$TEST_KEYS/other.pem" --hash sha256 "$p/t/m.ko"
	[ -f "$tmp" ]
	touch "$p/go"
	wait "$pid"
	assert_equal "$(cat "$p/out")" "re-signed: $p/t/m.ko (replaced a signature by another key)
0 signed, 0 skipped, 1 re-signed, 0 failed"
	assert_same_file "$p/t/m.ko" "$REF/d1/m00.ko"
	assert_no_temp "$p/t"
}

@test "stale temporary files: only modsign's own names, regular files, unlocked, of modules in the tree or named" {
	local t=$BATS_TEST_TMPDIR/t o=$BATS_TEST_TMPDIR/outside
	mkdir -p "$t/sub" "$o"
	cp "$DEMO_KO" "$t/a.ko"
	cp "$DEMO_KO" "$t/sub/b.ko.xz"
	echo keep >"$o/target"
	# Stale: removed by a walk.
	echo x >"$t/a.ko.~modsign~Ab12Cd"
	echo x >"$t/sub/b.ko.xz.~modsign~zzzzzz"
	echo x >"$t/gone.ko.~modsign~000000" # its module is gone: still a module's temporary file
	echo x >"$t/a.ko.p7s.~modsign~P7s000" # of a detached signature (sign -d)
	# Look-alikes and things that are not stale temporary files: kept.
	echo x >"$t/a.ko.~modsign~Ab12C"         # 5 characters
	echo x >"$t/a.ko.~modsign~Ab12Cd.bak"    # more after
	echo x >"$t/a.ko.~modsign~Ab-2Cd"        # not a letter or digit
	echo x >"$t/notes.txt.~modsign~Ab12Cd"   # not a module's
	echo x >"$t/notes.p7s.~modsign~Ab12Cd"   # not a module's signature
	echo x >"$t/.~modsign~Ab12Cd"            # no module name at all
	ln -s "$o/target" "$t/c.ko.~modsign~Ab12Cd" # a symlink: not followed, not removed
	mkdir "$t/d.ko.~modsign~Ab12Cd"          # a directory
	mkfifo "$t/e.ko.~modsign~Ab12Cd"         # a FIFO: never opened (no hang)
	echo x >"$t/f.ko.~modsign~Locked"        # locked: a modsign still writing it
	exec {lock}<>"$t/f.ko.~modsign~Locked"
	flock -x "$lock"
	run -0 --separate-stderr timeout 60 "$MODSIGN_BIN" sign --key "$KEY" --hash sha256 "$t"
	exec {lock}>&-
	assert_equal "$output" "removed: $t/a.ko.p7s.~modsign~P7s000 (stale temporary file)
removed: $t/a.ko.~modsign~Ab12Cd (stale temporary file)
removed: $t/gone.ko.~modsign~000000 (stale temporary file)
removed: $t/sub/b.ko.xz.~modsign~zzzzzz (stale temporary file)
signed: $t/a.ko
signed: $t/sub/b.ko.xz
2 signed, 0 skipped, 0 re-signed, 0 failed"
	run -0 find "$t" -name '*~modsign~*' -printf '%f %y\n'
	assert_equal "$(sort <<<"$output")" ".~modsign~Ab12Cd f
a.ko.~modsign~Ab-2Cd f
a.ko.~modsign~Ab12C f
a.ko.~modsign~Ab12Cd.bak f
c.ko.~modsign~Ab12Cd l
d.ko.~modsign~Ab12Cd d
e.ko.~modsign~Ab12Cd p
f.ko.~modsign~Locked f
notes.p7s.~modsign~Ab12Cd f
notes.txt.~modsign~Ab12Cd f"
	assert_equal "$(cat "$o/target")" keep

	# Named modules: only their own temporary files, in their directory.
	echo x >"$t/a.ko.~modsign~111111"
	echo x >"$t/a.ko.p7s.~modsign~555555"
	echo x >"$t/h.ko.~modsign~222222"
	cp "$DEMO_KO" "$t/h.ko"
	run -0 --separate-stderr modsign sign --key "$KEY" --hash sha256 "$t/a.ko"
	assert_equal "$output" "removed: $t/a.ko.p7s.~modsign~555555 (stale temporary file)
removed: $t/a.ko.~modsign~111111 (stale temporary file)
skipped: $t/a.ko (already signed by this key)
0 signed, 1 skipped, 0 re-signed, 0 failed"
	[ -f "$t/h.ko.~modsign~222222" ]
	# A relative name, and the temporary file of a module named through a
	# symlink is looked for beside its target.
	ln -s h.ko "$t/link.ko"
	echo x >"$t/link.ko.~modsign~333333"
	run -0 --separate-stderr env -C "$t" "$MODSIGN_BIN" sign -q --key "$KEY" --hash sha256 link.ko
	assert_equal "$output" ""
	[ ! -e "$t/h.ko.~modsign~222222" ]
	[ -f "$t/link.ko.~modsign~333333" ]
	echo x >"$t/a.ko.~modsign~444444"
	run -0 --separate-stderr env -C "$t" "$MODSIGN_BIN" sign --key "$KEY" --hash sha256 a.ko
	assert_equal "$output" "removed: a.ko.~modsign~444444 (stale temporary file)
skipped: a.ko (already signed by this key)
0 signed, 1 skipped, 0 re-signed, 0 failed"
}

# ---- temporary files made ahead ----

@test "temporary files are made ahead of the first rename; a mode or owner changed meanwhile is still kept" {
	local p=$BATS_TEST_TMPDIR t=$BATS_TEST_TMPDIR/t i
	mkdir "$t"
	# 600 modules.  The hook pauses the sync of the first group (256); the
	# workers fill the next group and wait, so z.ko, last in the sorted job
	# list, is not read yet.  Its temporary file can only have been made
	# ahead.  The hook notes its mode (at most 10 s for it to appear), then
	# changes z.ko's mode (and, as root, owner) before z.ko is read.
	for i in $(seq -w 1 599); do cp "$ORIG/d1/m00.ko" "$t/m$i.ko"; done
	cp "$ORIG/d2/m00.ko" "$t/z.ko"
	chmod 0644 "$t"/*.ko
	local own=: want=600
	if [ "$(id -u)" -eq 0 ]; then
		own="chown 1234:5678 '$t/z.ko'" want="600 1234 5678"
	fi
	local h="i=0; while [ \$i -lt 200 ]; do set -- '$t'/z.ko.~modsign~*; [ -e \"\$1\" ] && break; sleep 0.05; i=\$((i+1)); done
stat -c %a \"\$1\" >'$p/ahead-mode' 2>/dev/null; chmod 0600 '$t/z.ko' && $own"
	run -0 --separate-stderr env "${hook[@]}" SYNC_HOOK="$h" "$MODSIGN_BIN" sign -q -j2 --key "$KEY" --hash sha256 "$t"
	assert_equal "$stderr" ""
	assert_equal "$(cat "$p/ahead-mode")" 644 "mode of z.ko's temporary file, made ahead"
	if [ "$(id -u)" -eq 0 ]; then
		assert_equal "$(stat -c '%a %u %g' "$t/z.ko")" "$want"
	else
		assert_equal "$(stat -c %a "$t/z.ko")" "$want"
	fi
	assert_same_file "$t/z.ko" "$REF/d2/m00.ko"
	run -0 modsign verify --cert "$CERT" "$t"/*.ko
	assert_no_temp "$t"
}

# ---- a module changed while being signed ----

@test "a module renamed over while being signed: an error, the new file is kept, the others are signed" {
	local t=$BATS_TEST_TMPDIR/t
	mkdir "$t"
	cp "$ORIG/d2/m00.ko" "$t/a.ko"
	cp "$ORIG/d2/m01.ko" "$t/b.ko"
	cp "$ORIG/d2/m02.ko" "$t/c.ko"
	cp "$ORIG/d3/m05.ko" "$BATS_TEST_TMPDIR/new.ko"
	# -j1: a.ko is read first, so it is in the first group synced.
	run -1 --separate-stderr env "${hook[@]}" SYNC_HOOK="cp '$BATS_TEST_TMPDIR/new.ko' '$t/.new' && mv '$t/.new' '$t/a.ko'" \
		"$MODSIGN_BIN" sign -j1 --key "$KEY" --hash sha256 "$t"
	assert_equal "$stderr" "modsign: $t/a.ko: changed while being signed"
	assert_equal "$output" "failed: $t/a.ko
signed: $t/b.ko
signed: $t/c.ko
2 signed, 0 skipped, 0 re-signed, 1 failed"
	assert_same_file "$t/a.ko" "$BATS_TEST_TMPDIR/new.ko"
	run -0 modsign verify --cert "$CERT" "$t/b.ko" "$t/c.ko"
	assert_no_temp "$t"
	# Nothing stale: the next run signs the new file.
	run -0 modsign sign --key "$KEY" --hash sha256 "$t"
	assert_equal "${lines[-1]}" "1 signed, 2 skipped, 0 re-signed, 0 failed"
}

@test "a compressed module rewritten in place (same size) while being signed: an error, the rewrite is kept" {
	local t=$BATS_TEST_TMPDIR/t
	mkdir "$t"
	cp "$ORIG/xz/deeper/x03.ko.xz" "$t/m.ko.xz"
	run -1 --separate-stderr env "${hook[@]}" SYNC_HOOK="printf Z | dd of='$t/m.ko.xz' bs=1 seek=100 conv=notrunc status=none" \
		"$MODSIGN_BIN" sign --key "$KEY" --hash sha256 "$t/m.ko.xz"
	assert_equal "$stderr" "modsign: $t/m.ko.xz: changed while being signed"
	cp "$ORIG/xz/deeper/x03.ko.xz" "$BATS_TEST_TMPDIR/want"
	printf Z | dd of="$BATS_TEST_TMPDIR/want" bs=1 seek=100 conv=notrunc status=none
	assert_same_file "$t/m.ko.xz" "$BATS_TEST_TMPDIR/want"
	assert_no_temp "$t"
}

@test "a module truncated, or removed, while being signed: an error; it is not brought back (batch and --sync file)" {
	local t=$BATS_TEST_TMPDIR/t
	mkdir "$t"
	cp "$ORIG/d4/m01.ko" "$t/m.ko"
	run -1 --separate-stderr env "${hook[@]}" SYNC_HOOK=": >'$t/m.ko'" \
		"$MODSIGN_BIN" sign --key "$KEY" --hash sha256 "$t/m.ko"
	assert_equal "$stderr" "modsign: $t/m.ko: changed while being signed"
	[ -f "$t/m.ko" ] && [ ! -s "$t/m.ko" ]
	cp "$ORIG/d4/m01.ko" "$t/m.ko"
	run -1 --separate-stderr env "${hook[@]}" SYNC_HOOK="rm '$t/m.ko'" \
		"$MODSIGN_BIN" sign --key "$KEY" --hash sha256 "$t/m.ko"
	assert_equal "$stderr" "modsign: $t/m.ko: changed while being signed"
	[ ! -e "$t/m.ko" ]
	assert_no_temp "$t"
	# The same with --sync file (no batch: the check before each rename).
	cp "$ORIG/d4/m01.ko" "$t/m.ko"
	run -1 --separate-stderr env "${hook[@]}" SYNC_HOOK=": >'$t/m.ko'" \
		"$MODSIGN_BIN" sign --sync file --key "$KEY" --hash sha256 "$t/m.ko"
	assert_equal "$stderr" "modsign: $t/m.ko: changed while being signed"
	[ -f "$t/m.ko" ] && [ ! -s "$t/m.ko" ]
	assert_no_temp "$t"
}

@test "sign-file mode: a module changed while being signed is an error, the change is kept" {
	local t=$BATS_TEST_TMPDIR/t
	mkdir "$t"
	cp "$ORIG/d4/m02.ko" "$t/m.ko"
	run -1 --separate-stderr env "${hook[@]}" SYNC_HOOK="echo more >>'$t/m.ko'" \
		"$MODSIGN_BIN" sha256 "$KEY" "$KEY" "$t/m.ko"
	assert_equal "$stderr" "modsign: $t/m.ko: changed while being signed"
	{ cat "$ORIG/d4/m02.ko"; echo more; } >"$BATS_TEST_TMPDIR/want"
	assert_same_file "$t/m.ko" "$BATS_TEST_TMPDIR/want"
	assert_no_temp "$t"
	# Unchanged, the same run signs as sign-file does.
	cp "$ORIG/d4/m02.ko" "$t/m.ko"
	run -0 env "${hook[@]}" SYNC_HOOK=true "$MODSIGN_BIN" sha256 "$KEY" "$KEY" "$t/m.ko"
	assert_same_file "$t/m.ko" "$REF/d4/m02.ko"
}

@test "strip: a module changed while being stripped is an error, the change is kept" {
	local t=$BATS_TEST_TMPDIR/t
	mkdir "$t"
	cp "$REF/d4/m02.ko" "$t/m.ko"
	run -1 --separate-stderr env "${hook[@]}" SYNC_HOOK="echo more >>'$t/m.ko'" \
		"$MODSIGN_BIN" strip "$t/m.ko"
	assert_equal "$stderr" "modsign: $t/m.ko: changed while being stripped"
	assert_equal "$output" ""
	{ cat "$REF/d4/m02.ko"; echo more; } >"$BATS_TEST_TMPDIR/want"
	assert_same_file "$t/m.ko" "$BATS_TEST_TMPDIR/want"
	assert_no_temp "$t"
	# Unchanged, the same run strips it back to the original.
	cp "$REF/d4/m02.ko" "$t/m.ko"
	run -0 env "${hook[@]}" SYNC_HOOK=true "$MODSIGN_BIN" strip "$t/m.ko"
	assert_same_file "$t/m.ko" "$ORIG/d4/m02.ko"
}
