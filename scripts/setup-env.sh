#!/usr/bin/env bash
# Writes .env for Maestro (mode 0600). Interactive by default; every question
# can be answered by a flag instead, and --yes accepts the defaults.
#
#   scripts/setup-env.sh                       # asks
#   scripts/setup-env.sh --yes --admin-password 'long secret' \
#       --searxng-url http://localhost:8080 --model-url http://localhost:11434 --model qwen2.5:7b
#
# Flags: --backend-port N --frontend-port N --admin-user NAME --admin-password PW
#        --searxng-url URL --model-url URL (Ollama) --openai-base-url URL --openai-api-key KEY
#        --model NAME --output FILE (default .env) --force (overwrite without asking) --yes
set -euo pipefail

out=.env
backend_port=8000
frontend_port=3030
admin_user=admin
admin_password=""
searxng_url=""
model_url=""
openai_base_url=""
openai_api_key=""
model=""
force=0
yes=0

die() { echo "setup-env: $*" >&2; exit 2; }
need() { [[ $# -ge 2 && -n "$2" ]] || die "$1 needs a value"; }

while [[ $# -gt 0 ]]; do
  case "$1" in
    --backend-port) need "$@"; backend_port=$2; shift 2 ;;
    --frontend-port) need "$@"; frontend_port=$2; shift 2 ;;
    --admin-user) need "$@"; admin_user=$2; shift 2 ;;
    --admin-password) need "$@"; admin_password=$2; shift 2 ;;
    --searxng-url) need "$@"; searxng_url=$2; shift 2 ;;
    --model-url) need "$@"; model_url=$2; shift 2 ;;
    --openai-base-url) need "$@"; openai_base_url=$2; shift 2 ;;
    --openai-api-key) need "$@"; openai_api_key=$2; shift 2 ;;
    --model) need "$@"; model=$2; shift 2 ;;
    --output) need "$@"; out=$2; shift 2 ;;
    --force) force=1; shift ;;
    --yes|-y) yes=1; shift ;;
    -h|--help) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown option $1 (see --help)" ;;
  esac
done

interactive=0
if [[ $yes -eq 0 && -t 0 ]]; then interactive=1; fi

ask() { # ask VAR "question" default
  local var=$1 q=$2 def=$3 ans
  if [[ $interactive -eq 1 ]]; then
    read -r -p "$q [$def]: " ans || true
    printf -v "$var" '%s' "${ans:-$def}"
  fi
}

valid_port() { [[ "$1" =~ ^[0-9]+$ ]] && (( $1 >= 0 && $1 <= 65535 )); }
valid_url() { [[ -z "$1" || "$1" =~ ^https?://[^[:space:]]+$ ]]; }

if [[ -e "$out" && $force -eq 0 ]]; then
  if [[ $interactive -eq 1 ]]; then
    read -r -p "$out exists. Overwrite it? [y/N]: " ans || true
    [[ "$ans" =~ ^[Yy] ]] || { echo "setup-env: left $out unchanged"; exit 0; }
  else
    die "$out exists; pass --force to overwrite it"
  fi
fi

ask backend_port "Backend port" "$backend_port"
ask frontend_port "Frontend port (0 = none)" "$frontend_port"
ask admin_user "Admin user name" "$admin_user"
if [[ $interactive -eq 1 && -z "$admin_password" ]]; then
  while :; do
    read -r -s -p "Admin password (at least 8 characters, empty = generate): " p1; echo
    [[ -z "$p1" ]] && break
    read -r -s -p "Again: " p2; echo
    if [[ "$p1" != "$p2" ]]; then echo "The passwords differ."; continue; fi
    if (( ${#p1} < 8 )); then echo "Too short."; continue; fi
    admin_password=$p1; break
  done
fi
ask searxng_url "SearXNG URL (empty = no web search)" "$searxng_url"
ask model_url "Ollama URL (empty = none)" "$model_url"
ask openai_base_url "OpenAI-compatible base URL (empty = none)" "$openai_base_url"
ask model "Model name" "$model"

valid_port "$backend_port" || die "backend port '$backend_port' is not a port number"
valid_port "$frontend_port" || die "frontend port '$frontend_port' is not a port number"
for u in "$searxng_url" "$model_url" "$openai_base_url"; do valid_url "$u" || die "'$u' is not an http(s) URL"; done
if [[ -n "$admin_password" ]] && (( ${#admin_password} < 8 )); then die "the admin password must have at least 8 characters"; fi
if [[ -z "$admin_password" ]]; then
  admin_password=$(head -c 18 /dev/urandom | base64 | tr -d '/+=' | head -c 20)
  echo "setup-env: generated the admin password: $admin_password"
fi
jwt=$(head -c 48 /dev/urandom | base64 | tr -d '\n/+=' | head -c 64)

q() { # quote a value for .env
  local v=${1//\\/\\\\}; v=${v//\"/\\\"}; printf '"%s"' "$v"
}

umask 077
tmp=$(mktemp "${out}.XXXXXX")
{
  echo "# Written by scripts/setup-env.sh on $(date -u +%Y-%m-%dT%H:%M:%SZ). See docs/configuration.md."
  echo "BACKEND_PORT=$backend_port"
  echo "FRONTEND_PORT=$frontend_port"
  echo "DATABASE_URL=sqlite:///./data/maestro.db"
  echo "JWT_SECRET_KEY=$jwt"
  echo "ADMIN_USERNAME=$(q "$admin_user")"
  echo "ADMIN_PASSWORD=$(q "$admin_password")"
  [[ -n "$searxng_url" ]] && echo "SEARXNG_URL=$searxng_url"
  [[ -n "$model_url" ]] && echo "LOCAL_MODEL_URL=$model_url"
  [[ -n "$openai_base_url" ]] && echo "OPENAI_BASE_URL=$openai_base_url"
  [[ -n "$openai_api_key" ]] && echo "OPENAI_API_KEY=$(q "$openai_api_key")"
  [[ -n "$model" ]] && echo "MODEL_NAME=$(q "$model")"
  true
} > "$tmp"
chmod 600 "$tmp"
mv "$tmp" "$out"
echo "setup-env: wrote $out (mode 600)"
