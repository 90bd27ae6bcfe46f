#!/usr/bin/env bash
# Peak memory of the all-receipts PDF for many purchases, end to end:
# seeds an SQLite database, serves it with the release binary, downloads
# GET /purchases/serverless-receipts/ and reads the server's peak RSS
# (VmHWM) from /proc. Not a test: it prints figures.
#
#   benches/all_receipts_rss.sh [PURCHASES] [ITEMS_PER_PURCHASE]
set -euo pipefail
cd "$(dirname "$0")/.."

purchases=${1:-20000}
items=${2:-3}
cargo build --release --quiet
binary=${CARGO_TARGET_DIR:-target}/release/fly-store

work=$(mktemp -d)
trap 'kill "$server" 2>/dev/null || true; rm -rf "$work"' EXIT
export DATABASE_URL="$work/store.db" RUST_LOG=warn

"$binary" seed --products 40 --purchases "$purchases" --items-per-purchase "$items" --seed 1
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$binary" serve --bind "127.0.0.1:$port" &
server=$!
for _ in $(seq 1 50); do curl -fs "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done

idle=$(awk '/VmRSS/ {print $2}' "/proc/$server/status")
start=$(date +%s.%N)
curl -fs -o "$work/receipts.pdf" "http://127.0.0.1:$port/purchases/serverless-receipts/"
end=$(date +%s.%N)
peak=$(awk '/VmHWM/ {print $2}' "/proc/$server/status")

pages=$(pdfinfo "$work/receipts.pdf" 2>/dev/null | awk '/^Pages:/ {print $2}')
size=$(stat -c %s "$work/receipts.pdf")
printf 'purchases=%s items_each=%s pages=%s pdf_bytes=%s seconds=%.2f idle_rss_kb=%s peak_rss_kb=%s (%.1f MB)\n' \
  "$purchases" "$items" "${pages:-?}" "$size" "$(awk -v s="$start" -v e="$end" 'BEGIN { print e - s }')" "$idle" "$peak" "$(awk -v k="$peak" 'BEGIN { print k / 1024 }')"
