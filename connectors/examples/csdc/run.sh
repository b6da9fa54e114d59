#!/usr/bin/env bash
# Starts the mock depository (agency.py) and the connector (connector.py) in front of it, and
# stops both when either ends or on Ctrl-C. Python: $PYTHON (default python3) with the packages
# of requirements.txt. Options:
#   --agency-port N      the depository's HTTP port (default 18090)
#   --connector-port N   the connector's gRPC port (default 50070)
#   --host H             both listen on H (default 127.0.0.1)
#   --today YYYY-MM-DD   the depository's today (default: Beijing's date)
#   --register FILE      keep the depository's freeze register in FILE (0600)
#   --public-key B64     trust this hub key (with --key-id, default demo-1) instead of the demo key
#   --key-id ID
# Ready when both lines "csdc agency listening on ..." and "csdc connector listening on ..." are printed.
set -euo pipefail
cd "$(dirname "$0")"
PYTHON="${PYTHON:-python3}"
agency_port=18090 connector_port=50070 host=127.0.0.1
agency_args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --agency-port) agency_port="$2"; shift 2 ;;
    --connector-port) connector_port="$2"; shift 2 ;;
    --host) host="$2"; shift 2 ;;
    --today|--register|--public-key|--key-id) agency_args+=("$1" "$2"); shift 2 ;;
    -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
    *) echo "run.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
case " ${agency_args[*]-} " in *" --public-key "*) ;; *) agency_args+=(--demo-key) ;; esac

"$PYTHON" agency.py --host "$host" --port "$agency_port" "${agency_args[@]}" &
agency=$!
trap 'kill "$agency" "${connector:-}" 2>/dev/null || true' EXIT INT TERM
"$PYTHON" connector.py --host "$host" --port "$connector_port" --agency-url "http://$host:$agency_port" &
connector=$!
wait -n "$agency" "$connector"
