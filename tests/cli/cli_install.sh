#!/bin/bash
# cli_install.sh — `cmake --install` of this build into a temporary prefix, then a
# tiny program built against the installed tree twice: with find_package(madbench)
# and with pkg-config. Both must compile, link and run.
set -u
bin=${1:?usage: cli_install.sh MADBENCH_BINARY}
build=$(dirname "$bin")
source "$(dirname "$0")/../testutil.sh" # $tmp, fail, expect, finish

cmake --install "$build" --prefix "$tmp/prefix" >"$tmp/install.log" 2>&1 ||
    { echo "FAIL: cmake --install: $(tail -5 "$tmp/install.log")" >&2; exit 1; }
[ -x "$tmp/prefix/bin/madbench" ] || fail "bin/madbench not installed"
"$tmp/prefix/bin/madbench" --version >/dev/null || fail "the installed binary does not run"

mkdir "$tmp/src"
cat >"$tmp/src/consumer.c" <<'C'
#include "mb_dataset.h"
#include "mb_loop.h"
#include "mb_provenance.h"

#include <stdio.h>

int main(void)
{
    mb_dataset ds = {0};
    mb_data_options opt = {.max_images = 16};
    if (mb_dataset_load(&ds, "shapes", &opt) != MB_OK) {
        fprintf(stderr, "%s\n", mb_last_error());
        return 1;
    }
    mb_run_config cfg;
    mb_run_config_default(&cfg);
    json_t *doc = json_object();
    if (mb_provenance_add(doc, NULL) != MB_OK)
        return 1;
    printf("%d images %dx%d, %d generations, git %s\n", ds.n, ds.height, ds.width,
           cfg.generations, mb_json_string(doc, "git_revision"));
    json_decref(doc);
    mb_dataset_free(&ds);
    return 0;
}
C
cat >"$tmp/src/CMakeLists.txt" <<'CM'
cmake_minimum_required(VERSION 3.24)
project(consumer C)
find_package(madbench 0.1 REQUIRED)
add_executable(consumer consumer.c)
target_link_libraries(consumer PRIVATE madbench::mb_loop)
CM
want="16 images 28x28, 5 generations, git $("$bin" --version | sed -n 's/.*(git \(.*\))$/\1/p')"

# find_package
if cmake -S "$tmp/src" -B "$tmp/b" -DCMAKE_PREFIX_PATH="$tmp/prefix" >"$tmp/cfg.log" 2>&1 &&
    cmake --build "$tmp/b" >"$tmp/build.log" 2>&1; then
    got=$("$tmp/b/consumer") || fail "find_package consumer failed to run"
    [ "$got" = "$want" ] || fail "find_package consumer printed '$got', expected '$want'"
else
    fail "find_package(madbench): $(tail -5 "$tmp/cfg.log" "$tmp/build.log" 2>/dev/null)"
fi

# pkg-config (static libraries: --static for the libraries they need)
export PKG_CONFIG_PATH="$tmp/prefix/lib/pkgconfig"
flags=$(pkg-config --cflags --libs --static madbench) || fail "pkg-config madbench"
if cc -std=c11 "$tmp/src/consumer.c" -o "$tmp/consumer_pc" $flags 2>"$tmp/cc.log"; then
    got=$("$tmp/consumer_pc") || fail "pkg-config consumer failed to run"
    [ "$got" = "$want" ] || fail "pkg-config consumer printed '$got', expected '$want'"
else
    fail "pkg-config build: $(tail -5 "$tmp/cc.log")"
fi

finish cli_install
