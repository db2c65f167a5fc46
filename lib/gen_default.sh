#!/bin/sh
# Regenerate lib/default_rules.c from lib/default_rules.toml (a char array,
# not a string literal: C11 only promises string literals of 4095 bytes).
set -e
in=${1:-lib/default_rules.toml}
{
  printf '/*\n** default_rules.c -- the built-in "community" scheme, generated from\n'
  printf '** lib/default_rules.toml by lib/gen_default.sh (make regen-default).\n'
  printf '** Edit the .toml, never this file.\n*/\n#include "internal.h"\n\n'
  printf 'static const char default_text[] = {\n'
  od -An -v -tu1 "$in" | awk '{ for (i = 1; i <= NF; i++) printf "%s%s", (n++ % 16 ? " " : "\n    "), $i "," } END { printf "\n    0\n};\n" }'
  printf '\nconst char *civic_rules_default_text(void)\n{\n    return default_text;\n}\n'
} > lib/default_rules.c
