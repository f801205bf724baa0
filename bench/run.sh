#!/usr/bin/env bash
# bench/run.sh — factcheck's benchmarks, soak and crash rounds in one command.
#
#   bench/run.sh            full run (about 15-20 minutes on 2 cores, plus
#                           about 2 minutes the first time to generate the
#                           1M-annotation database)
#   bench/run.sh --quick    small sizes, short runs: a few minutes
#
# Everything runs on this machine, against 127.0.0.1 only. Binaries,
# databases and raw results go under $BENCH_DIR (default
# /tmp/factcheck-bench), never into the repository; generated databases are
# cached there, keyed by the generator's source, and reused by later runs.
# The markdown summary is written to bench/results/latest.md (--quick:
# latest-quick.md); BENCHMARKS.md explains every table.
#
# Exit status: non-zero if the soak saw any error, a database check failed,
# or a crash round lost or mangled an acknowledged write.
#
# The Go code measured is the last commit (HEAD), exported with git archive
# into $BENCH_DIR, so that work in progress in the checkout neither breaks
# nor skews a run; BENCH_TREE=worktree builds the checkout as it is instead.
#
# Environment: BENCH_DIR, BENCH_TREE, REPS (repetitions of each measured run),
# CRASH_ROUNDS, SOAK (duration), IMPORT_COUNT (runs of the import benchmark
# in full mode), KEEP_GOING=1 (finish the report even after a failure),
# WITH_ETCD=0 to skip the etcd peer (full mode builds etcd $ETCD_VERSION from
# the Go module proxy into $BENCH_DIR the first time: about a minute; --quick
# skips it unless WITH_ETCD=1).
set -euo pipefail

QUICK=0
case "${1:-}" in
--quick) QUICK=1 ;;
"") ;;
-h | --help)
	sed -n '2,/^set /{/^#/p}' "$0" # the comment above
	exit 0
	;;
*)
	echo "usage: bench/run.sh [--quick]" >&2
	exit 2
	;;
esac

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BENCH_DIR=${BENCH_DIR:-/tmp/factcheck-bench}
case "$BENCH_DIR" in
"$ROOT" | "$ROOT"/*)
	echo "BENCH_DIR must be outside the repository" >&2
	exit 2
	;;
esac

if ((QUICK)); then
	SIZES=(2000 10000)
	READ_SIZE=10000
	DUR=2s GHZ_DUR=2s SCALE_DUR=2s CREATE_DUR=3s
	REPS=${REPS:-1}
	SOAK=${SOAK:-10s}
	CRASH_ROUNDS=${CRASH_ROUNDS:-3}
	RAW_N=4000
	OUTNAME=latest-quick.md
else
	SIZES=(10000 100000 1000000)
	READ_SIZE=100000
	DUR=5s GHZ_DUR=5s SCALE_DUR=5s CREATE_DUR=10s
	REPS=${REPS:-3}
	SOAK=${SOAK:-60s}
	CRASH_ROUNDS=${CRASH_ROUNDS:-20}
	RAW_N=20000
	OUTNAME=latest.md
fi
CONCURRENCY=(1 16 64)
# Every call but health checks needs a token. Each server bootstraps its
# first admin with this one (a database generated for the benchmarks has no
# reviewer until then) and keeps it across runs on the cached databases, so
# it is a constant: loopback only, never a secret. The load generator reads
# it from FACTCHECK_TOKEN; ghz gets it as metadata.
BENCH_TOKEN=fct_bench-loopback-only-not-a-secret
export FACTCHECK_TOKEN=$BENCH_TOKEN
ETCD_VERSION=v3.6.16
if ((QUICK)); then WITH_ETCD=${WITH_ETCD:-0}; else WITH_ETCD=${WITH_ETCD:-1}; fi
LIST_FILTER='verdict.rating = RATING_FALSE'

BIN=$BENCH_DIR/bin
DBDIR=$BENCH_DIR/db
RUN=$BENCH_DIR/run-$(date -u +%Y%m%dT%H%M%SZ)
RESULTS=$RUN/results.jsonl
mkdir -p "$BIN" "$DBDIR" "$RUN"
: >"$RESULTS"
FAILED=0
SERVER_PID=
ADDR=

log() { printf '%s  %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
fail() {
	log "FAIL: $*"
	FAILED=1
	if [[ ${KEEP_GOING:-0} != 1 ]]; then
		write_report
		exit 1
	fi
}

cleanup() {
	stop_server
}
trap cleanup EXIT

# record SECTION TOOL MODE VARIANT C CONNS SIZE REP < json
record() {
	local data
	data=$(cat)
	if ! jq -e . >/dev/null 2>&1 <<<"$data"; then
		log "not JSON from $2 $3: $data"
		data='{}'
	fi
	jq -cn --arg section "$1" --arg tool "$2" --arg mode "$3" --arg variant "$4" \
		--argjson c "$5" --argjson conns "$6" --argjson size "$7" --argjson rep "$8" --argjson data "$data" \
		'{section:$section, tool:$tool, mode:$mode, variant:$variant, c:$c, conns:$conns, size:$size, rep:$rep, data:$data}' >>"$RESULTS"
}

conns_for() { if (($1 == 1)); then echo 1; else echo 4; fi; }

# ---------------------------------------------------------------- machine
describe_machine() {
	local cpu mem disk
	cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')
	mem=$(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo)
	disk=$(df -hT "$BENCH_DIR" | awk 'NR==2 {print $2 " on " $1 ", " $3 " total, " $5 " free"}')
	cat <<EOF
## Results: $( ((QUICK)) && echo "quick mode (small sizes, short runs: a smoke test, not a measurement)" || echo "full run")

- Date: $(date -u +"%Y-%m-%d %H:%M UTC"); code measured: commit $COMMIT
- Machine: $(nproc) vCPUs ($cpu), $mem RAM, kernel $(uname -r); benchmark files on $disk
- $(go version | cut -d' ' -f3-); server, load generator and ghz share the same $(nproc) vCPUs; loopback 127.0.0.1
- Repetitions: $REPS per row; reads ${DUR} per run (Go) and ${GHZ_DUR} (ghz) after a 1 s warm-up; scale runs ${SCALE_DUR}; creates ${CREATE_DUR}
- Load average before the run: $(cut -d' ' -f1-3 /proc/loadavg) (other work on the machine shares the same cores)
- Raw results: \`$RESULTS\`
EOF
}

write_report() {
	echo "- Load average after the run: $(cut -d' ' -f1-3 /proc/loadavg)" >>"$RUN/machine.md"
	"$BIN/factcheck-bench" report --in "$RESULTS" --header "$RUN/machine.md" >"$RUN/report.md" || return
	mkdir -p "$ROOT/bench/results"
	cp "$RUN/report.md" "$ROOT/bench/results/$OUTNAME"
	log "report: bench/results/$OUTNAME (and $RUN/report.md)"
}

# ---------------------------------------------------------------- build
if [[ ${BENCH_TREE:-head} == worktree ]]; then
	SRC=$ROOT
	COMMIT="$(git -C "$ROOT" rev-parse --short HEAD) plus the checkout's uncommitted changes"
else
	COMMIT=$(git -C "$ROOT" rev-parse --short HEAD)
	SRC=$BENCH_DIR/src-$COMMIT
fi

build() {
	if [[ $SRC != "$ROOT" && ! -f $SRC/go.mod ]]; then
		log "exporting commit $COMMIT to $SRC"
		mkdir -p "$SRC.partial"
		git -C "$ROOT" archive HEAD | tar -x -C "$SRC.partial"
		mv "$SRC.partial" "$SRC"
	fi
	log "building factcheckd, factcheck-bench and ghz ($COMMIT) into $BIN"
	(cd "$SRC" && go build -o "$BIN/factcheckd" ./cmd/factcheckd && go build -o "$BIN/factcheck-bench" ./cmd/factcheck-bench)
	(cd "$SRC/tools/ghz" && go build -o "$BIN/ghz" github.com/bojand/ghz/cmd/ghz)
}

# ---------------------------------------------------------------- databases
# The cache key covers the generator and the store's code (its layout and
# encoding), so a database is rebuilt whenever either changes.
gen_key() {
	find "$SRC/cmd/factcheck-bench/corpus.go" "$SRC/cmd/factcheck-bench/gen.go" "$SRC/store" -name '*.go' ! -name '*_test.go' |
		LC_ALL=C sort | xargs cat | sha256sum | cut -c1-12
}
db_for() { echo "$DBDIR/ann-$1-$(gen_key).db"; }

generate() {
	local n db old
	# Databases of an older generator or store are never used again.
	for old in "$DBDIR"/ann-*.db; do
		[[ -e $old && $old != *-"$(gen_key)".db ]] && rm -f "$old" "$old.json"
	done
	for n in "$@"; do
		db=$(db_for "$n")
		if [[ -f $db && -f $db.json ]]; then
			log "database of $n annotations: cached ($db)"
			record gen go gen cached 0 0 "$n" 0 <"$db.json"
			continue
		fi
		rm -f "$db" "$db.json" "$db.partial"
		log "generating a database of $n annotations"
		"$BIN/factcheck-bench" gen --db "$db" --annotations "$n" >&2
		record gen go gen new 0 0 "$n" 0 <"$db.json"
	done
}

# ---------------------------------------------------------------- server
# daemon_has_flag FLAG: whether the factcheckd measured has FLAG. The help
# is read whole before grep: with pipefail, `factcheckd --help | grep -q`
# fails whenever grep exits before factcheckd's last write (SIGPIPE), which
# once ran a whole benchmark against the default rate limit.
daemon_has_flag() {
	local help
	help=$("$BIN/factcheckd" --help 2>&1 || true)
	grep -q -- "$1" <<<"$help"
}

# start_server DB LOG [flags...]: starts factcheckd on a free loopback port,
# sets SERVER_PID and ADDR.
start_server() {
	local db=$1 logf=$2
	shift 2
	# Warm the page cache: bbolt maps the file with MADV_RANDOM, so a cold
	# file is read a page at a time and the first seconds would measure
	# the disk.
	cat "$db" >/dev/null
	local port
	port=$("$BIN/factcheck-bench" freeport)
	ADDR=127.0.0.1:$port
	# No rate limit: the runs measure the server, not the limiter (a commit
	# from before the flag has no limit to turn off).
	local limit=()
	if daemon_has_flag -rate-limit; then
		limit=(--rate-limit 0)
	fi
	GODEBUG=${SERVER_GODEBUG:-} FACTCHECK_BOOTSTRAP_TOKEN=$BENCH_TOKEN \
		"$BIN/factcheckd" --listen "$ADDR" --db "$db" "${limit[@]}" "$@" 2>"$logf" &
	SERVER_PID=$!
	if ! "$BIN/factcheck-bench" wait --addr "$ADDR" --timeout 60s; then
		cat "$logf" >&2
		fail "factcheckd did not start on $db"
		return 1
	fi
}

stop_server() {
	if [[ -n ${SERVER_PID:-} ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
		kill -TERM "$SERVER_PID"
		wait "$SERVER_PID" || fail "factcheckd exited with status $? on SIGTERM"
	fi
	SERVER_PID=
}

# goload SECTION MODE C SIZE REP DATASET DURATION [VARIANT] [extra load flags...]
goload() {
	local section=$1 mode=$2 c=$3 size=$4 rep=$5 ds=$6 dur=$7 variant=${8:-}
	shift 8 || shift $#
	local conns out
	conns=$(conns_for "$c")
	out=$("$BIN/factcheck-bench" load --addr "$ADDR" --mode "$mode" -c "$c" --conns "$conns" -d "$dur" \
		--dataset "$ds" --filter "$LIST_FILTER" --pid "$SERVER_PID" --json "$@") || {
		log "load $mode c=$c failed: $out"
		out='{}'
	}
	record "$section" go "$mode" "$variant" "$c" "$conns" "$size" "$rep" <<<"$out"
	jq -r '"  \(.mode) c=\(.c): \(.rps) calls/s p50=\(.p50_us)µs p99=\(.p99_us)µs errors=\(.error_total)"' <<<"$out" >&2 || true
}

# ghzload SECTION MODE C SIZE REP NAMESFILE
# The measured run goes through `factcheck-bench cpu`, which adds what ghz
# does not report: its own CPU time and the server's over the run. ghz
# shares the server's cores, so its cost per call bounds the ratios it
# can show; the record gets both per call (client_cpu_us_per_op,
# server_cpu_us_per_op) and the raw figures (cpu_run).
ghzload() {
	local section=$1 mode=$2 c=$3 size=$4 rep=$5 names=$6
	local conns call req=()
	conns=$(conns_for "$c")
	case $mode in
	health) call=grpc.health.v1.Health/Check req=(-d '{}') ;;
	get) call=factcheck.v1.AnnotationService/GetAnnotation req=(-D "$names") ;;
	list) call=factcheck.v1.AnnotationService/ListAnnotations req=(-d "{\"parent\":\"articles/-\",\"filter\":\"$LIST_FILTER\",\"pageSize\":50}") ;;
	esac
	local out cpu merged cpuf=$RUN/ghz-cpu.json auth=(--metadata "{\"authorization\":\"Bearer $BENCH_TOKEN\"}")
	# A 1 s unmeasured warm-up, as the Go generator has.
	"$BIN/ghz" --insecure --call "$call" "${auth[@]}" "${req[@]}" -c "$c" --connections "$conns" -z 1s "$ADDR" >/dev/null 2>&1 || true
	# A commit from before `factcheck-bench cpu` runs ghz bare.
	local wrap=()
	if bench_has cpu; then
		rm -f "$cpuf"
		wrap=("$BIN/factcheck-bench" cpu --pid "$SERVER_PID" --out "$cpuf" --)
	fi
	out=$("${wrap[@]}" "$BIN/ghz" --insecure --call "$call" "${auth[@]}" "${req[@]}" -c "$c" --connections "$conns" -z "$GHZ_DUR" \
		--format json "$ADDR" 2>/dev/null | jq -c 'del(.details, .histogram)') || out='{}'
	if ((${#wrap[@]})) && cpu=$(jq -ce . "$cpuf" 2>/dev/null) &&
		merged=$(jq -c --argjson u "$cpu" 'def per($v): ($v / .count * 10 | round) / 10;
			if (.count // 0) > 0 then
				. + {client_cpu_us_per_op: per($u.client_cpu_us), cpu_run: $u}
				+ (if $u.server_cpu_us != null then {server_cpu_us_per_op: per($u.server_cpu_us)} else {} end)
			else . end' <<<"$out"); then
		out=$merged
	fi
	record "$section" ghz "$mode" "" "$c" "$conns" "$size" "$rep" <<<"$out"
	jq -r '"  ghz \(.options.call | split("/")[1]) c='"$c"': \(.rps | floor) calls/s, CPU µs/call ghz \(.client_cpu_us_per_op // "?") server \(.server_cpu_us_per_op // "?")"' <<<"$out" >&2 || true
}

# bench_has SUBCOMMAND: whether the factcheck-bench measured has it (read
# whole before grep, as in daemon_has_flag).
bench_has() {
	local help
	help=$("$BIN/factcheck-bench" help 2>&1 || true)
	grep -q -- "factcheck-bench $1 " <<<"$help"
}

# ---------------------------------------------------------------- sections
reads() {
	local db ds names rep c mode
	db=$(db_for "$READ_SIZE")
	ds=$db.json
	names=$RUN/names-$READ_SIZE.json
	"$BIN/factcheck-bench" names --dataset "$ds" -n 2000 >"$names"
	start_server "$db" "$RUN/server-reads.log" || return
	log "reads on $READ_SIZE annotations: Health/Check, GetAnnotation, ListAnnotations at c=${CONCURRENCY[*]}, $REPS repetitions"
	for rep in $(seq 1 "$REPS"); do
		for c in "${CONCURRENCY[@]}"; do
			for mode in health get list; do
				goload reads "$mode" "$c" "$READ_SIZE" "$rep" "$ds" "$DUR" ""
			done
			for mode in health get list; do
				ghzload reads "$mode" "$c" "$READ_SIZE" "$rep" "$names"
			done
		done
	done
	stop_server

	log "the same server with --log-level warn (no log line per call), c=16"
	start_server "$db" "$RUN/server-logcost.log" --log-level warn || return
	for rep in $(seq 1 "$REPS"); do
		for mode in health get list; do
			goload logcost "$mode" 16 "$READ_SIZE" "$rep" "$ds" "$DUR" "log-warn"
		done
	done
	stop_server
}

scale() {
	local n db rep c mode largest=${SIZES[-1]}
	for n in "${SIZES[@]}"; do
		db=$(db_for "$n")
		local logf=$RUN/server-scale-$n.log
		start_server "$db" "$logf" || return
		log "scale: $n annotations"
		for rep in $(seq 1 "$REPS"); do
			for c in 1 16; do
				for mode in get list; do
					goload scale "$mode" "$c" "$n" "$rep" "$db.json" "$SCALE_DUR" ""
				done
			done
		done
		stop_server
		if ((n == largest)); then
			memory "$n" "$db"
		fi
	done
}

# memory N DB: resident memory and Go heap of the server on the largest
# database, idle and under a read load at c=64 (reads only: the cached
# database must not change). The heap comes from the server itself: its GC
# trace (GODEBUG=gctrace=1: the live heap after every cycle) and, when the
# binary has it, its /metrics endpoint.
memory() {
	local n=$1 db=$2 logf=$RUN/server-memory.log idle out live goal dbmb flags=() mflags=()
	if daemon_has_flag -metrics-listen; then
		local mport
		mport=$("$BIN/factcheck-bench" freeport)
		flags=(--metrics-listen "127.0.0.1:$mport")
		mflags=(--metrics-addr "127.0.0.1:$mport")
	fi
	SERVER_GODEBUG=gctrace=1 start_server "$db" "$logf" "${flags[@]}" || return
	sleep 1
	idle=$(awk '/VmRSS/ {printf "%.1f", $2/1024}' "/proc/$SERVER_PID/status")
	log "memory: $n annotations, get/list load at c=64 for 10 s"
	local mark
	mark=$(wc -l <"$logf")
	out=$("$BIN/factcheck-bench" load --addr "$ADDR" --mode mixed --mix get=80,list=20,create=0 -c 64 --conns 4 -d 10s \
		--dataset "$db.json" --filter "$LIST_FILTER" --pid "$SERVER_PID" "${mflags[@]}" --json) || out='{}'
	# gctrace lines: "gc N @T s P%: ... A->B->C MB, G MB goal, ..." where C is
	# the heap live after the cycle.
	read -r live goal < <(tail -n +"$mark" "$logf" | grep -o '[0-9]*->[0-9]*->[0-9]* MB, [0-9]* MB goal' |
		sed -E 's/.*->([0-9]+) MB, ([0-9]+) MB goal/\1 \2/' |
		awk '{ if ($1 > l) l = $1; if ($2 > g) g = $2 } END { if (NR) print l, g; else print -1, -1 }') || true
	dbmb=$(($(stat -c %s "$db") / 1048576))
	out=$(jq -c --argjson idle "$idle" --argjson db "$dbmb" --argjson live "${live:--1}" --argjson goal "${goal:--1}" \
		'. + {rss_idle_mb: $idle, db_mib: $db} + (if $live >= 0 then {heap_live_mb_max: $live, heap_goal_mb_max: $goal} else {} end)' <<<"$out")
	record memory go mixed "get 80% / list 20%" 64 4 "$n" 1 <<<"$out"
	jq -r '"  rss max \(.server_rss_max_mb) MB (anonymous \(.server_rss_anon_max_mb) MB), heap live max \(.heap_live_mb_max // "?") MB, heap in use max \(.server_heap_inuse_max_mb // "?") MB"' <<<"$out" >&2
	stop_server
}

creates() {
	local rep db base out
	base=$(db_for "${SIZES[0]}")
	for rep in $(seq 1 "$REPS"); do
		db=$RUN/create-$rep.db
		cp "$base" "$db"
		start_server "$db" "$RUN/server-create-$rep.log" || return
		log "create: CreateAnnotation at c=64 on a copy of the ${SIZES[0]}-annotation database, rep $rep"
		goload create create 64 "${SIZES[0]}" "$rep" "$base.json" "$CREATE_DUR" ""
		stop_server
		"$BIN/factcheck-bench" check --db "$db" >&2 || fail "database check after the create run"
		rm -f "$db"
		log "create: raw bbolt baselines, rep $rep"
		local v args
		for v in batch-default batch-max64 update; do
			case $v in
			batch-default) args=(--mode batch -n "$RAW_N") ;;
			batch-max64) args=(--mode batch --max-batch 64 -n "$RAW_N") ;;
			update) args=(--mode update -n $((RAW_N / 2))) ;;
			esac
			out=$("$BIN/factcheck-bench" rawbatch --db "$RUN/raw.db" -c 64 "${args[@]}" --json) || out='{}'
			record create raw rawbatch "$v" 64 0 0 "$rep" <<<"$out"
			jq -r '"  raw '"$v"': \(.records_per_sec) records/s, \(.records_per_commit) per commit"' <<<"$out" >&2 || true
		done
	done
}

soak() {
	local db base out ok=true
	base=$(db_for "$READ_SIZE")
	db=$RUN/soak.db
	cp "$base" "$db"
	start_server "$db" "$RUN/server-soak.log" || return
	log "soak: $SOAK of mixed get/list/create at c=64, zero errors required"
	out=$("$BIN/factcheck-bench" load --addr "$ADDR" --mode mixed --mix get=70,list=20,create=10 -c 64 --conns 4 -d "$SOAK" \
		--dataset "$base.json" --filter "$LIST_FILTER" --pid "$SERVER_PID" --json --fail-on-error) || fail "soak: calls failed"
	[[ -n $out ]] || out='{}'
	kill -0 "$SERVER_PID" 2>/dev/null || fail "soak: factcheckd died"
	stop_server
	"$BIN/factcheck-bench" check --db "$db" >&2 || {
		ok=false
		fail "soak: database check failed"
	}
	out=$(jq -c --argjson ok $ok '. + {check_ok: $ok}' <<<"$out")
	record soak go mixed "get 70% / list 20% / create 10%" 64 4 "$READ_SIZE" 1 <<<"$out"
	jq -r '"  soak: \(.ops) calls, \(.rps) calls/s, \(.error_total + .warmup_errors) errors"' <<<"$out" >&2
	rm -f "$db"
}

# Import: BenchmarkImport (server/bulk_bench_test.go, written with
# BulkService) streams 100,000 annotations through a real Import over
# loopback into factcheckd (in its own process) and writes the same encoded
# records, and every key and value the import wrote, with raw chunked bbolt
# puts in the same run; it reports the rates and their ratios.
import_bench() {
	if ! grep -qs 'func BenchmarkImport(' "$SRC/server/bulk_bench_test.go"; then
		log "import: this commit has no BenchmarkImport (BulkService); skipped"
		return 0
	fi
	local count line i=0
	if ((QUICK)); then count=1; else count=${IMPORT_COUNT:-6}; fi
	log "import: BenchmarkImport, 100,000 annotations, $count runs"
	(cd "$SRC" && go test ./server -run '^$' -bench '^BenchmarkImport$' -benchtime 1x -count "$count" -timeout 30m) \
		>"$RUN/import.txt" 2>&1 || {
		tail -20 "$RUN/import.txt" >&2
		fail "import benchmark failed: see $RUN/import.txt"
		return 0
	}
	while read -r line; do
		i=$((i + 1))
		awk '{ printf "{"; sep=""; for (f = 3; f < NF; f += 2) { printf "%s\"%s\":%s", sep, $(f+1), $f; sep="," } print "}" }' <<<"$line" |
			record import gotest import "" 0 0 100000 "$i"
	done < <(grep '^BenchmarkImport' "$RUN/import.txt")
	grep '^BenchmarkImport' "$RUN/import.txt" | sed 's/^/  /' >&2
}

crash() {
	local start passed=true secs
	log "crash: $CRASH_ROUNDS SIGKILL rounds (go test -run TestCrashSafety ./cmd/factcheckd)"
	start=$(date +%s)
	(cd "$SRC" && FACTCHECK_CRASH_ROUNDS=$CRASH_ROUNDS go test -count=1 -run '^TestCrashSafety$' -v -timeout 30m ./cmd/factcheckd) \
		>"$RUN/crash.log" 2>&1 || passed=false
	secs=$(($(date +%s) - start))
	grep -E 'round [0-9]+:|FAIL|PASS|ok ' "$RUN/crash.log" | tail -n 5 >&2 || true
	jq -cn --argjson r "$CRASH_ROUNDS" --argjson p $passed --argjson s "$secs" '{rounds:$r, passed:$p, seconds:$s}' |
		record crash test crash "" 0 0 0 1
	$passed || fail "crash rounds: see $RUN/crash.log"
}

# ---------------------------------------------------------------- etcd peer
# A single-node etcd, the canonical gRPC + bbolt server, built from the Go
# module proxy into $BENCH_DIR (never into the repository) and loaded like
# factcheckd: puts of values as large as a stored annotation, linearizable
# gets and ranges of 50 keys.
build_etcd() {
	local dir=$BENCH_DIR/etcd-$ETCD_VERSION
	ETCD_BIN=$dir/bin
	if [[ -x $ETCD_BIN/etcd && -x $ETCD_BIN/etcd-load ]]; then
		return 0
	fi
	log "building etcd $ETCD_VERSION and its load generator from the Go module proxy into $dir"
	rm -rf "$dir"
	mkdir -p "$dir/server" "$dir/load" "$ETCD_BIN"
	# go install pkg@version refuses etcd's server module (it has replace
	# directives), so a two-line wrapper module builds it.
	(
		cd "$dir/server"
		go mod init etcdpeer/etcd >/dev/null 2>&1
		printf 'package main\n\nimport (\n\t"os"\n\n\t"go.etcd.io/etcd/server/v3/etcdmain"\n)\n\nfunc main() { etcdmain.Main(os.Args) }\n' >main.go
		GOFLAGS=-mod=mod go get "go.etcd.io/etcd/server/v3@$ETCD_VERSION" >/dev/null 2>&1
		go mod tidy >/dev/null 2>&1
		go build -o "$ETCD_BIN/etcd" .
	) || return 1
	(
		cd "$dir/load"
		go mod init etcdpeer/load >/dev/null 2>&1
		sed '/^\/\/go:build ignore$/d' "$SRC/bench/etcdpeer/load.go" >main.go
		GOFLAGS=-mod=mod go get "go.etcd.io/etcd/client/v3@$ETCD_VERSION" go.uber.org/zap >/dev/null 2>&1
		go mod tidy >/dev/null 2>&1
		go build -o "$ETCD_BIN/etcd-load" .
	) || return 1
}

etcd_peer() {
	((WITH_ETCD)) || return 0
	build_etcd || {
		log "could not build etcd $ETCD_VERSION; skipping the peer"
		return 0
	}
	local cport pport data=$RUN/etcd-data value rep c op out
	cport=$("$BIN/factcheck-bench" freeport)
	pport=$("$BIN/factcheck-bench" freeport)
	value=$(jq -s 'map(select(.tool == "raw")) | (.[0].data.value_bytes // 920)' "$RESULTS")
	"$ETCD_BIN/etcd" --name peer --data-dir "$data" --log-level warn \
		--listen-client-urls "http://127.0.0.1:$cport" --advertise-client-urls "http://127.0.0.1:$cport" \
		--listen-peer-urls "http://127.0.0.1:$pport" --initial-advertise-peer-urls "http://127.0.0.1:$pport" \
		--initial-cluster "peer=http://127.0.0.1:$pport" 2>"$RUN/etcd.log" &
	SERVER_PID=$!
	log "etcd $ETCD_VERSION on 127.0.0.1:$cport: filling 10,000 keys of $value bytes"
	local i
	for i in $(seq 1 100); do
		"$ETCD_BIN/etcd-load" --addr "127.0.0.1:$cport" --op fill --keys 10000 --value "$value" 2>/dev/null && break
		sleep 0.3
	done
	for rep in $(seq 1 "$REPS"); do
		for op in put get range; do
			for c in "${CONCURRENCY[@]}"; do
				[[ $op == range && $c != 16 ]] && continue
				out=$("$ETCD_BIN/etcd-load" --addr "127.0.0.1:$cport" --op "$op" -c "$c" --conns "$(conns_for "$c")" \
					-d "$DUR" --value "$value" --keys 10000 --limit 50) || out='{}'
				record etcd go "$op" "$ETCD_VERSION" "$c" "$(conns_for "$c")" 10000 "$rep" <<<"$out"
				jq -r '"  \(.mode) c=\(.c): \(.rps) ops/s p50=\(.p50_us)µs p99=\(.p99_us)µs errors=\(.error_total)"' <<<"$out" >&2 || true
			done
		done
	done
	kill -TERM "$SERVER_PID"
	wait "$SERVER_PID" || true
	SERVER_PID=
	rm -rf "$data"
}

# ---------------------------------------------------------------- main
describe_machine >"$RUN/machine.md"
build
# Every size the scale runs need, plus the reads and soak database.
generate "${SIZES[@]}"
reads
scale
creates
import_bench
soak
crash
etcd_peer
write_report
if ((FAILED)); then
	log "finished with failures"
	exit 1
fi
log "done"
