#!/bin/sh
# Publish hook: build the blog, index it once, then ship that index to this machine's server and to
# every replica. Run it as the publishing user (it owns /srv/mikke/build and /srv/mikke/index) after
# each push, e.g. as the last step of a CI job. Nothing is restarted: each server follows its index
# folder by itself, answering from the old index or the new one, whole, throughout.
# tests/test_deploy.py runs it.
set -eu

SITE=${SITE:-/srv/blog}                         # the Jekyll site (holds _config.yml)
JEKYLL=${JEKYLL:-bundle exec jekyll build}      # how the site is built, run inside $SITE
MIKKE=${MIKKE:-/srv/mikke/.venv/bin/mikke}
BUILD=${BUILD:-/srv/mikke/build}                # the index is built here, never served
INDEX=${INDEX:-/srv/mikke/index}                # served by mikke.service (MIKKE_INDEX)
REPLICAS=${REPLICAS:-}                          # "search2.example.jp …": machines laid out the same
STAGING=${STAGING:-/srv/mikke/incoming}         # on each replica: rsync's copy of $BUILD, never served
WAIT=${WAIT:-300}                               # seconds to wait for another run holding an index

# The shipped index is read-only for the server's group, but for tantivy's reader lock (mikke ship).
umask 022

(cd "$SITE" && $JEKYLL)
"$MIKKE" index "$SITE" --index "$BUILD" --wait "$WAIT"
"$MIKKE" ship "$BUILD" "$INDEX" --wait "$WAIT"

for host in $REPLICAS; do
    # Under the build's writer lock (the lock `mikke index` takes), so no commit lands mid-copy; the
    # staging copy may be inconsistent while rsync writes it, but it is never served: `mikke ship` on
    # the replica copies it to the served folder, then switches.
    flock --wait "$WAIT" "$BUILD/.lock" \
        rsync -a --delete --exclude=/.lock "$BUILD/" "$host:$STAGING/"
    ssh "$host" "$MIKKE" ship "$STAGING" "$INDEX" --wait "$WAIT"
done
