#!/usr/bin/env bash
# translate under mpirun -np 2 on localhost, as a user runs it (tests/distributed/CMakeLists.txt):
#   translate_mpi.sh <translate> <scratch folder>
# 2 ranks sharing batches of 8 pairs report the train and held-out losses and the BLEU of 1 process
# on the same batches (to float tolerance), only rank 0 prints and writes; the checkpoint resumes
# with 2 ranks and is refused by 3 and by 1 process, with the reason.
set -uo pipefail
translate="$1" scratch="$2"
mpirun="$(cd "$(dirname "$0")/../.." && pwd)/scripts/mpirun.sh"
rm -rf "$scratch" && mkdir -p "$scratch"
fail() { echo "FAILED: $*"; exit 1; }

# 400 pairs of a word-for-word mapping, 3 to 6 words each, as tests/examples/translate_test.cpp's.
awk 'BEGIN { split("zero one two three four five six seven eight nine", en); split("zéro un deux trois quatre cinq six sept huit neuf", fr);
  x = 7; for (i = 0; i < 400; i++) { n = 3 + i % 4; s = ""; t = "";
    for (w = 0; w < n; w++) { x = (x * 1103515245 + 12345) % 2147483648; k = 1 + int(x / 65536) % 10;
      s = s (w ? " " : "") en[k]; t = t (w ? " " : "") fr[k] }
    print s " .\t" t " ." } }' >"$scratch/pairs.txt"
small=(--data "$scratch/pairs.txt" --threads 1 --embed 8 --hidden 16 --layers 1 --dropout 0 --batch-size 8 --lr 0.02 --steps 120
  --metrics-every 10 --log-interval 1000)

"$translate" "${small[@]}" --out "$scratch/one" >"$scratch/one.out" 2>"$scratch/one.log" || fail "$(cat "$scratch/one.log")"
"$mpirun" -np 2 "$translate" "${small[@]}" --out "$scratch/two" --checkpoint-every 40 >"$scratch/two.out" 2>"$scratch/two.log" ||
  fail "$(cat "$scratch/two.log")"
grep -q "data-parallel on 2 processes" "$scratch/two.log" || fail "no data-parallel line: $(cat "$scratch/two.log")"
[ "$(grep -c "held-out corpus BLEU" "$scratch/two.log")" = 1 ] || fail "not only rank 0 printed: $(cat "$scratch/two.log")"
# "train loss A, held-out loss B" and "BLEU-4 C": the same to 1e-3.
numbers() { grep -o -E '(train loss|held-out loss|BLEU-4) [0-9.]+' "$1" | awk '{ print $NF }' | tr '\n' ' '; }
one="$(numbers "$scratch/one.log")" two="$(numbers "$scratch/two.log")"
echo "1 process: $one"; echo "2 ranks:   $two"
[ -n "$one" ] || fail "no losses in $(cat "$scratch/one.log")"
paste <(tr ' ' '\n' <<<"$one") <(tr ' ' '\n' <<<"$two") |
  awk 'NF { d = $1 - $2; if (d < 0) d = -d; if (NF != 2 || d > 1e-3) bad = 1 } END { exit bad }' ||
  fail "the losses or BLEU differ"

"$mpirun" -np 3 "$translate" --threads 1 --out "$scratch/two" --resume --steps 125 >"$scratch/np3.log" 2>&1 &&
  fail "3 ranks resumed a checkpoint of 2"
grep -q "trained by 2 processes and this is 3" "$scratch/np3.log" || fail "no reason given: $(cat "$scratch/np3.log")"
"$translate" --threads 1 --out "$scratch/two" --resume --steps 125 >"$scratch/np1.log" 2>&1 &&
  fail "1 process resumed a checkpoint of 2"
grep -q "continue it with mpirun -np 2" "$scratch/np1.log" || fail "no reason given: $(cat "$scratch/np1.log")"
"$mpirun" -np 2 "$translate" --threads 1 --out "$scratch/two" --resume --steps 125 >"$scratch/resume.log" 2>&1 ||
  fail "resuming failed: $(cat "$scratch/resume.log")"
grep "resumed" "$scratch/resume.log" || fail "no resume line: $(cat "$scratch/resume.log")"
echo "passed"
