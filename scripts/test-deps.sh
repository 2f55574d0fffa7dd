#!/usr/bin/env bash
# Installs, from Debian's packages, the outside programs drone's tests use
# when they are missing: PostgreSQL's server binaries (store/pgtest starts a
# throwaway cluster; the service need not run), Chromium (the console's
# browser tests) and swaks (make e2e). Only root can install; anyone else is
# told what is missing, and those tests skip, except under CI=true, where
# they fail. Usage: scripts/test-deps.sh
set -euo pipefail

missing=()
compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null || command -v initdb >/dev/null || missing+=(postgresql)
[ -n "${CHROMIUM:-}" ] || command -v chromium >/dev/null || [ -x /usr/bin/chromium ] || missing+=(chromium)
command -v swaks >/dev/null || missing+=(swaks)
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "installing ${missing[*]} (Debian packages) for the tests" >&2
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
else
  echo "missing for some tests: ${missing[*]} (as root: apt-get install ${missing[*]});" \
    "those tests skip, or fail under CI=true" >&2
fi
