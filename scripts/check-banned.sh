#!/usr/bin/env bash
# Fails (exit 1) when C sources under src/ call a banned function; prints file:line for each.
#
# usage: scripts/check-banned.sh [SRC_DIR]     (default: src/ of this repository)
#
# Banned, with what to use instead:
#   sprintf vsprintf -> snprintf vsnprintf     strcpy strcat -> memcpy / snprintf with sizes
#   strtok -> strtok_r                         atoi atol -> strtol / strtoll with checks
#   gets -> fgets                              gmtime localtime -> gmtime_r localtime_r
#   exit -> return an error to main (allowed only in SRC_DIR/cli/main.c)
# Comments and string literals are ignored. A missing or empty SRC_DIR passes.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
src="${1:-$here/../src}"
while [ "${#src}" -gt 1 ] && [ "${src%/}" != "$src" ]; do src="${src%/}"; done

if [ ! -d "$src" ]; then
  echo "check-banned: no $src directory: nothing to check"
  exit 0
fi

mapfile -d '' files < <(find "$src" -type f \( -name '*.c' -o -name '*.h' \) -print0 | sort -z)
if [ "${#files[@]}" -eq 0 ]; then
  echo "check-banned: no C files under $src"
  exit 0
fi

main_c="$src/cli/main.c"   # the same spelling find prints

# perl strips comments and string/char literals (keeping line numbers), then reports calls.
set +e
perl -e '
  my $main = shift @ARGV;
  my %instead = (
    sprintf => "snprintf", vsprintf => "vsnprintf", strcpy => "memcpy or snprintf",
    strcat => "memcpy or snprintf", strtok => "strtok_r", atoi => "strtol", atol => "strtol",
    gets => "fgets", gmtime => "gmtime_r", localtime => "localtime_r",
    exit => "returning an error up to main (exit is allowed only in src/cli/main.c)",
  );
  my $bad = 0;
  for my $f (@ARGV) {
    open(my $fh, "<", $f) or die "check-banned: $f: $!\n";
    local $/; my $t = <$fh>; close $fh;
    my $keep_nl = sub { my $s = shift; my $n = ($s =~ tr/\n//); return " " . ("\n" x $n); };
    $t =~ s{ (/\*.*?\*/) | (//[^\n]*) | ("(?:\\.|[^"\\\n])*") | (\x27(?:\\.|[^\x27\\\n])*\x27) }
           { defined $1 ? $keep_nl->($1) : defined $2 ? " " : q{""} }gsex;
    my $n = 0;
    for my $line (split /\n/, $t, -1) {
      $n++;
      while ($line =~ /(?<![\w.>])(sprintf|vsprintf|strcpy|strcat|strtok|atoi|atol|gets|gmtime|localtime|exit)\s*\(/g) {
        my $fn = $1;
        next if $fn eq "exit" && $f eq $main;
        print "$f:$n: banned call $fn(): use $instead{$fn}\n";
        $bad++;
      }
    }
  }
  if ($bad) { print "check-banned: $bad banned call(s)\n"; exit 1 }
  exit 0;
' "$main_c" "${files[@]}"
rc=$?
set -e
if [ "$rc" -eq 0 ]; then
  echo "check-banned: ${#files[@]} C file(s) under $src: no banned calls"
fi
exit "$rc"
