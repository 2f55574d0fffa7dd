#!/usr/bin/env bash
# End-to-end check of the phishing-report mailbox with a real SMTP client:
# swaks (Debian: apt-get install -y swaks) reports a phishing message to
# drone serve, attached (message/rfc822), forwarded inline and forwarded as
# HTML; each incident and its indicators appear, the reporter's own left out; a relay attempt and a
# sender outside the allow-list are refused. Runs on loopback only and stops
# everything it starts. Usage: scripts/notify-e2e.sh
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v swaks >/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    apt-get install -y -qq swaks >/dev/null 2>&1 || { apt-get update -qq >/dev/null && apt-get install -y -qq swaks >/dev/null; }
  else
    echo "notify-e2e: swaks is missing (apt-get install -y swaks)" >&2
    exit 1
  fi
fi

work=$(mktemp -d)
serve_pid=""
cleanup() {
  if [ -n "$serve_pid" ]; then kill "$serve_pid" 2>/dev/null || true; wait "$serve_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
http_port=$(free_port)
smtp_port=$(free_port)

go build -o "$work/drone" ./cmd/bot
cat > "$work/drone.yaml" <<YAML
organisation: Example Org
database: $work/drone.db
http: {addr: "127.0.0.1:$http_port", shutdown_grace: 5s}
internal: {domains: [example.org]}
log: {format: text, level: warn}
notify:
  inbound:
    listen: "127.0.0.1:$smtp_port"
    addresses: [phishing@example.org]
    senders: ["@example.org"]
    store: $work/mail
YAML
export DRONE_CONFIG="$work/drone.yaml"

"$work/drone" serve >"$work/serve.log" 2>&1 &
serve_pid=$!
for _ in $(seq 1 100); do
  if (exec 3<>"/dev/tcp/127.0.0.1/$smtp_port") 2>/dev/null; then break; fi
  sleep 0.1
done

cat > "$work/suspicious.eml" <<'MAIL'
Return-Path: <bounce@mailer.bad-sender.net>
Received: from mx.bad-sender.net (mx.bad-sender.net [198.51.100.77]) by mx.example.org with ESMTPS
From: "IT Support" <support@bad-sender.net>
Reply-To: collect@harvest-creds.com
Subject: Your mailbox is full
Content-Type: text/html; charset=utf-8

<p>Click <a href="https://login-examp1e.com/o365/verify">here</a> to keep your mail.</p>
MAIL

passed=0
failed=0
check() { # name, then a command that must succeed
  local name=$1; shift
  if "$@"; then passed=$((passed + 1)); echo "ok   $name"; else failed=$((failed + 1)); echo "FAIL $name"; fi
}

report() {
  swaks --server "127.0.0.1:$smtp_port" --from bob@example.org --to phishing@example.org \
    --header "Subject: Fwd: Your mailbox is full" --body "This looks like phishing." \
    --attach-type message/rfc822 --attach-name suspicious.eml --attach "@$work/suspicious.eml" >"$work/swaks.log" 2>&1
}
incident_has_indicators() {
  local show
  show=$("$work/drone" incident show INC-1 --json) || return 1
  for want in support@bad-sender.net collect@harvest-creds.com bounce@mailer.bad-sender.net 198.51.100.77 \
    https://login-examp1e.com/o365/verify '"CAT1"' '"Phishing"'; do
    grep -qF -- "$want" <<<"$show" || { echo "  INC-1 lacks $want"; return 1; }
  done
  ls "$work/mail/INC-1/"*.eml >/dev/null
}
# A lure forwarded inline, the way Outlook forwards: the suspect's headers
# and links are lines of the body, no attachment.
report_inline() {
  swaks --server "127.0.0.1:$smtp_port" --from bob@example.org --to phishing@example.org \
    --header "Subject: FW: Invoice overdue" --body "$(printf '%s\n' "Is this real? -- Bob, Finance, https://www.example.org" "" \
      "________________________________" "From: Accounts <billing@invoice-desk.co>" "Sent: Monday, 1 December 2026 09:12" \
      "To: Bob <bob@example.org>" "Subject: Invoice overdue" "" "Pay at hxxps://pay-invoice-desk[.]top/inv/7731 today.")" \
    >"$work/swaks-inline.log" 2>&1
}
# A lure forwarded as HTML with a plain-text alternative: the link's target
# is in the href, behind other words.
report_html() {
  swaks --server "127.0.0.1:$smtp_port" --from bob@example.org --to phishing@example.org \
    --header "Subject: Fwd: Shared document" \
    --attach-type text/plain --attach-body "Forwarded message from docs@share-point-files.info: see the link (HTML part)." \
    --attach-type text/html --attach-body '<p>Bob, <a href="https://www.example.org/">example.org</a></p><div>---------- Forwarded message ---------<br>From: Docs &lt;docs@share-point-files.info&gt;<br>Subject: Shared document</div><p><a href="https://share-point-files.info/d/8812">Open document</a></p>' \
    >"$work/swaks-html.log" 2>&1
}
# incident_has INC-n VALUE...: the incident holds every value, and none of
# the reporter's own (bob@example.org, the example.org web site).
incident_has() {
  local ref=$1 show; shift
  show=$("$work/drone" incident show "$ref" --json) || return 1
  for want in "$@"; do
    grep -qF -- "$want" <<<"$show" || { echo "  $ref lacks $want"; return 1; }
  done
  if "$work/drone" incident show "$ref" --json | python3 -c 'import json,sys; r=json.load(sys.stdin); bad=[o["value"] for o in r["observables"] if "example.org" in o["value"]]; print("  own values:", bad) if bad else None; sys.exit(1 if bad else 0)'; then
    return 0
  fi
  return 1
}
inline_has_indicators() { incident_has INC-2 billing@invoice-desk.co https://pay-invoice-desk.top/inv/7731 '"ref": "INC-2"'; }
html_has_indicators() { incident_has INC-3 docs@share-point-files.info https://share-point-files.info/d/8812; }
relay_refused() {
  ! swaks --server "127.0.0.1:$smtp_port" --from bob@example.org --to victim@elsewhere.example \
    --body "relay me" >"$work/relay.log" 2>&1 && grep -q "550" "$work/relay.log"
}
stranger_refused() {
  ! swaks --server "127.0.0.1:$smtp_port" --from eve@evil.example --to phishing@example.org \
    --body "hello" >"$work/stranger.log" 2>&1 && grep -q "550" "$work/stranger.log"
}

check "swaks reports a phishing message" report
check "the incident and its indicators appear" incident_has_indicators
check "swaks reports a lure forwarded inline" report_inline
check "its indicators appear, the reporter's left out" inline_has_indicators
check "swaks reports a lure forwarded as HTML" report_html
check "its link targets appear, the reporter's left out" html_has_indicators
check "a relay attempt is refused" relay_refused
check "a sender outside the allow-list is refused" stranger_refused

if [ "$failed" -gt 0 ]; then
  echo "--- serve log"; cat "$work/serve.log"; echo "--- swaks log"; cat "$work/swaks.log"
fi
echo "notify-e2e: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
