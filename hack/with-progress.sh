#!/usr/bin/env bash
# Usage: hack/with-progress.sh LABEL COMMAND [ARGS...]
#
# Runs COMMAND and, while it runs, prints "LABEL: still running, Ns so far" to stderr every 30 seconds,
# so a first-time build that takes minutes (kube-apiserver, msgraph-sdk-go) shows it is alive. A command
# that finishes within 30 seconds prints nothing extra. Exits with COMMAND's status.
set -euo pipefail

label=$1
shift

start=$SECONDS
"$@" &
cmd=$!
# Stop the command too if this script is interrupted (make forwards Ctrl-C to the whole job).
trap 'kill "$cmd" 2>/dev/null || true' INT TERM

next=30
while kill -0 "$cmd" 2>/dev/null; do
	# Short sleeps keep the exit prompt once the command is done.
	sleep 1
	if ((SECONDS - start >= next)); then
		echo "$label: still running, $((SECONDS - start))s so far" >&2
		next=$((next + 30))
	fi
done
wait "$cmd"
