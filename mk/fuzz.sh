#!/bin/sh
# fuzz.sh - what `make fuzz` does: builds every libFuzzer target
# t/fuzz/<target>.c with Debian's clang (installed with apt-get when
# missing and run as root, as deps.sh does for the build) and runs each
# for FUZZ_SECONDS seconds, starting from its seed corpus t/fuzz/<target>/.
#
#   sh mk/fuzz.sh [TARGET ...]     (default: every t/fuzz/*.c)
#
# Environment: FUZZ_SECONDS (default 60; 0 only replays the seed corpus,
# regressions included), FUZZ_BUILD (default build-fuzz).
# A target file names the program sources it needs besides libcommon on
# a line "fuzz-sources: a.c b.c".  New inputs go to
# FUZZ_BUILD/corpus/<target>, never into the source tree; a crash leaves
# FUZZ_BUILD/crashes/<target>-crash-<sha1> and makes the script exit 1;
# once understood and fixed, that input goes into t/fuzz/<target>/ as
# regress-<what>, so every later run replays it first.
# The summary prints executions per second and coverage per target.
set -u
seconds=${FUZZ_SECONDS:-60}
out=${FUZZ_BUILD:-build-fuzz}
src=$(cd "$(dirname "$0")/.." && pwd)
cd "$src" || exit 1

need_clang() {
	command -v clang >/dev/null 2>&1 && return 0
	if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
		echo "fuzz: clang is missing; install it with:  apt-get install -y clang" >&2
		return 1
	fi
	echo "fuzz: installing clang"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq && apt-get install -y -qq clang
}
need_clang || exit 1
sh mk/deps.sh -q build || exit 1

CC=clang
SAN="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer"
CFLAGS="-std=c17 -g -O1 -D_GNU_SOURCE -Ilibcommon $(pkg-config --cflags openssl sqlite3 libconfig libsystemd)"
LIBS="$(pkg-config --libs openssl sqlite3 libconfig libsystemd) -lcrypt"
mkdir -p "$out/obj" "$out/bin" "$out/corpus" "$out/crashes" "$out/logs"
# Leaks inside system libraries we cannot fix (see the file).
export LSAN_OPTIONS="suppressions=$src/t/fuzz/lsan.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}"

# Compiles SRC into the object directory unless the object is newer.
compile() {
	obj="$out/obj/$(echo "$1" | tr / _).o"
	if [ ! -e "$obj" ] || [ "$1" -nt "$obj" ]; then
		# shellcheck disable=SC2086
		$CC $CFLAGS $SAN -fsanitize=fuzzer-no-link -c -o "$obj" "$1" || return 1
	fi
	echo "$obj"
}

libobjs=""
for f in libcommon/*.c; do
	o=$(compile "$f") || { echo "fuzz: cannot compile $f" >&2; exit 1; }
	libobjs="$libobjs $o"
done

targets=${*:-$(ls t/fuzz/*.c | sed 's|t/fuzz/||; s|\.c$||')}
failed=0
summary=""
for t in $targets; do
	file=t/fuzz/$t.c
	[ -f "$file" ] || { echo "fuzz: no target $file" >&2; failed=1; continue; }
	extra=$(sed -n 's/.*fuzz-sources: *//p' "$file" | head -n 1)
	objs=""
	incs=""
	for e in $extra; do
		o=$(compile "$e") || { failed=1; continue 2; }
		objs="$objs $o"
		incs="$incs -I$(dirname "$e")"
	done
	# shellcheck disable=SC2086
	if ! $CC $CFLAGS $incs $SAN -fsanitize=fuzzer -o "$out/bin/$t" "$file" $objs \
	        $libobjs $LIBS; then
		echo "fuzz: cannot build $t" >&2
		failed=1
		continue
	fi
	mkdir -p "$out/corpus/$t"
	log=$out/logs/$t.log
	echo "fuzz: $t for ${seconds}s"
	# stderr of the code under test is closed (-close_fd_mask=2): logging
	# of every bad input would cost more than the parsing.
	# FUZZ_SECONDS=0 replays the seeds and regressions only.
	if [ "$seconds" = 0 ]; then limit=-runs=0; else limit=-max_total_time=$seconds; fi
	"$out/bin/$t" "$limit" -print_final_stats=1 \
	    -close_fd_mask=2 -timeout=10 -rss_limit_mb=2048 \
	    -artifact_prefix="$out/crashes/$t-" \
	    "$out/corpus/$t" "t/fuzz/$t" > "$log" 2>&1
	rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
	rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
	cov=$(grep -E '^#[0-9]+' "$log" | tail -n 1 | sed -n 's/.* cov: \([0-9]*\).* ft: \([0-9]*\).*/\1 edges, \2 features/p')
	if [ "$rc" != 0 ]; then
		failed=1
		summary="$summary
$t: FAILED (exit $rc), see $log and $out/crashes/"
	else
		summary="$summary
$t: ${execs:-?} runs, ${rate:-?} exec/s, coverage ${cov:-?}"
	fi
done
echo "fuzz: summary ($seconds s each)$summary"
exit $failed
