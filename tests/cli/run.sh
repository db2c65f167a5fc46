#!/bin/sh
# tests/cli/run.sh -- golden tests of civic-score: outputs, exit codes and
# error messages, run against the real binary.  The expected files in
# tests/cli/expected/ were written by hand from SPEC's worked examples.
# usage: sh tests/cli/run.sh build/civic-score
set -u
CLI=${1:-build/civic-score}
D=tests/cli
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
pass=0
fail=0

ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }

# golden NAME EXPECTED-FILE -- ARGS: stdout must equal the file, exit 0
golden() {
    name=$1; want=$2; shift 3
    "$CLI" "$@" >"$T/out" 2>"$T/err"; rc=$?
    if [ $rc -ne 0 ]; then bad "$name: exit $rc: $(cat "$T/err")"; return; fi
    if cmp -s "$T/out" "$want"; then ok; else bad "$name: output differs"; diff "$want" "$T/out" | head -20; fi
}

# status NAME CODE PATTERN -- ARGS: exit code CODE and stderr matching PATTERN
status() {
    name=$1; code=$2; pattern=$3; shift 4
    "$CLI" "$@" >"$T/out" 2>"$T/err" </dev/null; rc=$?
    if [ $rc -ne "$code" ]; then bad "$name: exit $rc, expected $code: $(cat "$T/err")"; return; fi
    if [ -n "$pattern" ] && ! grep -q -- "$pattern" "$T/err"; then
        bad "$name: stderr lacks '$pattern': $(cat "$T/err")"; return
    fi
    ok
}

R="-r $D/rules.toml"
golden csv-contract $D/expected/subjects.csv -- $R -t 2022-10-01 -f csv $D/events.csv
golden csv-as-of-earlier $D/expected/subjects-0601.csv -- $R --as-of=2022-06-01 --format csv $D/events.csv
golden csv-two-files-default-as-of $D/expected/two-files.csv -- $R -f csv $D/events.csv $D/more.jsonl
golden table $D/expected/table.txt -- $R -t 2022-10-01 $D/events.csv
golden top $D/expected/top2.csv -- $R -t 2022-10-01 --top 2 -f csv $D/events.csv
golden groups $D/expected/groups1.csv -- $R -t 2022-10-01 --groups 1 -f csv $D/events.csv
golden explain $D/expected/explain-s5.csv -- $R -t 2022-10-01 --explain s5 -f csv $D/events.csv
golden print-rules lib/default_rules.toml -- --print-rules
# JSON: the bytes of 1.0 (examples/common/answers.c writes them now)
golden json-subjects $D/expected/subjects.json -- $R -t 2022-10-01 -f json $D/events.csv
golden json-top $D/expected/top2.json -- $R -t 2022-10-01 -f json --top 2 $D/events.csv
golden json-explain $D/expected/explain-s5.json -- $R -t 2022-10-01 -f json --explain s5 $D/events.csv
golden json-groups $D/expected/groups1.json -- $R -t 2022-10-01 -f json --groups 1 $D/events.csv
golden json-group-ranks $D/expected/groups1-top2.json -- $R -t 2022-10-01 -f json --groups 1 --top 2 $D/events.csv

# getopt_long conventions: glued values, clustered short options, --opt=value,
# options after file names
golden glued-short $D/expected/top2.csv -- $R -t2022-10-01 -fcsv --top=2 $D/events.csv
golden long-equals $D/expected/subjects.csv -- --rules=$D/rules.toml --as-of=2022-10-01 --format=csv $D/events.csv
golden options-after-files $D/expected/subjects.csv -- $D/events.csv $R -t 2022-10-01 -f csv
golden double-dash $D/expected/subjects.csv -- $R -t 2022-10-01 -f csv -- $D/events.csv

# standard input, CSV and JSON Lines told apart by content
"$CLI" $R -t 2022-10-01 -f csv <$D/events.csv >"$T/out" 2>"$T/err"
if cmp -s "$T/out" $D/expected/subjects.csv; then ok; else bad "stdin csv"; fi
"$CLI" $R -t 2023-02-01 -f csv - <$D/more.jsonl >"$T/out" 2>"$T/err"
if grep -q '^s3,north/x,1020.00,A,20.00,$' "$T/out"; then ok; else bad "stdin jsonl: $(cat "$T/out" "$T/err")"; fi

# a named file that is a pipe or a FIFO is read once: /dev/stdin and <(...)
# lost their first 4 KiB to the binary check's own open, a FIFO hung
cat $D/events.csv | "$CLI" $R -t 2022-10-01 -f csv /dev/stdin >"$T/out" 2>"$T/err"
if cmp -s "$T/out" $D/expected/subjects.csv; then ok; else bad "/dev/stdin: $(cat "$T/out" "$T/err")"; fi
if mkfifo "$T/fifo.csv" 2>/dev/null; then
    cat $D/events.csv >"$T/fifo.csv" &
    "$CLI" $R -t 2022-10-01 -f csv "$T/fifo.csv" >"$T/out" 2>"$T/err"
    wait
    if cmp -s "$T/out" $D/expected/subjects.csv; then ok; else bad "fifo: $(cat "$T/out" "$T/err")"; fi
fi
# standard input that cannot be read is an error, not an empty log; a closed
# one too (it hung: the input's own pipe took descriptor 0)
"$CLI" $R -f csv - <"$T" >"$T/out" 2>"$T/err"; rc=$?
if [ $rc -eq 2 ] && grep -q "<stdin>: cannot read: Is a directory" "$T/err"; then ok; else
    bad "stdin a directory: $rc $(cat "$T/err")"; fi
"$CLI" $R -f csv - <&- >"$T/out" 2>"$T/err"; rc=$?
if [ $rc -eq 2 ] && grep -q "<stdin>: cannot read: Bad file descriptor" "$T/err"; then ok; else
    bad "closed stdin: $rc $(cat "$T/err")"; fi
"$CLI" $R -f csv $D/events.csv >&- 2>"$T/err"; rc=$?
if [ $rc -eq 2 ] && grep -q "cannot write output: Bad file descriptor" "$T/err"; then ok; else
    bad "closed stdout: $rc $(cat "$T/err")"; fi

# a reader that leaves early (| head): ended by SIGPIPE, quietly, as filters
# are (it said "cannot write output: Broken pipe" and exited 2)
awk 'BEGIN { print "id,subject,type,ts"; for (i = 0; i < 50000; i++)
             printf "e%d,s%d,volunteer_hour,2024-05-01\n", i, i }' >"$T/many.csv"
("$CLI" -f csv "$T/many.csv" 2>"$T/err"; echo $? >"$T/rc") | head -1 >"$T/out"
rc=$(cat "$T/rc")
if [ "$rc" -eq 141 ] && [ ! -s "$T/err" ] && [ "$(cat "$T/out")" = "subject,group,score,grade,balance,flags" ]
then ok; else bad "| head: exit $rc: $(cat "$T/err")"; fi

# an answer whose last write crosses stdout's 64 KiB buffer: that write's
# failure lost the buffer, and the final flush of nothing succeeded (exit 0,
# no word); 2,620 subjects of 8 and 5 characters make 65,537 bytes of CSV
awk 'BEGIN { print "id,subject,type,ts"; for (i = 1; i <= 2619; i++)
             printf "e%d,%08d,illegal_parking,2024-01-01\n", i, i
             print "e0,zzzzz,illegal_parking,2024-01-01" }' >"$T/exact.csv"
"$CLI" -f csv "$T/exact.csv" >"$T/out" 2>"$T/err"; rc=$?
if [ $rc -eq 0 ] && [ "$(wc -c <"$T/out")" -eq 65537 ]; then ok; else bad "65,537 bytes: $rc $(wc -c <"$T/out")"; fi
"$CLI" -f csv "$T/exact.csv" >&- 2>"$T/err"; rc=$?
if [ $rc -eq 2 ] && grep -q "cannot write output: Bad file descriptor" "$T/err"; then ok; else
    bad "65,537 bytes, closed stdout: $rc $(cat "$T/err")"; fi
if [ -w /dev/full ]; then
    "$CLI" -f csv "$T/exact.csv" >/dev/full 2>"$T/err"; rc=$?
    if [ $rc -eq 2 ] && grep -q "cannot write output: No space left on device" "$T/err"; then ok; else
        bad "65,537 bytes to /dev/full: $rc $(cat "$T/err")"; fi
fi
("$CLI" -f csv "$T/exact.csv" 2>"$T/err"; echo $? >"$T/rc") | true
rc=$(cat "$T/rc")
if [ "$rc" -eq 141 ] && [ ! -s "$T/err" ]; then ok; else bad "65,537 bytes | true: exit $rc: $(cat "$T/err")"; fi
sh -c 'ulimit -f 32 && exec "$@"' sh "$CLI" -f csv "$T/exact.csv" >"$T/out" 2>"$T/err"; rc=$?
if [ $rc -eq 2 ] && grep -q "cannot write output: File too large" "$T/err"; then ok; else
    bad "65,537 bytes past ulimit -f 32: $rc $(cat "$T/err")"; fi

# a warning written to a standard error whose reader left does not end the
# run before its answer is written (SIGPIPE is ignored while it is made)
printf 'id,subject,type,ts\ne1,"a ",illegal_parking,2024-01-01\ne2,b,illegal_parking,2024-01-02\n' >"$T/blank.csv"
python3 -c 'import os, subprocess, sys
r, w = os.pipe(); os.close(r)
with open(sys.argv[2], "w") as out:
    rc = subprocess.run([sys.argv[1], "-f", "csv", sys.argv[3]], stdout=out, stderr=w).returncode
print(rc)' "$CLI" "$T/out" "$T/blank.csv" >"$T/rc"
if [ "$(cat "$T/rc")" = 0 ] && [ "$(sed -n 1p "$T/out")" = "subject,group,score,grade,balance,flags" ] &&
   [ "$(wc -l <"$T/out")" -eq 3 ]; then ok; else bad "stderr's reader gone: exit $(cat "$T/rc"), $(wc -l <"$T/out") lines"; fi

# past ulimit -f the write fails and is reported (SIGXFSZ killed it, exit 153)
sh -c 'ulimit -f 1 && exec "$@"' sh "$CLI" $R -t 2022-10-01 -f json $D/events.csv >"$T/big.json" 2>"$T/err"; rc=$?
if [ $rc -eq 2 ] && grep -q "cannot write output: File too large" "$T/err"; then ok; else
    bad "ulimit -f: $rc $(cat "$T/err")"; fi

# JSON output is valid JSON with the same numbers
if command -v python3 >/dev/null 2>&1; then
    "$CLI" $R -t 2022-10-01 -f json $D/events.csv >"$T/out"
    if python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); s={x["subject"]:x for x in d["subjects"]}; assert str(s["s5"]["score"])=="950.0" and s["s5"]["grade"]=="B" and s["s1"]["group"]=="north/a,b" and len(s)==5' "$T/out"; then ok; else bad "json subjects"; fi
    "$CLI" $R -t 2022-10-01 --explain s5 -f json $D/events.csv >"$T/out"
    if python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert [e["state"] for e in d["entries"]]==["repaired","applied","active"]' "$T/out"; then ok; else bad "json explain"; fi
    "$CLI" $R -t 2022-10-01 --groups 1 -f json $D/events.csv >"$T/out"
    if python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["groups"][1]["grades"]["B"]==2' "$T/out"; then ok; else bad "json groups"; fi
fi

# --help is the README's usage block, byte for byte
awk '/^```/ { if (inside) exit; if (grab) inside = 1; next } /^<!-- civic-score --help -->$/ { grab = 1 } inside' \
    README.md >"$T/readme-usage"
"$CLI" --help >"$T/out" 2>&1
if [ -s "$T/readme-usage" ] && cmp -s "$T/readme-usage" "$T/out"; then ok; else
    bad "--help differs from README.md's usage block"; diff "$T/readme-usage" "$T/out" | head -10; fi

# -t now: the present time (every event of the log is in the past)
"$CLI" $R -t now -f csv $D/events.csv >"$T/out" 2>"$T/err"
if [ $? -eq 0 ] && [ "$(wc -l <"$T/out")" -eq 6 ] && grep -q '^s5,south/z,1000.00,A,' "$T/out"; then ok; else
    bad "-t now: $(cat "$T/out" "$T/err")"; fi

# compressed or binary input: a clear message, exit 2
if command -v gzip >/dev/null 2>&1; then
    gzip -c $D/events.csv >"$T/events.csv.gz"; cp "$T/events.csv.gz" "$T/events.csv"
    status gzip-file 2 "not an event log: gzip-compressed data" -- $R "$T/events.csv"
    "$CLI" $R - <"$T/events.csv.gz" >"$T/out" 2>"$T/err"; rc=$?
    if [ $rc -eq 2 ] && grep -q "<stdin>: not an event log: gzip" "$T/err"; then ok; else bad "gzip stdin: $rc $(cat "$T/err")"; fi
    # --lenient too: a compressed JSON Lines log is refused whole (the manual says so), not
    # read as bad lines with exit 0
    printf '{"id":1,"subject":"a","type":"volunteer","ts":"2025-01-01T00:00:00Z"}\n' >"$T/one.jsonl"
    gzip -c "$T/one.jsonl" >"$T/gz.jsonl"
    status gzip-lenient-jsonl 2 "gz.jsonl: not an event log: gzip-compressed data" -- $R --lenient "$T/gz.jsonl"
fi
printf 'id,sub\000ject,type,ts\n' >"$T/nul.csv"
status binary-file 2 "not an event log: binary data" -- $R "$T/nul.csv"
# UTF-16 and UTF-32 without a byte order mark: named where the library names
# them (it said "binary data", where the rules reader named the same text),
# with the command that converts them, their byte order named (it said
# "convert it first" and no command, which a marked file gets)
printf 'i\000d\000,\000s\000\n\000\000\001\000\n\000' >"$T/nul.csv"
status binary-utf16 2 "nul.csv: not an event log: UTF-16LE text (convert it first: iconv -f UTF-16LE -t UTF-8 FILE | civic-score -)$" -- $R "$T/nul.csv"
printf 'id,subject,type,ts\ne1,s1,volunteer_hour,2024-05-01\n' >"$T/u8.csv"
if iconv -f UTF-8 -t UTF-16LE "$T/u8.csv" >"$T/u16le.csv" 2>/dev/null &&
   iconv -f UTF-8 -t UTF-16BE "$T/u8.csv" >"$T/u16be.csv" &&
   iconv -f UTF-8 -t UTF-32LE "$T/u8.csv" >"$T/u32le.csv" &&
   iconv -f UTF-8 -t UTF-32BE "$T/u8.csv" >"$T/u32be.csv"; then
    # by hand: the built-in scheme's base 1000, one volunteer_hour of 1 point
    printf 'subject,group,score,grade,balance,flags\ns1,,1001.00,A,1.00,\n' >"$T/u8-want.csv"
    for enc in 16le 16be 32le 32be; do
        utf=UTF-$(echo "$enc" | tr a-z A-Z)
        says="not an event log: $utf text (convert it first: iconv -f $utf -t UTF-8 FILE | civic-score -)"
        status "utf$enc-unmarked" 2 "u$enc.csv: $says$" -- $R --lenient "$T/u$enc.csv"
        "$CLI" $R - <"$T/u$enc.csv" >"$T/out" 2>"$T/err"; rc=$?
        if [ $rc -eq 2 ] && [ "$(cat "$T/err")" = "civic-score: <stdin>: $says" ]
        then ok; else bad "utf$enc-unmarked on stdin: $rc $(cat "$T/err")"; fi
        # the command it gives reads the log
        iconv -f $utf -t UTF-8 "$T/u$enc.csv" | "$CLI" -t 2024-06-01 -f csv - >"$T/out" 2>"$T/err"
        if cmp -s "$T/out" "$T/u8-want.csv"; then ok
        else bad "utf$enc-unmarked: its iconv command: $(cat "$T/err")"; fi
    done
fi
# a snapshot or a journal (files of the library, 1.0's here): named, with what reads them
# (it said "binary data (it holds NUL bytes ...)")
status snapshot-file 2 "snapshot.civic: not an event log: a libcivic snapshot (civic-server --data DIR reads one as DIR/snapshot.civic, a program with civic_engine_load_snapshot; civic-score reads event logs only)$" -- tests/fixtures/1.0.0/snapshot.civic
status journal-file 2 "journal.civic: not an event log: a libcivic journal (civic-server --data DIR reads one as DIR/journal.civic, a program with civic_engine_journal_open; civic-score reads event logs only)$" -- $R --lenient tests/fixtures/1.0.0/journal.civic
"$CLI" $R - <tests/fixtures/1.0.0/snapshot.civic >"$T/out" 2>"$T/err"; rc=$?
if [ $rc -eq 2 ] && grep -q "^civic-score: <stdin>: not an event log: a libcivic snapshot (" "$T/err"; then ok
else bad "snapshot on stdin: $rc $(cat "$T/err")"; fi
# an old Excel workbook (an OLE2 file) saved under a .csv name: said so, not "binary data"
printf '\320\317\021\340\241\261\032\341\000\000\000\000' >"$T/sheet.csv"
status excel-xls 2 "sheet.csv: not an event log: an Excel 97-2003 workbook or another old Office file (a .doc, a .msg): save the sheet as CSV" -- $R "$T/sheet.csv"
printf '\377\376i\000d\000,\000s\000\n\000' >"$T/bom16.csv"
status utf16-bom 2 "not an event log: UTF-16 text (convert it first" -- $R "$T/bom16.csv"
printf '\377\376\000\000i\000\000\000d\000\000\000' >"$T/bom32.csv"
status utf32-bom 2 "not an event log: UTF-32 text (convert it first: iconv -f UTF-32" -- $R "$T/bom32.csv"
printf '\000\000\376\377\000\000\000i' >"$T/bom32be.csv"
status utf32be-bom 2 "not an event log: UTF-32 text (convert it first: iconv -f UTF-32" -- $R "$T/bom32be.csv"
# text that cannot be events: a rules file given without -r (comments first
# too); an export separated by ';' or tabs, a '#' line before a CSV header
# is still the load's to name
status rules-as-log 2 "rules.toml: not an event log: a rules file (TOML: a \[table\] or a key = value line): give it with -r FILE" -- $R $D/rules.toml
# the other way round: a log given where a rules file goes (-r, --compare)
# is named as one, after the parser's own message
# (the line and column of the library's message kept, its words on TOML not)
status log-as-rules 2 "events.csv: line 1, column 3: not a rules file: an event log (its first line is a CSV header naming id, subject, type and ts): the rules file is the one given with -r or --compare" -- -r $D/events.csv $D/rules.toml
status log-as-compared-rules 2 "more.jsonl: line 1, column 1: not a rules file: an event log (its first line is a JSON object): the rules file" -- $R --compare $D/more.jsonl $D/events.csv
printf '\n [ {"id":"1", "subject":"s1", "ts":1} ]\n' >"$T/array.json"
status array-as-rules 2 "array.json: line 2, column 14: not a rules file: an event log (a JSON array of objects): the rules file" -- -r "$T/array.json" $D/events.csv
# rules written in JSON are no event log: an object or array without an
# event's keys, pretty-printed too, is told to be TOML
printf '{"scheme": {"base": 100}, "grade": [{"name": "A"}]}\n' >"$T/rules.json"
status json-rules 2 "rules.json: line 1, column 1: not a rules file: a JSON document (rules are written in TOML; see the manual's rules chapter)$" -- -r "$T/rules.json" $D/events.csv
printf '{\n  "base": 100\n}\n' >"$T/pretty.json"
"$CLI" -r - $D/events.csv <"$T/pretty.json" >"$T/out" 2>"$T/err"; rc=$?
if [ $rc -eq 2 ] && grep -q "^civic-score: <stdin>: line 1, column 1: not a rules file: a JSON document (rules are written in TOML" "$T/err"
then ok; else bad "json-rules-stdin: exit $rc: $(cat "$T/err")"; fi
printf '{}\n' >"$T/empty.json"
status json-empty-rules 2 "empty.json: line 1, column 1: not a rules file: a JSON document" -- $R --compare "$T/empty.json" $D/events.csv
# the words "not a rules file: " in the file's own text, quoted back in the
# parser's message, are no word of the library's on what the file is
printf '["not a rules file: an event log"]\n' >"$T/words1.toml"
printf '[rule.a]\npoints = 1\nper = "x; not a rules file: an event log (a JSON array of objects)"\n' >"$T/words2.toml"
for f in words1 words2; do
    "$CLI" --print-rules -r "$T/$f.toml" >"$T/out" 2>"$T/err" </dev/null; rc=$?
    if [ $rc -eq 2 ] && ! grep -q "the rules file is the one given\|: not a rules file: an event log" "$T/err"
    then ok; else bad "$f-is-no-log: exit $rc: $(cat "$T/err")"; fi
done
# a rules file whose first header has a stray brace is no JSON: the
# parser's line and column, not "an event log"
printf '[{scheme]\nbase = 1000\n' >"$T/brace.toml"
status brace-header-is-no-log 2 "brace.toml: line 1, column 2" -- -r "$T/brace.toml" $D/events.csv
if grep -q "event log" "$T/err"; then bad "brace-header-is-no-log: called an event log: $(cat "$T/err")"; else ok; fi
printf '{scheme}\n' >"$T/brace2.toml"
"$CLI" -r "$T/brace2.toml" $D/events.csv >"$T/out" 2>"$T/err" </dev/null
if grep -q "event log" "$T/err"; then bad "brace-line-is-no-log: called an event log: $(cat "$T/err")"; else ok; fi
# a FIFO given as the rules is read once: the hint must not open it again
# (that waits for a writer forever); the library's reading of it names it
mkfifo "$T/rules.fifo"
(printf 'id,subject,type,ts\n' >"$T/rules.fifo" &)
timeout 20 "$CLI" -r "$T/rules.fifo" $D/events.csv >"$T/out" 2>"$T/err" </dev/null; rc=$?
if [ $rc -eq 2 ] && grep -q "line 1, column 3: not a rules file: an event log" "$T/err"; then ok
else bad "log-as-rules-fifo: exit $rc: $(cat "$T/err")"; fi
printf '[scheme]\nbase = 10\nid,subject,type,ts\n' >"$T/half.toml"
status toml-not-log 2 "half.toml: line 3, column 3: expected '=' after the key$" -- -r "$T/half.toml" $D/events.csv
printf '# the scheme\n\nbase = 1000\n' >"$T/plain.toml"
status rules-key-as-log 2 "not an event log: a rules file" -- $R "$T/plain.toml"
printf '\357\273\277ID;Subject;Type;Date\r\na;b;c;2025-01-01\r\n' >"$T/semi.csv"
# (in the library's words, which every front end gives, --lenient too)
status semicolons 2 "semi.csv: line 1: the header has no 'id', 'subject', 'type' or 'ts' column (required: id, subject, type, ts) (the fields are separated by ';': save the export as CSV with commas)$" -- $R "$T/semi.csv"
status semicolons-lenient 2 "semi.csv: line 1: .* (the fields are separated by ';': save the export as CSV with commas)$" -- $R --lenient "$T/semi.csv"
printf 'id\tsubject\ttype\tts\n' >"$T/tabs.csv"
status tabs 2 "tabs.csv: line 1: the header has no 'id', 'subject', 'type' or 'ts' column (required: id, subject, type, ts) (the fields are separated by tabs: save the export as CSV with commas)$" -- $R "$T/tabs.csv"
printf '# x\nid,subject,type,ts\n' >"$T/hash.csv"
status hash-before-header 2 "hash.csv: line 1: the header has no 'id', 'subject', 'type' or 'ts' column (required: id, subject, type, ts) (line 1 is a '#' comment, and line 2 is the header: an event log has no comment lines; delete it)$" -- $R "$T/hash.csv"
# a '#' comment before JSON Lines, on standard input: read as CSV by its first line
printf '# exported\n{"id":"j1","subject":"s","type":"donation","ts":"2022-03-01"}\n' >"$T/hash-jsonl"
"$CLI" $R - <"$T/hash-jsonl" >"$T/out" 2>"$T/err"; rc=$?
if [ $rc -eq 2 ] && grep -q "^civic-score: <stdin>: line 1: .* (line 1 is a '#' comment, and the lines after it are JSON objects: an event log has no comment lines; delete it)$" "$T/err"; then ok; else
    bad "hash-before-jsonl: $rc $(cat "$T/err")"; fi
# a log whose line breaks were removed (curl -d, tr -d '\r\n') is one line:
# it was read as a header and loaded nothing, exit 0
printf 'id,subject,type,ts,qty,group,ref\ne1,r1,fine,2025-03-04,,d1/s1,\ne2,r1,donation,2025-03-05,2.5,,\n' | tr -d '\r\n' >"$T/oneline.csv"
ONE_LINE="line 1, column 44: a column named like a time ('2025-03-04'), in a header that is the whole input: were the log's line breaks removed? curl -d removes them: send the file with --data-binary\$"
status one-line-log 2 "oneline.csv: $ONE_LINE" -- $R -f csv "$T/oneline.csv"
status one-line-log-lenient 2 "oneline.csv: $ONE_LINE" -- $R --lenient -f csv "$T/oneline.csv"
"$CLI" $R -f csv - <"$T/oneline.csv" >"$T/out" 2>"$T/err"; rc=$?
if [ $rc -eq 2 ] && grep -q "^civic-score: <stdin>: $ONE_LINE" "$T/err" && [ ! -s "$T/out" ]; then ok; else
    bad "one-line-log-stdin: $rc $(cat "$T/out" "$T/err")"; fi
# a header-only log, without a line break too, is still no events and no error
printf 'id,subject,type,ts' >"$T/header-only.csv"
"$CLI" $R -t 2022-10-01 -f csv "$T/header-only.csv" >"$T/out" 2>"$T/err"; rc=$?
if [ $rc -eq 0 ] && [ "$(cat "$T/out")" = "subject,group,score,grade,balance,flags" ]; then ok; else
    bad "header-only: $rc $(cat "$T/out" "$T/err")"; fi
printf 'sep=;\nid;subject;type;ts\n' >"$T/excel.csv"
status excel-sep 2 "excel.csv: line 1: the header has no 'id', 'subject', 'type' or 'ts' column (required: id, subject, type, ts) (a spreadsheet's 'sep=;' line: the fields are separated by ';'; save the export as CSV with commas)$" -- $R "$T/excel.csv"
printf '"sep=,"\nid,subject,type,ts\n' >"$T/excel2.csv"
status excel-sep-quoted 2 "excel2.csv: line 1: the header has no 'id', 'subject', 'type' or 'ts' column (required: id, subject, type, ts) (a spreadsheet's 'sep=,' line: delete line 1)$" -- $R "$T/excel2.csv"
# a title line with a ';' is no header separated by ';': the load names it
printf 'Events export; March 2025\nid,subject,type,ts\n' >"$T/title.csv"
status title-line 2 "title.csv: line 1: the header has no 'id', 'subject', 'type' or 'ts' column (required: id, subject, type, ts)$" -- $R "$T/title.csv"
# a header that lacks required columns names them all at once (one alone as
# it always did), with what to rename where no other hint is given
printf 'subject,type,ts\ns,donation,2022-03-01\n' >"$T/noid.csv"
status missing-one 2 "noid.csv: line 1: the header has no 'id' column (required: id, subject, type, ts)$" -- $R "$T/noid.csv"
printf 'subject,ts\n' >"$T/two.csv"
status missing-two 2 "two.csv: line 1: the header has no 'id' or 'type' column (required: id, subject, type, ts)$" -- $R "$T/two.csv"
printf 'id,group,qty\n' >"$T/three.csv"
status missing-three 2 "three.csv: line 1: the header has no 'subject', 'type' or 'ts' column (required: id, subject, type, ts)$" -- $R "$T/three.csv"
printf 'Event ID,Resident,Event Type,Date\r\nk1,s1,donation,2022-03-01\r\n' >"$T/export.csv"
status missing-four-renamed 2 "export.csv: line 1: the header has no 'id', 'subject', 'type' or 'ts' column (required: id, subject, type, ts); rename 'Event ID' to 'id', 'Resident' to 'subject', 'Event Type' to 'type' and 'Date' to 'ts'$" -- $R "$T/export.csv"
status missing-four-renamed-lenient 2 "export.csv: line 1: the header has no 'id', 'subject', 'type' or 'ts' column (required: id, subject, type, ts); rename 'Event ID' to 'id', 'Resident' to 'subject', 'Event Type' to 'type' and 'Date' to 'ts'$" -- $R --lenient "$T/export.csv"
printf 'id;subject;x,Event ID,type,ts\n' >"$T/semi2.csv"
status missing-two-semicolons 2 "semi2.csv: line 1: the header has no 'id' or 'subject' column (required: id, subject, type, ts) (the fields are separated by ';': save the export as CSV with commas)$" -- $R "$T/semi2.csv"
printf 'id;subject;type,ts\n' >"$T/semi3.csv"
status missing-three-semicolons 2 "semi3.csv: line 1: the header has no 'id', 'subject' or 'type' column (required: id, subject, type, ts) (the fields are separated by ';': save the export as CSV with commas)$" -- $R "$T/semi3.csv"
# JSON Lines by its name: a bad first line of any shape is skipped under --lenient
for first in 'note; exported by tool' 'key = 1' '[header]'; do
    printf '%s\n{"id":"j1","subject":"s","type":"donation","ts":"2022-03-01"}\n' "$first" >"$T/first.jsonl"
    status "jsonl-first-line $first" 0 "1 bad line skipped" -- $R --lenient "$T/first.jsonl"
done
# one NUL in a record is that line's fault, wherever it is: named, and
# --lenient keeps the other lines (as past the first 4 KiB)
printf 'id,subject,type,ts,note\na1,s\000x,donation,2022-03-01,\na2,s,donation,2022-03-01,n\000\n' >"$T/nul.csv"
status nul-in-a-field 2 "line 2, column 4: field 'subject'" -- $R "$T/nul.csv"
status nul-lenient 0 "1 bad line skipped" -- $R --lenient -f csv "$T/nul.csv"
# a log cut short by a crash, its tail zero-filled (NULs more than an eighth of
# it): a clean header before the NULs is no binary file; the lines speak, the
# NUL line named (strict), skipped with the good lines kept (--lenient)
{ printf 'id,subject,type,ts,qty,group,ref\r\n'
  for i in 1 2 3; do printf 'z%s,s%s,donation,2022-03-0%s,1,a/b,\r\n' $i $i $i; done
  head -c 100 /dev/zero; } >"$T/ztail.csv"
status nul-tail 2 "ztail.csv: line 5: 100 NUL bytes (a file cut short by a crash may end in them)$" -- $R "$T/ztail.csv"
status nul-tail-lenient 0 "ztail.csv: skipped: line 5: 100 NUL bytes (a file cut short by a crash may end in them)$" -- $R --lenient -f csv "$T/ztail.csv"
if [ "$(grep -c '^s[123],' "$T/out")" = 3 ]; then ok; else bad "nul-tail-lenient: not the 3 good events: $(cat "$T/out")"; fi
# the crash cut the last line mid-value: its value's error says what the NULs are
{ printf 'id,subject,type,ts\na1,s1,illegal_parking,2024-01-01\na2,s1,illegal_parking,2024-01-10T10:00:00'
  head -c 3 /dev/zero; } >"$T/zcut.csv"
status nul-cut-value 2 'zcut.csv: line 3, column 23: field .ts.: bad UTC offset (expected Z or +HH:MM) "2024-01-10T10:00:00\\x00\\x00\\x00" (3 NUL bytes to the end of the input: a file cut short by a crash may end in them)$' -- "$T/zcut.csv"
{ printf 'id,subject,type,ts\na1,s1,illegal_parking,2024-01-01\na2,s1,illegal_parking,2024-01-10T10:00:00'
  head -c 100 /dev/zero; } >"$T/zcut.csv"
status nul-cut-value-long 2 'zcut.csv: line 3, column 23: field .ts.: longer than 64 bytes ".*" (100 NUL bytes to the end of the input: a file cut short by a crash may end in them)$' -- "$T/zcut.csv"
# NULs after a first line that is no log's header: still binary data
{ printf 'PNG image\r\n'; head -c 200 /dev/zero; } >"$T/png.csv"
status nul-after-other-line 2 "png.csv: not an event log: binary data" -- $R --lenient "$T/png.csv"
# JSON Lines has no header: a NUL in its first line is that line's too
printf '{"id":"a1","sub\000ject":"s","type":"donation","ts":"2022-03-01"}\n{"id":"a2","subject":"s","type":"donation","ts":"2022-03-01"}\n' >"$T/nul.jsonl"
status nul-jsonl-first-line 0 "1 bad line skipped" -- $R --lenient -f csv "$T/nul.jsonl"

# --list of a name the scheme has not: said before any input is read (a
# stream that never ends included), as a bad -t is
{ sleep 4; } | timeout 3 "$CLI" -r $D/rules.toml --list no_such_list - >"$T/out" 2>"$T/err"; rc=$?
if [ $rc -eq 1 ] && grep -q "'no_such_list' is neither a flag nor a measure of the scheme (lists: dishonest)$" "$T/err"; then ok; else
    bad "--list of an unknown name, before the input, naming the scheme's lists: $rc $(cat "$T/err")"; fi
# --list NAME under RULES refused (exit 1) with exactly MESSAGE on standard
# error: list_refused RULES NAME MESSAGE WHAT
list_refused() {
    "$CLI" -r "$1" --list "$2" "$D/events.csv" >"$T/out" 2>"$T/err"; rc=$?
    if [ $rc -eq 1 ] && grep -qxF "$3" "$T/err"; then ok; else
        bad "$4: $rc $(cat "$T/err")"; fi
}
# a name a list's in other letters, or misspelt: the list it most likely
# meant, as the rules reader offers one
list_refused $D/rules.toml Dishonest "civic-score: --list: 'Dishonest' is neither a flag nor a measure of the scheme (did you mean 'dishonest'? lists: dishonest)" "--list of a list's name in capitals: did you mean"
"$CLI" -r $D/rules.toml --list dishonset "$D/events.csv" >"$T/out" 2>"$T/err"; rc=$?
if [ $rc -eq 1 ] && grep -qF "'dishonset' is neither a flag nor a measure of the scheme (did you mean 'dishonest'? lists: dishonest)" "$T/err"; then ok; else
    bad "--list of a misspelt list: did you mean: $rc $(cat "$T/err")"; fi
# a tier is no list: it is listed through a measure on it; which ones, or how
# one is written when the scheme has none
{ printf '[scheme]\nbase = 1000\n[[grade]]\nname = "A"\n[rule.help]\npoints = 1\nper = "unit"\n'
  printf '[rule.bad]\npoints = -5\nflag = "dishonest"\n'
  printf '[tier.volunteer_star]\nrules = "help"\n[[tier.volunteer_star.level]]\nname = "1 star"\nmin = 10\n'
} >"$T/tier-lists.toml"
{ cat "$T/tier-lists.toml"
  printf '[measure.rebate]\nkind = "incentive"\ntier = "volunteer_star"\nmin_level = "1 star"\n'
  printf '[measure.no_subsidy]\nkind = "restriction"\nflag = "dishonest"\n'
  printf '[measure.bus_pass]\nkind = "incentive"\ntier = "volunteer_star"\nmin_level = "1 star"\n'
} >"$T/tier-measures.toml"
list_refused "$T/tier-measures.toml" volunteer_star "civic-score: --list: 'volunteer_star' is a tier, not a flag nor a measure: a tier is listed through a measure on it (measures on it: rebate; bus_pass)" "--list of a tier, its measures named"
list_refused "$T/tier-lists.toml" volunteer_star "civic-score: --list: 'volunteer_star' is a tier, not a flag nor a measure: a tier is listed through a measure on it (a [measure.CODE] with tier = \"volunteer_star\" and a min_level), and the scheme has none (lists: dishonest)" "--list of a tier without measures"
# a tier's name in other letters: that tier, as the scheme writes it
list_refused "$T/tier-measures.toml" Volunteer_Star "civic-score: --list: 'Volunteer_Star' is neither a flag nor a measure of the scheme (the tier 'volunteer_star', in those letters, is listed through a measure on it: rebate; bus_pass)" "--list of a tier in capitals"
# a grade is no list either: it is listed through a measure on it, when the
# scheme has one (in other letters: that grade, as the scheme writes it);
# else the grade column shows it (it got the list of lists only)
{ printf '[scheme]\nbase = 1000\n[[grade]]\nname = "AAA"\nmin = 1000\n[[grade]]\nname = "AA"\nmin = 900\n[[grade]]\nname = "B"\n'
  printf '[rule.bad]\npoints = -5\nflag = "dishonest"\n'
  printf '[measure.priority]\nkind = "incentive"\ngrades = "AAA;AA"\n'
  printf '[measure.no_deposit]\nkind = "incentive"\ngrades = "AAA"\n'
} >"$T/grade-measures.toml"
list_refused "$T/grade-measures.toml" AAA "civic-score: --list: 'AAA' is a grade, not a flag nor a measure: a grade is listed through a measure on it (measures on it: priority; no_deposit)" "--list of a grade, its measures named"
list_refused "$T/grade-measures.toml" AA "civic-score: --list: 'AA' is a grade, not a flag nor a measure: a grade is listed through a measure on it (measures on it: priority)" "--list of a grade, its one measure named"
list_refused "$T/grade-measures.toml" aaa "civic-score: --list: 'aaa' is neither a flag nor a measure of the scheme (the grade 'AAA', in those letters, is listed through a measure on it: priority; no_deposit)" "--list of a grade in other letters"
list_refused "$T/grade-measures.toml" B "civic-score: --list: 'B' is a grade, not a flag nor a measure: grades are not lists, and no measure of the scheme is on it (each subject's grade is the grade column of --format csv or json; a [measure.CODE] with grades = \"B\" would list its subjects; lists: dishonest; priority; no_deposit)" "--list of a grade no measure is on"
list_refused $D/rules.toml AAA "civic-score: --list: 'AAA' is a grade, not a flag nor a measure: grades are not lists, and no measure of the scheme is on it (each subject's grade is the grade column of --format csv or json; a [measure.CODE] with grades = \"AAA\" would list its subjects; lists: dishonest)" "--list of a grade, a scheme without measures"
# a rule's code is no list: the list of the flag it sets, or that it sets none
# (tier-measures.toml: bad sets dishonest, help no flag)
list_refused "$T/tier-measures.toml" bad "civic-score: --list: 'bad' is a rule, not a flag nor a measure: the subjects it flags are on the list 'dishonest'" "--list of a rule that sets a flag"
list_refused "$T/tier-measures.toml" help "civic-score: --list: 'help' is a rule, not a flag nor a measure, and sets no flag (lists: dishonest; rebate; no_subsidy; bus_pass)" "--list of a rule that sets no flag"
# a rule that sets two flags over its changes names both, once each
{ printf '[scheme]\nbase = 1000\n[[grade]]\nname = "A"\n[rule.fraud]\npoints = -50\nflag = "dishonest"\n'
  printf '[[rule.fraud.change]]\nfrom = "2025-01-01"\nflag = "fraudster"\n'
  printf '[[rule.fraud.change]]\nfrom = "2026-01-01"\nflag = "dishonest"\n'
} >"$T/rule-flags.toml"
list_refused "$T/rule-flags.toml" fraud "civic-score: --list: 'fraud' is a rule, not a flag nor a measure: the subjects it flags are on the lists 'dishonest'; 'fraudster'" "--list of a rule whose changes set two flags"
# the names of a scheme with more lists than a line holds end with "; ...", and
# one with none says so
{ printf '[scheme]\nbase = 1000\n[[grade]]\nname = "A"\n'
  i=0; while [ $i -lt 60 ]; do printf '[rule.r%d]\npoints = -1\nflag = "flag_number_%03d"\n' $i $i; i=$((i + 1)); done
} >"$T/many-lists.toml"
"$CLI" -r "$T/many-lists.toml" --list q "$D/events.csv" >"$T/out" 2>"$T/err"; rc=$?
if [ $rc -eq 1 ] && grep -q "(lists: flag_number_000; flag_number_001; .*[0-9]; \.\.\.)$" "$T/err" &&
   ! grep -q "flag_number_059" "$T/err"; then ok; else
    bad "--list of an unknown name, many lists: $rc $(cat "$T/err")"; fi
printf '[scheme]\nbase = 1000\n[[grade]]\nname = "A"\n[rule.x]\npoints = 1\n' >"$T/no-lists.toml"
"$CLI" -r "$T/no-lists.toml" --list q "$D/events.csv" >"$T/out" 2>"$T/err"; rc=$?
if [ $rc -eq 1 ] && grep -q "'q' is neither a flag nor a measure of the scheme (lists: none)$" "$T/err"; then ok; else
    bad "--list of an unknown name, no lists: $rc $(cat "$T/err")"; fi
# a flag's name may hold ", ": the names are told apart by "; "
printf '[scheme]\nbase = 1000\n[[grade]]\nname = "A"\n[rule.x]\npoints = -1\nflag = "drunk, driving"\n[rule.y]\npoints = -2\nflag = "noise"\n' >"$T/comma-lists.toml"
"$CLI" -r "$T/comma-lists.toml" --list driving "$D/events.csv" >"$T/out" 2>"$T/err"; rc=$?
if [ $rc -eq 1 ] && grep -q "(lists: drunk, driving; noise)$" "$T/err"; then ok; else
    bad "--list of an unknown name, a flag holding a comma: $rc $(cat "$T/err")"; fi

# a log whose name says the other format: refused whole, saying so (each line
# was bad, and --lenient skipped them all and exited 0)
printf '{"id":"e1","subject":"s1","type":"fine","ts":"2022-03-01"}\n' >"$T/jsonl-named.csv"
printf 'id,subject,type,ts\ne1,s1,fine,2022-03-01\n' >"$T/csv-named.jsonl"
status misnamed-jsonl 2 "looks like JSON Lines (its first line starts with '{'), but its name says CSV" -- \
    $R --lenient "$T/jsonl-named.csv"
status misnamed-csv 2 "looks like CSV (its first line is a CSV header), but its name says JSON Lines" -- \
    $R --lenient "$T/csv-named.jsonl"
# blank lines first: the message says which line it read (it said "its
# first line", which is blank)
printf '\n \r\n{"id":"e1","subject":"s1","type":"fine","ts":"2022-03-01"}\n' >"$T/jsonl-blank.csv"
printf '\n\nid,subject,type,ts\ne1,s1,fine,2022-03-01\n' >"$T/csv-blank.jsonl"
status misnamed-jsonl-blank 2 "looks like JSON Lines (its first non-blank line, line 3, starts with '{'), but its name says CSV" -- \
    $R "$T/jsonl-blank.csv"
status misnamed-csv-blank 2 "looks like CSV (its first non-blank line, line 3, is a CSV header), but its name says JSON Lines" -- \
    $R "$T/csv-blank.jsonl"
# ... past the first 4 KiB of blank lines too (it read the lines as bad ones
# of the format the name says); a line that straddles 4 KiB is read whole
{ i=0; while [ $i -lt 4100 ]; do echo; i=$((i + 1)); done
  echo '{"id":"e1","subject":"s1","type":"fine","ts":"2022-03-01"}'; } >"$T/jsonl-blank4k.csv"
status misnamed-jsonl-blank-4k 2 "looks like JSON Lines (its first non-blank line, line 4101, starts with '{'), but its name says CSV" -- \
    $R "$T/jsonl-blank4k.csv"
{ i=0; while [ $i -lt 4090 ]; do echo; i=$((i + 1)); done
  printf 'id,subject,type,ts\ne1,s1,fine,2022-03-01\n'; } >"$T/csv-blank4k.jsonl"
status misnamed-csv-blank-4k 2 "looks like CSV (its first non-blank line, line 4091, is a CSV header), but its name says JSON Lines" -- \
    $R "$T/csv-blank4k.jsonl"
# as the library reads a header: names quoted, in any case, with blanks around
printf '"id","subject","type","ts"\ne1,s1,fine,2022-03-01\n' >"$T/csv-quoted.jsonl"
printf 'Id, Subject ,TYPE,"Ts"\r\ne1,s1,fine,2022-03-01\r\n' >"$T/csv-upper.jsonl"
status misnamed-csv-quoted 2 "looks like CSV (its first line is a CSV header), but its name says JSON Lines" -- \
    $R --lenient "$T/csv-quoted.jsonl"
status misnamed-csv-upper 2 "looks like CSV (its first line is a CSV header), but its name says JSON Lines" -- \
    $R --lenient "$T/csv-upper.jsonl"
# but JSON Lines whose first line alone is bad (torn, a comment) is read as such
printf 'garbage, torn line\n{"id":"e1","subject":"s1","type":"fine","ts":"2022-03-01"}\n' >"$T/firstbad.jsonl"
status firstbad-jsonl 0 "line 1" -- $R --lenient "$T/firstbad.jsonl"

# a sum past the engine's range: exit 2, and the message says which bound
# (1e12 + 11 x 9e15 = 9.9e16 points > 2^63 hundredths; at the 5th, 3.6e16)
printf '[[grade]]\nname = "A"\n[rule.big]\npoints = 1000000000000\nrepeat_factor = 9000\n' >"$T/big.toml"
{ echo id,subject,type,ts; for i in 1 2 3 4 5 6 7 8 9 10 11 12; do
    echo "b$i,s,big,2025-01-$(printf %02d $i)"; done; } >"$T/big.csv"
# The message names the subject and when its sum first passes the bound (it
# named no subject: which of a million was it?), among others that do not
# overflow; --top, --explain and --compare say it too.
{ cat "$T/big.csv"; echo "x1,a,big,2025-01-01"; echo "x2,z,big,2025-01-02"; } >"$T/big2.csv"
status overflow 2 "arithmetic overflow: subject 's' (from 2025-01-12T00:00:00+00:00 on): its points, balance or dimension subtotal (about 9.2e16)" -- \
    -r "$T/big.toml" "$T/big2.csv"
status overflow-top 2 "arithmetic overflow: subject 's' (from 2025-01-12T00:00:00+00:00 on)" -- \
    -r "$T/big.toml" --top 1 "$T/big2.csv"
status overflow-explain 2 "arithmetic overflow: subject 's' (from 2025-01-12T00:00:00+00:00 on)" -- \
    -r "$T/big.toml" --explain s "$T/big2.csv"
status overflow-objections 2 "arithmetic overflow: subject 's' (from 2025-01-12T00:00:00+00:00 on)" -- \
    -r "$T/big.toml" --objections "$T/big2.csv"
status overflow-compare 2 "arithmetic overflow (under .*big.toml): subject 's' (from 2025-01-12T00:00:00+00:00 on)" -- \
    -r "$T/big.toml" --compare "$T/big.toml" "$T/big2.csv"
# --compare names the scheme that overflows, either one, as a bad line's
# message does; without it the message is as it was (by hand: 1e12 points x
# 11529 units = 1.1529e16 points an event, 8 of them fit in 2^63 hundredths,
# the 9th, on the 9th, does not; under pa.toml 10 x 11529 points fit)
printf '[[grade]]\nname = "A"\n[rule.big]\npoints = 1\nper = "unit"\n' >"$T/pa.toml"
printf '[[grade]]\nname = "A"\n[rule.big]\npoints = 1000000000000\nper = "unit"\n' >"$T/pb.toml"
{ echo id,subject,type,ts,qty; for i in 01 02 03 04 05 06 07 08 09 10; do
    echo "b$i,s1,big,2025-01-$i,11529"; done; } >"$T/pab.csv"
ovf_tail="its points, balance or dimension subtotal (about 9.2e16) or a tier's quantity (about 9.2e15 units), summed, pass what 64 bits hold (rules with very large points or quantities, and many events)"
for args in "pa.toml --compare pb.toml" "pb.toml --compare pa.toml" "pb.toml"; do
    set -- $args
    case $args in
    *compare*) want="civic-score: arithmetic overflow (under $T/pb.toml): subject 's1' (from 2025-01-09T00:00:00+00:00 on): $ovf_tail" ;;
    *) want="civic-score: arithmetic overflow: subject 's1' (from 2025-01-09T00:00:00+00:00 on): $ovf_tail" ;;
    esac
    if [ $# -eq 3 ]; then "$CLI" -r "$T/$1" --compare "$T/$3" "$T/pab.csv" >"$T/out" 2>"$T/err"; rc=$?
    else "$CLI" -r "$T/$1" "$T/pab.csv" >"$T/out" 2>"$T/err"; rc=$?; fi
    if [ $rc -eq 2 ] && [ "$(cat "$T/err")" = "$want" ] && [ ! -s "$T/out" ]; then ok; else
        bad "overflow -r $args: exit $rc: $(cat "$T/err")"; fi
done
# every event at one instant: no subject named, the scheme still is
sed 's/2025-01-[0-9]*/2025-01-05/' "$T/pab.csv" >"$T/pab1.csv"
"$CLI" -r "$T/pa.toml" --compare "$T/pb.toml" "$T/pab1.csv" >"$T/out" 2>"$T/err"; rc=$?
if [ $rc -eq 2 ] && [ "$(cat "$T/err")" = "civic-score: arithmetic overflow (under $T/pb.toml, from 2025-01-05T00:00:00+00:00 on): a subject's points, balance or dimension subtotal (about 9.2e16) or a tier's quantity (about 9.2e15 units), summed, pass what 64 bits hold (rules with very large points or quantities, and many events)" ]
then ok; else bad "overflow --compare at one instant: exit $rc: $(cat "$T/err")"; fi
# each score fits, their difference does not: --compare's delta is exact
# (8 x 10000 x 1e12 = 8e16 points under one scheme, -8e16 under the other:
# a delta of -1.6e17 points, past 2^63 hundredths; it wrapped to 2.4e16)
printf '[[grade]]\nname = "A"\n[rule.u]\npoints = 1000000000000\nper = "unit"\n' >"$T/up.toml"
printf '[[grade]]\nname = "A"\n[rule.u]\npoints = -1000000000000\nper = "unit"\n' >"$T/down.toml"
{ echo id,subject,type,ts,qty; for i in 1 2 3 4 5 6 7 8; do echo "u$i,s,u,2025-01-0$i,10000"; done; } >"$T/updown.csv"
"$CLI" -r "$T/up.toml" --compare "$T/down.toml" -f csv "$T/updown.csv" >"$T/out" 2>"$T/err"
if tail -n 1 "$T/out" | grep -q ',80000000000000000.00,.*,-80000000000000000.00,.*,-160000000000000000.00$'
then ok; else bad "compare-delta-csv: $(cat "$T/out" "$T/err")"; fi
"$CLI" -r "$T/down.toml" --compare "$T/up.toml" -f json "$T/updown.csv" >"$T/out" 2>"$T/err"
if grep -q '"delta":160000000000000000.00}' "$T/out"; then ok; else bad "compare-delta-json: $(cat "$T/out" "$T/err")"; fi
"$CLI" -r "$T/up.toml" --compare "$T/down.toml" "$T/updown.csv" >"$T/out" 2>"$T/err"
if grep -q ' -160000000000000000.00' "$T/out"; then ok; else bad "compare-delta-table: $(cat "$T/out" "$T/err")"; fi
# rules from standard input: -r - (and --compare -) as a log's - is; stdin
# is read once, so not for the rules and a log (or both schemes) at once
"$CLI" -r - -f csv $D/events.csv <$D/rules.toml >"$T/out" 2>"$T/err"
"$CLI" -r $D/rules.toml -f csv $D/events.csv >"$T/want" 2>&1
if [ -s "$T/want" ] && cmp -s "$T/out" "$T/want"; then ok; else bad "rules-stdin: $(cat "$T/out" "$T/err")"; fi
printf '[[grade]]\nname = 3\n' | "$CLI" -r - $D/events.csv >"$T/out" 2>"$T/err"; rc=$?
if [ $rc -eq 2 ] && grep -q "^civic-score: <stdin>: line 2, column 8: 'name' must be a string" "$T/err"
then ok; else bad "rules-stdin-bad: exit $rc: $(cat "$T/err")"; fi
# --compare's second pass (after lines refused) makes its engines again: the
# rules read once are kept
"$CLI" -r $D/rules.toml --compare - --lenient -f csv $D/events.csv <$D/rules.toml >"$T/out" 2>"$T/err"
"$CLI" -r $D/rules.toml --compare $D/rules.toml --lenient -f csv $D/events.csv >"$T/want" 2>/dev/null
if [ -s "$T/want" ] && cmp -s "$T/out" "$T/want"; then ok; else bad "compare-stdin: $(cat "$T/out" "$T/err")"; fi
printf 'id,subject,type,ts\n' | "$CLI" -r - --print-rules >"$T/out" 2>"$T/err"; rc=$?
if [ $rc -eq 2 ] && grep -q "<stdin>: line 1, column 3: not a rules file: an event log" "$T/err"
then ok; else bad "rules-stdin-log: exit $rc: $(cat "$T/err")"; fi
# no log named: the "-" was not typed, so the message does not quote one
status rules-and-log-stdin 1 "standard input is read once: it cannot hold both the rules (-r -) and a log, and no log file was named, so the log would be standard input: name the log file$" -- -r - <$D/rules.toml
status compare-and-no-log-stdin 1 "it cannot hold both the rules (--compare -) and a log, and no log file was named" -- -r $D/rules.toml --compare - <$D/rules.toml
status rules-and-named-log-stdin 1 "standard input is read once: it cannot hold both the rules (-r -) and a log (-): give the log as a file$" -- -r - - <$D/rules.toml
status rules-and-compare-stdin 1 "standard input is read once: it cannot hold both schemes (-r - and --compare -)" -- -r - --compare - $D/events.csv <$D/rules.toml
# standard input named twice: read once, as 1.0 read it (the answer is the
# log's), and said; a regular file through /dev/stdin is opened again
"$CLI" $R -t 2022-10-01 -f csv - - <$D/events.csv >"$T/out" 2>"$T/err"; rc=$?
if [ $rc -eq 0 ] && cmp -s "$T/out" $D/expected/subjects.csv &&
   grep -q "^civic-score: warning: standard input is named twice as a log (- and -): it is read once$" "$T/err"
then ok; else bad "stdin-twice: exit $rc: $(cat "$T/err")"; fi
"$CLI" $R --compare $D/rules.toml - - <$D/events.csv >"$T/out" 2>"$T/err"; rc=$?
if [ $rc -eq 0 ] && grep -q "named twice as a log (- and -)" "$T/err"
then ok; else bad "stdin-twice-compare: exit $rc: $(cat "$T/err")"; fi
cat $D/events.csv | "$CLI" $R -t 2022-10-01 -f csv - /dev/stdin >"$T/out" 2>"$T/err"; rc=$?
if [ $rc -eq 0 ] && cmp -s "$T/out" $D/expected/subjects.csv &&
   grep -q "^civic-score: warning: standard input is named twice as a log (- and /dev/stdin): it is read once$" "$T/err"
then ok; else bad "stdin-twice-pipe: exit $rc: $(cat "$T/err")"; fi
"$CLI" $R -t 2022-10-01 -f csv - /dev/stdin <$D/events.csv >"$T/out" 2>"$T/err"; rc=$?
if [ $rc -eq 0 ] && cmp -s "$T/out" $D/expected/subjects.csv; then ok; else bad "stdin-file-twice: exit $rc: $(cat "$T/err")"; fi
status compare-and-log-stdin 1 "standard input is read once: it cannot hold both the rules (--compare -) and a log (-)" -- --compare - - <$D/rules.toml
: | "$CLI" -r - $D/events.csv >"$T/out" 2>"$T/err"; rc=$?
if [ $rc -eq 2 ] && grep -q "^civic-score: <stdin>: standard input is empty" "$T/err"; then ok
else bad "rules-stdin-empty: exit $rc: $(cat "$T/err")"; fi
# ... naming the option that read it (it named both, "-r - or --compare -")
for opt in "-r" "--compare"; do
    : | "$CLI" $R $opt - $D/events.csv >"$T/out" 2>"$T/err"; rc=$?
    if [ $rc -eq 2 ] && [ "$(cat "$T/err")" = "civic-score: <stdin>: standard input is empty: the rules ($opt -) were to come on it" ]
    then ok; else bad "rules-stdin-empty $opt -: exit $rc: $(cat "$T/err")"; fi
done
# an empty rules file, or /dev/null, is said to be empty, in those words (it
# said "line 1, column 1: the rules define no [[grade]]"); a file of
# comments alone keeps the parser's words
: >"$T/empty.toml"
N="the rules file is empty (given with"
status rules-empty-file 2 "^civic-score: $T/empty.toml: $N -r): a scheme needs at least one \[\[grade\]\]$" -- -r "$T/empty.toml" $D/events.csv
status rules-dev-null 2 "^civic-score: /dev/null: $N -r): a scheme needs at least one \[\[grade\]\]$" -- -r /dev/null $D/events.csv
status compare-empty-file 2 "^civic-score: $T/empty.toml: $N --compare): a scheme needs at least one \[\[grade\]\]$" -- $R --compare "$T/empty.toml" $D/events.csv
status print-rules-dev-null 2 "^civic-score: /dev/null: $N --rules): a scheme needs at least one \[\[grade\]\]$" -- --print-rules --rules /dev/null
printf '# to be written\n\n' >"$T/comments.toml"
status rules-comments-only 2 "^civic-score: $T/comments.toml: line 1, column 1: the rules define no \[\[grade\]\]: at least one is required$" -- -r "$T/comments.toml" $D/events.csv
# standard input by another name, a pipe read twice: refused, not an empty answer
cat $D/rules.toml | "$CLI" -r /dev/stdin >"$T/out" 2>"$T/err"; rc=$?
if [ $rc -eq 1 ] && [ ! -s "$T/out" ] && grep -q "read once: it cannot hold both the rules (-r /dev/stdin) and a log, and no log file was named, so the log would be standard input" "$T/err"
then ok; else bad "rules-dev-stdin: exit $rc: $(cat "$T/out" "$T/err")"; fi
cat $D/rules.toml | "$CLI" -r - /dev/fd/0 >"$T/out" 2>"$T/err"; rc=$?
if [ $rc -eq 1 ] && grep -q "and a log (/dev/fd/0)" "$T/err"; then ok; else bad "rules-dev-fd-0: exit $rc: $(cat "$T/out" "$T/err")"; fi
# a regular file behind standard input is opened again from its start: taken
"$CLI" -r /dev/stdin -f csv $D/events.csv <$D/rules.toml >"$T/out" 2>"$T/err"
"$CLI" -r $D/rules.toml -f csv $D/events.csv >"$T/want" 2>&1
if [ -s "$T/want" ] && cmp -s "$T/out" "$T/want"; then ok; else bad "rules-dev-stdin-file: $(cat "$T/err")"; fi
# the NOTE of a floored deduction: what reached the balance while its balance
# period runs; once the period is over (to_balance 0.00) only "floored" (it
# read "floored to 0.00": the deduction cost nothing?)
printf '[scheme]\nbase = 1000\nbalance_min = 0\nbalance_reset = "month"\n[[grade]]\nname = "A"\n[rule.cleanup]\npoints = 5\n[rule.littering]\npoints = -10\n' >"$T/floor.toml"
printf 'id,subject,type,ts\nc1,s1,cleanup,2025-03-01\nl1,s1,littering,2025-03-05\nc2,s1,cleanup,2025-04-10\n' >"$T/floor.csv"
"$CLI" -r "$T/floor.toml" --explain s1 -t 2025-03-20 "$T/floor.csv" >"$T/out" 2>"$T/err"
if grep -q "  l1  .*general floored to -5.00$" "$T/out"; then ok; else bad "floored-note-now: $(cat "$T/out" "$T/err")"; fi
"$CLI" -r "$T/floor.toml" --explain s1 -t 2025-04-10 "$T/floor.csv" >"$T/out" 2>"$T/err"
if grep -q "  l1  .*general floored$" "$T/out"; then ok; else bad "floored-note-later: $(cat "$T/out" "$T/err")"; fi
# Out of memory at every allocation in turn (tests/cli/failmalloc.c fails
# the Nth): each run either gives the answer of a run without the shim, or
# exits 2 with a message and nothing on standard output (a table whose
# widths found no memory was left out, exit 0 and nothing said)
if ${CC:-cc} -shared -fPIC -o "$T/failmalloc.so" "$(dirname "$0")/failmalloc.c" 2>"$T/err"; then
    oom_sweep() {
        name=$1; shift
        "$CLI" "$@" >"$T/want" 2>/dev/null
        CIVIC_FAIL_COUNT="$T/count" LD_PRELOAD="$T/failmalloc.so" "$CLI" "$@" >/dev/null 2>&1
        n=$(cat "$T/count"); i=1; wrong=""
        while [ "$i" -le "$n" ]; do
            CIVIC_FAIL_AT=$i LD_PRELOAD="$T/failmalloc.so" "$CLI" "$@" >"$T/out" 2>"$T/err"; rc=$?
            if [ $rc -eq 0 ] && cmp -s "$T/out" "$T/want"; then :
            elif [ $rc -eq 2 ] && [ ! -s "$T/out" ] && [ -s "$T/err" ]; then :
            else wrong="$wrong $i:$rc:$(wc -c <"$T/out")"; fi
            i=$((i + 1))
        done
        if [ -z "$wrong" ] && [ "$n" -gt 20 ]; then ok; else bad "oom-$name ($n allocations): at:exit:bytes$wrong"; fi
    }
    oom_sweep table $R $D/events.csv
    oom_sweep explain $R --explain s2 $D/events.csv
    oom_sweep compare $R --compare $D/rules.toml $D/events.csv
    oom_sweep html $R -f html $D/events.csv
    oom_sweep objections -r $D/objections-mark.toml -t 2025-04-01 --objections $D/objections.csv
    # The page asks for no list of a flag nobody carries: its allocations
    # do not grow with such flags (each list asked for made a dozen, and
    # evaluated every subject; 1,000 flags x 400,000 events took 11 s).
    for n in 200 400; do
        { printf '[scheme]\nbase = 1000\n[[grade]]\nname = "A"\n[rule.plain]\npoints = 1\n'
          i=0; while [ $i -lt $n ]; do printf '[rule.r%d]\npoints = -1\nflag = "f%d"\n' $i $i; i=$((i + 1)); done
        } >"$T/flags$n.toml"
    done
    printf 'id,subject,type,ts\na,s1,plain,2025-01-01\nb,s2,r0,2025-01-02\n' >"$T/flags.csv"
    for n in 200 400; do
        CIVIC_FAIL_COUNT="$T/count$n" LD_PRELOAD="$T/failmalloc.so" "$CLI" -r "$T/flags$n.toml" \
            -f html --min-group 1 "$T/flags.csv" >"$T/page$n" 2>&1
    done
    grown=$(( $(cat "$T/count400") - $(cat "$T/count200") ))
    if [ "$grown" -lt 200 ] && grep -q '<p data-list="f1">Nobody.</p>' "$T/page400" &&
       grep -q '<table data-list="f0" ' "$T/page400"; then ok
    else bad "page-unflagged: 200 more flags nobody carries made $grown more allocations"; fi
else
    bad "oom: cannot build the allocation shim: $(cat "$T/err")"
fi
# every event of it at one instant: named no more (no subject held an event
# the moment before, and the library lists subjects only through answers),
# but the instant is
sed 's/2025-01-[0-9]*/2025-01-01/' "$T/big2.csv" >"$T/big4.csv"
status overflow-one-day 2 "arithmetic overflow (from 2025-01-01T00:00:00+00:00 on): a subject's points, balance or dimension subtotal" -- \
    -r "$T/big.toml" "$T/big4.csv"
status overflow-earlier 0 "" -- -r "$T/big.toml" -t 2025-01-05 "$T/big.csv"
# a dimension's subtotal past it, the floored balance and the score within:
# the message names dimensions too (it named points and balance only)
printf '[scheme]\nbase = 0\nbalance_min = -100\n[[grade]]\nname = "A"\n[rule.a]\npoints = -1\nper = "unit"\nrepeat_factor = 10000\naffects = "balance"\n' >"$T/dbig.toml"
{ echo id,subject,type,ts,qty; for i in 1 2 3 4 5 6 7 8 9 10 11 12; do
    echo "d$i,s,a,2022-01-$(printf %02d $i),1000000000000"; done; } >"$T/dbig.csv"
status overflow-dimension 2 "balance or dimension subtotal (about 9.2e16)" -- \
    -r "$T/dbig.toml" -t 2023-01-01 "$T/dbig.csv"
# a group's sum past it, each subject's well within: the message names groups
printf '[[grade]]\nname = "A"\n[rule.big]\npoints = 1000000000000\nper = "unit"\n' >"$T/gbig.toml"
{ echo id,subject,type,ts,qty; i=1; while [ $i -le 100 ]; do
    echo "g$i,s$i,big,2025-01-01,1000"; i=$((i+1)); done; } >"$T/gbig.csv"
status overflow-subjects-fine 0 "" -- -r "$T/gbig.toml" "$T/gbig.csv"
status overflow-groups 2 "or a group's scores or balances (about 9.2e16), summed, pass" -- \
    -r "$T/gbig.toml" --groups 0 "$T/gbig.csv"
# --groups D --top N shows no group's sum: it ranks where a group's balance
# passes 64 bits (it failed with the message above).  By hand: s1's 9 events
# of 10000 units x 1e12 are 9e16 points, s3's 11529.215 units 1.1529215e16,
# each within 2^63 hundredths, their sum (1.01529215e17) not; each score is
# held at max 1e12, so s1 comes before s3 (ties by id).
printf '[scheme]\nname = "big"\nbase = 0\nmin = -1000000000000\nmax = 1000000000000\nutc_offset = "+00:00"\n[[grade]]\nname = "P"\nmin = 0\n[[grade]]\nname = "N"\n[rule.huge]\npoints = 1000000000000\nper = "unit"\ndimension = "x"\n' >"$T/rbig.toml"
{ echo id,subject,type,ts,qty,group; for i in 0 1 2 3 4 5 6 7 8; do
    echo "e$i,s1,huge,2025-01-0$((i + 1)),10000,g"; done; echo "n2,s3,huge,2025-01-01,11529.215,g"; } >"$T/rbig.csv"
status overflow-group-sums 2 "or a group's scores or balances (about 9.2e16), summed, pass" -- \
    -r "$T/rbig.toml" --groups 1 -f csv "$T/rbig.csv"
"$CLI" -r "$T/rbig.toml" --groups 1 --top 1 -f csv "$T/rbig.csv" >"$T/out" 2>"$T/err"; rc=$?
if [ $rc -eq 0 ] && [ ! -s "$T/err" ] && [ "$(cat "$T/out")" = "group,rank,subject,score,grade
g,1,s1,1000000000000.00,P" ]; then ok; else bad "group ranks past a group's sum: exit $rc: $(cat "$T/out" "$T/err")"; fi
"$CLI" -r "$T/rbig.toml" --groups 0 --top 2 "$T/rbig.csv" >"$T/out" 2>"$T/err"; rc=$?
if [ $rc -eq 0 ] && [ "$(cat "$T/out")" = "GROUP  RANK  SUBJECT             SCORE  GRADE
(all)     1  s1       1000000000000.00      P
(all)     2  s3       1000000000000.00      P" ]; then ok; else bad "group ranks past a group's sum, table: exit $rc: $(cat "$T/out" "$T/err")"; fi
"$CLI" -r "$T/rbig.toml" --groups 1 --top 5 -f json "$T/rbig.csv" >"$T/out" 2>"$T/err"; rc=$?
if [ $rc -eq 0 ] && [ "$(cat "$T/out")" = '{"rankings":[
{"group":"g","rank":1,"subject":"s1","score":1000000000000.00,"grade":"P"},
{"group":"g","rank":2,"subject":"s3","score":1000000000000.00,"grade":"P"}
]}' ]; then ok; else bad "group ranks past a group's sum, json: exit $rc: $(cat "$T/out" "$T/err")"; fi
# a tier's quantity past it, every point 0: the message names tiers (it said points)
printf '[scheme]\nbase = 0\n[[grade]]\nname = "A"\n[rule.v]\npoints = 0\nper = "unit"\n[tier.t]\nrules = "v"\n[[tier.t.level]]\nname = "x"\nmin = 1\n' >"$T/tbig.toml"
{ echo id,subject,type,ts,qty; i=1; while [ $i -le 10000 ]; do
    echo "t$i,s1,v,2025-01-01,1000000000000"; i=$((i+1)); done; } >"$T/tbig.csv"
status overflow-tier 2 "or a tier's quantity (about 9.2e15 units), summed, pass" -- \
    -r "$T/tbig.toml" "$T/tbig.csv"

# a table with a column per grade past the 32nd: each count under its name,
# right-aligned as the others (the 33rd was left-aligned: a shift past 31)
{ printf '[scheme]\nbase = 1000\n[rule.fine]\npoints = -10\n'; i=0; while [ $i -lt 30 ]; do
    printf '[[grade]]\nname = "G%02d"\nmin = %d\n' $i $((1100 - 10 * i)); i=$((i + 1)); done; } >"$T/g30.toml"
printf 'id,subject,type,ts,group\ne1,s1,fine,2025-01-01,d1\ne2,s2,fine,2025-01-01,d2\n' >"$T/g30.csv"
"$CLI" -r "$T/g30.toml" --groups 1 "$T/g30.csv" >"$T/out" 2>"$T/err"
if python3 -c '
import sys
rows = [l.rstrip("\n") for l in open(sys.argv[1]) if l.startswith(("GROUP ", "d"))]
head = rows[0]
assert head.startswith("GROUP ") and len(rows) == 3, rows
for name in ("G00", "G24", "G25", "G29"):
    end = head.index(name) + len(name) - 1
    for r in rows[1:]:
        assert r[end].isdigit() and r[end + 1:end + 2] in ("", " "), (name, r)
' "$T/out"; then ok; else bad "a table of 30 grades: $(cat "$T/out" "$T/err")"; fi

# --explain of a subject with no events: the base score, a warning, exit 0
"$CLI" $R -t 2022-10-01 --explain nobody -f csv $D/events.csv >"$T/out" 2>"$T/err"; rc=$?
if [ $rc -eq 0 ] && grep -q "warning: subject 'nobody' has no events" "$T/err" && \
   [ "$(cat "$T/out")" = "id,ts,type,state,raw,counted,dimension,capped,escalated,end,ref,group" ]; then ok
else bad "explain without events: $rc $(cat "$T/out" "$T/err")"; fi
"$CLI" $R -t 2022-10-01 --explain s5 -f csv $D/events.csv >"$T/out" 2>"$T/err"
if [ ! -s "$T/err" ]; then ok; else bad "explain with events warned: $(cat "$T/err")"; fi

# options that do not combine are usage errors
status explain-groups 1 "do not go together" -- --explain s1 --groups 1 $D/events.csv
status explain-top 1 "do not go together" -- --explain s1 --top 2 $D/events.csv
# each list of options ends in "or", as --objections' does
for other in "--explain s1" "--groups 1" "--top 1" "--compare $D/rules.toml"; do
    status "list with $other" 1 "^civic-score: --list goes with none of --explain, --groups, --top or --compare$" -- \
        $R --list dishonest $other $D/events.csv
done
for other in "--explain s1" "--groups 1" "--top 1"; do
    status "compare with $other" 1 "^civic-score: --compare goes with none of --explain, --groups or --top$" -- \
        $R --compare $D/rules.toml $other $D/events.csv
done
# --detail: what a script needs to add a record up to its score (flag,
# ceiling, affects, qty per rule entry; the record's own ceiling in JSON), as
# the table's NOTE shows it; opt-in, so the records above keep their bytes
golden json-explain-detail $D/expected/explain-s5-detail.json -- $R -t 2022-10-01 -f json --explain s5 --detail $D/events.csv
golden json-explain-detail-ceiling $D/expected/explain-s4-detail.json -- $R -t 2022-10-01 --detail -f json --explain s4 $D/events.csv
golden explain-detail $D/expected/explain-s5-detail.csv -- $R -t 2022-10-01 -f csv --explain s5 --detail $D/events.csv
status detail-without-explain 1 "^civic-score: --detail needs --explain$" -- $R --detail -f csv $D/events.csv
status detail-groups 1 "^civic-score: --detail needs --explain$" -- $R --detail --groups 1 -f json $D/events.csv
status detail-table 1 "^civic-score: --detail goes with -f csv or -f json (the table's NOTE shows flag, ceiling and what an entry affects)$" -- \
    $R --explain s5 --detail $D/events.csv
status detail-print-rules 1 "takes no other option or file" -- --print-rules --detail
# version 2: each entry's `corrected`, when a correction (the earliest) lifted
# its ceiling and freeze, as the table's NOTE says it; a correction dated after
# the as-of time is not seen (n1 keeps its ceiling at 2021-09-01), other kinds
# and uncorrected rule events null; CSV after to_balance, before --detail's
CR="-r $D/corrections.toml"
golden json-explain-corrected $D/expected/corrections.json -- $CR -t 2021-09-01 -f json --explain s1 $D/corrections.csv
golden explain-corrected $D/expected/corrections.csv -- $CR -t 2021-09-01 -f csv --explain s1 $D/corrections.csv
golden explain-corrected-detail $D/expected/corrections-detail.csv -- $CR -t 2021-09-01 -f csv --detail --explain s1 $D/corrections.csv
if command -v python3 >/dev/null 2>&1; then
    # at the correction's own instant it counts; a second before, not yet; the
    # table's NOTE names the same entries
    for t in 2021-06-30T23:59:59 2021-07-01 2021-10-01; do
        "$CLI" $CR -t $t -f json --explain s1 $D/corrections.csv >"$T/out.json" 2>"$T/err"
        "$CLI" $CR -t $t --explain s1 $D/corrections.csv >"$T/out" 2>>"$T/err"
        if python3 - "$t" "$T/out.json" "$T/out" <<'PY'
import json, sys
t, doc, table = sys.argv[1], json.load(open(sys.argv[2])), open(sys.argv[3]).read()
want = {"2021-06-30T23:59:59": {"f1": "2021-06-10T00:00:00+00:00"},
        "2021-07-01": {"e1": "2021-07-01T00:00:00+00:00", "f1": "2021-06-10T00:00:00+00:00"},
        "2021-10-01": {"e1": "2021-07-01T00:00:00+00:00", "f1": "2021-06-10T00:00:00+00:00",
                       "n1": "2021-10-01T00:00:00+00:00"}}[t]
got = {e["id"]: e["corrected"] for e in doc["entries"] if e["corrected"] is not None}
assert got == want, got
noted = {l.split()[1]: l.rsplit("corrected ", 1)[1] for l in table.splitlines() if " corrected " in l}
assert noted == want, noted
PY
        then ok; else bad "corrected at $t: $(cat "$T/err")"; fi
    done
fi
# an independent sum: for every subject, base + the active entries that affect
# the score, bounded, held to the ceiling, is the score (tests/cli/detail_sum.py)
if command -v python3 >/dev/null 2>&1; then
    if python3 $D/detail_sum.py --fair "$CLI" - examples/data/sample.csv 2025-03-31 2025-11-28T19:04:00; then ok; else
        bad "detail: the records of examples/data/sample.csv do not add up to the scores"; fi
    if python3 $D/detail_sum.py "$CLI" $D/rules.toml $D/events.csv 2022-06-01 2022-10-01; then ok; else
        bad "detail: the records of $D/events.csv do not add up to the scores"; fi
    if python3 $D/detail_sum.py "$CLI" $D/corrections.toml $D/corrections.csv 2021-06-05 2021-06-30T23:59:59 2021-07-01 2021-09-01 2021-10-01; then ok; else
        bad "detail: the records of $D/corrections.csv do not add up to the scores"; fi
fi
# --explain twice: a usage error (it printed the second subject's record and
# said nothing of the first); -r, -t, -f and --groups given twice: the last
# counts, as in 1.0.0 (the manual says so)
status explain-twice 1 "^civic-score: --explain takes one subject; it was given twice: run civic-score once per subject$" -- \
    $R --explain s1 --explain s5 $D/events.csv
# --list and --compare twice: the same (the first list asked for, or the first
# scheme to compare with, was dropped without a word)
status list-twice 1 "^civic-score: --list takes one name; it was given twice: run civic-score once per list$" -- \
    $R --list a --list b $D/events.csv
status compare-twice 1 "^civic-score: --compare takes one rules file; it was given twice: run civic-score once per scheme$" -- \
    $R --compare $D/rules.toml --compare $D/rules.toml $D/events.csv
golden last-option-counts $D/expected/subjects.csv -- -r $D/bad-rules.toml $R -t 2000-01-01 -t 2022-10-01 -f json -f csv $D/events.csv
golden last-groups-counts $D/expected/groups1.csv -- $R -t 2022-10-01 --groups 2 --groups 1 -f csv $D/events.csv
status print-rules-file 1 "takes no other option or file" -- --print-rules $D/events.csv
status print-rules-format 1 "takes no other option or file" -- --print-rules -r $D/rules.toml -f csv
# --print-rules -r FILE writes the scheme back as a rules file that scores the same
"$CLI" --print-rules -r $D/rules.toml >"$T/back.toml" 2>"$T/err" && \
"$CLI" -r "$T/back.toml" -f csv $D/events.csv >"$T/out2" 2>>"$T/err" && \
"$CLI" $R -f csv $D/events.csv >"$T/out1" 2>>"$T/err"
if cmp -s "$T/out1" "$T/out2"; then ok; else bad "print-rules -r round trip: $(cat "$T/err")"; fi
status unknown-short 1 "unknown option '-x'" -- -x $D/events.csv
status unknown-long-value 1 "unknown option '--frob'" -- --frob=3 $D/events.csv
# no name before the '=': quoted as typed ("--" alone is no option, it ends them)
status unknown-long-no-name 1 "unknown option '--=x'$" -- --=x $D/events.csv
status unknown-long-no-name-empty 1 "unknown option '--='$" -- --= $D/events.csv
# a known long option given a value, an ambiguous abbreviation, empty file
# names and numbers with a sign or a blank: each a usage error in its own words
status long-takes-no-value 1 "option '--help' takes no value" -- --help=x
status long-flag-value 1 "option '--lenient' takes no value" -- --lenient=1 $D/events.csv
status ambiguous-long 1 "option '--c' is ambiguous" -- --c x $D/events.csv
# the options an ambiguous prefix names, in the order of --help (it said
# only "write it out")
status ambiguous-long-names 1 "^civic-score: option '--c' is ambiguous: write it out (--compare, --changed)$" -- --c x $D/events.csv
status ambiguous-long-names-l 1 "^civic-score: option '--l' is ambiguous: write it out (--lenient, --list)$" -- --l=x $D/events.csv
# a long option misspelt: the one it most likely means, from '_' for '-',
# capitals, a dash left out, a unique prefix so written, or one edit (a
# letter more, fewer or other, two swapped); none for a name near nothing
for case in "--as_of=2025-01-01|--as_of|--as-of" "--min_group=3|--min_group|--min-group" \
            "--print_rules|--print_rules|--print-rules" "--asof|--asof|--as-of" \
            "--Top=3|--Top|--top" "--minGroup=3|--minGroup|--min-group" "--PRINT|--PRINT|--print-rules" \
            "--lenent|--lenient|--lenient" "--tpo=3|--tpo|--top" "--objectons|--objectons|--objections"; do
    arg=${case%%|*}; rest=${case#*|}; name=${rest%%|*}; meant=${rest#*|}
    [ "$name" = --lenient ] && name=--lenent
    "$CLI" "$arg" $D/events.csv >"$T/out" 2>"$T/err" </dev/null; rc=$?
    if [ $rc -eq 1 ] && [ ! -s "$T/out" ] && [ "$(cat "$T/err")" = "civic-score: unknown option '$name'; did you mean '$meant'?
Try 'civic-score --help'." ]; then ok; else bad "$arg: did you mean $meant: exit $rc: $(cat "$T/err")"; fi
done
status unknown-long-near-nothing 1 "^civic-score: unknown option '--frobnicate'$" -- --frobnicate $D/events.csv
# a long option typed with one dash is read as getopt reads it, a short one
# and its value glued on (-rules.toml names the file ules.toml, as in 1.0);
# the error that follows says how long options are written, where the
# argument without its dash is a long option's name ("-format=csv": format)
status one-dash-rules 2 "^civic-score: ules: cannot open: No such file or directory (long options take two dashes: --rules)$" -- -rules $D/rules.toml $D/events.csv
status one-dash-rules-equals 2 "^civic-score: ules=x.toml: cannot open: No such file or directory (long options take two dashes: --rules)$" -- -rules=x.toml $D/events.csv
status one-dash-top 1 "^civic-score: bad --as-of time 'op' (YYYY-MM-DD, YYYY-MM-DDTHH:MM:SS\[Z|+HH:MM\], Unix seconds or now) (long options take two dashes: --top)$" -- $R -top 3 $D/events.csv
status one-dash-format 1 "^civic-score: unknown format 'ormat' (table, csv, json or html) (long options take two dashes: --format)$" -- -format csv $D/events.csv
status one-dash-format-equals 1 "^civic-score: unknown format 'ormat=csv' (table, csv, json or html) (long options take two dashes: --format)$" -- -format=csv $D/events.csv
status one-dash-lenient 1 "^civic-score: unknown option '-l' (long options take two dashes: --lenient)$" -- -lenient $D/events.csv
status one-dash-explain 1 "^civic-score: unknown option '-e' (long options take two dashes: --explain)$" -- -explain s5 $D/events.csv
status one-dash-as-of 1 "^civic-score: unknown option '-a' (long options take two dashes: --as-of)$" -- -as-of=2022-10-01 $D/events.csv
# no long option's name, no hint: a file name glued on, an unknown letter
status one-dash-rules-file 2 "^civic-score: ules.toml: cannot open: No such file or directory$" -- -rules.toml $D/events.csv
status one-dash-unknown 1 "^civic-score: unknown option '-l'$" -- -lenien $D/events.csv
status one-dash-format-value 1 "^civic-score: unknown format 'xml' (table, csv, json or html)$" -- -fxml $D/events.csv
# -r's glued value names a file as in 1.0: one that exists is read (scored),
# one that cannot be read for another reason is not said to be a typo
mkdir "$T/cwd" && cp $D/rules.toml "$T/cwd/ules" && mkdir "$T/cwd/ules.d"
abs_cli=$(cd "$(dirname "$CLI")" && pwd)/$(basename "$CLI")
(cd "$T/cwd" && "$abs_cli" -rules -t 2022-10-01 -f csv "$OLDPWD/$D/events.csv") >"$T/out" 2>"$T/err"
if cmp -s "$T/out" $D/expected/subjects.csv; then ok; else bad "-rules names the rules file ules: $(cat "$T/err")"; fi
mv "$T/cwd/ules" "$T/cwd/ules.toml"
(cd "$T/cwd" && "$abs_cli" -rules.toml -t 2022-10-01 -f csv "$OLDPWD/$D/events.csv") >"$T/out" 2>"$T/err"
if cmp -s "$T/out" $D/expected/subjects.csv; then ok; else bad "-rules.toml names the rules file ules.toml: $(cat "$T/err")"; fi
rmdir "$T/cwd/ules.d" && mkdir "$T/cwd/ules"
(cd "$T/cwd" && "$abs_cli" -rules "$OLDPWD/$D/events.csv") >"$T/out" 2>"$T/err"; rc=$?
if [ $rc -eq 2 ] && [ "$(cat "$T/err")" = "civic-score: ules: cannot read: Is a directory" ]; then ok; else
    bad "-rules, a directory ules: no hint: $rc $(cat "$T/err")"; fi
# an empty name, as an empty log's is told (it said "needs a rules file" alone)
status empty-rules 1 "^civic-score: option -r needs a rules file, not an empty file name (an unset shell variable?)$" -- -r '' $D/events.csv
status empty-compare 1 "^civic-score: option --compare needs a rules file, not an empty file name (an unset shell variable?)$" -- --compare= $D/events.csv
status empty-compare-apart 1 "^civic-score: option --compare needs a rules file, not an empty file name (an unset shell variable?)$" -- $R --compare '' $D/events.csv
# the form typed is named (--rules= said "option -r"), abbreviated or not
status empty-rules-long 1 "^civic-score: option --rules needs a rules file, not an empty file name (an unset shell variable?)$" -- --rules= $D/events.csv
status empty-file 1 "^civic-score: an empty file name (an unset shell variable?): name a log, or - for standard input$" -- $R $D/events.csv ''
status empty-rules-long-apart 1 "^civic-score: option --rules needs a rules file, not an empty file name (an unset shell variable?)$" -- --rules '' $D/events.csv
status empty-rules-prefix 1 "^civic-score: option --rules needs a rules file, not an empty file name (an unset shell variable?)$" -- --rul= $D/events.csv
# a short option's value written after '=' is "=" and the rest, as getopt and
# 1.0 read it (-r=x names the file "=x", read when it exists); the error it
# leads to says how a short option takes a value (-r only when no file of
# the name exists: a missing rules file stays exit 2), a long option's not
G="(a short option takes its value glued or separate:"
status equals-rules 2 "^civic-score: =$D/rules.toml: cannot open: No such file or directory $G -r $D/rules.toml or -r$D/rules.toml)$" -- -r=$D/rules.toml $D/events.csv
status equals-rules-bare 2 "^civic-score: =: cannot open: No such file or directory $G -r FILE or -rFILE)$" -- -r= $D/events.csv
status equals-format 1 "^civic-score: unknown format '=csv' (table, csv, json or html) $G -f csv or -fcsv)$" -- $R -f=csv $D/events.csv
status equals-as-of 1 "^civic-score: bad --as-of time '=2022-10-01' (YYYY-MM-DD, YYYY-MM-DDTHH:MM:SS\[Z|+HH:MM\], Unix seconds or now) $G -t 2022-10-01 or -t2022-10-01)$" -- $R -t=2022-10-01 $D/events.csv
status equals-as-of-now 1 "^civic-score: bad --as-of time '=now' (.*) $G -t now or -tnow)$" -- $R -t=now $D/events.csv
status equals-rules-long 2 "^civic-score: =x.toml: cannot open: No such file or directory$" -- --rules==x.toml $D/events.csv
status equals-as-of-long 1 "^civic-score: bad --as-of time '=2022-10-01' (YYYY-MM-DD, YYYY-MM-DDTHH:MM:SS\[Z|+HH:MM\], Unix seconds or now)$" -- $R --as-of==2022-10-01 $D/events.csv
cp $D/rules.toml "$T/cwd/=r.toml" && mkdir "$T/cwd/=d"
(cd "$T/cwd" && "$abs_cli" -r=r.toml -t 2022-10-01 -f csv "$OLDPWD/$D/events.csv") >"$T/out" 2>"$T/err"
if cmp -s "$T/out" $D/expected/subjects.csv; then ok; else bad "-r=r.toml names the rules file =r.toml: $(cat "$T/err")"; fi
(cd "$T/cwd" && "$abs_cli" -r=d "$OLDPWD/$D/events.csv") >"$T/out" 2>"$T/err"; rc=$?
if [ $rc -eq 2 ] && [ "$(cat "$T/err")" = "civic-score: =d: cannot read: Is a directory" ]; then ok; else
    bad "-r=d, a directory =d: no hint: $rc $(cat "$T/err")"; fi
# a format in other capitals or one edit away: offered, as a long option is
for pair in CSV:csv Json:json jsno:json htm:html tabel:table; do
    status "format ${pair%%:*}" 1 "^civic-score: unknown format '${pair%%:*}' (table, csv, json or html); did you mean ${pair#*:}?$" -- $R -f ${pair%%:*} $D/events.csv
done
status format-long-case 1 "^civic-score: unknown format 'HTML' (table, csv, json or html); did you mean html?$" -- $R --format=HTML $D/events.csv
status format-far 1 "^civic-score: unknown format 'yaml' (table, csv, json or html)$" -- $R -f yaml $D/events.csv
# the page's options, all of them (it named --groups and --min-group only,
# though -r, -t and --lenient go with it too)
for other in "--explain s1" "--top 1" "--list dishonest" "--compare $D/rules.toml"; do
    status "html with $other" 1 "^civic-score: --format html is the notice page: of the other options it goes with -r, -t, --groups, --min-group and --lenient only$" -- \
        $R -f html $other $D/events.csv
done
"$CLI" $R -t 2022-10-01 --lenient --groups 1 --min-group 1 -f html $D/events.csv >"$T/out" 2>"$T/err"; rc=$?
if [ $rc -eq 0 ] && grep -q '^<!DOCTYPE html>' "$T/out"; then ok; else bad "html with -r -t --lenient --groups --min-group: exit $rc: $(cat "$T/err")"; fi
status top-blank 1 "--top needs a positive number, not ' 3'" -- $R --top ' 3' $D/events.csv
status min-group-big 1 "^civic-score: --min-group needs a number from 1 to 4294967295, not .4294967296.$" -- $R -f html --min-group 4294967296 $D/events.csv
status min-group-zero 1 "--min-group needs a number from 1 to 4294967295, not .0." -- $R -f html --min-group 0 $D/events.csv
# the page's counts in words: one resident, and no "fewer than 1" (nothing is
# hidden under --min-group 1)
printf 'id,subject,type,ts,group\na1,s1,fine,2022-03-01,one\nb1,s2,fine,2022-03-01,two\nb2,s3,fine,2022-03-01,two\n' >"$T/one.csv"
"$CLI" $R -f html --groups 1 --min-group 1 "$T/one.csv" >"$T/out" 2>"$T/err"
if grep -q "<p>1 resident; mean" "$T/out" && grep -q "<p>2 residents; mean" "$T/out" &&
   ! grep -q "fewer than 1 " "$T/out"; then ok; else bad "page-one-resident: $(grep -i "resident" "$T/out" | head -5)"; fi
printf 'id,subject,type,ts\na1,s1,fine,2022-03-01\n' >"$T/lone.csv"
"$CLI" $R -f html --groups 1 --min-group 1 "$T/lone.csv" >"$T/out" 2>"$T/err"
if grep -q '<p data-ungrouped="1">The one resident is in no group at depth 1.</p>' "$T/out"; then ok
else bad "page-lone-ungrouped: $(grep -i "group at" "$T/out" | head -3)"; fi
"$CLI" $R -f html --groups 1 --min-group 2 "$T/one.csv" >"$T/out" 2>"$T/err"
if grep -q "groups with fewer than 2 residents are counted, not shown" "$T/out"; then ok; else bad "page-min-group-2: $(grep -i "fewer" "$T/out" | head -5)"; fi
# a tier of points: its thresholds with two decimals, as every figure of
# points (-10.5 written); a bar's width rounded: 1 of 7 is 14.29%
printf '[scheme]\nbase = 100\n[[grade]]\nname = "A"\nmin = 100\n[[grade]]\nname = "B"\n[rule.fine]\npoints = -10.5\n[rule.help]\npoints = 5\n[tier.standing]\nrules = "fine;help"\nmeasure = "points"\n[[tier.standing.level]]\nname = "neg"\nmin = -10.5\n[[tier.standing.level]]\nname = "pos"\nmin = 0\n' >"$T/ptier.toml"
{ printf 'id,subject,type,ts,group\nf1,s8,fine,2024-01-01,g\n'
  for i in 1 2 3 4 5 6 7; do printf 'h%s,s%s,help,2024-01-01,g\n' $i $i; done; } >"$T/seven.csv"
"$CLI" -r "$T/ptier.toml" -f html --min-group 1 "$T/seven.csv" >"$T/out" 2>"$T/err"
if grep -q '<bdi>neg</bdi> from -10.50; <bdi>pos</bdi> from 0.00</p>' "$T/out"; then ok
else bad "page-tier-points: $(grep -o 'data-tier.*' "$T/out")"; fi
if grep -q 'width="14.29%" height="16" fill="#3b6ea8" data-group="g" data-grade="B" data-count="1"' "$T/out" &&
   grep -q 'width="100.00%" height="16" fill="#3b6ea8" data-group="g" data-grade="A" data-count="7"' "$T/out"; then ok
else bad "page-bar-rounded: $(grep -o '<rect[^>]*>' "$T/out")"; fi
status missing-value-short 1 "option -t needs a time" -- $D/events.csv -t
status flag-with-value 1 "" -- --lenient=yes $D/events.csv

# progress: on standard error only when it is a terminal, after a second
if command -v python3 >/dev/null 2>&1; then
    if python3 tests/cli/progress.py "$CLI" $D/rules.toml $D/events.csv; then ok; else bad "progress on a terminal"; fi
fi

# the manual's examples run: the complete rules file of docs/rules.md (its
# last section) loads
sed -n '/^## A complete example/,$p' docs/rules.md | sed -n '/^```toml/,/^```/p' | \
    sed '1d;$d' >"$T/complete.toml"
"$CLI" -r "$T/complete.toml" -f csv </dev/null >"$T/out" 2>"$T/err"
if [ $? -eq 0 ] && [ -s "$T/complete.toml" ]; then ok; else bad "docs/rules.md complete example: $(cat "$T/err")"; fi

# exit codes and messages
status usage-unknown-option 1 "unknown option" -- --frobnicate
status usage-bad-format 1 "unknown format" -- -f xml $D/events.csv
status usage-bad-as-of 1 "bad --as-of" -- $R -t yesterday $D/events.csv
# a time of the right form whose day or hour does not exist says which, as
# a log's ts does (it said only the forms)
status usage-as-of-day 1 "bad --as-of time '2025-06-31': day out of range for the month" -- $R -t 2025-06-31 $D/events.csv
status usage-as-of-month 1 "bad --as-of time '2025-13-01': month out of range" -- $R -t 2025-13-01 $D/events.csv
status usage-as-of-hour 1 "bad --as-of time '2025-06-30T24:00:01': time of day out of range" -- $R -t 2025-06-30T24:00:01 $D/events.csv
status usage-as-of-forms 1 "bad --as-of time 'yesterday' (YYYY-MM-DD, YYYY-MM-DDTHH:MM:SS\\[Z|+HH:MM\\], Unix seconds or now)" -- $R -t yesterday $D/events.csv
status usage-as-of-range 1 "--as-of time '10000-01-02' out of range (years 0001..9999 in UTC)" -- $R -t 10000-01-02 $D/events.csv
# an offset without its ':': the reason, and what to write
status usage-as-of-offset 1 "bad --as-of time '2025-03-04T09:30:00+0800': bad UTC offset (expected Z or +HH:MM) (write +08:00)\$" -- $R -t 2025-03-04T09:30:00+0800 $D/events.csv
# a time of no form that most likely means one: after the forms, what to
# write, as a log's ts is told it (-t gave the forms only); the message's
# start as it was, for scripts that match it
wide=$(printf '\357\274\222025-01-01') # U+FF12, a full-width 2
for case in "2025-11-28 19:04|(the seconds are required: write 2025-11-28T19:04:00)" \
            "01.12.2026|(day.month.year? write 2026-12-01)" \
            "12/06/2026|(day/month/year or month/day/year? write YYYY-MM-DD)" \
            "NULL|(a database's NULL? it is no time)" \
            "$wide|(U+FF12 is a full-width character)" \
            "2025-03-04T09:30:00Z |(it ends in a blank: write 2025-03-04T09:30:00Z)" \
            "2025-03-04T09:30:00,5Z|(a decimal comma? write 2025-03-04T09:30:00.5Z)" \
            "2025/3/4 9:30|(year/month/day? write 2025-03-04T09:30:00)" \
            "45000.375|(a spreadsheet's serial date and time? write 2023-03-15T09:00:00)" \
            "Now|(write now)" "NOW|(write now)" \
            "now |(it ends in a blank: write now)" " now|(it starts with a blank: write now)" \
            " now |(blanks around it: write now)" \
            "2025-06-30Z|(write 2025-06-30T00:00:00Z, or 2025-06-30 for the scheme's local midnight)" \
            "2025-06-30+05:30|(write 2025-06-30T00:00:00+05:30, or 2025-06-30 for the scheme's local midnight)"; do
    t=${case%%|*}; hint=${case#*|}
    "$CLI" $R -t "$t" $D/events.csv >"$T/out" 2>"$T/err"; rc=$?
    if [ $rc -eq 1 ] && [ ! -s "$T/out" ] && [ "$(cat "$T/err")" = "civic-score: bad --as-of time '$t' (YYYY-MM-DD, YYYY-MM-DDTHH:MM:SS[Z|+HH:MM], Unix seconds or now) $hint
Try 'civic-score --help'." ]; then ok; else bad "-t '$t' says what it most likely is: exit $rc: $(cat "$T/err")"; fi
done
status as-of-now-tab 1 "^civic-score: bad --as-of time 'Now\\\\x09' (.*) (it ends in a blank: write now)$" -- $R -t "$(printf 'Now\t')" $D/events.csv
# 13 digits, Unix milliseconds most likely: told so, as a log's ts is; 14
# digits only the range, unless they read as a date and time written
# without separators (an export's 20260105143000)
status usage-as-of-millis 1 "--as-of time '1767607200000' out of range (years 0001..9999 in UTC): it looks like milliseconds; write Unix seconds (drop the last three digits)\$" -- $R -t 1767607200000 $D/events.csv
status usage-as-of-millis-12 1 "--as-of time '978307200000' out of range (years 0001..9999 in UTC): it looks like milliseconds; write Unix seconds (drop the last three digits)\$" -- $R -t 978307200000 $D/events.csv
status usage-as-of-14-digits 1 "--as-of time '99999999999999' out of range (years 0001..9999 in UTC)\$" -- $R -t 99999999999999 $D/events.csv
status usage-as-of-packed 1 "--as-of time '20260105143000' out of range (years 0001..9999 in UTC): it looks like a date and time without their separators (YYYYMMDDHHMMSS); write YYYY-MM-DDTHH:MM:SS\$" -- $R -t 20260105143000 $D/events.csv
# -t is read before any input: a typo is told at once, not after the load
# (nor after a wait on standard input), whatever the files are
status usage-as-of-first 1 "bad --as-of time 'bad'" -- $R -t bad "$T/no-such-file.csv"
# --explain takes a subject id as events give one (a usage error otherwise)
status explain-long 1 "a subject id is at most 128 bytes, not 129" -- $R --explain "$(printf 'a%.0s' $(seq 129))" $D/events.csv
status explain-control 1 "UTF-8 text without control characters" -- $R --explain "$(printf 'a\tb')" $D/events.csv
status explain-not-utf8 1 "UTF-8 text without control characters" -- $R --explain "$(printf 'a\377b')" $D/events.csv
status explain-c1 1 "UTF-8 text without control characters" -- $R --explain "$(printf 'a\302\205b')" $D/events.csv
# options after files, whatever POSIXLY_CORRECT says (the manual promises it)
POSIXLY_CORRECT=1 "$CLI" $D/events.csv $R -t 2022-10-01 -f csv >"$T/out" 2>"$T/err"
if [ $? -eq 0 ] && cmp -s "$T/out" $D/expected/subjects.csv; then ok; else
    bad "POSIXLY_CORRECT: options after a file: $(cat "$T/err")"; fi
# a JSON array (an export) is told apart from JSON Lines, with the way out
printf '[ {"id":"a","subject":"s","type":"fine","ts":"2022-01-01"} ]\n' >"$T/array.json"
status json-array 2 "not an event log: a JSON array (civic-score reads JSON Lines" -- $R --lenient "$T/array.json"
# ... but JSON Lines whose first line is an array has a bad first line, which
# --lenient skips as 1.0 did (it refused the whole file); strict names it
printf '[{"id":"a","subject":"s","type":"fine","ts":"2022-01-01"}]\n{"id":"b","subject":"s","type":"fine","ts":"2022-01-02"}\n' >"$T/array-line.jsonl"
"$CLI" $R --lenient -t 2022-10-01 -f csv "$T/array-line.jsonl" >"$T/out" 2>"$T/err"
if [ $? -eq 0 ] && [ "$(cat "$T/out")" = "$(printf 'subject,group,score,grade,balance,flags\ns,,990.00,A,-10.00,')" ] &&
   grep -q "skipped: line 1, column 1: expected a JSON object" "$T/err"; then ok; else
    bad "a first line that is an array, lenient: $(cat "$T/out" "$T/err")"; fi
status json-array-line-strict 2 "array-line.jsonl: line 1, column 1: expected a JSON object" -- $R "$T/array-line.jsonl"
# pretty-printed JSON (json.dumps(indent=2), jq .) is refused whole as what
# it is, --lenient too (every line was skipped: no answer, exit 0), by its
# name or its content, on standard input too
printf '{\n  "id": "a",\n  "subject": "s",\n  "type": "fine",\n  "ts": "2022-01-01"\n}\n{\n  "id": "b",\n  "subject": "s",\n  "type": "fine",\n  "ts": "2022-01-02"\n}\n' >"$T/pretty.jsonl"
cp "$T/pretty.jsonl" "$T/pretty.json"
pretty="line 1: a JSON object over several lines (pretty-printed JSON): JSON Lines is one object a line (jq -c . FILE)\$"
status json-pretty 2 "^civic-score: $T/pretty.jsonl: $pretty" -- $R "$T/pretty.jsonl"
status json-pretty-lenient 2 "^civic-score: $T/pretty.jsonl: $pretty" -- $R --lenient "$T/pretty.jsonl"
status json-pretty-by-content 2 "^civic-score: $T/pretty.json: $pretty" -- $R --lenient "$T/pretty.json"
"$CLI" $R --lenient - <"$T/pretty.jsonl" >"$T/out" 2>"$T/err"
if [ $? -eq 2 ] && [ ! -s "$T/out" ] && grep -q "^civic-score: <stdin>: $pretty" "$T/err"; then ok; else
    bad "pretty-printed JSON on standard input: $(cat "$T/out" "$T/err")"; fi
# a CR before a record's CRLF (CR CR LF) is told where it is, not as "\x0d"
# alone; --lenient skips that line
printf 'id,subject,type,ts\r\na,s,fine,2022-01-01\r\r\nb,s,fine,2022-01-02\r\n' >"$T/crcr.csv"
status csv-cr-cr-lf 2 "crcr.csv: line 2, column 10: field 'ts': bad timestamp (.*) \"2022-01-01\\\\x0d\" (a carriage return at column 20: lines must end in LF or CRLF)\$" -- $R "$T/crcr.csv"
"$CLI" $R --lenient -t 2022-10-01 -f csv "$T/crcr.csv" >"$T/out" 2>"$T/err"
if [ $? -eq 0 ] && [ "$(cat "$T/out")" = "$(printf 'subject,group,score,grade,balance,flags\ns,,990.00,A,-10.00,')" ] &&
   grep -q "skipped: line 2, column 10: .*(a carriage return at column 20: lines must end in LF or CRLF)\$" "$T/err"; then ok; else
    bad "a CR before CRLF, lenient: $(cat "$T/out" "$T/err")"; fi
status usage-bad-top 1 "--top" -- --top 0 $D/events.csv
status usage-missing-value 1 "needs" -- $D/events.csv --rules
status help 0 "" -- --help
status version 0 "" -- --version
# a file that cannot be opened or read is named first, as every file's error
status missing-file 2 "^civic-score: /nonexistent/events.csv: cannot open: No such file or directory$" -- $R /nonexistent/events.csv
mkdir -p "$T/logdir"
status directory-file 2 "^civic-score: $T/logdir: cannot read: Is a directory$" -- $R "$T/logdir"
status compare-missing-file 2 "^civic-score: /nonexistent/events.csv: cannot open: No such file or directory$" -- $R --compare "$D/rules.toml" /nonexistent/events.csv
status bad-rules-line 2 "line 2, column 1: unknown key 'bse'" -- -r "$D/bad-rules.toml" $D/events.csv
# A new office operator's slips in a rules file: each refused at its line
# and column, with what to write (the expected lines written by hand).
# slip NAME EXTRA EXPECTED-MESSAGE: the base file with EXTRA appended
slip() {
    printf '[[grade]]\nname = "A"\n[rule.fine]\npoints = -10\n%b' "$2" >"$T/slip.toml"
    "$CLI" -r "$T/slip.toml" $D/events.csv >"$T/out" 2>"$T/err" </dev/null; rc=$?
    want="civic-score: $T/slip.toml: $3"
    if [ $rc -eq 2 ] && [ "$(cat "$T/err")" = "$want" ] && [ ! -s "$T/out" ]; then ok; else
        bad "$1: exit $rc: $(cat "$T/err") (wanted: $want)"; fi
}
slip recount-on-balance '[[rule.fine.change]]\nfrom = "2026-01-01"\npoints = -5\naffects = "score"\nrecount = true\n' \
    'line 9, column 11: recount = true on a rule that affects the balance (spendable points are never rewritten; [rule.fine] (line 3) affects the balance: give it affects = "score")'
slip category-capital 'category = "Traffic"\n' \
    "line 5, column 12: 'category' must be 1..64 characters of [a-z0-9_.-] (codes are lower case: write \"traffic\")"
slip category-byte 'category = "traffic/parking"\n' \
    "line 5, column 12: 'category' must be 1..64 characters of [a-z0-9_.-] ('/' at column 20 is not one of them)"
slip duration-words 'repair_after = "3 months"\n' \
    "line 5, column 16: 'repair_after' must be \"forever\", \"Nd\", \"Nm\", \"Ny\" (N >= 1), \"end-of-month\", \"end-of-quarter\" or \"end-of-year\" (did you mean \"3m\"?)"
slip working-days 'publicity = "5 working days"\n' \
    "line 5, column 13: 'publicity' must be a period: \"Nd\", \"Nm\", \"Ny\" (N >= 1), \"end-of-month\", \"end-of-quarter\" or \"end-of-year\" (working days cannot be written: 5 working days span at most 7 calendar days, \"7d\")"
slip near-word 'affects = "Score"\n' \
    "line 5, column 11: 'affects' must be one of \"both\", \"score\", \"balance\" (did you mean \"score\"?)"
slip no-such-grade '[measure.m]\nkind = "incentive"\ngrades = "AAA"\n' \
    "line 7, column 10: 'grades': \"AAA\" is not a grade of this scheme (the only grade is \"A\")"
printf '[scheme]\ncontested = "suspended"\n[[grade]]\nname = "A"\n' >"$T/slip.toml"
status near-word-scheme 2 "slip.toml: line 2, column 13: 'contested' must be one of \"mark\", \"suspend\" (did you mean \"suspend\"?)\$" -- -r "$T/slip.toml" $D/events.csv
# a rules file that cannot be opened or read: named first, once
status rules-missing 2 "^civic-score: $T/none.toml: cannot open: No such file or directory$" -- -r "$T/none.toml" $D/events.csv
status rules-directory 2 "^civic-score: $T/logdir: cannot read: Is a directory$" -- -r "$T/logdir" $D/events.csv
status compare-rules-missing 2 "^civic-score: $T/none.toml: cannot open: No such file or directory$" -- --compare "$T/none.toml" $D/events.csv
# a rules "file" that never ends: the limit, with the path said once
status rules-too-large 2 "^civic-score: /dev/zero: rules file larger than 16 MiB$" -- -r /dev/zero $D/events.csv
# a rules file that is not UTF-8 says what it is; one ending in a NUL byte
# (every UTF-16LE file) gets no C caller's hint of strlen(text) + 1
printf '\377\376[\000[\000g\000]\000]\000\n\000' >"$T/r16.toml"
status rules-utf16 2 "r16.toml: line 1, column 1: not a rules file: UTF-16 text (save it as UTF-8: iconv -f UTF-16 -t UTF-8)$" -- -r "$T/r16.toml" $D/events.csv
printf '[\000\000\000[\000\000\000g\000\000\000' >"$T/r32.toml"
status rules-utf32 2 "r32.toml: line 1, column 1: not a rules file: UTF-32 text (save it as UTF-8: iconv -f UTF-32 -t UTF-8)$" -- -r "$T/r32.toml" $D/events.csv
printf '[[grade]]\nname = "A"\n\000' >"$T/rnul.toml"
status rules-nul-end 2 "rnul.toml: line 3, column 1: a NUL byte in the rules text$" -- -r "$T/rnul.toml" $D/events.csv
# a log line of one NUL byte in the middle of a file: named, without the
# hint of a caller's strlen(text) + 1 (that is for a text whose last byte is
# its only NUL)
printf 'id,subject,type,ts\ne1,a,help,2024-01-01\n\000\ne2,a,help,2024-01-02\n' >"$T/n1.csv"
printf '[scheme]\nbase = 1000\n[[grade]]\nname = "A"\n[rule.help]\npoints = 1\n' >"$T/n1.toml"
status log-nul-line 0 "n1.csv: skipped: line 3: expected 4 fields as in the header, found 1: a NUL byte$" -- -r "$T/n1.toml" --lenient "$T/n1.csv"
if grep -q strlen "$T/err"; then bad "log-nul-line: $(cat "$T/err")"; else ok; fi
# a NUL after a value is named at its own column (not "expected a string" at the value)
printf '[[grade]]\nname = "A"\n[rule.a]\nfreeze = true\000\n' >"$T/rnul2.toml"
status rules-nul-value 2 "rnul2.toml: line 4, column 14: a NUL byte in the rules text$" -- --print-rules -r "$T/rnul2.toml"
# a byte that is not UTF-8 in a string: at that byte, not at the opening quote
printf '[scheme]\nname = "harbour district \377 north"\n[[grade]]\nname = "A"\n' >"$T/rutf8.toml"
status rules-not-utf8 2 "rutf8.toml: line 2, column 26: 'name': string is not valid UTF-8 (Latin-1 text? convert it with iconv -f WINDOWS-1252 -t UTF-8)$" -- --print-rules -r "$T/rutf8.toml"
# a CR as the file's last byte ends its last line: a string open there is unterminated
printf '[[grade]]\nname = "A"\n[rule.a]\npoints = 1\nflag = "abc\r' >"$T/rcr.toml"
status rules-cr-in-string 2 "rcr.toml: line 5, column 8: unterminated string$" -- --print-rules -r "$T/rcr.toml"
# a date without dashes is no Unix seconds of 1970, leading zeros before it or not
printf '[[grade]]\nname = "A"\n[rule.a]\npoints = 1\n[[rule.a.change]]\nfrom = 020250101\n' >"$T/rfrom0.toml"
status rules-from-leading-zero 2 "rfrom0.toml: line 6, column 8: 'from': 020250101 would be Unix seconds, 1970-08-23T09:01:41+00:00: write the date as \"2025-01-01\"" -- --print-rules -r "$T/rfrom0.toml"
# a year (or any fewer than nine digits) is no Unix seconds of 1970 either
printf '[[grade]]\nname = "A"\n[rule.a]\npoints = 1\n[[rule.a.change]]\nfrom = 2026\n' >"$T/rfromyear.toml"
status rules-from-year 2 "rfromyear.toml: line 6, column 8: 'from': 2026 would be Unix seconds, 1970-01-01T00:33:46+00:00: a year is written as a date, \"2026-01-01\"" -- --print-rules -r "$T/rfromyear.toml"
# a measure's flag that a rule sets with a blank at its end: the rule's blank
slip flag-blank-in-rule 'flag = "dishonest "\n[measure.m]\nkind = "restriction"\nflag = "dishonest"\n' \
    "line 8, column 8: 'flag' is not a flag any rule of this scheme sets (the flag 'dishonest ' that [rule.fine] sets at line 5 has a blank at its end: delete it)"
# from in a rule's own table: how a rule that starts on a date is written
printf '[[grade]]\nname = "A"\n[rule.night_noise]\npoints = -5\nfrom = "2026-01-01"\n' >"$T/slip.toml"
status from-in-rule 2 "slip.toml: line 5, column 1: key 'from' belongs to a rule change (a rule that starts on a date: leave \[rule.night_noise\] empty, which counts 0 till then, and after it write \[\[rule.night_noise.change\]\] with this from and the rule's keys)\$" -- -r "$T/slip.toml" $D/events.csv
# a quoted rule code with a blank at its end: the header to write
slip code-blank-end '[rule."Illegal parking "]\npoints = -10\n' \
    "line 5, column 2: rule codes are 1..64 characters of [a-z0-9_.-] (codes are lower case, with '_' for a blank; and a blank at its end: write [rule.illegal_parking])"
slip code-not-ascii '[rule.\345\201\234\350\275\246]\npoints = -10\n' \
    "line 5, column 2: rule codes are 1..64 characters of [a-z0-9_.-] (U+505C is not ASCII: rule codes are ASCII, as the log's type names them; a rule has no other name)"
# a 1.0 file's rule named as a type 1.1 built in: rename it
slip reserved-since-1.1 '[rule.correct]\npoints = 2\n' \
    "line 5, column 2: rule codes revoke, repair, redeem, object, dismiss and correct are reserved ('correct' is a built-in event type since libcivic 1.1: rename the rule, as [rule.correct_x] or a name of your own, and its events' type with it)"
# a from of none of the forms is told what to write, as a log's ts is
slip from-slashes '[[rule.fine.change]]\nfrom = "2026/01/01"\npoints = -5\n' \
    "line 6, column 8: 'from': bad timestamp (expected YYYY-MM-DD, YYYY-MM-DDTHH:MM:SS[Z|+HH:MM] or Unix seconds) \"2026/01/01\" (year/month/day? write 2026-01-01)"
slip from-no-seconds '[[rule.fine.change]]\nfrom = "2025-07-01T00:00"\npoints = -5\n' \
    "line 6, column 8: 'from': bad timestamp (expected YYYY-MM-DD, YYYY-MM-DDTHH:MM:SS[Z|+HH:MM] or Unix seconds) \"2025-07-01T00:00\" (the seconds are required: write 2025-07-01T00:00:00)"
printf 'id,subject,type,ts\na,s,fine,2022-01-01\nb,s,nope,2022-01-02\nc,s,fine,2022-13-01\n' >"$T/bad.csv"
status bad-input-line 2 "line 3, column 5: field 'type': unknown type" -- $R "$T/bad.csv"
status lenient-skips 0 "line 4, column 10: field 'ts'" -- $R --lenient "$T/bad.csv"
"$CLI" $R --lenient -f csv "$T/bad.csv" >"$T/out" 2>"$T/err"
if grep -q '^s,,990.00,A,-10.00,$' "$T/out" && grep -q '2 bad lines skipped' "$T/err"; then ok; else bad "lenient output: $(cat "$T/out" "$T/err")"; fi
# a skipped line's report that cannot be written (a full disk, a closed
# standard error) fails the run: the line was lost and nothing said so (exit 0)
if [ -w /dev/full ]; then
    "$CLI" $R --lenient -f csv "$T/bad.csv" >"$T/out" 2>/dev/full; rc=$?
    if [ $rc -eq 2 ] && [ ! -s "$T/out" ]; then ok; else bad "lenient 2>/dev/full: exit $rc: $(cat "$T/out")"; fi
    "$CLI" $R --lenient -t 2022-10-01 -f csv $D/events.csv >"$T/out" 2>/dev/full; rc=$?
    if [ $rc -eq 0 ] && cmp -s "$T/out" $D/expected/subjects.csv; then ok; else bad "lenient 2>/dev/full, nothing skipped: exit $rc"; fi
fi
"$CLI" $R --lenient -f csv "$T/bad.csv" >"$T/out" 2>&-; rc=$?
if [ $rc -eq 2 ] && [ ! -s "$T/out" ]; then ok; else bad "lenient 2>&-: exit $rc: $(cat "$T/out")"; fi
"$CLI" $R --lenient -t 2022-10-01 -f csv $D/events.csv >"$T/out" 2>&-; rc=$?
if [ $rc -eq 0 ] && cmp -s "$T/out" $D/expected/subjects.csv; then ok; else bad "lenient 2>&-, nothing skipped: exit $rc"; fi
# standard error that takes only the first reports (past ulimit -f, 1 KiB at most)
awk 'BEGIN { print "id,subject,type,ts"; print "g,s,fine,2022-01-01"
             for (i = 0; i < 100; i++) printf "b%d,s,nope,2022-01-02\n", i }' >"$T/many-bad.csv"
sh -c 'ulimit -f 1 && exec "$@"' sh "$CLI" $R --lenient -f csv "$T/many-bad.csv" >"$T/out" 2>"$T/err-limited"; rc=$?
if [ $rc -eq 2 ] && [ ! -s "$T/out" ]; then ok; else bad "lenient, stderr past ulimit -f: exit $rc"; fi
# standard error that takes every skipped line's report but not the count after
# the answer: the answer stands, whole, and the run succeeds (it exited 2 after
# printing the answer, part of a long one already written)
"$CLI" $R --lenient -f csv "$T/bad.csv" >"$T/out-whole" 2>"$T/err-whole"
sh -c 'ulimit -f 1; exec head -c 100000 /dev/zero' >"$T/room" 2>/dev/null
room=$(wc -c <"$T/room") # what a file takes under ulimit -f 1 (dash: 512 bytes, bash: 1024)
before_count=$(sed '$d' "$T/err-whole" | wc -c)
head -c $((room - before_count - 3)) /dev/zero | tr '\0' x >"$T/err-prefilled"
sh -c 'ulimit -f 1 && exec "$@"' sh "$CLI" $R --lenient -f csv "$T/bad.csv" >"$T/out" 2>>"$T/err-prefilled"; rc=$?
if [ $rc -eq 0 ] && cmp -s "$T/out" "$T/out-whole" && [ "$(tail -c 4 "$T/err-prefilled")" = "$(printf "\nciv")" ]; then ok; else
    bad "lenient, the count after the answer lost: exit $rc, $(tail -c 40 "$T/err-prefilled")"; fi
# a bad file among good ones fails the run: nothing half-scored is printed
status strict-no-output 2 "" -- $R -f csv $D/events.csv "$T/bad.csv"
if [ ! -s "$T/out" ]; then ok; else bad "strict failure printed output"; fi
# an empty input scores nothing and succeeds; with no -t its answer is as of
# time 0, which standard error says (a notice dated 1970 is no one's intent)
printf '' >"$T/empty.csv"
"$CLI" $R -f csv "$T/empty.csv" >"$T/out" 2>"$T/err"
if [ "$(cat "$T/out")" = "subject,group,score,grade,balance,flags" ]; then ok; else bad "empty input: $(cat "$T/out")"; fi
warn0="civic-score: warning: no events and no -t: the answer is as of 1970-01-01T08:00:00+08:00 (Unix time 0); give -t"
if [ "$(cat "$T/err")" = "$warn0" ]; then ok; else bad "empty input, no -t: stderr '$(cat "$T/err")'"; fi
printf 'id,subject,type,ts,group\n' >"$T/header-only.csv"
"$CLI" -f html "$T/header-only.csv" >"$T/out" 2>"$T/err"; rc=$?
if [ $rc -eq 0 ] && grep -q "As of 1970-01-01 08:00\." "$T/out" && [ "$(cat "$T/err")" = "$warn0" ]; then ok
else bad "empty notice, no -t: exit $rc, stderr '$(cat "$T/err")'"; fi
for f in table json; do
    "$CLI" -f $f "$T/header-only.csv" >"$T/out" 2>"$T/err"
    if [ "$(cat "$T/err")" = "$warn0" ]; then ok; else bad "empty -f $f, no -t: stderr '$(cat "$T/err")'"; fi
done
# ... and not when -t gives the time, nor when there are events
"$CLI" -f html -t 2025-01-01 "$T/header-only.csv" >"$T/out" 2>"$T/err"
if [ ! -s "$T/err" ] && grep -q "As of 2025-01-01\." "$T/out"; then ok; else bad "empty notice with -t: stderr '$(cat "$T/err")'"; fi
"$CLI" $R -f csv $D/events.csv >"$T/out" 2>"$T/err"
if [ ! -s "$T/err" ]; then ok; else bad "events, no -t: stderr '$(cat "$T/err")'"; fi

# every command the README and the manual show, run, prints what they say
# it prints (tests/cli/doc-examples.py)
if command -v python3 >/dev/null 2>&1; then
    if python3 $D/doc-examples.py "$(dirname "$CLI")" README.md docs/*.md; then ok; else
        bad "README.md or docs/*.md: an example prints something else"; fi
fi

# --compare --lenient: a line bad under one scheme only is left out under both,
# so both columns score the same events (by hand: s1 has one fine, -10 now and
# -100 under the new scheme of base 900; s2's only_a and s3's only_b each exist
# under one scheme; the quoted note spans lines 6-7, so 'e' is on line 8)
printf '[scheme]\nbase = 1000\n[[grade]]\nname = "A"\nmin = 0\n[[grade]]\nname = "B"\nmin = -1000000\n[rule.fine]\npoints = -10\n[rule.only_a]\npoints = 5\n' >"$T/now.toml"
printf '[scheme]\nbase = 900\n[[grade]]\nname = "A"\nmin = 0\n[[grade]]\nname = "B"\nmin = -1000000\n[rule.fine]\npoints = -100\n[rule.only_b]\npoints = 5\n' >"$T/new.toml"
printf 'id,subject,type,ts,group,note\na,s1,fine,2022-01-01,g1,\nb,s2,only_a,2022-01-01,g2,\nc,s3,only_b,2022-01-01,g2,\nd,s3,nope,2022-01-01,g2,\nx,s2,only_a,2022-01-01,g2,"two\nlines, ""quoted"""\ne,s4,only_b,2022-01-01,,\n' >"$T/cmp.csv"
printf 'subject,group,score,grade,new_score,new_grade,delta\ns1,g1,990.00,A,800.00,A,-190.00\n' >"$T/cmp-want.csv"
golden compare-lenient "$T/cmp-want.csv" -- -r "$T/now.toml" --compare "$T/new.toml" --lenient -f csv "$T/cmp.csv"
if grep -q "cmp.csv: 4 lines bad under one scheme only are left out under both" "$T/err" &&
   grep -q "cmp.csv (under .*new.toml): skipped: line 6, column 6: .*only_a" "$T/err" &&
   grep -q "cmp.csv (under .*now.toml): skipped: line 8, column 6: .*only_b" "$T/err"; then ok; else
    bad "compare-lenient: stderr: $(cat "$T/err")"; fi
# a line bad under both schemes (d, line 5) is reported and counted once: the
# bad lines are 3, 4, 5, 6 (with 7) and 8
if [ "$(grep -c 'line 5, column 6' "$T/err")" -eq 1 ] && grep -q "civic-score: 5 bad lines skipped" "$T/err"
then ok; else bad "compare-lenient: a line bad under both, once: $(cat "$T/err")"; fi
"$CLI" -r "$T/now.toml" --compare "$T/new.toml" --lenient -f csv - <"$T/cmp.csv" >"$T/out" 2>"$T/err"
if cmp -s "$T/out" "$T/cmp-want.csv"; then ok; else bad "compare-lenient stdin: $(cat "$T/out" "$T/err")"; fi
# the new scheme on standard input: read once, kept for the second pass
"$CLI" -r "$T/now.toml" --compare - --lenient -f csv "$T/cmp.csv" <"$T/new.toml" >"$T/out" 2>"$T/err"
if cmp -s "$T/out" "$T/cmp-want.csv" && grep -q "(under <stdin>)" "$T/err"; then ok
else bad "compare-lenient rules on stdin: $(cat "$T/out" "$T/err")"; fi
# every rules file is read once, whatever names it: the second pass (a line
# bad under one scheme only) opened a FIFO, a <(...) or /dev/stdin again, and
# found it empty ("the rules define no [[grade]]") or waited for a writer
# forever (by hand: extra is a rule of ra only, left out under both; s1's
# fine is -10 under ra, -20 under rb)
printf '[scheme]\nname = "a"\n[[grade]]\nname = "A"\n[rule.fine]\npoints = -10\n[rule.extra]\npoints = 1\n' >"$T/ra.toml"
printf '[scheme]\nname = "b"\n[[grade]]\nname = "A"\n[rule.fine]\npoints = -20\n' >"$T/rb.toml"
printf 'id,subject,type,ts\ne1,s1,fine,2024-01-01\ne2,s1,extra,2024-01-02\n' >"$T/rab.csv"
printf 'subject,group,score,grade,new_score,new_grade,delta\ns1,,-10.00,A,-20.00,A,-10.00\n' >"$T/rab-want.csv"
golden compare-lenient-files "$T/rab-want.csv" -- -r "$T/ra.toml" --compare "$T/rb.toml" --lenient -f csv "$T/rab.csv"
if mkfifo "$T/rb.fifo" 2>/dev/null; then
    timeout 20 sh -c 'cat "$1" >"$2"' sh "$T/rb.toml" "$T/rb.fifo" &
    timeout 20 "$CLI" -r "$T/ra.toml" --compare "$T/rb.fifo" --lenient -f csv "$T/rab.csv" >"$T/out" 2>"$T/err" </dev/null; rc=$?
    wait
    if [ $rc -eq 0 ] && cmp -s "$T/out" "$T/rab-want.csv" && grep -q "1 bad line skipped" "$T/err"
    then ok; else bad "compare-lenient rules from a FIFO: exit $rc: $(cat "$T/out" "$T/err")"; fi
fi
cat "$T/ra.toml" | timeout 20 "$CLI" -r /dev/stdin --compare "$T/rb.toml" --lenient -f csv "$T/rab.csv" >"$T/out" 2>"$T/err"; rc=$?
if [ $rc -eq 0 ] && cmp -s "$T/out" "$T/rab-want.csv" && grep -q "1 bad line skipped" "$T/err"
then ok; else bad "compare-lenient rules from /dev/stdin: exit $rc: $(cat "$T/out" "$T/err")"; fi
# strict: the first bad line, whichever scheme refuses it (line 3's only_a
# under new.toml; it named line 4, the first bad under now.toml, loaded first)
status compare-strict 2 "cmp.csv (under .*new.toml): line 3, column 6: field 'type': unknown type.*only_a" -- -r "$T/now.toml" --compare "$T/new.toml" "$T/cmp.csv"
# a line one scheme refuses makes a later one a conflict under the other: the
# refused line is the one named (it named the conflict on line 4)
printf 'id,subject,type,ts\ne1,s,only_a,2022-01-01\ne2,s,fine,2022-01-02\ne1,t,fine,2022-01-03\n' >"$T/cmp-c.csv"
status compare-strict-conflict 2 "cmp-c.csv (under .*new.toml): line 2, column 6: .*only_a" -- -r "$T/now.toml" --compare "$T/new.toml" "$T/cmp-c.csv"
status compare-strict-conflict-swapped 2 "cmp-c.csv (under .*new.toml): line 2, column 6: .*only_a" -- -r "$T/new.toml" --compare "$T/now.toml" "$T/cmp-c.csv"
# an error of the second scheme names it, and of the built-in scheme so
printf 'id,subject,type,ts\na,s1,fine,2022-01-01\nb,s2,only_b,2022-01-02\n' >"$T/cmp-b.csv"
status compare-strict-new 2 "cmp-b.csv (under .*now.toml): line 3, column 6: .*only_b" -- -r "$T/new.toml" --compare "$T/now.toml" "$T/cmp-b.csv"
status compare-strict-builtin 2 "cmp-b.csv (under the built-in scheme): line 2, column 6: .*fine" -- --compare "$T/now.toml" "$T/cmp-b.csv"
# --compare loads each input under both schemes: a pipe or a FIFO is read once
# into memory (the second scheme saw nothing, or a FIFO hung)
cat "$T/cmp.csv" | "$CLI" -r "$T/now.toml" --compare "$T/new.toml" --lenient -f csv /dev/stdin >"$T/out" 2>"$T/err"
if cmp -s "$T/out" "$T/cmp-want.csv"; then ok; else bad "compare /dev/stdin: $(cat "$T/out" "$T/err")"; fi
if [ -p "$T/fifo.csv" ]; then
    printf 'id,subject,type,ts,group\na,s1,fine,2022-01-01,g1\n' >"$T/cmp-good.csv"
    "$CLI" -r "$T/now.toml" --compare "$T/new.toml" -f csv "$T/cmp-good.csv" >"$T/cmp-good-want.csv" 2>/dev/null
    cat "$T/cmp-good.csv" >"$T/fifo.csv" &
    "$CLI" -r "$T/now.toml" --compare "$T/new.toml" -f csv "$T/fifo.csv" >"$T/out" 2>"$T/err"
    wait
    if cmp -s "$T/out" "$T/cmp-good-want.csv" && grep -q '^s1,g1,990.00,A,800.00,A,-190.00$' "$T/out"
    then ok; else bad "compare fifo: $(cat "$T/out" "$T/err")"; fi
fi
# /dev/stdin with standard input closed is an error, as "-" is (it read the
# /dev/null held in its place: an empty log)
"$CLI" -r "$T/now.toml" -f csv /dev/stdin <&- >"$T/out" 2>"$T/err"; rc=$?
if [ $rc -eq 2 ] && grep -q "/dev/stdin: cannot read: Bad file descriptor" "$T/err"; then ok; else
    bad "closed stdin as /dev/stdin: $rc $(cat "$T/err")"; fi
# rules so named too, as -r - says (it read the /dev/null held in its place:
# "the rules define no [[grade]]")
"$CLI" -r - -f csv "$T/cmp.csv" <&- >"$T/out" 2>"$T/err"; rc=$?
if [ $rc -eq 2 ] && grep -q "^civic-score: <stdin>: cannot read the rules: Bad file descriptor$" "$T/err"
then ok; else bad "closed stdin as -r -: $rc $(cat "$T/err")"; fi
for f in /dev/stdin /dev/fd/0 /proc/self/fd/0; do
    "$CLI" -r $f -f csv "$T/cmp.csv" <&- >"$T/out" 2>"$T/err"; rc=$?
    if [ $rc -eq 2 ] && [ "$(cat "$T/err")" = "civic-score: $f: cannot read the rules: Bad file descriptor" ]
    then ok; else bad "closed stdin as -r $f: $rc $(cat "$T/err")"; fi
done
"$CLI" -r "$T/now.toml" --compare /dev/stdin -f csv "$T/cmp.csv" <&- >"$T/out" 2>"$T/err"; rc=$?
if [ $rc -eq 2 ] && [ "$(cat "$T/err")" = "civic-score: /dev/stdin: cannot read the rules: Bad file descriptor" ]
then ok; else bad "closed stdin as --compare /dev/stdin: $rc $(cat "$T/err")"; fi

# --compare as a table lists every subject, and only those that change with
# --changed (by hand: a's fine is -10 under both, b's honour 5 now and 10 new),
# with each subject's group ("-" for none), as the CSV has it
printf '[scheme]\nbase = 1000\nutc_offset = "+08:00"\n[[grade]]\nname = "A"\nmin = 1000\n[[grade]]\nname = "B"\n[rule.fine]\npoints = -10\n[rule.honour]\npoints = 5\n' >"$T/x.toml"
sed 's/points = 5/points = 10/' "$T/x.toml" >"$T/y.toml"
printf 'id,subject,type,ts,group\n1,a,fine,2022-01-01,\n2,b,honour,2022-01-02,d1/s2\n' >"$T/xy.csv"
"$CLI" -r "$T/x.toml" --compare "$T/y.toml" "$T/xy.csv" >"$T/out" 2>"$T/err"
if grep -q '2 subjects, 1 with a new score or grade' "$T/out" &&
   grep -Eq '^SUBJECT +GROUP +SCORE +GRADE +NEW SCORE +NEW GRADE +DELTA$' "$T/out" &&
   grep -Eq '^a +- +990[.]00 +B +990[.]00 +B +0[.]00$' "$T/out" &&
   grep -Eq '^b +d1/s2 +1005[.]00 +A +1010[.]00 +A +5[.]00$' "$T/out"; then ok; else
    bad "compare table: $(cat "$T/out" "$T/err")"; fi
"$CLI" -r "$T/x.toml" --compare "$T/y.toml" --changed "$T/xy.csv" >"$T/out" 2>"$T/err"
if ! grep -Eq '^a ' "$T/out" && grep -Eq '^b +d1/s2 +1005[.]00 +A +1010[.]00' "$T/out"; then ok; else
    bad "compare table --changed: $(cat "$T/out" "$T/err")"; fi
# its title (as its matrix) counts every subject, not the rows shown, as the
# manual says: 2 subjects over the one row that changed
if grep -q ': 2 subjects, 1 with a new score or grade$' "$T/out" &&
   [ "$(grep -Ec '^[ab] ' "$T/out")" -eq 1 ]; then ok; else
    bad "compare table --changed title: $(cat "$T/out" "$T/err")"; fi
# nothing changed: the table's column header still, as every other empty
# table and the CSV have theirs (it ended at the matrix).  By hand: a's fine
# is 990 (B), b's honour 1005 (A) under both; an empty log the same
"$CLI" -r "$T/x.toml" --compare "$T/x.toml" --changed "$T/xy.csv" >"$T/out" 2>"$T/err"; rc=$?
if [ $rc -eq 0 ] && [ ! -s "$T/err" ] && [ "$(cat "$T/out")" = "what-if under $T/x.toml, as of 2022-01-02T00:00:00+08:00: 2 subjects, 0 with a new score or grade

NOW \\ NEW  A  B
A          1  0
B          0  1

SUBJECT  GROUP  SCORE  GRADE  NEW SCORE  NEW GRADE  DELTA" ]; then ok; else
    bad "compare table --changed, none changed: exit $rc: $(cat "$T/out" "$T/err")"; fi
printf 'id,subject,type,ts\n' >"$T/none.csv"
"$CLI" -r "$T/x.toml" --compare "$T/y.toml" -t 2022-01-01 "$T/none.csv" >"$T/out" 2>"$T/err"; rc=$?
if [ $rc -eq 0 ] && [ "$(tail -2 "$T/out")" = "
SUBJECT  GROUP  SCORE  GRADE  NEW SCORE  NEW GRADE  DELTA" ]; then ok; else
    bad "compare table of an empty log: exit $rc: $(cat "$T/out" "$T/err")"; fi
# schemes eight hours east and west of UTC read 2022-01-01 as two instants: by
# default the later, so the fine counts under both, whichever scheme is current
sed 's/+08:00/-08:00/' "$T/x.toml" >"$T/w.toml"
printf 'id,subject,type,ts\n1,a,fine,2022-01-01\n' >"$T/tz.csv"
printf 'subject,group,score,grade,new_score,new_grade,delta\na,,990.00,B,990.00,B,0.00\n' >"$T/tz-want.csv"
golden compare-offsets-east "$T/tz-want.csv" -- -r "$T/x.toml" --compare "$T/w.toml" -f csv "$T/tz.csv"
golden compare-offsets-west "$T/tz-want.csv" -- -r "$T/w.toml" --compare "$T/x.toml" -f csv "$T/tz.csv"

# The table's long cells are whole: twelve tiers of 64-byte names with
# levels of 20 CJK characters (the TIERS cell stopped at 511 bytes, in the
# middle of a character), and --explain's NOTE with an act and a source at
# their longest (it stopped at 199 bytes).
if command -v python3 >/dev/null 2>&1; then
    python3 - "$T" <<'PY'
import sys
t = sys.argv[1]
with open(t + "/long.toml", "w", encoding="utf-8") as f:
    f.write('[scheme]\nbase = 1000\nutc_offset = "+00:00"\n[[grade]]\nname = "A"\nmin = 0\n'
            '[rule.hour]\npoints = 1\n')
    for k in range(12):
        f.write('[tier.t%02d_%s]\nrules = "hour"\n[[tier.t%02d_%s.level]]\nname = "%s%02d"\nmin = 1\n'
                % (k, "x" * 60, k, "x" * 60, "级" * 20, k))
with open(t + "/long.csv", "w", encoding="utf-8") as f:
    f.write("id,subject,type,ts,act,source\n")
    f.write("e1,s1,hour,2025-01-01,%s,%s\n" % ("A" * 128, "来源" * 21))
PY
    "$CLI" -r "$T/long.toml" -t 2025-02-01 "$T/long.csv" >"$T/out" 2>"$T/err"
    if python3 -c '
import sys
text = open(sys.argv[1], encoding="utf-8").read()   # strict: a cut character fails
row = [l for l in text.splitlines() if l.startswith("s1 ")][0]
assert all(("t%02d_%s=%s%02d" % (k, "x" * 60, "级" * 20, k)) in row for k in range(12)), row
' "$T/out"; then ok; else bad "twelve long tiers in the table: $(cat "$T/err")"; fi
    "$CLI" -r "$T/long.toml" -t 2025-02-01 --explain s1 "$T/long.csv" >"$T/out" 2>"$T/err"
    if python3 -c '
import sys
text = open(sys.argv[1], encoding="utf-8").read()
assert ("act " + "A" * 128 + " source " + "来源" * 21) in text, text
' "$T/out"; then ok; else bad "a long NOTE in --explain: $(cat "$T/err")"; fi
fi

# A scheme's name may hold control characters (the rules file allows them):
# the table shows them as escapes, not as what a terminal would act on, and
# the page (-f html) as U+FFFD (its title isolating the name: U+2068 before
# it); --print-rules writes C1 as TOML escapes too.
sed '1a name = "a\\u001b[2J\\u0007\\u009b31m\\u00e9z"' $D/rules.toml >"$T/ctl.toml"
"$CLI" -r "$T/ctl.toml" -t 2022-10-01 $D/events.csv >"$T/out" 2>"$T/err"
if [ "$(head -n 1 "$T/out")" = '"a\x1b[2J\x07\u009b31m''é''z" scheme, as of 2022-10-01T00:00:00+08:00: 5 subjects' ] &&
    ! LC_ALL=C grep -q "$(printf '\033')" "$T/out"; then ok; else bad "control characters in the table's scheme name: $(head -n 1 "$T/out" | od -c | head -3)"; fi
"$CLI" -r "$T/ctl.toml" -t 2022-10-01 -f html $D/events.csv >"$T/out" 2>"$T/err"
if grep -q "<title>Public notice: $(printf '\342\201\250')a$(printf '\357\277\275')\[2J$(printf '\357\277\275\357\277\275')31m" "$T/out" &&
    ! LC_ALL=C grep -q "$(printf '\033\|\302\233\|\007')" "$T/out"; then ok; else bad "control characters in the page's scheme name"; fi
"$CLI" -r "$T/ctl.toml" -t 2022-10-01 -f json --top 1 $D/events.csv >"$T/out" 2>"$T/err"
if grep -q '"scheme":"a\\u001b\[2J\\u0007\\u009b31m''é''z"' "$T/out"; then ok; else bad "C1 in -f json: $(head -c 200 "$T/out")"; fi
"$CLI" -r "$T/ctl.toml" --print-rules >"$T/out" 2>"$T/err"
if grep -q '^name = "a\\u001B\[2J\\u0007\\u009B31m''é''z"$' "$T/out"; then ok; else bad "C1 in --print-rules: $(grep '^name' "$T/out")"; fi

# A file name or an option's value may hold control characters (a directory
# of uploaded logs, `civic-score *.csv`): messages show them as escapes, as
# the table does a scheme's name, never as what a terminal would act on.
esc=$(printf '\033')
ename="$T/x${esc}[2Jy.csv"
for args in "x|$R $ename" "x|-r $ename $D/events.csv" "x|$R -f a${esc}[31mb $D/events.csv" \
            "s|$R --lenient -t 2022-10-01 $ename"; do
    kind=${args%%|*}; set -- ${args#*|}
    rm -f "$ename"
    [ "$kind" = s ] && { cat $D/events.csv; echo 'zz,s9,fine,2022-13-01,north/x,'; } >"$ename"
    "$CLI" "$@" >"$T/out" 2>"$T/err" </dev/null
    if grep -q 'x\\x1b\[2Jy\.csv\|a\\x1b\[31mb' "$T/err" && ! LC_ALL=C grep -q "$esc" "$T/err"
    then ok; else bad "control characters in a message ($kind): $(od -c "$T/err" | head -4)"; fi
done

# A byte that is not UTF-8 (a lone 0x9b: CSI to a terminal in an 8-bit
# locale) is shown as \x9b too; UTF-8 text, C1 aside, is kept as it is.
"$CLI" $R "$T/x$(printf '\233')y-$(printf '\303\251\302\233').csv" >"$T/out" 2>"$T/err"
if grep -q 'x\\x9by-'"$(printf '\303\251')"'\\u009b\.csv' "$T/err" && ! LC_ALL=C grep -q "$(printf '\233')" "$T/err"
then ok; else bad "a byte that is not UTF-8 in a message: $(od -c "$T/err" | head -4)"; fi

# Bidi controls (U+202A..U+202E, U+2066..U+2069, U+061C, U+200E, U+200F) in
# an id or a group: escaped in the table, its titles and the messages (a
# terminal showed the rest of the row reversed), kept as they are in CSV
# and JSON.
rlo=$(printf '\342\200\256'); lri=$(printf '\342\201\246'); alm=$(printf '\330\234')
printf 'id,subject,type,ts,group\ne1,s%sx,donation,2022-03-01,g%sh\ne2,plain,donation,2022-03-01,g%s\n' \
    "$rlo" "$lri" "$alm" >"$T/bidi.csv"
"$CLI" $R -t 2022-10-01 "$T/bidi.csv" >"$T/out" 2>"$T/err"
if grep -q '^s\\u202ex  *g\\u2066h  ' "$T/out" && grep -q '^plain  *g\\u061c  ' "$T/out" &&
    [ "$(grep -c "$rlo\|$lri\|$alm" "$T/out")" -eq 0 ]; then ok; else bad "bidi controls in the table: $(cat "$T/out" "$T/err")"; fi
"$CLI" $R -t 2022-10-01 -f csv "$T/bidi.csv" >"$T/out" 2>"$T/err"
if grep -q "^s${rlo}x,g${lri}h," "$T/out"; then ok; else bad "bidi controls in -f csv: $(cat "$T/out" "$T/err")"; fi
"$CLI" $R -t 2022-10-01 -f json "$T/bidi.csv" >"$T/out" 2>"$T/err"
if grep -q "\"s${rlo}x\"" "$T/out"; then ok; else bad "bidi controls in -f json: $(cat "$T/out" "$T/err")"; fi
"$CLI" $R -t 2022-10-01 --explain "s${rlo}x" "$T/bidi.csv" >"$T/out" 2>"$T/err"
if grep -q '^credit record of s\\u202ex, as of' "$T/out" && grep -q 'group g\\u2066h$' "$T/out" &&
    [ "$(grep -c "$rlo\|$lri" "$T/out")" -eq 0 ]; then ok; else bad "bidi controls in --explain: $(cat "$T/out" "$T/err")"; fi
"$CLI" $R -t 2022-10-01 --explain "no${rlo}body" "$T/bidi.csv" >"$T/out" 2>"$T/err"
if grep -q "warning: subject 'no\\\\u202ebody' has no events" "$T/err" && ! grep -q "$rlo" "$T/err"
then ok; else bad "bidi controls in a warning: $(cat "$T/err")"; fi
printf 'id,subject,type,ts\ne1,s,fi%sne,2022-03-01\n' "$rlo" >"$T/bidi-type.csv"
status bidi-message 2 "unknown type .*\"fi\\\\u202ene\"" -- $R "$T/bidi-type.csv"

# Ids that differ only by a character that shows nothing or reads as another
# (a joiner, a variation selector, a tag, a space that is not U+0020, a line
# separator, a noncharacter, a closing isolate) read apart in the table: each
# such character is its escape, \uNNNN, or \UNNNNNNNN beyond U+FFFF.  The four
# ids a reviewer found alike on the notice page first (r0001 four times).
printf '[scheme]\nbase = 1000\n[[grade]]\nname = "A"\nmin = 1000\n[[grade]]\nname = "B"\n[rule.fine]\npoints = -10\nflag = "dishonest"\n' >"$T/alike.toml"
{ printf 'id,subject,type,ts,group\ne1,r0001,fine,2025-03-01,g\ne2,\342\200\2561000r,fine,2025-03-01,g\n'
  printf 'e3,r0001\342\201\251,fine,2025-03-01,g\ne4,r0001\342\200\215,fine,2025-03-01,g\n'
  n=0
  for ch in '\342\200\215' '\342\201\251' '\342\200\256' '\342\200\213' '\342\200\214' '\315\217' \
            '\357\270\217' '\363\240\201\201' '\363\240\204\200' '\342\200\250' '\342\200\251' '\302\240' \
            '\342\200\207' '\342\200\257' '\343\200\200' '\357\277\276' '\364\217\277\277' '\357\267\220' \
            '\341\240\216' '\357\273\277' '\342\201\240' '\302\255' '\341\205\237' '\343\205\244' '\357\277\271' \
            '\342\240\200'; do
      n=$((n + 1)); printf "a$n,a${ch}z,fine,2025-03-01,g\n"
  done; } >"$T/alike.csv"
printf '%s\n' r0001 '\u202e1000r' 'r0001\u2069' 'r0001\u200d' 'a\u200dz' 'a\u2069z' 'a\u202ez' 'a\u200bz' \
    'a\u200cz' 'a\u034fz' 'a\ufe0fz' 'a\U000e0041z' 'a\U000e0100z' 'a\u2028z' 'a\u2029z' 'a\u00a0z' 'a\u2007z' \
    'a\u202fz' 'a\u3000z' 'a\ufffez' 'a\U0010ffffz' 'a\ufdd0z' 'a\u180ez' 'a\ufeffz' 'a\u2060z' 'a\u00adz' \
    'a\u115fz' 'a\u3164z' 'a\ufff9z' 'a\u2800z' | LC_ALL=C sort >"$T/alike.want"
"$CLI" -r "$T/alike.toml" --list dishonest "$T/alike.csv" >"$T/out" 2>"$T/err"; rc=$?
LC_ALL=C awk 'NR > 3 { print $1 }' "$T/out" | LC_ALL=C sort >"$T/alike.got"
if [ $rc -eq 0 ] && cmp -s "$T/alike.want" "$T/alike.got" && LC_ALL=C grep -q '^a\\U000e0041z  *g  ' "$T/out"
then ok; else bad "ids alike in the table: exit $rc $(cat "$T/err"; diff "$T/alike.want" "$T/alike.got")"; fi

# A backslash in the table and its titles is written \\, so that the ten
# ASCII bytes \u202eevil are not shown as U+202E and evil are (\u202eevil:
# the two subjects read alike); CSV keeps the log's bytes, and messages,
# which quote the library's own \xNN, keep a backslash as it is.
printf 'id,subject,type,ts,group\ne1,\\u202eevil,donation,2022-03-01,a\\b\ne2,%sevil,donation,2022-03-01,\n' \
    "$rlo" >"$T/backslash.csv"
"$CLI" $R -t 2022-10-01 "$T/backslash.csv" >"$T/out" 2>"$T/err"
if grep -q '^\\\\u202eevil  *a\\\\b  ' "$T/out" && grep -q '^\\u202eevil  *-  ' "$T/out"; then ok; else
    bad "a backslash in the table: $(cat "$T/out" "$T/err")"; fi
"$CLI" $R -t 2022-10-01 -f csv "$T/backslash.csv" >"$T/out" 2>"$T/err"
if grep -q '^\\u202eevil,a\\b,' "$T/out"; then ok; else bad "a backslash in -f csv: $(cat "$T/out" "$T/err")"; fi
"$CLI" $R -t 2022-10-01 --explain '\u202eevil' "$T/backslash.csv" >"$T/out" 2>"$T/err"
if grep -q '^credit record of \\\\u202eevil, as of' "$T/out" && grep -q 'group a\\\\b$' "$T/out"; then ok; else
    bad "a backslash in --explain: $(cat "$T/out" "$T/err")"; fi
sed '1a name = "x\\\\x1b"' $D/rules.toml >"$T/bs.toml"
"$CLI" -r "$T/bs.toml" -t 2022-10-01 $D/events.csv >"$T/out" 2>"$T/err"
if [ "$(head -n 1 "$T/out")" = '"x\\x1b" scheme, as of 2022-10-01T00:00:00+08:00: 5 subjects' ]; then ok; else
    bad "a backslash in the table's scheme name: $(head -n 1 "$T/out")"; fi
"$CLI" $R -t 2022-10-01 --explain 'no\body' "$T/backslash.csv" >"$T/out" 2>"$T/err"
if grep -q "warning: subject 'no\\\\body' has no events" "$T/err"; then ok; else
    bad "a backslash in a warning: $(cat "$T/err")"; fi

# The table's columns line up on a terminal: a combining mark, a zero-width
# or format character takes no cell, an emoji or a CJK character two
# (counted here with Python's unicodedata, an independent measure).
python3 - "$T/w.csv" <<'PY'
import sys
names = ["plain", "e\u0301e\u0301x", "a\u200bb\u200dc", "x\u2066yz\u2069", "x\ufeffy",
         "\U0001F600\U0001F4A9x", "\u4e2d\u6587\u540d\u5b57",
         # conjoining jamo (a syllable spelt out), enclosing marks, tags
         "\u1112\u1161\u11ab\u1100\u116e\u11a8", "\u1100\ud7b0\ud7fb", "e\u0489x\u20dd",
         "a\u20e2b\u20e4\ua670", "x\U000E0067\U000E0062\U000E007Fy",
         # the marks of Thai, Devanagari and Arabic (they took a cell each), and
         # emoji and symbols outside the ranges once written out by hand, a flag
         "\u0e17\u0e35\u0e48\u0e14\u0e34\u0e19", "\u0928\u092e\u0938\u094d\u0924\u0947",
         "\u0643\u064f\u062a\u0628", "\U0001F680rocket", "\u231a\U0001B000\U0001F21A",
         "\U0001F1E9\U0001F1EAflag"]
with open(sys.argv[1], "w", encoding="utf-8") as f:
    f.write("id,subject,type,ts,group\n")
    f.writelines("e%d,%s,donation,2022-01-01,g\n" % (i, n) for i, n in enumerate(names))
PY
"$CLI" $R -t 2022-10-01 "$T/w.csv" >"$T/out" 2>"$T/err"
if python3 -c '
import sys, unicodedata
def cells(s): # as glibc wcwidth: nonspacing marks (of class 0 too, as in Thai), medial
              # and final jamo, enclosing marks take none
    return sum(0 if unicodedata.category(c) in ("Mn", "Me", "Cf")
               or 0x1160 <= ord(c) <= 0x11ff or 0xd7b0 <= ord(c) <= 0xd7ff
               else 2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in s)
rows = open(sys.argv[1], encoding="utf-8").read().splitlines()[3:]
at = {cells(r[:r.index(" g ") + 1]) for r in rows}
assert len(rows) == 18 and len(at) == 1, (rows, at)
' "$T/out"; then ok; else bad "table columns with zero-width, combining and wide characters: $(cat "$T/out" "$T/err")"; fi

# The cells are glibc's wcwidth under a UTF-8 locale (examples/common/width.h,
# written by examples/gen_width.py), whatever the locale civic-score runs in:
# a subject of each code point on either side of every change in glibc's
# widths, and the GROUP column starts at the same cell in every row (counted
# here with glibc's own wcwidth).  A code point glibc gives no width
# (unassigned) takes one cell, two in planes 2 and 3 (Unicode makes those
# wide).  The edges are checked only against the glibc the table came from
# (a newer one knows newer characters; make regen-width).
if python3 - "$T/sweep.csv" examples/common/width.h "$CLI" $R -t 2022-10-01 <<'PY'
import ctypes, os, re, subprocess, sys
libc = ctypes.CDLL(None)
libc.setlocale.restype = ctypes.c_char_p
libc.wcwidth.argtypes = [ctypes.c_wchar]
if not libc.setlocale(0, b"C.UTF-8"):  # LC_CTYPE
    print("cli: no C.UTF-8 locale: the wcwidth sweep skipped"); sys.exit(0)
def glibc(c):
    return -1 if 0xd800 <= c < 0xe000 else libc.wcwidth(chr(c))
try:
    made = re.search(r"from (glibc [0-9.]+)", open(sys.argv[2]).read()).group(1)
except (OSError, AttributeError):
    made = None
here = os.confstr("CS_GNU_LIBC_VERSION")
escaped = {0x061c, 0x200e, 0x200f, *range(0x202a, 0x202f), *range(0x2066, 0x206a)}
named = [0x0e35, 0x0e48, 0x094d, 0x0947, 0x064f, 0x1f680, 0x1f6ff, 0x231a, 0x1b000,
         0x1f21a, 0x4e2d, 0xac00, 0xff21, 0x1100, 0x1160, 0xd7b0, 0x200b, 0x1f1e6,
         0xe0001, 0xe0067, 0x00ad, 0x0301, 0x20dd, 0xfeff, 0x3000, 0xe000, 0x10fffd]
points = set(named)
if made is None or made == here:
    prev = glibc(0)
    for c in range(1, 0x110000):
        w = glibc(c)
        if w != prev:
            points.update((c - 1, c))
        prev = w
else:
    print("cli: table from %s, this is %s: the wcwidth sweep checks %d code points only"
          % (made, here, len(named)))
points = sorted(c for c in points if c >= 0xa0 and c not in escaped and glibc(c) >= 0)
# no width from glibc: one cell, or two in planes 2 and 3
nowidth = {0x0378: 1, 0x2fffd: 2, 0x3fffd: 2, 0x40000: 1, 0xe0080: 1}
with open(sys.argv[1], "w", encoding="utf-8") as f:
    f.write("id,subject,type,ts,group\n")
    for i, c in enumerate(points + list(nowidth)):
        f.write("e%d,x%cy,donation,2022-01-01,g\n" % (i, c))
out = subprocess.run(sys.argv[3:] + [sys.argv[1]], capture_output=True,
                     env=dict(os.environ, LC_ALL="C"))
rows = out.stdout.decode("utf-8").splitlines()[3:]
assert len(rows) == len(points) + len(nowidth), out.stderr
def cells(s):
    return sum(nowidth.get(ord(ch), 1) if glibc(ord(ch)) < 0 else glibc(ord(ch)) for ch in s)
at = {}
for r in rows:
    at.setdefault(cells(r[:r.index(" g ") + 1]), []).append("U+%04X" % ord(r[1]))
assert len(at) == 1, "GROUP starts at different cells: %s" % {
    k: v[:12] for k, v in at.items()}
PY
then ok; else bad "table cells as glibc's wcwidth"; fi

# --compare --lenient keeps the same lines whatever their order: a line bad
# under one scheme only for a reason of its own is left out first, and only
# then are conflicts judged (by hand: e1 twice, as a dog and as a fine; dog is
# no type of nodog.toml, so the dog line goes and the fine stays, -10 under
# both).  Order a dropped both lines: the fine conflicted with the dog under
# cur.toml.  Across files too, and a conflict valid under both keeps the
# earlier line, as a plain --lenient run does (e2: the fine, not the donation).
printf '[scheme]\nbase = 1000\n[[grade]]\nname = "A"\nmin = 960\n[[grade]]\nname = "B"\n[rule.fine]\npoints = -10\n[rule.donation]\npoints = 10\n[rule.dog]\npoints = -20\n' >"$T/cur.toml"
grep -v dog "$T/cur.toml" | sed '$d' >"$T/nodog.toml"
printf 'id,subject,type,ts\n' >"$T/f1-a.csv"; cp "$T/f1-a.csv" "$T/f1-b.csv"; cp "$T/f1-a.csv" "$T/f1-dog.csv"
cp "$T/f1-a.csv" "$T/f1-fine.csv"
printf 'e1,s1,dog,2022-03-01\ne1,s1,fine,2022-03-01\n' >>"$T/f1-a.csv"
printf 'e1,s1,fine,2022-03-01\ne1,s1,dog,2022-03-01\n' >>"$T/f1-b.csv"
printf 'e1,s1,dog,2022-03-01\ne2,s2,fine,2022-03-01\n' >>"$T/f1-dog.csv"
printf 'e2,s2,donation,2022-03-01\ne1,s1,fine,2022-03-01\n' >>"$T/f1-fine.csv"
printf 'subject,group,score,grade,new_score,new_grade,delta\ns1,,990.00,A,990.00,A,0.00\n' >"$T/f1-want.csv"
printf 's2,,990.00,A,990.00,A,0.00\n' | cat "$T/f1-want.csv" - >"$T/f1-want2.csv"
unknown="field 'type': unknown type (not a rule code, revoke, repair, redeem, object, dismiss or correct) \"dog\""
conflict() { printf 'civic-score: %s (under %s): skipped: line %s, column 1: event id "%s" was seen before with a different type: %s before, %s here\n' "$T/$1" "$T/cur.toml" $2 $3 $4 $5; }
nodog() { printf 'civic-score: %s (under %s): skipped: line %s, column 7: %s\n' "$T/$1" "$T/nodog.toml" $2 "$unknown"; }
left() { printf 'civic-score: %s: 1 line bad under one scheme only is left out under both\n' "$T/$1"; }
f1_check() { # NAME WANT-CSV FILES...: the error output is in $T/err-want
    name=$1; want=$2; shift 2
    "$CLI" -r "$T/cur.toml" --compare "$T/nodog.toml" --lenient -f csv "$@" >"$T/out" 2>"$T/err"; rc=$?
    if [ $rc -eq 0 ] && cmp -s "$T/out" "$want" && cmp -s "$T/err" "$T/err-want"; then ok; else
        bad "compare-lenient $name: exit $rc: $(cat "$T/out" "$T/err")"; fi
}
{ nodog f1-a.csv 2; left f1-a.csv; echo "civic-score: 1 bad line skipped"; } >"$T/err-want"
f1_check "order a" "$T/f1-want.csv" "$T/f1-a.csv"
{ nodog f1-b.csv 3; left f1-b.csv; echo "civic-score: 1 bad line skipped"; } >"$T/err-want"
f1_check "order b" "$T/f1-want.csv" "$T/f1-b.csv"
{ nodog f1-dog.csv 2; left f1-dog.csv; conflict f1-fine.csv 2 e2 fine donation; echo "civic-score: 2 bad lines skipped"; } >"$T/err-want"
f1_check "dog file first" "$T/f1-want2.csv" "$T/f1-dog.csv" "$T/f1-fine.csv"
printf 'subject,group,score,grade,new_score,new_grade,delta\ns1,,990.00,A,990.00,A,0.00\ns2,,1010.00,A,1010.00,A,0.00\n' >"$T/f1-want3.csv"
{ nodog f1-dog.csv 2; conflict f1-dog.csv 3 e2 donation fine; left f1-dog.csv; echo "civic-score: 2 bad lines skipped"; } >"$T/err-want"
f1_check "fine file first" "$T/f1-want3.csv" "$T/f1-fine.csv" "$T/f1-dog.csv"
printf 'id,subject,type,ts\ne2,s2,fine,2022-03-01\ne1,s1,dog,2022-03-01\ne2,s2,donation,2022-03-01\ne1,s1,fine,2022-03-01\n' >"$T/f1-c.csv"
"$CLI" -r "$T/cur.toml" --compare "$T/nodog.toml" --lenient -f csv "$T/f1-c.csv" >"$T/out" 2>"$T/err"; rc=$?
{ printf 'civic-score: %s (under %s): skipped: line 3, column 7: %s\n' "$T/f1-c.csv" "$T/nodog.toml" "$unknown"
  printf 'civic-score: %s (under %s): skipped: line 4, column 1: event id "e2" was seen before with a different type: fine before, donation here\n' "$T/f1-c.csv" "$T/cur.toml"
  printf 'civic-score: %s: 1 line bad under one scheme only is left out under both\n' "$T/f1-c.csv"
  printf 'civic-score: 2 bad lines skipped\n'; } >"$T/err-want"
if [ $rc -eq 0 ] && cmp -s "$T/out" "$T/f1-want2.csv" && cmp -s "$T/err" "$T/err-want"; then ok; else
    bad "compare-lenient: a conflict under both keeps the earlier line: exit $rc: $(cat "$T/out" "$T/err")"; fi

# --top in a table: the bytes civic-score 1.0.0 printed for these version-1
# inputs (its title counts the rows shown; the --groups D --top N table has
# no title and a right-aligned GRADE), which a later 1.x keeps
"$CLI" $R -t 2022-10-01 --top 1 $D/events.csv >"$T/out" 2>"$T/err"
printf 'unnamed scheme, as of 2022-10-01T00:00:00+08:00: 1 subject\n\nRANK  SUBJECT  GROUP    SCORE  GRADE  BALANCE  FLAGS\n   1  s6       -      1000.00  A         0.00  -\n' >"$T/want"
if cmp -s "$T/out" "$T/want"; then ok; else bad "--top table as 1.0.0: $(cat "$T/out" "$T/err")"; fi
"$CLI" $R -t 2022-10-01 --groups 1 --top 1 $D/events.csv >"$T/out" 2>"$T/err"
printf 'GROUP  RANK  SUBJECT   SCORE  GRADE\nnorth     1  s1       990.00      A\nsouth     1  s5       950.00      B\n' >"$T/want"
if cmp -s "$T/out" "$T/want"; then ok; else bad "--groups --top table as 1.0.0: $(cat "$T/out" "$T/err")"; fi
# a --top larger than any count means all (it said "needs a positive number")
golden top-saturates $D/expected/top-all.csv -- $R -t 2022-10-01 --top 99999999999999999999 -f csv $D/events.csv
golden top-max $D/expected/top-all.csv -- $R -t 2022-10-01 --top 18446744073709551615 -f csv $D/events.csv
status top-zero 1 "--top needs a positive number, not '0'" -- $R --top 0 $D/events.csv
status top-negative 1 "--top needs a positive number, not '-1'" -- $R --top -1 $D/events.csv
status top-not-a-number 1 "--top needs a positive number, not '99999999999999999999x'" -- $R --top 99999999999999999999x $D/events.csv

# a stray quote that a later line closes: whatever is wrong with the record it
# makes (here its type), the message names the lines it took, strict and
# lenient (where the good line inside it is skipped with it)
printf 'id,subject,type,ts,qty\ne1,s1,"fine,2022-02-01,1\ne2,s1,fine,2022-02-01,1\ne3,s1",2022-02-01,1\ne4,s1,fine,2022-02-01,1\n' >"$T/stray.csv"
status stray-quote-value 2 "line 2, column 7: field 'type': unknown type .* (the quoted field opened at line 2, column 7 holds line breaks: lines 2 to 4 were read as one record)$" -- $R "$T/stray.csv"
status stray-quote-value-lenient 0 "skipped: line 2, column 7: .* (the quoted field opened at line 2, column 7 holds line breaks: lines 2 to 4 were read as one record)$" -- $R --lenient "$T/stray.csv"

# files joined with cat: a byte-order mark that opens a later line, a second
# header, are named where the line they make bad is
printf '\357\273\277id,subject,type,ts\ne1,s1,fine,2022-02-01\n' >"$T/bom1.csv"
cat "$T/bom1.csv" "$T/bom1.csv" >"$T/bomcat.csv"
status joined-csv 2 "line 3, column 15: field 'type': .* (the line starts with U+FEFF, a byte-order mark, and repeats the header: were files joined? remove the line)$" -- $R "$T/bomcat.csv"
# the header again in other letters, or of another column order (the lines after
# it would be read under the first header's columns: lenient skips it, saying so)
printf 'id,subject,type,ts\r\ne1,s1,fine,2022-02-01\r\nID,Subject,Type,TS\r\n' >"$T/hdrcase.csv"
status joined-csv-case 2 "line 3, column 12: field 'type': .* \"Type\" (the line repeats the header: were files joined? remove it)$" -- $R "$T/hdrcase.csv"
printf 'id,subject,type,ts\r\ne1,s1,fine,2022-02-01\r\nsubject,id,type,ts\r\ns2,e2,fine,2022-02-05\r\n' >"$T/hdrorder.csv"
status joined-csv-order 2 "line 3, column 12: field 'type': .* \"type\" (the line is a header of another column order: were files joined? load them as separate files)$" -- $R "$T/hdrorder.csv"
status joined-csv-order-lenient 0 "skipped: line 3, column 12: field 'type': .* (the line is a header of another column order: were files joined? load them as separate files)$" -- $R --lenient "$T/hdrorder.csv"
printf '{"id":"j1","subject":"s1","type":"fine","ts":"2022-02-01"}\n\357\273\277{"id":"j2","subject":"s1","type":"fine","ts":"2022-02-01"}\n' >"$T/bomcat.jsonl"
status joined-jsonl 2 "line 2, column 1: expected a JSON object '{' (the line starts with U+FEFF, a byte-order mark: were files joined? remove it)$" -- $R "$T/bomcat.jsonl"

# a version-2 scheme's rankings rows carry the subject's tiers and measures, as
# --top and every answer about a subject do (a version-1 scheme's keep 1.0's five
# keys: json-group-ranks above); worked by hand: s1 has 2 help, bronze, thanked
printf '[[grade]]\nname = "A"\n[rule.help]\npoints = 10\n[tier.helper]\nrules = "help"\n[[tier.helper.level]]\nname = "bronze"\nmin = 2\n[measure.thanks]\ntext = "A thank-you"\nkind = "incentive"\ntier = "helper"\nmin_level = "bronze"\n' >"$T/tm.toml"
printf 'id,subject,type,ts,group\na,s1,help,2022-01-01,north\nb,s1,help,2022-01-02,north\nc,s2,help,2022-01-03,south\n' >"$T/tm.csv"
"$CLI" -r "$T/tm.toml" -t 2022-10-01 -f json --groups 1 --top 1 "$T/tm.csv" >"$T/out" 2>"$T/err"
printf '{"rankings":[\n{"group":"north","rank":1,"subject":"s1","score":20.00,"grade":"A","tiers":{"helper":"bronze"},"measures":["thanks"]},\n{"group":"south","rank":1,"subject":"s2","score":10.00,"grade":"A","tiers":{"helper":null},"measures":[]}\n]}\n' >"$T/want"
if cmp -s "$T/out" "$T/want"; then ok; else bad "rankings rows with tiers and measures: $(cat "$T/out" "$T/err")"; fi

# --objections: the objections still to decide at T, oldest first (filed,
# subject, id bytewise: o10 before o9), under both contested modes.  By hand
# from objections.csv at 2025-04-01: o1 (f1), o10 and o9 (two against f6, whose
# third, o12, a dismissal dated at T decided), o11 (a subject without a group),
# o7 (its dismissal d7 is dated after T) and o6 (against h1, still pending in
# its publicity period); not o2 (dismissed), o3 (upheld: f3 revoked), o4 (late),
# o5 (no target), o13 (against an objection), nor s5 (no objection).
OM="-r $D/objections-mark.toml"
OS="-r $D/objections-suspend.toml"
golden objections-table $D/expected/objections-mark.txt -- $OM -t 2025-04-01 --objections $D/objections.csv
golden objections-csv $D/expected/objections-mark.csv -- $OM -t 2025-04-01 -f csv --objections $D/objections.csv
golden objections-json $D/expected/objections-mark.json -- $OM -t 2025-04-01 -f json --objections $D/objections.csv
golden objections-suspend-csv $D/expected/objections-suspend.csv -- $OS -t 2025-04-01 -f csv --objections $D/objections.csv
golden objections-suspend-json $D/expected/objections-suspend.json -- $OS -t 2025-04-01 -f json --objections $D/objections.csv
# on 2025-04-20 d7 has decided o7, and h1 is in effect (it counts, marked)
golden objections-later $D/expected/objections-later-mark.csv -- $OM -t 2025-04-20 -f csv --objections $D/objections.csv
golden objections-later-suspend $D/expected/objections-later-suspend.csv -- $OS -t 2025-04-20 -f csv --objections $D/objections.csv
# the state of the contested entry, which says whether it still counts at T
# (counted is the record's, as in --explain): by hand from objections-states.csv
# at 2025-03-01, marked: x1 (litter, valid 30 days) expired on 2025-01-31, y1
# repaired by rp1 on 2025-02-01, m2 merged into m1 (act a1, the larger |raw|)
OT="-r $D/objections-states.toml"
golden objections-states-table $D/expected/objections-states.txt -- $OT -t 2025-03-01 --objections $D/objections-states.csv
golden objections-states-csv $D/expected/objections-states.csv -- $OT -t 2025-03-01 -f csv --objections $D/objections-states.csv
golden objections-states-json $D/expected/objections-states.json -- $OT -t 2025-03-01 -f json --objections $D/objections-states.csv
# none to decide: before the first objection, and under a version-1 scheme
"$CLI" $OM -t 2025-03-01 -f csv --objections $D/objections.csv >"$T/out" 2>"$T/err"
printf 'subject,group,objection,filed,entry,type,state,raw,counted\n' >"$T/want"
if cmp -s "$T/out" "$T/want"; then ok; else bad "--objections, none yet: $(cat "$T/out" "$T/err")"; fi
"$CLI" $R -t 2022-10-01 --objections $D/events.csv >"$T/out" 2>"$T/err"
printf 'objections to decide, as of 2022-10-01T00:00:00+08:00: 0\n\nSUBJECT  GROUP  OBJECTION  FILED  ENTRY  TYPE  STATE  RAW  COUNTED\n' >"$T/want"
if cmp -s "$T/out" "$T/want"; then ok; else bad "--objections table, version 1: $(cat "$T/out" "$T/err")"; fi
"$CLI" $R -t 2022-10-01 -f json --objections $D/events.csv >"$T/out" 2>"$T/err"
printf '{"as_of":"2022-10-01T00:00:00+08:00","objections":[\n]}\n' >"$T/want"
if cmp -s "$T/out" "$T/want"; then ok; else bad "--objections json, version 1: $(cat "$T/out" "$T/err")"; fi
# what it does not go with: usage errors, as --list's
for other in "--explain s1" "--groups 1" "--top 1" "--list dishonest" "--compare $D/rules.toml" "--changed" "-f html"; do
    status "objections with $other" 1 "^civic-score: --objections goes with none of --explain, --groups, --top, --list, --compare, --changed or -f html$" -- \
        $R --objections $other $D/events.csv
done
status objections-print-rules 1 "--print-rules prints the scheme and takes no other option" -- --print-rules --objections
status objections-value 1 "option '--objections' takes no value" -- $R --objections=x $D/events.csv

# Warnings: inputs the contract takes that likely mean something else than
# they say.  Standard output and the exit status stay as without them; each
# kind of warning is one line on standard error, with the first place and a
# count, after the load and before the answer.
# warns NAME COUNT PATTERN -- ARGS: exit 0, COUNT warning lines, one of them matching
warns() {
    name=$1; count=$2; pattern=$3; shift 4
    "$CLI" "$@" >"$T/out" 2>"$T/err" </dev/null; rc=$?
    if [ $rc -ne 0 ]; then bad "$name: exit $rc: $(cat "$T/err")"; return; fi
    n=$(grep -c "^civic-score: warning: " "$T/err")
    if [ "$n" -ne "$count" ]; then bad "$name: $n warning lines, expected $count: $(cat "$T/err")"; return; fi
    if [ -n "$pattern" ] && ! grep -q -- "$pattern" "$T/err"; then
        bad "$name: stderr lacks '$pattern': $(cat "$T/err")"; return
    fi
    ok
}
# 1. a header column near qty, group or ref is ignored as the contract says, and said so
printf 'id,subject,type,ts,note\ne1,r1,volunteer_hour,2025-03-04,3\n' >"$T/note.csv"
"$CLI" -f csv "$T/note.csv" >"$T/want" 2>/dev/null
for col in qyt QTYs Qty. quantity qnty 'ｑｔｙ' ' Qyt ' 'qty　' 'Qty\302\240' hours Hours HRS Amount units QTY2 qtr Reference count; do
    printf "id,subject,type,ts,$col\ne1,r1,volunteer_hour,2025-03-04,3\n" >"$T/col.csv"
    case $col in QTY2|qtr|Reference|count) want=0 ;; *) want=1 ;; esac
    warns "near-qty $col" $want "" -- -f csv "$T/col.csv"
    if cmp -s "$T/out" "$T/want"; then ok; else bad "near-qty $col: the answer changed"; fi
done
printf 'id,subject,type,ts,qyt\ne1,r1,volunteer_hour,2025-03-04,3\n' >"$T/col.csv"
warns near-qty-words 1 "^civic-score: warning: $T/col.csv: column 'qyt' (line 1, column 20) is ignored: did you mean 'qty'? without it every event counts as one unit$" -- "$T/col.csv"
printf 'id,subject,type,ts,Grup,refs\ne1,r1,volunteer_hour,2025-03-04,a,\n' >"$T/col.csv"
warns near-group-and-ref 2 "column 'Grup' (line 1, column 20) is ignored: did you mean 'group'? without it no subject gets a group$" -- "$T/col.csv"
if grep -q "column 'refs' (line 1, column 25) is ignored: did you mean 'ref'? without it no revoke or repair has its target$" "$T/err"; then ok; else bad "near-ref: $(cat "$T/err")"; fi
# not near: other columns an export carries, a near name beside the real one,
# a quoted name (not looked at), a header continued on a second line
printf 'id,subject,type,ts,hours,note,city,day,qty,qty2\ne1,r1,volunteer_hour,2025-03-04,3,n,c,d,1,1\n' >"$T/col.csv"
warns not-near 0 "" -- "$T/col.csv"
# short names one letter from qty or ref are other columns (a quarter, a
# region, a remark, a revision, a rep), as is a name with a digit
printf 'id,subject,type,ts,qtr,reg,rem,rev,rep,red,ref1,grp2\ne1,r1,volunteer_hour,2025-03-04,1,2,3,4,5,6,7,8\n' >"$T/col.csv"
warns not-near-short 0 "" -- "$T/col.csv"
printf 'id,subject,type,ts,"qyt, or so",grp\ne1,r1,volunteer_hour,2025-03-04,3,g\n' >"$T/col.csv"
warns near-after-quoted 1 "column 'grp' (line 1, column 33) is ignored: did you mean 'group'?" -- "$T/col.csv"
printf 'id,subject,type,ts,grp,"a\nb",qty\ne1,r1,volunteer_hour,2025-03-04,g,x,1\n' >"$T/col.csv"
warns near-header-two-lines 0 "" -- "$T/col.csv"
# blank lines before the header: its line; a byte-order mark: the columns
# from the byte after it (as the load counts them)
printf '\n\nid,subject,type,ts,qyt\ne1,r1,volunteer_hour,2025-03-04,3\n' >"$T/col.csv"
warns near-line-3 1 "column 'qyt' (line 3, column 20) is ignored" -- "$T/col.csv"
printf '\357\273\277id,subject,type,ts,qyt\ne1,r1,volunteer_hour,2025-03-04,3\n' >"$T/col.csv"
warns near-bom 1 "column 'qyt' (line 1, column 20) is ignored" -- "$T/col.csv"
# every input the same way: two files (one line, counted), standard input, a
# FIFO, --compare; JSON Lines has no header
printf 'id,subject,type,ts,qyt\ne1,r1,volunteer_hour,2025-03-04,3\n' >"$T/col1.csv"
sed 's/^e1,/e2,/' "$T/col1.csv" >"$T/col2.csv"
warns near-two-files 1 "col1.csv: column 'qyt' (line 1, column 20) is ignored: did you mean 'qty'? without it every event counts as one unit (2 such columns)$" -- "$T/col1.csv" "$T/col2.csv"
"$CLI" - <"$T/col1.csv" >"$T/out" 2>"$T/err"
if grep -q "^civic-score: warning: <stdin>: column 'qyt' (line 1, column 20) is ignored" "$T/err"; then ok; else bad "near-qty stdin: $(cat "$T/err")"; fi
"$CLI" --compare lib/default_rules.toml - <"$T/col1.csv" >"$T/out" 2>"$T/err"
if [ "$(grep -c "^civic-score: warning: <stdin>: column 'qyt'" "$T/err")" -eq 1 ]; then ok; else bad "near-qty compare stdin: $(cat "$T/err")"; fi
warns near-qty-compare 1 "col1.csv: column 'qyt' (line 1, column 20) is ignored" -- --compare lib/default_rules.toml "$T/col1.csv"
if mkfifo "$T/col.fifo" 2>/dev/null; then
    cat "$T/col1.csv" >"$T/col.fifo" &
    "$CLI" "$T/col.fifo" >"$T/out" 2>"$T/err"
    wait
    if grep -q "^civic-score: warning: $T/col.fifo: column 'qyt' (line 1, column 20) is ignored" "$T/err"; then ok; else bad "near-qty fifo: $(cat "$T/err")"; fi
fi
printf '{"id":"e1","subject":"r1","type":"volunteer_hour","ts":"2025-03-04","qyt":3}\n' >"$T/col.jsonl"
warns near-qty-jsonl 0 "" -- "$T/col.jsonl"
# JSON Lines, under rules that use no version-2 key: a key spelling a field's
# name in other letters or with blanks around it, the exact key absent, is
# ignored by the load as 1.0 ignored it; said once, from the first line
# (the answer and the exit status as without the key)
V1R=examples/data/community-1.0.toml
printf '{"id":"e1","subject":"r1","type":"volunteer_hour","ts":"2025-03-04"}\n' >"$T/key0.jsonl"
"$CLI" -r $V1R "$T/key0.jsonl" >"$T/want" 2>/dev/null
printf '{"id":"e1","subject":"r1","type":"volunteer_hour","ts":"2025-03-04","Qty":3}\n' >"$T/key.jsonl"
warns key-jsonl 1 "^civic-score: warning: $T/key.jsonl: line 1: key \"Qty\" is ignored (keys are lower case: \"qty\")$" -- -r $V1R "$T/key.jsonl"
if cmp -s "$T/out" "$T/want"; then ok; else bad "key-jsonl: the answer changed"; fi
printf '\n{"id":"e1","subject":"r1"," group":"g","type":"volunteer_hour","ts":"2025-03-04","QTY":3}\n' >"$T/key.jsonl"
warns key-jsonl-blanks 1 "^civic-score: warning: $T/key.jsonl: line 2: key \" group\" is ignored (a key has no blanks around it: \"group\")$" -- -r $V1R "$T/key.jsonl"
printf '{"id":"e1","subject":"r1","type":"volunteer_hour","ts":"2025-03-04","\\u0051ty":3}\n' >"$T/key.jsonl"
warns key-jsonl-escaped 1 "line 1: key \"\\\\u0051ty\" is ignored (keys are lower case: \"qty\")$" -- -r $V1R "$T/key.jsonl"
sed 's/"e1"/"e2"/' "$T/key.jsonl" >"$T/key2.jsonl"
warns key-jsonl-two-files 1 "key.jsonl: line 1: key .* (2 such keys)$" -- -r $V1R "$T/key.jsonl" "$T/key2.jsonl"
"$CLI" -r $V1R - <"$T/key.jsonl" >"$T/out" 2>"$T/err"
if grep -q "^civic-score: warning: <stdin>: line 1: key " "$T/err"; then ok; else bad "key-jsonl stdin: $(cat "$T/err")"; fi
# not warned: beside the exact key; act or source (not read under these
# rules); a key no field's name; the second line's keys (not read again)
for line in '"Qty":3,"qty":3' '"Source":"x","ACT":"y"' '"qyt":3'; do
    printf '{"id":"e1","subject":"r1","type":"volunteer_hour","ts":"2025-03-04",%s}\n' "$line" >"$T/key.jsonl"
    warns "key-jsonl-not $line" 0 "" -- -r $V1R "$T/key.jsonl"
done
printf '{"id":"e2","subject":"r1","type":"volunteer_hour","ts":"2025-03-04","Qty":3}\n' | cat "$T/key0.jsonl" - >"$T/key.jsonl"
warns key-jsonl-not-line-2 0 "" -- -r $V1R "$T/key.jsonl"
# a field the event needs there only so: missing, as 1.0 refused it (exit 2),
# named at the key with the key to write
printf '{"id":"e2","subject":"r1","type":"volunteer_hour","TS":"2025-03-04"}\n' | cat "$T/key0.jsonl" - >"$T/key.jsonl"
status key-jsonl-missing-ts 2 "^civic-score: $T/key.jsonl: line 2, column 51: field 'ts': missing (keys are lower case: write \"ts\")$" -- -r $V1R "$T/key.jsonl"
printf '{"id":"e2"," subject":"r1","type":"volunteer_hour","ts":"2025-03-04"}\n' >"$T/key.jsonl"
status key-jsonl-missing-subject 2 "^civic-score: $T/key.jsonl: line 1, column 12: field 'subject': missing (a key has no blanks around it: write \"subject\")$" -- -r $V1R "$T/key.jsonl"
# under version-2 rules (the built-in scheme) the load refuses it instead
printf '{"id":"e1","subject":"r1","type":"volunteer_hour","ts":"2025-03-04","Qty":3}\n' >"$T/key.jsonl"
"$CLI" "$T/key.jsonl" >"$T/out" 2>"$T/err"; rc=$?
if [ $rc -ne 0 ] && grep -q 'keys are lower case: write "qty"' "$T/err" && ! grep -q warning "$T/err"; then ok
else bad "key-jsonl v2: exit $rc: $(cat "$T/err")"; fi

# 2. a bare integer ts before 1973-03-03: Unix seconds, as the contract says;
# the earliest event's is named (found as the engine holds it, by the input
# that brought it), and the date it likely was (by hand: 45000 days after
# 1899-12-30 is 2023-03-15; 20250304 s is 1970-08-23T09:05:04Z)
printf 'id,subject,type,ts\ne1,r1,volunteer_hour,45000\ne2,r1,volunteer_hour,20250304\ne3,r1,volunteer_hour,2025-03-04\n' >"$T/small.csv"
warns small-ts 1 "^civic-score: warning: $T/small.csv: the earliest event's ts is 1970-01-01T20:30:00+08:00 (Unix seconds 45000), before 1973-03-03T09:46:40Z: if it was written as a bare integer, that is Unix seconds; a date needs its dashes (2023-03-15, if it is a spreadsheet's day number)$" -- -f csv "$T/small.csv"
# (the two 1970 events expired long before 2025: as without the warning)
if grep -q '^r1,,1001.00,A,1.00,$' "$T/out"; then ok; else bad "small-ts: the answer: $(cat "$T/out")"; fi
printf '{"id":"e1","subject":"r1","type":"volunteer_hour","ts":20250304}\n' >"$T/small.jsonl"
warns small-ts-jsonl 1 "^civic-score: warning: $T/small.jsonl: the earliest event's ts is 1970-08-23T17:05:04+08:00 (Unix seconds 20250304), before 1973-03-03T09:46:40Z: if it was written as a bare integer, that is Unix seconds; a date needs its dashes (2025-03-04)$" -- "$T/small.jsonl"
cat "$T/small.jsonl" | "$CLI" - >"$T/out" 2>"$T/err"
if grep -q "^civic-score: warning: <stdin>: the earliest event's ts is 1970-08-23T17:05:04+08:00 (Unix seconds 20250304)" "$T/err"; then ok; else bad "small-ts stdin: $(cat "$T/err")"; fi
# two inputs: the one that holds the earliest is named
printf 'id,subject,type,ts\ne9,r1,volunteer_hour,2025-03-01\n' >"$T/late.csv"
warns small-ts-second 1 "^civic-score: warning: $T/small.jsonl: the earliest event's ts is 1970-08-23T" -- "$T/late.csv" "$T/small.jsonl" "$T/late.csv"
printf 'id,subject,type,ts\ne8,r1,volunteer_hour,1000\n' >"$T/earlier.csv"
warns small-ts-earlier 1 "^civic-score: warning: $T/earlier.csv: the earliest event's ts is 1970-01-01T08:16:40+08:00 (Unix seconds 1000), before 1973-03-03T09:46:40Z: if it was written as a bare integer, that is Unix seconds; a date needs its dashes (YYYY-MM-DD)$" -- "$T/small.jsonl" "$T/earlier.csv"
warns small-ts-compare 1 "^civic-score: warning: $T/small.jsonl: the earliest event's ts is 1970-08-23T" -- --compare lib/default_rules.toml "$T/small.jsonl"
# not before 1973-03-03: no warning (100000000 is 1973-03-03T09:46:40Z)
printf 'id,subject,type,ts\ne1,r1,volunteer_hour,100000000\ne2,r1,volunteer_hour,2025-03-04\n' >"$T/big.csv"
warns large-ts 0 "" -- "$T/big.csv"
printf 'id,subject,type,ts\ne1,r1,volunteer_hour,99999999\n' >"$T/big.csv"
warns below-limit-ts 1 "(Unix seconds 99999999)" -- "$T/big.csv"
# its mirror: a ts of twelve digits or more is Unix seconds from
# 5138-11-16T09:46:40Z on, most likely a date and time written without
# separators (YYYYMMDDHHMM); the latest event's is named, by the input that
# brought it, with the date and time it likely was (by hand, Python's
# datetime: 202612081200 s is 8390-07-10T05:40:00Z, 13:40 at +08:00;
# 190001010000 s is 7990-11-23T02:20:00+08:00; 202612082400 s is
# 8390-07-10T14:00:00+08:00, and 24:00 no time of day)
LATE="at or after 5138-11-16T09:46:40Z: if it was written as a bare integer, that is Unix seconds; a date and time need their separators"
printf 'id,ts,subject,type\n1,202612081200,alice,volunteer_hour\n' >"$T/twelve.csv"
warns late-ts 1 "^civic-score: warning: $T/twelve.csv: the latest event's ts is 8390-07-10T13:40:00+08:00 (Unix seconds 202612081200), $LATE (2026-12-08T12:00:00)$" -- "$T/twelve.csv"
if grep -q '^"community" scheme, as of 8390-07-10T13:40:00+08:00: 1 subject$' "$T/out"; then ok; else bad "late-ts: the answer: $(cat "$T/out")"; fi
printf '{"id":"e1","subject":"r1","type":"volunteer_hour","ts":190001010000}\n' >"$T/twelve.jsonl"
warns late-ts-jsonl 1 "^civic-score: warning: $T/twelve.jsonl: the latest event's ts is 7990-11-23T02:20:00+08:00 (Unix seconds 190001010000), $LATE (1900-01-01T00:00:00)$" -- "$T/twelve.jsonl"
"$CLI" - <"$T/twelve.csv" >"$T/out" 2>"$T/err"
if grep -q "^civic-score: warning: <stdin>: the latest event's ts is 8390-07-10T13:40:00+08:00 (Unix seconds 202612081200)" "$T/err"; then ok; else bad "late-ts stdin: $(cat "$T/err")"; fi
# two inputs: the one that holds the latest is named (the first that does)
warns late-ts-second 1 "^civic-score: warning: $T/twelve.csv: the latest event's ts is 8390-07-10T13:40:00+08:00" -- "$T/late.csv" "$T/twelve.csv" "$T/late.csv" "$T/twelve.jsonl"
printf 'id,subject,type,ts\ne7,r1,volunteer_hour,202612082400\n' >"$T/later.csv"
warns late-ts-later 1 "^civic-score: warning: $T/later.csv: the latest event's ts is 8390-07-10T14:00:00+08:00 (Unix seconds 202612082400), $LATE (YYYY-MM-DDTHH:MM:SS)$" -- "$T/twelve.csv" "$T/later.csv"
warns late-ts-compare 1 "^civic-score: warning: $T/twelve.csv: the latest event's ts is 8390-07-10T13:40:00+08:00" -- --compare lib/default_rules.toml "$T/twelve.csv"
warns late-ts-compare-lenient 1 "^civic-score: warning: $T/twelve.csv: the latest event's ts is 8390-07-10T13:40:00+08:00" -- --compare lib/default_rules.toml --lenient "$T/twelve.csv"
# a year before 1900, or no date: the form to write (100000000000 s is
# 5138-11-16T17:46:40+08:00); with an early ts too, both, the earliest first
printf 'id,subject,type,ts\ne1,r1,volunteer_hour,100000000000\ne2,r1,volunteer_hour,20250304\n' >"$T/both.csv"
warns late-and-early-ts 2 "^civic-score: warning: $T/both.csv: the latest event's ts is 5138-11-16T17:46:40+08:00 (Unix seconds 100000000000), $LATE (YYYY-MM-DDTHH:MM:SS)$" -- "$T/both.csv"
if head -1 "$T/err" | grep -q "^civic-score: warning: $T/both.csv: the earliest event's ts is 1970-08-23T17:05:04+08:00 (Unix seconds 20250304)"; then ok; else bad "late-and-early-ts: $(cat "$T/err")"; fi
# eleven digits: no warning (99999999999 is 5138-11-16T09:46:39Z)
printf 'id,subject,type,ts\ne1,r1,volunteer_hour,99999999999\n' >"$T/big.csv"
warns below-late-ts 0 "" -- "$T/big.csv"
# -t given so
warns small-as-of 1 "^civic-score: warning: --as-of 20250304 is Unix seconds: 1970-08-23T17:05:04+08:00; a date needs its dashes (2025-03-04)$" -- -t 20250304 "$T/late.csv"
warns small-as-of-day 1 "^civic-score: warning: --as-of 45000 is Unix seconds: 1970-01-01T20:30:00+08:00; a date needs its dashes (2023-03-15, if it is a spreadsheet's day number)$" -- -t 45000 "$T/late.csv"
warns large-as-of 0 "" -- -t 1741051800 "$T/late.csv"
# a negative one is told as the value it is, all its digits read
warns negative-as-of 1 "^civic-score: warning: --as-of -62135596800 is Unix seconds: 0001-01-01T08:00:00+08:00; a date needs its dashes (YYYY-MM-DD)$" -- -t -62135596800 "$T/late.csv"
warns date-as-of 0 "" -- -t 2025-03-04 "$T/late.csv"
# leading zeros, any number of them, leave the value (from 22 characters on
# there was no warning): written as given up to 21 characters, else without them
warns zeros-as-of 1 "^civic-score: warning: --as-of 000000000000020250304 is Unix seconds: 1970-08-23T17:05:04+08:00; a date needs its dashes (2025-03-04)$" -- -t 000000000000020250304 "$T/late.csv"
warns many-zeros-as-of 1 "^civic-score: warning: --as-of 20250304 (written with 24 leading zeros) is Unix seconds: 1970-08-23T17:05:04+08:00; a date needs its dashes (2025-03-04)$" -- -t 00000000000000000000000020250304 "$T/late.csv"
warns many-zeros-negative-as-of 1 "^civic-score: warning: --as-of -5 (written with 21 leading zeros) is Unix seconds: 1970-01-01T07:59:55+08:00; a date needs its dashes (YYYY-MM-DD)$" -- -t -0000000000000000000005 "$T/late.csv"
# --lenient: a skipped line is reported as skipped, not warned about too
printf 'id,subject,type,ts\ne1,r1,nope,45000\ne2,r1,volunteer_hour,-5\n' >"$T/small.csv"
warns small-ts-lenient 1 "the earliest event's ts is 1970-01-01T07:59:55+08:00 (Unix seconds -5), before 1973-03-03T09:46:40Z: if it was written as a bare integer, that is Unix seconds; a date needs its dashes (YYYY-MM-DD)$" -- --lenient "$T/small.csv"
if grep -q "skipped: line 2" "$T/err" && grep -q "^civic-score: 1 bad line skipped$" "$T/err"; then ok; else bad "small-ts-lenient: $(cat "$T/err")"; fi
# warnings come before the answer
"$CLI" "$T/small.jsonl" >"$T/both" 2>&1
if head -1 "$T/both" | grep -q "^civic-score: warning: "; then ok; else bad "warning order: $(cat "$T/both")"; fi

# 3. blanks around a subject id: another subject than the one without them,
# said where the answer shows subjects (from the ids it prints: the log is
# not read for it); in id order, ' r0001' is the first of the two
printf 'id,subject,type,ts\ne1,r0001,fine,2022-03-01\ne2,r0001 ,fine,2022-03-01\ne3," r0001",defaulter,2022-03-01\ne4,r0001 ,defaulter,2022-03-01\ne5,r 2,fine,2022-03-01\n' >"$T/blank.csv"
for how in "" "-f csv" "-f json" "--top 4" "--list dishonest" "-f csv --list dishonest" "-f json --list dishonest"; do
    warns "blank subjects $how" 1 "^civic-score: warning: subject ' r0001' begins with a blank: it is a different subject from 'r0001' (2 such subjects)$" -- $R -t 2022-05-01 $how "$T/blank.csv"
done
# of the subjects shown only: the top 3 show ' r0001' (599.00, balance 0.00) and not 'r0001 '
warns blank-top-3 1 "^civic-score: warning: subject ' r0001' begins with a blank: it is a different subject from 'r0001'$" -- $R -t 2022-05-01 --top 3 "$T/blank.csv"
warns blank-explain 1 "^civic-score: warning: subject 'r0001 ' ends with a blank: it is a different subject from 'r0001'$" -- $R -t 2022-05-01 --explain 'r0001 ' "$T/blank.csv"
# the rankings of --groups --top, and --compare, show ids too: of the rows
# shown only (the best 2 are 'r 2' and 'r0001', 990.00 each; the third
# ' r0001'); --changed shows none here (the same scheme twice)
for how in "" "-f csv" "-f json"; do
    warns "blank group ranks $how" 1 "^civic-score: warning: subject ' r0001' begins with a blank: it is a different subject from 'r0001' (2 such subjects)$" -- $R -t 2022-05-01 --groups 0 --top 4 $how "$T/blank.csv"
    warns "blank compare $how" 1 "^civic-score: warning: subject ' r0001' begins with a blank: it is a different subject from 'r0001' (2 such subjects)$" -- $R -t 2022-05-01 --compare $D/rules.toml $how "$T/blank.csv"
done
warns blank-group-ranks-3 1 "^civic-score: warning: subject ' r0001' begins with a blank: it is a different subject from 'r0001'$" -- $R -t 2022-05-01 --groups 0 --top 3 "$T/blank.csv"
warns blank-group-ranks-2 0 "" -- $R -t 2022-05-01 --groups 0 --top 2 "$T/blank.csv"
warns blank-compare-changed-none 0 "" -- $R -t 2022-05-01 --compare $D/rules.toml --changed "$T/blank.csv"
# --changed: of the rows that change only (a fine of -500: 'r0001 ' changes,
# ' r0001', whose one entry is a defaulter's, does not)
sed 's/^points = -10$/points = -500/' $D/rules.toml >"$T/fine500.toml"
warns blank-compare-changed 1 "^civic-score: warning: subject 'r0001 ' ends with a blank: it is a different subject from 'r0001'$" -- $R -t 2022-05-01 --compare "$T/fine500.toml" --changed "$T/blank.csv"
"$CLI" $R -t 2022-05-01 --groups 0 --top 4 "$T/blank.csv" >"$T/both" 2>&1
if head -1 "$T/both" | grep -q "^civic-score: warning: subject"; then ok; else bad "blank warning order, group ranks: $(cat "$T/both")"; fi
# --objections: the subjects of the rows (s1 and a no-break space objects)
printf 'id,subject,type,ts,ref\nf1,s1\302\240,fine,2025-03-01,\no1,s1\302\240,object,2025-03-05,f1\nf2,s2,fine,2025-03-02,\no2,s2,object,2025-03-06,f2\n' >"$T/blank-objections.csv"
for how in "" "-f csv" "-f json"; do
    warns "blank objections $how" 1 "^civic-score: warning: subject 's1\\\\u00a0' ends with U+00A0, a no-break space: it is a different subject from 's1'$" -- -r $D/objections-mark.toml --objections $how "$T/blank-objections.csv"
done
warns blank-explain-none 0 "" -- $R -t 2022-05-01 --explain r0001 "$T/blank.csv"
# the plain id of a subject the log holds only padded: the empty record's
# warning names the padded one
printf 'id,subject,type,ts\ne1, r0002,fine,2022-03-01\n' >"$T/blank3.csv"
warns blank-explain-twin 1 "^civic-score: warning: subject 'r0002' has no events at or before .* (the record is empty; the score is the base) (the log has ' r0002', another subject: mind the blanks)$" -- $R -t 2022-05-01 --explain r0002 "$T/blank3.csv"
warns blank-explain-no-twin 1 "the score is the base)$" -- $R -t 2022-05-01 --explain r0003 "$T/blank3.csv"
# an id typed in other capitals than the log's: the empty record's warning
# names the log's (its stdout is the base score, as for any id without events)
printf 'id,subject,type,ts\ne1,r0004,fine,2022-03-01\ne2,Ab-9,fine,2022-03-01\n' >"$T/case.csv"
warns case-explain-twin 1 "^civic-score: warning: subject 'R0004' has no events at or before .* (the record is empty; the score is the base) (the log has 'r0004', another subject: ids differ in capitals)$" -- $R -t 2022-05-01 --explain R0004 "$T/case.csv"
warns case-explain-twin-2 1 "(the log has 'Ab-9', another subject: ids differ in capitals)$" -- $R -t 2022-05-01 --explain aB-9 "$T/case.csv"
warns case-explain-no-twin 1 "the score is the base)$" -- $R -t 2022-05-01 --explain r00044 "$T/case.csv"
printf 'id,subject,type,ts\ne1,r0001,fine,2022-03-01\ne2," r 0001 ",fine,2022-03-01\n' >"$T/blank2.csv"
warns blank-around 1 "^civic-score: warning: subject ' r 0001 ' has blanks around it: it is a different subject from 'r 0001'$" -- $R "$T/blank2.csv"
warns blank-inside 0 "" -- $R -t 2022-05-01 $D/events.csv
# another space a spreadsheet or a web page leaves at an end (U+00A0,
# U+3000), or a zero-width character anywhere (U+200B): the same warning, in
# the words a flag's name gets, the character as its escape; in id order,
# 'r\u200b0002' (r: 0x72) comes before '\u3000r0001' (0xe3)
printf 'id,subject,type,ts\ne1,r0001,fine,2022-03-01\ne2,r0001\302\240,fine,2022-03-01\n' >"$T/nbsp.csv"
warns nbsp-subject 1 "^civic-score: warning: subject 'r0001\\\\u00a0' ends with U+00A0, a no-break space: it is a different subject from 'r0001'$" -- $R "$T/nbsp.csv"
printf 'id,subject,type,ts\ne1,\343\200\200r0001,fine,2022-03-01\ne2,r\342\200\2130002,fine,2022-03-01\n' >"$T/wide.csv"
warns zero-width-subject 1 "^civic-score: warning: subject 'r\\\\u200b0002' holds U+200B, a zero-width space: it is a different subject from 'r0002' (2 such subjects)$" -- $R "$T/wide.csv"
warns ideographic-explain 1 "^civic-score: warning: subject '\\\\u3000r0001' begins with U+3000, an ideographic space: it is a different subject from 'r0001'$" -- $R --explain "$(printf '\343\200\200r0001')" "$T/wide.csv"
printf 'id,subject,type,ts\ne1,\302\240,fine,2022-03-01\n' >"$T/nbsp-only.csv"
warns nbsp-only-subject 1 "^civic-score: warning: subject '\\\\u00a0' is blanks only$" -- $R "$T/nbsp-only.csv"
# the plain id of one the log holds only so: the empty record's warning names it
printf 'id,subject,type,ts\ne1,r0001\302\240,fine,2022-03-01\n' >"$T/nbsp2.csv"
warns nbsp-explain-twin 1 "^civic-score: warning: subject 'r0001' has no events at or before .* (the log has 'r0001\\\\u00a0', another subject: it ends with U+00A0, a no-break space)$" -- $R --explain r0001 -t 2022-05-01 "$T/nbsp2.csv"
"$CLI" $R -t 2022-05-01 "$T/blank.csv" >"$T/both" 2>&1
if head -1 "$T/both" | grep -q "^civic-score: warning: subject"; then ok; else bad "blank warning order: $(cat "$T/both")"; fi

# 4. a min on the last grade does nothing: said when the rules are read
sed 's/^name = "D"$/name = "D"\nmin = 0/' $D/rules.toml >"$T/lastmin.toml"
warns last-grade-min 1 "^civic-score: warning: $T/lastmin.toml: the last grade's min (grade 'D') has no effect: the last grade takes every lower score; to set the scheme's lowest score put min under \[scheme\]$" -- -r "$T/lastmin.toml" -t 2022-10-01 -f csv $D/events.csv
if cmp -s "$T/out" $D/expected/subjects.csv; then ok; else bad "last-grade-min: the answer changed"; fi
warns last-grade-min-compare 1 "^civic-score: warning: $T/lastmin.toml: the last grade's min (grade 'D') has no effect" -- $R --compare "$T/lastmin.toml" -t 2022-10-01 -f csv $D/events.csv
warns no-last-grade-min 0 "" -- $R -t 2022-10-01 -f csv $D/events.csv
# a scheme that sets its lowest score: the band "D: 0 and up" is harmless, not warned of
awk '/^\[scheme\]$/ { print; print "min = 0"; next } { print }' "$T/lastmin.toml" >"$T/lastmin-floor.toml"
warns last-grade-min-floor 0 "" -- -r "$T/lastmin-floor.toml" -t 2022-10-01 -f csv $D/events.csv

# 5. a rule with retain that shares a cap group or a category with a rule that
# touches the balance: archiving its entries changes what they count (a
# redeem accepted before may be rejected: the manual's worked account)
RN='[scheme]\nbase = 1000\n[[grade]]\nname = "A"\nmin = 1000\n[[grade]]\nname = "B"\n'
RT="$RN"'[cap.votes]\nlimit = 10\nperiod = "year"\n'
printf "$RT"'[rule.award]\npoints = 10\nretain = "30d"\naffects = "score"\ncap_group = "votes"\n[rule.help]\npoints = 10\ncap_group = "votes"\n' >"$T/retain-cap.toml"
printf 'id,subject,type,ts,ref,qty\na1,s1,award,2022-01-01,,\nh1,s1,help,2022-01-02,,\nr1,s1,redeem,2022-01-03,,5\n' >"$T/retain.csv"
warns retain-cap 1 "^civic-score: warning: $T/retain-cap.toml: rule 'award' has retain and shares cap group 'votes' with rule 'help', which touches the balance: once its entries are archived, the balance entries they capped or escalated count otherwise, and a redeem accepted before may be rejected (keep rules with retain out of the cap groups and categories of balance rules)$" -- -r "$T/retain-cap.toml" -t 2022-01-30 --explain s1 -f csv "$T/retain.csv"
# (what it warns of, by hand: at 01-30 h1 is capped to 0 and r1 rejected; at
# 01-31 a1 is archived, h1 counts 10 and r1 is accepted)
if grep -q '^r1,.*,redeem,rejected,' "$T/out"; then ok; else bad "retain-cap before: $(cat "$T/out")"; fi
"$CLI" -r "$T/retain-cap.toml" -t 2022-01-31 --explain s1 -f csv "$T/retain.csv" >"$T/out" 2>/dev/null
if grep -q '^r1,.*,redeem,accepted,' "$T/out"; then ok; else bad "retain-cap after: $(cat "$T/out")"; fi
printf "$RN"'[rule.award]\npoints = -10\nretain = "30d"\naffects = "score"\ncategory = "noise"\n[rule.help]\npoints = -10\nrepeat_factor = 2\ncategory = "noise"\n' >"$T/retain-cat.toml"
warns retain-category 1 "rule 'award' has retain and shares category 'noise' with rule 'help', which touches the balance" -- -r "$T/retain-cat.toml" -t 2022-01-30 "$T/retain.csv"
# a change that puts the retain rule in the cap group is looked at too
printf "$RT"'[rule.award]\npoints = 10\nretain = "30d"\naffects = "score"\n[[rule.award.change]]\nfrom = "2023-01-01"\ncap_group = "votes"\n[rule.help]\npoints = 10\ncap_group = "votes"\n' >"$T/retain-change.toml"
warns retain-change 1 "rule 'award' has retain and shares cap group 'votes' with rule 'help'" -- -r "$T/retain-change.toml" -t 2022-01-30 "$T/retain.csv"
# (one line for both files: the first, and how many, counted per file as
# the last grade's min is: two files of one such rule each are not "2 such
# rules", the same file twice least of all)
warns retain-compare 1 "$T/retain-cat.toml: rule 'award' has retain and shares category 'noise' .* (2 such rules files)$" -- -r "$T/retain-cat.toml" --compare "$T/retain-cap.toml" -t 2022-01-30 "$T/retain.csv"
warns retain-compare-same 1 "$T/retain-cap.toml: rule 'award' has retain .* (2 such rules files)$" -- -r "$T/retain-cap.toml" --compare "$T/retain-cap.toml" -t 2022-01-30 "$T/retain.csv"
printf "$RT"'[rule.award]\npoints = 10\nretain = "30d"\naffects = "score"\ncap_group = "votes"\n[rule.prize]\npoints = 10\nretain = "30d"\naffects = "score"\ncap_group = "votes"\n[rule.help]\npoints = 10\ncap_group = "votes"\n' >"$T/retain-two.toml"
warns retain-two 1 "$T/retain-two.toml: rule 'award' has retain .* (2 such rules)$" -- -r "$T/retain-two.toml" -t 2022-01-30 "$T/retain.csv"
warns retain-two-compare 1 "$T/retain-two.toml: rule 'award' has retain .* (3 such rules in 2 rules files)$" -- -r "$T/retain-two.toml" --compare "$T/retain-cap.toml" -t 2022-01-30 "$T/retain.csv"
# not warned: the other rule of the cap group is score-only, or the retain
# rule shares nothing with the balance rule
printf "$RT"'[rule.award]\npoints = 10\nretain = "30d"\naffects = "score"\ncap_group = "votes"\n[rule.help]\npoints = 10\naffects = "score"\ncap_group = "votes"\n' >"$T/retain-score.toml"
warns retain-score-only 0 "" -- -r "$T/retain-score.toml" -t 2022-01-30 "$T/retain.csv"
# a category counts only where the balance rule escalates (repeat_factor)
printf "$RN"'[rule.award]\npoints = -10\nretain = "30d"\naffects = "score"\ncategory = "noise"\n[rule.help]\npoints = -10\ncategory = "noise"\n' >"$T/retain-cat-flat.toml"
warns retain-category-flat 0 "" -- -r "$T/retain-cat-flat.toml" -t 2022-01-30 "$T/retain.csv"
printf "$RT"'[rule.award]\npoints = 10\nretain = "30d"\naffects = "score"\n[rule.help]\npoints = 10\ncap_group = "votes"\n' >"$T/retain-apart.toml"
warns retain-apart 0 "" -- -r "$T/retain-apart.toml" -t 2022-01-30 "$T/retain.csv"
# the built-in scheme (its court_defaulter has retain and freeze) is warned of nothing
warns default-scheme 0 "" -- -r lib/default_rules.toml -t 2025-01-01 examples/data/sample.csv

# 6. a flag or a dimension with a blank, another space or a zero-width
# character at an end (or that one anywhere): another flag or subtotal than
# the name without it, loaded as version 1 loaded it, and warned of
UN='[[grade]]\nname = "A"\n[rule.fine]\npoints = -1\nflag = "dishonest"\n[rule.court]\npoints = -2\n'
printf "$UN"'flag = "dishonest "\n' >"$T/unseen.toml"
printf 'id,subject,type,ts\ne1,r1,fine,2022-03-01\ne2,r1,court,2022-03-02\n' >"$T/unseen.csv"
"$CLI" -r "$T/unseen.toml" -t 2022-04-01 -f csv "$T/unseen.csv" >"$T/unseen-want" 2>/dev/null
warns unseen-flag 1 "^civic-score: warning: $T/unseen.toml: rule 'court': flag 'dishonest ' ends with a blank: it is a different flag from 'dishonest'$" -- -r "$T/unseen.toml" -t 2022-04-01 -f csv "$T/unseen.csv"
if cmp -s "$T/out" "$T/unseen-want"; then ok; else bad "unseen-flag: the answer changed"; fi
printf "$UN"'dimension = "\302\240legal"\n' >"$T/unseen.toml"
warns unseen-nbsp 1 "^civic-score: warning: $T/unseen.toml: rule 'court': dimension '\\\\u00a0legal' begins with U+00A0, a no-break space: it is a different dimension from 'legal'$" -- -r "$T/unseen.toml" -t 2022-04-01 "$T/unseen.csv"
printf "$UN"'flag = "dis\342\200\213honest"\n' >"$T/unseen.toml"
warns unseen-zero-width 1 "rule 'court': flag 'dis.*honest' holds U+200B, a zero-width space: it is a different flag from 'dishonest'$" -- -r "$T/unseen.toml" -t 2022-04-01 "$T/unseen.csv"
printf "$UN"'flag = " dishonest"\ndimension = "legal "\n' >"$T/unseen.toml"
warns unseen-two 1 "flag ' dishonest' begins with a blank: .* (2 such names)$" -- -r "$T/unseen.toml" -t 2022-04-01 "$T/unseen.csv"
printf "$UN"'flag = "dis honest"\ndimension = "legal"\n' >"$T/unseen.toml"
warns unseen-inside 0 "" -- -r "$T/unseen.toml" -t 2022-04-01 "$T/unseen.csv"

# 7. --print-rules -r FILE, the one mode that only checks a rules file, says
# its warnings too: on standard error, standard output the scheme alone
printf "$UN"'flag = "dishonest "\n' >"$T/unseen.toml"
"$CLI" --print-rules -r "$T/unseen.toml" >"$T/printed" 2>/dev/null
warns print-rules-warns 1 "^civic-score: warning: $T/unseen.toml: rule 'court': flag 'dishonest ' ends with a blank" -- --print-rules -r "$T/unseen.toml"
if cmp -s "$T/out" "$T/printed" && grep -q '^flag = "dishonest "$' "$T/out"; then ok; else bad "print-rules-warns: standard output: $(cat "$T/out")"; fi
warns print-rules-last-min 1 "$T/lastmin.toml: the last grade's min (grade 'D') has no effect" -- --print-rules -r "$T/lastmin.toml"
warns print-rules-retain 1 "$T/retain-two.toml: rule 'award' has retain .* (2 such rules)$" -- --print-rules -r "$T/retain-two.toml"
warns print-rules-clean 0 "" -- --print-rules -r "$T/lastmin-floor.toml"

# 8. what loads but cannot do what it says: a grade no score has, a cap no
# rule names, a category apart from the one most likely meant.  Warned of,
# the answer and the exit status as without the warning (version-1 keys)
printf '[scheme]\nbase = 100\nmin = 0\nmax = 200\n[[grade]]\nname = "S"\nmin = 300\n[[grade]]\nname = "A"\nmin = 100\n[[grade]]\nname = "B"\n[rule.fine]\npoints = -10\n' >"$T/grade-over.toml"
printf 'id,subject,type,ts\ne1,s1,fine,2022-01-01\n' >"$T/fine.csv"
sed '/^\[\[grade\]\]$/{N;N;/name = "S"/d}' "$T/grade-over.toml" >"$T/grade-fit.toml"
"$CLI" -r "$T/grade-fit.toml" -t 2022-02-01 -f csv "$T/fine.csv" >"$T/grade-want" 2>/dev/null
warns grade-above-max 1 "^civic-score: warning: $T/grade-over.toml: grade 'S' can never apply: its min 300.00 is above the scheme's max 200.00, the highest score$" -- -r "$T/grade-over.toml" -t 2022-02-01 -f csv "$T/fine.csv"
if cmp -s "$T/out" "$T/grade-want"; then ok; else bad "grade-above-max: the answer changed"; fi
# (B, the last grade, below A, which takes the scheme's min: never; and a
# second such grade is counted)
printf '[scheme]\nbase = 100\nmin = 0\nmax = 200\n[[grade]]\nname = "S"\nmin = 300\n[[grade]]\nname = "A"\nmin = 0\n[[grade]]\nname = "B"\n[rule.fine]\npoints = -10\n' >"$T/grade-two.toml"
warns grade-below-min 1 "^civic-score: warning: $T/grade-two.toml: grade 'S' can never apply: .* (2 such grades)$" -- -r "$T/grade-two.toml" -t 2022-02-01 "$T/fine.csv"
sed 's/name = "S"/name = "T"/; s/min = 300/min = 150/' "$T/grade-two.toml" >"$T/grade-low.toml"
warns grade-below-min-words 1 "^civic-score: warning: $T/grade-low.toml: grade 'B' can never apply: the scheme's min 0.00, the lowest score, already has grade 'A' (min 0.00)$" -- -r "$T/grade-low.toml" -t 2022-02-01 "$T/fine.csv"
warns grade-fit 0 "" -- -r "$T/grade-fit.toml" -t 2022-02-01 "$T/fine.csv"
# a cap no rule names; with a near name a rule names, that rule and name
CU='[[grade]]\nname = "A"\n[cap.vote]\nlimit = 10\nperiod = "day"\n[rule.help]\npoints = 1\ncap_group = "vote"\n'
printf "$CU"'[cap.votes]\nlimit = 5\nperiod = "day"\n' >"$T/cap-near.toml"
printf 'id,subject,type,ts\ne1,s1,help,2022-01-01\n' >"$T/help.csv"
printf "$CU" >"$T/cap-used.toml"
"$CLI" -r "$T/cap-used.toml" -t 2022-02-01 -f csv "$T/help.csv" >"$T/cap-want" 2>/dev/null
warns cap-unused-near 1 "^civic-score: warning: $T/cap-near.toml: cap 'votes' is named in no rule's cap_group, so it caps nothing (rule 'help' names cap_group 'vote': is one of the two misspelt?)$" -- -r "$T/cap-near.toml" -t 2022-02-01 -f csv "$T/help.csv"
if cmp -s "$T/out" "$T/cap-want"; then ok; else bad "cap-unused-near: the answer changed"; fi
printf "$CU"'[cap.service]\nlimit = 5\nperiod = "day"\n[cap.other]\nlimit = 5\nperiod = "day"\n' >"$T/cap-far.toml"
warns cap-unused 1 "^civic-score: warning: $T/cap-far.toml: cap 'service' is named in no rule's cap_group, so it caps nothing (2 such caps)$" -- -r "$T/cap-far.toml" -t 2022-02-01 "$T/help.csv"
warns cap-used 0 "" -- -r "$T/cap-used.toml" -t 2022-02-01 "$T/help.csv"
# a cap named by a change only is used
printf '[[grade]]\nname = "A"\n[cap.votes]\nlimit = 10\nperiod = "day"\n[rule.help]\npoints = 1\n[[rule.help.change]]\nfrom = "2023-01-01"\ncap_group = "votes"\n' >"$T/cap-change.toml"
warns cap-used-by-a-change 0 "" -- -r "$T/cap-change.toml" -t 2022-02-01 "$T/help.csv"
# a misspelt category: parking and red_light do not escalate each other
# (red_light on the 2nd counts -20, not -40); a category that is the code of
# a rule in another category
CT='[scheme]\nbase = 100\n[[grade]]\nname = "A"\n[rule.parking]\npoints = -10\ncategory = "traffic"\nrepeat_factor = 2\n[rule.red_light]\npoints = -20\nrepeat_factor = 2\n'
printf "$CT"'category = "trafic"\n' >"$T/cat-typo.toml"
printf "$CT"'category = "traffic"\n' >"$T/cat-one.toml"
printf 'id,subject,type,ts\ne1,s1,parking,2022-01-01\ne2,s1,red_light,2022-01-02\n' >"$T/traffic.csv"
warns category-near 1 "^civic-score: warning: $T/cat-typo.toml: rule 'red_light' is the only rule in category 'trafic', near category 'traffic' (rule 'parking'): rules in different categories do not escalate each other; if they are one family, give them one category$" -- -r "$T/cat-typo.toml" -t 2022-02-01 -f csv "$T/traffic.csv"
if grep -q '^s1,,70.00,' "$T/out"; then ok; else bad "category-near: $(cat "$T/out")"; fi
warns category-one 0 "" -- -r "$T/cat-one.toml" -t 2022-02-01 -f csv "$T/traffic.csv"
if grep -q '^s1,,50.00,' "$T/out"; then ok; else bad "category-one: $(cat "$T/out")"; fi
# (no repeat_factor: nothing escalates, nothing to warn of)
sed '/^repeat_factor/d' "$T/cat-typo.toml" >"$T/cat-flat.toml"
warns category-near-flat 0 "" -- -r "$T/cat-flat.toml" -t 2022-02-01 "$T/traffic.csv"
printf '[[grade]]\nname = "A"\n[rule.dog]\npoints = -10\ncategory = "animals"\nrepeat_factor = 2\n[rule.bark]\npoints = -5\ncategory = "dog"\nrepeat_factor = 2\n' >"$T/cat-code.toml"
printf 'id,subject,type,ts\ne1,s1,dog,2022-01-01\n' >"$T/dog.csv"
warns category-code 1 "^civic-score: warning: $T/cat-code.toml: rule 'bark' has category 'dog', the code of rule 'dog', which is in category 'animals': they do not escalate each other (a rule is in its own code's category only when it names none)$" -- -r "$T/cat-code.toml" -t 2022-02-01 "$T/dog.csv"
sed '/category = "animals"/d' "$T/cat-code.toml" >"$T/cat-code-own.toml"
warns category-code-own 0 "" -- -r "$T/cat-code-own.toml" -t 2022-02-01 "$T/dog.csv"
warns print-rules-category 1 "$T/cat-typo.toml: rule 'red_light' is the only rule in category 'trafic'" -- --print-rules -r "$T/cat-typo.toml"
# both slips in one scheme: two kinds, a line each (the second was "(2 such categories)")
cat "$T/cat-typo.toml" >"$T/cat-both.toml"
sed '/^\[\[grade\]\]/,/^name/d' "$T/cat-code.toml" >>"$T/cat-both.toml"
warns category-both 2 "rule 'bark' has category 'dog', the code of rule 'dog'" -- -r "$T/cat-both.toml" -t 2022-02-01 "$T/dog.csv"

echo "cli: $pass passed, $fail failed"
[ $fail -eq 0 ]
