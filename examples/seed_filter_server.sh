#!/usr/bin/env sh
# The seed's "server as a filter": keep at most one message per 0.1 s of event time and hand
# the kept ones on. The seed parsed every timestamp with dateutil and compared it with the
# last kept one; `hotprobe collect` does the same per stream, faster, and stores the result.
#
#   sh examples/seed_filter_server.sh                       # to stdout
#   sh examples/seed_filter_server.sh --sink mongodb://localhost/hotprobe
exec hotprobe collect --bind tcp://127.0.0.1:5556 --interval 0.1 "$@"
